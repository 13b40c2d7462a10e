/**
 * Thresholds that stay from one rebuild to the next while they still nearly split the population as
 * their rule says. Each night a few buyers move the exact quantiles a little, and where many tie
 * (whole visit counts) a threshold can flip between two values night after night; either way every
 * customer between the old and the new value changes score, is rewritten and may change segments,
 * though nothing about them changed. A kept threshold is the value at a rank within `slack` ranks of
 * the exact one, so a quintile is off by at most `slack` buyers until its threshold is taken again.
 */
import { largeRankFromTop, quintileRank, type Quintiles } from './scores.js';

/**
 * Whether a threshold is the value at a rank within `slack` of `rank` (1-based, ascending), given how
 * many values are below it (`less`) and at or below it (`atOrBelow`). Values equal to it hold ranks
 * `less + 1 .. atOrBelow`; a threshold that no value equals scores as the largest value below it does
 * (rank `less`).
 */
export function nearRank(less: number, atOrBelow: number, rank: number, slack: number): boolean {
  const lo = atOrBelow > less ? less + 1 : less;
  return lo <= rank + slack && atOrBelow >= rank - slack;
}

/** How many of `values` are below and at or below each of `thresholds`: one pass. */
export function rankCounts(
  values: ArrayLike<number>,
  thresholds: readonly number[],
): { less: number[]; atOrBelow: number[] } {
  const k = thresholds.length;
  const less = new Array<number>(k).fill(0);
  const atOrBelow = new Array<number>(k).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    for (let j = 0; j < k; j++) {
      const t = thresholds[j]!;
      if (v < t) less[j]!++;
      if (v <= t) atOrBelow[j]!++;
    }
  }
  return { less, atOrBelow };
}

/**
 * Quintile thresholds of `values` (any order) under `exact` (their {@link quintiles}), keeping each of
 * `previous` that is the value at a rank within `slack` of ⌈k·n/5⌉. Kept and new thresholds stay in
 * ascending order while `slack` is under a tenth of the values (else the exact ones are taken).
 */
export function keptQuintiles(
  values: ArrayLike<number>,
  exact: Quintiles | null,
  previous: Quintiles | null | undefined,
  slack: number,
): Quintiles | null {
  if (exact === null || !previous || slack <= 0) return exact;
  const n = values.length;
  const { less, atOrBelow } = rankCounts(values, previous);
  const out = exact.map((t, j) =>
    nearRank(less[j]!, atOrBelow[j]!, quintileRank(j + 1, n), slack) ? previous[j]! : t,
  ) as Quintiles;
  for (let j = 1; j < 4; j++) if (out[j]! < out[j - 1]!) return exact;
  return out;
}

/**
 * The smallest large spend (the value at rank ⌈share·n⌉ from the top, see `largeThreshold`) keeping
 * `previous` while it is the value at a rank within `slack` of that one and still positive.
 */
export function keptLargeMin(
  spendAscending: ArrayLike<number>,
  exact: number | null,
  previous: number | null | undefined,
  share: number,
  slack: number,
): number | null {
  if (previous === null || previous === undefined || previous <= 0 || slack <= 0) return exact;
  const n = spendAscending.length;
  if (n === 0) return exact;
  const { less, atOrBelow } = rankCounts(spendAscending, [previous]);
  const rank = n - largeRankFromTop(share, n) + 1;
  return nearRank(less[0]!, atOrBelow[0]!, rank, slack) ? previous : exact;
}
