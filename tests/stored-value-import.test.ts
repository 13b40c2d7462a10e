/**
 * Opening stored-value balances: each card of the old system issued here with its balance as an
 * `opening` entry, on every store the matrix runs. The balance is the sum of the card's entries, the
 * liability report counts it, a sale spends it and never below zero, a run again imports nothing,
 * a changed row is a mismatch, bad rows are rejected with their path, and a check writes nothing.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createClientele, isClienteleError, manualClock, type Store } from '@clientele/core';
import { cardNumberFor, importKeysCollection } from '@clientele/core/module';
import {
  loyalty,
  storedValueCardsCollection,
  storedValueEntriesCollection,
  type StoredValueImportRow,
} from '@clientele/loyalty';
import { STORE_KINDS } from './support/stores.js';

const IMPORT = { actor: { system: 'import' } } as const;
const gift = (n: number) => cardNumberFor('95', n, 16);
const named = (n: number) => cardNumberFor('96', n, 16);

async function openShop(store: Store) {
  const crm = createClientele({
    store,
    clock: manualClock('2026-11-02T02:00:00Z'),
    modules: [
      loyalty({ id: 'tiantian', timeZone: 'Asia/Shanghai', earn: [{ id: 'all', kind: 'per-spend', every: 1000 }] }),
    ] as const,
  });
  await crm.migrate();
  await crm.stores.create({ id: 'S01', name: '人民路店', region: 'East', timeZone: 'Asia/Shanghai' }, IMPORT);
  await crm.stores.create({ id: 'S02', name: 'Hillside', region: 'West', timeZone: 'Asia/Shanghai' }, IMPORT);
  await crm.loyalty.storedValue.defineProduct(
    { id: 'GIFT', name: 'Gift card', kind: 'anonymous', prefix: '95' },
    IMPORT,
  );
  await crm.loyalty.storedValue.defineProduct(
    { id: 'MEMBER', name: 'Member card', kind: 'named', prefix: '96', validityMonths: 36, maxBalance: 100_000 },
    IMPORT,
  );
  await crm.imports.customers(
    { rows: [{ sourceId: 'M1', customer: { kind: 'individual', name: '孙丽', phone: '13900000001' } }] },
    IMPORT,
  );
  return crm;
}

/** Three good rows: a bearer card, a member's balance without a card number, a member's empty card. */
const GOOD: StoredValueImportRow[] = [
  {
    sourceId: 'SV-1',
    cardNumber: gift(1),
    productId: 'GIFT',
    storeId: 'S01',
    balance: 12_000,
    issuedAt: '2024-05-01T02:00:00Z',
    balanceAt: '2026-10-01T06:00:00Z',
  },
  {
    sourceId: 'SV-2',
    customerSourceId: 'M1',
    productId: 'MEMBER',
    storeId: 'S02',
    balance: 30_000,
    issuedAt: '2025-01-10T02:00:00Z',
  },
  {
    sourceId: 'SV-3',
    cardNumber: named(3),
    customerSourceId: 'M1',
    productId: 'MEMBER',
    storeId: 'S02',
    balance: 0,
    issuedAt: '2025-03-01T02:00:00Z',
    expiresAt: null,
  },
];

const base = { productId: 'GIFT', storeId: 'S01', balance: 500, issuedAt: '2025-01-01T00:00:00Z' };
/** Bad rows, each with the path and code it is rejected with. */
const BAD: Array<[Record<string, unknown>, string, string]> = [
  [{ ...base, sourceId: 'B-1', cardNumber: gift(11), balance: -100 }, 'balance', 'too_small'],
  [{ ...base, sourceId: 'B-2', cardNumber: gift(12), balance: 10.5 }, 'balance', 'invalid_type'],
  [{ ...base, sourceId: 'B-3', cardNumber: gift(13), issuedAt: '2024-13-01' }, 'issuedAt', 'invalid_format'],
  [
    { ...base, sourceId: 'B-4', productId: 'MEMBER', cardNumber: named(14), customerSourceId: 'M404' },
    'customerSourceId',
    'not_found',
  ],
  [
    { ...base, sourceId: 'B-5', productId: 'MEMBER', cardNumber: named(15), customerId: 'cus_nobody' },
    'customerId',
    'not_found',
  ],
  [{ ...base, sourceId: 'B-6', productId: 'NOPE', cardNumber: gift(16) }, 'productId', 'not_found'],
  [{ ...base, sourceId: 'B-7', cardNumber: gift(1) }, 'cardNumber', 'duplicate'],
  [{ ...base, sourceId: 'B-8', cardNumber: gift(18), expiresAt: '2026-01-01T00:00:00Z' }, 'expiresAt', 'expired'],
  [{ ...base, sourceId: 'B-9', productId: 'MEMBER', cardNumber: named(19) }, 'customerSourceId', 'required'],
  [{ ...base, sourceId: 'B-10' }, 'cardNumber', 'required'],
  [{ ...base, sourceId: 'B-11', cardNumber: '9500000000000001' }, 'cardNumber', 'check_digit'],
  [{ ...base, sourceId: 'B-12', cardNumber: gift(22), storeId: 'S99' }, 'storeId', 'not_found'],
  [
    { ...base, sourceId: 'B-13', productId: 'MEMBER', cardNumber: named(23), customerSourceId: 'M1', balance: 100_001 },
    'balance',
    'above_max_balance',
  ],
  [{ ...base, sourceId: 'B-14', cardNumber: named(24) }, 'cardNumber', 'wrong_prefix'],
  [
    { ...base, sourceId: 'B-15', cardNumber: gift(25), customerSourceId: 'M1' },
    'customerSourceId',
    'anonymous_product',
  ],
  [{ ...base, sourceId: 'B-16', cardNumber: gift(26), balanceAt: '2024-12-31T00:00:00Z' }, 'balanceAt', 'before_issue'],
  [{ ...base, sourceId: 'B-17', cardNumber: gift(27), issuedAt: '2026-11-03T00:00:00Z' }, 'issuedAt', 'in_future'],
];

describe.each(STORE_KINDS)('opening stored-value balances on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it('issues each card with its balance as an opening entry, spendable and in the liability, once', async () => {
    const crm = await openShop(await kind.open());
    const rows = [...GOOD, ...BAD.map(([row]) => row)] as StoredValueImportRow[];
    const result = await crm.loyalty.imports.storedValue({ rows }, IMPORT);
    expect(result.imported).toBe(GOOD.length);
    expect(result.skipped).toBe(0);
    expect(result.rejected.map((r) => [r.index, r.sourceId, r.issues.map((i) => [i.path.join('.'), i.code])])).toEqual(
      BAD.map(([row, path, code], i) => [GOOD.length + i, row['sourceId'], [[path, code]]]),
    );

    // Every imported card's balance is the sum of its entries: one opening entry, dated as the old system gave it.
    const holder = (await crm.store.find(importKeysCollection, { where: { id: 'customer:M1' } })).rows[0]!.targetId;
    const member = await crm.loyalty.storedValue.ofCustomer(holder, IMPORT);
    expect(member.map((c) => c.balance).sort((a, b) => a - b)).toEqual([0, 30_000]);
    const issued = [gift(1), ...member.map((c) => c.number)];
    for (const number of issued) {
      const { card, entries } = await crm.loyalty.storedValue.statement(number, IMPORT);
      expect(card.balance).toBe(entries.reduce((s, e) => s + e.amount, 0));
      expect(entries.every((e) => e.kind === 'opening' && e.refType === 'import')).toBe(true);
    }
    const bearer = await crm.loyalty.storedValue.statement(gift(1), IMPORT);
    expect(bearer.card).toMatchObject({ kind: 'anonymous', customerId: null, storeId: 'S01', status: 'active' });
    expect(bearer.card.activatedAt.toISOString()).toBe('2024-05-01T02:00:00.000Z');
    expect(bearer.card.expiresAt).toBeNull();
    expect(bearer.entries.map((e) => [e.kind, e.amount, e.at.toISOString(), e.refId])).toEqual([
      ['opening', 12_000, '2026-10-01T06:00:00.000Z', 'SV-1'],
    ]);
    const made = member.find((c) => c.balance === 30_000)!;
    expect(made.number.startsWith('96')).toBe(true);
    expect(made.expiresAt!.toISOString()).toBe('2028-01-10T02:00:00.000Z');
    expect(member.find((c) => c.balance === 0)).toMatchObject({ number: named(3), expiresAt: null });

    // What the chain owes includes the opening balances, per selling store and product; not before their dates.
    const owed = await crm.loyalty.storedValue.liability();
    expect(owed.total.outstanding).toBe(42_000);
    expect(owed.rows.map((r) => [r.storeId, r.productId, r.cards, r.outstanding])).toEqual([
      ['S01', 'GIFT', 1, 12_000],
      ['S02', 'MEMBER', 1, 30_000],
    ]);
    expect((await crm.loyalty.storedValue.liability({ at: '2026-09-30T00:00:00Z' })).total.outstanding).toBe(30_000);

    // A sale pays with the imported card; the card never goes below zero.
    const pay = (receiptNo: string, amount: number) =>
      crm.purchases.record(
        {
          storeId: 'S01',
          terminalId: 'T1',
          receiptNo,
          lines: [{ sku: 'TEA', category: 'grocery', quantity: 1, unitPrice: amount }],
          payments: [{ method: 'stored-value', amount, reference: gift(1) }],
        },
        { ...IMPORT, idempotencyKey: `opening-sale-${receiptNo}` },
      );
    await pay('R1', 11_500);
    const overdrawn = await pay('R2', 501).catch((e: unknown) => e);
    expect(isClienteleError(overdrawn, 'INSUFFICIENT_BALANCE')).toBe(true);
    const spent = await crm.loyalty.storedValue.statement(gift(1), IMPORT);
    expect(spent.card.balance).toBe(500);
    expect(spent.entries.map((e) => [e.kind, e.amount])).toEqual([
      ['opening', 12_000],
      ['spend', -11_500],
    ]);
    await pay('R3', 500);
    expect((await crm.loyalty.storedValue.card(gift(1), IMPORT)).balance).toBe(0);

    // The same batch again imports nothing and rejects the same rows.
    const cards = await crm.store.count(storedValueCardsCollection);
    const entries = await crm.store.count(storedValueEntriesCollection);
    const again = await crm.loyalty.imports.storedValue({ rows }, IMPORT);
    expect(again.imported).toBe(0);
    expect(again.skipped).toBe(GOOD.length);
    expect(again.rejected.map((r) => r.sourceId)).toEqual(result.rejected.map((r) => r.sourceId));
    expect(await crm.store.count(storedValueCardsCollection)).toBe(cards);
    expect(await crm.store.count(storedValueEntriesCollection)).toBe(entries);
    expect(cards).toBe(3);

    // A row imported before that now says something else is a mismatch; its card number under a new id is taken.
    const changed = await crm.loyalty.imports.storedValue(
      {
        rows: [
          { ...GOOD[0]!, balance: 99_999 },
          { ...GOOD[0]!, sourceId: 'SV-9' },
        ],
      },
      IMPORT,
    );
    expect(changed.imported).toBe(0);
    expect(changed.skipped).toBe(0);
    expect(changed.rejected.map((r) => [r.sourceId, r.issues.map((i) => [i.path.join('.'), i.code])])).toEqual([
      ['SV-1', [['balance', 'mismatch']]],
      ['SV-9', [['cardNumber', 'already_sold']]],
    ]);
    expect((await crm.loyalty.storedValue.card(gift(1), IMPORT)).balance).toBe(0);
  });

  it('checks a batch without writing anything; a refunded card sale forfeits an opening balance', async () => {
    const crm = await openShop(await kind.open());
    const rows = [...GOOD, BAD[0]![0]] as StoredValueImportRow[];
    const check = await crm.loyalty.imports.checkStoredValue({ rows }, IMPORT);
    expect(check.imported).toBe(GOOD.length);
    expect(check.rejected.map((r) => r.sourceId)).toEqual(['B-1']);
    expect(await crm.store.count(storedValueCardsCollection)).toBe(0);
    expect(await crm.store.count(storedValueEntriesCollection)).toBe(0);
    expect(await crm.store.count(importKeysCollection)).toBe(1);
    expect((await crm.loyalty.storedValue.liability()).total.outstanding).toBe(0);
    const real = await crm.loyalty.imports.storedValue({ rows }, IMPORT);
    expect(real.imported).toBe(check.imported);
    // Refunding an imported card's sale gives back only money paid onto it here: none, so the balance is forfeited.
    const back = await crm.loyalty.storedValue.refundSale(
      { cardNumber: gift(1), storeId: 'S01', reason: 'gift not wanted' },
      { ...IMPORT, idempotencyKey: 'refund-sale-sv-1' },
    );
    expect(back).toMatchObject({ amount: 0, forfeited: 12_000, card: { status: 'closed', balance: 0 } });
  });
});
