/** Membership cards: types, issue, link, lost, replace, block, and lookup by number. */
import { addMonths } from 'date-fns';
import * as z from 'zod';
import { ConflictError, InvalidStateError, NotFoundError, invalid } from '../errors.js';
import type { CommandOptions, Kernel, QueryOptions } from '../runtime/module.js';
import type { RowOf } from '../store/schema.js';
import { cardNumberSchema, codeSchema, idSchema, parseInput, shortTextSchema } from '../validation.js';
import { cardHolder, cardTypesCollection, cardsCollection } from './card-collections.js';
import { cardNumberFor } from './card-number.js';
import { toCustomer } from './customer-record.js';
import { resolveActiveCustomer } from './core-reads.js';
import type { Customer } from './customer-schemas.js';
import { storesCollection } from './organisation-collections.js';
import { mustGet } from '../store/must-get.js';

/** A card type. */
export type CardType = RowOf<typeof cardTypesCollection>;
/** An issued card. `status`: `active`, `blocked`, `lost` or `replaced`. */
export type Card = RowOf<typeof cardsCollection>;
/** Card states. */
export type CardStatus = 'active' | 'blocked' | 'lost' | 'replaced';

/** Input of `cards.defineType`. */
export const defineCardTypeSchema = z
  .object({
    id: codeSchema,
    name: shortTextSchema,
    /** Leading digits of every number of this type. */
    prefix: z.string().regex(/^[0-9]{1,6}$/, 'prefixes are 1 to 6 digits'),
    /** Digits in a number, check digit included. */
    length: z.number().int().min(10).max(19).default(13),
    /** Months a card stays valid after issue (none: no expiry). */
    validityMonths: z.number().int().min(1).max(240).nullish(),
  })
  .strict();

/** Input of `cards.issue`. */
export const issueCardSchema = z
  .object({
    typeId: codeSchema,
    storeId: codeSchema,
    /** Link at once to this customer (omit for a card handed out unregistered). */
    customerId: idSchema.nullish(),
    /** A pre-printed number; otherwise the next number of the type is assigned. */
    number: cardNumberSchema.optional(),
  })
  .strict();

/** Input of `cards.defineType`. */
export type DefineCardTypeInput = z.input<typeof defineCardTypeSchema>;
/** Input of `cards.issue`. */
export type IssueCardInput = z.input<typeof issueCardSchema>;

const linkCardSchema = z
  .object({
    /** The card, unlinked so far. */
    number: cardNumberSchema,
    /** The customer it now belongs to. */
    customerId: idSchema,
  })
  .strict();
/** Input of `cards.link`. */
export type LinkCardInput = z.input<typeof linkCardSchema>;

const cardReasonSchema = z.object({ number: cardNumberSchema, reason: shortTextSchema }).strict();
/** Input of `cards.reportLost`. */
export type ReportLostCardInput = z.input<typeof cardReasonSchema>;
/** Input of `cards.block`. */
export type BlockCardInput = z.input<typeof cardReasonSchema>;

const replaceCardSchema = z
  .object({
    /** The card replaced. */
    number: cardNumberSchema,
    /** The store that hands out the new card. */
    storeId: codeSchema,
    reason: shortTextSchema,
    /** A pre-printed replacement number; otherwise the next number of the type. */
    newNumber: cardNumberSchema.optional(),
  })
  .strict();
/** Input of `cards.replace`. */
export type ReplaceCardInput = z.input<typeof replaceCardSchema>;

const unblockCardSchema = z.object({ number: cardNumberSchema }).strict();
/** Input of `cards.unblock`. */
export type UnblockCardInput = z.input<typeof unblockCardSchema>;

/** A card with its customer, as a lookup by number finds them. */
export interface CardLookup {
  /** The card; its `status` tells a lost or blocked one. */
  card: Card;
  /** The customer it belongs to (`null` for a card handed out unregistered). */
  customer: Customer | null;
}

/**
 * `crm.cards`: membership card types, and cards issued, linked, reported lost, replaced, blocked and
 * looked up by number. Issuing, linking, loss and replacement need `cards.issue`; types and blocks
 * `cards.manage`; reads `cards.read`.
 */
export interface CardsService {
  /** Defines a card type: number prefix and length, validity. */
  defineType(input: DefineCardTypeInput, options: CommandOptions): Promise<CardType>;
  /** Issues a card, linked to a customer or not yet. */
  issue(input: IssueCardInput, options: CommandOptions): Promise<Card>;
  /** Links an unlinked card to a customer. */
  link(input: LinkCardInput, options: CommandOptions): Promise<Card>;
  /** Reports a card lost: it is blocked at once. */
  reportLost(input: ReportLostCardInput, options: CommandOptions): Promise<Card>;
  /** Replaces a card with a new number; everything moves to the new card, which is returned. */
  replace(input: ReplaceCardInput, options: CommandOptions): Promise<Card>;
  /** Blocks an active card. */
  block(input: BlockCardInput, options: CommandOptions): Promise<Card>;
  /** Unblocks a blocked card, or a lost one that was found. */
  unblock(input: UnblockCardInput, options: CommandOptions): Promise<Card>;
  /** A card by number. */
  get(number: string, options: QueryOptions): Promise<Card>;
  /**
   * A card and its customer, by number. The check digit is checked before any lookup; an unknown
   * number is `NOT_FOUND`.
   */
  lookup(number: string, options: QueryOptions): Promise<CardLookup>;
  /** All cards of a customer, oldest first. */
  ofCustomer(customerId: string, options: QueryOptions): Promise<Card[]>;
}

const MAX_SERIAL_TRIES = 20;

/** Builds the card service. */
export function createCardService(kernel: Kernel): CardsService {
  async function loadCard(
    tx: Pick<Kernel['store'], 'get'>,
    number: string,
    path: Array<string | number>,
  ): Promise<Card> {
    const card = await mustGet(tx, cardsCollection, number, 'card', { path });
    return card;
  }

  const defineType = kernel.command({
    name: 'cards.define-type',
    input: defineCardTypeSchema,
    permission: 'cards.manage',
    idempotency: 'optional',
    async run(ctx, input) {
      if (input.prefix.length >= input.length - 4)
        throw invalid(['prefix'], 'too_long', 'the prefix leaves fewer than 4 serial digits');
      if (await ctx.tx.get(cardTypesCollection, input.id))
        throw new ConflictError('primary_key', `card type ${input.id} already exists`, { path: ['id'] });
      if (await ctx.tx.getBy(cardTypesCollection, 'card_types_prefix', { prefix: input.prefix })) {
        throw new ConflictError('unique', `another card type uses prefix ${input.prefix}`, { path: ['prefix'] });
      }
      const row = await ctx.tx.insert(cardTypesCollection, {
        ...input,
        validityMonths: input.validityMonths ?? null,
        createdAt: ctx.now,
      });
      ctx.audit({ type: 'card-type', id: row.id });
      return row;
    },
  });

  const issue = kernel.command({
    name: 'cards.issue',
    input: issueCardSchema,
    permission: 'cards.issue',
    idempotency: 'optional',
    async run(ctx, input) {
      const type = await mustGet(ctx.tx, cardTypesCollection, input.typeId, 'card type', { path: ['typeId'] });
      if (!(await ctx.tx.get(storesCollection, input.storeId)))
        throw new NotFoundError('store', input.storeId, { path: ['storeId'] });
      const customer = input.customerId
        ? await resolveActiveCustomer(ctx.tx, input.customerId, { path: ['customerId'] })
        : null;
      let number = input.number;
      if (number !== undefined) {
        if (number.length !== type.length || !number.startsWith(type.prefix)) {
          throw invalid(
            ['number'],
            'wrong_type',
            `${type.name} numbers have ${type.length} digits and start with ${type.prefix}`,
          );
        }
        if (await ctx.tx.get(cardsCollection, number))
          throw new ConflictError('primary_key', `card ${number} already exists`, { path: ['number'] });
      } else {
        // Pre-printed cards may already hold a serial; skip those.
        for (let i = 0; i < MAX_SERIAL_TRIES && number === undefined; i++) {
          const candidate = cardNumberFor(type.prefix, await ctx.nextSequence(`card:${type.id}`), type.length);
          if (!(await ctx.tx.get(cardsCollection, candidate))) number = candidate;
        }
        if (number === undefined) throw new InvalidStateError(`no free number for card type ${type.id}`);
      }
      const card = await ctx.tx.insert(cardsCollection, {
        number,
        typeId: type.id,
        customerId: customer?.id ?? null,
        status: 'active',
        statusReason: null,
        issuedStoreId: input.storeId,
        issuedAt: ctx.now,
        expiresAt: type.validityMonths ? addMonths(ctx.now, type.validityMonths) : null,
        replaces: null,
        replacedBy: null,
        updatedAt: ctx.now,
      });
      ctx.audit({ type: 'card', id: number, customerId: card.customerId }, { typeId: type.id });
      if (card.customerId) {
        await ctx.addTimeline({
          customerId: card.customerId,
          source: 'cards',
          kind: 'card-issued',
          facts: { typeName: type.name, number },
          storeId: input.storeId,
          ref: { type: 'card', id: number },
        });
      }
      await ctx.emit(
        'card.issued',
        { cardNumber: number, typeId: type.id, customerId: card.customerId, storeId: input.storeId },
        { customerId: card.customerId },
      );
      return card;
    },
  });

  const link = kernel.command({
    name: 'cards.link',
    input: linkCardSchema,
    permission: 'cards.issue',
    idempotency: 'optional',
    async run(ctx, input) {
      const card = await loadCard(ctx.tx, input.number, ['number']);
      const customer = await resolveActiveCustomer(ctx.tx, input.customerId, { path: ['customerId'] });
      if (card.customerId === customer.id) return card;
      if (card.customerId !== null)
        throw new InvalidStateError(`card ${card.number} belongs to another customer`, { path: ['number'] });
      const linked = await ctx.tx.consume(
        cardsCollection,
        card.number,
        { status: 'active', customerId: { isNull: true } },
        { customerId: customer.id, updatedAt: ctx.now },
      );
      if (!linked)
        throw new InvalidStateError(`card ${card.number} is ${card.status}`, { path: ['number'], status: card.status });
      ctx.audit({ type: 'card', id: card.number, customerId: customer.id });
      await ctx.addTimeline({
        customerId: customer.id,
        source: 'cards',
        kind: 'card-linked',
        facts: { number: card.number },
        ref: { type: 'card', id: card.number },
      });
      await ctx.emit('card.linked', { cardNumber: card.number, customerId: customer.id }, { customerId: customer.id });
      return linked;
    },
  });

  const reportLost = kernel.command({
    name: 'cards.report-lost',
    input: cardReasonSchema,
    permission: 'cards.issue',
    idempotency: 'optional',
    async run(ctx, input) {
      const card = await loadCard(ctx.tx, input.number, ['number']);
      if (card.status === 'lost') return card;
      const lost = await ctx.tx.consume(
        cardsCollection,
        card.number,
        { status: { in: ['active', 'blocked'] } },
        { status: 'lost', statusReason: input.reason, updatedAt: ctx.now },
      );
      if (!lost)
        throw new InvalidStateError(`card ${card.number} is ${card.status}`, { path: ['number'], status: card.status });
      ctx.audit({ type: 'card', id: card.number, customerId: card.customerId });
      if (card.customerId)
        await ctx.addTimeline({
          customerId: card.customerId,
          source: 'cards',
          kind: 'card-lost',
          facts: { number: card.number },
          ref: { type: 'card', id: card.number },
        });
      await ctx.emit(
        'card.reported-lost',
        { cardNumber: card.number, customerId: card.customerId },
        { customerId: card.customerId },
      );
      return lost;
    },
  });

  const replace = kernel.command({
    name: 'cards.replace',
    input: replaceCardSchema,
    permission: 'cards.issue',
    idempotency: 'optional',
    async run(ctx, input) {
      const old = await loadCard(ctx.tx, input.number, ['number']);
      if (old.status === 'replaced')
        throw new InvalidStateError(`card ${old.number} was already replaced by ${old.replacedBy}`, {
          path: ['number'],
          replacedBy: old.replacedBy,
        });
      const type = await mustGet(ctx.tx, cardTypesCollection, old.typeId, 'card type');
      if (!(await ctx.tx.get(storesCollection, input.storeId)))
        throw new NotFoundError('store', input.storeId, { path: ['storeId'] });
      let number = input.newNumber;
      if (number !== undefined) {
        if (number.length !== type.length || !number.startsWith(type.prefix))
          throw invalid(
            ['newNumber'],
            'wrong_type',
            `${type.name} numbers have ${type.length} digits and start with ${type.prefix}`,
          );
        if (await ctx.tx.get(cardsCollection, number))
          throw new ConflictError('primary_key', `card ${number} already exists`, { path: ['newNumber'] });
      } else {
        for (let i = 0; i < MAX_SERIAL_TRIES && number === undefined; i++) {
          const candidate = cardNumberFor(type.prefix, await ctx.nextSequence(`card:${type.id}`), type.length);
          if (!(await ctx.tx.get(cardsCollection, candidate))) number = candidate;
        }
        if (number === undefined) throw new InvalidStateError(`no free number for card type ${type.id}`);
      }
      const retired = await ctx.tx.consume(
        cardsCollection,
        old.number,
        { status: old.status },
        { status: 'replaced', replacedBy: number, statusReason: input.reason, updatedAt: ctx.now },
      );
      if (!retired) throw new ConflictError('version', `card ${old.number} changed meanwhile`, { path: ['number'] });
      const card = await ctx.tx.insert(cardsCollection, {
        number,
        typeId: old.typeId,
        customerId: old.customerId,
        status: 'active',
        statusReason: null,
        issuedStoreId: input.storeId,
        issuedAt: ctx.now,
        expiresAt: type.validityMonths ? addMonths(ctx.now, type.validityMonths) : old.expiresAt,
        replaces: old.number,
        replacedBy: null,
        updatedAt: ctx.now,
      });
      ctx.audit({ type: 'card', id: number, customerId: old.customerId }, { replaces: old.number });
      if (old.customerId) {
        await ctx.addTimeline({
          customerId: old.customerId,
          source: 'cards',
          kind: 'card-replaced',
          facts: { oldNumber: old.number, number },
          storeId: input.storeId,
          ref: { type: 'card', id: number },
        });
      }
      // Modules holding balances by card move them to the new number in this same transaction.
      await ctx.emit(
        'card.replaced',
        { oldNumber: old.number, newNumber: number, customerId: old.customerId },
        { customerId: old.customerId },
      );
      return card;
    },
  });

  const block = kernel.command({
    name: 'cards.block',
    input: cardReasonSchema,
    permission: 'cards.manage',
    idempotency: 'optional',
    async run(ctx, input) {
      const card = await loadCard(ctx.tx, input.number, ['number']);
      const blocked = await ctx.tx.consume(
        cardsCollection,
        card.number,
        { status: 'active' },
        { status: 'blocked', statusReason: input.reason, updatedAt: ctx.now },
      );
      if (!blocked)
        throw new InvalidStateError(`card ${card.number} is ${card.status}`, { path: ['number'], status: card.status });
      ctx.audit({ type: 'card', id: card.number, customerId: card.customerId });
      await ctx.emit(
        'card.blocked',
        { cardNumber: card.number, customerId: card.customerId },
        { customerId: card.customerId },
      );
      return blocked;
    },
  });

  const unblock = kernel.command({
    name: 'cards.unblock',
    input: unblockCardSchema,
    permission: 'cards.manage',
    idempotency: 'optional',
    async run(ctx, input) {
      const card = await loadCard(ctx.tx, input.number, ['number']);
      // A lost card that turns up again may be unblocked too, until it is replaced.
      const active = await ctx.tx.consume(
        cardsCollection,
        card.number,
        { status: { in: ['blocked', 'lost'] } },
        { status: 'active', statusReason: null, updatedAt: ctx.now },
      );
      if (!active)
        throw new InvalidStateError(`card ${card.number} is ${card.status}`, { path: ['number'], status: card.status });
      ctx.audit({ type: 'card', id: card.number, customerId: card.customerId });
      await ctx.emit(
        'card.unblocked',
        { cardNumber: card.number, customerId: card.customerId },
        { customerId: card.customerId },
      );
      return active;
    },
  });

  async function get(number: string): Promise<Card> {
    const n = parseInput(cardNumberSchema, number, ['number']);
    return loadCard(kernel.store, n, ['number']);
  }

  /**
   * The card and its customer (null for an unlinked card). Checks the check digit before any
   * lookup; an unknown number is `NOT_FOUND`. The card's `status` tells a lost or blocked card.
   */
  async function lookup(number: string): Promise<CardLookup> {
    const n = parseInput(cardNumberSchema, number, ['number']);
    // One read where the store can join the card to its holder: this is the till's hottest lookup.
    const found = await kernel.store.getLinked(cardsCollection, n, cardHolder);
    if (!found) throw new NotFoundError('card', n, { path: ['number'] });
    return { card: found.row, customer: found.linked ? toCustomer(found.linked) : null };
  }

  async function ofCustomer(customerId: string): Promise<Card[]> {
    const id = parseInput(idSchema, customerId, ['customerId']);
    const page = await kernel.store.find(cardsCollection, {
      where: { customerId: id },
      orderBy: [{ field: 'issuedAt' }],
      limit: 1000,
    });
    return page.rows;
  }

  return {
    defineType,
    issue,
    link,
    reportLost,
    replace,
    block,
    unblock,
    get: kernel.query({ name: 'cards.get', permission: 'cards.read', reads: (card) => [card.customerId], run: get }),
    lookup: kernel.query({
      name: 'cards.lookup',
      permission: 'cards.read',
      reads: (found) => [found.customer?.id],
      run: lookup,
    }),
    ofCustomer: kernel.query({
      name: 'cards.ofCustomer',
      permission: 'cards.read',
      reads: (_cards, [customerId]) => [customerId],
      run: ofCustomer,
    }),
  };
}

/** @deprecated Renamed {@link CardsService}. */
export type CardService = CardsService;
