/** Voucher codes: 65 random bits, a check character that catches every single slip and swap, forgiving input. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseInput } from '@clientele/core/module';
import {
  CODE_ALPHABET,
  CODE_LENGTH,
  checkCharacter,
  formatCode,
  generateCode,
  isValidCode,
  normaliseCode,
  voucherCodeSchema,
} from '../src/index.js';

const body = fc
  .array(fc.constantFrom(...CODE_ALPHABET), { minLength: CODE_LENGTH - 1, maxLength: CODE_LENGTH - 1 })
  .map((cs) => cs.join(''));
const code = body.map((b) => b + checkCharacter(b));

describe('voucher codes', () => {
  it('draws every random character from its own byte, uniformly over the 32 symbols', () => {
    // 13 bytes → 13 characters; byte b gives symbol b mod 32, so all 256 byte values spread evenly.
    const seen = new Map<string, number>();
    for (let b = 0; b < 256; b++) {
      const c = generateCode(() => new Uint8Array(13).fill(b));
      expect(isValidCode(c)).toBe(true);
      seen.set(c[0]!, (seen.get(c[0]!) ?? 0) + 1);
    }
    expect([...seen.values()]).toEqual(new Array(32).fill(8));
    const drawn = new Set(Array.from({ length: 2000 }, () => generateCode()));
    expect(drawn.size).toBe(2000);
    for (const c of drawn) expect(c).toMatch(/^[0-9A-HJKMNP-TV-Z]{14}$/);
  });

  it('catches every single wrong character', () => {
    fc.assert(
      fc.property(code, fc.nat({ max: CODE_LENGTH - 1 }), fc.integer({ min: 1, max: 31 }), (c, at, shift) => {
        const wrong = CODE_ALPHABET[(CODE_ALPHABET.indexOf(c[at]!) + shift) % 32]!;
        const typo = c.slice(0, at) + wrong + c.slice(at + 1);
        expect(isValidCode(c)).toBe(true);
        expect(isValidCode(typo)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('catches every swap of two different neighbours', () => {
    fc.assert(
      fc.property(code, fc.nat({ max: CODE_LENGTH - 2 }), (c, at) => {
        fc.pre(c[at] !== c[at + 1]);
        const swapped = c.slice(0, at) + c[at + 1] + c[at] + c.slice(at + 2);
        expect(isValidCode(swapped)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('reads what a cashier types: case, dashes and spaces, O for 0 and I or L for 1', () => {
    const c = generateCode();
    const typed = formatCode(c).toLowerCase().replace(/0/g, 'o').replace(/1/g, 'l').replace('-', ' - ');
    expect(normaliseCode(typed)).toBe(c);
    expect(parseInput(voucherCodeSchema, typed)).toBe(c);
  });

  it('refuses a mistyped code with a code the till translates, before anything is read', () => {
    const c = generateCode();
    const i = CODE_ALPHABET.indexOf(c[3]!);
    const typo = c.slice(0, 3) + CODE_ALPHABET[(i + 1) % 32] + c.slice(4);
    expect(() => parseInput(voucherCodeSchema, typo, ['code'])).toThrow(
      expect.objectContaining({
        code: 'VALIDATION_FAILED',
        path: ['code'],
        issues: [expect.objectContaining({ code: 'check_character' })],
      }),
    );
    expect(() => parseInput(voucherCodeSchema, c.slice(1), ['code'])).toThrow(
      expect.objectContaining({ issues: [expect.objectContaining({ code: 'malformed_code' })] }),
    );
    expect(() => parseInput(voucherCodeSchema, `${c.slice(0, 13)}U`, ['code'])).toThrow(
      expect.objectContaining({ issues: [expect.objectContaining({ code: 'malformed_code' })] }),
    );
  });
});
