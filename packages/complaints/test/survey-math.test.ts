/** Survey arithmetic and the report arithmetic, pure. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fnv1a } from '../src/questionnaires.js';
import {
  clockOutcome,
  isLowScore,
  isSampled,
  netPromoterScore,
  normalise,
  pareto,
  promoterClass,
  slaRows,
  DEFAULT_LOW_SCORES,
  type LevelStint,
} from '../src/index.js';

describe('survey arithmetic', () => {
  it('samples deterministically, about the configured share, and differently per seed', () => {
    const ids = Array.from({ length: 20_000 }, (_, i) => `pur_${String(i).padStart(6, '0')}`);
    for (const rate of [0.05, 0.2, 0.5]) {
      const picked = ids.filter((id) => isSampled('tiantian', id, rate)).length / ids.length;
      expect(Math.abs(picked - rate)).toBeLessThan(0.01);
    }
    expect(ids.filter((id) => isSampled('a', id, 0.3))).not.toEqual(ids.filter((id) => isSampled('b', id, 0.3)));
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (seed, id, rate) => isSampled(seed, id, rate) === isSampled(seed, id, rate),
      ),
    );
    expect(ids.some((id) => isSampled('s', id, 0))).toBe(false);
    expect(ids.every((id) => isSampled('s', id, 1))).toBe(true);
    expect(fnv1a('')).toBe(fnv1a(''));
  });

  it('normalises both scales to 0-1000, counts promoters and detractors, and spots low scores', () => {
    expect([1, 2, 3, 4, 5].map((s) => normalise('1-5', s))).toEqual([0, 250, 500, 750, 1000]);
    expect([0, 5, 10].map((s) => normalise('0-10', s))).toEqual([0, 500, 1000]);
    expect([6, 7, 8, 9].map((s) => promoterClass('0-10', s))).toEqual(['detractor', 'passive', 'passive', 'promoter']);
    expect(promoterClass('1-5', 5)).toBeNull();
    expect(netPromoterScore(5, 2, 10)).toBe(30);
    expect(netPromoterScore(0, 0, 0)).toBeNull();
    expect([1, 2, 3].map((s) => isLowScore(DEFAULT_LOW_SCORES, '1-5', s))).toEqual([true, true, false]);
    expect([4, 5].map((s) => isLowScore(DEFAULT_LOW_SCORES, '0-10', s))).toEqual([true, false]);
  });
});

describe('report arithmetic', () => {
  const t = (h: number) => new Date(Date.UTC(2026, 10, 2, h));
  it('classifies each clock of a stay: on time, late, passed on, pending', () => {
    expect(clockOutcome(t(10), t(9), null, t(12))).toBe('on-time');
    expect(clockOutcome(t(10), t(11), null, t(12))).toBe('late');
    expect(clockOutcome(t(10), null, t(10), t(12))).toBe('late'); // escalated because the clock ran out
    expect(clockOutcome(t(10), null, t(9), t(12))).toBe('passed-on'); // escalated early (authority, appeal)
    expect(clockOutcome(t(10), null, null, t(9))).toBe('pending');
    expect(clockOutcome(t(10), null, null, t(11))).toBe('late');
  });

  it('groups stays by store and level with shares and business time', () => {
    const stint = (over: Partial<LevelStint>): LevelStint => ({
      storeId: 'S01',
      ladder: 'service',
      level: 1,
      levelId: 'counter',
      enteredAt: t(8),
      acknowledgeBy: t(9),
      acknowledgedAt: t(8),
      resolveBy: t(12),
      resolvedAt: t(11),
      leftAt: t(11),
      ...over,
    });
    const rows = slaRows(
      [
        stint({}),
        stint({ acknowledgedAt: t(10), resolvedAt: null, leftAt: t(12) }),
        stint({ level: 2, levelId: 'store-manager', resolvedAt: null, leftAt: null }),
      ],
      t(10),
      () => 90 * 60_000,
    );
    expect(
      rows.map((r) => [
        r.level,
        r.cases,
        r.acknowledged.share,
        r.resolved.onTime,
        r.resolved.late,
        r.resolved.pending,
        r.meanBusinessMinutes,
      ]),
    ).toEqual([
      [1, 2, 0.5, 1, 1, 0, 90],
      [2, 1, 1, 0, 0, 1, 90],
    ]);
  });

  it('ranks causes with cumulative shares and marks the vital few up to 80 %', () => {
    const rows = pareto(
      [
        { cause: 'a', cases: 1, cost: 10 },
        { cause: 'b', cases: 6, cost: 5 },
        { cause: 'c', cases: 2, cost: 100 },
        { cause: 'd', cases: 1, cost: 0 },
      ],
      'cases',
    );
    expect(rows.map((r) => [r.cause, r.rank, r.share, r.cumulative, r.vital])).toEqual([
      ['b', 1, 0.6, 0.6, true],
      ['c', 2, 0.2, 0.8, true],
      ['a', 3, 0.1, 0.9, false],
      ['d', 4, 0.1, 1, false],
    ]);
    // The cause that crosses 80 % (from 60 % to 90 %) is among the vital few; the next one is not.
    const crossing = pareto(
      [
        { cause: 'a', cases: 6, cost: 0 },
        { cause: 'b', cases: 3, cost: 0 },
        { cause: 'c', cases: 1, cost: 0 },
      ],
      'cases',
    );
    expect(crossing.map((r) => [r.cause, r.cumulative, r.vital])).toEqual([
      ['a', 0.6, true],
      ['b', 0.9, true],
      ['c', 1, false],
    ]);
    expect(pareto([], 'cost')).toEqual([]);
    expect(pareto([{ cause: 'x', cases: 0, cost: 0 }], 'cost')[0]).toMatchObject({ share: 0, vital: false });
  });
});
