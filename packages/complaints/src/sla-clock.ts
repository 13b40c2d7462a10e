/**
 * Service-level time in business hours (a store's, or a calendar the configuration names): due times,
 * pauses while a case waits on the customer, and time spent. Pure and exact to the millisecond, built
 * on core's business calendar.
 *
 * The clock looks a bounded way ahead for opening time ({@link SLA_HORIZON_DAYS}), so a due time is
 * found in bounded work. What it cannot place there it reports (`null`, or a typed error), never a
 * plain `RangeError`.
 */
import {
  InvalidStateError,
  WEEKDAYS,
  invalid,
  openIntervals,
  type BusinessCalendar,
  type OpeningHours,
} from '@clientele/core/module';
import { millisecondsInDay, millisecondsInMinute, minutesInDay, minutesInHour } from 'date-fns/constants';

/** How far the clock looks for opening time: local calendar days after the day it starts on. */
export const SLA_HORIZON_DAYS = 366;

/**
 * The longest time, in business minutes, that every calendar open round the clock can place within
 * the horizon from any instant: 365 whole days (the first day may be all but over, and time-zone
 * changes take at most a few hours from the 366 that follow). A time limit above it can never be
 * placed, so the configuration refuses it; below it, whether a store's calendar can place it depends
 * on the store's hours and holidays.
 */
export const MAX_PLACEABLE_MINUTES = (SLA_HORIZON_DAYS - 1) * minutesInDay;

/**
 * Where a due time that falls exactly at closing time is put: `keep` leaves it at the closing instant
 * (Monday 20:00), `next-opening` moves it to the next opening (Tuesday 08:00, or Wednesday 10:00 across a
 * holiday). Both are the same instant in business time; they differ in what a customer is shown and in when
 * `runDue` finds the clock run out.
 */
export const DUE_AT_CLOSING = ['keep', 'next-opening'] as const;
/** Where a due time that falls exactly at closing is put (see {@link DUE_AT_CLOSING}). */
export type DueAtClosing = (typeof DUE_AT_CLOSING)[number];

/** Round-the-clock opening, used for a store that has no opening hours on record. */
export const ALWAYS_OPEN: OpeningHours = Object.fromEntries(
  WEEKDAYS.map((d) => [d, [['00:00', '24:00']]]),
) as OpeningHours;

/**
 * A calendar as service-level clocks use it: as it is, or round the clock when it has no opening hours
 * at all (a web desk, or a named calendar given none), so a due time always exists.
 */
export function slaCalendar(calendar: BusinessCalendar): BusinessCalendar {
  const hasHours = WEEKDAYS.some((d) => (calendar.openingHours[d] ?? []).length > 0);
  return hasHours ? calendar : { ...calendar, openingHours: ALWAYS_OPEN };
}

/**
 * The instant `ms` of opening time after `from`. Time while the store is closed does not count. A due
 * time that falls exactly at closing time stays there with `dueAtClosing` `keep` (the default) and
 * moves to the next opening with `next-opening`: the same moment in business time. When the calendar
 * has too little opening time within {@link SLA_HORIZON_DAYS} days it throws `INVALID_STATE` with
 * `details.reason` `beyond_sla_horizon`.
 */
export function addBusinessTime(
  calendar: BusinessCalendar,
  from: Date,
  ms: number,
  dueAtClosing: DueAtClosing = 'keep',
): Date {
  const at = placeBusinessTime(calendar, from, ms, dueAtClosing);
  if (at) return at;
  const openMinutes = Math.floor(openTimeWithinHorizon(calendar, from) / millisecondsInMinute);
  throw new InvalidStateError(
    `cannot place ${ms / millisecondsInMinute} business minutes: within the ${SLA_HORIZON_DAYS} days the ` +
      `clock looks ahead the calendar is open ${openMinutes} ` +
      `business minutes, and a due time must fall ${lastPlace(dueAtClosing)}`,
    { reason: 'beyond_sla_horizon', horizonDays: SLA_HORIZON_DAYS },
  );
}

/** Where the last due time the horizon allows may fall, for messages. */
export function lastPlace(dueAtClosing: DueAtClosing): string {
  return dueAtClosing === 'keep' ? 'by the time the last of them ends' : 'before the last of them ends';
}

/**
 * Like {@link addBusinessTime}, but `null` when the calendar has too little opening time within
 * {@link SLA_HORIZON_DAYS} days of `from`: less than `ms` with `keep`, no more than `ms` with
 * `next-opening` (which needs an opening after it). `ms` must be a whole, non-negative number
 * (`VALIDATION_FAILED` otherwise).
 */
export function placeBusinessTime(
  calendar: BusinessCalendar,
  from: Date,
  ms: number,
  dueAtClosing: DueAtClosing = 'keep',
): Date | null {
  if (!Number.isSafeInteger(ms) || ms < 0)
    throw invalid(['ms'], 'not_whole', 'business time is a non-negative whole number of milliseconds');
  let remaining = ms;
  const atClosing = dueAtClosing === 'keep';
  for (const interval of openIntervals(calendar, from, SLA_HORIZON_DAYS)) {
    const length = interval.end.getTime() - interval.start.getTime();
    if (remaining < length || (atClosing && remaining === length))
      return new Date(interval.start.getTime() + remaining);
    remaining -= length;
  }
  return null;
}

/** All the opening time, in milliseconds, the clock can count from `from` within its horizon. */
export function openTimeWithinHorizon(calendar: BusinessCalendar, from: Date): number {
  let total = 0;
  for (const interval of openIntervals(calendar, from, SLA_HORIZON_DAYS))
    total += interval.end.getTime() - interval.start.getTime();
  return total;
}

/**
 * Opening minutes in an ordinary week of the calendar (no holidays, no clock change), for messages and sizing limits.
 */
export function weeklyOpenMinutes(calendar: BusinessCalendar): number {
  let total = 0;
  for (const day of WEEKDAYS) {
    const spans = (calendar.openingHours[day] ?? [])
      .map(([a, b]) => [toMinutes(a), toMinutes(b)] as [number, number])
      .sort((x, y) => x[0] - y[0]);
    let end = -1;
    for (const [a, b] of spans) {
      // Overlapping intervals of one day count once, as the clock merges them.
      const start = Math.max(a, end);
      if (b > start) total += b - start;
      end = Math.max(end, b);
    }
  }
  return total;
}

function toMinutes(hhmm: string): number {
  // A day may close at 23:59:59, its last second included: midnight, as 24:00.
  if (hhmm === '23:59:59') return minutesInDay;
  return Number(hhmm.slice(0, 2)) * minutesInHour + Number(hhmm.slice(3, 5));
}

/** Business minutes after `from` (see {@link addBusinessTime}). */
export function addBusinessMinutesExact(
  calendar: BusinessCalendar,
  from: Date,
  minutes: number,
  dueAtClosing: DueAtClosing = 'keep',
): Date {
  return addBusinessTime(calendar, from, Math.round(minutes * millisecondsInMinute), dueAtClosing);
}

/** Opening time between two instants in milliseconds; 0 when `to` is not after `from`. */
export function businessTimeBetween(calendar: BusinessCalendar, from: Date, to: Date): number {
  const end = to.getTime();
  if (end <= from.getTime()) return 0;
  // A bound on the local days to look through, not a count of them: whole 24-hour days plus two covers
  // every local date the span touches, however the offset changes on the way.
  const days = Math.ceil((end - from.getTime()) / millisecondsInDay) + 2;
  let total = 0;
  for (const interval of openIntervals(calendar, from, days)) {
    if (interval.start.getTime() >= end) break;
    total += Math.min(interval.end.getTime(), end) - interval.start.getTime();
  }
  return total;
}

/**
 * Where a due time moves when a case that was paused (waiting on the customer) resumes: the business
 * time that was left at the pause is counted again from the resumption. So the due time moves by
 * exactly the business time the pause lasted.
 */
export function resumedDue(
  calendar: BusinessCalendar,
  due: Date,
  pausedAt: Date,
  resumedAt: Date,
  dueAtClosing: DueAtClosing = 'keep',
): Date {
  return addBusinessTime(calendar, resumedAt, businessTimeBetween(calendar, pausedAt, due), dueAtClosing);
}

/** The two clocks of one level: acknowledge by, resolve by (null when the level sets no resolve limit). */
export interface LevelDeadlines {
  acknowledgeBy: Date;
  resolveBy: Date | null;
}

/**
 * Due times of a level entered at `enteredAt`, from limits in business minutes. A response-only
 * agreement (no `resolve` limit) has no resolve due time.
 */
export function levelDeadlines(
  calendar: BusinessCalendar,
  enteredAt: Date,
  limits: { acknowledge: number; resolve?: number | undefined },
  dueAtClosing: DueAtClosing = 'keep',
): LevelDeadlines {
  return {
    acknowledgeBy: addBusinessMinutesExact(calendar, enteredAt, limits.acknowledge, dueAtClosing),
    resolveBy:
      limits.resolve === undefined ? null : addBusinessMinutesExact(calendar, enteredAt, limits.resolve, dueAtClosing),
  };
}

/** What falls due next on an open case. */
export type DueKind = 'acknowledge' | 'resolve' | 'execution';

/** The pending clocks of a case; a clock that was met, or whose miss was already acted on, is null. */
export interface CaseClocks {
  acknowledgeBy: Date | null;
  resolveBy: Date | null;
  /** An execution task's due time, until it is done or its lateness was acted on. */
  taskDueAt: Date | null;
  /** While waiting on the customer nothing falls due. */
  paused: boolean;
}

/** The earliest pending due time and what it is for, or null when nothing is pending. */
export function nextDue(clocks: CaseClocks): { at: Date; kind: DueKind } | null {
  if (clocks.paused) return null;
  const candidates: Array<{ at: Date; kind: DueKind }> = [];
  if (clocks.acknowledgeBy) candidates.push({ at: clocks.acknowledgeBy, kind: 'acknowledge' });
  if (clocks.resolveBy) candidates.push({ at: clocks.resolveBy, kind: 'resolve' });
  if (clocks.taskDueAt) candidates.push({ at: clocks.taskDueAt, kind: 'execution' });
  candidates.sort((a, b) => a.at.getTime() - b.at.getTime());
  return candidates[0] ?? null;
}
