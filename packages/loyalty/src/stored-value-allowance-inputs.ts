/**
 * The inputs and the API of stored-value offline allowances, apart from the commands
 * (`stored-value-allowances.ts`), so the stored-value API can name them without importing the
 * commands that build on the stored-value service.
 */
import { cardNumberSchema, codeSchema, idSchema, type CommandOptions, type RowOf } from '@clientele/core/module';
import * as z from 'zod';
import type { storedValuePaymentsCollection } from './collections.js';
import { allowanceMinutesSchema } from './allowance-minutes.js';

const amountSchema = z
  .number()
  .int('amounts are whole minor units')
  .positive('amounts are positive')
  .max(Number.MAX_SAFE_INTEGER);

/** Input of `loyalty.storedValue.allowances.grant`. */
export const grantCardAllowanceSchema = z
  .object({
    cardNumber: cardNumberSchema,
    /** The amount reserved (minor units): refused with `INSUFFICIENT_BALANCE` when the card cannot spend it now. */
    amount: amountSchema,
    storeId: codeSchema,
    /** The terminal that may spend it offline, and only it. */
    terminalId: codeSchema,
    /** Minutes the allowance lasts (default a day, at most a week); afterwards its rest comes back. */
    minutes: allowanceMinutesSchema,
  })
  .strict();
/** Input of `loyalty.storedValue.allowances.grant`. */
export type GrantCardAllowanceInput = z.input<typeof grantCardAllowanceSchema>;

/** Input of `loyalty.storedValue.allowances.draw`. */
export const drawCardAllowanceSchema = z
  .object({
    allowanceId: idSchema,
    /** What one sale paid offline: it becomes an authorisation of its own, which the sale captures. */
    amount: amountSchema,
    /** The terminal drawing: it must be the one the allowance was granted to. */
    terminalId: codeSchema,
  })
  .strict();
/** Input of `loyalty.storedValue.allowances.draw`. */
export type DrawCardAllowanceInput = z.input<typeof drawCardAllowanceSchema>;

/** `crm.loyalty.storedValue.allowances`: offline allowances of stored value per card and terminal. */
export interface CardAllowancesApi {
  /**
   * Reserves an amount of a card that a terminal may spend while offline (refused with
   * `INSUFFICIENT_BALANCE` when the card cannot spend it now). Give the rest back with
   * `storedValue.cancelAuthorization`.
   */
  grant(input: GrantCardAllowanceInput, options: CommandOptions): Promise<RowOf<typeof storedValuePaymentsCollection>>;
  /** Moves what one offline sale paid from the allowance to an authorisation of its own, for the sale to capture. */
  draw(input: DrawCardAllowanceInput, options: CommandOptions): Promise<RowOf<typeof storedValuePaymentsCollection>>;
}
