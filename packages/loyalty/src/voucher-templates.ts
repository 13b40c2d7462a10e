/**
 * Voucher templates: what a voucher is worth (a face value, or a percentage with a maximum), the
 * minimum spend, validity (fixed dates or N days from issue), the categories and stores it applies
 * to, whether it stacks with other vouchers, how many one customer may hold, what a partial return
 * does to it, and what it costs in points when members convert points into it. Pure.
 */
import { codeSchema, dateSchema, minorUnitsSchema, shortTextSchema } from '@clientele/core/module';
import * as z from 'zod';
import { labelSchema } from './basket.js';
import { addDaysToDate, localTime, startOfLocalDate } from './local-time.js';

const positiveMinor = minorUnitsSchema.refine((n) => n > 0, 'must be more than 0');

/** What a voucher takes off a sale. */
export const voucherValueSchema = z.discriminatedUnion('kind', [
  /** A fixed amount (minor units), never more than the eligible part of the sale. */
  z.object({ kind: z.literal('amount'), amount: positiveMinor }).strict(),
  /** A whole percentage of the eligible part of the sale (rounded down), at most `max` minor units. */
  z
    .object({
      kind: z.literal('percent'),
      percent: z.number().int('percentages are whole').min(1).max(100),
      max: positiveMinor,
    })
    .strict(),
]);
/** What a voucher takes off a sale. */
export type VoucherValue = z.output<typeof voucherValueSchema>;

/** When a voucher can be used. */
export const validitySchema = z.discriminatedUnion('kind', [
  /** From issue through the end of the local day `days` days later (program time zone). */
  z.object({ kind: z.literal('days'), days: z.number().int().min(1).max(3650) }).strict(),
  /** From the start of `from` through the end of `until` (local dates, program time zone). */
  z
    .object({ kind: z.literal('fixed'), from: dateSchema, until: dateSchema })
    .strict()
    .refine((v) => v.from <= v.until, { message: 'until is before from', path: ['until'] }),
]);
/** When a voucher can be used. */
export type Validity = z.output<typeof validitySchema>;

/**
 * What a return that leaves the sale under the minimum spend does to its voucher:
 * `keep` the discount stays with the customer; `deduct` its value is taken off the refund;
 * `restore` its value is taken off the refund and the voucher comes back (while still valid).
 */
export const RETURN_RULES = ['keep', 'deduct', 'restore'] as const;
/** A template's return rule. */
export type ReturnRule = (typeof RETURN_RULES)[number];

/** Input of `vouchers.defineTemplate`. */
export const voucherTemplateSchema = z
  .object({
    id: codeSchema,
    name: shortTextSchema,
    value: voucherValueSchema,
    /** The eligible part of the sale must come to at least this (minor units). */
    minSpend: minorUnitsSchema.default(0),
    validity: validitySchema,
    /** Categories the voucher applies to (omit: every category). */
    categories: z.array(labelSchema).min(1).max(200).optional(),
    /** Categories it never applies to (tobacco, gift cards, stored-value cards). */
    excludeCategories: z.array(labelSchema).max(200).default([]),
    /** Stores that take it (omit: every store of the chain). */
    stores: z.array(codeSchema).min(1).max(1000).optional(),
    /** Whether it may be used in one sale with other vouchers. */
    stackable: z.boolean().default(false),
    /** How many unused vouchers of this template one customer may hold at once. */
    perCustomer: z.number().int().min(1).max(1000).optional(),
    /** What a partial return that leaves the sale under `minSpend` does (see {@link RETURN_RULES}). */
    belowMinimumOnReturn: z.enum(RETURN_RULES).default('keep'),
    /**
     * Members may buy it with points: `points` per voucher, when they hold at least `minPoints`, at most `perDay` a
     * day.
     */
    conversion: z
      .object({
        points: z.number().int().positive().max(100_000_000),
        minPoints: z.number().int().min(0).max(100_000_000).default(0),
        perDay: z.number().int().min(1).max(100).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    for (const [i, c] of (t.categories ?? []).entries()) {
      if (t.excludeCategories.includes(c))
        ctx.addIssue({
          code: 'custom',
          path: ['categories', i],
          message: `${c} is also excluded`,
          params: { code: 'contradiction' },
        });
    }
  });
/** A template as a back office writes it. */
export type VoucherTemplateInput = z.input<typeof voucherTemplateSchema>;
/** A template after validation. */
export type VoucherTemplate = z.output<typeof voucherTemplateSchema>;

/** The terms a voucher carries from its template: changing the template later never changes them. */
export interface VoucherTerms {
  templateId: string;
  name: string;
  value: VoucherValue;
  minSpend: number;
  categories: string[] | null;
  excludeCategories: string[];
  stores: string[] | null;
  stackable: boolean;
  belowMinimumOnReturn: ReturnRule;
}

/** The terms of a voucher issued from `template`. */
export function termsOf(template: VoucherTemplate): VoucherTerms {
  return {
    templateId: template.id,
    name: template.name,
    value: template.value,
    minSpend: template.minSpend,
    categories: template.categories ?? null,
    excludeCategories: template.excludeCategories,
    stores: template.stores ?? null,
    stackable: template.stackable,
    belowMinimumOnReturn: template.belowMinimumOnReturn,
  };
}

/** The most a voucher can take off a sale: what authority and liability count it at. */
export function faceValueOf(value: VoucherValue): number {
  return value.kind === 'amount' ? value.amount : value.max;
}

/**
 * When a voucher issued at `issuedAt` can be used: `[from, until)`. `null` when a fixed validity has
 * already ended (nothing left to issue).
 */
export function validityOf(validity: Validity, issuedAt: Date, timeZone: string): { from: Date; until: Date } | null {
  if (validity.kind === 'days') {
    const today = localTime(issuedAt, timeZone).date;
    return { from: issuedAt, until: startOfLocalDate(addDaysToDate(today, validity.days + 1), timeZone) };
  }
  const until = startOfLocalDate(addDaysToDate(validity.until, 1), timeZone);
  if (until.getTime() <= issuedAt.getTime()) return null;
  return { from: startOfLocalDate(validity.from, timeZone), until };
}
