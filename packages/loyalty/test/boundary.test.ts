/**
 * The quote's fast input checks stand in front of zod: they may only accept what the zod schemas
 * accept, with the same result. Random inputs near the edges prove it.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { basketSchema, contextFacts, priceBasket, quoteContextSchema } from '../src/index.js';
import { priceBasketFast } from '../src/basket.js';
import { contextFactsFast } from '../src/quote-context.js';

const text = fc.oneof(
  fc.constantFrom('fresh', 'A-1', ' fresh', 'fresh ', '', 'x'.repeat(65), 'a\u0007b', '蔬菜', 'SKU.9:1', '-lead'),
  fc.string({ maxLength: 8 }),
);
const number = fc.oneof(
  fc.integer({ min: -5, max: 100_000 }),
  fc.double({ noDefaultInfinity: false, noNaN: false }),
  fc.constantFrom(0.001, 1.0005, 1e6, 1e6 + 1, 2 ** 53, 1.5),
);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const validLine = fc.record(
  {
    sku: fc.constantFrom('A-1', 'SKU.9:1', 'apple'),
    name: maybe(fc.constantFrom('苹果', 'Milk 1L')),
    category: fc.constantFrom('fresh', '蔬菜', 'dairy'),
    brand: maybe(fc.constantFrom('Bright', '光明')),
    quantity: fc.integer({ min: 1, max: 5000 }).map((m) => m / 1000),
    unitPrice: fc.integer({ min: 0, max: 50_000 }),
    discount: maybe(fc.integer({ min: 0, max: 100 })),
  },
  { requiredKeys: ['sku', 'category', 'quantity', 'unitPrice'] },
);
const anyLine = fc.record(
  {
    sku: text,
    name: maybe(text),
    category: text,
    brand: maybe(text),
    quantity: number,
    unitPrice: number,
    discount: maybe(number),
    extra: maybe(fc.constant(1)),
  },
  { requiredKeys: [] },
);
// Mostly valid lines, some with one field broken, some random.
const line = fc.oneof(
  { weight: 6, arbitrary: validLine },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        validLine,
        anyLine,
        fc.constantFrom('sku', 'name', 'category', 'brand', 'quantity', 'unitPrice', 'discount', 'extra'),
      )
      .map(([v, a, k]) => ({ ...v, [k]: (a as Record<string, unknown>)[k] })),
  },
  { weight: 1, arbitrary: anyLine },
);

// Vouchers: one amount, or a list of vouchers each for the whole basket or some lines (some of them wrong).
const wildVoucher = fc.record(
  {
    amount: number,
    lines: fc.oneof(fc.array(fc.integer({ min: -1, max: 4 }), { maxLength: 3 }), fc.constant('0')),
    extra: fc.constant(1),
  },
  { requiredKeys: [] },
);
const voucher = fc.oneof(
  { weight: 4, arbitrary: fc.record({ amount: fc.integer({ min: 0, max: 2_000 }) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      amount: fc.integer({ min: 0, max: 2_000 }),
      lines: fc.uniqueArray(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ amount: 1, lines: [0, 0] }) },
  { weight: 1, arbitrary: wildVoucher },
);
const vouchers = fc.oneof(number, fc.array(voucher, { maxLength: 3 }));

describe('input checks in front of zod', () => {
  it('the basket check accepts only what basketSchema accepts, and prices it the same way', () => {
    let accepted = 0;
    let listed = 0;
    fc.assert(
      fc.property(fc.array(line, { maxLength: 4 }), maybe(vouchers), (lines, vouchers) => {
        const input = vouchers === undefined ? { lines } : { lines, vouchers };
        const fast = priceBasketFast(input);
        const parsed = basketSchema.safeParse(input);
        if (fast !== null) {
          accepted++;
          if (Array.isArray(vouchers) && vouchers.length) listed++;
          expect(parsed.success).toBe(true);
          expect(fast).toEqual(priceBasket(structuredClone(input), []));
        }
        if (parsed.success) expect(() => priceBasket(input)).not.toThrow();
      }),
      { numRuns: 3000 },
    );
    // The property is not vacuous: plenty of baskets were valid, some with a list of vouchers.
    expect(accepted).toBeGreaterThan(100);
    expect(listed).toBeGreaterThan(20);
  });

  it('the context check accepts only what quoteContextSchema accepts, with the same facts', () => {
    // A zone zod has seen becomes known to the fast check.
    contextFacts({ at: new Date(0), timeZone: 'Asia/Shanghai', storeId: 'S01' });
    const valid = fc.record(
      {
        at: fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }),
        timeZone: fc.constantFrom('Asia/Shanghai', 'UTC'),
        storeId: fc.constantFrom('S01', 'store.9'),
        channel: fc.constantFrom('store', 'app'),
        customerId: fc.constantFrom('cus_1', null),
        tier: fc.constantFrom('gold', null),
        segments: fc.array(fc.constantFrom('vip', '大客户'), { maxLength: 3 }),
        firstPurchase: fc.boolean(),
        birthDate: fc.constantFrom('1990-02-28', '2000-02-29', null),
        pointsMultiplier: fc.constantFrom(1, 1.5, 2.25),
        counters: fc.dictionary(
          fc.constantFrom('cap:a:customer:cus_1', 'budget:b:0:2026'),
          fc.integer({ min: 0, max: 1000 }),
          { maxKeys: 2 },
        ),
      },
      { requiredKeys: ['at', 'timeZone', 'storeId'] },
    );
    const wild = fc.record({
      at: fc.oneof(fc.date({ noInvalidDate: false }), fc.constant('2026-11-02T10:00:00+08:00')),
      timeZone: fc.constantFrom('Asia/Shanghai', 'UTC', 'Mars/Base'),
      storeId: text,
      channel: fc.constantFrom('store', 'app', 'fax'),
      customerId: fc.oneof(text, fc.constant(null)),
      tier: fc.oneof(text, fc.constant(null)),
      segments: fc.array(text, { maxLength: 3 }),
      firstPurchase: fc.oneof(fc.boolean(), fc.constant('yes')),
      birthDate: fc.constantFrom('1990-02-28', '1990-02-30', '1990-13-01', '2001-02-29', null, 'x'),
      pointsMultiplier: fc.constantFrom(1, 1.5, 1.555, 0.5, 101, Number.NaN),
      counters: fc.dictionary(text, number, { maxKeys: 2 }),
      extra: fc.constant(1),
    });
    const keys = [
      'at',
      'timeZone',
      'storeId',
      'channel',
      'customerId',
      'tier',
      'segments',
      'firstPurchase',
      'birthDate',
      'pointsMultiplier',
      'counters',
      'extra',
    ] as const;
    const context = fc.oneof(
      { weight: 5, arbitrary: valid },
      {
        weight: 5,
        arbitrary: fc.tuple(valid, wild, fc.constantFrom(...keys)).map(([v, w, k]) => ({ ...v, [k]: w[k] })),
      },
    );
    let accepted = 0;
    fc.assert(
      fc.property(context, (input) => {
        const fast = contextFactsFast(input);
        if (fast === null) return;
        accepted++;
        const parsed = quoteContextSchema.safeParse(input);
        expect(parsed.success).toBe(true);
        expect(parsed.data).toEqual(input);
        expect(fast.ms).toBe((input as { at: Date }).at.getTime());
      }),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(20);
  });
});
