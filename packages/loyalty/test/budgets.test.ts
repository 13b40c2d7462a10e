import { afterAll, describe, expect, it } from 'vitest';
import { countersCollection } from '../src/index.js';
import {
  CLERK,
  MANAGER,
  PROGRAM,
  STORE_KINDS,
  SYSTEM,
  freshKey,
  member,
  nextReceipt,
  openLoyaltyChain,
  type LoyaltyChain,
} from './support.js';

const PROMO = {
  id: 'promo',
  name: 'Promo oil',
  kind: 'per-unit',
  points: 10,
  when: { sku: ['OIL'] },
  caps: { perCustomer: 100 },
  budgets: [{ points: 150, period: 'lifetime' as const }],
};
const oil = (quantity: number) => [{ sku: 'OIL', category: 'grocery', quantity, unitPrice: 100 }];

async function promoPoints(chain: LoyaltyChain, customerId: string, units: number) {
  const sale = await chain.crm.purchases.record(
    { storeId: 'S01', terminalId: 'T1', receiptNo: nextReceipt(), customerId, lines: oil(units) },
    { ...CLERK, idempotencyKey: freshKey('sale') },
  );
  const rule = (await chain.loyalty.saleAward(sale.id, SYSTEM)).quote.rules.find((r) => r.rule === 'promo')!;
  return { sale, points: rule.points, text: rule.text };
}

describe.each(STORE_KINDS)('caps and budgets at commit on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it(
    'counts each sale against the budget, shares the last of it between racing tills, and gives room back on ' +
      'a return',
    async () => {
      const chain = await openLoyaltyChain(await kind.open(), { ...PROGRAM, earn: [...PROGRAM.earn, PROMO] });
      const [a, b, c, d] = [
        await member(chain, 'A'),
        await member(chain, 'B'),
        await member(chain, 'C'),
        await member(chain, 'D'),
      ];
      const first = await promoPoints(chain, a, 8);
      expect(first.points).toBe(80);
      // Two tills at once for the last 70 points: both commit, together never more than the budget.
      const racing = await Promise.all([promoPoints(chain, b, 5), promoPoints(chain, c, 5)]);
      expect(racing.map((r) => r.points).sort((x, y) => x - y)).toEqual([20, 50]);
      const late = await promoPoints(chain, d, 5);
      expect(late.points).toBe(0);
      expect(late.text).toBe(
        'Promo oil: 1 line, ¥5.00, 10 points per unit → 50, limited to 0 (budget in total 150, 150 used)',
      );
      expect((await chain.store.get(countersCollection, 'budget:promo:0:all'))!.value).toBe(150);

      await chain.crm.purchases.return(
        { purchaseId: first.sale.id, storeId: 'S01', lines: [{ lineNo: 1, quantity: 4 }], reason: 'leaking' },
        { ...MANAGER, idempotencyKey: freshKey('return') },
      );
      expect((await chain.store.get(countersCollection, 'budget:promo:0:all'))!.value).toBe(110);
      expect((await chain.store.get(countersCollection, `cap:promo:customer:${a}`))!.value).toBe(40);
      expect((await promoPoints(chain, d, 5)).points).toBe(40);
    },
  );
});
