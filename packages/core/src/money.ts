/**
 * Money: integer minor units (fen, cents) with a currency. Never floats; rounding is explicit.
 */
import * as z from 'zod';

/** An amount in minor units of a currency. */
export interface Money {
  /** Integer minor units: 1250 CNY is 12.50 yuan. */
  amount: number;
  /** ISO 4217 code, e.g. `CNY`. */
  currency: string;
}

/** An ISO 4217 currency code. */
export const currencySchema = z.string().regex(/^[A-Z]{3}$/, 'currencies are ISO 4217 codes such as CNY');

/** Schema of {@link Money}. */
export const moneySchema = z.object({
  amount: z.number().int('money is integer minor units').min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER),
  currency: currencySchema,
});

/** Named rounding modes for divisions of money. */
export type RoundingMode = 'floor' | 'ceil' | 'half-up' | 'half-even';

/** `numerator / denominator` rounded by `mode`, exact for safe integers. */
export function divideRounded(numerator: number, denominator: number, mode: RoundingMode): number {
  if (!Number.isSafeInteger(numerator) || !Number.isSafeInteger(denominator) || denominator === 0) {
    throw new RangeError('divideRounded takes safe integers and a non-zero denominator');
  }
  const n = BigInt(numerator) * (denominator < 0 ? -1n : 1n);
  const d = BigInt(Math.abs(denominator));
  const q = n / d;
  const r = n % d;
  if (r === 0n) return Number(q);
  const down = n < 0n ? q - 1n : q; // floor
  switch (mode) {
    case 'floor':
      return Number(down);
    case 'ceil':
      return Number(down + 1n);
    case 'half-up': {
      const twice = 2n * (n - down * d);
      return Number(twice >= d ? down + 1n : down);
    }
    case 'half-even': {
      const twice = 2n * (n - down * d);
      if (twice > d) return Number(down + 1n);
      if (twice < d) return Number(down);
      return Number(down % 2n === 0n ? down : down + 1n);
    }
  }
}

// Building an Intl.NumberFormat costs far more than using one, and a sale formats an amount each time.
const digitsByCurrency = new Map<string, number>();
const formatters = new Map<string, Intl.NumberFormat>();

/** Digits after the decimal point of a currency's minor unit (CNY 2, JPY 0). */
export function minorDigits(currency: string): number {
  let digits = digitsByCurrency.get(currency);
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    digitsByCurrency.set(currency, digits);
  }
  return digits;
}

/** Formats minor units for people, e.g. `formatMoney(8650, 'CNY')` is `¥86.50`. */
export function formatMoney(amount: number, currency: string, locale = 'zh-CN'): string {
  const digits = minorDigits(currency);
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  const major = Math.floor(abs / 10 ** digits);
  const minor = abs % 10 ** digits;
  // Format the major part with Intl for grouping and symbol; append the exact minor digits ourselves.
  const key = `${locale}\u0000${currency}`;
  let format = formatters.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, {
      style: 'currency',
      currency,
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    });
    formatters.set(key, format);
  }
  const parts = format.formatToParts(major);
  return sign + parts.map((p) => (p.type === 'fraction' ? String(minor).padStart(digits, '0') : p.value)).join('');
}
