/**
 * Offline allowances of stored value: an amount of a card reserved for one terminal (an authorisation
 * of its own), so that two terminals cannot both be allowed the same money; drawn one sale at a time,
 * exactly once per key and never past what is left; refused once lapsed or given back; and the card's
 * balance always the sum of its entries, never below zero.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { isClienteleError } from '@clientele/core';
import { GIFT, MEMBER_CARD, expectMoneyConsistent, openMoneyChain } from './money-support.js';
import {
  CLERK,
  STORE_KINDS,
  SYSTEM,
  freshKey,
  loyaltySnapshot,
  member,
  nextReceipt,
  type LoyaltyChain,
} from './support.js';

async function giftCard(chain: LoyaltyChain, amount = 10000): Promise<string> {
  const card = await chain.loyalty.storedValue.sell(
    { productId: GIFT.id, storeId: 'S01', amount },
    { ...CLERK, idempotencyKey: freshKey('sell') },
  );
  return card.number;
}

const grant = (chain: LoyaltyChain, cardNumber: string, amount: number, terminalId: string, minutes?: number) =>
  chain.loyalty.storedValue.allowances.grant(
    {
      cardNumber,
      amount,
      storeId: 'S01',
      terminalId,
      ...(minutes ? { minutes } : {}),
    },
    { ...CLERK, idempotencyKey: freshKey(`sv-allow-${terminalId}`) },
  );

const draw = (chain: LoyaltyChain, allowanceId: string, amount: number, terminalId: string, key = freshKey('draw')) =>
  chain.loyalty.storedValue.allowances.draw({ allowanceId, amount, terminalId }, { ...CLERK, idempotencyKey: key });

/** A sale of `total` paid `paid` with a card payment referring to `reference`, the rest cash. */
const sale = (chain: LoyaltyChain, total: number, paid: number, reference: string, terminalId = 'T1') =>
  chain.crm.purchases.record(
    {
      storeId: 'S01',
      terminalId,
      receiptNo: nextReceipt(),
      lines: [{ sku: 'SOAP', category: 'household', quantity: 1, unitPrice: total }],
      payments: [
        { method: 'stored-value', amount: paid, reference },
        ...(total > paid ? [{ method: 'cash', amount: total - paid }] : []),
      ],
    },
    { ...CLERK, idempotencyKey: freshKey('sale') },
  );

const KINDS = STORE_KINDS.filter((k) => k.name === 'sqlite' || k.name === 'postgres');

describe.each(KINDS)('stored-value offline allowances on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it('reserves money per terminal, so two terminals together never spend more than the card holds', async () => {
    const chain = await openMoneyChain(await kind.open());
    const number = await giftCard(chain, 10000);
    const both = await Promise.allSettled([grant(chain, number, 8000, 'T1'), grant(chain, number, 8000, 'T2')]);
    expect(both.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = both.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(isClienteleError(refused.reason, 'INSUFFICIENT_BALANCE')).toBe(true);
    const first = (
      both.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{
        id: string;
        terminalId: string;
      }>
    ).value;
    expect(first.id).toMatch(/^svl_/);
    const other = first.terminalId === 'T1' ? 'T2' : 'T1';
    const second = await grant(chain, number, 2000, other);
    expect(await chain.loyalty.storedValue.card(number, SYSTEM)).toMatchObject({
      balance: 10000,
      available: 0,
      held: 10000,
    });
    // Nothing is left to spend online, nor to grant.
    const online = await chain.loyalty.storedValue
      .spend(
        {
          cardNumber: number,
          amount: 1,
          storeId: 'S01',
          ref: { type: 'order', id: 'W1' },
        },
        { ...CLERK, idempotencyKey: freshKey('spend') },
      )
      .catch((e: unknown) => e);
    expect(isClienteleError(online, 'INSUFFICIENT_BALANCE')).toBe(true);

    // Each terminal spends its whole allowance (the first in two sales), and not a cent more.
    const a = await draw(chain, first.id, 5000, first.terminalId);
    const b = await draw(chain, first.id, 3000, first.terminalId);
    const c = await draw(chain, second.id, 2000, other);
    const over = await draw(chain, first.id, 1, first.terminalId).catch((e: unknown) => e);
    expect(over).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { reason: 'exceeds_allowance' },
    });
    await sale(chain, 6000, 5000, a.id, first.terminalId);
    await sale(chain, 3000, 3000, b.id, first.terminalId);
    await sale(chain, 2500, 2000, c.id, other);
    const card = await chain.loyalty.storedValue.card(number, SYSTEM);
    expect(card).toMatchObject({ balance: 0, available: 0, held: 0 });
    const statement = await chain.loyalty.storedValue.statement(number, SYSTEM);
    expect(statement.entries.map((e) => e.amount)).toEqual([10000, -5000, -3000, -2000]);
    await expectMoneyConsistent(chain.store);
  });

  it('draws once per key, and refuses past the rest, at another terminal, or the allowance itself', async () => {
    const chain = await openMoneyChain(await kind.open());
    const number = await giftCard(chain, 20000);
    const allowance = await grant(chain, number, 6000, 'T1', 12 * 60);
    expect(allowance).toMatchObject({
      status: 'authorized',
      amount: 6000,
      terminalId: 'T1',
    });
    expect((allowance.expiresAt as Date).getTime() - chain.clock.now().getTime()).toBe(12 * 3_600_000);
    const key = freshKey('draw');
    const drawn = await draw(chain, allowance.id, 2500, 'T1', key);
    const again = await draw(chain, allowance.id, 2500, 'T1', key);
    expect(again.id).toBe(drawn.id);
    expect(drawn.id).toMatch(/^svp_/);
    // Drawing moves money inside what is reserved: the card's spendable amount does not change.
    expect(await chain.loyalty.storedValue.card(number, SYSTEM)).toMatchObject({
      balance: 20000,
      available: 14000,
    });
    await sale(chain, 4000, 2500, drawn.id);
    expect(await chain.loyalty.storedValue.card(number, SYSTEM)).toMatchObject({
      balance: 17500,
      available: 14000,
      held: 3500,
    });

    const before = await loyaltySnapshot(chain);
    const over = await draw(chain, allowance.id, 3501, 'T1').catch((e: unknown) => e);
    expect(over).toMatchObject({ code: 'VALIDATION_FAILED', path: ['amount'] });
    const elsewhere = await draw(chain, allowance.id, 10, 'T2').catch((e: unknown) => e);
    expect(elsewhere).toMatchObject({
      code: 'VALIDATION_FAILED',
      path: ['terminalId'],
    });
    const notOne = await draw(chain, drawn.id, 10, 'T1').catch((e: unknown) => e);
    expect(notOne).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { reason: 'not_an_allowance' },
    });
    const captured = await chain.loyalty.storedValue
      .capture(
        {
          paymentId: allowance.id,
          amount: 100,
          ref: { type: 'order', id: 'W9' },
        },
        {
          ...CLERK,
          idempotencyKey: freshKey('capture'),
        },
      )
      .catch((e: unknown) => e);
    expect(captured).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { reason: 'allowance_not_capturable' },
    });
    const paidWithIt = await sale(chain, 1000, 1000, allowance.id).catch((e: unknown) => e);
    expect(paidWithIt).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { reason: 'allowance_not_capturable' },
    });
    expect(await loyaltySnapshot(chain)).toEqual(before);
    await expectMoneyConsistent(chain.store);
  });

  it('gives the rest back when it lapses or is cancelled, after which nothing can be drawn', async () => {
    const chain = await openMoneyChain(await kind.open());
    const number = await giftCard(chain, 10000);
    const lapsing = await grant(chain, number, 3000, 'T1', 60);
    const cancelled = await grant(chain, number, 2000, 'T2', 600);
    await draw(chain, lapsing.id, 1000, 'T1');
    expect(await chain.loyalty.storedValue.card(number, SYSTEM)).toMatchObject({
      available: 5000,
    });
    chain.clock.advance(61 * 60_000);
    await chain.crm.runDue(chain.clock.now());
    // The allowance's rest (2,000) and the unused draw (1,000) came back; T2's is still reserved.
    expect(await chain.loyalty.storedValue.card(number, SYSTEM)).toMatchObject({
      balance: 10000,
      available: 8000,
    });
    const late = await draw(chain, lapsing.id, 500, 'T1').catch((e: unknown) => e);
    expect(late).toMatchObject({
      code: 'INVALID_STATE',
      details: { status: 'expired' },
    });

    await chain.loyalty.storedValue.cancelAuthorization(
      { paymentId: cancelled.id },
      { ...CLERK, idempotencyKey: freshKey('cancel') },
    );
    expect(await chain.loyalty.storedValue.card(number, SYSTEM)).toMatchObject({
      balance: 10000,
      available: 10000,
    });
    const gone = await draw(chain, cancelled.id, 500, 'T2').catch((e: unknown) => e);
    expect(gone).toMatchObject({
      code: 'INVALID_STATE',
      details: { status: 'cancelled' },
    });
    await expectMoneyConsistent(chain.store);
  });

  it('refuses a card that pays only with its PIN: an allowance is spent without it', async () => {
    const chain = await openMoneyChain(await kind.open());
    const owner = await member(chain);
    const card = await chain.loyalty.storedValue.sell(
      {
        productId: MEMBER_CARD.id,
        storeId: 'S01',
        amount: 5000,
        customerId: owner,
        pin: '2468',
      },
      { ...CLERK, idempotencyKey: freshKey('sell') },
    );
    const refused = await grant(chain, card.number, 1000, 'T1').catch((e: unknown) => e);
    expect(refused).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { reason: 'pin_required' },
    });
    expect(await chain.loyalty.storedValue.card(card.number, SYSTEM)).toMatchObject({ available: 5000 });
  });
});
