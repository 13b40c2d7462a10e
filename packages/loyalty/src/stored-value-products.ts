/**
 * Stored-value card products: anonymous (bearer) or named, the values a card is sold with, top-up
 * limits and bonuses ("top up 1,000 yuan, get 50"), the stores that take them (only the chain's own),
 * PIN policy, how long a card lasts, and whether expired or dormant balances may be taken as
 * breakage. Also card numbers (prefix, random digits, Luhn check digit). Pure.
 */
import { codeSchema, luhnCheckDigit, minorUnitsSchema, randomBytes, shortTextSchema } from '@clientele/core/module';
import * as z from 'zod';
import { utc } from '@date-fns/utc';
import { addMonths } from 'date-fns';

const positiveMinor = minorUnitsSchema.refine((n) => n > 0, 'must be more than 0');

/** Input of `storedValue.defineProduct`. */
export const cardProductSchema = z
  .object({
    id: codeSchema,
    name: shortTextSchema,
    /**
     * `anonymous`: a bearer card, sold to anyone, never recoverable; `named`: belongs to a customer, replaced when
     * lost.
     */
    kind: z.enum(['anonymous', 'named']),
    /** Leading digits of card numbers (2 to 6). */
    prefix: z
      .string()
      .regex(/^[0-9]{2,6}$/, 'prefixes are 2 to 6 digits')
      .default('95'),
    /** Values a card is sold with (minor units); omit to sell any value from `minValue` to `maxValue`. */
    values: z.array(positiveMinor).min(1).max(20).optional(),
    minValue: positiveMinor.default(1),
    maxValue: positiveMinor.optional(),
    /** The most a card may hold. */
    maxBalance: positiveMinor.optional(),
    topUp: z
      .object({
        allowed: z.boolean().default(true),
        min: positiveMinor.default(1),
        max: positiveMinor.optional(),
        /** A top-up of at least `from` gets `bonus` on top (the largest that applies). */
        bonuses: z
          .array(z.object({ from: positiveMinor, bonus: positiveMinor }).strict())
          .max(20)
          .default([]),
      })
      .strict()
      .default({ allowed: true, min: 1, bonuses: [] }),
    /** Stores that take the card (omit: every store of the chain). Cards pay only inside the chain. */
    stores: z.array(codeSchema).min(1).max(1000).optional(),
    /**
     * `required`: every spend needs the PIN (through an authorisation); `optional`: when the card has one; `none`: no
     * PIN.
     */
    pin: z.enum(['none', 'optional', 'required']).default('none'),
    /** Months a card stays usable after it is sold (omit: never expires). */
    validityMonths: z.number().int().min(1).max(600).optional(),
    /**
     * Whether the liability report may count balances as breakage: of expired cards, of cards unused for
     * `dormantMonths`.
     */
    breakage: z
      .object({ onExpiry: z.boolean().default(false), dormantMonths: z.number().int().min(1).max(600).optional() })
      .strict()
      .default({ onExpiry: false }),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.maxValue !== undefined && p.maxValue < p.minValue)
      ctx.addIssue({
        code: 'custom',
        path: ['maxValue'],
        message: 'maxValue is below minValue',
        params: { code: 'contradiction' },
      });
    if (p.topUp.max !== undefined && p.topUp.max < p.topUp.min)
      ctx.addIssue({
        code: 'custom',
        path: ['topUp', 'max'],
        message: 'topUp.max is below topUp.min',
        params: { code: 'contradiction' },
      });
    if (p.maxBalance !== undefined) {
      for (const [i, v] of (p.values ?? []).entries())
        if (v > p.maxBalance)
          ctx.addIssue({
            code: 'custom',
            path: ['values', i],
            message: `${v} is above maxBalance`,
            params: { code: 'contradiction' },
          });
    }
    const froms = p.topUp.bonuses.map((b) => b.from);
    if (new Set(froms).size !== froms.length)
      ctx.addIssue({
        code: 'custom',
        path: ['topUp', 'bonuses'],
        message: 'two bonuses start at the same amount',
        params: { code: 'contradiction' },
      });
  });
/** A product as a back office writes it. */
export type CardProductInput = z.input<typeof cardProductSchema>;
/** A product after validation. */
export type CardProduct = z.output<typeof cardProductSchema>;

/** The bonus a top-up of `amount` earns: the largest whose threshold it reaches. */
export function bonusFor(product: Pick<CardProduct, 'topUp'>, amount: number): number {
  let bonus = 0;
  for (const b of product.topUp.bonuses) if (amount >= b.from && b.bonus > bonus) bonus = b.bonus;
  return bonus;
}

/** Why a sale or top-up value does not fit the product, or null. */
export function valueProblem(product: CardProduct, amount: number, what: 'sale' | 'top-up'): string | null {
  if (what === 'sale') {
    if (product.values && !product.values.includes(amount))
      return `this card is sold with ${product.values.join(', ')} only`;
    if (amount < product.minValue) return `this card is sold with at least ${product.minValue}`;
    if (product.maxValue !== undefined && amount > product.maxValue)
      return `this card is sold with at most ${product.maxValue}`;
    return null;
  }
  if (!product.topUp.allowed) return 'this card cannot be topped up';
  if (amount < product.topUp.min) return `a top-up is at least ${product.topUp.min}`;
  if (product.topUp.max !== undefined && amount > product.topUp.max) return `a top-up is at most ${product.topUp.max}`;
  return null;
}

/** Digits in a card number: prefix, random digits and the Luhn check digit. */
export const CARD_NUMBER_LENGTH = 19;

/**
 * A new card number: the prefix, random digits (from Web Crypto, by rejection sampling so each digit
 * is uniform), and a Luhn check digit, 19 digits in all (at least 12 random digits, about 40 bits).
 */
export function generateCardNumber(prefix: string, random: (count: number) => Uint8Array = randomBytes): string {
  const need = CARD_NUMBER_LENGTH - 1 - prefix.length;
  let digits = '';
  while (digits.length < need) {
    for (const b of random(need * 2)) {
      if (b < 250 && digits.length < need) digits += String(b % 10);
    }
  }
  const body = prefix + digits;
  return body + String(luhnCheckDigit(body));
}

/** When a card sold at `at` expires: `months` calendar months later (the same day, or the month's last). */
export function cardExpiry(at: Date, months: number | undefined): Date | null {
  if (months === undefined) return null;
  // Counted on the UTC calendar, so the host's own time zone cannot move the day.
  return new Date(addMonths(at, months, { in: utc }).getTime());
}

/** How a card's balance at a date counts in the liability report. */
export function breakageOf(
  product: Pick<CardProduct, 'breakage'>,
  card: { expiresAt: Date | null; lastActivityAt: Date },
  at: Date,
): 'expired' | 'dormant' | null {
  if (product.breakage.onExpiry && card.expiresAt !== null && card.expiresAt.getTime() <= at.getTime())
    return 'expired';
  const months = product.breakage.dormantMonths;
  if (months !== undefined) {
    const limit = cardExpiry(card.lastActivityAt, months)!;
    if (limit.getTime() <= at.getTime()) return 'dormant';
  }
  return null;
}
