import fc from 'fast-check';
import { memoryStore } from '@clientele/core';
import { quintiles, quintileScore, type Quintiles } from '@clientele/segments';
import { describe, expect, it } from 'vitest';
import { keptLargeMin, keptQuintiles, nearRank } from '../src/stable-thresholds.js';
import { DAY, SYSTEM, buy, member, openSegChain } from './helpers.js';

/** The scores a threshold set gives each value. */
const scores = (values: number[], t: Quintiles) => values.map((v) => quintileScore(v, t));

describe('kept thresholds', () => {
  it('keep a threshold equal to a value at a rank within the slack, by hand', () => {
    // values 1 1 2 3 3 3 5: ranks of 3 are 4..6
    expect(nearRank(3, 6, 7, 1)).toBe(true); // rank 6 is within 1 of 7
    expect(nearRank(3, 6, 8, 1)).toBe(false);
    expect(nearRank(3, 6, 2, 1)).toBe(false); // rank 4 is 2 away from 2
    expect(nearRank(3, 6, 3, 1)).toBe(true);
    // A threshold no value equals (4) scores as the largest value below it (3, at rank 6).
    expect(nearRank(6, 6, 7, 1)).toBe(true);
    expect(nearRank(6, 6, 8, 1)).toBe(false);
  });

  it('stop frequency scores from flipping over ties from one night to the next', () => {
    // 100 buyers: visits 1 (40), 2 (20), 3 (21), 4 (19): rank 80 is 3.
    const night1 = [...Array(40).fill(1), ...Array(20).fill(2), ...Array(21).fill(3), ...Array(19).fill(4)];
    const t1 = quintiles([...night1].sort((a, b) => a - b))!;
    expect(t1).toEqual([1, 1, 2, 3]);
    // Two buyers come back a fourth time: rank 80 is now 4, and 21 customers would move from F=4 to F=5... then back.
    const night2 = [...Array(40).fill(1), ...Array(20).fill(2), ...Array(19).fill(3), ...Array(21).fill(4)];
    const exact = quintiles([...night2].sort((a, b) => a - b))!;
    expect(exact).toEqual([1, 1, 2, 4]);
    // Rank 80's exact value is 4, but 3 holds ranks 61..79: one rank away.
    expect(keptQuintiles(night2, exact, t1, 1)).toEqual([1, 1, 2, 3]);
    expect(keptQuintiles(night2, exact, t1, 0)).toEqual(exact);
    // The 19 customers who kept 3 visits keep F=4 under the kept thresholds.
    expect(scores(night2, keptQuintiles(night2, exact, t1, 1)!).filter((s) => s === 4)).toHaveLength(19);
  });

  it('take the exact threshold again once the old one is further than the slack', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    const exact = quintiles(values)!;
    expect(exact).toEqual([20, 40, 60, 80]);
    expect(keptQuintiles(values, exact, [19, 42, 60, 83], 2)).toEqual([19, 42, 60, 80]);
    expect(keptQuintiles(values, exact, [19, 42, 60, 83], 0)).toEqual(exact);
    expect(keptQuintiles(values, exact, null, 2)).toEqual(exact);
  });

  it('are each the old threshold or the exact one, ascending, and within the slack of the exact rank', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 20, maxLength: 200 }),
        fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 4, maxLength: 4 }),
        fc.integer({ min: 0, max: 3 }),
        (values, prev, slack) => {
          const sorted = [...values].sort((a, b) => a - b);
          const exact = quintiles(sorted)!;
          const previous = [...prev].sort((a, b) => a - b) as Quintiles;
          const kept = keptQuintiles(values, exact, previous, slack)!;
          for (let k = 0; k < 4; k++) {
            expect([exact[k], previous[k]]).toContain(kept[k]);
            if (k) expect(kept[k]).toBeGreaterThanOrEqual(kept[k - 1]!);
            // Same scores as the value at some rank within the slack of ⌈k·n/5⌉.
            const rank = Math.ceil(((k + 1) * values.length) / 5);
            const same = (r: number) => sorted.every((v) => v > kept[k]! === v > sorted[r - 1]!);
            const ranks = [];
            for (let r = Math.max(1, rank - slack); r <= Math.min(values.length, rank + slack); r++) ranks.push(r);
            // A threshold below every value scores like none: rank 0.
            const below = sorted.every((v) => v > kept[k]!) && rank - slack <= 0;
            expect(ranks.some(same) || below).toBe(true);
          }
        },
      ),
    );
  });

  it('keep the smallest large spend within the slack of its rank from the top', () => {
    const spend = Array.from({ length: 100 }, (_, i) => (i + 1) * 100); // the top 20% start at 8,100
    expect(keptLargeMin(spend, 8_100, 8_000, 0.2, 1)).toBe(8_000);
    expect(keptLargeMin(spend, 8_100, 7_900, 0.2, 1)).toBe(8_100);
    expect(keptLargeMin(spend, 8_100, 7_900, 0.2, 0)).toBe(8_100);
    expect(keptLargeMin(spend, 8_100, null, 0.2, 5)).toBe(8_100);
  });
});

describe('a nightly rebuild with a threshold tolerance', () => {
  /** 100 buyers with spends 10.00 .. 1,000.00 rebuilt, then a 101st buyer, then a second rebuild. */
  async function twoNights(thresholdTolerance: number) {
    const { crm, clock } = await openSegChain(memoryStore(), { thresholdTolerance });
    for (let i = 1; i <= 100; i++) await buy(crm, await member(crm, `M${i}`), i * 1_000);
    clock.advance(DAY);
    const first = await crm.segments.rebuild({}, SYSTEM);
    clock.advance(DAY);
    await buy(crm, await member(crm, 'Newcomer'), 200_000);
    clock.advance(DAY);
    const second = await crm.segments.rebuild({}, SYSTEM);
    await crm.close();
    return { first: first.thresholds!, second };
  }

  it('keeps last night’s monetary thresholds while they are within 1% of the buyers of their ranks', async () => {
    const kept = await twoNights(0.01);
    expect(kept.second.thresholds!.m).toEqual(kept.first.m);
    expect(kept.second.thresholds!.largeMin).toBe(kept.first.largeMin);
    const exact = await twoNights(0);
    // Exactly: ranks 21, 41, 61, 81 of 101 buyers, one spend higher each.
    expect(exact.second.thresholds!.m).toEqual(exact.first.m!.map((t) => t + 1_000));
    // Those four buyers (and the larger spend's new first) were rescored and rewritten; with the tolerance none was.
    expect(exact.second.written).toBeGreaterThan(kept.second.written);
  });
});
