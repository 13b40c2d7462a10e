/**
 * A store's business calendar: its time zone, opening hours and holidays. Pure; used to print local
 * times and, by later modules, to count service-level time in business hours.
 */
import { TZDate } from '@date-fns/tz';
import { z } from 'zod';
import { millisecondsInMinute, minutesInDay, minutesInHour, secondsInMinute } from 'date-fns/constants';

/** Weekday keys, Monday first. */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
/** A weekday key. */
export type Weekday = (typeof WEEKDAYS)[number];

/**
 * Opening intervals per weekday in local time, e.g. `{ mon: [['08:00', '22:00']] }`; a missing day is closed. A day
 * open to midnight closes at `24:00` or, the same, at `23:59:59`.
 */
export type OpeningHours = Partial<Record<Weekday, Array<[string, string]>>>;

const hhmm = z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$/, 'time must be HH:MM');
/** A closing time may also be `23:59:59`, the day's last second included: it closes at midnight, as `24:00` does. */
const closing = z
  .string()
  .regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$|^23:59:59$/, 'time must be HH:MM (a day may close at 23:59:59)');

/** Schema of {@link OpeningHours}: each interval opens before it closes. */
export const openingHoursSchema = z.partialRecord(
  z.enum(WEEKDAYS),
  z.array(z.tuple([hhmm, closing]).refine(([a, b]) => a < b, 'opening time must be before closing time')).max(6),
);

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
  const d = new TZDate(at.getTime(), timeZone);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** The local date and time `YYYY-MM-DD HH:MM` of an instant in a time zone, for receipts and timelines. */
export function localDateTime(at: Date, timeZone: string): string {
  const d = new TZDate(at.getTime(), timeZone);
  const time = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  return `${localDate(at, timeZone)} ${time}`;
}

function localParts(at: Date, timeZone: string): { date: string; weekday: Weekday; minute: number } {
  const d = new TZDate(at.getTime(), timeZone);
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
 * The instant `businessMinutes` of opening time after `from` (time while closed does not count).
 * Looks ahead at most 366 days; throws if the calendar never opens.
 */
export function addBusinessMinutes(calendar: BusinessCalendar, from: Date, businessMinutes: number): Date {
  if (!Number.isInteger(businessMinutes) || businessMinutes < 0)
    throw new RangeError('businessMinutes must be a non-negative integer');
  let remaining = businessMinutes;
  let cursor = new TZDate(from.getTime(), calendar.timeZone);
  for (let day = 0; day < 367; day++) {
    const date = localDate(cursor, calendar.timeZone);
    const weekday = WEEKDAYS[(cursor.getDay() + 6) % 7]!;
    const startMinute =
      day === 0 ? cursor.getHours() * minutesInHour + cursor.getMinutes() + cursor.getSeconds() / secondsInMinute : 0;
    if (!calendar.holidays.includes(date)) {
      const intervals = [...(calendar.openingHours[weekday] ?? [])].sort((x, y) => minutes(x[0]) - minutes(y[0]));
      for (const [a, b] of intervals) {
        const open = Math.max(minutes(a), startMinute);
        const close = minutes(b);
        if (open >= close) continue;
        if (remaining <= close - open) {
          const midnight = new TZDate(
            cursor.getFullYear(),
            cursor.getMonth(),
            cursor.getDate(),
            0,
            0,
            0,
            calendar.timeZone,
          );
          // Minutes elapsed since local midnight, not wall-clock minutes: on a day the clocks change, a
          // time after the change lands off by the change. The service-level clocks use openIntervals.
          return new Date(midnight.getTime() + (open + remaining) * millisecondsInMinute);
        }
        remaining -= close - open;
      }
    }
    cursor = new TZDate(cursor.getFullYear(), cursor.getMonth(), cursor.getDate() + 1, 0, 0, 0, calendar.timeZone);
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
 * `from`. Overlapping or touching intervals of one day are merged. Exact to the millisecond and
 * correct across daylight-saving changes, so service-level clocks can add and subtract business time
 * without drift. Looks ahead `days` local days (default 366) and then stops.
 */
export function* openIntervals(calendar: BusinessCalendar, from: Date, days = 366): Generator<OpenInterval> {
  const fromMs = from.getTime();
  const first = new TZDate(fromMs, calendar.timeZone);
  for (let day = 0; day <= days; day++) {
    const d = new TZDate(first.getFullYear(), first.getMonth(), first.getDate() + day, 0, 0, 0, calendar.timeZone);
    if (calendar.holidays.includes(localDate(d, calendar.timeZone))) continue;
    const weekday = WEEKDAYS[(d.getDay() + 6) % 7]!;
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
      // Local wall-clock times through the zone, so a 23- or 25-hour day is counted as it is.
      const start = new TZDate(
        d.getFullYear(),
        d.getMonth(),
        d.getDate(),
        Math.floor(a / minutesInHour),
        a % minutesInHour,
        0,
        calendar.timeZone,
      ).getTime();
      const end = new TZDate(
        d.getFullYear(),
        d.getMonth(),
        d.getDate(),
        Math.floor(b / minutesInHour),
        b % minutesInHour,
        0,
        calendar.timeZone,
      ).getTime();
      if (end <= start) continue;
      for (const [pieceStart, pieceEnd] of wallClockPieces(start, end, calendar.timeZone)) {
        if (pieceEnd <= fromMs || pieceEnd <= pieceStart) continue;
        yield { start: new Date(Math.max(pieceStart, fromMs)), end: new Date(pieceEnd) };
      }
    }
  }
}

/**
 * The instants from `start` to `end` whose wall-clock time lies in the stretch they were computed
 * from. When the clocks go back inside it, the hour they repeat starts before the stretch's opening
 * time on the second pass, so that part is left out: a stretch 01:30-02:00 on the night clocks go back
 * at 02:00 is open 01:30-02:00 before the change and 01:30-02:00 after it, not from 01:00.
 */
function wallClockPieces(start: number, end: number, timeZone: string): Array<[number, number]> {
  // Searched to the millisecond by hand: date-fns' `tzScan` reports a change only to the hour after it.
  const before = new TZDate(start, timeZone).getTimezoneOffset();
  const after = new TZDate(end - 1, timeZone).getTimezoneOffset();
  // Offsets grow when clocks go back (minutes west of UTC); springing forward skips time, repeats none.
  if (after <= before) return [[start, end]];
  let low = start;
  let high = end - 1;
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (new TZDate(mid, timeZone).getTimezoneOffset() === before) low = mid;
    else high = mid;
  }
  const change = high;
  return [
    [start, change],
    [Math.max(change, start + (after - before) * millisecondsInMinute), end],
  ];
}
