/**
 * Tiers: levels qualified by points or spend within a rolling window of months or a calendar year.
 * A member moves up as soon as they qualify and down only at a review date. Pure: the service keeps
 * monthly totals and asks these functions what they mean.
 */
import { codeSchema } from '@clientele/core/module';
import * as z from 'zod';
import { monthKeyAfter, startOfLocalDate, localTime, addDaysToDate, addMonthsToDate } from './local-time.js';

const monthDay = z.string().regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'review dates are MM-DD');

/** Schema of the tier configuration. */
export const tiersSchema = z
  .object({
    /** What qualifies: points earned from purchases and activities, or net spend, both after returns. */
    basis: z.enum(['points', 'spend']),
    /** The qualifying window: the last N months (this month included) or the calendar year so far. */
    window: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('rolling'), months: z.number().int().min(1).max(36) }).strict(),
      z.object({ kind: z.literal('calendar-year') }).strict(),
    ]),
    /** When a member may move down: N months after their tier last changed, or every year on a date. */
    review: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('anniversary'), months: z.number().int().min(1).max(36) }).strict(),
      z.object({ kind: z.literal('yearly'), on: monthDay }).strict(),
    ]),
    /** Levels from lowest to highest; the first has threshold 0 (everyone starts there). */
    levels: z
      .array(
        z
          .object({
            code: codeSchema,
            name: z.string().min(1).max(100),
            /** Points, or minor units of spend, within the window. */
            threshold: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
          })
          .strict(),
      )
      .min(1)
      .max(20),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.levels[0] && t.levels[0].threshold !== 0)
      ctx.addIssue({
        code: 'custom',
        path: ['levels', 0, 'threshold'],
        message: 'the lowest tier has threshold 0: every member starts in it',
      });
    const seen = new Set<string>();
    t.levels.forEach((l, i) => {
      if (seen.has(l.code))
        ctx.addIssue({ code: 'custom', path: ['levels', i, 'code'], message: `tier ${l.code} is listed twice` });
      seen.add(l.code);
      const prev = t.levels[i - 1];
      if (prev && l.threshold <= prev.threshold)
        ctx.addIssue({
          code: 'custom',
          path: ['levels', i, 'threshold'],
          message: `tier ${l.code} needs more than tier ${prev.code} (${prev.threshold})`,
        });
    });
  });
/** The tier configuration. */
export type TiersConfig = z.output<typeof tiersSchema>;

/** The highest level whose threshold `amount` reaches. */
export function qualifiedLevel(tiers: TiersConfig, amount: number): string {
  let code = tiers.levels[0]!.code;
  for (const l of tiers.levels) if (amount >= l.threshold) code = l.code;
  return code;
}

/** Position of a level (higher is better; -1 when unknown). */
export function levelRank(tiers: TiersConfig, code: string | null): number {
  return code === null ? -1 : tiers.levels.findIndex((l) => l.code === code);
}

/** The months (`YYYY-MM`, both included) whose totals count at local date `date`. */
export function windowMonths(tiers: TiersConfig, date: string): { from: string; to: string } {
  const to = date.slice(0, 7);
  if (tiers.window.kind === 'calendar-year') return { from: `${date.slice(0, 4)}-01`, to };
  return { from: monthKeyAfter(date, 1 - tiers.window.months), to };
}

/** The next review after a tier change (or a review) at `at`, in `timeZone`. */
export function nextReview(tiers: TiersConfig, at: Date, timeZone: string): Date {
  const today = localTime(at, timeZone).date;
  if (tiers.review.kind === 'anniversary') {
    // A change on 31 January reviews on the last day of the month.
    return startOfLocalDate(addMonthsToDate(today, tiers.review.months), timeZone);
  }
  const on = tiers.review.on;
  let year = Number(today.slice(0, 4));
  if (`${year}-${on}` <= today) year += 1;
  // Counted from the first of the month, so 29 February in a year without it reviews on 1 March.
  const date = addDaysToDate(`${year}-${on.slice(0, 2)}-01`, Number(on.slice(3)) - 1);
  return startOfLocalDate(date, timeZone);
}
