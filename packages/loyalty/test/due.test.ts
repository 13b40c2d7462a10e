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

const FRESH = { sku: 'APPLE', category: 'fresh-fruit', quantity: 4, unitPrice: 2500 };
const sell = (chain: LoyaltyChain, customerId: string, lines: object[], storeId = 'S01') =>
  chain.crm.purchases.record({ storeId, terminalId: 'T1', receiptNo: nextReceipt(), customerId, lines } as never, {
    ...CLERK,
    idempotencyKey: freshKey('sale'),
  });

describe.each(STORE_KINDS)('time-driven work on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it(
    'keeps purchase points pending through the return window, then releases them; a return inside it takes ' +
      'from the pending points',
    async () => {
      const chain = await openLoyaltyChain(await kind.open(), { ...PROGRAM, pending: { days: 7 } });
      const id = await member(chain);
      const sale = await sell(chain, id, [FRESH, { sku: 'SOAP', category: 'household', quantity: 1, unitPrice: 1000 }]);
      // 10 fresh + 2 household + 50 first + 30 big basket, pending; the welcome 20 are available.
      expect(await chain.loyalty.balance(id, SYSTEM)).toMatchObject({ available: 20, pending: 92, spendable: 20 });
      expect(
        (await chain.loyalty
          .reserve(
            { customerId: id, points: 50, storeId: 'S01', terminalId: 'T1' },
            { ...CLERK, idempotencyKey: freshKey('hold') },
          )
          .catch((e: unknown) => e)) as object,
      ).toMatchObject({ code: 'INSUFFICIENT_BALANCE' });
      await chain.crm.purchases.return(
        { purchaseId: sale.id, storeId: 'S01', lines: [{ lineNo: 2, quantity: 1 }], reason: 'wrong size' },
        { ...CLERK, idempotencyKey: freshKey('return') },
      );
      expect(await chain.loyalty.balance(id, SYSTEM)).toMatchObject({ available: 20, pending: 90 });
      expect((await chain.loyalty.expirySchedule(id, SYSTEM)).pending).toEqual([
        { releaseAt: new Date('2026-11-09T16:00:00Z'), points: 90, lastDay: '2026-12-31' },
      ]);
      const released: Array<LoyaltyEvents['points.released']> = [];
      chain.crm.events.on('points.released', (e) => void released.push(e));
      chain.clock.set('2026-11-09T15:59:00Z');
      await chain.crm.runDue();
      expect(released).toEqual([]);
      chain.clock.set('2026-11-09T16:00:00Z');
      expect((await chain.crm.runDue())['loyalty']).toMatchObject({ pointsReleased: 90 });
      expect(await chain.loyalty.balance(id, SYSTEM)).toMatchObject({ available: 110, pending: 0, spendable: 110 });
      expect(released.map((e) => e.points)).toEqual([90]);
      await expectLedgerConsistent(chain.store);
    },
  );

  it(
    'expires points at year end in the store’s time zone, warns before, and spares points a hold has ' + 'reserved',
    async () => {
      const chain = await openLoyaltyChain(await kind.open());
      const id = await member(chain);
      await sell(chain, id, [FRESH]);
      expect(await chain.loyalty.expirySchedule(id, SYSTEM)).toMatchObject({
        expiring: [{ lastDay: '2026-12-31', expiresAt: new Date('2026-12-31T16:00:00Z'), points: 110 }],
        neverExpire: 0,
      });
      const warned: Array<LoyaltyEvents['points.expiring']> = [];
      chain.crm.events.on('points.expiring', (e) => void warned.push(e));
      chain.clock.set('2026-11-30T02:00:00Z');
      await chain.crm.runDue();
      expect(warned).toEqual([]);
      chain.clock.set('2026-12-01T02:00:00Z');
      await chain.crm.runDue();
      await chain.crm.runDue();
      expect(warned).toEqual([
        { customerId: id, points: 110, lastDay: '2026-12-31', expiresAt: '2026-12-31T16:00:00.000Z' },
      ]);

      chain.clock.set('2026-12-31T15:50:00Z');
      const hold = await chain.loyalty.reserve(
        { customerId: id, points: 40, storeId: 'S01', terminalId: 'T1' },
        { ...CLERK, idempotencyKey: freshKey('hold') },
      );
      chain.clock.set('2026-12-31T15:59:59Z');
      expect((await chain.crm.runDue())['loyalty']).toMatchObject({ pointsExpired: 0 });
      chain.clock.set('2026-12-31T16:00:00Z');
      expect((await chain.crm.runDue())['loyalty']).toMatchObject({ pointsExpired: 70 });
      expect(await chain.loyalty.balance(id, SYSTEM)).toMatchObject({ available: 40, held: 40, spendable: 0 });
      await chain.loyalty.cancelHold({ holdId: hold.id }, CLERK);
      expect((await chain.crm.runDue())['loyalty']).toMatchObject({ pointsExpired: 40 });
      expect(await chain.loyalty.balance(id, SYSTEM)).toMatchObject({ available: 0, spendable: 0 });
      const lines = (await chain.loyalty.statement(id, SYSTEM)).lines;
      expect(lines.map((l) => [l.kind, l.points, l.balance])).toEqual([
        ['earn', 20, 20],
        ['earn', 90, 110],
        ['expire', -20, 90],
        ['expire', -50, 40],
        ['expire', -40, 0],
      ]);
      await expectLedgerConsistent(chain.store);
    },
  );

  it('reports outstanding points and their value per store at a date', async () => {
    const chain = await openLoyaltyChain(await kind.open(), { ...PROGRAM, pointValue: { points: 100, amount: 50 } });
    const id = await member(chain);
    await sell(chain, id, [FRESH]);
    const firstDay = chain.clock.now();
    chain.clock.advance(86_400_000);
    await sell(chain, id, [{ ...FRESH, quantity: 2 }], 'S02');
    await chain.loyalty.redeem(
      { customerId: id, points: 100, ref: { type: 'order', id: 'O-1' } },
      { ...MANAGER, idempotencyKey: freshKey('redeem') },
    );
    // S01: 20 welcome + 90 = 110, of which the oldest 100 were redeemed; S02: 5. 100 points are worth 0.50 yuan.
    const now = await chain.loyalty.liability();
    expect(now.stores).toEqual([
      { storeId: 'S01', points: 10, pendingPoints: 0, value: 5, pendingValue: 0 },
      { storeId: 'S02', points: 5, pendingPoints: 0, value: 3, pendingValue: 0 },
    ]);
    expect(now.total).toMatchObject({ points: 15, value: 8 });
    const then = await chain.loyalty.liability({ at: firstDay });
    expect(then.stores).toEqual([{ storeId: 'S01', points: 110, pendingPoints: 0, value: 55, pendingValue: 0 }]);
    const entries = (await chain.loyalty.statement(id, SYSTEM)).lines;
    expect(entries.map((e) => e.value)).toEqual([10, 45, 3, -50]);
  });

  it(
    'moves a member up as soon as they qualify, feeds the tier back into earning, and down only at the ' + 'review',
    async () => {
      const chain = await openLoyaltyChain(await kind.open());
      const id = await member(chain);
      const changes: Array<LoyaltyEvents['tier.changed']> = [];
      chain.crm.events.on('tier.changed', (e) => void changes.push(e));
      // 3,000 yuan of household goods: 600 points (+80 bonuses, +20 welcome) reach silver.
      const big = await sell(chain, id, [{ sku: 'DETERGENT', category: 'household', quantity: 100, unitPrice: 3000 }]);
      expect(await chain.loyalty.balance(id, SYSTEM)).toMatchObject({
        tier: 'silver',
        tierReviewAt: new Date('2027-11-01T16:00:00Z'),
      });
      expect(changes).toEqual([
        { customerId: id, from: 'standard', to: 'silver', direction: 'up', reason: 'qualified' },
      ]);
      await sell(chain, id, [{ sku: 'DETERGENT', category: 'household', quantity: 700, unitPrice: 3000 }]);
      expect((await chain.loyalty.balance(id, SYSTEM)).tier).toBe('gold');
      const milk = await sell(chain, id, [{ sku: 'MILK', category: 'dairy', quantity: 4, unitPrice: 1250 }]);
      expect((await chain.loyalty.saleAward(milk.id, SYSTEM)).points).toBe(5 + 2);
      expect(await chain.loyalty.tierProgress(id, SYSTEM)).toMatchObject({ tier: 'gold', basis: 'points', next: null });

      // Returning the big sales lowers progress at once but the tier only at the review.
      await chain.crm.purchases.return(
        { purchaseId: big.id, storeId: 'S01', lines: [{ lineNo: 1, quantity: 100 }], reason: 'bulk return' },
        { ...SYSTEM, idempotencyKey: freshKey('return') },
      );
      expect((await chain.loyalty.balance(id, SYSTEM)).tier).toBe('gold');
      chain.clock.set('2027-10-15T02:00:00Z');
      await chain.crm.runDue();
      expect((await chain.loyalty.balance(id, SYSTEM)).tier).toBe('gold');
      chain.clock.set('2027-11-02T02:00:00Z');
      await chain.crm.runDue();
      // The window (December 2026 to November 2027) holds nothing: back to standard.
      expect((await chain.loyalty.balance(id, SYSTEM)).tier).toBe('standard');
      expect(changes.map((c) => [c.to, c.direction, c.reason])).toEqual([
        ['silver', 'up', 'qualified'],
        ['gold', 'up', 'qualified'],
        ['standard', 'down', 'review'],
      ]);
      await expectLedgerConsistent(chain.store);
    },
  );
});
