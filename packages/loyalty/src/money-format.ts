/**
 * Money in trace texts, e.g. `¥86.50`. Works out the symbol and minor digits once per currency with
 * `Intl`, then formats with string operations: a trace formats dozens of amounts per quote.
 */
import { minorDigits } from '@clientele/core/module';

/** A formatter of minor units for one currency, with the currency's symbol as `locale` writes it. */
export function moneyFormatter(currency: string, locale = 'zh-CN'): (minor: number) => string {
  const digits = minorDigits(currency);
  const symbol =
    new Intl.NumberFormat(locale, { style: 'currency', currency }).formatToParts(0).find((p) => p.type === 'currency')
      ?.value ?? `${currency} `;
  const scale = 10 ** digits;
  return (minor) => {
    const sign = minor < 0 ? '-' : '';
    const abs = Math.abs(minor);
    if (digits === 0) return `${sign}${symbol}${abs}`;
    const frac = String(abs % scale).padStart(digits, '0');
    return `${sign}${symbol}${Math.floor(abs / scale)}.${frac}`;
  };
}
