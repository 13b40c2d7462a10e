/**
 * A case's service-level state as a person reads it, without a report: for the acknowledge clock
 * (first response at the level) and the resolve clock, the due time and whether it is running,
 * paused, fulfilled or failed; the business time the first response took and the time the clocks
 * stood still; and, for a paused case, the due times it would have if it resumed now. Pure: the caller
 * gives the calendar and the instant.
 */
import type { BusinessCalendar } from '@clientele/core/module';
import { businessTimeBetween, placeBusinessTime, type DueAtClosing } from './sla-clock.js';
import { millisecondsInSecond } from 'date-fns/constants';

/**
 * Where one clock stands: `running` (not yet due), `paused` (the case waits on the customer),
 * `fulfilled` (met by its due time), `failed` (met late, or not met by its due time), `none` (the
 * level sets no such limit: a response-only agreement has no resolve clock).
 */
export type SlaClockStatus = 'running' | 'paused' | 'fulfilled' | 'failed' | 'none';

/** One clock of the level a case is at. */
export interface SlaClock {
  /** The due time in force; null with no such limit. While paused, the due time from before the pause. */
  dueAt: Date | null;
  status: SlaClockStatus;
  /** When the clock was met (acknowledged at the level, resolved); null until then. */
  metAt: Date | null;
}

/** A case's service-level state (`case.sla`). */
export interface CaseSla {
  /** The configuration's calendar the level's clocks count in, or null for the store's own. */
  calendar: string | null;
  /** The acknowledge clock of the current level: the first response, or a new level's taking over. */
  acknowledge: SlaClock;
  /** The resolve clock of the current level. */
  resolve: SlaClock;
  /** Whether the case waits on the customer, its clocks standing still. */
  paused: boolean;
  /** Business seconds from opening to the first acknowledgement, paused time left out; null until acknowledged. */
  firstResponseBusinessSeconds: number | null;
  /** Business seconds the clocks have stood still: pauses (the current one up to now) and, after a reopening that
   * continued the clocks, the time the case was resolved or closed. */
  pausedBusinessSeconds: number;
  /** For a paused case, the due times it would have if it resumed now; null when not paused. */
  onResume: { acknowledgeBy: Date | null; resolveBy: Date | null } | null;
}

/** What {@link caseSla} reads of a case. */
export interface SlaFacts {
  slaCalendar: string | null;
  acknowledgeBy: Date;
  /** Null for a response-only level. */
  resolveBy: Date | null;
  levelAcknowledgedAt: Date | null;
  resolvedAt: Date | null;
  /** Pending clocks: null once met or once their miss was acted on. */
  ackDueAt: Date | null;
  resolveDueAt: Date | null;
  pausedAt: Date | null;
  pausedBusinessMs: number | null;
  firstResponseBusinessMs: number | null;
}

/**
 * The calendar the level's clocks count in, with its rule at closing; null when it is not known (no longer
 * configured).
 */
export interface SlaCalendar {
  calendar: BusinessCalendar;
  dueAtClosing: DueAtClosing;
}

/** Where one clock stands at `now`. */
export function clockStatus(
  due: Date | null,
  metAt: Date | null,
  pending: Date | null,
  pausedAt: Date | null,
  now: Date,
): SlaClockStatus {
  if (due === null) return 'none';
  if (metAt) return metAt.getTime() <= due.getTime() ? 'fulfilled' : 'failed';
  // Not met and no longer pending: its miss was acted on (escalated, or marked overdue at the top).
  if (pending === null) return 'failed';
  // A pause stops the clock where it was: one that ran out before the pause stays failed.
  if ((pausedAt ?? now).getTime() > due.getTime()) return 'failed';
  return pausedAt ? 'paused' : 'running';
}

/** The service-level state of a case at `now`, counted in `calendar` (the level's, or null when it is unknown). */
export function caseSla(facts: SlaFacts, calendar: SlaCalendar | null, now: Date): CaseSla {
  const { pausedAt } = facts;
  const current = pausedAt && calendar ? businessTimeBetween(calendar.calendar, pausedAt, now) : 0;
  const resumed = (due: Date | null) =>
    due && pausedAt && calendar
      ? placeBusinessTime(
          calendar.calendar,
          now,
          businessTimeBetween(calendar.calendar, pausedAt, due),
          calendar.dueAtClosing,
        )
      : null;
  const seconds = (ms: number) => Math.floor(ms / millisecondsInSecond);
  return {
    calendar: facts.slaCalendar,
    acknowledge: {
      dueAt: facts.acknowledgeBy,
      status: clockStatus(facts.acknowledgeBy, facts.levelAcknowledgedAt, facts.ackDueAt, pausedAt, now),
      metAt: facts.levelAcknowledgedAt,
    },
    resolve: {
      dueAt: facts.resolveBy,
      status: clockStatus(facts.resolveBy, facts.resolvedAt, facts.resolveDueAt, pausedAt, now),
      metAt: facts.resolveBy ? facts.resolvedAt : null,
    },
    paused: pausedAt !== null,
    firstResponseBusinessSeconds:
      facts.firstResponseBusinessMs === null ? null : seconds(facts.firstResponseBusinessMs),
    pausedBusinessSeconds: seconds((facts.pausedBusinessMs ?? 0) + current),
    onResume: pausedAt ? { acknowledgeBy: resumed(facts.acknowledgeBy), resolveBy: resumed(facts.resolveBy) } : null,
  };
}
