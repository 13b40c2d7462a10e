/**
 * Scores and classes over the customer population, as pure functions: RFM quintile scores and named
 * groups, Pareto (ABC) value classes and large/small volume classes. Thresholds are computed once per
 * rebuild and stored, so a single customer can be scored again after each sale without the population.
 */
import * as z from 'zod';

/** Four ascending thresholds: a value's score is 1 plus the number of thresholds it exceeds. */
export type Quintiles = [number, number, number, number];

/** The ascending rank (1-based) of quintile threshold `k` (1..4) among `n` values: ⌈k·n/5⌉. */
export function quintileRank(k: number, n: number): number {
  return Math.ceil((k * n) / 5);
}

/** The rank (1-based) from the top of the smallest large spend among `n` values: ⌈share·n⌉, at least 1. */
export function largeRankFromTop(share: number, n: number): number {
  return Math.max(1, Math.ceil(share * n));
}

/**
 * Quintile thresholds of a population: `T_k` is the value at rank `ceil(k·n/5)` (1-based) of the sorted
 * values, so a score is `1 + floor(5 · share of the population strictly below)` and equal values always
 * share a score (the lowest value scores 1). `null` for an empty population.
 */
export function quintiles(sortedAscending: ArrayLike<number>): Quintiles | null {
  const n = sortedAscending.length;
  if (n === 0) return null;
  const at = (k: number) => sortedAscending[quintileRank(k, n) - 1]!;
  return [at(1), at(2), at(3), at(4)];
}

/**
 * The quintile thresholds {@link quintiles} gives, of values in any order, found by selection rather
 * than a sort (a rebuild takes them over a million customers). Reorders `values`.
 */
export function quintilesOf(values: Float64Array): Quintiles | null {
  const n = values.length;
  if (n === 0) return null;
  const out: Quintiles = [0, 0, 0, 0];
  let lo = 0;
  for (let k = 1; k <= 4; k++) {
    const rank = quintileRank(k, n) - 1;
    // The ranks ascend: what an earlier selection put before its rank is no greater, so the search goes on after it.
    selectNth(values, rank, lo, n - 1);
    out[k - 1] = values[rank]!;
    lo = rank;
  }
  return out;
}

/**
 * Reorders `a[lo..hi]` so that `a[k]` holds the value an ascending sort would put there, with no
 * greater value before it and no smaller one after it (Hoare's selection, median-of-three pivots).
 * The values must not be NaN.
 */
export function selectNth(a: Float64Array, k: number, lo: number, hi: number): void {
  while (hi > lo) {
    const x = a[lo]!;
    const y = a[(lo + hi) >>> 1]!;
    const z = a[hi]!;
    const pivot = x < y ? (y < z ? y : Math.max(x, z)) : x < z ? x : Math.max(y, z);
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    // a[lo..j] <= pivot <= a[i..hi], and whatever lies between equals the pivot.
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

/** The score 1-5 of a value against quintile thresholds. */
export function quintileScore(value: number, t: Quintiles): number {
  return 1 + (value > t[0] ? 1 : 0) + (value > t[1] ? 1 : 0) + (value > t[2] ? 1 : 0) + (value > t[3] ? 1 : 0);
}

/** A named RFM group: score ranges (inclusive) that a customer's scores must all fall in. */
export interface RfmGroup {
  id: string;
  name: string;
  r?: [number, number] | undefined;
  f?: [number, number] | undefined;
  m?: [number, number] | undefined;
}

const range = z
  .tuple([z.number().int().min(1).max(5), z.number().int().min(1).max(5)])
  .refine(([a, b]) => a <= b, 'low must not exceed high');

/** Schema of an RFM group. */
export const rfmGroupSchema = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/),
    name: z.string().min(1).max(80),
    r: range.optional(),
    f: range.optional(),
    m: range.optional(),
  })
  .strict();

/** The group of customers who never bought (they have no scores), unless the settings name another. */
export const PROSPECTS_GROUP = 'prospects';

/**
 * The default groups, tried in order (the first that matches names the customer). Together they cover
 * every combination of scores. Monetary separates groups where spend changes what a customer is worth:
 * a champion spends among the top two fifths (a frequent, recent low spender is loyal), and a customer
 * who spent among the top two fifths and has not come back for a while is one not to lose, however
 * seldom they came (never merely hibernating or lost). `docs/segments.md` prints the whole map.
 */
export const DEFAULT_RFM_GROUPS: readonly RfmGroup[] = [
  { id: 'champions', name: 'Champions', r: [4, 5], f: [4, 5], m: [4, 5] },
  { id: 'loyal', name: 'Loyal', r: [3, 5], f: [3, 5] },
  { id: 'new', name: 'New', r: [5, 5], f: [1, 1] },
  { id: 'promising', name: 'Promising', r: [4, 5], f: [1, 2] },
  { id: 'needs-attention', name: 'Needs attention', r: [3, 3], f: [1, 2] },
  { id: 'cannot-lose', name: 'Cannot lose them', r: [1, 2], m: [4, 5] },
  { id: 'at-risk', name: 'At risk', r: [1, 2], f: [3, 5] },
  { id: 'hibernating', name: 'Hibernating', r: [2, 2], f: [1, 2] },
  { id: 'lost', name: 'Lost', r: [1, 1], f: [1, 2] },
];

/** One cell of the RFM map: a combination of scores and the group that holds it (null: none does). */
export interface RfmCell {
  r: number;
  f: number;
  m: number;
  group: string | null;
}

/** The whole map of a list of groups: all 125 combinations of scores, R then F then M ascending. */
export function rfmMap(groups: readonly RfmGroup[]): RfmCell[] {
  const out: RfmCell[] = [];
  for (let r = 1; r <= 5; r++)
    for (let f = 1; f <= 5; f++)
      for (let m = 1; m <= 5; m++) out.push({ r, f, m, group: rfmGroupOf({ r, f, m }, groups) });
  return out;
}

/** The first group whose ranges hold the scores, or `null`. */
export function rfmGroupOf(scores: { r: number; f: number; m: number }, groups: readonly RfmGroup[]): string | null {
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!;
    if (inside(scores.r, g.r) && inside(scores.f, g.f) && inside(scores.m, g.m)) return g.id;
  }
  return null;
}

/** Whether a score falls in an inclusive range (any score when there is none). */
function inside(v: number, range: [number, number] | undefined): boolean {
  return range === undefined || (v >= range[0] && v <= range[1]);
}

/** Thresholds of the Pareto classes: spend at or above `aMin` is A, at or above `bMin` is B. */
export interface ValueThresholds {
  aMin: number | null;
  bMin: number | null;
}

/**
 * Pareto (ABC) thresholds: walking customers from the largest spend down, a customer is A while the
 * customers before it made less than `aShare` of the total (so the A customers together make at least
 * that share), B likewise up to `bShare`; equal spends share a class. Zero spend is never A or B.
 */
export function valueThresholds(spendDescending: ArrayLike<number>, aShare: number, bShare: number): ValueThresholds {
  let total = 0;
  for (let i = 0; i < spendDescending.length; i++) total += spendDescending[i]!;
  if (total <= 0) return { aMin: null, bMin: null };
  let before = 0;
  let aMin: number | null = null;
  let bMin: number | null = null;
  for (let i = 0; i < spendDescending.length; i++) {
    const v = spendDescending[i]!;
    if (v <= 0) break;
    if (before < aShare * total) aMin = v;
    else if (before < bShare * total) bMin = v;
    else break;
    before += v;
  }
  return { aMin, bMin: bMin ?? aMin };
}

/** The Pareto class of a spend. */
export function valueClassOf(spend: number, t: ValueThresholds): 'A' | 'B' | 'C' {
  if (spend > 0 && t.aMin !== null && spend >= t.aMin) return 'A';
  if (spend > 0 && t.bMin !== null && spend >= t.bMin) return 'B';
  return 'C';
}

/** The smallest spend that counts as large: the spend at rank `ceil(share·n)` from the top. */
export function largeThreshold(spendDescending: ArrayLike<number>, share: number): number | null {
  const n = spendDescending.length;
  if (n === 0) return null;
  const v = spendDescending[largeRankFromTop(share, n) - 1]!;
  return v > 0 ? v : null;
}

/** Large or small by volume. */
export function volumeClassOf(spend: number, largeMin: number | null): 'large' | 'small' {
  return largeMin !== null && spend > 0 && spend >= largeMin ? 'large' : 'small';
}

/**
 * How many of `values` take each score 1-5 under thresholds `t` (index 0: score 1); all zeros without
 * thresholds.
 */
export function scoreCounts(values: ArrayLike<number>, t: Quintiles | null): number[] {
  const counts = [0, 0, 0, 0, 0];
  if (t === null) return counts;
  for (let i = 0; i < values.length; i++) counts[quintileScore(values[i]!, t) - 1]!++;
  return counts;
}

/** The scores 1-5 that no one holds. */
export function emptyScores(counts: readonly number[]): number[] {
  const out: number[] = [];
  for (let k = 0; k < 5; k++) if ((counts[k] ?? 0) === 0) out.push(k + 1);
  return out;
}

/** How many buyers hold each score of each dimension, and which scores none holds. */
export interface ScoreSpread {
  /** Buyers per score 1-5 (index 0: score 1) of recency, frequency and monetary. */
  counts: { r: number[]; f: number[]; m: number[] };
  /**
   * Scores no buyer holds: equal values always share a score, so where many buyers tie (most bought
   * once) a quintile can be empty and another hold far more than a fifth.
   */
  empty: { r: number[]; f: number[]; m: number[] };
}

/** The {@link ScoreSpread} of a population's recency, frequency and monetary values under their thresholds. */
export function scoreSpread(
  values: { r: ArrayLike<number>; f: ArrayLike<number>; m: ArrayLike<number> },
  t: { r: Quintiles | null; f: Quintiles | null; m: Quintiles | null },
): ScoreSpread {
  const counts = { r: scoreCounts(values.r, t.r), f: scoreCounts(values.f, t.f), m: scoreCounts(values.m, t.m) };
  return { counts, empty: { r: emptyScores(counts.r), f: emptyScores(counts.f), m: emptyScores(counts.m) } };
}

/** Thresholds of one rebuild, stored and applied to each customer after every sale until the next. */
export interface ScoreThresholds extends Partial<ScoreSpread> {
  /** When the thresholds were computed. */
  asOf: string;
  /** Days of the RFM window they were computed with. */
  windowDays: number;
  /** Recency (epoch ms of the last purchase), frequency (window visits), monetary (window spend). */
  r: Quintiles | null;
  f: Quintiles | null;
  m: Quintiles | null;
  value: ValueThresholds;
  largeMin: number | null;
  /** The population's churn threshold in hours, for customers with too few visits of their own. */
  populationGapHours: number | null;
  /** Customers with at least one purchase when computed. */
  buyers: number;
}

/**
 * Scores and classes of one customer under stored thresholds. A customer who never bought has no
 * scores and no class, and is in the `prospects` group; one who bought before any thresholds exist
 * (before the first rebuild) has no scores and no group yet.
 */
export function scoreCustomer(
  s: { lastPurchaseAt: Date | null; windowVisits: number; windowSpend: number },
  t: ScoreThresholds | null,
  groups: readonly RfmGroup[],
  prospects: string = PROSPECTS_GROUP,
): {
  rScore: number | null;
  fScore: number | null;
  mScore: number | null;
  rfmGroup: string | null;
  valueClass: string | null;
  volumeClass: string | null;
} {
  if (s.lastPurchaseAt === null)
    return { rScore: null, fScore: null, mScore: null, rfmGroup: prospects, valueClass: null, volumeClass: null };
  if (t === null || t.r === null || t.f === null || t.m === null) {
    return { rScore: null, fScore: null, mScore: null, rfmGroup: null, valueClass: null, volumeClass: null };
  }
  const r = quintileScore(s.lastPurchaseAt.getTime(), t.r);
  const f = quintileScore(s.windowVisits, t.f);
  const m = quintileScore(s.windowSpend, t.m);
  return {
    rScore: r,
    fScore: f,
    mScore: m,
    rfmGroup: rfmGroupOf({ r, f, m }, groups),
    valueClass: valueClassOf(s.windowSpend, t.value),
    volumeClass: volumeClassOf(s.windowSpend, t.largeMin),
  };
}
