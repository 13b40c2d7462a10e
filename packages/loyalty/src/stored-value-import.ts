/**
 * Opening stored-value balances from the system a retailer leaves: each row one prepaid card as the
 * old system had it (its number, product, owner, selling store, issue date, expiry) and the balance
 * left on it, issued here with an `opening` entry that carries the balance, a batch of rows in one
 * transaction, each row once by its old-system id.
 */
import {
  IMPORT_PERMISSION,
  actorRef,
  cardNumberSchema,
  codeSchema,
  existingKeys,
  idSchema,
  importBatchSchema,
  importKey,
  importKeysCollection,
  importedKeys,
  instantSchema,
  minorUnitsSchema,
  newRows,
  parseRows,
  rejectImportRow,
  storesCollection,
  type CommandOptions,
  type ImportBatch,
  type ImportRejection,
  type ImportResult,
  type JsonValue,
  type ParsedImportRow,
  type QueryOptions,
  type StoreSession,
} from '@clientele/core/module';
import * as z from 'zod';
import {
  storedValueCardsCollection,
  storedValueEntriesCollection,
  storedValueProductsCollection,
} from './collections.js';
import { batchKeys, importCheck, memberResolver } from './import-members.js';
import type { LoyaltyRuntime } from './runtime.js';
import { cardExpiry, generateCardNumber, type CardProduct } from './stored-value-products.js';

/** One prepaid card of the old system and the balance left on it. */
export const storedValueImportRowSchema = z
  .object({
    /** The card's id in the old system: the row's idempotency key. */
    sourceId: idSchema,
    /**
     * The card's number as the old system knew it (omit for a balance the old system kept on a member: a
     * new number is made).
     */
    cardNumber: cardNumberSchema.optional(),
    /** The stored-value product the card is issued under. */
    productId: codeSchema,
    /** The owner's id in the old system, imported before as a customer (or give `customerId`); named products only. */
    customerSourceId: idSchema.optional(),
    customerId: idSchema.optional(),
    /** The store that sold the card: its books hold the liability. */
    storeId: codeSchema,
    /** What is left on the card, in minor units. */
    balance: minorUnitsSchema,
    /** When the old system issued the card. */
    issuedAt: instantSchema,
    /** When the balance stood as given: the old system's last movement on the card (default: `issuedAt`). */
    balanceAt: instantSchema.optional(),
    /** When the card expires (`null`: never; absent: the product's `validityMonths` from `issuedAt`). */
    expiresAt: instantSchema.nullish(),
  })
  .strict()
  .refine((r) => r.customerSourceId === undefined || r.customerId === undefined, {
    message: 'give the owner as customerSourceId or customerId, not both',
    path: ['customerSourceId'],
    params: { code: 'one_of' },
  });
/** One row of `crm.loyalty.imports.storedValue`. */
export type StoredValueImportRow = z.input<typeof storedValueImportRowSchema>;

/** The stored-value part of `crm.loyalty.imports`. */
export interface StoredValueImportsApi {
  /**
   * Opening stored-value balances, a card per row: each card is issued as the old system had it and its
   * balance is credited as an `opening` entry (reference `import`, the row's `sourceId`) dated
   * `balanceAt`, so the card's balance is the sum of its entries and the liability report counts it.
   * No event and no timeline entry. Refuses a row whose product, store or owner is unknown, whose card
   * number is taken, or whose card has expired. Needs `data.import` and authority under the `import`
   * limit for the sum of the balances (a system actor has no limit).
   */
  storedValue(batch: ImportBatch<StoredValueImportRow>, options: CommandOptions): Promise<ImportResult>;
  /** What `storedValue` would do with the batch; writes nothing. */
  checkStoredValue(batch: ImportBatch<StoredValueImportRow>, options: QueryOptions): Promise<ImportResult>;
}

type Row = z.output<typeof storedValueImportRowSchema>;

interface Planned {
  p: ParsedImportRow<Row>;
  product: CardProduct;
  customerId: string | null;
  expiresAt: Date | null;
}

const KIND = 'stored-value';

/** Builds the opening stored-value import. */
export function createStoredValueImports(runtime: LoyaltyRuntime): StoredValueImportsApi {
  const { kernel } = runtime;

  async function plan(session: StoreSession, rows: readonly unknown[], now: Date) {
    const rejected: ImportRejection[] = [];
    const parsed = parseRows(storedValueImportRowSchema, rows, rejected);
    const known = await importedKeys(session, batchKeys(parsed, KIND));
    const { fresh, skipped: before } = newRows(parsed, KIND, known, rejected);
    const changed = await changedSince(
      session,
      parsed.filter((p) => known.has(importKey(KIND, p.row.sourceId))),
      known,
      rejected,
    );
    const skipped = before - changed;
    const products = new Map<string, CardProduct>();
    for (const id of new Set(fresh.map((p) => p.row.productId))) {
      const row = await session.get(storedValueProductsCollection, id);
      if (row) products.set(id, row.config as unknown as CardProduct);
    }
    const stores = await existingKeys(
      session,
      storesCollection,
      'id',
      fresh.map((p) => p.row.storeId),
    );
    const given = fresh.flatMap((p) => (p.row.cardNumber ? [p.row.cardNumber] : []));
    const taken = await existingKeys(session, storedValueCardsCollection, 'number', given);
    const memberOf = await memberResolver(session, fresh, known);
    const numbers = new Set<string>();
    const good: Planned[] = [];
    for (const p of fresh) {
      const r = p.row;
      const before = rejected.length;
      const bad = (path: string, code: string, message: string) => rejectImportRow(rejected, p, [path], code, message);
      const product = products.get(r.productId);
      if (!product) bad('productId', 'not_found', `stored-value product not found: ${r.productId}`);
      if (!stores.has(r.storeId)) bad('storeId', 'not_found', `store not found: ${r.storeId}`);
      const ownerPath = r.customerSourceId !== undefined ? 'customerSourceId' : 'customerId';
      const owner = r.customerSourceId ?? r.customerId;
      let customerId: string | null = null;
      if (owner !== undefined) {
        customerId = memberOf(r) ?? null;
        if (!customerId) bad(ownerPath, 'not_found', `member not found: ${owner}`);
        else if (product?.kind === 'anonymous')
          bad(ownerPath, 'anonymous_product', `product ${r.productId} sells anonymous cards, which belong to no one`);
      } else if (product?.kind === 'named')
        bad('customerSourceId', 'required', `product ${r.productId} sells named cards: name the owner`);
      if (r.cardNumber !== undefined) {
        if (product && !r.cardNumber.startsWith(product.prefix))
          bad('cardNumber', 'wrong_prefix', `product ${r.productId} card numbers start with ${product.prefix}`);
        else if (taken.has(r.cardNumber)) bad('cardNumber', 'already_sold', `card ${r.cardNumber} is already sold`);
        else if (numbers.has(r.cardNumber))
          bad('cardNumber', 'duplicate', `card ${r.cardNumber} comes twice in the batch`);
      } else if (product?.kind === 'anonymous')
        bad('cardNumber', 'required', `an anonymous card is its number: give the number the old system knew`);
      if (product?.maxBalance !== undefined && r.balance > product.maxBalance)
        bad('balance', 'above_max_balance', `a ${r.productId} card may hold at most ${product.maxBalance}`);
      if (r.issuedAt > now) bad('issuedAt', 'in_future', 'the card was issued after now');
      if (r.balanceAt !== undefined && r.balanceAt > now)
        bad('balanceAt', 'in_future', 'the balance is dated after now');
      else if (r.balanceAt !== undefined && r.balanceAt < r.issuedAt)
        bad('balanceAt', 'before_issue', 'the balance is dated before the card was issued');
      const expiresAt =
        r.expiresAt === undefined ? cardExpiry(r.issuedAt, product?.validityMonths) : (r.expiresAt ?? null);
      if (expiresAt !== null && expiresAt <= now)
        bad('expiresAt', 'expired', `the card expired at ${expiresAt.toISOString()}`);
      if (rejected.length === before && product) {
        if (r.cardNumber) numbers.add(r.cardNumber);
        good.push({ p, product, customerId, expiresAt });
      }
    }
    rejected.sort((a, b) => a.index - b.index);
    return { good, result: { imported: good.length, skipped, rejected } };
  }

  /**
   * Rejects, with `mismatch`, each row imported before whose card number, product, selling store, issue
   * date or balance differs from what that import wrote; returns how many.
   */
  async function changedSince(
    session: StoreSession,
    seen: Array<ParsedImportRow<Row>>,
    known: ReadonlyMap<string, string>,
    rejected: ImportRejection[],
  ): Promise<number> {
    if (!seen.length) return 0;
    const numbers = [...new Set(seen.map((p) => known.get(importKey(KIND, p.row.sourceId))!))];
    const cards = new Map(
      (
        await session.find(storedValueCardsCollection, {
          where: { number: { in: numbers } },
          select: ['number', 'productId', 'storeId', 'activatedAt'],
          limit: numbers.length,
        })
      ).rows.map((c) => [c.number, c]),
    );
    const sourceIds = [...new Set(seen.map((p) => p.row.sourceId))];
    const openings = new Map(
      (
        await session.find(storedValueEntriesCollection, {
          where: { refType: 'import', refId: { in: sourceIds } },
          select: ['refId', 'cardNumber', 'amount'],
          limit: sourceIds.length,
        })
      ).rows.map((e) => [`${e.refId}\u0000${e.cardNumber}`, e.amount]),
    );
    let changed = 0;
    for (const p of seen) {
      const r = p.row;
      const number = known.get(importKey(KIND, r.sourceId))!;
      const card = cards.get(number);
      const was: Array<[string, unknown, unknown]> = [
        ['cardNumber', r.cardNumber ?? number, number],
        ['productId', r.productId, card?.productId],
        ['storeId', r.storeId, card?.storeId],
        ['issuedAt', r.issuedAt.getTime(), card?.activatedAt.getTime()],
        ['balance', r.balance, openings.get(`${r.sourceId}\u0000${number}`) ?? 0],
      ];
      const differs = was.filter(([, now, then]) => now !== then);
      if (!differs.length) continue;
      changed++;
      for (const [path, , then] of differs) {
        const shown = path === 'issuedAt' ? new Date(then as number).toISOString() : String(then);
        rejectImportRow(rejected, p, [path], 'mismatch', `${r.sourceId} was imported before with ${path} ${shown}`);
      }
    }
    return changed;
  }

  const storedValue = kernel.command({
    name: 'loyalty.import-stored-value',
    input: importBatchSchema,
    permission: IMPORT_PERMISSION,
    idempotency: 'optional',
    moves: { gives: ['stored-value'], limits: ['import'], measure: 'the balances imported' },
    async run(ctx, input): Promise<ImportResult> {
      const { good, result } = await plan(ctx.tx, input.rows, ctx.now);
      const total = good.reduce((s, g) => s + g.p.row.balance, 0);
      await ctx.requireAuthority('import', total);
      if (total > 0) ctx.moved('stored-value', total);
      // Numbers the old system gave are taken first, so a number made here cannot take one of them.
      const made = new Set(good.flatMap((g) => (g.p.row.cardNumber ? [g.p.row.cardNumber] : [])));
      const cards = [];
      const entries = [];
      const keys = [];
      for (const { p, product, customerId, expiresAt } of good) {
        const r = p.row;
        let number = r.cardNumber;
        if (number === undefined) {
          do number = generateCardNumber(product.prefix);
          while (made.has(number) || (await ctx.tx.get(storedValueCardsCollection, number)));
        }
        made.add(number);
        cards.push({
          number,
          productId: product.id,
          kind: product.kind,
          customerId,
          status: 'active',
          balance: r.balance,
          available: r.balance,
          storeId: r.storeId,
          pinHash: null,
          pinFailures: 0,
          lockedAt: null,
          activatedAt: r.issuedAt,
          expiresAt,
          replacedBy: null,
          replaces: null,
          lastSeq: r.balance > 0 ? 1 : 0,
        });
        if (r.balance > 0)
          entries.push({
            id: ctx.id('sve'),
            cardNumber: number,
            seq: 1,
            at: r.balanceAt ?? r.issuedAt,
            kind: 'opening',
            amount: r.balance,
            balanceAfter: r.balance,
            productId: product.id,
            issuerStoreId: r.storeId,
            storeId: null,
            customerId,
            paymentId: null,
            refType: 'import',
            refId: r.sourceId,
            actor: actorRef(ctx.actor) as JsonValue,
            details: { issuedAt: r.issuedAt.toISOString(), importedAt: ctx.now.toISOString() },
          });
        keys.push({
          id: importKey(KIND, r.sourceId),
          kind: KIND,
          sourceId: r.sourceId,
          targetId: number,
          customerId,
          importedAt: ctx.now,
        });
      }
      if (cards.length) await ctx.tx.insertMany(storedValueCardsCollection, cards);
      if (entries.length) await ctx.tx.insertMany(storedValueEntriesCollection, entries);
      if (keys.length) await ctx.tx.insertMany(importKeysCollection, keys);
      ctx.audit({ type: 'import', id: KIND }, { imported: result.imported, skipped: result.skipped, amount: total });
      return result;
    },
  });

  return {
    storedValue: storedValue as unknown as StoredValueImportsApi['storedValue'],
    checkStoredValue: importCheck<StoredValueImportRow>(kernel, 'loyalty.imports.checkStoredValue', plan),
  };
}
