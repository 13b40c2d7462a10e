/**
 * Refunding the sale of a stored-value card, on every store kind: the money paid for the card that is
 * left on it goes back by the tenders it was paid with (latest first), a bonus left on it is forfeited,
 * the card is closed, the clerk's refund authority bounds it, and a refused refund changes nothing.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { isClienteleError } from '@clientele/core';
import { planCardSaleRefund, refusalReason } from '../src/index.js';
import { GIFT, SERVICE, expectMoneyConsistent, openMoneyChain } from './money-support.js';
import { CLERK, STORE_KINDS, SYSTEM, freshKey, loyaltySnapshot, nextReceipt, type LoyaltyChain } from './support.js';

describe('the plan of a card sale refund', () => {
  const entry = (kind: string, amount: number, method?: string) => ({
    kind,
    amount,
    details: method ? { tender: { method, reference: null } } : {},
  });

  it('pays back the money paid in, never more than the balance, latest tender first; a bonus left is forfeited', () => {
    const paid = [entry('load', 20_000, 'wechat-pay'), entry('top-up', 50_000), entry('bonus', 2_000)];
    // 1,000 spent: the bonus goes first, so all 700 yuan paid in comes back and 10 yuan of bonus is forfeited.
    expect(planCardSaleRefund([...paid, entry('spend', -1_000)], 71_000)).toEqual({
      amount: 70_000,
      forfeited: 1_000,
      tenders: [
        { method: 'cash', reference: null, amount: 50_000 },
        { method: 'wechat-pay', reference: null, amount: 20_000 },
      ],
    });
    // 600 yuan spent: 120 left, all of it the customer's, back in cash (the top-up was the latest).
    expect(planCardSaleRefund([...paid, entry('spend', -60_000)], 12_000)).toEqual({
      amount: 12_000,
      forfeited: 0,
      tenders: [{ method: 'cash', reference: null, amount: 12_000 }],
    });
  });
});

describe.each(STORE_KINDS)('refunding a card sale on $name', (kind) => {
  afterAll(() => kind.cleanup());

  const sellCard = (chain: LoyaltyChain, amount: number, extra: object = {}) =>
    chain.crm.loyalty.storedValue.sell(
      { productId: 'GIFT', storeId: 'S01', amount, ...extra },
      { ...SYSTEM, idempotencyKey: freshKey('sell') },
    );
  const pay = (chain: LoyaltyChain, number: string, amount: number) =>
    chain.crm.purchases.record(
      {
        storeId: 'S01',
        terminalId: 'T1',
        receiptNo: nextReceipt(),
        lines: [{ sku: 'RICE', category: 'grain', quantity: 1, unitPrice: amount }],
        payments: [{ method: 'stored-value', amount, reference: number }],
      },
      { ...CLERK, idempotencyKey: freshKey('sale') },
    );

  it('gives back what is left by the tenders the card was paid with, and closes the card', async () => {
    const chain = await openMoneyChain(await kind.open());
    const sv = chain.crm.loyalty.storedValue;
    const card = await sellCard(chain, 20_000, { tender: { method: 'wechat-pay', reference: 'WX-88' } });
    await sv.topUp(
      { cardNumber: card.number, amount: 50_000, storeId: 'S01' },
      { ...SYSTEM, idempotencyKey: freshKey('top') },
    );
    await pay(chain, card.number, 1_000);
    expect((await sv.card(card.number, SYSTEM)).balance).toBe(71_000);

    // 700 yuan is above the service desk's 50 yuan and its supervisor's 500: refused, nothing changed.
    const before = await loyaltySnapshot(chain);
    const input = { cardNumber: card.number, storeId: 'S01', reason: 'gift not wanted' };
    const over = await sv
      .refundSale({ ...input, approvedBy: 'E-SUPERVISOR' }, { ...SERVICE, idempotencyKey: freshKey('refund') })
      .catch((e: unknown) => e);
    expect(isClienteleError(over, 'AUTHORITY_EXCEEDED')).toBe(true);
    expect(await loyaltySnapshot(chain)).toEqual(before);

    const key = freshKey('refund');
    const back = await sv.refundSale(input, { ...SYSTEM, idempotencyKey: key });
    expect(back).toMatchObject({
      amount: 70_000,
      forfeited: 1_000,
      tenders: [
        { method: 'cash', reference: null, amount: 50_000 },
        { method: 'wechat-pay', reference: 'WX-88', amount: 20_000 },
      ],
      card: { status: 'closed', balance: 0, available: 0 },
    });
    // The till asks again: the same answer, nothing paid twice.
    expect(await sv.refundSale(input, { ...SYSTEM, idempotencyKey: key })).toEqual(back);
    const entries = (await sv.statement(card.number, SYSTEM)).entries.map((e) => [e.kind, e.amount]);
    expect(entries.slice(-2)).toEqual([
      ['cash-out', -70_000],
      ['forfeit', -1_000],
    ]);
    // A closed card pays for nothing and is not refunded again.
    expect(refusalReason(await pay(chain, card.number, 100).catch((e: unknown) => e))).toBe('closed');
    const again = await sv
      .refundSale(input, { ...SYSTEM, idempotencyKey: freshKey('refund') })
      .catch((e: unknown) => e);
    expect(refusalReason(again)).toBe('closed');
    await expectMoneyConsistent(chain.store);
  });

  it(
    'lets a clerk refund within the clerk’s own limit, and refuses a card with money reserved or at a ' +
      'store that does not take it',
    async () => {
      const chain = await openMoneyChain(await kind.open());
      const sv = chain.crm.loyalty.storedValue;
      const small = await sellCard(chain, 10_000);
      await pay(chain, small.number, 6_000);
      // 40 yuan left, within the clerk's 50.
      expect(
        await sv.refundSale(
          { cardNumber: small.number, storeId: 'S01', reason: 'moving away' },
          { ...CLERK, idempotencyKey: freshKey('refund') },
        ),
      ).toMatchObject({ amount: 4_000, forfeited: 0, tenders: [{ method: 'cash', amount: 4_000 }] });

      const held = await sellCard(chain, 10_000);
      await sv.authorize(
        { cardNumber: held.number, amount: 2_000, storeId: 'S01', terminalId: 'T1' },
        { ...SYSTEM, idempotencyKey: freshKey('auth') },
      );
      const reserved = await sv
        .refundSale(
          { cardNumber: held.number, storeId: 'S01', reason: 'x' },
          { ...SYSTEM, idempotencyKey: freshKey('r') },
        )
        .catch((e: unknown) => e);
      expect(refusalReason(reserved)).toBe('authorized');

      await sv.defineProduct({ ...GIFT, id: 'LOCAL', prefix: '97', stores: ['S01'] }, SYSTEM);
      const local = await sv.sell(
        { productId: 'LOCAL', storeId: 'S01', amount: 10_000 },
        { ...SYSTEM, idempotencyKey: freshKey('sell') },
      );
      const elsewhere = await sv
        .refundSale(
          { cardNumber: local.number, storeId: 'S02', reason: 'x' },
          { ...SYSTEM, idempotencyKey: freshKey('r') },
        )
        .catch((e: unknown) => e);
      expect(refusalReason(elsewhere)).toBe('wrong_store');
      const unknownStore = await sv
        .refundSale(
          { cardNumber: local.number, storeId: 'S99', reason: 'x' },
          { ...SYSTEM, idempotencyKey: freshKey('r') },
        )
        .catch((e: unknown) => e);
      expect(isClienteleError(unknownStore, 'NOT_FOUND')).toBe(true);
    },
  );
});
