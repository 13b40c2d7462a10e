/**
 * A store's business calendar: its time zone, opening hours and holidays. Pure; used to print local
 * times and, by later modules, to count service-level time in business hours.
 */
// `TZDateMini`: `TZDate` without its formatting, which nothing here needs (and a browser bundle need not carry).
import { TZDateMini } from '@date-fns/tz/date/mini';
import * as z from 'zod';
import { millisecondsInMinute, minutesInDay, minutesInHour } from 'date-fns/constants';

/** Weekday keys, Monday first. */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
/** A weekday key. */
export type Weekday = (typeof WEEKDAYS)[number];

/**
 * Opening intervals per weekday in local time, e.g. `{ mon: [['08:00', '22:00']] }`; a missing day is closed. A day
 * open to midnight closes at `24:00` or, the same, at `23:59:59`.
 */
export type OpeningHours = Partial<Record<Weekday, Array<[string, string]>>>;

/** Schema of an IANA time zone name that this runtime knows. */
export const timeZoneSchema = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'unknown time zone');

/** A business calendar. */
export interface BusinessCalendar {
  timeZone: string;
  openingHours: OpeningHours;
  /** Closed dates `YYYY-MM-DD` in local time. */
  holidays: readonly string[];
}

function minutes(hm: string): number {
  if (hm === '23:59:59') return minutesInDay;
  return Number(hm.slice(0, 2)) * minutesInHour + Number(hm.slice(3, 5));
}

/** The local calendar date `YYYY-MM-DD` of an instant in a time zone. */
export function localDate(at: Date, timeZone: string): string {
  const d = new TZDateMini(at.getTime(), timeZone);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** The local date and time `YYYY-MM-DD HH:MM` of an instant in a time zone, for receipts and timelines. */
export function localDateTime(at: Date, timeZone: string): string {
  const d = new TZDateMini(at.getTime(), timeZone);
  const time = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  return `${localDate(at, timeZone)} ${time}`;
}

function localParts(at: Date, timeZone: string): { date: string; weekday: Weekday; minute: number } {
  const d = new TZDateMini(at.getTime(), timeZone);
  return {
    date: localDate(at, timeZone),
    weekday: WEEKDAYS[(d.getDay() + 6) % 7]!,
    minute: d.getHours() * minutesInHour + d.getMinutes(),
  };
}

/** Whether the store is open at an instant. */
export function isOpen(calendar: BusinessCalendar, at: Date): boolean {
  const { date, weekday, minute } = localParts(at, calendar.timeZone);
  if (calendar.holidays.includes(date)) return false;
  return (calendar.openingHours[weekday] ?? []).some(([a, b]) => minute >= minutes(a) && minute < minutes(b));
}

/**
 * The instant `businessMinutes` of opening time after `from` (time while closed does not count), exact
 * across daylight-saving changes (counted over {@link openIntervals}). Looks ahead at most 366 days;
 * throws if the calendar never opens.
 */
export function addBusinessMinutes(calendar: BusinessCalendar, from: Date, businessMinutes: number): Date {
  if (!Number.isInteger(businessMinutes) || businessMinutes < 0)
    throw new RangeError('businessMinutes must be a non-negative integer');
  let remaining = businessMinutes * millisecondsInMinute;
  for (const { start, end } of openIntervals(calendar, from)) {
    const length = end.getTime() - start.getTime();
    if (remaining <= length) return new Date(start.getTime() + remaining);
    remaining -= length;
  }
  throw new RangeError('the calendar has no opening time within a year');
}

/** One stretch of opening time: open from `start` (inclusive) to `end` (exclusive). */
export interface OpenInterval {
  start: Date;
  end: Date;
}

/**
 * The store's opening intervals that end after `from`, in order; the first is clipped to start at
 * `from`. Overlapping or touching intervals of one day are merged. An instant is inside an interval
 * exactly when {@link isOpen} holds for it, to the millisecond, across daylight-saving changes: a time
 * the clocks skip opens the store at the jump (an 02:30 opening on the night clocks go from 02:00 to
 * 03:00 opens at 03:00), and an hour the clocks repeat is open each time its wall-clock time is within
 * the opening hours. So service-level clocks can add and subtract business time without drift. Looks
 * ahead `days` local days (default 366) and then stops.
 */
export function* openIntervals(calendar: BusinessCalendar, from: Date, days = 366): Generator<OpenInterval> {
  const fromMs = from.getTime();
  const first = new TZDateMini(fromMs, calendar.timeZone);
  const offsets = new OffsetReader(calendar.timeZone);
  for (let day = 0; day <= days; day++) {
    // The local day as a wall-clock instant read as UTC (midnight), so dates and weekdays need no zone.
    const wall = Date.UTC(first.getFullYear(), first.getMonth(), first.getDate() + day);
    if (calendar.holidays.includes(new Date(wall).toISOString().slice(0, 10))) continue;
    const weekday = WEEKDAYS[(new Date(wall).getUTCDay() + 6) % 7]!;
    const spans = [...(calendar.openingHours[weekday] ?? [])]
      .map(([a, b]) => [minutes(a), minutes(b)] as [number, number])
      .sort((x, y) => x[0] - y[0]);
    const merged: Array<[number, number]> = [];
    for (const span of spans) {
      const last = merged[merged.length - 1];
      if (last && span[0] <= last[1]) last[1] = Math.max(last[1], span[1]);
      else merged.push([...span]);
    }
    for (const [a, b] of merged) {
      const pieces = offsets.instantsShowing(wall + a * millisecondsInMinute, wall + b * millisecondsInMinute);
      for (const [pieceStart, pieceEnd] of pieces) {
        if (pieceEnd <= fromMs) continue;
        yield { start: new Date(Math.max(pieceStart, fromMs)), end: new Date(pieceEnd) };
      }
    }
  }
}

/** The widest offset from UTC any zone has had, with room: every instant that shows a wall-clock time is this close. */
const MAX_OFFSET = 15 * 60 * millisecondsInMinute;

/** A zone's offsets from UTC, read through the zone library; finds where they change to the millisecond. */
class OffsetReader {
  constructor(private readonly timeZone: string) {}

  /** The offset at `t` in milliseconds to add to UTC for the wall clock. */
  at(t: number): number {
    return -new TZDateMini(t, this.timeZone).getTimezoneOffset() * millisecondsInMinute;
  }

  /**
   * The instants whose wall-clock time (read as UTC) lies in `[wallStart, wallEnd)`, as ordered,
   * non-touching `[start, end)` pieces: one where the offset is the same throughout, two where the
   * clocks go back across the stretch and its repeated part is not contiguous with the rest.
   */
  instantsShowing(wallStart: number, wallEnd: number): Array<[number, number]> {
    const low = wallStart - MAX_OFFSET;
    const high = wallEnd + MAX_OFFSET;
    const before = this.at(low);
    const after = this.at(high);
    // At most one change in the day and a half around a stretch (the zone library has none closer together).
    const segments: Array<[number, number, number]> =
      before === after ? [[low, high, before]] : this.split(low, high, before, after);
    const pieces: Array<[number, number]> = [];
    for (const [segmentStart, segmentEnd, offset] of segments) {
      const start = Math.max(segmentStart, wallStart - offset);
      const end = Math.min(segmentEnd, wallEnd - offset);
      if (end <= start) continue;
      const last = pieces[pieces.length - 1];
      if (last && start <= last[1]) last[1] = Math.max(last[1], end);
      else pieces.push([start, end]);
    }
    return pieces;
  }

  /** `[low, high)` cut where the offset changes from `before` to `after`, found by halving. */
  private split(low: number, high: number, before: number, after: number): Array<[number, number, number]> {
    let a = low;
    let b = high;
    while (b - a > 1) {
      const mid = Math.floor((a + b) / 2);
      if (this.at(mid) === before) a = mid;
      else b = mid;
    }
    return [
      [low, b, before],
      [b, high, after],
    ];
  }
}
