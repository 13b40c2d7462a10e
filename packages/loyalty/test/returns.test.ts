import { afterAll, describe, expect, it } from 'vitest';
import type { LoyaltyEvents } from '../src/index.js';
import { expectLedgerConsistent } from './invariants.js';
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

// 94 points: 8 fresh + 4 household + 2 grain + 30 big basket + 50 first purchase.
const LINES = [
  { sku: 'APPLE', category: 'fresh-fruit', quantity: 2, unitPrice: 4325 },
  { sku: 'SOAP', category: 'household', quantity: 1, unitPrice: 2300 },
  { sku: 'RICE', category: 'grain', quantity: 1, unitPrice: 4990 },
];

async function spentAfterBuying(chain: LoyaltyChain) {
  const id = await member(chain);
  const sale = await chain.crm.purchases.record(
    { storeId: 'S01', terminalId: 'T1', receiptNo: nextReceipt(), customerId: id, lines: LINES },
    { ...CLERK, idempotencyKey: freshKey('sale') },
  );
  await chain.loyalty.redeem(
    { customerId: id, points: 100, ref: { type: 'order', id: 'gift' } },
    { ...MANAGER, idempotencyKey: freshKey('redeem') },
  );
  return { id, sale };
}

describe.each(STORE_KINDS)('returns of points already spent on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it('lets the balance go negative, blocks redemption, and pays the debt from the next points', async () => {
    const chain = await openLoyaltyChain(await kind.open());
    const { id, sale } = await spentAfterBuying(chain);
    expect((await chain.loyalty.balance(id, SYSTEM)).available).toBe(14);
    await chain.crm.purchases.return(
      {
        purchaseId: sale.id,
        storeId: 'S01',
        lines: [1, 2, 3]
          .map((lineNo) => ({ lineNo, quantity: 1 }))
          .map((l, i) => (i === 0 ? { ...l, quantity: 2 } : l)),
        reason: 'all back',
      },
      { ...MANAGER, idempotencyKey: freshKey('return') },
    );
    expect(await chain.loyalty.balance(id, SYSTEM)).toMatchObject({ available: -80, spendable: -80 });
    expect(
      await chain.loyalty
        .redeem(
          { customerId: id, points: 1, ref: { type: 'order', id: 'x' } },
          { ...MANAGER, idempotencyKey: freshKey('redeem') },
        )
        .catch((e: unknown) => e),
    ).toMatchObject({ code: 'INSUFFICIENT_BALANCE' });
    await chain.loyalty.adjust(
      { customerId: id, points: 100, reason: 'apology' },
      { ...MANAGER, idempotencyKey: freshKey('adj') },
    );
    expect((await chain.loyalty.balance(id, SYSTEM)).available).toBe(20);
    expect((await chain.loyalty.expirySchedule(id, SYSTEM)).expiring.reduce((s, e) => s + e.points, 0)).toBe(20);
    await expectLedgerConsistent(chain.store);
  });

  it('charges the shortfall against the refund when the program says so, and tells the till beforehand', async () => {
    const chain = await openLoyaltyChain(await kind.open(), {
      ...PROGRAM,
      returns: { shortfall: 'deduct-from-refund' },
    });
    const { id, sale } = await spentAfterBuying(chain);
    const lines = [
      { lineNo: 1, quantity: 2 },
      { lineNo: 2, quantity: 1 },
      { lineNo: 3, quantity: 1 },
    ];
    expect(await chain.loyalty.previewReturn({ purchaseId: sale.id, lines }, SYSTEM)).toEqual({
      customerId: id,
      refund: sale.total,
      clawback: 94,
      shortfall: 80,
      restore: 0,
      rewards: [],
      vouchers: [],
      refundDeduction: 80,
      payable: sale.total - 80,
    });
    expect(
      await chain.loyalty.previewReturn({ purchaseId: sale.id, lines: [{ lineNo: 2, quantity: 1 }] }, SYSTEM),
    ).toEqual({
      customerId: id,
      refund: 2300,
      clawback: 4,
      shortfall: 0,
      restore: 0,
      rewards: [],
      vouchers: [],
      refundDeduction: 0,
      payable: 2300,
    });
    // Asked of lines the sale does not have, or more than it sold, the preview refuses as the return would.
    expect(
      await chain.loyalty
        .previewReturn({ purchaseId: sale.id, lines: [{ lineNo: 9, quantity: 1 }] }, SYSTEM)
        .catch((e: unknown) => e),
    ).toMatchObject({ code: 'VALIDATION_FAILED', path: ['lines', 0, 'lineNo'] });
    expect(
      await chain.loyalty
        .previewReturn(
          {
            purchaseId: sale.id,
            lines: [
              { lineNo: 1, quantity: 1 },
              { lineNo: 1, quantity: 1.5 },
            ],
          },
          SYSTEM,
        )
        .catch((e: unknown) => e),
    ).toMatchObject({ code: 'VALIDATION_FAILED', path: ['lines', 1, 'quantity'] });
    const clawed: Array<LoyaltyEvents['points.clawed-back']> = [];
    chain.crm.events.on('points.clawed-back', (e) => void clawed.push(e));
    const key = freshKey('return');
    const back = await chain.crm.purchases.return(
      { purchaseId: sale.id, storeId: 'S01', lines, reason: 'all back' },
      { ...MANAGER, idempotencyKey: key },
    );
    // The refund the till pays is the goods' value less the spent points' value, on the record itself.
    expect(back.amount).toBe(sale.total);
    expect(back.deductions).toEqual([
      { source: 'loyalty.points', amount: 80, reason: '80 points the returned goods earned were already spent' },
    ]);
    expect(back.payable).toBe(sale.total - 80);
    expect(await chain.crm.purchases.returnsOf(sale.id, SYSTEM)).toMatchObject([
      { id: back.id, payable: sale.total - 80 },
    ]);
    // A retry gets the same answer and takes nothing again.
    expect(
      await chain.crm.purchases.return(
        { purchaseId: sale.id, storeId: 'S01', lines, reason: 'all back' },
        { ...MANAGER, idempotencyKey: key },
      ),
    ).toEqual(back);
    expect(await chain.loyalty.balance(id, SYSTEM)).toMatchObject({ available: 0, spendable: 0 });
    expect(clawed).toMatchObject([{ points: 14, shortfall: 80, refundDeduction: 80 }]);
    const timeline = await chain.crm.timeline(id, SYSTEM);
    expect(timeline.items.map((t) => t.summary)).toContainEqual(
      expect.stringContaining('less CN¥0.80: 80 points the returned goods earned were already spent'),
    );
    // In Chinese the reason for what was kept back is Chinese too, worded by the loyalty module.
    const chinese = await chain.crm.timeline(id, { locale: 'zh-CN' }, SYSTEM);
    expect(chinese.items.map((t) => t.summary)).toContainEqual(
      expect.stringContaining('扣除 ¥0.80：退回商品所得的 80 积分已使用）'),
    );
    await expectLedgerConsistent(chain.store);
  });

  it('takes back everything a voided sale earned and gives back what paid for it', async () => {
    const chain = await openLoyaltyChain(await kind.open());
    const id = await member(chain);
    await chain.crm.purchases.record(
      { storeId: 'S01', terminalId: 'T1', receiptNo: nextReceipt(), customerId: id, lines: LINES },
      { ...CLERK, idempotencyKey: freshKey('sale') },
    );
    const hold = await chain.loyalty.reserve(
      { customerId: id, points: 100, storeId: 'S01', terminalId: 'T1' },
      { ...CLERK, idempotencyKey: freshKey('hold') },
    );
    const second = await chain.crm.purchases.record(
      {
        storeId: 'S01',
        terminalId: 'T1',
        receiptNo: nextReceipt(),
        customerId: id,
        lines: [{ sku: 'SOAP', category: 'household', quantity: 1, unitPrice: 2300 }],
        payments: [
          { method: 'points', amount: 100, reference: hold.id },
          { method: 'cash', amount: 2200 },
        ],
      },
      { ...CLERK, idempotencyKey: freshKey('sale') },
    );
    expect((await chain.loyalty.balance(id, SYSTEM)).available).toBe(114 - 100 + 4);
    await chain.crm.purchases.void(
      { purchaseId: second.id, reason: 'wrong member' },
      { ...MANAGER, idempotencyKey: freshKey('void') },
    );
    expect((await chain.loyalty.balance(id, SYSTEM)).available).toBe(114);
    expect((await chain.loyalty.saleAward(second.id, SYSTEM)).status).toBe('voided');
    await expectLedgerConsistent(chain.store);
  });
});
