import { describe, expect, it } from 'vitest';
import { divideRounded, formatMoney, minorDigits } from '../src/money.js';

describe('money', () => {
  it('rounds divisions by the named mode, for positive and negative amounts', () => {
    const cases: Array<[number, number, Record<string, number>]> = [
      [25, 10, { floor: 2, ceil: 3, 'half-up': 3, 'half-even': 2 }],
      [35, 10, { floor: 3, ceil: 4, 'half-up': 4, 'half-even': 4 }],
      [24, 10, { floor: 2, ceil: 3, 'half-up': 2, 'half-even': 2 }],
      [-25, 10, { floor: -3, ceil: -2, 'half-up': -2, 'half-even': -2 }],
      [30, 10, { floor: 3, ceil: 3, 'half-up': 3, 'half-even': 3 }],
      [7, -2, { floor: -4, ceil: -3, 'half-up': -3, 'half-even': -4 }],
    ];
    for (const [n, d, expected] of cases) {
      for (const [mode, value] of Object.entries(expected))
        expect([n, d, mode, divideRounded(n, d, mode as never)]).toEqual([n, d, mode, value]);
    }
  });

  it('stays exact near the largest safe integer', () => {
    expect(divideRounded(Number.MAX_SAFE_INTEGER, 1, 'floor')).toBe(Number.MAX_SAFE_INTEGER);
    expect(divideRounded(Number.MAX_SAFE_INTEGER, 2, 'half-up')).toBe(4503599627370496);
    expect(() => divideRounded(1.5, 1, 'floor')).toThrow(RangeError);
    expect(() => divideRounded(1, 0, 'floor')).toThrow(RangeError);
  });

  it('formats minor units with the currency’s own digits', () => {
    expect(minorDigits('CNY')).toBe(2);
    expect(minorDigits('JPY')).toBe(0);
    expect(formatMoney(8650, 'CNY')).toBe('¥86.50');
    expect(formatMoney(-5, 'CNY')).toBe('-¥0.05');
    expect(formatMoney(123456789, 'CNY')).toBe('¥1,234,567.89');
    expect(formatMoney(1200, 'JPY', 'en-US')).toBe('¥1,200');
  });
});
