/**
 * Integer arithmetic for points: exact divisions with a named rounding mode, and the money value of
 * points at the program's rate. Pure and fast: the quote path divides thousands of times per basket,
 * so safe-integer products use plain numbers and only oversized ones fall back to BigInt.
 */

/** How a fractional number of points becomes a whole one. */
export type PointsRounding = 'floor' | 'half-up' | 'half-even' | 'ceil';

function roundQuotient(q: number, r: number, d: number, mode: PointsRounding): number {
  if (r === 0) return q;
  switch (mode) {
    case 'floor':
      return q;
    case 'ceil':
      return q + 1;
    case 'half-up':
      return 2 * r >= d ? q + 1 : q;
    case 'half-even':
      return 2 * r > d ? q + 1 : 2 * r < d ? q : q % 2 === 0 ? q : q + 1;
  }
}

/** `n / d` rounded by `mode`, for a safe integer `n >= 0` and a safe integer `d > 0`. */
export function divide(n: number, d: number, mode: PointsRounding): number {
  let q = Math.floor(n / d);
  // A float quotient can land one off near an integer; correct it with exact safe-integer products.
  let r = n - q * d;
  if (r < 0) {
    q -= 1;
    r += d;
  } else if (r >= d) {
    q += 1;
    r -= d;
  }
  return roundQuotient(q, r, d, mode);
}

/**
 * `a * b / d` rounded by `mode` (all non-negative integers, `d > 0`): exact while the result is a safe
 * integer, and beyond that the nearest number to the exactly rounded quotient.
 */
export function mulDiv(a: number, b: number, d: number, mode: PointsRounding): number {
  const n = a * b;
  if (Number.isSafeInteger(n)) return divide(n, d, mode);
  const big = BigInt(a) * BigInt(b);
  const bd = BigInt(d);
  const q = big / bd;
  const r = Number(big - q * bd);
  // Round while the quotient is still exact (past 2^53 adding one to a number may change nothing):
  // rounding needs only the quotient's parity, so ask with that and add the step it takes.
  const parity = Number(q % 2n);
  return Number(q + BigInt(roundQuotient(parity, r, d, mode) - parity));
}

/** The rate at which points are worth money: `points` points are worth `amount` minor units. */
export interface PointValue {
  points: number;
  amount: number;
}

/** Money value (minor units, half up) of a signed number of points at `rate`. */
export function valueOfPoints(points: number, rate: PointValue): number {
  const v = mulDiv(Math.abs(points), rate.amount, rate.points, 'half-up');
  return points < 0 ? -v : v;
}

/** Points worth exactly `amount` minor units at `rate`, or `null` when no whole number of points is. */
export function pointsForValue(amount: number, rate: PointValue): number | null {
  const n = amount * rate.points;
  if (!Number.isSafeInteger(n) || n % rate.amount !== 0) return null;
  return n / rate.amount;
}

/** A number of points for people: `1 point`, `20 points`. */
export function pointsText(points: number): string {
  return `${points} ${Math.abs(points) === 1 ? 'point' : 'points'}`;
}
