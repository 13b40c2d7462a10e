import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileProgram, defineRuleKind, explainQuote, quote, type ProgramInput } from '../src/index.js';
import { z } from 'zod';
import { PROGRAM } from './support.js';

const MONDAY = {
  at: new Date('2026-11-02T02:00:00Z'),
  timeZone: 'Asia/Shanghai',
  storeId: 'S01',
  customerId: 'cus_1',
  tier: 'standard',
};
const SATURDAY = { ...MONDAY, at: new Date('2026-11-07T02:00:00Z') };
const program = compileProgram(PROGRAM);

describe('quote', () => {
  it('earns per category, leaves excluded lines out, and explains each line and each rule that did not apply', () => {
    const q = quote(
      program,
      {
        lines: [
          { sku: 'APPLE', name: 'Fresh produce', category: 'fresh-fruit', quantity: 2, unitPrice: 4325 },
          { sku: 'CIG', category: 'tobacco', quantity: 2, unitPrice: 3000 },
        ],
      },
      MONDAY,
    );
    expect(q.points).toBe(8);
    expect(q.base).toBe(8650);
    expect(q.lines.map((l) => l.points)).toEqual([8, null]);
    expect(q.lines[1]!.excluded).toBe('excluded: category tobacco');
    const big = q.rules.find((r) => r.rule === 'big-basket')!;
    expect(big).toMatchObject({ matched: false, points: 0 });
    expect(big.text).toBe('Big basket: not applied, minimum basket ¥100.00 not met (¥86.50)');
    expect(q.rules.find((r) => r.rule === 'gold')).toMatchObject({
      reason: 'condition',
      condition: 'tier',
      why: 'only for tier gold (member is standard)',
    });
    expect(big).toMatchObject({ reason: 'condition', condition: 'minBasket' });
    expect(explainQuote(q, program.money)).toContain('Weekend: not applied, only on sat, sun (today is mon)');
  });

  it(
    'takes the best base rate per line in a best-of group and adds multipliers (x2 weekend and x1.5 gold ' +
      'give x2.5)',
    () => {
      const basket = { lines: [{ sku: 'MILK', category: 'dairy', quantity: 4, unitPrice: 1250 }] };
      // 50.00 yuan: fresh food (every 10 yuan) gives 5, the general rate (every 20 yuan) 2: fresh wins.
      const q = quote(program, basket, { ...SATURDAY, tier: 'gold' });
      expect(q.rules.find((r) => r.rule === 'general')).toMatchObject({
        reason: 'best-of',
        condition: null,
        why: 'group base is best-of and Fresh food gives more on every matching line',
      });
      // Rules of equal priority go in id order: gold before weekend.
      expect(q.lines[0]!.earned.map((e) => [e.rule, e.points])).toEqual([
        ['fresh', 5],
        ['gold', 2],
        ['weekend', 5],
      ]);
      expect(q.points).toBe(12);
      expect(q.lines[0]!.text).toBe(
        'dairy ¥50.00: Fresh food: every ¥10.00 = 1 point → 5; x1.5 Gold members +2; x2 Weekend +5 = 12 points',
      );
    },
  );

  it('rounds per basket when the program says so, so small lines add up', () => {
    const perBasket = compileProgram({ ...PROGRAM, rounding: { per: 'basket' } });
    const basket = {
      lines: [1, 2, 3].map((i) => ({ sku: `VEG-${i}`, category: 'vegetables', quantity: 1, unitPrice: 600 })),
    };
    expect(quote(program, basket, MONDAY).points).toBe(0);
    const q = quote(perBasket, basket, MONDAY);
    expect(q.points).toBe(1);
    expect(q.lines[0]!.points).toBeNull();
    expect(q.rules.find((r) => r.rule === 'fresh')!.text).toBe(
      'Fresh food: 3 lines, ¥18.00, every ¥10.00 = 1 point → 1',
    );
  });

  it('deducts vouchers from the base, before or after, as the program names it', () => {
    const basket = {
      lines: [
        { sku: 'APPLE', category: 'fresh-fruit', quantity: 1, unitPrice: 5000 },
        { sku: 'SOAP', category: 'household', quantity: 1, unitPrice: 5000 },
      ],
      vouchers: 2000,
    };
    // 5 + 10, and 30 for a 100-yuan basket.
    expect(quote(program, basket, MONDAY).points).toBe(45);
    const after = compileProgram({ ...PROGRAM, base: { vouchers: 'deduct' } });
    const q = quote(after, basket, MONDAY);
    expect(q.base).toBe(8000);
    expect(q.lines.map((l) => l.base)).toEqual([4000, 4000]);
    // 4 + 8; 80 yuan after vouchers is no longer a big basket.
    expect(q.points).toBe(12);
  });

  describe('vouchers scoped to lines', () => {
    // Food earns 1 point per 10 yuan; 1,000 yuan of food and 429 yuan of household goods, 10% off food.
    const FOOD_ONLY: ProgramInput = {
      id: 'food',
      base: { vouchers: 'deduct' },
      earn: [{ id: 'food', name: 'Food', kind: 'per-spend', every: 1000, when: { category: ['food'] } }],
    };
    const foodOnly = compileProgram(FOOD_ONLY);
    const lines = [
      { sku: 'RICE', category: 'food', quantity: 1, unitPrice: 100_000 },
      { sku: 'MOP', category: 'household', quantity: 1, unitPrice: 42_900 },
    ];

    it('reduce only the lines they cover, where a whole-basket voucher is spread over every line', () => {
      const scoped = quote(foodOnly, { lines, vouchers: [{ amount: 10_000, lines: [0] }] }, MONDAY);
      expect(scoped.lines.map((l) => l.base)).toEqual([90_000, 42_900]);
      expect(scoped.points).toBe(90);
      // The same 100 yuan for the whole basket is shared by both lines in proportion.
      const whole = quote(foodOnly, { lines, vouchers: 10_000 }, MONDAY);
      expect(whole.points).toBe(93);
      expect(quote(foodOnly, { lines, vouchers: [{ amount: 10_000 }] }, MONDAY).points).toBe(whole.points);
      // A scoped and a whole-basket voucher together: the scoped one first, the other on what is left to pay.
      const both = quote(foodOnly, { lines, vouchers: [{ amount: 10_000, lines: [0] }, { amount: 13_290 }] }, MONDAY);
      expect(both.lines.map((l) => l.base)).toEqual([90_000 - 9_000, 42_900 - 4_290]);
      expect(both.points).toBe(81);
    });

    it('are split over the eligible lines they cover only, never an excluded one', () => {
      const withTobacco = [...lines, { sku: 'CIG', category: 'tobacco', quantity: 1, unitPrice: 5_000 }];
      const p = compileProgram({ ...FOOD_ONLY, exclude: { category: ['tobacco'] } });
      const q = quote(p, { lines: withTobacco, vouchers: [{ amount: 2_000, lines: [0, 2] }] }, MONDAY);
      expect(q.lines.map((l) => l.base)).toEqual([98_000, 42_900, 5_000]);
    });

    it('let a rule name the discounts that reduce its base, whatever the program says', () => {
      const p = compileProgram({
        id: 'mixed',
        base: { amount: 'gross' },
        earn: [
          // Gross, as the program says: 5,000 + 1,000 line discount.
          { id: 'gross', kind: 'per-spend', every: 100, when: { category: ['food'] } },
          {
            id: 'paid',
            kind: 'per-spend',
            every: 100,
            when: { category: ['food'] },
            deduct: ['line-discounts', 'scoped-vouchers'],
          },
          { id: 'after-all', kind: 'per-spend', every: 100, deduct: ['line-discounts', 'basket-vouchers'] },
        ],
      });
      const basket = {
        lines: [
          { sku: 'RICE', category: 'food', quantity: 1, unitPrice: 6_000, discount: 1_000 },
          { sku: 'MOP', category: 'household', quantity: 1, unitPrice: 5_000 },
        ],
        vouchers: [{ amount: 500, lines: [0] }, { amount: 900 }],
      };
      const q = quote(p, basket, MONDAY);
      const rule = (id: string) => q.rules.find((r) => r.rule === id)!;
      expect(rule('gross')).toMatchObject({ base: 6_000, points: 60 });
      // 6,000 - 1,000 - 500 of the food voucher.
      expect(rule('paid')).toMatchObject({ base: 4_500, points: 45 });
      // The 900 for the basket is shared by what is left to pay: 4,500 and 5,000.
      // ... and each line rounds down on its own: 45.74 and 45.26 points.
      expect(rule('after-all')).toMatchObject({ base: 10_000 - 900, points: 90 });
      // The lines show the program's base.
      expect(q.lines.map((l) => l.base)).toEqual([6_000, 5_000]);
    });

    it('are checked against the basket, each problem by path', () => {
      const refused = (vouchers: unknown) => {
        try {
          quote(foodOnly, { lines, vouchers } as never, MONDAY);
        } catch (e) {
          return (e as { issues: Array<{ path: unknown[]; code: string }> }).issues.map(
            (i) => `${i.path.join('.')} ${i.code}`,
          );
        }
        return [];
      };
      expect(refused([{ amount: 100, lines: [2] }])).toEqual(['basket.vouchers.0.lines.0 unknown_line']);
      expect(refused([{ amount: 100, lines: [0, 0] }])).toEqual(['basket.vouchers.0.lines.1 duplicate_line']);
      expect(refused([{ amount: 50_000, lines: [1] }])).toEqual(['basket.vouchers.0.amount voucher_exceeds_lines']);
      expect(refused([{ amount: 100_000 }, { amount: 50_000 }])).toEqual(['basket.vouchers vouchers_exceed_total']);
    });
  });

  it('says in a machine-readable reason why each rule that earns nothing earns nothing', () => {
    const p = compileProgram({
      ...PROGRAM,
      earn: [
        ...PROGRAM.earn,
        { id: 'promo-oil', name: 'Promo oil', kind: 'per-unit', points: 20, when: { sku: ['OIL-5L'] } },
        { id: 'soap-cap', name: 'Soap', kind: 'per-spend', every: 100, when: { sku: ['SOAP'] }, caps: { perDay: 5 } },
      ],
    });
    const q = quote(
      p,
      {
        lines: [
          { sku: 'APPLE', category: 'fresh-fruit', quantity: 1, unitPrice: 600 },
          { sku: 'SOAP', category: 'household', quantity: 1, unitPrice: 400 },
        ],
      },
      { ...MONDAY, counters: { [`cap:soap-cap:day:cus_1:2026-11-02`]: 5 } },
    );
    const why = (id: string) => {
      const r = q.rules.find((x) => x.rule === id)!;
      return [r.points, r.matched, r.reason, r.condition, r.why];
    };
    // 6 yuan of fruit under one step of 10 yuan: the rule applied and earned 0.
    expect(why('fresh')).toEqual([0, true, 'below-step', null, 'under one step of every ¥10.00 = 1 point']);
    expect(q.rules.find((x) => x.rule === 'fresh')!.text).toBe(
      'Fresh food: 1 line, ¥6.00, every ¥10.00 = 1 point → 0 (under one step of every ¥10.00 = 1 point)',
    );
    expect(why('promo-oil')).toEqual([0, false, 'no-matching-line', null, 'no eligible line with SKU OIL-5L']);
    expect(why('weekend').slice(0, 4)).toEqual([0, false, 'condition', 'weekday']);
    expect(why('big-basket').slice(0, 4)).toEqual([0, false, 'condition', 'minBasket']);
    expect(why('general').slice(0, 3)).toEqual([0, false, 'best-of']);
    expect(q.rules.find((x) => x.rule === 'household')!.points).toBe(0);
    expect(why('soap-cap').slice(0, 3)).toEqual([0, true, 'capped']);
    // A rule that earns says nothing.
    const earning = quote(
      p,
      { lines: [{ sku: 'SOAP', category: 'household', quantity: 1, unitPrice: 5_000 }] },
      MONDAY,
    );
    expect(earning.rules.find((x) => x.rule === 'household')).toMatchObject({ points: 10, reason: null, why: null });
    // Every line excluded: no eligible line for any rule, in JSON too.
    const smoke = quote(p, { lines: [{ sku: 'CIG', category: 'tobacco', quantity: 1, unitPrice: 5_000 }] }, MONDAY);
    const fresh = smoke.rules.find((x) => x.rule === 'fresh');
    expect(JSON.parse(JSON.stringify(fresh))).toMatchObject({ reason: 'no-eligible-line', why: 'no eligible line' });
  });

  it('caps a rule per order, per day and per member, and budgets it, saying which limit cut how much', () => {
    const capped = compileProgram({
      ...PROGRAM,
      earn: [
        ...PROGRAM.earn,
        {
          id: 'promo',
          name: 'Promo SKU',
          kind: 'per-unit',
          points: 10,
          when: { sku: ['PROMO'] },
          caps: { perOrder: 50, perDay: 60, perCustomer: 500 },
          budgets: [{ points: 1000, period: 'month' }],
        },
      ],
    });
    const basket = { lines: [{ sku: 'PROMO', category: 'snacks', quantity: 8, unitPrice: 100 }] };
    const fresh = quote(capped, basket, MONDAY);
    const promo = fresh.rules.find((r) => r.rule === 'promo')!;
    expect([promo.uncapped, promo.points]).toEqual([80, 50]);
    expect(promo.limits.map((l) => [l.kind, l.cut])).toEqual([['per-order', 30]]);
    expect(fresh.counters.map((c) => [c.key, c.points, c.limit])).toEqual([
      ['cap:promo:day:cus_1:2026-11-02', 50, 60],
      ['cap:promo:customer:cus_1', 50, 500],
      ['budget:promo:0:2026-11', 50, 1000],
    ]);
    const later = quote(capped, basket, {
      ...MONDAY,
      counters: { 'cap:promo:day:cus_1:2026-11-02': 50, 'budget:promo:0:2026-11': 995 },
    });
    const p2 = later.rules.find((r) => r.rule === 'promo')!;
    expect(p2.points).toBe(5);
    expect(p2.text).toBe(
      'Promo SKU: 1 line, ¥8.00, 10 points per unit → 80, limited to 5 (per order cap 50; per day cap 60, 50 ' +
        'used; budget per month 1000, 995 used)',
    );
  });

  it('caps the whole order, trimming the lowest-priority rules first', () => {
    const p = compileProgram({ ...PROGRAM, caps: { perOrder: 40 } });
    const q = quote(
      p,
      { lines: [{ sku: 'APPLE', category: 'fresh-fruit', quantity: 10, unitPrice: 1000 }] },
      { ...MONDAY, firstPurchase: true },
    );
    // 10 fresh + 50 first purchase + 30 big basket = 90, capped to 40: the last in evaluation order gives way first.
    expect(q.points).toBe(40);
    expect(q.rules.filter((r) => r.matched).map((r) => [r.rule, r.points])).toEqual([
      ['big-basket', 30],
      ['first', 10],
      ['fresh', 0],
    ]);
    expect(q.rules.find((r) => r.rule === 'first')!.limits[0]).toMatchObject({
      kind: 'order-total',
      limit: 40,
      cut: 40,
    });
  });

  it('applies the segment policy multiplier and matches segment conditions on segments or tags', () => {
    const p = compileProgram({
      ...PROGRAM,
      earn: [
        ...PROGRAM.earn,
        { id: 'vip', name: 'VIP bonus', kind: 'bonus', points: 7, when: { segment: ['vip', 'key-account'] } },
      ],
    });
    const basket = { lines: [{ sku: 'APPLE', category: 'fresh-fruit', quantity: 1, unitPrice: 4000 }] };
    expect(quote(p, basket, MONDAY).points).toBe(4);
    const q = quote(p, basket, { ...MONDAY, segments: ['vip'], pointsMultiplier: 1.5 });
    expect(q.points).toBe(4 + 2 + 7);
    expect(q.rules.at(-1)!.text).toBe('Segment policy: x1.5 on 1 line → +2');
  });

  it('lets a host register its own rule kind and use it by code', () => {
    const perKilo = defineRuleKind({
      code: 'per-line',
      stage: 'basket',
      description: 'Points per matching line.',
      args: z.object({ each: z.number().int().positive() }),
      compile: ({ each }) => ({ stage: 'basket', points: (_f, m) => m.lines * each, describe: `${each} per line` }),
    });
    const p = compileProgram(
      { ...PROGRAM, earn: [{ id: 'lines', kind: 'per-line', each: 3, when: { category: ['dairy'] } }] },
      { ruleKinds: [perKilo] },
    );
    const q = quote(
      p,
      { lines: [1, 2].map((i) => ({ sku: `M${i}`, category: 'dairy', quantity: 1, unitPrice: 100 })) },
      MONDAY,
    );
    expect(q.points).toBe(6);
    expect(q.rules[0]!.text).toBe('lines: 3 per line → 6');
    expect(() =>
      compileProgram({ ...PROGRAM, earn: [{ id: 'lines', kind: 'per-line', each: 0 }] }, { ruleKinds: [perKilo] }),
    ).toThrow(/earn\.0\.each/);
  });

  it('never depends on the order of the lines', () => {
    const p = compileProgram({ ...PROGRAM, base: { vouchers: 'deduct' }, rounding: { per: 'basket' } });
    const line = fc.record({
      sku: fc.constantFrom('A', 'B', 'C', 'PROMO'),
      category: fc.constantFrom('fresh-fruit', 'household', 'grain', 'tobacco', 'dairy'),
      quantity: fc.integer({ min: 1, max: 5000 }).map((m) => m / 1000),
      unitPrice: fc.integer({ min: 0, max: 20000 }),
    });
    fc.assert(
      fc.property(
        fc.array(line, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 3000 }),
        fc.boolean(),
        (lines, vouchers, perLine) => {
          const total = lines.reduce((s, l) => s + Math.round(l.quantity * l.unitPrice), 0);
          const v = Math.min(vouchers, Math.max(0, total - 10));
          const which = perLine ? program : p;
          const a = quote(which, { lines, vouchers: v }, SATURDAY);
          const b = quote(which, { lines: [...lines].reverse(), vouchers: v }, SATURDAY);
          expect(b.points).toBe(a.points);
          expect(b.rules.map((r) => r.points)).toEqual(a.rules.map((r) => r.points));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses a malformed basket or context with every problem by path', () => {
    const bad = () =>
      quote(
        program,
        {
          lines: [
            { sku: 'A', category: 'x', quantity: -1, unitPrice: 10.5 },
            { sku: '', category: 'y', quantity: 1, unitPrice: 5, discount: 9 },
          ],
        },
        { ...MONDAY, timeZone: 'Mars/Base' },
      );
    expect(bad).toThrow();
    try {
      bad();
    } catch (e) {
      const err = e as { code: string; issues: Array<{ path: unknown[] }> };
      expect(err.code).toBe('VALIDATION_FAILED');
      expect(err.issues.map((i) => i.path.join('.'))).toEqual(
        expect.arrayContaining(['basket.lines.0.quantity', 'basket.lines.0.unitPrice', 'basket.lines.1.sku']),
      );
    }
    expect(() =>
      quote(program, { lines: [{ sku: 'A', category: 'x', quantity: 1, unitPrice: 5, discount: 9 }] }, MONDAY),
    ).toThrow(/basket\.lines\.0\.discount/);
    expect(() =>
      quote(
        program,
        { lines: [{ sku: 'A', category: 'x', quantity: 1, unitPrice: 5 }] },
        { ...MONDAY, timeZone: 'Mars/Base' },
      ),
    ).toThrow(/context\.timeZone/);
  });
});

describe('program validation', () => {
  it('refuses a misspelt key when the program is compiled, and the type refuses it when it is written', () => {
    // @ts-expect-error `eran` is not a key of a program: the program's type names every key.
    expect(() => compileProgram({ id: 'typo', eran: [{ id: 'base', kind: 'per-spend', every: 100 }] })).toThrow(/eran/);
  });

  const expectIssues = (input: unknown, expected: Array<[string, RegExp]>) => {
    try {
      compileProgram(input as ProgramInput);
      expect.unreachable('the program was accepted');
    } catch (e) {
      const err = e as { code: string; issues: Array<{ path: unknown[]; message: string }> };
      expect(err.code).toBe('VALIDATION_FAILED');
      const got = err.issues.map((i) => [i.path.join('.'), i.message] as const);
      for (const [path, message] of expected)
        expect(
          got.some(([p, m]) => p === path && message.test(m)),
          `${path} ${message} in ${JSON.stringify(got)}`,
        ).toBe(true);
    }
  };

  it('names every malformed field by path', () => {
    const earn: unknown[] = [...PROGRAM.earn];
    earn[3] = { id: 'bad', kind: 'per-spend', every: -5 };
    earn.push({ id: 'odd', kind: 'teleport' });
    expectIssues({ ...PROGRAM, earn, expiry: { kind: 'days', days: 0 } }, [
      ['earn.3.every', /every must be a positive integer/],
      ['earn.7.kind', /discriminator/i],
      ['expiry.days', /.+/],
    ]);
  });

  it('refuses a program that contradicts itself', () => {
    expectIssues(
      {
        ...PROGRAM,
        pending: { days: 30 },
        expiry: { kind: 'days', days: 14 },
        earn: [
          { id: 'a', kind: 'per-spend', every: 100, group: 'nope' },
          {
            id: 'a',
            kind: 'bonus',
            points: 5,
            when: { tier: ['platinum'], dates: { from: '2026-12-01', to: '2026-11-01' } },
          },
          { id: 'smokes', kind: 'per-spend', every: 100, when: { category: ['tobacco'] } },
          { id: 'x2', kind: 'multiplier', factor: 2, appliesTo: ['ghost'] },
        ],
        tiers: {
          ...PROGRAM.tiers,
          levels: [
            { code: 'standard', name: 'S', threshold: 10 },
            { code: 'gold', name: 'G', threshold: 5 },
          ],
        },
      },
      [
        ['earn.0.group', /not declared/],
        ['earn.1.id', /used by earn\[0\]/],
        ['earn.1.when.tier.0', /unknown tier platinum/],
        ['earn.1.when.dates.to', /from is after to/],
        ['earn.2.when.category', /excluded by exclude.category/],
        ['earn.3.appliesTo.0', /no rule ghost/],
        ['expiry.days', /before they stop pending/],
        ['tiers.levels.0.threshold', /threshold 0/],
        ['tiers.levels.1.threshold', /needs more than/],
      ],
    );
  });
});
