import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { expiryOf, nextReview, qualifiedLevel, tiersSchema, valueOfPoints, windowMonths } from '../src/index.js';
import { localTime, periodKey } from '../src/local-time.js';
import { divide, mulDiv } from '../src/points-math.js';

describe('expiry, periods and tiers in a store’s time zone', () => {
  const earned = new Date('2026-03-31T17:30:00Z'); // 1 April 2026, 01:30 in Shanghai

  it('computes expiry by policy from the local date of earning', () => {
    expect(expiryOf({ kind: 'never' }, earned, 'Asia/Shanghai')).toBeNull();
    expect(expiryOf({ kind: 'days', days: 30 }, earned, 'Asia/Shanghai')).toEqual({
      lastDay: '2026-05-01',
      expiresAt: new Date('2026-05-01T16:00:00Z'),
    });
    expect(expiryOf({ kind: 'end-of-month', afterMonths: 0 }, earned, 'Asia/Shanghai')).toEqual({
      lastDay: '2026-04-30',
      expiresAt: new Date('2026-04-30T16:00:00Z'),
    });
    expect(expiryOf({ kind: 'end-of-month', afterMonths: 10 }, earned, 'Asia/Shanghai')!.lastDay).toBe('2027-02-28');
    expect(expiryOf({ kind: 'end-of-year', afterMonths: 0 }, earned, 'Asia/Shanghai')!.lastDay).toBe('2026-12-31');
    expect(expiryOf({ kind: 'end-of-year', afterMonths: 12 }, earned, 'Asia/Shanghai')!.lastDay).toBe('2027-12-31');
    // The same instant is still 31 March in London: the month ends a month earlier there.
    expect(expiryOf({ kind: 'end-of-month', afterMonths: 0 }, earned, 'Europe/London')).toEqual({
      lastDay: '2026-03-31',
      expiresAt: new Date('2026-03-31T23:00:00Z'),
    });
  });

  it('names periods by the local calendar, ISO weeks included', () => {
    const sunday = localTime(new Date('2027-01-03T10:00:00Z'), 'Asia/Shanghai');
    expect(sunday).toMatchObject({ date: '2027-01-03', weekday: 'sun', minute: 18 * 60 });
    expect(['day', 'week', 'month', 'year', 'lifetime'].map((p) => periodKey(p as never, sunday))).toEqual([
      '2027-01-03',
      '2026-W53',
      '2027-01',
      '2027',
      'all',
    ]);
    expect(periodKey('week', localTime(new Date('2027-01-04T10:00:00Z'), 'Asia/Shanghai'))).toBe('2027-W01');
  });

  it('qualifies tiers within the window and schedules reviews', () => {
    const tiers = tiersSchema.parse({
      basis: 'spend',
      window: { kind: 'calendar-year' },
      review: { kind: 'yearly', on: '02-29' },
      levels: [
        { code: 'standard', name: 'S', threshold: 0 },
        { code: 'silver', name: 'Si', threshold: 100 },
        { code: 'gold', name: 'G', threshold: 1000 },
      ],
    });
    expect([0, 99, 100, 999, 1000, 5000].map((x) => qualifiedLevel(tiers, x))).toEqual([
      'standard',
      'standard',
      'silver',
      'silver',
      'gold',
      'gold',
    ]);
    expect(windowMonths(tiers, '2026-11-02')).toEqual({ from: '2026-01', to: '2026-11' });
    expect(windowMonths({ ...tiers, window: { kind: 'rolling', months: 12 } }, '2026-11-02')).toEqual({
      from: '2025-12',
      to: '2026-11',
    });
    // 29 February in a year without one: 1 March.
    expect(nextReview(tiers, new Date('2026-11-02T02:00:00Z'), 'Asia/Shanghai')).toEqual(
      new Date('2027-02-28T16:00:00Z'),
    );
    expect(
      nextReview(
        { ...tiers, review: { kind: 'anniversary', months: 1 } },
        new Date('2027-01-31T02:00:00Z'),
        'Asia/Shanghai',
      ),
    ).toEqual(new Date('2027-02-27T16:00:00Z'));
  });
});

describe('points arithmetic', () => {
  it('divides exactly with every rounding mode, also beyond safe products', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: 0, max: 2 ** 30 }),
        fc.integer({ min: 1, max: 2 ** 30 }),
        (a, b, d) => {
          const n = BigInt(a) * BigInt(b);
          const q = n / BigInt(d);
          const r = n % BigInt(d);
          const twice = 2n * r;
          expect(mulDiv(a, b, d, 'floor')).toBe(Number(q));
          expect(mulDiv(a, b, d, 'ceil')).toBe(Number(r === 0n ? q : q + 1n));
          expect(mulDiv(a, b, d, 'half-up')).toBe(Number(twice >= BigInt(d) && r !== 0n ? q + 1n : q));
          expect(mulDiv(a, b, d, 'half-even')).toBe(
            Number(twice > BigInt(d) || (twice === BigInt(d) && q % 2n === 1n) ? q + 1n : q),
          );
        },
      ),
    );
    // A quotient past 2^53 is rounded before it becomes a number (adding one after would change nothing).
    expect(mulDiv(101849963442, 74601969, 20, 'ceil')).toBe(Number((101849963442n * 74601969n + 19n) / 20n));
    expect(divide(15, 10, 'half-even')).toBe(2);
    expect(divide(25, 10, 'half-even')).toBe(2);
    expect(valueOfPoints(-150, { points: 100, amount: 50 })).toBe(-75);
  });
});
