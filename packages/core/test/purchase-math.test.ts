import { describe, expect, it } from 'vitest';
import { lineGross, mulDivHalfUp, refundFor, saleTotals, toMilli } from '../src/model/purchase-math.js';

describe('sale arithmetic', () => {
  it('takes at most three decimals of quantity', () => {
    expect(toMilli(1.25)).toBe(1250);
    expect(toMilli(0.001)).toBe(1);
    expect(toMilli(2.675)).toBe(2675);
    expect(toMilli(1.2345)).toBeNull();
  });

  it('prices weighed goods half up to the fen', () => {
    expect(lineGross(1250, 1299)).toBe(1624); // 16.2375
    expect(lineGross(1234, 1000)).toBe(1234);
    expect(lineGross(333, 5)).toBe(2); // 1.665
    expect(mulDivHalfUp(9_007_199_254_740_991, 3, 3)).toBe(9_007_199_254_740_991);
  });

  it('adds totals line by line', () => {
    expect(
      saleTotals([
        { gross: 1000, discount: 100 },
        { gross: 250, discount: 0 },
      ]),
    ).toEqual({ subtotal: 1250, discountTotal: 100, total: 1150 });
  });

  it('refunds sum to the line amount however the line is returned in parts', () => {
    const amount = 1001;
    const qty = 7000;
    for (const parts of [
      [1000, 1000, 1000, 1000, 1000, 1000, 1000],
      [3500, 3500],
      [1, 6999],
      [2333, 2333, 2334],
      [7000],
    ]) {
      let before = 0;
      let sum = 0;
      for (const p of parts) {
        const r = refundFor(amount, qty, before, p);
        expect(r).toBeGreaterThanOrEqual(0);
        sum += r;
        before += p;
      }
      expect(sum).toBe(amount);
    }
  });
});
