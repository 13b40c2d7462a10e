import { afterAll, describe, expect, it } from 'vitest';
import { localTime } from '../src/local-time.js';
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
} from './support.js';

const SANTIAGO = 'America/Santiago';

describe.each(STORE_KINDS)('points in a store where daylight saving starts at midnight, on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it('keeps points usable through their last day until the next day begins at 01:00, then expires them', async () => {
    // Thursday 6 August 2026, 12:00 in Santiago (-04:00). Points are usable for 30 days: through 5 September.
    const chain = await openLoyaltyChain(
      await kind.open(),
      { ...PROGRAM, expiry: { kind: 'days', days: 30 } },
      '2026-08-06T16:00:00Z',
    );
    await chain.crm.stores.create({ id: 'S03', name: 'Providencia', region: 'Chile', timeZone: SANTIAGO }, SYSTEM);
    const id = await member(chain, 'Camila Rojas', { homeStoreId: 'S03' });
    await chain.crm.purchases.record(
      {
        storeId: 'S03',
        terminalId: 'T1',
        receiptNo: nextReceipt(),
        customerId: id,
        lines: [{ sku: 'APPLE', category: 'fresh-fruit', quantity: 4, unitPrice: 2500 }],
      } as never,
      { ...CLERK, idempotencyKey: freshKey('sale') },
    );
    // 20 welcome points and 90 for the sale (10 fresh food, 50 first purchase, 30 big basket).
    expect(await chain.loyalty.balance(id, SYSTEM)).toMatchObject({ available: 110, spendable: 110 });
    // On 6 September the clock goes from 23:59:59 to 01:00 (-03:00): the 6th begins at 04:00 UTC.
    expect(await chain.loyalty.expirySchedule(id, SYSTEM)).toMatchObject({
      expiring: [{ lastDay: '2026-09-05', expiresAt: new Date('2026-09-06T04:00:00Z'), points: 110 }],
    });

    chain.clock.set('2026-09-06T03:30:00Z');
    expect(localTime(chain.clock.now(), SANTIAGO)).toMatchObject({ date: '2026-09-05', minute: 23 * 60 + 30 });
    expect((await chain.crm.runDue())['loyalty']).toMatchObject({ pointsExpired: 0 });
    await chain.loyalty.redeem(
      { customerId: id, points: 10, ref: { type: 'order', id: 'late-night' } },
      { ...MANAGER, idempotencyKey: freshKey('redeem') },
    );
    expect(await chain.loyalty.balance(id, SYSTEM)).toMatchObject({ available: 100, spendable: 100 });

    chain.clock.set('2026-09-06T03:59:59.999Z');
    expect(localTime(chain.clock.now(), SANTIAGO)).toMatchObject({ date: '2026-09-05', minute: 23 * 60 + 59 });
    expect((await chain.crm.runDue())['loyalty']).toMatchObject({ pointsExpired: 0 });
    expect(await chain.loyalty.balance(id, SYSTEM)).toMatchObject({ spendable: 100 });

    chain.clock.set('2026-09-06T04:00:00Z');
    expect(localTime(chain.clock.now(), SANTIAGO)).toMatchObject({ date: '2026-09-06', minute: 60 });
    expect((await chain.crm.runDue())['loyalty']).toMatchObject({ pointsExpired: 100 });
    expect(await chain.loyalty.balance(id, SYSTEM)).toMatchObject({ available: 0, spendable: 0 });
    expect(
      await chain.loyalty
        .redeem(
          { customerId: id, points: 1, ref: { type: 'order', id: 'too-late' } },
          { ...MANAGER, idempotencyKey: freshKey('redeem') },
        )
        .catch((e: unknown) => e),
    ).toMatchObject({ code: 'INSUFFICIENT_BALANCE' });
    const lines = (await chain.loyalty.statement(id, SYSTEM)).lines;
    expect(lines.map((l) => [l.kind, l.points, l.balance])).toEqual([
      ['earn', 20, 20],
      ['earn', 90, 110],
      ['redeem', -10, 100],
      ['expire', -10, 90],
      ['expire', -90, 0],
    ]);
    await expectLedgerConsistent(chain.store);
  });
});
