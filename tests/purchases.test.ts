import { afterAll, describe, expect, it } from 'vitest';
import { isClienteleError } from '@clientele/core';
import { purchaseLinesCollection, purchasesCollection } from '@clientele/core/module';
import { BASKET, CLERK, MANAGER, SYSTEM, freshKey, nextReceipt, openChain, snapshot } from './support/chain.js';
import { STORE_KINDS } from './support/stores.js';

// 1.25 kg × 12.99 = 16.2375 → 16.24; 2 × 6.50 − 1.00 = 12.00; 49.90; 3 × 8.90 = 26.70; 12.50 − 2.50 = 10.00
const BASKET_TOTAL = 1624 + 1200 + 4990 + 2670 + 1000;

describe.each(STORE_KINDS)('purchases on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it('records member and anonymous sales with exact minor-unit totals', async () => {
    const { crm } = await openChain(await kind.open());
    const c = await crm.customers.register({ kind: 'individual', name: '孙丽' }, CLERK);
    const card = await crm.cards.issue({ typeId: 'GOLD', storeId: 'S01', customerId: c.id }, CLERK);
    const member = await crm.purchases.record(
      {
        storeId: 'S01',
        terminalId: 'T1',
        receiptNo: nextReceipt(),
        cardNumber: card.number,
        lines: BASKET,
        payments: [
          { method: 'cash', amount: 5000 },
          { method: 'mobile', amount: BASKET_TOTAL - 5000 },
        ],
      },
      { ...CLERK, idempotencyKey: freshKey() },
    );
    expect(member).toMatchObject({
      customerId: c.id,
      cardNumber: card.number,
      subtotal: BASKET_TOTAL + 350,
      discountTotal: 350,
      total: BASKET_TOTAL,
      status: 'completed',
    });
    expect(member.lines.map((l) => l.amount)).toEqual([1624, 1200, 4990, 2670, 1000]);
    const anonymous = await crm.purchases.record(
      { storeId: 'S02', terminalId: 'T9', receiptNo: nextReceipt(), lines: BASKET.slice(0, 1) },
      { ...CLERK, idempotencyKey: freshKey() },
    );
    expect(anonymous.customerId).toBeNull();
    expect(await crm.purchases.get(member.id, SYSTEM)).toEqual(member);
    expect((await crm.purchases.byReceipt('S01', 'T1', member.receiptNo, SYSTEM)).id).toBe(member.id);
    expect((await crm.timeline(c.id, SYSTEM)).items[0]).toMatchObject({ kind: 'purchase', refId: member.id });
  });

  it('answers a retry with the first result and writes nothing twice', async () => {
    const { crm } = await openChain(await kind.open());
    const key = freshKey('till-7');
    const input = { storeId: 'S01', terminalId: 'T1', receiptNo: nextReceipt(), lines: BASKET };
    const events: string[] = [];
    crm.events.on('purchase.recorded', (e) => void events.push(e.purchaseId));
    const first = await crm.purchases.record(input, { ...CLERK, idempotencyKey: key });
    const before = await snapshot(crm);
    const retry = await crm.purchases.record(input, { ...CLERK, idempotencyKey: key });
    expect(retry).toEqual(first);
    expect(await snapshot(crm)).toEqual(before);
    expect(events).toEqual([first.id]);

    const other = await crm.purchases
      .record({ ...input, lines: BASKET.slice(0, 2) }, { ...CLERK, idempotencyKey: key })
      .catch((e) => e);
    expect(other).toMatchObject({ code: 'IDEMPOTENCY_MISMATCH' });
    expect(await snapshot(crm)).toEqual(before);
  });

  it('lets exactly one of eight concurrent retries record the sale', async () => {
    const { crm, store } = await openChain(await kind.open());
    const key = freshKey('till-8');
    const input = { storeId: 'S01', terminalId: 'T1', receiptNo: nextReceipt(), lines: BASKET };
    const results = await Promise.all(
      Array.from({ length: 8 }, () => crm.purchases.record(input, { ...CLERK, idempotencyKey: key })),
    );
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(await store.count(purchasesCollection)).toBe(1);
    expect(await store.count(purchaseLinesCollection)).toBe(5);
  });

  it('refuses a second sale with the same receipt number', async () => {
    const { crm } = await openChain(await kind.open());
    const receiptNo = nextReceipt();
    await crm.purchases.record(
      { storeId: 'S01', terminalId: 'T1', receiptNo, lines: BASKET },
      { ...CLERK, idempotencyKey: freshKey() },
    );
    const dup = await crm.purchases
      .record({ storeId: 'S01', terminalId: 'T1', receiptNo, lines: BASKET }, { ...CLERK, idempotencyKey: freshKey() })
      .catch((e) => e);
    expect(dup).toMatchObject({ code: 'CONFLICT', path: ['receiptNo'] });
  });

  it('takes returns in parts, refunds exactly the line amount in total, and never more than was sold', async () => {
    const { crm } = await openChain(await kind.open());
    const sale = await crm.purchases.record(
      {
        storeId: 'S01',
        terminalId: 'T1',
        receiptNo: nextReceipt(),
        lines: [{ sku: 'CHIPS', category: 'snacks', quantity: 3, unitPrice: 333, discount: 0 }],
      },
      { ...CLERK, idempotencyKey: freshKey() },
    );
    expect(sale.total).toBe(999);
    const r1 = await crm.purchases.return(
      { purchaseId: sale.id, storeId: 'S01', lines: [{ lineNo: 1, quantity: 1 }], reason: 'stale' },
      { ...CLERK, idempotencyKey: freshKey() },
    );
    const r2 = await crm.purchases.return(
      { purchaseId: sale.id, storeId: 'S02', lines: [{ lineNo: 1, quantity: 2 }], reason: 'stale' },
      { ...CLERK, idempotencyKey: freshKey() },
    );
    expect(r1.amount + r2.amount).toBe(999);
    const tooMany = await crm.purchases
      .return(
        { purchaseId: sale.id, storeId: 'S01', lines: [{ lineNo: 1, quantity: 1 }], reason: 'again' },
        { ...CLERK, idempotencyKey: freshKey() },
      )
      .catch((e) => e);
    expect(tooMany).toMatchObject({ code: 'VALIDATION_FAILED', path: ['lines', 0, 'quantity'] });
    expect(tooMany.issues[0].code).toBe('exceeds_sold');
    const after = await crm.purchases.get(sale.id, SYSTEM);
    expect(after.refundedTotal).toBe(999);
    expect(after.lines[0]!.returnedQuantity).toBe(3);
    expect((await crm.purchases.returnsOf(sale.id, SYSTEM)).map((r) => r.amount)).toEqual([r1.amount, r2.amount]);
  });

  it('never returns more than was sold when tills return the same line at once', async () => {
    const { crm } = await openChain(await kind.open());
    const sale = await crm.purchases.record(
      {
        storeId: 'S01',
        terminalId: 'T1',
        receiptNo: nextReceipt(),
        lines: [{ sku: 'WATER', category: 'drinks', quantity: 5, unitPrice: 200 }],
      },
      { ...CLERK, idempotencyKey: freshKey() },
    );
    const attempts = await Promise.allSettled(
      Array.from({ length: 8 }, () =>
        crm.purchases.return(
          { purchaseId: sale.id, storeId: 'S01', lines: [{ lineNo: 1, quantity: 1 }], reason: 'rush' },
          { ...CLERK, idempotencyKey: freshKey() },
        ),
      ),
    );
    expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(5);
    for (const a of attempts)
      if (a.status === 'rejected') expect(isClienteleError(a.reason, 'VALIDATION_FAILED')).toBe(true);
    const after = await crm.purchases.get(sale.id, SYSTEM);
    expect(after.lines[0]!.returnedQuantity).toBe(5);
    expect(after.refundedTotal).toBe(1000);
  });

  it('needs an approver for a refund above the clerk’s limit and records who approved', async () => {
    const { crm } = await openChain(await kind.open());
    const sale = await crm.purchases.record(
      {
        storeId: 'S01',
        terminalId: 'T1',
        receiptNo: nextReceipt(),
        lines: [{ sku: 'KETTLE', category: 'appliances', quantity: 1, unitPrice: 29900 }],
      },
      { ...CLERK, idempotencyKey: freshKey() },
    );
    const input = { purchaseId: sale.id, storeId: 'S01', lines: [{ lineNo: 1, quantity: 1 }], reason: 'faulty' };
    const refused = await crm.purchases.return(input, { ...CLERK, idempotencyKey: freshKey() }).catch((e) => e);
    expect(refused).toMatchObject({ code: 'AUTHORITY_EXCEEDED', details: { amount: 29900, limit: 5000 } });
    expect((await crm.purchases.get(sale.id, SYSTEM)).refundedTotal).toBe(0);
    expect((await crm.audit.list({ outcome: 'refused' }, SYSTEM)).items[0]).toMatchObject({
      command: 'purchases.return',
      errorCode: 'AUTHORITY_EXCEEDED',
    });
    const approved = await crm.purchases.return(
      { ...input, approvedBy: 'E-MANAGER' },
      { ...CLERK, idempotencyKey: freshKey() },
    );
    expect(approved).toMatchObject({ amount: 29900, approvedBy: 'E-MANAGER' });
  });

  it('voids a sale without returns only', async () => {
    const { crm } = await openChain(await kind.open());
    const a = await crm.purchases.record(
      { storeId: 'S01', terminalId: 'T1', receiptNo: nextReceipt(), lines: BASKET },
      { ...CLERK, idempotencyKey: freshKey() },
    );
    const voided = await crm.purchases.void(
      { purchaseId: a.id, reason: 'wrong basket' },
      { ...MANAGER, idempotencyKey: freshKey() },
    );
    expect(voided.status).toBe('voided');
    const returnVoided = await crm.purchases
      .return(
        { purchaseId: a.id, storeId: 'S01', lines: [{ lineNo: 1, quantity: 1 }], reason: 'x' },
        { ...CLERK, idempotencyKey: freshKey() },
      )
      .catch((e) => e);
    expect(returnVoided).toMatchObject({ code: 'INVALID_STATE', path: ['purchaseId'] });
    const b = await crm.purchases.record(
      { storeId: 'S01', terminalId: 'T1', receiptNo: nextReceipt(), lines: BASKET },
      { ...CLERK, idempotencyKey: freshKey() },
    );
    await crm.purchases.return(
      { purchaseId: b.id, storeId: 'S01', lines: [{ lineNo: 4, quantity: 1 }], reason: 'x' },
      { ...CLERK, idempotencyKey: freshKey() },
    );
    const voidReturned = await crm.purchases
      .void({ purchaseId: b.id, reason: 'late' }, { ...MANAGER, idempotencyKey: freshKey() })
      .catch((e) => e);
    expect(voidReturned).toMatchObject({ code: 'INVALID_STATE' });
  });
});
