import type { ResolvedSegmentsConfig } from './config.js';
import { FigureScratch, percentileRank, windowStartOf } from './customer-stats.js';
import { Columns } from './rebuild-columns.js';
import { SortedGroups, customersIn, readSummary, summariesInRange, summarySettings } from './rebuild-reads.js';
import { yieldToHost } from './rebuild-run.js';
import {
  largeThreshold,
  quintiles,
  quintilesOf,
  scoreSpread,
  selectNth,
  valueThresholds,
  type ScoreThresholds,
} from './scores.js';
import type { SegmentsKernel } from './events.js';
import { keptLargeMin, keptQuintiles } from './stable-thresholds.js';

/**
 * The population's rhythm moves slowly; every customer on it has a due date from it. Keep the last
 * value while the new one is within 10% of it, so a nightly rebuild does not rewrite every newcomer
 * for a shift of a day.
 */
function stablePopulationHours(next: number | null, previous: number | null): number | null {
  if (next === null || previous === null) return next;
  return Math.abs(next - previous) <= previous * 0.1 ? previous : next;
}

/** Whole days, so the population's rhythm does not move by the hour. */
function roundUpToDay(hours: number | null): number | null {
  return hours === null ? null : Math.ceil(hours / 24) * 24;
}

/** The churn threshold of a customer on the population's rhythm. */
export function populationHours(t: ScoreThresholds, config: ResolvedSegmentsConfig): number | null {
  return t.populationGapHours === null ? null : Math.max(config.churn.minHours, t.populationGapHours);
}

/** The population's thresholds from the columns of a stats pass. */
export function thresholdsFrom(
  cols: Columns,
  config: ResolvedSegmentsConfig,
  asOf: Date,
  previous: ScoreThresholds | null = null,
): ScoreThresholds {
  let n = 0;
  let withGaps = 0;
  for (let i = 0; i < cols.length; i++) {
    if (Number.isNaN(cols.last[i]!)) continue;
    n++;
    if (cols.own[i] && !Number.isNaN(cols.typicalGap[i]!)) withGaps++;
  }
  // Typed arrays: sorted or selected in place, numerically, without boxing a million numbers.
  const last = new Float64Array(n);
  const visits = new Float64Array(n);
  const mAsc = new Float64Array(n);
  const gaps = new Float64Array(withGaps);
  for (let i = 0, b = 0, g = 0; i < cols.length; i++) {
    if (Number.isNaN(cols.last[i]!)) continue;
    last[b] = cols.last[i]!;
    visits[b] = cols.fv[i]!;
    mAsc[b++] = cols.mv[i]!;
    if (cols.own[i] && !Number.isNaN(cols.typicalGap[i]!)) gaps[g++] = cols.typicalGap[i]!;
  }
  // Selection where only ranks are needed; the spend is sorted, for the Pareto classes walk it in order.
  mAsc.sort();
  // Last night's thresholds stay while they nearly split the buyers as the rule says (same window only).
  const before = previous?.windowDays === config.rfm.windowDays ? previous : null;
  const slack = Math.floor(config.thresholdTolerance * n);
  const r = keptQuintiles(last, quintilesOf(last), before?.r, slack);
  const f = keptQuintiles(visits, quintilesOf(visits), before?.f, slack);
  const m = keptQuintiles(mAsc, quintiles(mAsc), before?.m, slack);
  const mDesc = mAsc.slice().reverse();
  let populationGap: number | null = null;
  if (gaps.length) {
    const rank = percentileRank(gaps.length, config.churn.percentile);
    selectNth(gaps, rank, 0, gaps.length - 1);
    populationGap = gaps[rank]!;
  }
  return {
    asOf: asOf.toISOString(),
    windowDays: config.rfm.windowDays,
    r,
    f,
    m,
    ...scoreSpread({ r: last, f: visits, m: mAsc }, { r, f, m }),
    value: valueThresholds(mDesc, config.classes.aShare, config.classes.bShare),
    largeMin: keptLargeMin(
      mAsc,
      largeThreshold(mDesc, config.classes.largeTopShare),
      before?.largeMin,
      config.classes.largeTopShare,
      slack,
    ),
    populationGapHours: stablePopulationHours(roundUpToDay(populationGap), previous?.populationGapHours ?? null),
    buyers: n,
  };
}

/**
 * The population's thresholds from the figures of every active buying customer, read in chunks
 * without writing anything: what a first build needs before it writes the rows. `null` when
 * cancelled. The figures are dropped on return, before the rows are written.
 */
export async function firstThresholds(
  kernel: SegmentsKernel,
  config: ResolvedSegmentsConfig,
  asOf: Date,
  expected: number,
  chunk: number,
  progress: (done: number) => void,
  cancelled: () => boolean,
): Promise<ScoreThresholds | null> {
  const cols = new Columns(expected, false);
  const scratch = new FigureScratch();
  const settings = summarySettings(config);
  const windowStart = windowStartOf(asOf, settings);
  let after: string | null = null;
  do {
    if (cancelled()) return null;
    const page = await customersIn(kernel.store, after, null, chunk, 'version');
    const upper = page.length < chunk ? null : (page[page.length - 1]!['id'] as string);
    const summaries = new SortedGroups(
      page.length ? await summariesInRange(kernel.store, after, upper, windowStart) : [],
    );
    for (const g of page) {
      const id = g['id'] as string;
      readSummary(scratch, summaries.take(id), asOf, config, settings);
      cols.push(id, scratch, config.churn.minGaps, 0, 0);
    }
    after = upper;
    progress(cols.length);
    await yieldToHost();
  } while (after !== null);
  return thresholdsFrom(cols, config, asOf);
}
