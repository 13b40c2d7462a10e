/**
 * What a cashier gets wrong with vouchers and cards: each mistake is a typed error with a code (and a
 * reason a cashier screen translates) and the path at fault, and changes nothing at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isClienteleError } from '@clientele/core';
import { coreCollections } from '@clientele/core/adapter';
import {
  CODE_ALPHABET,
  checkCharacter,
  refusalReason,
  storedValueCardsCollection,
  type Voucher,
} from '../src/index.js';
import { SERVICE, openMoneyChain } from './money-support.js';
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

interface World {
  chain: LoyaltyChain;
  zhang: string;
  li: string;
  fresh: Voucher;
  sorry: Voucher;
  old: Voucher;
  gift: string;
  local: string;
  pinned: string;
}

const fruit = (unitPrice: number) => ({ sku: 'APPLE', category: 'fresh-fruit', quantity: 1, unitPrice });
const sale = (w: World, payments: object[], lines: object[] = [fruit(6000)], extra: object = {}) =>
  w.chain.crm.purchases.record(
    {
      storeId: 'S01',
      terminalId: 'T1',
      receiptNo: nextReceipt(),
      customerId: w.zhang,
      lines,
      payments,
      ...extra,
    } as never,
    { ...CLERK, idempotencyKey: freshKey('sale') },
  );
const mistype = (code: string) =>
  code.slice(0, 6) + CODE_ALPHABET[(CODE_ALPHABET.indexOf(code[6]!) + 7) % 32] + code.slice(7);
const unknownCode = () => {
  const body = '0000000000000';
  return body + checkCharacter(body);
};

const CASES: Array<{
  name: string;
  call: (w: World) => Promise<unknown>;
  code: string;
  reason: string;
  path?: Array<string | number>;
}> = [
  {
    name: 'a mistyped voucher code at the till',
    call: (w) =>
      sale(w, [
        { method: 'voucher', amount: 1000, reference: mistype(w.fresh.code) },
        { method: 'cash', amount: 5000 },
      ]),
    code: 'VALIDATION_FAILED',
    reason: 'check_character',
    path: ['payments', 0, 'reference'],
  },
  {
    name: 'a code no voucher has',
    call: (w) =>
      sale(w, [
        { method: 'voucher', amount: 1000, reference: unknownCode() },
        { method: 'cash', amount: 5000 },
      ]),
    code: 'NOT_FOUND',
    reason: 'unknown_code',
    path: ['payments', 0, 'reference'],
  },
  {
    name: 'an expired voucher',
    call: (w) =>
      sale(w, [
        { method: 'voucher', amount: 1000, reference: w.old.code },
        { method: 'cash', amount: 5000 },
      ]),
    code: 'INVALID_STATE',
    reason: 'expired',
    path: ['payments', 0, 'reference'],
  },
  {
    name: 'a voucher at a store that does not take it',
    call: (w) =>
      sale(
        w,
        [
          { method: 'voucher', amount: 2000, reference: w.sorry.code },
          { method: 'cash', amount: 10000 },
        ],
        [fruit(12000)],
        { storeId: 'S02' },
      ),
    code: 'VALIDATION_FAILED',
    reason: 'wrong_store',
    path: ['payments', 0, 'reference'],
  },
  {
    name: 'a basket under the minimum spend',
    call: (w) =>
      sale(
        w,
        [
          { method: 'voucher', amount: 1000, reference: w.fresh.code },
          { method: 'cash', amount: 3000 },
        ],
        [fruit(4000)],
      ),
    code: 'VALIDATION_FAILED',
    reason: 'below_minimum_spend',
    path: ['payments', 0, 'reference'],
  },
  {
    name: 'another customer’s voucher',
    call: (w) =>
      sale(
        w,
        [
          { method: 'voucher', amount: 1000, reference: w.fresh.code },
          { method: 'cash', amount: 5000 },
        ],
        [fruit(6000)],
        { customerId: w.li },
      ),
    code: 'VALIDATION_FAILED',
    reason: 'another_customer',
  },
  {
    name: 'a voucher paying more than it takes off',
    call: (w) =>
      sale(w, [
        { method: 'voucher', amount: 1500, reference: w.fresh.code },
        { method: 'cash', amount: 4500 },
      ]),
    code: 'VALIDATION_FAILED',
    reason: 'amount_mismatch',
    path: ['payments', 0, 'amount'],
  },
  {
    name: 'a voucher that does not stack, with another',
    call: (w) =>
      sale(
        w,
        [
          { method: 'voucher', amount: 1000, reference: w.fresh.code },
          { method: 'voucher', amount: 2000, reference: w.sorry.code },
          { method: 'cash', amount: 9000 },
        ],
        [fruit(12000)],
      ),
    code: 'VALIDATION_FAILED',
    reason: 'not_stackable',
  },
  {
    name: 'holding a mistyped code',
    call: (w) =>
      w.chain.crm.loyalty.vouchers.reserve(
        { code: mistype(w.fresh.code), storeId: 'S01', terminalId: 'T1' },
        { ...CLERK, idempotencyKey: freshKey('hold') },
      ),
    code: 'VALIDATION_FAILED',
    reason: 'check_character',
    path: ['code'],
  },
  {
    name: 'converting points of a member who has too few',
    call: (w) =>
      w.chain.crm.loyalty.vouchers.convert(
        { templateId: 'FRESH-10', customerId: w.li },
        { ...SERVICE, idempotencyKey: freshKey('convert') },
      ),
    code: 'INSUFFICIENT_BALANCE',
    reason: 'below_min_points',
  },
  {
    name: 'a card number with a wrong check digit',
    call: (w) =>
      sale(w, [
        {
          method: 'stored-value',
          amount: 6000,
          reference: w.gift.slice(0, -1) + String((Number(w.gift.at(-1)) + 1) % 10),
        },
      ]),
    code: 'VALIDATION_FAILED',
    reason: 'check_digit',
    path: ['payments', 0, 'reference'],
  },
  {
    name: 'a card at a store that does not take it',
    call: (w) => sale(w, [{ method: 'stored-value', amount: 6000, reference: w.local }]),
    code: 'VALIDATION_FAILED',
    reason: 'wrong_store',
    path: ['payments', 0, 'reference'],
  },
  {
    name: 'a card that cannot cover the payment',
    call: (w) => sale(w, [{ method: 'stored-value', amount: 6000, reference: w.gift }], [fruit(6000)]),
    code: 'INSUFFICIENT_BALANCE',
    reason: 'insufficient_balance',
    path: ['payments', 0, 'amount'],
  },
  {
    name: 'a PIN card without its PIN',
    call: (w) =>
      w.chain.crm.loyalty.storedValue.authorize(
        { cardNumber: w.pinned, amount: 100, storeId: 'S01', terminalId: 'T1' },
        { ...CLERK, idempotencyKey: freshKey('auth') },
      ),
    code: 'VALIDATION_FAILED',
    reason: 'pin_required',
    path: ['pin'],
  },
  {
    name: 'a percentage voucher template without its maximum',
    call: (w) =>
      w.chain.crm.loyalty.vouchers.defineTemplate(
        {
          id: 'PCT-NO-MAX',
          name: '10% off',
          value: { kind: 'percent', percent: 10 } as never,
          validity: { kind: 'days', days: 30 },
        },
        SYSTEM,
      ),
    code: 'VALIDATION_FAILED',
    reason: 'invalid_type',
    path: ['value', 'max'],
  },
  {
    name: 'a card product for a store outside the chain (not one of its stores)',
    call: (w) =>
      w.chain.crm.loyalty.storedValue.defineProduct(
        { id: 'FRANCHISE', name: 'Franchise card', kind: 'anonymous', stores: ['S01', 'FRANCHISE-7'] },
        SYSTEM,
      ),
    code: 'NOT_FOUND',
    reason: 'unknown_store',
    path: ['stores', 1],
  },
  {
    name: 'an idempotency key of fewer than 8 characters',
    call: (w) =>
      w.chain.crm.loyalty.storedValue.sell(
        { productId: 'GIFT', storeId: 'S01', amount: 10000 },
        { ...CLERK, idempotencyKey: 'S01-T1' },
      ),
    code: 'VALIDATION_FAILED',
    reason: 'too_small',
    path: ['options', 'idempotencyKey'],
  },
  {
    name: 'a top-up in yuan with decimals',
    call: (w) =>
      w.chain.crm.loyalty.storedValue.topUp(
        { cardNumber: w.gift, amount: 99.5, storeId: 'S01' },
        { ...CLERK, idempotencyKey: freshKey('top-up') },
      ),
    code: 'VALIDATION_FAILED',
    reason: 'invalid_type',
    path: ['amount'],
  },
  {
    name: 'an anonymous card sold to a customer',
    call: (w) =>
      w.chain.crm.loyalty.storedValue.sell(
        { productId: 'GIFT', storeId: 'S01', amount: 10000, customerId: w.zhang },
        { ...CLERK, idempotencyKey: freshKey('sell') },
      ),
    code: 'VALIDATION_FAILED',
    reason: 'anonymous_product',
    path: ['customerId'],
  },
];

describe.each(STORE_KINDS)('vouchers and cards refuse bad input on $name', (kind) => {
  let w: World;
  beforeAll(async () => {
    const chain = await openMoneyChain(await kind.open());
    const { crm } = chain;
    const zhang = await member(chain);
    const li = await member(chain, '李雷');
    const issue = (templateId: string, customerId: string) =>
      crm.loyalty.vouchers.issue({ templateId, customerId }, { ...SERVICE, idempotencyKey: freshKey('issue') });
    chain.clock.advance(-40 * 86_400_000);
    const old = await issue('FRESH-10', zhang);
    chain.clock.advance(40 * 86_400_000);
    await crm.loyalty.storedValue.defineProduct(
      { id: 'LOCAL', name: 'Hillside card', kind: 'anonymous', stores: ['S02'] },
      SYSTEM,
    );
    const gift = await crm.loyalty.storedValue.sell(
      { productId: 'GIFT', storeId: 'S01', amount: 10000 },
      { ...CLERK, idempotencyKey: freshKey('sell') },
    );
    await crm.purchases.record(
      {
        storeId: 'S01',
        terminalId: 'T9',
        receiptNo: nextReceipt(),
        lines: [fruit(5000)],
        payments: [{ method: 'stored-value', amount: 5000, reference: gift.number }],
      },
      { ...CLERK, idempotencyKey: freshKey('sale') },
    );
    const local = await crm.loyalty.storedValue.sell(
      { productId: 'LOCAL', storeId: 'S02', amount: 20000 },
      { ...CLERK, idempotencyKey: freshKey('sell') },
    );
    const pinned = await crm.loyalty.storedValue.sell(
      { productId: 'MEMBER-SV', storeId: 'S01', amount: 20000, customerId: zhang, pin: '2468' },
      { ...CLERK, idempotencyKey: freshKey('sell') },
    );
    w = {
      chain,
      zhang,
      li,
      fresh: await issue('FRESH-10', zhang),
      sorry: await issue('SORRY-20', zhang),
      old,
      gift: gift.number,
      local: local.number,
      pinned: pinned.number,
    };
  });
  afterAll(() => kind.cleanup());

  for (const c of CASES) {
    it(`refuses ${c.name} with ${c.code} (${c.reason}) and changes nothing`, async () => {
      const before = await loyaltySnapshot(w.chain, coreCollections);
      const error = await c.call(w).then(
        () => null,
        (e: unknown) => e,
      );
      expect(isClienteleError(error, c.code as never)).toBe(true);
      expect(refusalReason(error)).toBe(c.reason);
      if (c.path) expect(error).toMatchObject({ path: c.path });
      expect(await loyaltySnapshot(w.chain, coreCollections)).toEqual(before);
    });
  }

  it('refuses a wrong PIN, counting the try and changing nothing else', async () => {
    const before = await loyaltySnapshot(
      w.chain,
      coreCollections.filter((x) => x.name !== 'audit_log'),
    );
    const error = await w.chain.crm.loyalty.storedValue
      .authorize(
        { cardNumber: w.pinned, amount: 100, storeId: 'S01', terminalId: 'T1', pin: '1357' },
        { ...CLERK, idempotencyKey: freshKey('auth') },
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'VALIDATION_FAILED',
      path: ['pin'],
      details: { reason: 'wrong_pin', triesLeft: 4, locked: false },
    });
    const after = await loyaltySnapshot(
      w.chain,
      coreCollections.filter((x) => x.name !== 'audit_log'),
    );
    const { loyalty_sv_cards: cardsAfter, ...restAfter } = after;
    const { loyalty_sv_cards: cardsBefore, ...restBefore } = before;
    expect(restAfter).toEqual(restBefore);
    const strip = (json: string) =>
      (JSON.parse(json) as Array<Record<string, unknown>>).map(({ pinFailures, ...row }) => row);
    expect(strip(cardsAfter!)).toEqual(strip(cardsBefore!));
    expect((await w.chain.store.get(storedValueCardsCollection, w.pinned))!.pinFailures).toBe(1);
  });
});
