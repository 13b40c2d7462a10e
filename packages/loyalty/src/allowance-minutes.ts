/**
 * How long an offline allowance may last, apart from the allowance commands (`offline-allowances.ts`),
 * so that a till that checks its settings against the limit does not carry the commands' inputs.
 */
import * as z from 'zod';

/** The longest an offline allowance may last: a week, in minutes. */
export const MAX_ALLOWANCE_MINUTES = 7 * 24 * 60;

/** Minutes an offline allowance lasts: default a day, at most a week. */
export const allowanceMinutesSchema = z
  .number()
  .int()
  .positive()
  .max(MAX_ALLOWANCE_MINUTES)
  .default(24 * 60);
