import { afterAll, describe, expect, it } from 'vitest';
import { isClienteleError } from '@clientele/core';
import { expectLedgerConsistent } from './invariants.js';
import {
  CLERK,
  MANAGER,
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

const reserve = (chain: LoyaltyChain, customerId: string, points: number, terminalId = 'T1') =>
  chain.loyalty.reserve(
    { customerId, points, storeId: 'S01', terminalId },
    { ...CLERK, idempotencyKey: freshKey(`hold-${terminalId}`) },
  );

describe.each(STORE_KINDS)('holds at the till on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it('lets exactly one of eight terminals reserve points that cover only one of them', async () => {
    const chain = await openLoyaltyChain(await kind.open());
    const id = await funded(chain);
    expect((await chain.loyalty.balance(id, SYSTEM)).spendable).toBe(110);
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => reserve(chain, id, 60, `T${i + 1}`)));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results)
      if (r.status === 'rejected') expect(isClienteleError(r.reason, 'INSUFFICIENT_BALANCE')).toBe(true);
    expect(await chain.loyalty.balance(id, SYSTEM)).toMatchObject({ available: 110, held: 60, spendable: 50 });
    const direct = await chain.loyalty
      .redeem(
        { customerId: id, points: 51, ref: { type: 'order', id: 'W-1' } },
        { ...MANAGER, idempotencyKey: freshKey('redeem') },
      )
      .catch((e: unknown) => e);
    expect(direct).toMatchObject({ code: 'INSUFFICIENT_BALANCE', details: { requested: 51, available: 50 } });
    await expectLedgerConsistent(chain.store);
  });

  it('spends a hold as a sale’s points payment, once, and gives points back pro rata on a return', async () => {
    const chain = await openLoyaltyChain(await kind.open());
    const id = await funded(chain);
    const hold = await reserve(chain, id, 60);
    expect(hold.value).toBe(60);
    // 20 yuan of soap paid 0.60 in points and 19.40 in cash: earns 4 household points.
    const lines = [{ sku: 'SOAP', category: 'household', quantity: 2, unitPrice: 1000 }];
    const pay = [
      { method: 'points', amount: 60, reference: hold.id },
      { method: 'cash', amount: 1940 },
    ];
    const sale = await chain.crm.purchases.record(
      { storeId: 'S01', terminalId: 'T1', receiptNo: nextReceipt(), customerId: id, lines, payments: pay },
      { ...CLERK, idempotencyKey: freshKey('sale') },
    );
    expect(await chain.loyalty.balance(id, SYSTEM)).toMatchObject({ available: 110 - 60 + 4, held: 0, spendable: 54 });
    const statement = (await chain.loyalty.statement(id, SYSTEM)).lines;
    expect(statement.map((l) => [l.kind, l.points])).toEqual([
      ['earn', 20],
      ['earn', 90],
      ['redeem', -60],
      ['earn', 4],
    ]);
    expect(statement[2]!.ref).toEqual({ type: 'purchase', id: sale.id });

    const before = await loyaltySnapshot(chain);
    const twice = await chain.crm.purchases
      .record(
        { storeId: 'S01', terminalId: 'T2', receiptNo: nextReceipt(), customerId: id, lines, payments: pay },
        { ...CLERK, idempotencyKey: freshKey('sale') },
      )
      .catch((e: unknown) => e);
    expect(twice).toMatchObject({ code: 'INVALID_STATE', path: ['payments', 0, 'reference'] });
    expect(await loyaltySnapshot(chain)).toEqual(before);

    // Half the soap back: 2 household points go, 30 of the 60 points that paid come back, and the till
    // pays only the rest of the 10 yuan: 9.70 in cash, never the whole 10 on top of the points.
    const first = await chain.crm.purchases.return(
      { purchaseId: sale.id, storeId: 'S01', lines: [{ lineNo: 1, quantity: 1 }], reason: 'broken' },
      { ...CLERK, idempotencyKey: freshKey('return') },
    );
    expect((await chain.loyalty.balance(id, SYSTEM)).available).toBe(54 - 2 + 30);
    expect(first).toMatchObject({
      amount: 1000,
      payable: 1000,
      dueAtTill: 970,
      tenders: [
        { via: 'points', method: 'points', amount: 30, points: 30, settled: true },
        { via: 'till', method: 'cash', amount: 970, settled: false },
      ],
    });
    const second = await chain.crm.purchases.return(
      { purchaseId: sale.id, storeId: 'S01', lines: [{ lineNo: 1, quantity: 1 }], reason: 'broken' },
      { ...CLERK, idempotencyKey: freshKey('return') },
    );
    expect((await chain.loyalty.balance(id, SYSTEM)).available).toBe(110);
    expect(second).toMatchObject({
      payable: 1000,
      dueAtTill: 970,
      tenders: [
        { via: 'points', amount: 30 },
        { via: 'till', method: 'cash', amount: 970 },
      ],
    });
    // Together: exactly what was paid, each tender its own.
    expect(first.dueAtTill + second.dueAtTill).toBe(1940);
    expect(
      (await chain.loyalty.statement(id, SYSTEM)).lines.filter((l) => l.kind === 'restore').map((l) => l.points),
    ).toEqual([30, 30]);
    await expectLedgerConsistent(chain.store);
  });

  it(
    'refuses a points payment whose value does not match its hold, or whose hold has lapsed, and changes ' + 'nothing',
    async () => {
      const chain = await openLoyaltyChain(await kind.open());
      const id = await funded(chain);
      const hold = await reserve(chain, id, 40);
      const lines = [{ sku: 'SOAP', category: 'household', quantity: 1, unitPrice: 1000 }];
      const stranger = await member(chain, '陌生人');
      const before = await loyaltySnapshot(chain);
      const sale = (payments: object[]) =>
        chain.crm.purchases
          .record(
            { storeId: 'S01', terminalId: 'T1', receiptNo: nextReceipt(), customerId: id, lines, payments } as never,
            { ...CLERK, idempotencyKey: freshKey('sale') },
          )
          .catch((e: unknown) => e);
      expect(
        await sale([
          { method: 'points', amount: 50, reference: hold.id },
          { method: 'cash', amount: 950 },
        ]),
      ).toMatchObject({ code: 'VALIDATION_FAILED', path: ['payments', 0, 'reference'] });
      expect(
        await sale([
          { method: 'points', amount: 40 },
          { method: 'cash', amount: 960 },
        ]),
      ).toMatchObject({ code: 'VALIDATION_FAILED', path: ['payments', 0, 'reference'] });
      const strangers = await chain.crm.purchases
        .record(
          {
            storeId: 'S01',
            terminalId: 'T1',
            receiptNo: nextReceipt(),
            customerId: stranger,
            lines,
            payments: [
              { method: 'points', amount: 40, reference: hold.id },
              { method: 'cash', amount: 960 },
            ],
          },
          { ...CLERK, idempotencyKey: freshKey('sale') },
        )
        .catch((e: unknown) => e);
      expect(strangers).toMatchObject({ code: 'VALIDATION_FAILED', path: ['payments', 0, 'reference'] });
      expect(await loyaltySnapshot(chain)).toEqual(before);

      chain.clock.advance(16 * 60_000);
      expect(
        await sale([
          { method: 'points', amount: 40, reference: hold.id },
          { method: 'cash', amount: 960 },
        ]),
      ).toMatchObject({ code: 'INVALID_STATE' });
      expect((await chain.loyalty.balance(id, SYSTEM)).held).toBe(40);
      const due = await chain.crm.runDue();
      expect(due['loyalty']).toMatchObject({ holdsExpired: 1 });
      expect(await chain.loyalty.balance(id, SYSTEM)).toMatchObject({ held: 0, spendable: 110 });
      await expectLedgerConsistent(chain.store);
    },
  );

  it('cancels a hold once and releases its points', async () => {
    const chain = await openLoyaltyChain(await kind.open());
    const id = await funded(chain);
    const hold = await reserve(chain, id, 100);
    const released: number[] = [];
    chain.crm.events.on('points.hold-released', (e) => void released.push(e.points));
    expect((await chain.loyalty.cancelHold({ holdId: hold.id }, CLERK)).status).toBe('cancelled');
    expect((await chain.loyalty.cancelHold({ holdId: hold.id }, CLERK)).status).toBe('cancelled');
    expect(released).toEqual([100]);
    expect((await chain.loyalty.balance(id, SYSTEM)).spendable).toBe(110);
    const tooMany = await reserve(chain, id, 111).catch((e: unknown) => e);
    expect(tooMany).toMatchObject({ code: 'INSUFFICIENT_BALANCE' });
    await expectLedgerConsistent(chain.store);
  });
});
