import { afterAll, describe, expect, it } from 'vitest';
import { createClientele, manualClock } from '@clientele/core';
import { defineModule, type StoreSession } from '@clientele/core/module';
import { loyalty, type SegmentsReader } from '../src/index.js';
import { expectLedgerConsistent } from './invariants.js';
import { CLERK, PROGRAM, STORE_KINDS, SYSTEM, freshKey, member, nextReceipt, openLoyaltyChain } from './support.js';

describe.each(STORE_KINDS)('loyalty beside other modules on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it('reads segments and the segment policy through the segments module, inside the sale’s transaction', async () => {
    const sessions: unknown[] = [];
    const segments = defineModule({
      name: 'segments',
      setup: (kernel) => ({
        api: {
          forModules: {
            async segmentsOf(customerId: string, session: StoreSession) {
              sessions.push(session === kernel.store ? 'store' : session ? 'tx' : 'none');
              // Reading through the session proves it is the open transaction: the sale is visible.
              return (await session.count((await import('@clientele/core/module')).purchasesCollection, {
                customerId,
              })) > 0
                ? [{ segmentId: 'vip' }]
                : [];
            },
            async policyFor() {
              return { pointsMultiplier: 2 };
            },
          },
        } satisfies SegmentsReader,
      }),
    });
    const program = {
      ...PROGRAM,
      earn: [...PROGRAM.earn, { id: 'vip', name: 'VIP', kind: 'bonus', points: 7, when: { segment: ['vip'] } }],
    };
    const crm = createClientele({
      store: await kind.open(),
      clock: manualClock('2026-11-02T02:00:00Z'),
      modules: [loyalty(program), segments] as const,
    });
    await crm.migrate();
    await crm.stores.create({ id: 'S01', name: 'Renmin', region: 'East', timeZone: 'Asia/Shanghai' }, SYSTEM);
    const c = await crm.customers.register({ kind: 'individual', name: '刘洋' }, SYSTEM);
    const sale = await crm.purchases.record(
      {
        storeId: 'S01',
        terminalId: 'T1',
        receiptNo: nextReceipt(),
        customerId: c.id,
        lines: [{ sku: 'APPLE', category: 'fresh-fruit', quantity: 1, unitPrice: 5000 }],
      },
      { ...SYSTEM, idempotencyKey: freshKey('sale') },
    );
    // 5 fresh + 5 for the policy's x2 + 7 VIP + 50 first purchase.
    expect((await crm.loyalty.saleAward(sale.id, SYSTEM)).points).toBe(67);
    expect(sessions).toEqual(['tx']);
  });

  it('matches segment conditions on customer tags when no segments module is installed', async () => {
    const program = {
      ...PROGRAM,
      earn: [
        ...PROGRAM.earn,
        { id: 'staff', name: 'Staff', kind: 'bonus', points: 9, when: { segment: ['employee'] } },
      ],
    };
    const chain = await openLoyaltyChain(await kind.open(), program);
    const id = await member(chain, '孙丽', { tags: ['employee'] });
    const sale = await chain.crm.purchases.record(
      {
        storeId: 'S01',
        terminalId: 'T1',
        receiptNo: nextReceipt(),
        customerId: id,
        lines: [{ sku: 'A', category: 'grain', quantity: 1, unitPrice: 4000 }],
      },
      { ...CLERK, idempotencyKey: freshKey('sale') },
    );
    expect((await chain.loyalty.saleAward(sale.id, SYSTEM)).quote.rules.find((r) => r.rule === 'staff')!.points).toBe(
      9,
    );
    const ctx = await chain.loyalty.contextFor({ customerId: id, storeId: 'S01' }, SYSTEM);
    expect(ctx).toMatchObject({
      segments: ['employee'],
      tier: 'standard',
      firstPurchase: false,
      timeZone: 'Asia/Shanghai',
    });
  });

  it('moves points to the survivor when duplicate customers are merged', async () => {
    const chain = await openLoyaltyChain(await kind.open());
    const a = await member(chain, '王芳');
    const b = await member(chain, '王 芳');
    await chain.crm.purchases.record(
      {
        storeId: 'S01',
        terminalId: 'T1',
        receiptNo: nextReceipt(),
        customerId: b,
        lines: [{ sku: 'APPLE', category: 'fresh-fruit', quantity: 4, unitPrice: 2500 }],
      },
      { ...CLERK, idempotencyKey: freshKey('sale') },
    );
    expect((await chain.loyalty.balance(b, SYSTEM)).available).toBe(110);
    await chain.crm.customers.merge({ survivorId: a, mergedId: b, reason: 'same person' }, SYSTEM);
    expect((await chain.loyalty.balance(a, SYSTEM)).available).toBe(130);
    expect((await chain.loyalty.expirySchedule(a, SYSTEM)).expiring).toEqual([
      { lastDay: '2026-12-31', expiresAt: new Date('2026-12-31T16:00:00Z'), points: 130 },
    ]);
    expect((await chain.loyalty.statement(b, SYSTEM)).lines.at(-1)).toMatchObject({
      kind: 'transfer',
      points: -110,
      balance: 0,
    });
    expect((await chain.loyalty.statement(a, SYSTEM)).lines.at(-1)).toMatchObject({
      kind: 'transfer',
      points: 110,
      balance: 130,
    });
    expect((await chain.loyalty.tierProgress(a, SYSTEM)).amount).toBe(130);
    await expectLedgerConsistent(chain.store);
  });
});
