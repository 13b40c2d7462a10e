/**
 * Local calendar facts of an instant in a store's time zone (date, weekday, minute of day), the
 * instants a local date begins and ends, and the period keys caps, budgets and usage limits count
 * in. Pure. Offsets come from `@date-fns/tz` and are cached per 15-minute window of UTC, but only for
 * a window whose offset is the same at both ends: most changes of offset fall on such a boundary, yet
 * not all (St. John's changed at 00:01 local until 2011), and a window holding a change is asked
 * afresh each time.
 */
import { WEEKDAYS, type Weekday } from '@clientele/core/module';
import { tzOffset } from '@date-fns/tz';

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

const WINDOW = 15 * 60_000;
const MAX_CACHED = 512;
const offsets = new Map<string, number>();

/** UTC offset of `timeZone` at `ms`, in minutes (east positive). */
export function offsetMinutes(timeZone: string, ms: number): number {
  const key = `${timeZone}|${Math.floor(ms / WINDOW)}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    const start = Math.floor(ms / WINDOW) * WINDOW;
    offset = tzOffset(timeZone, new Date(start));
    if (Number.isNaN(offset)) throw new RangeError(`unknown time zone ${timeZone}`);
    // NaN marks a window the offset changes in: it is never answered from the cache.
    if (tzOffset(timeZone, new Date(start + WINDOW - 1)) !== offset) offset = Number.NaN;
    if (offsets.size >= MAX_CACHED) offsets.clear();
    offsets.set(key, offset);
  }
  return Number.isNaN(offset) ? tzOffset(timeZone, new Date(ms)) : offset;
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

const minutes = new Map<string, LocalTime>();
// A till quotes again and again within the same minute: the last answer is checked first.
let lastZone = '';
let lastMinute = Number.NaN;
let last: LocalTime | null = null;

/** The local date, weekday and minute of `at` in `timeZone` (the same frozen object within a minute). */
export function localTime(at: Date | number, timeZone: string): LocalTime {
  const ms = typeof at === 'number' ? at : at.getTime();
  const minute = Math.floor(ms / 60_000);
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
  const shifted = new Date(ms + offsetMinutes(timeZone, ms) * 60_000);
  const year = shifted.getUTCFullYear();
  const month = shifted.getUTCMonth() + 1;
  const day = shifted.getUTCDate();
  return {
    date: `${year}-${pad2(month)}-${pad2(day)}`,
    year,
    month,
    day,
    weekday: WEEKDAYS[(shifted.getUTCDay() + 6) % 7]!,
    minute: shifted.getUTCHours() * 60 + shifted.getUTCMinutes(),
  };
}

// Every UTC offset in use lies within these bounds, so a local date begins within 26 hours of its
// midnight read as UTC.
const MAX_OFFSET = 14 * 3_600_000;
const MIN_OFFSET = -12 * 3_600_000;

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
 */
export function startOfLocalDate(date: string, timeZone: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  // The date begins at the first instant t whose wall time t + offset(t) reaches `wall`.
  const wall = Date.UTC(y, m - 1, d);
  let lo = wall - MAX_OFFSET;
  let hi = wall - MIN_OFFSET;
  const before = offsetMinutes(timeZone, lo) * 60_000;
  const after = offsetMinutes(timeZone, hi) * 60_000;
  if (before === after) return new Date(Math.round(wall - before));
  // The offset changes in (lo, hi]: find the first millisecond of the new offset.
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetMinutes(timeZone, mid) * 60_000 === before) lo = mid;
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

/** `date` plus `days` calendar days. */
export function addDaysToDate(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return `${t.getUTCFullYear()}-${pad2(t.getUTCMonth() + 1)}-${pad2(t.getUTCDate())}`;
}

/** The last calendar day of the month `months` after the month of `date`. */
export function endOfMonthAfter(date: string, months: number): string {
  const [y, m] = date.split('-').map(Number) as [number, number];
  const t = new Date(Date.UTC(y, m + months, 0));
  return `${t.getUTCFullYear()}-${pad2(t.getUTCMonth() + 1)}-${pad2(t.getUTCDate())}`;
}

/** `YYYY-MM` of the month `months` after the month of `date` (negative: before). */
export function monthKeyAfter(date: string, months: number): string {
  const [y, m] = date.split('-').map(Number) as [number, number];
  const t = new Date(Date.UTC(y, m - 1 + months, 1));
  return `${t.getUTCFullYear()}-${pad2(t.getUTCMonth() + 1)}`;
}

/** Periods that caps, budgets and usage limits reset on. */
export const PERIODS = ['day', 'week', 'month', 'year', 'lifetime'] as const;
/** A period. `week` is the ISO week (Monday first); `lifetime` never resets. */
export type Period = (typeof PERIODS)[number];

function isoWeek(lt: LocalTime): string {
  // ISO 8601: the week belongs to the year of its Thursday.
  const t = Date.UTC(lt.year, lt.month - 1, lt.day);
  const dayIndex = WEEKDAYS.indexOf(lt.weekday);
  const thursday = new Date(t + (3 - dayIndex) * 86_400_000);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * 86_400_000)) + 1;
  return `${year}-W${pad2(week)}`;
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
