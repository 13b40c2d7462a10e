import { afterAll, describe, expect, it } from 'vitest';
import { isClienteleError } from '@clientele/core';
import type { LoyaltyEvents } from '../src/index.js';
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

// 86.50 fresh (8 points), 23.00 household (4), 49.90 grain (2), 30.00 tobacco (excluded).
const APPLES = { sku: 'APPLE-FUJI', name: 'Fresh produce', category: 'fresh-fruit', quantity: 2, unitPrice: 4325 };
const SOAP = { sku: 'SOAP', category: 'household', quantity: 1, unitPrice: 2300 };
const RICE = { sku: 'RICE-5KG', category: 'grain', quantity: 1, unitPrice: 4990 };
const CIGARETTES = { sku: 'CIG-20', category: 'tobacco', quantity: 1, unitPrice: 3000 };

async function sell(
  chain: LoyaltyChain,
  customerId: string | undefined,
  lines: object[],
  extra: Record<string, unknown> = {},
  key = freshKey('sale'),
) {
  return chain.crm.purchases.record(
    {
      storeId: 'S01',
      terminalId: 'T1',
      receiptNo: nextReceipt(),
      ...(customerId ? { customerId } : {}),
      lines,
      ...extra,
    } as never,
    { ...CLERK, idempotencyKey: key },
  );
}

describe.each(STORE_KINDS)('earning from sales on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it(
    'earns in the sale’s transaction, explains every number, and earns once however often the sale is ' + 'retried',
    async () => {
      const chain = await openLoyaltyChain(await kind.open());
      const id = await member(chain);
      const earned: Array<LoyaltyEvents['points.earned']> = [];
      chain.crm.events.on('points.earned', (e) => void earned.push(e));
      const key = freshKey('till-1');
      const input = {
        storeId: 'S01',
        terminalId: 'T1',
        receiptNo: nextReceipt(),
        customerId: id,
        lines: [APPLES, SOAP, RICE, CIGARETTES],
      };
      const sale = await chain.crm.purchases.record(input, { ...CLERK, idempotencyKey: key });
      // 20 for registering; then 8 + 4 + 2, plus 50 first purchase and 30 for a basket of 159.40 eligible (tobacco left
      // out).
      expect(await chain.loyalty.balance(id, SYSTEM)).toMatchObject({
        available: 114,
        pending: 0,
        spendable: 114,
        tier: 'standard',
      });
      const before = await loyaltySnapshot(chain);
      const retry = await chain.crm.purchases.record(input, { ...CLERK, idempotencyKey: key });
      expect(retry.id).toBe(sale.id);
      expect(await loyaltySnapshot(chain)).toEqual(before);
      expect(earned.map((e) => e.points)).toEqual([94]);

      const award = await chain.loyalty.saleAward(sale.id, SYSTEM);
      expect(award.points).toBe(94);
      const lines = award.quote.lines.map((l) => l.text);
      expect(lines[0]).toBe('Fresh produce ¥86.50: Fresh food: every ¥10.00 = 1 point → 8 = 8 points');
      expect(lines[3]).toBe('tobacco ¥30.00: excluded: category tobacco');
      const weekend = award.quote.rules.find((r) => r.rule === 'weekend')!;
      expect(weekend.why).toBe('only on sat, sun (today is mon)');
      const general = award.quote.rules.find((r) => r.rule === 'general')!;
      expect(general.lines).toEqual([2]);
      expect(chain.loyalty.explain(award.quote).at(-1)).toBe('Total: 94 points, worth ¥0.94');

      const statement = await chain.loyalty.statement(id, SYSTEM);
      expect(statement.lines.map((l) => [l.kind, l.points, l.balance])).toEqual([
        ['earn', 20, 20],
        ['earn', 94, 114],
      ]);
      expect(statement.lines[1]!.ref).toEqual({ type: 'purchase', id: sale.id });
      await expectLedgerConsistent(chain.store);
    },
  );

  it('doubles line points on the weekend and says so on the line', async () => {
    const chain = await openLoyaltyChain(await kind.open(), undefined, '2026-11-07T02:00:00Z');
    const id = await member(chain);
    await sell(chain, id, [RICE]);
    const sale = await sell(chain, id, [APPLES]);
    const award = await chain.loyalty.saleAward(sale.id, SYSTEM);
    expect(award.quote.lines[0]!.text).toBe(
      'Fresh produce ¥86.50: Fresh food: every ¥10.00 = 1 point → 8; x2 Weekend +8 = 16 points',
    );
    expect(award.points).toBe(16);
  });

  it('takes back what returned lines earned, bonuses they unearn, and never twice', async () => {
    const chain = await openLoyaltyChain(await kind.open());
    const id = await member(chain);
    const sale = await sell(chain, id, [APPLES, SOAP, RICE, CIGARETTES]);
    expect((await chain.loyalty.balance(id, SYSTEM)).available).toBe(114);
    const soapBack = freshKey('return');
    const ret = { purchaseId: sale.id, storeId: 'S01', lines: [{ lineNo: 2, quantity: 1 }], reason: 'leaking' };
    await chain.crm.purchases.return(ret, { ...CLERK, idempotencyKey: soapBack });
    // The soap's 4 points; 136.40 is still a big basket.
    expect((await chain.loyalty.balance(id, SYSTEM)).available).toBe(110);
    const before = await loyaltySnapshot(chain);
    await chain.crm.purchases.return(ret, { ...CLERK, idempotencyKey: soapBack });
    const again = await chain.crm.purchases
      .return(ret, { ...CLERK, idempotencyKey: freshKey('return') })
      .catch((e: unknown) => e);
    expect(isClienteleError(again, 'VALIDATION_FAILED')).toBe(true);
    expect(await loyaltySnapshot(chain)).toEqual(before);
    // The rice takes 86.50 under the 100-yuan minimum: its 2 points and the 30-point bonus go.
    await chain.crm.purchases.return(
      { ...ret, lines: [{ lineNo: 3, quantity: 1 }] },
      { ...CLERK, idempotencyKey: freshKey('return') },
    );
    expect((await chain.loyalty.balance(id, SYSTEM)).available).toBe(78);
    const now = (await chain.loyalty.saleAward(sale.id, SYSTEM)).now;
    expect(now.rules.find((r) => r.rule === 'big-basket')!.why).toBe('minimum basket ¥100.00 not met (¥86.50)');
    const kinds = (await chain.loyalty.statement(id, SYSTEM)).lines.map((l) => [l.kind, l.points, l.balance]);
    expect(kinds).toEqual([
      ['earn', 20, 20],
      ['earn', 94, 114],
      ['clawback', -4, 110],
      ['clawback', -32, 78],
    ]);
    await expectLedgerConsistent(chain.store);
  });
});
