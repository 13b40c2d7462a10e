/**
 * A customer's statistics from their purchases, and churn risk from their own rhythm of visits.
 * Pure: the rebuild and the per-sale update both call {@link statsFromVisits}, so they agree exactly.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

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

/** Statistics from a customer's visits in time order, as of `now`. */
export function statsFromVisits(visits: readonly VisitGroup[], now: Date, settings: StatsSettings): PurchaseFigures {
  const windowStart = now.getTime() - settings.windowDays * DAY_MS;
  let count = 0;
  let spend = 0;
  let windowVisits = 0;
  let windowSpend = 0;
  const gaps: number[] = [];
  let previous: number | null = null;
  for (const v of visits) {
    const t = v.at.getTime();
    const net = v.total - v.refunded;
    if (previous !== null) gaps.push(Math.round((t - previous) / HOUR_MS));
    // Several purchases at one instant are visits with no gap between them.
    for (let i = 1; i < v.count; i++) gaps.push(0);
    if (gaps.length > settings.maxGaps * 2) gaps.splice(0, gaps.length - settings.maxGaps);
    previous = t;
    count += v.count;
    spend += net;
    if (t >= windowStart) {
      windowVisits += v.count;
      windowSpend += net;
    }
  }
  if (gaps.length > settings.maxGaps) gaps.splice(0, gaps.length - settings.maxGaps);
  return {
    firstPurchaseAt: visits.length ? new Date(visits[0]!.at.getTime()) : null,
    lastPurchaseAt: visits.length ? new Date(visits[visits.length - 1]!.at.getTime()) : null,
    visits: count,
    spend,
    avgBasket: count ? Math.round(spend / count) : 0,
    windowVisits,
    windowSpend,
    gaps,
    typicalGapHours: median(gaps),
  };
}

/** The lower median, or null for no values. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

/** The nearest-rank percentile `p` (0-100] of values, or null for none. */
export function percentile(values: ArrayLike<number>, p: number, sorted = false): number | null {
  const n = values.length;
  if (n === 0) return null;
  const s = sorted ? values : Array.from(values).sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * n) - 1)]!;
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
export function churnThreshold(gaps: readonly number[], settings: ChurnSettings, populationHours: number | null): ChurnThreshold | null {
  if (gaps.length >= settings.minGaps) return { hours: Math.max(settings.minHours, percentile(gaps, settings.percentile)!), basis: 'own' };
  if (populationHours !== null) return { hours: Math.max(settings.minHours, populationHours), basis: 'population' };
  return null;
}

/** The instant a customer becomes overdue, or null. */
export function overdueAt(lastPurchaseAt: Date | null, threshold: ChurnThreshold | null): Date | null {
  return lastPurchaseAt && threshold ? new Date(lastPurchaseAt.getTime() + threshold.hours * HOUR_MS) : null;
}

/** Whole days, rounded, of a number of hours. */
export function hoursToDays(hours: number): number {
  return Math.round(hours / 24);
}

/**
 * Why a customer is at risk, in words: "usually every 6 days, now 23" (own rhythm) or
 * "customers usually return within 30 days, now 45" (population fallback).
 */
export function churnReason(s: { lastPurchaseAt: Date | null; typicalGapHours: number | null; churnBasis: string | null; churnThresholdHours: number | null }, now: Date): string | null {
  if (!s.lastPurchaseAt || s.churnThresholdHours === null) return null;
  const since = Math.floor((now.getTime() - s.lastPurchaseAt.getTime()) / DAY_MS);
  if (s.churnBasis === 'own' && s.typicalGapHours !== null) return `usually every ${hoursToDays(s.typicalGapHours)} days, now ${since}`;
  return `customers usually return within ${hoursToDays(s.churnThresholdHours)} days, now ${since}`;
}

/** Categories by spend, largest first (ties by code), at most `limit`. */
export function topCategories(categories: Readonly<Record<string, number>>, limit = 5): Array<{ category: string; spend: number }> {
  return Object.entries(categories)
    .filter(([, v]) => v > 0)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, limit)
    .map(([category, spend]) => ({ category, spend }));
}
