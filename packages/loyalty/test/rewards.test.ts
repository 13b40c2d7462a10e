/**
 * Product rewards claimed with points: priced per set of units (a part set costs a whole one),
 * checked against the basket at the claim and again against the sale, paid for by the claim's points
 * in the sale's transaction, and given back when the goods they rest on come back, on every store.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { isClienteleError } from '@clientele/core';
import {
  checkReward,
  compileProgram,
  priceBasket,
  refusalReason,
  rewardClaimsCollection,
  type ProgramInput,
} from '../src/index.js';
import { expectLedgerConsistent } from './invariants.js';
import {
  CLERK,
  MANAGER,
  PROGRAM,
  STORE_KINDS,
  SYSTEM,
  freshKey,
  loyaltySnapshot,
  member,
  nextReceipt,
  openLoyaltyChain,
  type LoyaltyChain,
} from './support.js';

const WITH_REWARDS: ProgramInput = {
  ...PROGRAM,
  rewards: [
    // Every 2 yoghurts cost 3 points.
    { id: 'yogurt', name: 'Free yoghurt', kind: 'free-product', product: { sku: ['YOGURT'] }, points: 3, per: 2 },
    // Buy 2 noodle cups, get a third for 40 points.
    {
      id: 'noodles',
      name: 'Noodles 3 for 2',
      kind: 'buy-x-get-y',
      buy: { category: ['noodles'] },
      buyQuantity: 2,
      get: { category: ['noodles'] },
      getQuantity: 1,
      points: 40,
    },
  ],
};

const yogurt = (quantity: number, unitPrice = 800) => ({ sku: 'YOGURT', category: 'dairy', quantity, unitPrice });
const noodles = (quantity: number) => ({ sku: 'NOODLE-CUP', category: 'noodles', quantity, unitPrice: 500 });
const BREAD = { sku: 'BREAD', category: 'bakery', quantity: 1, unitPrice: 1200 };

describe('product rewards, checked against a basket', () => {
  const program = compileProgram(WITH_REWARDS);
  const reward = (id: string) => program.rewards.get(id)!;
  const lines = (...l: object[]) => priceBasket({ lines: l }).lines;

  it('price per set of units, a part set counted whole, and give the cheapest units free', () => {
    const basket = lines(yogurt(2, 900), yogurt(3, 700), BREAD);
    expect(checkReward(reward('yogurt'), basket, 2)).toMatchObject({ ok: true, points: 3, value: 1400 });
    // Three units: two sets, 6 points; the three cheapest are at 7 yuan.
    const three = checkReward(reward('yogurt'), basket, 3);
    expect(three).toMatchObject({ ok: true, points: 6, value: 2100, free: [{ line: 1, units: 3, value: 2100 }] });
    expect(checkReward(reward('yogurt'), basket, 4)).toMatchObject({ points: 6, value: 2100 + 900 });
    expect(checkReward(reward('yogurt'), basket, 6)).toMatchObject({ ok: false, refusal: 'too_few_units' });
    expect(checkReward(reward('yogurt'), lines(BREAD), 1)).toMatchObject({ ok: false, refusal: 'not_in_basket' });
  });

  it('need the goods to buy besides the goods given, even when they are the same goods', () => {
    expect(checkReward(reward('noodles'), lines(noodles(3)), 1)).toMatchObject({
      ok: true,
      points: 40,
      value: 500,
      needed: 2,
      bought: 2,
    });
    expect(checkReward(reward('noodles'), lines(noodles(2)), 1)).toMatchObject({ ok: false, refusal: 'buy_more' });
    expect(checkReward(reward('noodles'), lines(noodles(6)), 2)).toMatchObject({ ok: true, points: 80, value: 1000 });
  });

  it('are declared in the program, refused with every problem by path when malformed', () => {
    const bad = () =>
      compileProgram({
        ...PROGRAM,
        rewards: [
          { id: 'a', kind: 'free-product', product: {}, points: 3 },
          { id: 'a', kind: 'free-product', product: { sku: ['X'] }, points: 0 },
        ],
      });
    expect(bad).toThrow(/rewards\.0\.product: name at least one line condition/);
    expect(bad).toThrow(/rewards\.1\.points/);
    expect(() =>
      compileProgram({
        ...PROGRAM,
        rewards: [1, 2].map(() => ({ id: 'a', kind: 'free-product', product: { sku: ['X'] }, points: 3 })),
      }),
    ).toThrow(/rewards\.1\.id: reward id a is used by rewards\[0\] too/);
  });
});

describe.each(STORE_KINDS)('product rewards on $name', (kind) => {
  afterAll(() => kind.cleanup());

  /** A member with 100 points (20 for registering, 80 by hand). */
  async function shop(): Promise<LoyaltyChain & { id: string }> {
    const chain = await openLoyaltyChain(await kind.open(), WITH_REWARDS);
    const id = await member(chain);
    await chain.crm.loyalty.adjust(
      { customerId: id, points: 80, reason: 'opening balance' },
      { ...MANAGER, idempotencyKey: freshKey('adjust') },
    );
    return { ...chain, id };
  }
  const claim = (chain: LoyaltyChain & { id: string }, rewardId: string, units: number, lines: object[]) =>
    chain.crm.loyalty.rewards.claim(
      { customerId: chain.id, rewardId, units, storeId: 'S01', terminalId: 'T1', basket: { lines } as never },
      { ...CLERK, idempotencyKey: freshKey('claim') },
    );
  const sell = (
    chain: LoyaltyChain & { id: string },
    lines: object[],
    payments: object[],
    key = freshKey('sale'),
    receiptNo = nextReceipt(),
  ) =>
    chain.crm.purchases.record(
      { storeId: 'S01', terminalId: 'T1', receiptNo, customerId: chain.id, lines, payments } as never,
      { ...CLERK, idempotencyKey: key },
    );
  const balance = async (chain: LoyaltyChain & { id: string }) => chain.loyalty.balance(chain.id, SYSTEM);

  it('reserves the claim’s points, spends them with the sale once, and gives them back set by set', async () => {
    const chain = await shop();
    const lines = [yogurt(3), BREAD];
    const held = await claim(chain, 'yogurt', 3, lines);
    expect(held).toMatchObject({ status: 'held', units: 3, points: 6, value: 2400 });
    expect(await balance(chain)).toMatchObject({ available: 100, spendable: 94 });

    // A payment that is not what the free goods are worth is refused, and nothing is written.
    const before = await loyaltySnapshot(chain);
    const wrong = await sell(chain, lines, [
      { method: 'reward', amount: 2000, reference: held.id },
      { method: 'cash', amount: 1600 },
    ]).catch((e: unknown) => e);
    expect(refusalReason(wrong)).toBe('value_mismatch');
    expect(await loyaltySnapshot(chain)).toEqual(before);

    const key = freshKey('sale');
    const payments = [
      { method: 'reward', amount: 2400, reference: held.id },
      { method: 'cash', amount: 1200 },
    ];
    const receipt = nextReceipt();
    const sale = await sell(chain, lines, payments, key, receipt);
    // The till retries: the same sale, the points spent once.
    expect((await sell(chain, lines, payments, key, receipt)).id).toBe(sale.id);
    const earned = (await chain.loyalty.saleAward(sale.id, SYSTEM)).points;
    expect(await balance(chain)).toMatchObject({ available: 100 - 6 + earned, spendable: 100 - 6 + earned });
    const [row] = (await chain.store.find(rewardClaimsCollection, { where: { id: held.id } })).rows;
    expect(row).toMatchObject({
      status: 'committed',
      purchaseId: sale.id,
      free: [{ lineNo: 1, units: 3, value: 2400 }],
    });
    // A claim pays once.
    const twice = await sell(chain, lines, payments).catch((e: unknown) => e);
    expect(refusalReason(twice)).toBe('committed');

    // One yoghurt back: two are left, one set of two, 3 points; the other 3 come back instead of money.
    const preview = await chain.loyalty.previewReturn(
      { purchaseId: sale.id, lines: [{ lineNo: 1, quantity: 1 }] },
      SYSTEM,
    );
    expect(preview.rewards).toEqual([
      { claimId: held.id, rewardId: 'yogurt', units: 1, points: 3, value: 800, refundDeduction: 0 },
    ]);
    const one = await chain.crm.purchases.return(
      { purchaseId: sale.id, storeId: 'S01', lines: [{ lineNo: 1, quantity: 1 }], reason: 'dented' },
      { ...CLERK, idempotencyKey: freshKey('return') },
    );
    expect(one.tenders).toEqual([expect.objectContaining({ via: 'points', method: 'reward', amount: 800, points: 3 })]);
    expect(one.dueAtTill).toBe(0);
    // A second one back: one left still costs a whole set, so no points come back, and no money either.
    const preview2 = await chain.loyalty.previewReturn(
      { purchaseId: sale.id, lines: [{ lineNo: 1, quantity: 1 }] },
      SYSTEM,
    );
    expect(preview2).toMatchObject({
      rewards: [{ units: 1, points: 0, value: 800, refundDeduction: 800 }],
      payable: 0,
    });
    const two = await chain.crm.purchases.return(
      { purchaseId: sale.id, storeId: 'S01', lines: [{ lineNo: 1, quantity: 1 }], reason: 'dented' },
      { ...CLERK, idempotencyKey: freshKey('return') },
    );
    expect(two.deductions).toEqual([expect.objectContaining({ source: 'loyalty.reward', amount: 800 })]);
    expect(two.dueAtTill).toBe(0);
    const after = (await chain.store.find(rewardClaimsCollection, { where: { id: held.id } })).rows[0]!;
    expect(after).toMatchObject({ status: 'committed', reversedUnits: 2, restoredPoints: 3 });
    await expectLedgerConsistent(chain.store);
  });

  it('refuses a claim the basket or the balance does not carry, changing nothing', async () => {
    const chain = await shop();
    const before = await loyaltySnapshot(chain);
    const refused = async (rewardId: string, units: number, lines: object[]) => {
      const e = await claim(chain, rewardId, units, lines).catch((x: unknown) => x);
      return isClienteleError(e) ? [e.code, refusalReason(e), e.path.join('.')] : e;
    };
    expect(await refused('yogurt', 4, [yogurt(3)])).toEqual(['VALIDATION_FAILED', 'too_few_units', 'units']);
    expect(await refused('noodles', 2, [noodles(3)])).toEqual(['VALIDATION_FAILED', 'buy_more', 'basket']);
    expect(await refused('yogurt', 1, [BREAD])).toEqual(['VALIDATION_FAILED', 'not_in_basket', 'basket']);
    expect(await refused('cake', 1, [BREAD])).toEqual(['NOT_FOUND', 'unknown_reward', 'rewardId']);
    // 3 sets of noodles need 120 points; the member has 100.
    expect(await refused('noodles', 3, [noodles(9)])).toEqual(['INSUFFICIENT_BALANCE', null, '']);
    expect(await loyaltySnapshot(chain)).toEqual(before);
  });

  it('gives back a buy-x-get-y claim when the goods bought come back, and all of it with a void', async () => {
    const chain = await shop();
    const lines = [noodles(3)];
    const pay = (id: string) => [
      { method: 'reward', amount: 500, reference: id },
      { method: 'cash', amount: 1000 },
    ];
    const first = await sell(chain, lines, pay((await claim(chain, 'noodles', 1, lines)).id));
    const afterSale = (await balance(chain)).available;
    // One cup back leaves two: too few to buy two and get one. The 40 points come back and stand for
    // the cup's 5 yuan, so no money is paid out.
    const back = await chain.crm.purchases.return(
      { purchaseId: first.id, storeId: 'S01', lines: [{ lineNo: 1, quantity: 1 }], reason: 'too many' },
      { ...CLERK, idempotencyKey: freshKey('return') },
    );
    expect(back.tenders).toEqual([expect.objectContaining({ via: 'points', amount: 500, points: 40 })]);
    expect(back.dueAtTill).toBe(0);
    const clawed =
      (await chain.loyalty.saleAward(first.id, SYSTEM)).earned -
      (await chain.loyalty.saleAward(first.id, SYSTEM)).points;
    expect((await balance(chain)).available).toBe(afterSale + 40 - clawed);

    const second = await sell(chain, lines, pay((await claim(chain, 'noodles', 1, lines)).id));
    const beforeVoid = (await balance(chain)).available;
    const earned = (await chain.loyalty.saleAward(second.id, SYSTEM)).points;
    await chain.crm.purchases.void(
      { purchaseId: second.id, reason: 'wrong member' },
      { ...MANAGER, idempotencyKey: freshKey('void') },
    );
    expect((await balance(chain)).available).toBe(beforeVoid + 40 - earned);
    await expectLedgerConsistent(chain.store);
  });

  it('releases a claim nobody paid with, by hand or when its time is up', async () => {
    const chain = await shop();
    const lines = [yogurt(2)];
    const a = await claim(chain, 'yogurt', 2, lines);
    const b = await claim(chain, 'yogurt', 2, lines);
    expect((await balance(chain)).spendable).toBe(94);
    expect(await chain.crm.loyalty.rewards.cancelClaim({ claimId: a.id }, CLERK)).toMatchObject({
      status: 'cancelled',
    });
    chain.clock.advance(16 * 60_000);
    expect((await chain.crm.runDue())['loyalty']).toMatchObject({ rewardClaimsExpired: 1 });
    expect(await balance(chain)).toMatchObject({ available: 100, spendable: 100 });
    const late = await sell(chain, lines, [{ method: 'reward', amount: 1600, reference: b.id }]).catch(
      (e: unknown) => e,
    );
    expect(refusalReason(late)).toBe('expired');
  });

  it('releases the held claims of a duplicate merged into another record, so its whole balance moves', async () => {
    const chain = await shop();
    await claim(chain, 'yogurt', 2, [yogurt(2)]);
    const survivor = await member(chain, '张伟 (2)');
    await chain.crm.customers.merge(
      { survivorId: survivor, mergedId: chain.id, reason: 'same person, two registrations' },
      MANAGER,
    );
    const after = await chain.loyalty.balance(survivor, SYSTEM);
    // 100 moved and 20 for the survivor's own registration; nothing is still held.
    expect(after).toMatchObject({ available: 120, spendable: 120 });
    const claims = (await chain.store.find(rewardClaimsCollection, { where: { status: 'held' } })).rows;
    expect(claims).toEqual([]);
    await expectLedgerConsistent(chain.store);
  });

  it('gives back units by hand only within refund authority, and only units a sale paid for', async () => {
    const chain = await shop();
    const lines = [yogurt(2)];
    const held = await claim(chain, 'yogurt', 2, lines);
    const notYet = await chain.crm.loyalty.rewards
      .reverse({ claimId: held.id, reason: 'not handed over' }, { ...MANAGER, idempotencyKey: freshKey('reverse') })
      .catch((e: unknown) => e);
    expect(refusalReason(notYet)).toBe('held');
    await sell(chain, lines, [{ method: 'reward', amount: 1600, reference: held.id }]);
    const spent = (await balance(chain)).available;
    // The clerk has no `loyalty.rewards.reverse` permission.
    const clerk = await chain.crm.loyalty.rewards
      .reverse({ claimId: held.id, reason: 'not handed over' }, { ...CLERK, idempotencyKey: freshKey('reverse') })
      .catch((e: unknown) => e);
    expect(isClienteleError(clerk, 'PERMISSION_DENIED')).toBe(true);
    const out = await chain.crm.loyalty.rewards.reverse(
      { claimId: held.id, reason: 'not handed over' },
      { ...MANAGER, idempotencyKey: freshKey('reverse') },
    );
    expect(out).toMatchObject({ units: 2, points: 3, value: 1600, claim: { status: 'reversed' } });
    expect((await balance(chain)).available).toBe(spent + 3);
    await expectLedgerConsistent(chain.store);
  });
});
