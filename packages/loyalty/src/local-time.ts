/**
 * Local calendar facts of an instant in a store's time zone (date, weekday, minute of day) and the
 * period keys caps, budgets and usage limits count in. Pure. Offsets come from `@date-fns/tz` and are
 * cached per 15-minute window: every UTC offset in use is a multiple of 15 minutes, so a change of
 * offset always falls on such a boundary and a cached window never spans one.
 */
import { WEEKDAYS, type Weekday } from '@clientele/core';
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
    offset = tzOffset(timeZone, new Date(ms));
    if (Number.isNaN(offset)) throw new RangeError(`unknown time zone ${timeZone}`);
    if (offsets.size >= MAX_CACHED) offsets.clear();
    offsets.set(key, offset);
  }
  return offset;
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

/** The instant of local midnight starting `date` (`YYYY-MM-DD`) in `timeZone`. */
export function startOfLocalDate(date: string, timeZone: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const guess = Date.UTC(y, m - 1, d);
  // The offset at midnight may differ from the offset at the guess; two rounds settle it.
  let at = guess - offsetMinutes(timeZone, guess) * 60_000;
  at = guess - offsetMinutes(timeZone, at) * 60_000;
  return new Date(at);
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
