/** The events the segments module emits, by name. Payloads carry ids and figures, never personal data. */
import type { CommandContext, CoreEvents, EventHandlerEntry, Kernel } from '@clientele/core/module';

/** The module's event map: `area.past-tense` names to payloads. */
// A type alias (not an interface) so it is assignable to the generic event map.
export type SegmentEvents = {
  /** A customer entered a segment (on a rebuild, or at once after a sale or a change). */
  'segment.joined': { segmentId: string; customerId: string };
  /** A customer left a segment. */
  'segment.left': { segmentId: string; customerId: string };
  /** A segment definition was created or changed. */
  'segment.defined': { segmentId: string; version: number };
  /** A rebuild finished (or was cancelled after some chunks). */
  'segments.rebuilt': { customers: number; joined: number; left: number; parts: string[]; cancelled: boolean };
  /** A sale on account passed the credit limit and went through (warned, or approved by someone with authority). */
  'credit.limit-exceeded': {
    customerId: string;
    purchaseId: string;
    decision: 'warn' | 'approved';
    excess: number;
    approvedBy: string | null;
  };
  /** A payment on account was recorded. */
  'credit.payment-recorded': { customerId: string; entryId: string; amount: number; outstanding: number };
  /** A customer became a key account. */
  'key-account.designated': { customerId: string; score: number; representativeId: string | null };
  /** A customer stopped being a key account. */
  'key-account.dropped': { customerId: string; score: number };
  /** A key account's scheduled visit fell due (announced once per visit by `runDue`). */
  'key-account.visit-due': { customerId: string; representativeId: string | null; dueAt: string };
};

/**
 * A customer's satisfaction as the survey module reports it after each of their answers: the level and
 * trend of their latest answers (0-100, and points per answer), how many they gave and when the latest
 * was. The statistics row keeps it, rounded to whole points, for segment conditions and churn reasons.
 */
export interface SatisfactionFigures {
  /** Mean score (0-100) of the customer's latest answers. */
  level: number;
  /** Change of the score per answer over those answers (least squares), null with only one. */
  trend: number | null;
  /** Answers (responses) the customer gave in all. */
  responses: number;
  /** When the latest was given (ISO text or a `Date`). */
  at: string | Date;
}

/**
 * Events of other modules the segments module acts on, as far as it reads them (the complaints module's
 * `survey.answered` carries the customer's satisfaction); declared here so segments imports no other
 * module.
 */
export type ListenedEvents = {
  'survey.answered': { customerId?: string | null; satisfaction?: SatisfactionFigures | null };
};

/** The events the module's commands may emit and its handlers see: core's and its own. */
export type SegmentsEventMap = CoreEvents & SegmentEvents;

/** A command context that emits the module's events with their types checked. */
export type SegmentsContext = CommandContext<SegmentsEventMap>;

/** The shared runtime as the module sees it. */
export type SegmentsKernel = Kernel<SegmentsEventMap>;

/** A handler of an event, as the module's setup declares it. */
export type SegmentsHandler = EventHandlerEntry<SegmentsEventMap & ListenedEvents>;
