/**
 * Vouchers scoped to categories at the checkout, on every store kind: a sale paid partly with a
 * voucher for food earns on a food base reduced by the whole voucher (and nothing else by it), a rule
 * that names its own deductions earns on its own base, a rule that earns nothing says why, and a
 * return works each voucher out again from the lines it covers.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ProgramInput } from '../src/index.js';
import { expectLedgerConsistent } from './invariants.js';
import { CLERK, STORE_KINDS, SYSTEM, freshKey, member, nextReceipt, openLoyaltyChain } from './support.js';

const PROGRAM: ProgramInput = {
  id: 'food-points',
  timeZone: 'Asia/Shanghai',
  base: { vouchers: 'deduct' },
  earn: [
    { id: 'food', name: 'Food', kind: 'per-spend', every: 1000, when: { category: ['food'] } },
    // A campaign that counts food at its shelf price, whatever was taken off it.
    {
      id: 'food-shelf',
      name: 'Food at shelf price',
      kind: 'per-spend',
      every: 10_000,
      deduct: [],
      when: { category: ['food'] },
    },
    { id: 'household', name: 'Household', kind: 'per-spend', every: 100_000, when: { category: ['household'] } },
  ],
};

// 1,000 yuan of food and 429 yuan of household goods.
const LINES = [
  { sku: 'RICE', category: 'food', quantity: 1, unitPrice: 100_000 },
  { sku: 'MOP', category: 'household', quantity: 1, unitPrice: 42_900 },
];

describe.each(STORE_KINDS)('vouchers scoped to lines on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it('reduce the base of the lines they cover only, at the sale and again at each return', async () => {
    const chain = await openLoyaltyChain(await kind.open(), PROGRAM);
    const { crm } = chain;
    const id = await member(chain);
    const validity = { kind: 'days', days: 30 } as const;
    await crm.loyalty.vouchers.defineTemplate(
      {
        id: 'FOOD-10PCT',
        name: 'Food 10% off',
        value: { kind: 'percent', percent: 10, max: 20_000 },
        categories: ['food'],
        validity,
      },
      SYSTEM,
    );
    await crm.loyalty.vouchers.defineTemplate(
      { id: 'ALL-100', name: '100 yuan off', value: { kind: 'amount', amount: 10_000 }, validity },
      SYSTEM,
    );
    const sale = async (templateId: string) => {
      const { code } = await crm.loyalty.vouchers.issue(
        { templateId, customerId: id },
        { ...SYSTEM, idempotencyKey: freshKey('issue') },
      );
      return crm.purchases.record(
        {
          storeId: 'S01',
          terminalId: 'T1',
          receiptNo: nextReceipt(),
          customerId: id,
          lines: LINES,
          payments: [
            { method: 'voucher', amount: 10_000, reference: code },
            { method: 'cash', amount: 132_900 },
          ],
        },
        { ...CLERK, idempotencyKey: freshKey('sale') },
      );
    };

    // 10% off the food: the food base is 900 yuan (90 points), the household line keeps all of its 429.
    const scoped = await sale('FOOD-10PCT');
    const award = await crm.loyalty.saleAward(scoped.id, SYSTEM);
    expect(award.quote.lines.map((l) => l.base)).toEqual([90_000, 42_900]);
    const rule = (id: string) => award.quote.rules.find((r) => r.rule === id)!;
    expect(rule('food').points).toBe(90);
    // The shelf-price campaign deducts nothing: 1,000 yuan.
    expect(rule('food-shelf')).toMatchObject({ base: 100_000, points: 10 });
    // 429 yuan is under one step of 1,000 yuan: it earns nothing and says so.
    expect(rule('household')).toMatchObject({ points: 0, matched: true, reason: 'below-step' });
    expect(award.points).toBe(100);

    // The same 100 yuan off the whole basket is shared by both lines: 93 points of food.
    const whole = await sale('ALL-100');
    const wholeAward = await crm.loyalty.saleAward(whole.id, SYSTEM);
    expect(wholeAward.quote.rules.find((r) => r.rule === 'food')!.points).toBe(93);

    // Returning the mop leaves the food voucher whole: nothing is taken back.
    await crm.purchases.return(
      { purchaseId: scoped.id, storeId: 'S01', lines: [{ lineNo: 2, quantity: 1 }], reason: 'wrong size' },
      { ...SYSTEM, idempotencyKey: freshKey('return') },
    );
    const afterMop = await crm.loyalty.saleAward(scoped.id, SYSTEM);
    expect(afterMop.points).toBe(100);
    expect(afterMop.now.lines[0]!.base).toBe(90_000);
    // Returning the rice takes back all it earned.
    const back = await crm.purchases.return(
      { purchaseId: scoped.id, storeId: 'S01', lines: [{ lineNo: 1, quantity: 1 }], reason: 'weevils' },
      { ...SYSTEM, idempotencyKey: freshKey('return') },
    );
    expect(back.amount).toBe(100_000);
    expect((await crm.loyalty.saleAward(scoped.id, SYSTEM)).points).toBe(0);
    await expectLedgerConsistent(chain.store);
  });
});
