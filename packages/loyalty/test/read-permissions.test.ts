/**
 * Reading a member's points, vouchers and cards is a controlled act: every loyalty query checks its
 * read permission (`loyalty.read`, `loyalty.vouchers.read`, `loyalty.stored-value.read`) and, when the
 * retailer turns read auditing on, records whose file was read. Pure quotes, definitions and totals
 * are not queries.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../../tests/support/chain.js';
import { openMoneyChain } from './money-support.js';
import { expectReadsAudited, expectReadsGuarded, type ReadCase } from '../../../tests/support/read-checks.js';
import { CLERK, STORE_KINDS, freshKey, member, nextReceipt, type LoyaltyChain } from './support.js';

const LINES = [
  { sku: 'APPLE', category: 'fresh-fruit', quantity: 4, unitPrice: 1500 },
  { sku: 'SOAP', category: 'household', quantity: 2, unitPrice: 1000 },
];

/** A member with a sale that earned points, a voucher and a named card, and every loyalty query on them. */
async function memberFile(chain: LoyaltyChain): Promise<{ customerId: string; cases: Record<string, ReadCase> }> {
  const { crm } = chain;
  const customerId = await member(chain, '钱芳');
  const sale = await crm.purchases.record(
    { storeId: 'S01', terminalId: 'T1', receiptNo: nextReceipt(), customerId, lines: LINES },
    { ...CLERK, idempotencyKey: freshKey('sale') },
  );
  const voucher = await crm.loyalty.vouchers.issue(
    { templateId: 'FRESH-10', customerId },
    { ...SYSTEM, idempotencyKey: freshKey('issue') },
  );
  const card = await crm.loyalty.storedValue.sell(
    { productId: 'MEMBER-SV', storeId: 'S01', amount: 20000, customerId, pin: '2468' },
    { ...CLERK, idempotencyKey: freshKey('sell') },
  );
  const where = { customerId, storeId: 'S01' };
  const her = [customerId];
  const points = 'loyalty.read';
  const vouchers = 'loyalty.vouchers.read';
  const cards = 'loyalty.stored-value.read';
  return {
    customerId,
    cases: {
      'loyalty.contextFor': { permission: points, args: [where], reads: her },
      // A dry run of an import: it shows no member's file.
      'loyalty.imports.checkPoints': {
        permission: 'data.import',
        args: [{ rows: [{ sourceId: 'LOT-X', customerId, points: 10, earnedAt: '2026-10-01T04:00:00Z' }] }],
      },
      'loyalty.imports.checkStoredValue': {
        permission: 'data.import',
        args: [
          {
            rows: [
              { sourceId: 'SV-X', customerId, productId: 'PREPAID', balance: 100, issuedAt: '2026-10-01T04:00:00Z' },
            ],
          },
        ],
      },
      'loyalty.quoteFor': { permission: points, args: [where, { lines: LINES }], reads: her },
      'loyalty.balance': { permission: points, args: [customerId], reads: her },
      'loyalty.statement': { permission: points, args: [customerId], reads: her },
      'loyalty.expirySchedule': { permission: points, args: [customerId], reads: her },
      'loyalty.saleAward': { permission: points, args: [sale.id], reads: her },
      'loyalty.previewReturn': {
        permission: points,
        args: [{ purchaseId: sale.id, lines: [{ lineNo: 1, quantity: 1 }] }],
        reads: her,
      },
      'loyalty.tierProgress': { permission: points, args: [customerId], reads: her },
      'loyalty.vouchers.eligible': { permission: vouchers, args: [{ ...where, basket: { lines: LINES } }], reads: her },
      'loyalty.vouchers.lookup': { permission: vouchers, args: [voucher.code], reads: her },
      'loyalty.vouchers.get': { permission: vouchers, args: [voucher.id], reads: her },
      'loyalty.vouchers.ofCustomer': { permission: vouchers, args: [customerId], reads: her },
      'loyalty.vouchers.history': { permission: vouchers, args: [voucher.id], reads: her },
      'loyalty.storedValue.card': { permission: cards, args: [card.number], reads: her },
      'loyalty.storedValue.statement': { permission: cards, args: [card.number], reads: her },
      'loyalty.storedValue.ofCustomer': { permission: cards, args: [customerId], reads: her },
    },
  };
}

describe.each(STORE_KINDS)('reads of loyalty files on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it(
    'refuses every loyalty query to a reader without its read permission (audited) and answers one with' + ' it',
    async () => {
      const chain = await openMoneyChain(await kind.open());
      const { cases, customerId } = await memberFile(chain);
      await expectReadsGuarded(chain.crm, 'loyalty.', cases);
      // The clerk sells and registers but was never given loyalty reads.
      await expect(chain.crm.loyalty.balance(customerId, CLERK)).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
      // Quotes, definitions and totals show no member's file and take no reader.
      expect(
        chain.crm.loyalty.explain(
          chain.crm.loyalty.quote({ lines: LINES }, { storeId: 'S01', timeZone: 'Asia/Shanghai', at: new Date() }),
        ).length,
      ).toBeGreaterThan(0);
      expect((await chain.crm.loyalty.liability()).total.points).toBeGreaterThan(0);
      expect((await chain.crm.loyalty.vouchers.templates()).map((t) => t.id)).toContain('FRESH-10');
      expect((await chain.crm.loyalty.storedValue.liability()).total.outstanding).toBe(20000);
      await chain.crm.close();
    },
  );

  it('with auditReads, records each read of a member file naming her; without it, records none', async () => {
    for (const auditReads of [true, false]) {
      const chain = await openMoneyChain(await kind.open(), { auditReads });
      const { cases } = await memberFile(chain);
      await expectReadsAudited(chain.crm, 'loyalty.', cases, auditReads);
      await chain.crm.close();
    }
  });
});
