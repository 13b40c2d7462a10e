import { afterAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { isClienteleError, type Clientele, type CustomerImportRow, type SaleImportRow } from '@clientele/core';
import type { loyalty } from '@clientele/loyalty';
import { cardNumberFor } from '@clientele/core/module';
import {
  cardsCollection,
  customersCollection,
  importKeysCollection,
  purchasesCollection,
} from '@clientele/core/module';
import { CLERK, openChain } from './support/chain.js';
import { openFullChain } from './support/full-chain.js';
import { STORE_KINDS } from './support/stores.js';

const IMPORT = { actor: { system: 'import' } } as const;
const card = (n: number) => cardNumberFor('88', n, 13);

function member(n: number, extra: Partial<CustomerImportRow['customer']> = {}): CustomerImportRow {
  return {
    sourceId: `M${n}`,
    registeredAt: '2019-03-01T08:00:00Z',
    customer: { kind: 'individual', name: `Member ${n}`, phone: `1390000${String(n).padStart(4, '0')}`, ...extra },
    cards: [{ typeId: 'GOLD', storeId: 'S01', number: card(n), issuedAt: '2019-03-01T08:00:00Z' }],
  } as CustomerImportRow;
}

describe.each(STORE_KINDS)('bulk imports on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it('imports the good customer rows with their cards, reports each bad one, and imports each row once', async () => {
    const { crm, store } = await openChain(await kind.open());
    const rows: CustomerImportRow[] = [
      member(1),
      member(2, { phone: 'call me' }),
      { ...member(3), cards: [{ typeId: 'GOLD', storeId: 'S01', number: card(1) }] },
      member(4, { homeStoreId: 'S99' }),
      { ...member(5), cards: [{ typeId: 'SILVER', storeId: 'S01', number: card(5) }] },
      { sourceId: 'O1', customer: { kind: 'organisation', legalName: 'Hillside Catering Ltd', taxId: '91310000-77' } },
      member(1),
    ];
    const first = await crm.imports.customers({ rows }, IMPORT);
    expect(first.imported).toBe(2);
    expect(first.skipped).toBe(0);
    expect(first.rejected.map((r) => [r.index, r.sourceId, r.issues.map((i) => [i.path.join('.'), i.code])])).toEqual([
      [1, 'M2', [['customer.phone', 'invalid_format']]],
      [2, 'M3', [['cards.0.number', 'duplicate']]],
      [3, 'M4', [['customer.homeStoreId', 'not_found']]],
      [4, 'M5', [['cards.0.typeId', 'not_found']]],
      [6, 'M1', [['sourceId', 'duplicate']]],
    ]);
    const held = await store.get(cardsCollection, card(1));
    const holder = await crm.customers.get(held!.customerId!, IMPORT);
    expect(holder).toMatchObject({ name: 'Member 1', phone: '13900000001' });
    expect(held!.issuedAt.toISOString()).toBe('2019-03-01T08:00:00.000Z');

    const again = await crm.imports.customers({ rows }, IMPORT);
    expect(again.imported).toBe(0);
    expect(again.skipped).toBe(3);
    expect(await store.count(customersCollection)).toBe(2);
    expect(await store.count(cardsCollection)).toBe(1);
  });

  it('finds the clashes of a clean batch in the store: rows imported before skipped, taken cards refused', async () => {
    const { crm, store } = await openChain(await kind.open());
    expect(await crm.imports.customers({ rows: [member(11), member(12)] }, IMPORT)).toEqual({
      imported: 2,
      skipped: 0,
      rejected: [],
    });
    // Rows imported before, with a new one between them (a run again after a crash).
    const again = await crm.imports.customers({ rows: [member(11), member(13), member(12)] }, IMPORT);
    expect(again).toEqual({ imported: 1, skipped: 2, rejected: [] });
    // A card issued before, in a batch with nothing else wrong: its row is refused, the other goes in.
    const taken = { ...member(15), cards: [{ typeId: 'GOLD', storeId: 'S01', number: card(11) }] };
    const clash = await crm.imports.customers({ rows: [member(14), taken] }, IMPORT);
    expect(clash.imported).toBe(1);
    expect(clash.skipped).toBe(0);
    expect(clash.rejected.map((r) => [r.index, r.sourceId, r.issues.map((i) => [i.path.join('.'), i.code])])).toEqual([
      [1, 'M15', [['cards.0.number', 'duplicate']]],
    ]);
    // Nothing of the refused row stays: with a card of its own it comes in later, once.
    expect(await crm.imports.customers({ rows: [member(15)] }, IMPORT)).toEqual({
      imported: 1,
      skipped: 0,
      rejected: [],
    });
    expect(await store.count(customersCollection)).toBe(5);
    expect(await store.count(cardsCollection)).toBe(5);
    expect(await store.count(importKeysCollection)).toBe(5);
    const m14 = (await store.find(importKeysCollection, { where: { id: 'customer:M14' } })).rows[0]!;
    expect((await store.get(cardsCollection, card(14)))?.customerId).toBe(m14.targetId);
  });

  it('reads attributes with the retailer schema: defaults filled in, a bad one rejected with its path', async () => {
    const { crm, store } = await openChain(await kind.open(), {
      customerAttributes: z
        .object({ shoeSize: z.number().int().min(30).max(50).optional(), newsletter: z.boolean().default(false) })
        .strict(),
    });
    const rows = [
      { ...member(21), customer: { ...member(21).customer, attributes: { shoeSize: 42 } } },
      { ...member(22), customer: { ...member(22).customer, attributes: { shoeSize: 12 } } },
    ] as CustomerImportRow[];
    const result = await crm.imports.customers({ rows }, IMPORT);
    expect(result.imported).toBe(1);
    expect(result.rejected.map((r) => [r.sourceId, r.issues.map((i) => i.path.join('.'))])).toEqual([
      ['M22', ['customer.attributes.shoeSize']],
    ]);
    const key = (await store.find(importKeysCollection, { where: { id: 'customer:M21' } })).rows[0]!;
    expect((await crm.customers.get(key.targetId, IMPORT))?.attributes).toEqual({ shoeSize: 42, newsletter: false });
  });

  it('checks a batch without writing, and refuses staff without the import permission', async () => {
    const { crm, store } = await openChain(await kind.open());
    const check = await crm.imports.checkCustomers({ rows: [member(7), member(8, { phone: 'x' })] }, IMPORT);
    expect(check.imported).toBe(1);
    expect(check.rejected.map((r) => r.sourceId)).toEqual(['M8']);
    expect(await store.count(customersCollection)).toBe(0);
    const refused = await crm.imports.customers({ rows: [member(7)] }, CLERK).catch((e: unknown) => e);
    expect(isClienteleError(refused, 'PERMISSION_DENIED')).toBe(true);
    expect(await store.count(customersCollection)).toBe(0);
  });

  it('imports historic sales with their returns on the buyer timeline, without events, once', async () => {
    const { crm, store } = await openChain(await kind.open());
    await crm.imports.customers({ rows: [member(1)] }, IMPORT);
    const seen: string[] = [];
    crm.events.on('purchase.recorded', (e) => void seen.push(e.purchaseId));
    const sale: SaleImportRow = {
      sourceId: 'SALE-1',
      customerSourceId: 'M1',
      sale: {
        storeId: 'S01',
        terminalId: 'OLD',
        receiptNo: 'R1',
        occurredAt: '2021-05-04T03:00:00Z',
        lines: [
          { sku: 'RICE', category: 'grocery', quantity: 2, unitPrice: 3000 },
          { sku: 'OIL', category: 'grocery', quantity: 1, unitPrice: 5000, discount: 500 },
        ],
      },
      returns: [{ at: '2021-05-06T03:00:00Z', lines: [{ lineNo: 1, quantity: 1 }], reason: 'damaged bag' }],
    };
    const rows: SaleImportRow[] = [
      sale,
      { ...sale, sourceId: 'SALE-2', customerSourceId: 'M404', sale: { ...sale.sale, receiptNo: 'R2' } },
      {
        ...sale,
        sourceId: 'SALE-3',
        sale: { ...sale.sale, receiptNo: 'R3' },
        returns: [{ at: '2021-05-06T03:00:00Z', lines: [{ lineNo: 2, quantity: 2 }], reason: 'too many' }],
      },
    ];
    const result = await crm.imports.sales({ rows }, IMPORT);
    expect(result.imported).toBe(1);
    expect(result.rejected.map((r) => [r.sourceId, r.issues[0]!.path.join('.'), r.issues[0]!.code])).toEqual([
      ['SALE-2', 'customerSourceId', 'not_found'],
      ['SALE-3', 'returns.0.lines.0.quantity', 'too_many'],
    ]);
    const bought = await crm.purchases.byReceipt('S01', 'OLD', 'R1', IMPORT);
    expect(bought).toMatchObject({ total: 10500, refundedTotal: 3000, status: 'completed' });
    expect(bought.occurredAt.toISOString()).toBe('2021-05-04T03:00:00.000Z');
    expect(bought.lines.map((l) => l.returnedQuantity)).toEqual([1, 0]);
    const entries = await crm.timeline(bought.customerId!, IMPORT);
    expect(entries.items.map((e) => [e.kind, e.at.toISOString()])).toEqual([
      ['return', '2021-05-06T03:00:00.000Z'],
      ['purchase', '2021-05-04T03:00:00.000Z'],
    ]);
    expect(seen).toEqual([]);
    const again = await crm.imports.sales({ rows: [sale] }, IMPORT);
    expect(again).toMatchObject({ imported: 0, skipped: 1 });
    expect(await store.count(purchasesCollection)).toBe(1);
  });

  it('imports opening points balances as lots with their earn dates and expiry, each once', async () => {
    const chain = await openFullChain(await kind.open());
    const crm = chain.crm as unknown as Clientele<[ReturnType<typeof loyalty>]>;
    await crm.imports.customers({ rows: [member(900)] }, IMPORT);
    const holder = (await crm.cards.lookup(card(900), IMPORT)).customer!.id;
    const rows = [
      {
        sourceId: 'LOT-1',
        customerSourceId: 'M900',
        points: 300,
        earnedAt: '2026-01-10T04:00:00Z',
        lastDay: '2027-01-31',
      },
      { sourceId: 'LOT-2', customerSourceId: 'M900', points: 200, earnedAt: '2026-05-10T04:00:00Z', lastDay: null },
      {
        sourceId: 'LOT-3',
        customerSourceId: 'M900',
        points: 50,
        earnedAt: '2025-01-10T04:00:00Z',
        lastDay: '2025-12-31',
      },
      { sourceId: 'LOT-4', customerSourceId: 'M404', points: 10, earnedAt: '2026-01-10T04:00:00Z' },
    ];
    const result = await crm.loyalty.imports.points({ rows }, IMPORT);
    expect(result.imported).toBe(2);
    expect(result.rejected.map((r) => [r.sourceId, r.issues[0]!.code])).toEqual([
      ['LOT-3', 'expired'],
      ['LOT-4', 'not_found'],
    ]);
    expect((await crm.loyalty.balance(holder, IMPORT)).available).toBe(500);
    const schedule = await crm.loyalty.expirySchedule(holder, IMPORT);
    expect(JSON.stringify(schedule)).toContain('2027-01-31');
    const again = await crm.loyalty.imports.points({ rows }, IMPORT);
    expect(again).toMatchObject({ imported: 0, skipped: 2 });
    expect((await crm.loyalty.balance(holder, IMPORT)).available).toBe(500);
  });
});
