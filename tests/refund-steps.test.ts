/**
 * Modules' part in giving a sale back: refund steps run by their declared order (not the order they
 * are declared in), each sees what the earlier ones kept back and settled, and the return pays only
 * the rest at the till. Handlers are declared by a module's setup and run in the emitting transaction.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { defineModule, type RefundStep } from '@clientele/core/module';
import { CLERK, freshKey, nextReceipt, openChain } from './support/chain.js';
import { STORE_KINDS } from './support/stores.js';

/** A module with two steps declared in the wrong order, and a handler counting sales. */
function witness(seen: string[]) {
  const late: RefundStep = {
    order: 450,
    async onReturn(_ctx, e, refund) {
      seen.push(`late:${e.amount}:${refund.left()}`);
      refund.settle({ via: 'account', method: 'house-account', reference: null, amount: Math.min(100, refund.left()) });
    },
    async onVoid(_ctx, e) {
      seen.push(`late-void:${e.total}`);
    },
  };
  const early: RefundStep = {
    order: 50,
    async onReturn(_ctx, e, refund) {
      seen.push(`early:${e.amount}:${refund.left()}`);
      refund.deduct({ source: 'witness.fee', amount: 300, reason: 'a restocking fee' });
    },
  };
  return defineModule<'witness', object>({
    name: 'witness',
    setup: () => ({
      api: {},
      handlers: [{ event: 'purchase.recorded', run: async (_ctx, e) => void seen.push(`sale:${e.total}`) }],
      refunds: [late, early],
      tenders: ['house-account'],
    }),
  });
}

describe.each(STORE_KINDS)('refund steps on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it('run in their declared order, see what earlier steps kept back, and leave the rest to the till', async () => {
    const seen: string[] = [];
    const { crm } = await openChain(await kind.open(), { modules: [witness(seen)] });
    const sale = await crm.purchases.record(
      {
        storeId: 'S01',
        terminalId: 'T1',
        receiptNo: nextReceipt(),
        lines: [{ sku: 'RICE-5KG', category: 'grain', quantity: 2, unitPrice: 2000 }],
        payments: [{ method: 'cash', amount: 4000 }],
      },
      { ...CLERK, idempotencyKey: freshKey() },
    );
    const ret = await crm.purchases.return(
      { purchaseId: sale.id, storeId: 'S01', lines: [{ lineNo: 1, quantity: 1 }], reason: 'torn bag' },
      { ...CLERK, idempotencyKey: freshKey() },
    );
    // The early step saw the whole refund; the late one saw it less the fee.
    expect(seen).toEqual(['sale:4000', 'early:2000:2000', 'late:2000:1700']);
    expect(ret.deductions).toEqual([{ source: 'witness.fee', amount: 300, reason: 'a restocking fee' }]);
    expect(ret.tenders).toEqual([
      { via: 'account', method: 'house-account', reference: null, amount: 100, settled: true },
      { via: 'till', method: 'cash', reference: null, amount: 1600, settled: false },
    ]);
    expect(ret.dueAtTill).toBe(1600);
  });

  it('give a void to each step once, with no refund to collect', async () => {
    const seen: string[] = [];
    const { crm } = await openChain(await kind.open(), { modules: [witness(seen)] });
    const sale = await crm.purchases.record(
      {
        storeId: 'S01',
        terminalId: 'T1',
        receiptNo: nextReceipt(),
        lines: [{ sku: 'SOAP', category: 'household', quantity: 1, unitPrice: 1250 }],
      },
      { ...CLERK, idempotencyKey: freshKey() },
    );
    await crm.purchases.void(
      { purchaseId: sale.id, reason: 'rang up twice' },
      { ...CLERK, idempotencyKey: freshKey() },
    );
    expect(seen).toEqual(['sale:1250', 'late-void:1250']);
  });
});
