/**
 * The basket a quote reads: lines as the POS scans them, validated at the boundary. A zod schema is
 * the definition; a hand-written check in front of it accepts only what the schema accepts (a
 * property test proves it) and costs a fraction, because a cashier screen quotes at every scan.
 * Anything the check does not accept goes through zod, which names every problem by path.
 */
import { codeSchema, lineGross, minorUnitsSchema, parseInput, toMilli } from '@clientele/core/module';
import { z } from 'zod';
import { divide } from './points-math.js';

// Control characters (C0, DEL, C1), line and paragraph separators, bidirectional controls, unpaired surrogates.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udfff]/u;
const CODE = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

/** A label (category, brand): 1-64 characters, no control characters, no surrounding spaces. */
export const labelSchema = z
  .string()
  .min(1)
  .max(64)
  .refine((s) => !CONTROL.test(s) && s.trim() === s, 'labels have no control characters and no surrounding spaces');

const quantitySchema = z
  .number()
  .positive('quantities are positive')
  .max(1_000_000)
  .refine((q) => toMilli(q) !== null, 'quantities have at most three decimals');

/** One scanned line. */
export const basketLineSchema = z
  .object({
    sku: codeSchema,
    name: z
      .string()
      .min(1)
      .max(200)
      .refine((s) => !CONTROL.test(s), 'names have no control characters')
      .optional(),
    category: labelSchema,
    brand: labelSchema.optional(),
    /** Units, or kilograms with up to three decimals. */
    quantity: quantitySchema,
    /** Price of one unit, minor units. */
    unitPrice: minorUnitsSchema,
    /** Discount on the whole line, minor units. */
    discount: minorUnitsSchema.optional(),
  })
  .strict();

/** A basket being quoted. */
export const basketSchema = z
  .object({
    lines: z.array(basketLineSchema).min(1, 'a basket has at least one line').max(1000),
    /** Paid by vouchers, minor units; deducted from the base when the program says so. */
    vouchers: minorUnitsSchema.optional(),
  })
  .strict()
  .superRefine((basket, ctx) => {
    let total = 0;
    basket.lines.forEach((line, i) => {
      const gross = lineGross(toMilli(line.quantity) ?? 0, line.unitPrice);
      if ((line.discount ?? 0) > gross)
        ctx.addIssue({
          code: 'custom',
          path: ['lines', i, 'discount'],
          message: `discount ${line.discount} exceeds the line price ${gross}`,
          params: { code: 'discount_exceeds_price' },
        });
      total += gross - (line.discount ?? 0);
    });
    if ((basket.vouchers ?? 0) > total)
      ctx.addIssue({
        code: 'custom',
        path: ['vouchers'],
        message: `vouchers ${basket.vouchers} exceed the basket total ${total}`,
        params: { code: 'vouchers_exceed_total' },
      });
  });

/** A basket line as the POS sends it. */
export type BasketLine = z.input<typeof basketLineSchema>;
/** A basket as the POS sends it. */
export type Basket = z.input<typeof basketSchema>;

/** A line with its amounts worked out: what the rules engine reads. */
export interface PricedLine {
  /** Position in the basket (0-based). */
  index: number;
  sku: string;
  name: string | null;
  category: string;
  brand: string | null;
  /** Quantity in thousandths. */
  quantityMilli: number;
  /** Quantity × unit price, half up. */
  gross: number;
  discount: number;
  /** Gross minus discount. */
  net: number;
  /** The amount points are earned on; the quote sets it from the program (net or gross, less vouchers). */
  base: number;
}

/** Core's line price (quantity × unit price, half up to the minor unit) without BigInt when the product is safe. */
export function grossOf(quantityMilli: number, unitPrice: number): number {
  const product = quantityMilli * unitPrice;
  return Number.isSafeInteger(product) ? divide(product, 1000, 'half-up') : lineGross(quantityMilli, unitPrice);
}

const isPlain = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};
// SKUs and labels repeat from scan to scan: remember the ones already found valid (bounded).
const seenCodes = new Set<string>();
const seenLabels = new Set<string>();
const remember = (set: Set<string>, v: string) => {
  if (set.size >= 10_000) set.clear();
  set.add(v);
  return true;
};
const isCode = (v: unknown): v is string =>
  typeof v === 'string' &&
  (seenCodes.has(v) || (v.length >= 1 && v.length <= 64 && CODE.test(v) && remember(seenCodes, v)));
const isLabel = (v: unknown): v is string =>
  typeof v === 'string' &&
  (seenLabels.has(v) ||
    (v.length >= 1 && v.length <= 64 && !CONTROL.test(v) && v.trim() === v && remember(seenLabels, v)));
const isMinor = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const LINE_KEYS = new Set(['sku', 'name', 'category', 'brand', 'quantity', 'unitPrice', 'discount']);

/**
 * Prices the lines of a basket the fast check accepts, or returns `null` so the caller asks zod.
 * Conservative: it accepts a subset of what {@link basketSchema} accepts, with the same result.
 */
export function priceBasketFast(
  input: unknown,
): { lines: PricedLine[]; vouchers: number; sources: readonly object[] } | null {
  if (!isPlain(input)) return null;
  for (const k in input) if (k !== 'lines' && k !== 'vouchers') return null;
  const raw = input['lines'];
  const vouchers = input['vouchers'];
  if (vouchers !== undefined && !isMinor(vouchers)) return null;
  if (!Array.isArray(raw) || raw.length < 1 || raw.length > 1000) return null;
  const lines: PricedLine[] = new Array(raw.length);
  let total = 0;
  for (let i = 0; i < raw.length; i++) {
    const l: unknown = raw[i];
    if (!isPlain(l)) return null;
    for (const k in l) if (!LINE_KEYS.has(k)) return null;
    const { sku, name, category, brand, quantity, unitPrice, discount } = l;
    if (!isCode(sku) || !isLabel(category)) return null;
    if (brand !== undefined && !isLabel(brand)) return null;
    if (name !== undefined && (typeof name !== 'string' || name.length < 1 || name.length > 200 || CONTROL.test(name)))
      return null;
    if (typeof quantity !== 'number' || !(quantity > 0) || quantity > 1_000_000) return null;
    const quantityMilli = toMilli(quantity);
    if (quantityMilli === null || !isMinor(unitPrice)) return null;
    if (discount !== undefined && !isMinor(discount)) return null;
    const gross = grossOf(quantityMilli, unitPrice);
    const d = discount ?? 0;
    if (d > gross) return null;
    total += gross - d;
    lines[i] = {
      index: i,
      sku,
      name: name ?? null,
      category,
      brand: brand ?? null,
      quantityMilli,
      gross,
      discount: d,
      net: gross - d,
      base: gross - d,
    };
  }
  if ((vouchers ?? 0) > total) return null;
  return { lines, vouchers: vouchers ?? 0, sources: raw as object[] };
}

/** Validates and prices a basket: the fast check first, zod (with every problem by path) otherwise. */
export function priceBasket(
  input: unknown,
  path: ReadonlyArray<string | number> = ['basket'],
): { lines: PricedLine[]; vouchers: number; sources?: readonly object[] } {
  const fast = priceBasketFast(input);
  if (fast) return fast;
  const basket = parseInput(basketSchema, input, path);
  return {
    lines: basket.lines.map((l, index) => {
      const quantityMilli = toMilli(l.quantity)!;
      const gross = lineGross(quantityMilli, l.unitPrice);
      const discount = l.discount ?? 0;
      return {
        index,
        sku: l.sku,
        name: l.name ?? null,
        category: l.category,
        brand: l.brand ?? null,
        quantityMilli,
        gross,
        discount,
        net: gross - discount,
        base: gross - discount,
      };
    }),
    vouchers: basket.vouchers ?? 0,
  };
}
