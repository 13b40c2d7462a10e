/**
 * The basket a quote reads: lines as the POS scans them, validated at the boundary. A zod schema is
 * the definition; a hand-written check in front of it accepts only what the schema accepts (a
 * property test proves it) and costs a fraction, because a cashier screen quotes at every scan.
 * Anything the check does not accept goes through zod, which names every problem by path.
 */
import { codeSchema, lineGross, minorUnitsSchema, parseInput, quantitySchema, toMilli } from '@clientele/core/module';
import * as z from 'zod';
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

/** The most vouchers one basket lists. */
const MAX_VOUCHERS = 20;

/** One voucher that pays for part of a basket: what it takes off, and the lines it covers. */
export const basketVoucherSchema = z
  .object({
    /** What the voucher takes off, minor units. */
    amount: minorUnitsSchema,
    /**
     * The positions (0-based) of the lines it applies to: a voucher scoped to categories covers only
     * those lines. Absent: the whole basket.
     */
    lines: z.array(z.number().int().min(0).max(999)).min(1).max(1000).optional(),
  })
  .strict();

/** A basket being quoted. */
export const basketSchema = z
  .object({
    lines: z.array(basketLineSchema).min(1, 'a basket has at least one line').max(1000),
    /**
     * Paid by vouchers: one amount for the whole basket (minor units), or each voucher with the lines
     * it covers. Deducted from the base when the program or a rule says so.
     */
    vouchers: z.union([minorUnitsSchema, z.array(basketVoucherSchema).max(MAX_VOUCHERS)]).optional(),
  })
  .strict()
  .superRefine((basket, ctx) => {
    let total = 0;
    const nets: number[] = [];
    basket.lines.forEach((line, i) => {
      const gross = lineGross(toMilli(line.quantity) ?? 0, line.unitPrice);
      if ((line.discount ?? 0) > gross)
        ctx.addIssue({
          code: 'custom',
          path: ['lines', i, 'discount'],
          message: `discount ${line.discount} exceeds the line price ${gross}`,
          params: { code: 'discount_exceeds_price' },
        });
      nets.push(gross - (line.discount ?? 0));
      total += gross - (line.discount ?? 0);
    });
    const vouchers = basket.vouchers;
    let paid = typeof vouchers === 'number' ? vouchers : 0;
    if (Array.isArray(vouchers))
      vouchers.forEach((v, k) => {
        paid += v.amount;
        if (!v.lines) return;
        const seen = new Set<number>();
        let covered = 0;
        let listed = true;
        v.lines.forEach((i, j) => {
          if (i >= basket.lines.length || seen.has(i)) listed = false;
          if (i >= basket.lines.length || seen.has(i))
            ctx.addIssue({
              code: 'custom',
              path: ['vouchers', k, 'lines', j],
              message:
                i >= basket.lines.length ? `the basket has no line ${i}` : `line ${i} is listed twice for one voucher`,
              params: { code: i >= basket.lines.length ? 'unknown_line' : 'duplicate_line' },
            });
          else covered += nets[i]!;
          seen.add(i);
        });
        // What the voucher covers is known only once its lines are.
        if (listed && v.amount > covered)
          ctx.addIssue({
            code: 'custom',
            path: ['vouchers', k, 'amount'],
            message: `voucher ${v.amount} exceeds the lines it covers (${covered})`,
            params: { code: 'voucher_exceeds_lines' },
          });
      });
    if (paid > total)
      ctx.addIssue({
        code: 'custom',
        path: ['vouchers'],
        message: `vouchers ${paid} exceed the basket total ${total}`,
        params: { code: 'vouchers_exceed_total' },
      });
  });

/** A basket line as the POS sends it. */
export type BasketLine = z.input<typeof basketLineSchema>;
/** A basket as the POS sends it. */
export type Basket = z.input<typeof basketSchema>;
/** A voucher of a basket as the POS sends it. */
export type BasketVoucher = z.input<typeof basketVoucherSchema>;

/** A voucher as the quote reads it: what it takes off and the lines it covers (null: the whole basket). */
export interface PricedVoucher {
  amount: number;
  lines: readonly number[] | null;
}

/** No vouchers. */
export const NO_VOUCHERS: readonly PricedVoucher[] = Object.freeze([]);

/** A whole-basket amount as a voucher list (the quote reads lists). */
export function voucherList(vouchers: number | readonly PricedVoucher[] | undefined): readonly PricedVoucher[] {
  if (typeof vouchers !== 'number') return vouchers ?? NO_VOUCHERS;
  return vouchers > 0 ? [{ amount: vouchers, lines: null }] : NO_VOUCHERS;
}

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
  /** The line's share of the vouchers scoped to lines that cover it (set by the quote when it deducts vouchers). */
  scopedVouchers: number;
  /** The line's share of the whole-basket vouchers (set by the quote when it deducts vouchers). */
  basketVouchers: number;
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
): { lines: PricedLine[]; vouchers: readonly PricedVoucher[]; sources: readonly object[] } | null {
  if (!isPlain(input)) return null;
  for (const k in input) if (k !== 'lines' && k !== 'vouchers') return null;
  const raw = input['lines'];
  const vouchers = input['vouchers'];
  if (vouchers !== undefined && !isMinor(vouchers) && !Array.isArray(vouchers)) return null;
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
      scopedVouchers: 0,
      basketVouchers: 0,
    };
  }
  if (typeof vouchers !== 'object') {
    if ((vouchers ?? 0) > total) return null;
    return { lines, vouchers: voucherList(vouchers), sources: raw as object[] };
  }
  const list = vouchersFast(vouchers, lines, total);
  return list && { lines, vouchers: list, sources: raw as object[] };
}

/** The fast check of a voucher list (see {@link basketVoucherSchema}); `null` when zod should say what is wrong. */
function vouchersFast(raw: unknown[], lines: readonly PricedLine[], total: number): PricedVoucher[] | null {
  if (raw.length > MAX_VOUCHERS) return null;
  const out: PricedVoucher[] = new Array(raw.length);
  let paid = 0;
  for (let k = 0; k < raw.length; k++) {
    const v = raw[k];
    if (!isPlain(v)) return null;
    for (const key in v) if (key !== 'amount' && key !== 'lines') return null;
    const amount = v['amount'];
    const covers = v['lines'];
    if (!isMinor(amount)) return null;
    paid += amount;
    if (covers === undefined) {
      out[k] = { amount, lines: null };
      continue;
    }
    if (!Array.isArray(covers) || covers.length < 1 || covers.length > 1000) return null;
    let covered = 0;
    for (let j = 0; j < covers.length; j++) {
      const i: unknown = covers[j];
      if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= lines.length) return null;
      // A line listed twice is refused by zod with its path.
      if (covers.indexOf(i) !== j) return null;
      covered += lines[i]!.net;
    }
    if (amount > covered) return null;
    out[k] = { amount, lines: covers as number[] };
  }
  return paid > total ? null : out;
}

/** Validates and prices a basket: the fast check first, zod (with every problem by path) otherwise. */
export function priceBasket(
  input: unknown,
  path: ReadonlyArray<string | number> = ['basket'],
): { lines: PricedLine[]; vouchers: readonly PricedVoucher[]; sources?: readonly object[] } {
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
        scopedVouchers: 0,
        basketVouchers: 0,
      };
    }),
    vouchers:
      typeof basket.vouchers === 'object'
        ? basket.vouchers.map((v) => ({ amount: v.amount, lines: v.lines ?? null }))
        : voucherList(basket.vouchers),
  };
}
