import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quintilesOf, selectNth } from '../src/scores.js';
import {
  DEFAULT_RFM_GROUPS,
  emptyScores,
  largeThreshold,
  quintileScore,
  quintiles,
  rfmGroupOf,
  rfmMap,
  scoreCounts,
  scoreCustomer,
  scoreSpread,
  type RfmGroup,
  valueClassOf,
  valueThresholds,
  volumeClassOf,
} from '@clientele/segments';

describe('quintile scores', () => {
  it('puts thresholds at ranks ceil(k·n/5) and gives equal values equal scores (hand-computed)', () => {
    const values = [1, 1, 1, 1, 2, 3, 5, 8, 13, 21];
    // n = 10: ranks 2, 4, 6, 8 → values 1, 1, 3, 8
    expect(quintiles(values)).toEqual([1, 1, 3, 8]);
    const t = quintiles(values)!;
    expect(values.map((v) => quintileScore(v, t))).toEqual([1, 1, 1, 1, 3, 3, 4, 4, 5, 5]);
    expect(quintileScore(0, t)).toBe(1);
    expect(quintileScore(100, t)).toBe(5);
  });

  it('splits five distinct values one per score and handles one value and none', () => {
    const t = quintiles([10, 20, 30, 40, 50])!;
    expect(t).toEqual([10, 20, 30, 40]);
    expect([10, 20, 30, 40, 50].map((v) => quintileScore(v, t))).toEqual([1, 2, 3, 4, 5]);
    expect(quintiles([7])).toEqual([7, 7, 7, 7]);
    expect(quintileScore(7, quintiles([7])!)).toBe(1);
    expect(quintiles([])).toBeNull();
  });
});

describe('quintiles by selection', () => {
  // Few distinct values (many ties), as window visits have, and many, as instants have (no -0: a sort
  // and a selection may order it and 0 differently, though they are equal).
  const values = fc.oneof(
    fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 300 }),
    fc.array(
      fc.double({ noNaN: true, min: -1e12, max: 1e12 }).map((x) => x + 0),
      { maxLength: 300 },
    ),
  );

  it('give the thresholds of a sort, in any order of the values', () => {
    fc.assert(
      fc.property(values, (xs) => {
        const sorted = [...xs].sort((a, b) => a - b);
        expect(quintilesOf(Float64Array.from(xs))).toEqual(quintiles(sorted));
      }),
    );
  });

  it('put the k-th value in place with none greater before it and none smaller after it', () => {
    fc.assert(
      fc.property(
        values.filter((xs) => xs.length > 0),
        fc.nat(),
        (xs, seed) => {
          const k = seed % xs.length;
          const a = Float64Array.from(xs);
          selectNth(a, k, 0, a.length - 1);
          const sorted = [...xs].sort((x, y) => x - y);
          expect(a[k]).toBe(sorted[k]);
          for (let i = 0; i < k; i++) expect(a[i]! <= a[k]!).toBe(true);
          for (let i = k + 1; i < a.length; i++) expect(a[i]! >= a[k]!).toBe(true);
          expect([...a].sort((x, y) => x - y)).toEqual(sorted);
        },
      ),
    );
  });
});

describe('RFM groups', () => {
  it('name every combination of scores with the default groups', () => {
    for (let r = 1; r <= 5; r++)
      for (let f = 1; f <= 5; f++)
        for (let m = 1; m <= 5; m++) expect(rfmGroupOf({ r, f, m }, DEFAULT_RFM_GROUPS), `${r}${f}${m}`).not.toBeNull();
  });

  it('use monetary where it separates groups: a low-spending champion is loyal, a lapsed top spender not lost', () => {
    const g = (r: number, f: number, m: number) => rfmGroupOf({ r, f, m }, DEFAULT_RFM_GROUPS);
    expect(g(5, 5, 5)).toBe('champions');
    expect(g(4, 4, 4)).toBe('champions');
    expect(g(5, 5, 3)).toBe('loyal');
    expect(g(3, 4, 1)).toBe('loyal');
    expect(g(5, 1, 1)).toBe('new');
    expect(g(4, 1, 3)).toBe('promising');
    expect(g(3, 2, 2)).toBe('needs-attention');
    expect(g(1, 5, 5)).toBe('cannot-lose');
    expect(g(1, 1, 5)).toBe('cannot-lose');
    expect(g(2, 1, 4)).toBe('cannot-lose');
    expect(g(1, 5, 3)).toBe('at-risk');
    expect(g(2, 3, 1)).toBe('at-risk');
    expect(g(2, 1, 3)).toBe('hibernating');
    expect(g(1, 2, 1)).toBe('lost');
    // Spend tells groups apart in some cells and not in others: both kinds exist in the map.
    const cells = rfmMap(DEFAULT_RFM_GROUPS);
    const groupsOf = (r: number, f: number) => new Set(cells.filter((c) => c.r === r && c.f === f).map((c) => c.group));
    expect(groupsOf(5, 5).size).toBe(2);
    expect(groupsOf(1, 1).size).toBe(2);
    expect(groupsOf(3, 3).size).toBe(1);
    expect(cells).toHaveLength(125);
  });

  it('are printed in full in the guide, exactly as the code maps every cell', () => {
    const doc = readFileSync(new URL('../../../docs/segments.md', import.meta.url), 'utf8');
    const at = doc.indexOf('<!-- rfm-map:');
    expect(at).toBeGreaterThan(0);
    const rows = doc
      .slice(at)
      .split('\n')
      .slice(3, 8)
      .map((l) => l.trim());
    const cells = rfmMap(DEFAULT_RFM_GROUPS);
    // The guide's cell: the group, or each group with the monetary scores it takes.
    const cell = (r: number, f: number) => {
      const runs: Array<{ g: string; lo: number; hi: number }> = [];
      for (const c of cells.filter((x) => x.r === r && x.f === f)) {
        const last = runs.at(-1);
        if (last && last.g === c.group) last.hi = c.m;
        else runs.push({ g: c.group!, lo: c.m, hi: c.m });
      }
      if (runs.length === 1) return `\`${runs[0]!.g}\``;
      return runs.map((x) => `\`${x.g}\` (M ${x.lo === x.hi ? x.lo : `${x.lo}-${x.hi}`})`).join(', ');
    };
    const expected = [5, 4, 3, 2, 1].map((r) => `| **${r}** | ${[1, 2, 3, 4, 5].map((f) => cell(r, f)).join(' | ')} |`);
    expect(rows).toEqual(expected);
  });

  it('rank recency by instants, not days: two last purchases on one day can score apart', () => {
    const day = Date.UTC(2026, 10, 2);
    const hour = 3_600_000;
    // A threshold at noon: the morning's last purchase does not exceed it, the evening's does.
    const r: [number, number, number, number] = [
      day - 30 * 24 * hour,
      day - 7 * 24 * hour,
      day + 12 * hour,
      day + 30 * 24 * hour,
    ];
    expect(quintileScore(day + 8 * hour, r)).toBe(3);
    expect(quintileScore(day + 20 * hour, r)).toBe(4);
  });

  it('are data: a retailer’s own groups are tried in order', () => {
    const groups = [
      { id: 'vip', name: 'VIP', m: [5, 5] as [number, number] },
      { id: 'rest', name: 'Rest' },
    ];
    expect(rfmGroupOf({ r: 1, f: 1, m: 5 }, groups)).toBe('vip');
    expect(rfmGroupOf({ r: 5, f: 5, m: 4 }, groups)).toBe('rest');
    expect(rfmGroupOf({ r: 5, f: 5, m: 4 }, [groups[0]!])).toBeNull();
    const partial: RfmGroup[] = [{ id: 'recent', name: 'Recent', r: [4, 5] }];
    expect(rfmMap(partial).filter((c) => c.group === null)).toHaveLength(75);
  });
});

describe('spread of scores', () => {
  it('says which score ties leave empty: frequency thresholds [1, 2, 2, 4] leave no one at F=3', () => {
    // 100 buyers: 39 came once, 21 twice, 15 three times, 10 four times, 15 five times or more.
    const visits = [
      ...Array(39).fill(1),
      ...Array(21).fill(2),
      ...Array(15).fill(3),
      ...Array(10).fill(4),
      ...Array(15).fill(6),
    ] as number[];
    const t = quintiles(visits)!;
    // Ranks 20, 40, 60, 80 of 100: 1, 2, 2, 4. Three or four visits both score 4.
    expect(t).toEqual([1, 2, 2, 4]);
    expect(scoreCounts(visits, t)).toEqual([39, 21, 0, 25, 15]);
    expect(emptyScores(scoreCounts(visits, t))).toEqual([3]);
    // The population's own thresholds, when most buyers tie at 1: scores 1 and 2 hold more than a fifth each.
    const once = [...Array(60).fill(1), ...Array(20).fill(2), ...Array(20).fill(5)] as number[];
    const spread = scoreSpread({ r: once, f: once, m: once }, { r: quintiles(once), f: quintiles(once), m: null });
    expect(quintiles(once)).toEqual([1, 1, 1, 2]);
    expect(spread.counts.f).toEqual([60, 0, 0, 20, 20]);
    expect(spread.empty.f).toEqual([2, 3]);
    expect(spread.counts.m).toEqual([0, 0, 0, 0, 0]);
  });
});

describe('value and volume classes', () => {
  it(
    'makes A the customers who together make 80% of revenue, B up to 95%, ties sharing a class ' + '(hand-computed)',
    () => {
      const spend = [50, 30, 10, 5, 5];
      const t = valueThresholds(spend, 0.8, 0.95);
      expect(t).toEqual({ aMin: 30, bMin: 5 });
      expect(spend.map((s) => valueClassOf(s, t))).toEqual(['A', 'A', 'B', 'B', 'B']);
      expect(valueClassOf(0, t)).toBe('C');
      const wide = [40, 20, 10, 10, 10, 5, 5];
      const w = valueThresholds(wide, 0.8, 0.95);
      // Before 40: 0; before 20: 40; before 10: 60 and 70 (< 80, A); before the third 10: 80 (B); before 5: 90 (B); the
      // last 5: 95 (C)
      expect(wide.map((s) => valueClassOf(s, w))).toEqual(['A', 'A', 'A', 'A', 'A', 'B', 'B']);
      expect(valueThresholds([0, 0], 0.8, 0.95)).toEqual({ aMin: null, bMin: null });
    },
  );

  it('calls large the top share by spend', () => {
    const desc = [900, 500, 300, 200, 100, 50, 10, 5, 1, 0];
    expect(largeThreshold(desc, 0.2)).toBe(500);
    expect(desc.map((s) => volumeClassOf(s, 500))).toEqual([
      'large',
      'large',
      'small',
      'small',
      'small',
      'small',
      'small',
      'small',
      'small',
      'small',
    ]);
    expect(largeThreshold([], 0.2)).toBeNull();
    expect(volumeClassOf(0, null)).toBe('small');
  });

  it('scores one customer under stored thresholds, and leaves a customer who never bought unscored', () => {
    const t = {
      asOf: '',
      windowDays: 365,
      r: [10, 20, 30, 40] as [number, number, number, number],
      f: [1, 1, 2, 4] as [number, number, number, number],
      m: [100, 200, 300, 400] as [number, number, number, number],
      value: { aMin: 400, bMin: 200 },
      largeMin: 350,
      populationGapHours: 240,
      buyers: 5,
    };
    expect(
      scoreCustomer({ lastPurchaseAt: new Date(35), windowVisits: 5, windowSpend: 250 }, t, DEFAULT_RFM_GROUPS),
    ).toEqual({ rScore: 4, fScore: 5, mScore: 3, rfmGroup: 'loyal', valueClass: 'B', volumeClass: 'small' });
    // Never bought: no scores, no class, the prospects' group (under any thresholds, or none).
    const prospect = { rScore: null, fScore: null, mScore: null, valueClass: null, volumeClass: null };
    expect(scoreCustomer({ lastPurchaseAt: null, windowVisits: 0, windowSpend: 0 }, t, DEFAULT_RFM_GROUPS)).toEqual({
      ...prospect,
      rfmGroup: 'prospects',
    });
    expect(
      scoreCustomer({ lastPurchaseAt: null, windowVisits: 0, windowSpend: 0 }, null, DEFAULT_RFM_GROUPS, 'leads'),
    ).toEqual({ ...prospect, rfmGroup: 'leads' });
    // A buyer before any thresholds: no scores and no group yet.
    expect(
      scoreCustomer({ lastPurchaseAt: new Date(35), windowVisits: 5, windowSpend: 250 }, null, DEFAULT_RFM_GROUPS)
        .rfmGroup,
    ).toBeNull();
    // A buyer with nothing in the window is in the population with spend 0: class C, small.
    expect(
      scoreCustomer({ lastPurchaseAt: new Date(5), windowVisits: 0, windowSpend: 0 }, t, DEFAULT_RFM_GROUPS),
    ).toMatchObject({ rScore: 1, fScore: 1, mScore: 1, rfmGroup: 'lost', valueClass: 'C', volumeClass: 'small' });
  });
});
