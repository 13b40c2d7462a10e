/**
 * A customer's statistics from their purchases, and churn risk from their own rhythm of visits.
 * Pure: the rebuild and the per-sale update both call {@link statsFromSummary}, so they agree exactly.
 */
import { millisecondsInDay, millisecondsInHour } from 'date-fns/constants';

/** The completed purchases of one customer at one instant (usually one purchase). */
export interface VisitGroup {
  at: Date;
  /** Purchases at that instant. */
  count: number;
  /** Their totals, minor units. */
  total: number;
  /** Refunded by returns so far. */
  refunded: number;
}

/** Settings of the statistics. */
export interface StatsSettings {
  /** The RFM window in days: `windowVisits` and `windowSpend` count purchases within it. */
  windowDays: number;
  /** How many of the latest gaps between visits are kept (the customer's current rhythm). */
  maxGaps: number;
}

/** What the purchases say about a customer. */
export interface PurchaseFigures {
  firstPurchaseAt: Date | null;
  lastPurchaseAt: Date | null;
  visits: number;
  spend: number;
  avgBasket: number;
  windowVisits: number;
  windowSpend: number;
  /** Hours between consecutive visits, oldest first, the latest `maxGaps` of them. */
  gaps: number[];
  /** Median of `gaps` (the lower one of an even count), or null with no gap. */
  typicalGapHours: number | null;
}

/**
 * What a customer's completed purchases come to, as one grouped aggregate gives it (pushed down to SQL
 * where the store can): every purchase's instant, and the net spend all time and within the window.
 */
export interface PurchaseSummary {
  /** The instant of every completed purchase, epoch milliseconds, ascending (one entry per purchase). */
  times: readonly number[];
  /** Totals less refunds, minor units, all time. */
  spend: number;
  /** The same for the purchases at or after the window's start. */
  windowSpend: number;
}

/** The first instant of the RFM window ending at `now`. */
export function windowStartOf(now: Date, settings: Pick<StatsSettings, 'windowDays'>): number {
  return now.getTime() - settings.windowDays * millisecondsInDay;
}

/** The summary of visits in time order (see {@link PurchaseSummary}) as of `now`. */
export function summaryOfVisits(
  visits: readonly VisitGroup[],
  now: Date,
  settings: Pick<StatsSettings, 'windowDays'>,
): PurchaseSummary {
  const windowStart = windowStartOf(now, settings);
  const times: number[] = [];
  let spend = 0;
  let windowSpend = 0;
  for (const v of visits) {
    const t = v.at.getTime();
    const net = v.total - v.refunded;
    for (let i = 0; i < v.count; i++) times.push(t);
    spend += net;
    if (t >= windowStart) windowSpend += net;
  }
  return { times, spend, windowSpend };
}

/**
 * Statistics from a customer's purchase summary (`null`: never bought), as of `now`. Gaps are the hours
 * between consecutive purchases, the latest `maxGaps` of them; several purchases at one instant are
 * visits with no gap between them.
 */
export function statsFromSummary(summary: PurchaseSummary | null, now: Date, settings: StatsSettings): PurchaseFigures {
  const times = summary?.times ?? [];
  const n = times.length;
  const windowStart = windowStartOf(now, settings);
  let windowVisits = 0;
  // The times are ascending: count back from the latest while they are inside the window.
  for (let i = n - 1; i >= 0 && times[i]! >= windowStart; i--) windowVisits++;
  const gaps: number[] = [];
  for (let i = Math.max(1, n - settings.maxGaps); i < n; i++)
    gaps.push(Math.round((times[i]! - times[i - 1]!) / millisecondsInHour));
  const spend = summary?.spend ?? 0;
  return {
    firstPurchaseAt: n ? new Date(times[0]!) : null,
    lastPurchaseAt: n ? new Date(times[n - 1]!) : null,
    visits: n,
    spend,
    avgBasket: n ? Math.round(spend / n) : 0,
    windowVisits,
    windowSpend: summary?.windowSpend ?? 0,
    gaps,
    typicalGapHours: median(gaps),
  };
}

/**
 * Statistics from a customer's visits in time order, as of `now`: the same figures a rebuild and the per-sale update
 * compute from their summaries.
 */
export function statsFromVisits(visits: readonly VisitGroup[], now: Date, settings: StatsSettings): PurchaseFigures {
  return statsFromSummary(visits.length ? summaryOfVisits(visits, now, settings) : null, now, settings);
}

/**
 * Where {@link median} and {@link percentile} sort their values: a rebuild takes order statistics of
 * a million customers' gaps (a few dozen each), and a sorted copy per call cost more than the rest.
 */
let scratch = new Float64Array(64);

/** The first `n` of `values` sorted ascending into the first `n` places of the scratch array, which it returns. */
function sortedInScratch(values: ArrayLike<number>, n = values.length): Float64Array {
  if (scratch.length < n) scratch = new Float64Array(Math.max(n, scratch.length * 2));
  const s = scratch;
  if (n <= 32) {
    // Insertion sort: fastest for the handful of gaps most customers have.
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      let j = i - 1;
      while (j >= 0 && s[j]! > v) {
        s[j + 1] = s[j]!;
        j--;
      }
      s[j + 1] = v;
    }
  } else {
    for (let i = 0; i < n; i++) s[i] = values[i]!;
    s.subarray(0, n).sort();
  }
  return s;
}

/**
 * The figures {@link statsFromSummary} gives, as numbers in one object reused from customer to
 * customer (NaN where the figures have null; instants as epoch milliseconds): a rebuild reads a
 * million customers' purchases to tell which rows changed, and builds the figures themselves, with
 * their dates and gaps, only for the rows it writes. Also the customer's own churn threshold.
 */
export class FigureScratch {
  first = Number.NaN;
  last = Number.NaN;
  visits = 0;
  spend = 0;
  avgBasket = 0;
  windowVisits = 0;
  windowSpend = 0;
  /** The gaps in time order: the first `gapCount`. */
  gaps = new Float64Array(64);
  gapCount = 0;
  typicalGap = Number.NaN;
  /** {@link ownChurnHours}, NaN with too few gaps. */
  ownHours = Number.NaN;

  /** Reads one customer's purchase summary (`times` empty: never bought), as {@link statsFromSummary} does. */
  read(
    times: readonly number[],
    spend: number,
    windowSpend: number,
    now: Date,
    settings: StatsSettings,
    churn: ChurnSettings,
  ): void {
    const n = times.length;
    const windowStart = windowStartOf(now, settings);
    let windowVisits = 0;
    for (let i = n - 1; i >= 0 && times[i]! >= windowStart; i--) windowVisits++;
    const from = Math.max(1, n - settings.maxGaps);
    const count = Math.max(0, n - from);
    if (this.gaps.length < count) this.gaps = new Float64Array(Math.max(count, this.gaps.length * 2));
    for (let i = from; i < n; i++) this.gaps[i - from] = Math.round((times[i]! - times[i - 1]!) / millisecondsInHour);
    const sorted = sortedInScratch(this.gaps, count);
    this.first = n ? timeValue(times[0]!) : Number.NaN;
    this.last = n ? timeValue(times[n - 1]!) : Number.NaN;
    this.visits = n;
    this.spend = spend;
    this.avgBasket = n ? Math.round(spend / n) : 0;
    this.windowVisits = windowVisits;
    this.windowSpend = windowSpend;
    this.gapCount = count;
    this.typicalGap = count ? sorted[Math.floor((count - 1) / 2)]! : Number.NaN;
    this.ownHours =
      count >= churn.minGaps ? Math.max(churn.minHours, sorted[percentileRank(count, churn.percentile)]!) : Number.NaN;
  }
}

/** The time value a `Date` of epoch milliseconds `t` holds (whole milliseconds, NaN out of range). */
function timeValue(t: number): number {
  return Math.abs(t) <= 8.64e15 ? Math.trunc(t) + 0 : Number.NaN;
}

/** The lower median, or null for no values. */
export function median(values: readonly number[]): number | null {
  const n = values.length;
  if (n === 0) return null;
  return sortedInScratch(values)[Math.floor((n - 1) / 2)]!;
}

/** The nearest-rank percentile `p` (0-100] of values, or null for none. */
export function percentile(values: ArrayLike<number>, p: number, sorted = false): number | null {
  const n = values.length;
  if (n === 0) return null;
  const s = sorted ? values : sortedInScratch(values);
  return s[percentileRank(n, p)]!;
}

/** The 0-based rank in ascending order of the nearest-rank percentile `p` (0-100] of `n` values. */
export function percentileRank(n: number, p: number): number {
  return Math.max(0, Math.ceil((p / 100) * n) - 1);
}

/** Settings of churn detection. */
export interface ChurnSettings {
  /** The percentile of a customer's own gaps beyond which they are overdue (default 90). */
  percentile: number;
  /** Gaps a customer needs before their own rhythm is trusted; fewer use the population's (default 3). */
  minGaps: number;
  /** Never overdue sooner than this many hours after a visit (default 24). */
  minHours: number;
}

/** When a customer counts as overdue, and on whose rhythm. */
export interface ChurnThreshold {
  hours: number;
  basis: 'own' | 'population';
}

/** The churn threshold of a customer: a high percentile of their own gaps, else the population's. */
export function churnThreshold(
  gaps: readonly number[],
  settings: ChurnSettings,
  populationHours: number | null,
): ChurnThreshold | null {
  const own = ownChurnHours(gaps, settings);
  if (own !== null) return { hours: own, basis: 'own' };
  if (populationHours !== null) return { hours: Math.max(settings.minHours, populationHours), basis: 'population' };
  return null;
}

/** A customer's churn threshold on their own rhythm, in hours, or null with too few gaps for one. */
export function ownChurnHours(gaps: readonly number[], settings: ChurnSettings): number | null {
  return gaps.length >= settings.minGaps ? Math.max(settings.minHours, percentile(gaps, settings.percentile)!) : null;
}

/** The instant a customer becomes overdue, or null. */
export function overdueAt(lastPurchaseAt: Date | null, threshold: ChurnThreshold | null): Date | null {
  return lastPurchaseAt && threshold ? new Date(overdueTime(lastPurchaseAt.getTime(), threshold.hours)) : null;
}

/** Epoch milliseconds when a customer whose last purchase was at `last` (epoch milliseconds) is overdue. */
export function overdueTime(last: number, hours: number): number {
  return last + hours * millisecondsInHour;
}

/** Whole days, rounded, of a number of hours. */
export function hoursToDays(hours: number): number {
  return Math.round(hours / 24);
}

/** When a customer's satisfaction is a churn reason: falling by so many points per answer, or below a score. */
export interface SatisfactionSettings {
  fallingBy: number;
  below: number;
}

/** What a customer's satisfaction says of churn: `falling` (first), `low`, or nothing. */
export type SatisfactionSignal = 'falling' | 'low';

/** The satisfaction signal of a statistics row (null: none, or no answers recorded). */
export function satisfactionSignal(
  s: { satisfaction?: number | null; satisfactionTrend?: number | null },
  settings: SatisfactionSettings,
): SatisfactionSignal | null {
  if (s.satisfactionTrend != null && s.satisfactionTrend <= -settings.fallingBy) return 'falling';
  if (s.satisfaction != null && s.satisfaction < settings.below) return 'low';
  return null;
}

/**
 * Why a customer is at risk, in words: "usually every 6 days, now 23" (own rhythm) or
 * "customers usually return within 30 days, now 45" (population fallback), followed, when `satisfaction`
 * settings are given and the customer's answers give a signal, by "; satisfaction falling: 48 of 100,
 * down 12 points per answer" or "; satisfaction low: 40 of 100".
 */
export function churnReason(
  s: {
    lastPurchaseAt: Date | null;
    typicalGapHours: number | null;
    churnBasis: string | null;
    churnThresholdHours: number | null;
    satisfaction?: number | null;
    satisfactionTrend?: number | null;
  },
  now: Date,
  satisfaction?: SatisfactionSettings,
): string | null {
  if (!s.lastPurchaseAt || s.churnThresholdHours === null) return null;
  const since = Math.floor((now.getTime() - s.lastPurchaseAt.getTime()) / millisecondsInDay);
  const rhythm =
    s.churnBasis === 'own' && s.typicalGapHours !== null
      ? `usually every ${hoursToDays(s.typicalGapHours)} days, now ${since}`
      : `customers usually return within ${hoursToDays(s.churnThresholdHours)} days, now ${since}`;
  const signal = satisfaction ? satisfactionSignal(s, satisfaction) : null;
  if (signal === 'falling')
    return `${rhythm}; satisfaction falling: ${s.satisfaction} of 100, down ${-s.satisfactionTrend!} points per answer`;
  if (signal === 'low') return `${rhythm}; satisfaction low: ${s.satisfaction} of 100`;
  return rhythm;
}

/** Categories by spend, largest first (ties by code), at most `limit`. */
export function topCategories(
  categories: Readonly<Record<string, number>>,
  limit = 5,
): Array<{ category: string; spend: number }> {
  return Object.entries(categories)
    .filter(([, v]) => v > 0)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, limit)
    .map(([category, spend]) => ({ category, spend }));
}
