/**
 * When earned points expire: never, N days after the day they were earned, or at the end of a month
 * or year N months later, in the store's time zone. Points stay usable through the last day and
 * expire at the first instant of the next local date, whatever a change of offset does to midnight
 * (see `endOfLocalDate`). Pure.
 */
import * as z from 'zod';
import { addDaysToDate, endOfLocalDate, endOfMonthAfter, localTime } from './local-time.js';

/** Schema of an expiry policy. */
export const expiryPolicySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('never') }).strict(),
  z.object({ kind: z.literal('days'), days: z.number().int().min(1).max(3650) }).strict(),
  z.object({ kind: z.literal('end-of-month'), afterMonths: z.number().int().min(0).max(120) }).strict(),
  z.object({ kind: z.literal('end-of-year'), afterMonths: z.number().int().min(0).max(120) }).strict(),
]);
/** An expiry policy. */
export type ExpiryPolicy = z.output<typeof expiryPolicySchema>;

/** When a lot expires: its last usable local date and the instant it expires. */
export interface Expiry {
  /** `YYYY-MM-DD`: the points can be used through this day. */
  lastDay: string;
  /**
   * The first instant of the local date after `lastDay`: usually the midnight that ends it; when the
   * clock skips midnight (America/Santiago, 2026-09-06 starts at 01:00), the instant the next date
   * begins; when the next date was skipped altogether (Pacific/Apia, 2011-12-30), the start of the
   * first date that exists after `lastDay`.
   */
  expiresAt: Date;
}

/** The expiry of points earned at `earnedAt` in `timeZone` under `policy`; `null` when they never expire. */
export function expiryOf(policy: ExpiryPolicy, earnedAt: Date, timeZone: string): Expiry | null {
  const earned = localTime(earnedAt, timeZone).date;
  let lastDay: string;
  switch (policy.kind) {
    case 'never':
      return null;
    case 'days':
      lastDay = addDaysToDate(earned, policy.days);
      break;
    case 'end-of-month':
      lastDay = endOfMonthAfter(earned, policy.afterMonths);
      break;
    case 'end-of-year': {
      const month = endOfMonthAfter(earned, policy.afterMonths);
      lastDay = `${month.slice(0, 4)}-12-31`;
      break;
    }
  }
  return { lastDay, expiresAt: endOfLocalDate(lastDay, timeZone) };
}

/** Describes a policy in words for documents and receipts. */
export function describeExpiry(policy: ExpiryPolicy): string {
  switch (policy.kind) {
    case 'never':
      return 'points never expire';
    case 'days':
      return `points expire ${policy.days} days after the day they are earned`;
    case 'end-of-month':
      return policy.afterMonths === 0
        ? 'points expire at the end of the month they are earned in'
        : `points expire at the end of the month ${policy.afterMonths} months after they are earned`;
    case 'end-of-year':
      return policy.afterMonths === 0
        ? 'points expire at the end of the year they are earned in'
        : `points expire at the end of the year ${policy.afterMonths} months after they are earned`;
  }
}
