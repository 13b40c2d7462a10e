/** The till's input, checked with zod at its boundary. */
import { saleLineSchema } from '@clientele/core';
import { cardNumberSchema, codeSchema } from '@clientele/core/module';
import { MAX_ALLOWANCE_MINUTES, pinSchema } from '@clientele/loyalty';
import * as z from 'zod';

const methodSchema = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'payment methods are lower-case words');

/** Options of `createTill` besides the stores and the clock. */
export const tillSettingsSchema = z
  .object({
    terminalId: codeSchema,
    storeId: codeSchema,
    /** How long a call to central may take before the till sells offline (ms, default 2,000). */
    timeoutMs: z.number().int().positive().max(60_000).default(2000),
    /** After central could not be reached, how long the till sells offline before it asks again (ms). */
    retryAfterMs: z.number().int().min(0).max(3_600_000).default(5000),
    /**
     * A member's cached data younger than this (ms) is used without asking central again at a sale
     * (default 0: refreshed at every sale while central answers).
     */
    memberMaxAgeMs: z.number().int().min(0).max(86_400_000).default(0),
    /** How often the till replays its log and refreshes its cache by itself (ms; absent: only on `sync`). */
    refreshEveryMs: z.number().int().positive().max(86_400_000).optional(),
    /**
     * The offline allowances asked of central for each member seen here: points, and stored value on
     * each of their stored-value cards (minor units per card), reserved for this terminal to spend
     * while offline, and for how long (0: none, that cannot be spent offline).
     */
    allowance: z
      .object({
        points: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
        storedValue: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
        minutes: z
          .number()
          .int()
          .positive()
          .max(MAX_ALLOWANCE_MINUTES)
          .default(8 * 60),
      })
      .strict()
      .default({ points: 0, storedValue: 0, minutes: 8 * 60 }),
    /** The payment method of stored-value cards on central (`paymentMethods.storedValue`, default `stored-value`). */
    storedValueMethod: methodSchema.default('stored-value'),
    /** The payment method of what points do not pay (default `cash`). */
    tender: methodSchema.default('cash'),
  })
  .strict();

/** Settings of a till, as given. */
export type TillSettings = z.input<typeof tillSettingsSchema>;

/** A sale rung up at the till. */
export const tillSaleSchema = z
  .object({
    /** The receipt number (default: the terminal and the sale's sequence number, `T1-42`). */
    receiptNo: codeSchema.optional(),
    /** The member's card, when one is shown. */
    cardNumber: cardNumberSchema.optional(),
    lines: z.array(saleLineSchema).min(1, 'a sale has at least one line').max(1000),
    /** Points the member pays with (their money value is taken off what the tender pays). */
    points: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
    /** A voucher that pays part of the sale: its code and what it takes off (minor units). */
    voucher: z
      .object({ code: z.string().min(4).max(40), amount: z.number().int().positive().max(Number.MAX_SAFE_INTEGER) })
      .strict()
      .optional(),
    /**
     * A stored-value card that pays part of the sale: its number, what it pays (minor units), and the
     * card's PIN when it has one. Offline only within the allowance central reserved on that card for
     * this terminal (a card with a PIN gets none: it pays online only). The PIN goes to central with the
     * authorisation and is never written to the till's log.
     */
    storedValue: z
      .object({
        cardNumber: cardNumberSchema,
        amount: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
        pin: pinSchema.optional(),
      })
      .strict()
      .optional(),
    /** What pays the rest (default the till's `tender`). */
    tender: methodSchema.optional(),
  })
  .strict()
  .refine((s) => s.points === undefined || s.cardNumber !== undefined, {
    message: 'points are spent by a member: give the card',
    path: ['points'],
  });

/** Input of `till.ringUp`. */
export type TillSaleInput = z.input<typeof tillSaleSchema>;

/** Input of `till.quote`. */
export const tillQuoteSchema = z
  .object({
    cardNumber: cardNumberSchema.optional(),
    lines: z.array(saleLineSchema).min(1, 'a basket has at least one line').max(1000),
  })
  .strict();
/** Input of `till.quote`. */
export type TillQuoteInput = z.input<typeof tillQuoteSchema>;

/** Input of `till.reconciliation.settle`. */
export const settleSchema = z
  .object({
    id: z.string().min(1).max(20),
    /** Who settled it (a member of staff's id). */
    by: codeSchema,
    /** What was done: re-rung on central, points granted by hand, written off. */
    note: z.string().min(1).max(1000),
  })
  .strict();
/** Input of `till.reconciliation.settle`. */
export type SettleInput = z.input<typeof settleSchema>;

/** Input of `till.holdVoucher`. */
export const holdVoucherSchema = z
  .object({
    code: z.string().min(4).max(40),
    /** The member whose voucher it is (a member's voucher is held only for them). */
    cardNumber: cardNumberSchema.optional(),
  })
  .strict();
