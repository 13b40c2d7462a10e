/**
 * Local calendar facts of an instant in a store's time zone (date, weekday, minute of day), the
 * instants a local date begins and ends, and the period keys caps, budgets and usage limits count
 * in. Pure. Wall-clock fields come from `TZDateMini` (`TZDate` without its formatting, which nothing
 * here needs); arithmetic on calendar dates (days, months, ISO weeks) is date-fns on `UTCDateMini`
 * (`UTCDate` likewise without formatting), where no change of offset and no setting of the host can
 * move a date.
 */
import { WEEKDAYS, type Weekday } from '@clientele/core/module';
import { TZDateMini } from '@date-fns/tz/date/mini';
import { tzOffset } from '@date-fns/tz/tzOffset';
import { UTCDateMini } from '@date-fns/utc/date/mini';
import { addDays, addMonths, endOfMonth, getISOWeek, getISOWeekYear, lightFormat } from 'date-fns';
import { millisecondsInHour, millisecondsInMinute } from 'date-fns/constants';

/** An instant seen on a store's wall clock. */
export interface LocalTime {
  /** `YYYY-MM-DD`. */
  date: string;
  year: number;
  /** 1-12. */
  month: number;
  /** 1-31. */
  day: number;
  weekday: Weekday;
  /** Minutes since local midnight. */
  minute: number;
}

const MAX_CACHED = 512;

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

const minutes = new Map<string, LocalTime>();
// A till quotes again and again within the same minute: the last answer is checked first.
let lastZone = '';
let lastMinute = Number.NaN;
let last: LocalTime | null = null;

/**
 * The local date, weekday and minute of `at` in `timeZone` (the same frozen object within a minute).
 *
 * Kept by the minute because the quote reads it on its hot path: building a `TZDate` on every call took
 * bench figure `quote.p99` from 41.6 to 67.9 µs and its p50 from 10.1 to 16.2 µs (medians of runs
 * alternated with the cached version), past the figure's 50 µs target.
 */
export function localTime(at: Date | number, timeZone: string): LocalTime {
  const ms = typeof at === 'number' ? at : at.getTime();
  const minute = Math.floor(ms / millisecondsInMinute);
  if (minute === lastMinute && timeZone === lastZone && last !== null) return last;
  const key = `${timeZone}|${minute}`;
  let lt = minutes.get(key);
  if (lt === undefined) {
    lt = Object.freeze(computeLocalTime(ms, timeZone));
    if (minutes.size >= MAX_CACHED) minutes.clear();
    minutes.set(key, lt);
  }
  lastZone = timeZone;
  lastMinute = minute;
  last = lt;
  return lt;
}

function computeLocalTime(ms: number, timeZone: string): LocalTime {
  const local = new TZDateMini(ms, timeZone);
  if (Number.isNaN(local.getTime())) throw new RangeError(`unknown time zone ${timeZone}`);
  const year = local.getFullYear();
  const month = local.getMonth() + 1;
  const day = local.getDate();
  return {
    date: `${year}-${pad2(month)}-${pad2(day)}`,
    year,
    month,
    day,
    weekday: WEEKDAYS[(local.getDay() + 6) % 7]!,
    minute: local.getHours() * 60 + local.getMinutes(),
  };
}

/** The zone's offset from UTC at `ms`, in milliseconds (east positive). */
function offsetAt(timeZone: string, ms: number): number {
  const offset = tzOffset(timeZone, new Date(ms));
  if (Number.isNaN(offset)) throw new RangeError(`unknown time zone ${timeZone}`);
  return offset * millisecondsInMinute;
}

// Every UTC offset in use lies within these bounds, so a local date begins within 26 hours of its
// midnight read as UTC.
const MAX_OFFSET = 14 * millisecondsInHour;
const MIN_OFFSET = -12 * millisecondsInHour;

/**
 * The first instant of local date `date` (`YYYY-MM-DD`) in `timeZone`: the instant the wall clock
 * first shows a time on that date.
 *
 * - Usually local midnight.
 * - When a change of offset skips midnight, the instant of the change: in America/Santiago the clock
 *   goes from 2026-09-05 23:59:59 to 2026-09-06 01:00, so the 6th begins at 01:00 (04:00 UTC).
 * - When a change of offset turns the clock back across midnight, the first time the clock shows the
 *   date (in St. John's before 2011, 00:01 went back to 23:01 of the day before: the day began at
 *   the first 00:00).
 * - A date the zone skipped altogether begins where the next existing date begins, so it is empty:
 *   Pacific/Apia went from 2011-12-29 23:59:59 to 2011-12-31 00:00, and 2011-12-30 begins, and
 *   ends, at the instant 2011-12-31 begins.
 *
 * Assumes at most one change of offset within the 26 hours the start can lie in: in the time zone
 * database no two changes of one zone from 1970 to 2100 are closer than a week.
 *
 * Found from the zone's offsets alone rather than as `startOfDay` of a `TZDate`: on a night the clocks
 * go back across midnight, `TZDate`'s wall-clock constructor gives the second of the two midnights in
 * some zones (Antarctica/Vostok 2023-12-18, Asia/Jerusalem 2001-09-24) and which one it gives depends
 * on the host's own time zone (under `TZ=Asia/Shanghai` the first); date-fns has no search for the
 * instant of a change either (`tzScan` finds the hour after it).
 */
export function startOfLocalDate(date: string, timeZone: string): Date {
  // The date begins at the first instant t whose wall time t + offset(t) reaches `wall`.
  const wall = calendarDate(date).getTime();
  let lo = wall - MAX_OFFSET;
  let hi = wall - MIN_OFFSET;
  const before = offsetAt(timeZone, lo);
  const after = offsetAt(timeZone, hi);
  if (before === after) return new Date(Math.round(wall - before));
  // The offset changes in (lo, hi]: find the first millisecond of the new offset.
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAt(timeZone, mid) === before) lo = mid;
    else hi = mid;
  }
  const change = hi;
  // Midnight under the old offset, if it comes before the change; else the change itself or midnight
  // under the new offset, whichever is later.
  if (wall - before < change) return new Date(Math.round(wall - before));
  return new Date(Math.round(Math.max(change, wall - after)));
}

/**
 * The instant local date `date` ends in `timeZone`: the first instant of the next date (see
 * {@link startOfLocalDate}). Something valid "through `date`" is valid before this instant.
 */
export function endOfLocalDate(date: string, timeZone: string): Date {
  return startOfLocalDate(addDaysToDate(date, 1), timeZone);
}

/** A calendar date `YYYY-MM-DD` as a `UTCDateMini`, for date-fns' calendar arithmetic. */
function calendarDate(date: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new UTCDateMini(y, m - 1, d);
}

/** `date` plus `days` calendar days. */
export function addDaysToDate(date: string, days: number): string {
  return lightFormat(addDays(calendarDate(date), days), 'yyyy-MM-dd');
}

/**
 * `date` plus `months` calendar months; a day the month lacks becomes its last (31 January plus one
 * month is 28 or 29 February).
 */
export function addMonthsToDate(date: string, months: number): string {
  return lightFormat(addMonths(calendarDate(date), months), 'yyyy-MM-dd');
}

/** The last calendar day of the month `months` after the month of `date`. */
export function endOfMonthAfter(date: string, months: number): string {
  return lightFormat(endOfMonth(addMonths(calendarDate(date), months)), 'yyyy-MM-dd');
}

/** `YYYY-MM` of the month `months` after the month of `date` (negative: before). */
export function monthKeyAfter(date: string, months: number): string {
  return lightFormat(addMonths(calendarDate(date), months), 'yyyy-MM');
}

/** Periods that caps, budgets and usage limits reset on. */
export const PERIODS = ['day', 'week', 'month', 'year', 'lifetime'] as const;
/** A period. `week` is the ISO week (Monday first); `lifetime` never resets. */
export type Period = (typeof PERIODS)[number];

function isoWeek(lt: LocalTime): string {
  // ISO 8601: weeks begin on Monday and belong to the year of their Thursday.
  const d = new UTCDateMini(lt.year, lt.month - 1, lt.day);
  return `${getISOWeekYear(d)}-W${pad2(getISOWeek(d))}`;
}

/** The key of the period containing `lt`: `2026-11-02`, `2026-W45`, `2026-11`, `2026`, `all`. */
export function periodKey(period: Period, lt: LocalTime): string {
  switch (period) {
    case 'day':
      return lt.date;
    case 'week':
      return isoWeek(lt);
    case 'month':
      return lt.date.slice(0, 7);
    case 'year':
      return String(lt.year);
    case 'lifetime':
      return 'all';
  }
}
