import { afterAll, describe, expect, it } from 'vitest';
import { isClienteleError } from '@clientele/core';
import { expectLedgerConsistent } from './invariants.js';
import {
  CLERK,
  STORE_KINDS,
  SYSTEM,
  freshKey,
  loyaltySnapshot,
  member,
  nextReceipt,
  openLoyaltyChain,
  type LoyaltyChain,
} from './support.js';

// 100 yuan of fresh food: 10 points, plus 30 for a big basket and 50 for a first purchase.
const FRESH = { sku: 'APPLE', category: 'fresh-fruit', quantity: 4, unitPrice: 2500 };

async function funded(chain: LoyaltyChain): Promise<string> {
  const id = await member(chain);
  await chain.crm.purchases.record(
    { storeId: 'S01', terminalId: 'T1', receiptNo: nextReceipt(), customerId: id, lines: [FRESH] },
    { ...CLERK, idempotencyKey: freshKey('sale') },
  );
  return id;
}

const grant = (chain: LoyaltyChain, customerId: string, points: number, terminalId: string, minutes?: number) =>
  chain.loyalty.allowances.grant(
    { customerId, points, storeId: 'S01', terminalId, ...(minutes ? { minutes } : {}) },
    { ...CLERK, idempotencyKey: freshKey(`allow-${terminalId}`) },
  );

const KINDS = STORE_KINDS.filter((k) => k.name === 'memory' || k.name === 'postgres');

describe.each(KINDS)('offline allowances on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it('reserves points per terminal so that two terminals cannot both take the same points', async () => {
    const chain = await openLoyaltyChain(await kind.open());
    const id = await funded(chain);
    const results = await Promise.allSettled([grant(chain, id, 80, 'T1'), grant(chain, id, 80, 'T2')]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(isClienteleError(refused.reason, 'INSUFFICIENT_BALANCE')).toBe(true);
    expect(await chain.loyalty.balance(id, SYSTEM)).toMatchObject({ available: 110, held: 80, spendable: 30 });
    await expectLedgerConsistent(chain.store);
  });

  it('draws one sale at a time into a hold the sale commits, and refuses what is beyond the allowance', async () => {
    const chain = await openLoyaltyChain(await kind.open());
    const id = await funded(chain);
    const allowance = await grant(chain, id, 60, 'T1', 12 * 60);
    expect(allowance.id).toMatch(/^lpa_/);
    const key = freshKey('draw');
    const drawn = await chain.loyalty.allowances.draw(
      { allowanceId: allowance.id, points: 25, terminalId: 'T1' },
      { ...CLERK, idempotencyKey: key },
    );
    // A retry gives the same hold and draws nothing more.
    const again = await chain.loyalty.allowances.draw(
      { allowanceId: allowance.id, points: 25, terminalId: 'T1' },
      { ...CLERK, idempotencyKey: key },
    );
    expect(again.id).toBe(drawn.id);
    await chain.crm.purchases.record(
      {
        storeId: 'S01',
        terminalId: 'T1',
        receiptNo: nextReceipt(),
        customerId: id,
        lines: [{ sku: 'SOAP', category: 'household', quantity: 1, unitPrice: 1000 }],
        payments: [
          { method: 'points', amount: 25, reference: drawn.id },
          { method: 'cash', amount: 975 },
        ],
      },
      { ...CLERK, idempotencyKey: freshKey('sale') },
    );
    // 110 - 25 spent + 2 earned on the 10 yuan of household goods (goods paid with points earn too).
    expect(await chain.loyalty.balance(id, SYSTEM)).toMatchObject({ available: 87, held: 35, spendable: 52 });

    const before = await loyaltySnapshot(chain);
    const over = await chain.loyalty.allowances
      .draw({ allowanceId: allowance.id, points: 36, terminalId: 'T1' }, { ...CLERK, idempotencyKey: freshKey('d') })
      .catch((e: unknown) => e);
    expect(over).toMatchObject({ code: 'VALIDATION_FAILED', path: ['points'] });
    const elsewhere = await chain.loyalty.allowances
      .draw({ allowanceId: allowance.id, points: 5, terminalId: 'T2' }, { ...CLERK, idempotencyKey: freshKey('d') })
      .catch((e: unknown) => e);
    expect(elsewhere).toMatchObject({ code: 'VALIDATION_FAILED', path: ['terminalId'] });
    expect(await loyaltySnapshot(chain)).toEqual(before);
    await expectLedgerConsistent(chain.store);
  });

  it('gives the rest back when the allowance expires, after which it cannot be drawn', async () => {
    const chain = await openLoyaltyChain(await kind.open());
    const id = await funded(chain);
    const allowance = await grant(chain, id, 50, 'T1', 60);
    chain.clock.advance(61 * 60_000);
    await chain.crm.runDue(chain.clock.now());
    expect(await chain.loyalty.balance(id, SYSTEM)).toMatchObject({ held: 0, spendable: 110 });
    const late = await chain.loyalty.allowances
      .draw({ allowanceId: allowance.id, points: 5, terminalId: 'T1' }, { ...CLERK, idempotencyKey: freshKey('d') })
      .catch((e: unknown) => e);
    expect(late).toMatchObject({ code: 'INVALID_STATE', details: { status: 'expired' } });
    await expectLedgerConsistent(chain.store);
  });
});
