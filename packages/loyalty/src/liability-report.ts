/**
 * The stored-value liability report: what the chain owes its customers on cards at a date, per store
 * that sold them and per product (the sum of every entry up to that date), and the part of it a
 * product allows to be taken as breakage: balances of cards expired by then, and of cards unused for
 * the product's dormancy period. The balances are summed in the database where the store can (one
 * grouped aggregate per card); the report never writes.
 */
import { codeSchema, instantSchema, parseInput, scan, type Kernel } from '@clientele/core/module';
import * as z from 'zod';
import {
  storedValueCardsCollection,
  storedValueEntriesCollection,
  storedValueProductsCollection,
} from './collections.js';
import { breakageOf, type CardProduct } from './stored-value-products.js';

/** One row of the report: a selling store and a product. */
export interface CardLiabilityRow {
  storeId: string;
  productId: string;
  /** Cards with money on them at the date. */
  cards: number;
  /** What is owed (minor units). */
  outstanding: number;
  /** Balances of cards expired by the date, where the product allows breakage on expiry. */
  expiredBreakage: number;
  /** Balances of cards unused for the product's dormancy period. */
  dormantBreakage: number;
}

/** The report. */
export interface CardLiability {
  at: Date;
  currency: string;
  rows: CardLiabilityRow[];
  total: Omit<CardLiabilityRow, 'storeId' | 'productId'>;
}

/** Options of `storedValue.liability`. */
export interface CardLiabilityInput {
  /** The date of the figures (default: now). */
  at?: Date | string;
  /** Only the cards this store sold. */
  storeId?: string;
}

const liabilitySchema = z.object({ at: instantSchema.optional(), storeId: codeSchema.optional() }).strict();

const toDate = (v: unknown): Date => (v instanceof Date ? v : new Date(typeof v === 'number' ? v : String(v)));

/** Builds `storedValue.liability`. */
export function createLiabilityReport(kernel: Kernel, currency: string) {
  const store = kernel.store;
  return async function liability(options: CardLiabilityInput = {}): Promise<CardLiability> {
    const q = parseInput(liabilitySchema, options);
    const at = q.at ?? kernel.clock.now();
    const where = { at: { lte: at }, ...(q.storeId ? { issuerStoreId: q.storeId } : {}) };
    const perCard = await store.aggregate(storedValueEntriesCollection, {
      where,
      groupBy: ['cardNumber'],
      measures: { balance: { fn: 'sum', field: 'amount' }, last: { fn: 'max', field: 'at' } },
    });
    const products = new Map<string, CardProduct>();
    for await (const p of scan(store, storedValueProductsCollection))
      products.set(p.id, p.config as unknown as CardProduct);
    const wanted = new Map(
      perCard.filter((g) => Number(g['balance'] ?? 0) !== 0).map((g) => [String(g['cardNumber']), g]),
    );
    const rows = new Map<string, CardLiabilityRow>();
    if (wanted.size > 0) {
      for await (const card of scan(
        store,
        storedValueCardsCollection,
        q.storeId ? { where: { storeId: q.storeId } } : {},
      )) {
        const g = wanted.get(card.number);
        if (!g) continue;
        const balance = Number(g['balance']);
        const key = `${card.storeId}\u0000${card.productId}`;
        const row = rows.get(key) ?? {
          storeId: card.storeId,
          productId: card.productId,
          cards: 0,
          outstanding: 0,
          expiredBreakage: 0,
          dormantBreakage: 0,
        };
        row.cards++;
        row.outstanding += balance;
        const product = products.get(card.productId);
        const kind =
          product && balance > 0
            ? breakageOf(product, { expiresAt: card.expiresAt, lastActivityAt: toDate(g['last']) }, at)
            : null;
        if (kind === 'expired') row.expiredBreakage += balance;
        if (kind === 'dormant') row.dormantBreakage += balance;
        rows.set(key, row);
      }
    }
    const list = [...rows.values()].sort((a, b) =>
      a.storeId === b.storeId ? (a.productId < b.productId ? -1 : 1) : a.storeId < b.storeId ? -1 : 1,
    );
    const total = { cards: 0, outstanding: 0, expiredBreakage: 0, dormantBreakage: 0 };
    for (const r of list) {
      total.cards += r.cards;
      total.outstanding += r.outstanding;
      total.expiredBreakage += r.expiredBreakage;
      total.dormantBreakage += r.dormantBreakage;
    }
    return { at, currency, rows: list, total };
  };
}
