/**
 * Voucher codes: 13 random characters of Crockford's base 32 (65 bits from core's `randomBytes`, Web
 * Crypto) and one check character, printed as `XXXXX-XXXXX-XXXX`. Pure: runs in a browser, so a web
 * POS rejects a mistyped code before it asks the server anything.
 *
 * The check character is a Horner sum over GF(32) (x^5 + x^2 + 1) with multiplier x: every single
 * wrong character and every swap of two neighbours changes the sum, so both are always caught.
 * Typing is forgiving in Crockford's way: case, spaces and dashes do not matter, `O` reads as `0`
 * and `I`/`L` as `1`.
 */
import { randomBytes } from '@clientele/core/module';
import * as z from 'zod';

/** Crockford's base-32 alphabet (no I, L, O, U). */
export const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** Random characters in a code: 13 × 5 = 65 bits. */
export const CODE_RANDOM_CHARS = 13;
/** Characters in a stored code: the random part and the check character. */
export const CODE_LENGTH = CODE_RANDOM_CHARS + 1;

const VALUES = new Map<string, number>([...CODE_ALPHABET].map((c, i) => [c, i]));

// Multiplication by x in GF(32) modulo x^5 + x^2 + 1.
const times2 = (v: number): number => {
  const shifted = v << 1;
  return shifted & 32 ? shifted ^ 0b100101 : shifted;
};

function fold(chars: string): number {
  let sum = 0;
  for (const c of chars) sum = times2(sum) ^ VALUES.get(c)!;
  return sum;
}

/** The check character of a code's random part (normalised). */
export function checkCharacter(body: string): string {
  return CODE_ALPHABET[times2(fold(body))]!;
}

/** Upper case, no spaces or dashes, `O` → `0`, `I`/`L` → `1`: the form codes are stored in. */
export function normaliseCode(input: string): string {
  return input.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
}

/** Whether a normalised code has the right length, alphabet and check character. */
export function isValidCode(code: string): boolean {
  if (code.length !== CODE_LENGTH) return false;
  for (const c of code) if (!VALUES.has(c)) return false;
  return fold(code) === 0;
}

/** A code as printed: `XXXXX-XXXXX-XXXX`. */
export function formatCode(code: string): string {
  return `${code.slice(0, 5)}-${code.slice(5, 10)}-${code.slice(10)}`;
}

/**
 * A new code (normalised). `random` supplies the bytes (default: core's Web Crypto `randomBytes`);
 * each byte gives one character, and 256 is a multiple of 32, so every character is uniform.
 */
export function generateCode(random: (count: number) => Uint8Array = randomBytes): string {
  const bytes = random(CODE_RANDOM_CHARS);
  let body = '';
  for (let i = 0; i < CODE_RANDOM_CHARS; i++) body += CODE_ALPHABET[bytes[i]! % 32]!;
  return body + checkCharacter(body);
}

/**
 * A voucher code as a cashier types or scans it; parses to the normalised code. A wrong length or a
 * character outside the alphabet is `malformed_code`, a failing check character `check_character`:
 * both mean "mistyped", and neither reaches the store.
 */
export const voucherCodeSchema = z
  .string()
  .max(40)
  .transform(normaliseCode)
  .superRefine((code, ctx) => {
    if (code.length !== CODE_LENGTH || [...code].some((c) => !VALUES.has(c))) {
      ctx.addIssue({
        code: 'custom',
        message: `voucher codes are ${CODE_LENGTH} letters and digits (e.g. 7K3QD-M9XWT-2HF8): this one was mistyped`,
        params: { code: 'malformed_code' },
      });
    } else if (fold(code) !== 0) {
      ctx.addIssue({
        code: 'custom',
        message: 'the check character does not match: the code was mistyped',
        params: { code: 'check_character' },
      });
    }
  });
