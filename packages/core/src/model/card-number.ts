/**
 * Membership card numbers: digits with a Luhn check digit, so a mistyped number is caught at the
 * till before any lookup.
 */

/** The Luhn check digit for a string of digits (the number without its check digit). */
export function luhnCheckDigit(digits: string): number {
  if (!/^[0-9]+$/.test(digits)) throw new RangeError('digits only');
  let sum = 0;
  for (let i = digits.length - 1, double = true; i >= 0; i--, double = !double) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/** Whether a card number's last digit is its Luhn check digit. */
export function isValidCardNumber(number: string): boolean {
  if (!/^[0-9]{8,19}$/.test(number)) return false;
  return luhnCheckDigit(number.slice(0, -1)) === number.charCodeAt(number.length - 1) - 48;
}

/**
 * The card number for a type's prefix and a serial: prefix, zero-padded serial, check digit; `length` digits in all.
 */
export function cardNumberFor(prefix: string, serial: number, length: number): string {
  const body = length - 1 - prefix.length;
  const digits = String(serial);
  if (digits.length > body) throw new RangeError(`card serial ${serial} does not fit ${body} digits`);
  const stem = prefix + digits.padStart(body, '0');
  return stem + String(luhnCheckDigit(stem));
}
