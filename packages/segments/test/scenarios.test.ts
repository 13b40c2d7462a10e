/** Churn, credit and key-account rules in scenarios with a controlled clock, on every store kind. */
import { afterAll, describe, expect, it } from 'vitest';
import { creditAccountsCollection, creditEntriesCollection, segmentCollections } from '@clientele/segments';
import { purchasesCollection, scan } from '@clientele/core/module';
import { coreCollections } from '@clientele/core/adapter';
import { DAY, STORE_KINDS, SYSTEM, buy, freshKey, member, openSegChain, snapshot } from './helpers.js';
import type { SegCrm } from './helpers.js';

const everything = [...coreCollections, ...segmentCollections];

async function organisation(crm: SegCrm, name: string): Promise<string> {
  return (
    await crm.customers.register(
      { kind: 'organisation', legalName: name, region: 'East', industry: 'catering' },
      SYSTEM,
    )
  ).id;
}

async function ledgerSum(crm: SegCrm, customerId: string): Promise<number> {
  let sum = 0;
  for await (const e of scan(crm.store, creditEntriesCollection, { where: { customerId } })) sum += e.amount;
  return sum;
}

describe.each(STORE_KINDS)('scenarios on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it(
    'churn: a customer who came every 6 days and stopped is at risk after their own rhythm, with the ' + 'reason',
    async () => {
      const { crm, clock } = await openSegChain(await kind.open());
      const regular = await member(crm, 'Every six days');
      const newcomer = await member(crm, 'Came twice');
      for (let i = 0; i < 8; i++) {
        await buy(crm, regular, 3_000);
        if (i === 6 || i === 7) await buy(crm, newcomer, 1_000);
        clock.advance(6 * DAY);
      }
      // Last visit 6 days ago: not yet overdue (threshold: 90th percentile of own gaps, 6 days).
      await crm.segments.rebuild({}, SYSTEM);
      expect((await crm.segments.stats(regular, SYSTEM)).atRisk).toBe(false);
      clock.advance(DAY);
      const soon = await crm.segments.stats(regular, SYSTEM);
      expect(soon).toMatchObject({
        atRisk: true,
        churnBasis: 'own',
        typicalGapHours: 144,
        churnReason: 'usually every 6 days, now 7',
      });
      clock.advance(16 * DAY);
      expect((await crm.segments.stats(regular, SYSTEM)).churnReason).toBe('usually every 6 days, now 23');
      // One gap of their own is too few: the population's rhythm (the regular's 6 days, in whole days) applies.
      const n = await crm.segments.stats(newcomer, SYSTEM);
      expect(n).toMatchObject({ churnBasis: 'population', churnThresholdHours: 144, atRisk: true });
      expect(n.churnReason).toBe('customers usually return within 6 days, now 23');
      const risk = await crm.segments.atRisk(SYSTEM);
      expect(risk.map((r) => r.customerId)).toEqual([regular, newcomer]);
      // A win-back segment on churn risk gets them on the next rebuild; a visit takes the customer out at once.
      await crm.segments.define({ id: 'win-back', name: 'Win back', definition: { condition: 'churn-risk' } }, SYSTEM);
      await crm.segments.rebuild({ parts: ['membership'] }, SYSTEM);
      expect((await crm.segments.members('win-back', SYSTEM)).items.map((m) => m.customerId).sort()).toEqual(
        [regular, newcomer].sort(),
      );
      await buy(crm, regular, 3_000);
      expect(await crm.segments.segmentsOf(regular, SYSTEM)).toEqual([]);
      await crm.close();
    },
  );

  it(
    'credit: blocks, warns or asks for an approver past the limit; payments settle the oldest charges; the ' +
      'rating follows',
    async () => {
      const { crm, clock } = await openSegChain(await kind.open());
      await crm.roles.define(
        { id: 'cashier', name: 'Cashier', permissions: ['sales.*'], limits: { credit: 0 } },
        SYSTEM,
      );
      await crm.roles.define(
        {
          id: 'credit-manager',
          name: 'Credit manager',
          permissions: ['sales.*', 'credit.*'],
          limits: { credit: 100_000 },
        },
        SYSTEM,
      );
      await crm.staff.add({ id: 'E-CASH', name: 'Cashier', storeId: 'S01', roleId: 'cashier' }, SYSTEM);
      await crm.staff.add({ id: 'E-CREDIT', name: 'Credit manager', storeId: 'S01', roleId: 'credit-manager' }, SYSTEM);
      const canteen = await organisation(crm, '明光食堂');
      const person = await member(crm, 'Not an organisation');

      const before = await snapshot(crm as never, everything);
      await expect(crm.segments.credit.setAccount({ customerId: canteen, limit: -1 }, SYSTEM)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        path: ['limit'],
      });
      await expect(crm.segments.credit.setAccount({ customerId: person, limit: 1000 }, SYSTEM)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        path: ['customerId'],
      });
      expect(await snapshot(crm as never, everything)).toEqual(before);

      await crm.segments.credit.setAccount(
        { customerId: canteen, limit: 200_000, termsDays: 30, mode: 'block' },
        SYSTEM,
      );
      const cashier = { staffId: 'E-CASH' };
      const onAccount = (amount: number) => ({ payments: [{ method: 'account', amount }], actor: cashier });
      await buy(crm, canteen, 150_000, onAccount(150_000));
      expect(await crm.segments.credit.check(canteen, 60_000, SYSTEM)).toMatchObject({
        decision: 'blocked',
        outstanding: 150_000,
        available: 50_000,
        excess: 10_000,
      });
      const sales = await crm.store.count(purchasesCollection);
      const refused = await buy(crm, canteen, 60_000, onAccount(60_000)).catch((e: unknown) => e);
      expect(refused).toMatchObject({
        code: 'INSUFFICIENT_BALANCE',
        details: { reason: 'credit_limit', excess: 10_000 },
      });
      expect(await crm.store.count(purchasesCollection), 'the refused sale rolled back').toBe(sales);
      // Paying part in cash keeps the account part within the limit.
      await buy(crm, canteen, 60_000, {
        payments: [
          { method: 'cash', amount: 20_000 },
          { method: 'account', amount: 40_000 },
        ],
        actor: cashier,
      });
      expect((await crm.segments.credit.status(canteen, SYSTEM)).account.outstanding).toBe(190_000);

      await crm.segments.credit.setAccount({ customerId: canteen, limit: 200_000, mode: 'warn' }, SYSTEM);
      const warned: unknown[] = [];
      crm.events.on('credit.limit-exceeded', (e) => void warned.push(e));
      await buy(crm, canteen, 30_000, onAccount(30_000));
      expect(warned).toMatchObject([{ customerId: canteen, decision: 'warn', excess: 20_000, approvedBy: null }]);

      await crm.segments.credit.setAccount({ customerId: canteen, limit: 200_000, mode: 'approve' }, SYSTEM);
      await expect(buy(crm, canteen, 10_000, onAccount(10_000))).rejects.toMatchObject({ code: 'AUTHORITY_EXCEEDED' });
      await expect(
        crm.segments.credit.approve({ customerId: canteen, amount: 10_000 }, { actor: cashier }),
      ).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
      const approval = await crm.segments.credit.approve(
        { customerId: canteen, amount: 10_000 },
        { actor: { staffId: 'E-CREDIT' } },
      );
      expect(approval).toMatchObject({ approvedBy: 'E-CREDIT', status: 'active' });
      await buy(crm, canteen, 10_000, onAccount(10_000));
      expect(warned[1]).toMatchObject({ decision: 'approved', approvedBy: 'E-CREDIT', excess: 30_000 });
      await expect(buy(crm, canteen, 10_000, onAccount(10_000)), 'an approval is used once').rejects.toMatchObject({
        code: 'AUTHORITY_EXCEEDED',
      });

      // Ledger: charges 150,000 + 40,000 + 30,000 + 10,000; the cached balance is the sum of the entries.
      expect((await crm.segments.credit.status(canteen, SYSTEM)).account.outstanding).toBe(230_000);
      expect(await ledgerSum(crm, canteen)).toBe(230_000);

      // Paid on time, oldest first: rating A.
      clock.advance(10 * DAY);
      await crm.segments.credit.recordPayment(
        { customerId: canteen, amount: 160_000, reference: 'bank transfer 1' },
        { actor: SYSTEM.actor, idempotencyKey: freshKey('pay') },
      );
      let status = await crm.segments.credit.status(canteen, SYSTEM);
      expect(status.open.map((o) => o.due)).toEqual([30_000, 30_000, 10_000]);
      expect(status).toMatchObject({ rating: 'A', onTimeShare: 1, daysOverdue: 0 });
      // The rest is left unpaid 45 days past due: on time so far, but 45 days overdue makes it C.
      clock.advance(65 * DAY);
      status = await crm.segments.credit.status(canteen, SYSTEM);
      expect(status).toMatchObject({ rating: 'C', daysOverdue: 45, overdueAmount: 70_000 });
      await crm.segments.credit.recordPayment(
        { customerId: canteen, amount: 70_000 },
        { actor: SYSTEM.actor, idempotencyKey: freshKey('pay') },
      );
      status = await crm.segments.credit.status(canteen, SYSTEM);
      expect(status).toMatchObject({ rating: 'D', onTimeShare: 0.25, open: [], available: 200_000 });
      expect(await ledgerSum(crm, canteen)).toBe(status.account.outstanding);
      const stored = await crm.store.get(creditAccountsCollection, canteen);
      expect(stored!.outstanding).toBe(0);
      expect((await crm.segments.stats(canteen, SYSTEM)).creditRating).toBe('D');
      await crm.close();
    },
  );

  it('credit: a return of a sale on account gives a credit note; a void reverses the charge', async () => {
    const { crm } = await openSegChain(await kind.open());
    const canteen = await organisation(crm, 'Canteen');
    await crm.segments.credit.setAccount({ customerId: canteen, limit: 100_000 }, SYSTEM);
    const sale = await buy(crm, canteen, 20_000, { payments: [{ method: 'account', amount: 20_000 }] });
    const other = await buy(crm, canteen, 5_000, { payments: [{ method: 'account', amount: 5_000 }] });
    await crm.purchases.return(
      { purchaseId: sale.id, storeId: 'S01', lines: [{ lineNo: 1, quantity: 1 }], reason: 'spoiled' },
      { actor: SYSTEM.actor, idempotencyKey: freshKey('ret') },
    );
    await crm.purchases.void(
      { purchaseId: other.id, reason: 'mistake' },
      { actor: SYSTEM.actor, idempotencyKey: freshKey('void') },
    );
    const status = await crm.segments.credit.status(canteen, SYSTEM);
    expect(status.account.outstanding).toBe(0);
    expect(status.open).toEqual([]);
    expect(await ledgerSum(crm, canteen)).toBe(0);
    expect((await crm.segments.credit.ledger(canteen, SYSTEM)).map((e) => [e.kind, e.amount])).toEqual([
      ['charge', 20_000],
      ['charge', 5_000],
      ['credit-note', -20_000],
      ['credit-note', -5_000],
    ]);
    await crm.close();
  });

  it(
    'credit: a return of a sale paid partly on account credits the account first, and the till pays only the ' + 'rest',
    async () => {
      const { crm } = await openSegChain(await kind.open());
      const canteen = await organisation(crm, 'Canteen');
      await crm.segments.credit.setAccount({ customerId: canteen, limit: 100_000 }, SYSTEM);
      // 600 yuan of rice in six bags: 200 in cash, 400 on account.
      const lines = [{ sku: 'RICE-25KG', category: 'grain', quantity: 6, unitPrice: 10_000 }];
      const sale = await buy(crm, canteen, 60_000, {
        lines,
        payments: [
          { method: 'cash', amount: 20_000 },
          { method: 'account', amount: 40_000 },
        ],
      });
      const giveBack = (quantity: number) =>
        crm.purchases.return(
          { purchaseId: sale.id, storeId: 'S01', lines: [{ lineNo: 1, quantity }], reason: 'damp' },
          { actor: SYSTEM.actor, idempotencyKey: freshKey('ret') },
        );
      // Three bags: what is owed goes down by 300; nothing is paid at the till.
      expect(await giveBack(3)).toMatchObject({
        amount: 30_000,
        payable: 30_000,
        dueAtTill: 0,
        tenders: [{ via: 'account', method: 'account', reference: canteen, amount: 30_000, settled: true }],
      });
      // Three more: 100 of the account is left to credit, the other 200 goes back in cash.
      expect(await giveBack(3)).toMatchObject({
        amount: 30_000,
        payable: 30_000,
        dueAtTill: 20_000,
        tenders: [
          { via: 'account', amount: 10_000 },
          { via: 'till', method: 'cash', amount: 20_000, settled: false },
        ],
      });
      expect((await crm.segments.credit.status(canteen, SYSTEM)).account.outstanding).toBe(0);
      await crm.close();
    },
  );

  it(
    'key accounts: a weighted score above the threshold designates one; due visits come out of runDue ' + 'once',
    async () => {
      const { crm, clock } = await openSegChain(await kind.open(), { keyAccounts: { volumeFullAt: 1_000_000 } });
      const hotel = await organisation(crm, 'Grand Hotel');
      const small = await organisation(crm, 'Corner Cafe');
      await buy(crm, hotel, 800_000);
      await buy(crm, small, 1_000);
      const designated: unknown[] = [];
      crm.events.on('key-account.designated', (e) => void designated.push(e));
      const a = await crm.segments.keyAccounts.assess(
        {
          customerId: hotel,
          contractMonths: 24,
          growthPotential: 4,
          strategicImportance: 5,
          representativeId: 'E-MANAGER',
          visitEveryDays: 14,
        },
        SYSTEM,
      );
      // volume 0.8, contract 24/36, growth 0.75, strategic 1, payment unrated 0.5:
      // 100 × (0.8·0.35 + 0.6667·0.15 + 0.75·0.15 + 1·0.2 + 0.5·0.15) = 76.75 → 77
      expect(a).toMatchObject({ score: 77, isKey: true, representativeId: 'E-MANAGER' });
      const b = await crm.segments.keyAccounts.assess(
        { customerId: small, contractMonths: 0, growthPotential: 2, strategicImportance: 1 },
        SYSTEM,
      );
      expect(b).toMatchObject({ isKey: false });
      expect(designated).toEqual([{ customerId: hotel, score: 77, representativeId: 'E-MANAGER' }]);
      expect((await crm.segments.stats(hotel, SYSTEM)).keyAccount).toBe(true);
      await expect(
        crm.segments.keyAccounts.assess(
          { customerId: small, contractMonths: 0, growthPotential: 9, strategicImportance: 1 },
          SYSTEM,
        ),
      ).rejects.toMatchObject({ code: 'VALIDATION_FAILED', path: ['growthPotential'] });

      const due: unknown[] = [];
      crm.events.on('key-account.visit-due', (e) => void due.push(e));
      clock.advance(13 * DAY);
      expect(await crm.runDue()).toEqual({ segments: { keyAccountVisitsDue: 0 } });
      clock.advance(DAY);
      expect(await crm.runDue()).toEqual({ segments: { keyAccountVisitsDue: 1 } });
      expect(await crm.runDue(), 'announced once').toEqual({ segments: { keyAccountVisitsDue: 0 } });
      expect(due).toMatchObject([{ customerId: hotel, representativeId: 'E-MANAGER' }]);
      expect((await crm.segments.keyAccounts.due(SYSTEM)).map((k) => k.customerId)).toEqual([hotel]);
      await crm.segments.keyAccounts.recordVisit(
        { customerId: hotel, summary: 'Quarterly review with the purchasing manager' },
        SYSTEM,
      );
      expect(await crm.segments.keyAccounts.due(SYSTEM)).toEqual([]);
      clock.advance(14 * DAY);
      expect(await crm.runDue()).toEqual({ segments: { keyAccountVisitsDue: 1 } });
      await crm.close();
    },
  );
});
