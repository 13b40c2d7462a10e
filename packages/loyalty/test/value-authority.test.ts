/**
 * Authority over every move of value, on every store kind: a card refund and a void need the same
 * refund authority a return does (with an approver above it), a return after a card refund pays only
 * what is left and says through which tender, daily limits stop the eleventh return of the day, and
 * every refusal changes nothing and is audited.
 */
import type { Store } from '@clientele/core';
import { auditLog, scan } from '@clientele/core/module';
import { afterAll, describe, expect, it } from 'vitest';
import { expectMoneyConsistent, openMoneyChain } from './money-support.js';
import {
  CLERK,
  MANAGER,
  STORE_KINDS,
  SYSTEM,
  freshKey,
  loyaltySnapshot,
  nextReceipt,
  type LoyaltyChain,
} from './support.js';

/** Head office: refunds up to 2,000 yuan. */
/** A cashier who may void a whole sale up to 1,000 yuan but refund only 50 yuan. */
const CASHIER = { actor: { staffId: 'E-CASHIER' } } as const;

async function chainWithCard(store: Store): Promise<{ chain: LoyaltyChain; card: string }> {
  const chain = await openMoneyChain(store);
  const { crm } = chain;
  await crm.roles.define(
    { id: 'director', name: 'Director', permissions: ['sales.*', 'loyalty.*'], limits: { refund: 200000 } },
    SYSTEM,
  );
  await crm.roles.define(
    { id: 'cashier', name: 'Cashier', permissions: ['sales.*'], limits: { refund: 5000, void: 100000 } },
    SYSTEM,
  );
  await crm.staff.add({ id: 'E-DIRECTOR', name: '陈总', storeId: 'S01', roleId: 'director' }, SYSTEM);
  await crm.staff.add({ id: 'E-CASHIER', name: '刘洋', storeId: 'S01', roleId: 'cashier' }, SYSTEM);
  const sv = crm.loyalty.storedValue;
  const card = await sv.sell(
    { productId: 'GIFT', storeId: 'S01', amount: 50000 },
    { ...CLERK, idempotencyKey: freshKey('sell') },
  );
  await sv.topUp(
    { cardNumber: card.number, amount: 100000, storeId: 'S01' },
    { ...CLERK, idempotencyKey: freshKey('top-up') },
  );
  return { chain, card: card.number };
}

const goods = (unitPrice: number) => [{ sku: 'TV', category: 'electronics', quantity: 1, unitPrice }];

async function sale(
  chain: LoyaltyChain,
  total: number,
  payments: Array<{ method: string; amount: number; reference?: string }>,
) {
  return chain.crm.purchases.record(
    { storeId: 'S01', terminalId: 'T1', receiptNo: nextReceipt(), lines: goods(total), payments },
    { ...CLERK, idempotencyKey: freshKey('sale') },
  );
}

async function refusals(store: Store, command: string) {
  const out = [];
  for await (const row of scan(store, auditLog, { where: { command, outcome: 'refused' } })) out.push(row);
  return out;
}

async function balance(chain: LoyaltyChain, card: string): Promise<number> {
  return (await chain.crm.loyalty.storedValue.card(card, SYSTEM)).balance;
}

async function cardPaymentOf(chain: LoyaltyChain, card: string): Promise<string> {
  const spend = (await chain.crm.loyalty.storedValue.statement(card, SYSTEM)).entries.find((e) => e.kind === 'spend');
  return spend!.paymentId!;
}

describe.each(STORE_KINDS)('authority over value on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it('holds a card refund to the refund limit, and a return after it pays only what is left, by tender', async () => {
    const { chain, card } = await chainWithCard(await kind.open());
    const sv = chain.crm.loyalty.storedValue;
    const sold = await sale(chain, 100000, [{ method: 'stored-value', amount: 100000, reference: card }]);
    const paymentId = await cardPaymentOf(chain, card);
    const before = await loyaltySnapshot(chain);
    const start = await balance(chain, card);

    // The clerk may refund 50 yuan: 950 on the card is refused, audited, and nothing moves.
    const refused = await sv
      .refund({ paymentId, amount: 95000, reason: 'customer asked' }, { ...CLERK, idempotencyKey: freshKey('refund') })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({
      code: 'AUTHORITY_EXCEEDED',
      details: { action: 'refund', amount: 95000, limit: 5000 },
    });
    expect(await loyaltySnapshot(chain)).toEqual(before);
    expect(await refusals(chain.store, 'loyalty.stored-value.refund')).toMatchObject([
      {
        actor: { staffId: 'E-CLERK' },
        errorCode: 'AUTHORITY_EXCEEDED',
        details: { action: 'refund', amount: 95000, limit: 5000 },
      },
    ]);
    // A manager (500 yuan) approving is not enough either; the director is.
    const low = await sv
      .refund(
        { paymentId, amount: 95000, reason: 'customer asked', approvedBy: 'E-MANAGER' },
        { ...CLERK, idempotencyKey: freshKey('refund') },
      )
      .catch((e: unknown) => e);
    expect(low).toMatchObject({
      code: 'AUTHORITY_EXCEEDED',
      details: { limit: 50000, actor: { staffId: 'E-MANAGER' } },
    });
    const ok = await sv.refund(
      { paymentId, amount: 95000, reason: 'customer asked', approvedBy: 'E-DIRECTOR' },
      { ...CLERK, idempotencyKey: freshKey('refund') },
    );
    expect(ok.amount).toBe(95000);
    expect(await balance(chain, card)).toBe(start + 95000);
    const audited = [];
    for await (const row of scan(chain.store, auditLog, {
      where: { command: 'loyalty.stored-value.refund', outcome: 'ok' },
    }))
      audited.push(row);
    expect(audited).toMatchObject([
      { details: { authority: [{ limit: 'refund', amount: 95000, approvedBy: 'E-DIRECTOR' }] } },
    ]);

    // The goods come back: 1,000 yuan of goods, but only 50 of what the card paid is left to give.
    const back = await chain.crm.purchases.return(
      {
        purchaseId: sold.id,
        storeId: 'S01',
        lines: [{ lineNo: 1, quantity: 1 }],
        reason: 'faulty',
        approvedBy: 'E-DIRECTOR',
      },
      { ...CLERK, idempotencyKey: freshKey('return') },
    );
    expect(back).toMatchObject({
      amount: 100000,
      payable: 5000,
      dueAtTill: 0,
      tenders: [{ via: 'card', method: 'stored-value', reference: card, amount: 5000, settled: true }],
    });
    expect(await balance(chain, card)).toBe(start + 100000);
    expect(await chain.crm.purchases.returnsOf(sold.id, SYSTEM)).toMatchObject([
      { id: back.id, payable: 5000, dueAtTill: 0 },
    ]);
    await expectMoneyConsistent(chain.store);
  });

  it('holds a void to the void limit, else the refund limit, as a return of the whole sale would be', async () => {
    const { chain, card } = await chainWithCard(await kind.open());
    const sold = await sale(chain, 90000, [{ method: 'stored-value', amount: 90000, reference: card }]);
    const start = await balance(chain, card);
    const before = await loyaltySnapshot(chain);

    // The manager's refund limit is 500 yuan: a 900-yuan void is refused as the return would be.
    const voided = await chain.crm.purchases
      .void({ purchaseId: sold.id, reason: 'wrong till' }, { ...MANAGER, idempotencyKey: freshKey('void') })
      .catch((e: unknown) => e);
    expect(voided).toMatchObject({
      code: 'AUTHORITY_EXCEEDED',
      details: { action: 'refund', amount: 90000, limit: 50000 },
    });
    const returned = await chain.crm.purchases
      .return(
        { purchaseId: sold.id, storeId: 'S01', lines: [{ lineNo: 1, quantity: 1 }], reason: 'faulty' },
        { ...MANAGER, idempotencyKey: freshKey('return') },
      )
      .catch((e: unknown) => e);
    expect(returned).toMatchObject({
      code: 'AUTHORITY_EXCEEDED',
      details: { action: 'refund', amount: 90000, limit: 50000 },
    });
    expect(await loyaltySnapshot(chain)).toEqual(before);
    expect(await refusals(chain.store, 'purchases.void')).toHaveLength(1);

    // A cashier whose role sets a `void` limit of 1,000 yuan voids it alone (their refund limit is 50).
    const done = await chain.crm.purchases.void(
      { purchaseId: sold.id, reason: 'wrong till' },
      { ...CASHIER, idempotencyKey: freshKey('void') },
    );
    expect(done.status).toBe('voided');
    expect(await balance(chain, card)).toBe(start + 90000);

    // With an approver: the manager voids a second 900-yuan sale the director approves.
    const second = await sale(chain, 90000, [{ method: 'stored-value', amount: 90000, reference: card }]);
    await chain.crm.purchases.void(
      { purchaseId: second.id, reason: 'wrong till', approvedBy: 'E-DIRECTOR' },
      { ...MANAGER, idempotencyKey: freshKey('void') },
    );
    const audited = [];
    for await (const row of scan(chain.store, auditLog, { where: { command: 'purchases.void', outcome: 'ok' } }))
      audited.push(row);
    expect(audited.map((a) => a.details)).toMatchObject([
      { authority: [{ limit: 'void', amount: 90000 }] },
      { authority: [{ limit: 'refund', amount: 90000, approvedBy: 'E-DIRECTOR' }] },
    ]);
    await expectMoneyConsistent(chain.store);
  });

  it('pays a return back through each tender the sale used, never more than each paid', async () => {
    const { chain, card } = await chainWithCard(await kind.open());
    // 100 yuan: 60 on the card, 40 in cash.
    const sold = await sale(chain, 10000, [
      { method: 'stored-value', amount: 6000, reference: card },
      { method: 'cash', amount: 4000 },
    ]);
    const start = await balance(chain, card);
    const half = await chain.crm.purchases.return(
      { purchaseId: sold.id, storeId: 'S01', lines: [{ lineNo: 1, quantity: 0.5 }], reason: 'half' },
      { ...MANAGER, idempotencyKey: freshKey('return') },
    );
    expect(half).toMatchObject({
      amount: 5000,
      payable: 5000,
      dueAtTill: 2000,
      tenders: [
        { via: 'card', amount: 3000, settled: true },
        { via: 'till', method: 'cash', amount: 2000, settled: false },
      ],
    });
    // The card was given 10 yuan more outside a return: the second half pays that much less, from the card.
    const paymentId = await cardPaymentOf(chain, card);
    await chain.crm.loyalty.storedValue.refund(
      { paymentId, amount: 1000, reason: 'goodwill' },
      { ...MANAGER, idempotencyKey: freshKey('refund') },
    );
    const rest = await chain.crm.purchases.return(
      { purchaseId: sold.id, storeId: 'S01', lines: [{ lineNo: 1, quantity: 0.5 }], reason: 'rest' },
      { ...MANAGER, idempotencyKey: freshKey('return') },
    );
    expect(rest).toMatchObject({
      amount: 5000,
      payable: 4000,
      dueAtTill: 2000,
      tenders: [
        { via: 'card', amount: 2000 },
        { via: 'till', method: 'cash', amount: 2000 },
      ],
    });
    // Everything paid came back once: 60 to the card (30 + 10 + 20), 40 in cash.
    expect(await balance(chain, card)).toBe(start + 6000);
    expect(half.dueAtTill + rest.dueAtTill).toBe(4000);
    await expectMoneyConsistent(chain.store);
  });

  it('stops moves past a daily limit in the store’s own day, unless an approver with room covers them', async () => {
    const { chain } = await chainWithCard(await kind.open());
    const { crm, clock } = chain;
    // Clerks: 50 yuan a return, 200 yuan a day.
    await crm.roles.define(
      {
        id: 'clerk',
        name: 'Counter clerk',
        permissions: ['customers.write', 'sales.*'],
        limits: { refund: 5000 },
        dailyLimits: { refund: 20000 },
      },
      SYSTEM,
    );
    const sales = [];
    for (let i = 0; i < 6; i++) sales.push(await sale(chain, 5000, [{ method: 'cash', amount: 5000 }]));
    const giveBack = (id: string, extra: object = {}) =>
      crm.purchases.return(
        { purchaseId: id, storeId: 'S01', lines: [{ lineNo: 1, quantity: 1 }], reason: 'changed mind', ...extra },
        { ...CLERK, idempotencyKey: freshKey('return') },
      );
    for (let i = 0; i < 4; i++) await giveBack(sales[i]!.id);
    // The fifth 50-yuan return of the day would make 250 yuan.
    const before = await loyaltySnapshot(chain);
    const fifth = await giveBack(sales[4]!.id).catch((e: unknown) => e);
    expect(fifth).toMatchObject({
      code: 'AUTHORITY_EXCEEDED',
      details: { action: 'refund', amount: 5000, period: 'day', dailyLimit: 20000, usedToday: 20000 },
    });
    expect(await loyaltySnapshot(chain)).toEqual(before);
    expect(await refusals(chain.store, 'purchases.return')).toMatchObject([
      { details: { period: 'day', dailyLimit: 20000, usedToday: 20000 } },
    ]);
    // The manager approves it: it counts against the manager, who has no daily limit.
    await giveBack(sales[4]!.id, { approvedBy: 'E-MANAGER' });
    // 23:59 in Shanghai is still the same day; five past midnight there (16:05 UTC) is the next.
    clock.set(new Date('2026-11-02T15:59:00Z'));
    expect(await giveBack(sales[5]!.id).catch((e: unknown) => e)).toMatchObject({
      code: 'AUTHORITY_EXCEEDED',
      details: { period: 'day' },
    });
    clock.set(new Date('2026-11-02T16:05:00Z'));
    await giveBack(sales[5]!.id);
  });

  it('never lets two tills of one clerk pass the last of a day’s allowance together', async () => {
    const { chain } = await chainWithCard(await kind.open());
    const { crm } = chain;
    await crm.roles.define(
      {
        id: 'clerk',
        name: 'Counter clerk',
        permissions: ['customers.write', 'sales.*'],
        limits: { refund: 5000 },
        dailyLimits: { refund: 10000 },
      },
      SYSTEM,
    );
    const sales = [];
    for (let i = 0; i < 4; i++) sales.push(await sale(chain, 4000, [{ method: 'cash', amount: 4000 }]));
    const outcomes = await Promise.allSettled(
      sales.map((s) =>
        crm.purchases.return(
          { purchaseId: s.id, storeId: 'S01', lines: [{ lineNo: 1, quantity: 1 }], reason: 'race' },
          { ...CLERK, idempotencyKey: freshKey('return') },
        ),
      ),
    );
    // 100 yuan a day, 40 a return: two pass, the others are refused, whatever the order.
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(2);
    for (const o of outcomes)
      if (o.status === 'rejected')
        expect(o.reason).toMatchObject({ code: expect.stringMatching(/^(AUTHORITY_EXCEEDED|CONFLICT)$/) });
  });
});
