/**
 * Stored-value cards (prepaid consumer cards that pay only inside the chain): products, selling and
 * activating a card at a store, top-ups with bonuses, authorisations (a hold with a time limit, like
 * a payment card) and their capture or release, direct spends, refunds, transfers, lost named cards
 * frozen and replaced with their balance, PINs with a lock after five wrong tries, and the queries a
 * till and a back office read. Spends and refunds of recorded sales are in `stored-value-checkout.ts`.
 *
 * Money moves only through `postCardEntry`: an appended entry and a guarded write of the card's
 * cached `balance` and `available` in the same transaction, so the balance always equals the sum of
 * the entries and never goes below zero, whatever several terminals do at once. Authorisations
 * move only `available`, with a guarded increment.
 *
 * A PIN never enters a command's input (whose fingerprint the idempotency record keeps): it is
 * checked, or hashed, before the command runs, and the command gets a stamp of the stored hash or the
 * hash itself.
 */
import {
  mustGet,
  ConflictError,
  InvalidStateError,
  NotFoundError,
  actorRef,
  cardNumberSchema,
  codeSchema,
  idSchema,
  invalid,
  isValidCardNumber,
  minorUnitsSchema,
  pageSchema,
  parseInput,
  shortTextSchema,
  singleLineTextSchema,
  storesCollection,
  type CommandOptions,
  type JsonValue,
  type PageInput,
  type QueryOptions,
  type RowOf,
  type StoreSession,
} from '@clientele/core/module';
import * as z from 'zod';
import { addMinutes } from 'date-fns';
import {
  storedValueCardsCollection,
  storedValueEntriesCollection,
  storedValuePaymentsCollection,
  storedValueProductsCollection,
  type StoredValueEntryKind,
} from './collections.js';
import { InsufficientFundsError } from './errors.js';
import { activeMember } from './member-context.js';
import { PIN_TRIES, hashPin, pinSchema, pinStamp, saltFrom, verifyPin } from './pin-hash.js';
import type { LoyaltyRuntime } from './runtime.js';
import type { LoyaltyContext } from './context.js';
import {
  bonusFor,
  cardExpiry,
  cardProductSchema,
  generateCardNumber,
  valueProblem,
  type CardProduct,
  type CardProductInput,
} from './stored-value-products.js';
import type { CardLiability, CardLiabilityInput } from './liability-report.js';
import type { CardSaleRefundInput, CardSaleRefundPlan } from './card-sale-refund.js';
import type { CardAllowancesApi } from './stored-value-allowance-inputs.js';

/** A card row as stored. */
export type CardRow = RowOf<typeof storedValueCardsCollection>;
/** A card entry as stored. */
export type CardEntry = RowOf<typeof storedValueEntriesCollection>;
/** A card payment (authorisation and capture) as stored. */
export type CardPayment = RowOf<typeof storedValuePaymentsCollection>;

/** A card as the API returns it. */
export interface StoredValueCard {
  number: string;
  productId: string;
  kind: 'anonymous' | 'named';
  customerId: string | null;
  /** `active`, `frozen` (reported lost), `replaced`, `expired` or `closed` (its sale was refunded). */
  status: string;
  /** What the card holds: the sum of its entries. */
  balance: number;
  /** What may be spent now: the balance less open authorisations. */
  available: number;
  held: number;
  hasPin: boolean;
  /** Locked after five wrong PINs until staff unlock it. */
  locked: boolean;
  /** The store that sold it. */
  storeId: string;
  activatedAt: Date;
  expiresAt: Date | null;
  replacedBy: string | null;
  replaces: string | null;
}

/** A product as defined, with its state. */
export type CardProductRecord = CardProduct & { status: 'active' | 'retired'; createdAt: Date; updatedAt: Date };

/** The view of a card row. */
export function toCard(row: CardRow): StoredValueCard {
  return {
    number: row.number,
    productId: row.productId,
    kind: row.kind as 'anonymous' | 'named',
    customerId: row.customerId,
    status: row.status,
    balance: row.balance,
    available: row.available,
    held: row.balance - row.available,
    hasPin: row.pinHash !== null,
    locked: row.lockedAt !== null,
    storeId: row.storeId,
    activatedAt: row.activatedAt,
    expiresAt: row.expiresAt,
    replacedBy: row.replacedBy,
    replaces: row.replaces,
  };
}

/** A refusal a cashier screen can translate: `details.reason` names it. */
export function cardRefusal(
  kind: 'state' | 'input',
  reason: string,
  message: string,
  path: ReadonlyArray<string | number>,
  details: Record<string, unknown> = {},
) {
  if (kind === 'state') return new InvalidStateError(message, { path, reason, ...details });
  const e = invalid(path, reason, message);
  Object.assign(e.details as Record<string, unknown>, details, { reason });
  return e;
}

/** Loads a card; `NOT_FOUND` with `path` otherwise. */
export async function loadCard(
  session: StoreSession,
  number: string,
  path: ReadonlyArray<string | number>,
): Promise<CardRow> {
  const row = await mustGet(session, storedValueCardsCollection, number, 'stored-value card', {
    path,
    reason: 'unknown_card',
  });
  return row;
}

/** Loads a product; `NOT_FOUND` with `path` otherwise. */
export async function loadProduct(
  session: StoreSession,
  id: string,
  path: ReadonlyArray<string | number> = ['productId'],
): Promise<{ product: CardProduct; status: string }> {
  const row = await mustGet(session, storedValueProductsCollection, id, 'stored-value product', { path });
  return { product: row.config as unknown as CardProduct, status: row.status };
}

/**
 * Refuses a card that cannot pay at `storeId` now: not active, expired, locked (when `pin` matters),
 * or a store outside the product's list.
 */
export function requireUsable(
  card: CardRow,
  product: CardProduct,
  storeId: string,
  at: Date,
  path: ReadonlyArray<string | number>,
): void {
  if (card.status === 'frozen')
    throw cardRefusal('state', 'frozen', `card ${card.number} was reported lost and is frozen`, path, {
      replacedBy: card.replacedBy,
    });
  if (card.status === 'replaced')
    throw cardRefusal(
      'state',
      'replaced',
      `card ${card.number} was replaced by ${card.replacedBy ?? 'another card'}`,
      path,
      { replacedBy: card.replacedBy },
    );
  if (card.status === 'expired' || (card.expiresAt !== null && card.expiresAt.getTime() <= at.getTime()))
    throw cardRefusal('state', 'expired', `card ${card.number} has expired`, path);
  if (card.status !== 'active') throw cardRefusal('state', card.status, `card ${card.number} is ${card.status}`, path);
  if (product.stores && !product.stores.includes(storeId))
    throw cardRefusal('input', 'wrong_store', `card ${card.number} is not taken at store ${storeId}`, path, {
      stores: product.stores,
    });
}

/** What one card entry moves. */
export interface CardPosting {
  kind: StoredValueEntryKind;
  /** Change to the balance (signed minor units). */
  amount: number;
  /** Change to what may be spent (default: `amount`); an authorisation already took it when capturing. */
  available?: number;
  storeId?: string | null;
  paymentId?: string | null;
  ref?: { type: string; id: string } | null;
  details?: Record<string, JsonValue>;
  /** The most the balance may reach (a top-up under the product's `maxBalance`). */
  maxBalance?: number;
  /** The input path to blame when the card cannot cover it. */
  path?: ReadonlyArray<string | number>;
}

/** How often a card write is tried again after another transaction changed the card first. */
const CARD_WRITE_ATTEMPTS = 100;

/**
 * Appends an entry and moves the card's cached balances by the same amounts, guarded: what may be
 * spent never goes below zero (`INSUFFICIENT_BALANCE`), the balance never above `maxBalance`.
 *
 * One conditional write per movement: the card's new balance, available amount and entry count are
 * set only if the row still holds what was read (a `consume` on those three fields), so no update is
 * lost; a transaction that finds the card changed (another terminal, on a store whose transactions
 * overlap) reads it again and decides again, and the guards hold for whatever order they commit in.
 */
export async function postCardEntry(
  ctx: LoyaltyContext,
  card: CardRow,
  p: CardPosting,
): Promise<{ entry: CardEntry; card: CardRow }> {
  const tx = ctx.tx;
  // Money paid back onto a card is value moved under authority (a top-up is paid for; a bonus is a rule).
  if (p.kind === 'refund') ctx.moved('stored-value', p.amount);
  const availableDelta = p.available ?? p.amount;
  let current = card;
  let row: CardRow | undefined;
  for (let attempt = 0; ; attempt++) {
    const available = current.available + availableDelta;
    const balance = current.balance + p.amount;
    if (available < 0 || balance < 0)
      throw new InsufficientFundsError(card.number, -Math.min(availableDelta, p.amount), current.available, {
        path: p.path ?? ['cardNumber'],
      });
    if (p.amount > 0 && p.maxBalance !== undefined && balance > p.maxBalance) {
      throw cardRefusal(
        'input',
        'above_max_balance',
        `card ${card.number} may hold at most ${p.maxBalance}; it holds ${current.balance}`,
        p.path ?? ['amount'],
        { balance: current.balance, maxBalance: p.maxBalance },
      );
    }
    row = await tx.consume(
      storedValueCardsCollection,
      card.number,
      { available: current.available, balance: current.balance, lastSeq: current.lastSeq },
      { available, balance, lastSeq: current.lastSeq + 1 },
    );
    if (row) break;
    if (attempt + 1 >= CARD_WRITE_ATTEMPTS)
      throw new ConflictError(
        'serialization',
        `card ${card.number} kept changing while this was written; send it again`,
      );
    current = await loadCard(tx, card.number, p.path ?? ['cardNumber']);
  }
  const entry = await tx.insert(storedValueEntriesCollection, {
    id: ctx.id('sve'),
    cardNumber: card.number,
    seq: row.lastSeq,
    at: ctx.now,
    kind: p.kind,
    amount: p.amount,
    balanceAfter: row.balance,
    productId: card.productId,
    issuerStoreId: card.storeId,
    storeId: p.storeId ?? null,
    customerId: card.customerId,
    paymentId: p.paymentId ?? null,
    refType: p.ref?.type ?? null,
    refId: p.ref?.id ?? null,
    actor: actorRef(ctx.actor) as JsonValue,
    details: p.details ?? {},
  });
  return { entry, card: row };
}

/** Tells that an amount was reserved on a card (an authorisation or an offline allowance). */
export async function emitAuthorized(ctx: LoyaltyContext, payment: CardPayment): Promise<void> {
  await ctx.emit(
    'stored-value.authorized',
    {
      paymentId: payment.id,
      cardNumber: payment.cardNumber,
      customerId: payment.customerId,
      amount: payment.amount,
      expiresAt: payment.expiresAt!.toISOString(),
    },
    { customerId: payment.customerId },
  );
}

/** The card now carrying a card's money: itself, or the replacement of a lost one. */
export async function liveCard(session: StoreSession, card: CardRow): Promise<CardRow> {
  let current = card;
  for (let hops = 0; current.status === 'replaced' && current.replacedBy && hops < 20; hops++) {
    const next = await session.get(storedValueCardsCollection, current.replacedBy);
    if (!next) break;
    current = next;
  }
  return current;
}

const amount = minorUnitsSchema.refine((n) => n > 0, 'must be more than 0');
const refSchema = z.object({ type: codeSchema, id: idSchema }).strict();
/** How the customer paid for money loaded onto a card: a refund of the card's sale goes back the same way. */
const tenderSchema = z
  .object({
    /** A payment method, e.g. `cash`, `bank-card`, `wechat-pay`. */
    method: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'payment methods are lower-case words'),
    /** The payment's reference at the till or the payment provider. */
    reference: singleLineTextSchema(100).optional(),
  })
  .strict();

/** Input of `storedValue.sell`. */
export const sellSchema = z
  .object({
    productId: codeSchema,
    storeId: codeSchema,
    /** The value loaded onto the card (minor units). */
    amount,
    /** The owner of a named card (required for named products, refused for anonymous ones). */
    customerId: idSchema.optional(),
    /** A pre-printed card's number; omit to make one. */
    number: cardNumberSchema.optional(),
    /** The card's PIN, when the product has PINs. Only its slow salted hash is stored. */
    pin: pinSchema.optional(),
    /** How the card was paid for (default: cash); refunding the card's sale pays back the same way. */
    tender: tenderSchema.optional(),
  })
  .strict();

/** Input of `storedValue.authorize`. */
export const authorizeSchema = z
  .object({
    cardNumber: cardNumberSchema,
    amount,
    storeId: codeSchema,
    terminalId: codeSchema,
    pin: pinSchema.optional(),
    /** Minutes the authorisation lasts (default and maximum: the program's `redemption.holdMinutes`). */
    minutes: z
      .number()
      .int()
      .positive()
      .max(24 * 60)
      .optional(),
  })
  .strict();

/** Input of `storedValue.spend`. */
export const spendSchema = z
  .object({ cardNumber: cardNumberSchema, amount, storeId: codeSchema, pin: pinSchema.optional(), ref: refSchema })
  .strict();

const stampSchema = z.string().min(1).max(32).optional();

/** Input of `storedValue.sell`. */
export type SellCardInput = z.input<typeof sellSchema>;
/** Input of `storedValue.authorize`. */
export type AuthorizeInput = z.input<typeof authorizeSchema>;
/** Input of `storedValue.spend`. */
export type SpendInput = z.input<typeof spendSchema>;

const topUpSchema = z
  .object({
    cardNumber: cardNumberSchema,
    /** The money loaded (minor units); the product's bonus comes on top. */
    amount,
    storeId: codeSchema,
    /** How the top-up was paid for (default: cash); refunding the card's sale pays back the same way. */
    tender: tenderSchema.optional(),
  })
  .strict();
/** Input of `storedValue.topUp`. */
export type TopUpInput = z.input<typeof topUpSchema>;

const captureSchema = z
  .object({
    paymentId: idSchema,
    /** Less than authorised releases the rest (default: all of it). */
    amount: amount.optional(),
    /** What the money paid for. */
    ref: refSchema,
  })
  .strict();
/** Input of `storedValue.capture`. */
export type CaptureInput = z.input<typeof captureSchema>;

const cancelAuthorizationSchema = z.object({ paymentId: idSchema }).strict();
/** Input of `storedValue.cancelAuthorization`. */
export type CancelAuthorizationInput = z.input<typeof cancelAuthorizationSchema>;

const cardRefundSchema = z
  .object({
    paymentId: idSchema,
    amount,
    reason: shortTextSchema,
    storeId: codeSchema.optional(),
    /** A member of staff whose refund authority covers the amount when the actor's does not. */
    approvedBy: codeSchema.optional(),
  })
  .strict();
/** Input of `storedValue.refund`. */
export type CardRefundInput = z.input<typeof cardRefundSchema>;

const transferSchema = z
  .object({
    /** The card paid from. */
    from: cardNumberSchema,
    /** The card paid into, of the same owner. */
    to: cardNumberSchema,
    /** Default: the whole balance of `from`. */
    amount: amount.optional(),
    reason: shortTextSchema,
  })
  .strict();
/** Input of `storedValue.transfer`. */
export type TransferInput = z.input<typeof transferSchema>;

const cardReasonSchema = z.object({ cardNumber: cardNumberSchema, reason: shortTextSchema }).strict();
/** Input of `storedValue.reportLost`. */
export type ReportLostStoredValueCardInput = z.input<typeof cardReasonSchema>;
/** Input of `storedValue.unlock`. */
export type UnlockCardInput = z.input<typeof cardReasonSchema>;

const replaceStoredValueCardSchema = z
  .object({
    /** The lost card. */
    cardNumber: cardNumberSchema,
    /** The store that hands out the replacement. */
    storeId: codeSchema,
    /** A pre-printed replacement's number; omit to make one. */
    number: cardNumberSchema.optional(),
    reason: shortTextSchema,
  })
  .strict();
/** Input of `storedValue.replace`. */
export type ReplaceStoredValueCardInput = z.input<typeof replaceStoredValueCardSchema>;

const setPinSchema = z.object({ cardNumber: cardNumberSchema, pin: pinSchema }).strict();
/** Input of `storedValue.setPin`. */
export type SetPinInput = z.input<typeof setPinSchema>;

const cardStatementSchema = pageSchema.strict();

/** What `storedValue.topUp` returns. */
export interface TopUpResult {
  card: StoredValueCard;
  /** The money loaded. */
  amount: number;
  /** The product's bonus on top of it. */
  bonus: number;
}

/** A payment taken from a card, and the card after it. */
export interface CardPaymentResult {
  payment: CardPayment;
  card: StoredValueCard;
}

/** What `storedValue.refund` returns: the card credited and the amount. */
export interface CardRefundResult {
  card: StoredValueCard;
  amount: number;
}

/** What `storedValue.refundSale` returns: the closed card, the money back by tender, and what was forfeited. */
export interface CardSaleRefund extends CardSaleRefundPlan {
  card: StoredValueCard;
}

/** What `storedValue.transfer` returns: both cards after it and the amount moved. */
export interface TransferResult {
  from: StoredValueCard;
  to: StoredValueCard;
  amount: number;
}

/** What `storedValue.replace` returns: the lost card, its replacement, and the balance moved. */
export interface CardReplacement {
  old: StoredValueCard;
  card: StoredValueCard;
  moved: number;
}

/** A page of a card's entries from `storedValue.statement`. */
export interface CardStatement {
  card: StoredValueCard;
  /** The entries in order, with the balance after each. */
  entries: CardEntry[];
  /** The cursor of the next page (`null`: none). */
  next: string | null;
}

/**
 * `crm.loyalty.storedValue`: prepaid cards from products, sold, topped up, paid with (authorised and
 * captured, or spent at once), refunded, moved between cards, reported lost and replaced, with PINs;
 * and what the chain owes on them. Reads need `loyalty.stored-value.read`.
 */
export interface StoredValueApi {
  /**
   * Offline allowances: an amount of a card reserved for one terminal to spend while it cannot reach
   * central (an authorisation of that terminal; `cancelAuthorization` gives the rest back).
   */
  allowances: CardAllowancesApi;
  /** Defines (or redefines) a card product. */
  defineProduct(input: CardProductInput, options: CommandOptions): Promise<CardProductRecord>;
  /** A product. */
  product(productId: string): Promise<CardProductRecord>;
  /**
   * Sells and activates a card at a store (anonymous, or named for a customer), optionally with a PIN.
   * Needs an idempotency key: the PIN's salt comes from it.
   */
  sell(input: SellCardInput, options: CommandOptions): Promise<StoredValueCard>;
  /** Loads more money onto a card; a product's bonus comes on top. */
  topUp(input: TopUpInput, options: CommandOptions): Promise<TopUpResult>;
  /**
   * Reserves an amount on a card until the sale pays with it (payment reference: the authorisation
   * id), a cancel, or expiry.
   */
  authorize(input: AuthorizeInput, options: CommandOptions): Promise<CardPayment>;
  /** Captures an authorisation (all of it or less; the rest is released) for something other than a recorded sale. */
  capture(input: CaptureInput, options: CommandOptions): Promise<CardPaymentResult>;
  /** Releases an authorisation. */
  cancelAuthorization(input: CancelAuthorizationInput, options: CommandOptions): Promise<CardPayment>;
  /** Spends at once, for something other than a sale recorded through `purchases.record` (an e-shop order). */
  spend(input: SpendInput, options: CommandOptions): Promise<CardPaymentResult>;
  /** Refunds (part of) a payment to its card, or to the card that replaced it. */
  refund(input: CardRefundInput, options: CommandOptions): Promise<CardRefundResult>;
  /**
   * Takes a card back and refunds its sale: what is left of the money paid for it goes back by the
   * tenders it was paid with (within the actor's `refund` authority), a bonus left on it is forfeited,
   * and the card is closed.
   */
  refundSale(input: CardSaleRefundInput, options: CommandOptions): Promise<CardSaleRefund>;
  /** Moves money between two cards of the same owner. */
  transfer(input: TransferInput, options: CommandOptions): Promise<TransferResult>;
  /** Freezes a lost named card at once (an anonymous one cannot be recovered). */
  reportLost(input: ReportLostStoredValueCardInput, options: CommandOptions): Promise<StoredValueCard>;
  /** Issues a replacement for a lost named card and moves its balance onto it. */
  replace(input: ReplaceStoredValueCardInput, options: CommandOptions): Promise<CardReplacement>;
  /** Unlocks a card locked by wrong PINs (staff with `loyalty.stored-value.unlock`). */
  unlock(input: UnlockCardInput, options: CommandOptions): Promise<StoredValueCard>;
  /** Sets a card's PIN at the service desk (a locked card stays locked: unlocking is separate). */
  setPin(input: SetPinInput, options: CommandOptions): Promise<StoredValueCard>;
  /** A card, its balance and what may be spent now. */
  card(cardNumber: string, options: QueryOptions): Promise<StoredValueCard>;
  /** A card's entries in order, with the balance after each. */
  statement(cardNumber: string, options: QueryOptions): Promise<CardStatement>;
  /** A page of a card's entries in order, with the balance after each. */
  statement(cardNumber: string, page: PageInput | undefined, options: QueryOptions): Promise<CardStatement>;
  /** A customer's named cards. */
  ofCustomer(customerId: string, options: QueryOptions): Promise<StoredValueCard[]>;
  /** Whether a card number is well formed, for a till's input field (the Luhn check digit). */
  isCardNumber(number: string): boolean;
  /**
   * What the chain owes on its cards per selling store and product at a date, and the breakage
   * products allow (totals: no reader needed).
   */
  liability(options?: CardLiabilityInput): Promise<CardLiability>;
}

/** A tender as an entry keeps it. */
const tenderJson = (t: z.output<typeof tenderSchema>): JsonValue => ({
  method: t.method,
  reference: t.reference ?? null,
});

/** The salt of a new PIN's hash comes from the request's key, so the key is needed before anything is hashed. */
function needKey(
  command: string,
  options: CommandOptions | undefined,
): asserts options is CommandOptions & { idempotencyKey: string } {
  if (typeof options?.idempotencyKey !== 'string')
    throw invalid(
      ['options', 'idempotencyKey'],
      'required',
      `${command} needs an idempotency key so a retry cannot apply it twice`,
    );
}

/** The id prefix of card authorisations that are offline allowances. */
export const CARD_ALLOWANCE_PREFIX = 'svl';

/** Whether a card payment is an offline allowance. */
export const isCardAllowance = (payment: Pick<CardPayment, 'id'>): boolean =>
  payment.id.startsWith(`${CARD_ALLOWANCE_PREFIX}_`);

/** The permission of reads of cards, their balances and statements. */
const READ = 'loyalty.stored-value.read';

/** Builds the stored-value service (the checkout part registers itself from `stored-value-checkout.ts`). */
export function createStoredValueService(runtime: LoyaltyRuntime, settings: { pinIterations: number }) {
  const { kernel } = runtime;
  const cfg = runtime.program.config;
  const store = kernel.store;

  async function requireStore(
    ctx: LoyaltyContext,
    storeId: string,
    path: ReadonlyArray<string | number> = ['storeId'],
  ): Promise<void> {
    if (!(await ctx.tx.get(storesCollection, storeId)))
      throw new NotFoundError('store', storeId, { path, reason: 'unknown_store' });
  }

  /** A PIN card pays only with the PIN: the command must have been given the stamp of the card's hash. */
  function requirePin(
    card: CardRow,
    product: CardProduct,
    stamp: string | undefined,
    path: ReadonlyArray<string | number>,
  ): void {
    if (card.lockedAt !== null)
      throw cardRefusal(
        'state',
        'locked',
        `card ${card.number} is locked after ${PIN_TRIES} wrong PINs: staff with authority can unlock it`,
        path,
      );
    const needs = product.pin === 'required' || card.pinHash !== null;
    if (!needs) return;
    if (stamp === undefined) throw cardRefusal('input', 'pin_required', `card ${card.number} needs its PIN`, ['pin']);
    if (stamp !== pinStamp(card.pinHash))
      throw cardRefusal('state', 'pin_changed', `the PIN of card ${card.number} changed meanwhile; ask for it again`, [
        'pin',
      ]);
  }

  const defineProduct = kernel.command({
    name: 'loyalty.stored-value.define-product',
    input: cardProductSchema,
    permission: 'loyalty.stored-value.define',
    idempotency: 'optional',
    async run(ctx, input): Promise<CardProductRecord> {
      for (const [i, storeId] of (input.stores ?? []).entries()) await requireStore(ctx, storeId, ['stores', i]);
      const existing = await ctx.tx.get(storedValueProductsCollection, input.id);
      if (existing && (existing.config as unknown as CardProduct).kind !== input.kind)
        throw invalid(
          ['kind'],
          'kind_change',
          `product ${input.id} sells ${(existing.config as unknown as CardProduct).kind} cards; define a new ` +
            `product instead`,
        );
      const config = input as unknown as JsonValue;
      const row = existing
        ? await ctx.tx.update(
            storedValueProductsCollection,
            input.id,
            { name: input.name, config, status: 'active', updatedAt: ctx.now },
            { expectVersion: existing.version },
          )
        : await ctx.tx.insert(storedValueProductsCollection, {
            id: input.id,
            name: input.name,
            config,
            status: 'active',
            createdAt: ctx.now,
            updatedAt: ctx.now,
          });
      ctx.audit({ type: 'stored-value-product', id: input.id });
      return { ...input, status: 'active', createdAt: row.createdAt, updatedAt: row.updatedAt };
    },
  });

  const sellCommand = kernel.command({
    name: 'loyalty.stored-value.sell',
    input: sellSchema
      .omit({ pin: true })
      .extend({ pinHash: z.string().min(1).max(300).optional() })
      .strict(),
    permission: 'sales.record',
    idempotency: 'required',
    async run(ctx, input): Promise<StoredValueCard> {
      const { product, status } = await loadProduct(ctx.tx, input.productId);
      if (status !== 'active')
        throw cardRefusal('state', 'product_retired', `product ${product.id} is no longer sold`, ['productId']);
      await requireStore(ctx, input.storeId);
      if (product.kind === 'named' && input.customerId === undefined)
        throw invalid(['customerId'], 'required', `product ${product.id} sells named cards: name the customer`);
      if (product.kind === 'anonymous' && input.customerId !== undefined)
        throw invalid(
          ['customerId'],
          'anonymous_product',
          `product ${product.id} sells anonymous cards, which belong to whoever holds them`,
        );
      const customerId = input.customerId ? (await activeMember(ctx.tx, input.customerId)).id : null;
      if (product.pin === 'required' && input.pinHash === undefined)
        throw cardRefusal('input', 'pin_required', `product ${product.id} cards need a PIN`, ['pin']);
      if (product.pin === 'none' && input.pinHash !== undefined)
        throw cardRefusal('input', 'no_pin', `product ${product.id} cards have no PIN`, ['pin']);
      const problem = valueProblem(product, input.amount, 'sale');
      if (problem) throw invalid(['amount'], 'value_not_sold', problem);
      if (product.maxBalance !== undefined && input.amount > product.maxBalance)
        throw invalid(['amount'], 'above_max_balance', `a card may hold at most ${product.maxBalance}`);
      let number = input.number;
      if (number !== undefined) {
        if (!number.startsWith(product.prefix))
          throw invalid(['number'], 'wrong_prefix', `product ${product.id} card numbers start with ${product.prefix}`);
        if (await ctx.tx.get(storedValueCardsCollection, number))
          throw cardRefusal('state', 'already_sold', `card ${number} is already sold`, ['number']);
      } else {
        do number = generateCardNumber(product.prefix);
        while (await ctx.tx.get(storedValueCardsCollection, number));
      }
      const card = await ctx.tx.insert(storedValueCardsCollection, {
        number,
        productId: product.id,
        kind: product.kind,
        customerId,
        status: 'active',
        balance: input.amount,
        available: input.amount,
        storeId: input.storeId,
        pinHash: input.pinHash ?? null,
        pinFailures: 0,
        lockedAt: null,
        activatedAt: ctx.now,
        expiresAt: cardExpiry(ctx.now, product.validityMonths),
        replacedBy: null,
        replaces: null,
        lastSeq: 1,
      });
      await ctx.tx.insert(storedValueEntriesCollection, {
        id: ctx.id('sve'),
        cardNumber: number,
        seq: 1,
        at: ctx.now,
        kind: 'load',
        amount: input.amount,
        balanceAfter: input.amount,
        productId: product.id,
        issuerStoreId: input.storeId,
        storeId: input.storeId,
        customerId,
        paymentId: null,
        refType: null,
        refId: null,
        actor: actorRef(ctx.actor) as JsonValue,
        details: input.tender ? { tender: tenderJson(input.tender) } : {},
      });
      ctx.audit(
        { type: 'stored-value-card', id: number, customerId },
        { productId: product.id, amount: input.amount, storeId: input.storeId },
      );
      if (customerId)
        await ctx.addTimeline({
          customerId,
          source: 'loyalty',
          kind: 'stored-value-sold',
          facts: { product: product.name, amount: input.amount, currency: kernel.currency },
          storeId: input.storeId,
          ref: { type: 'stored-value-card', id: number },
        });
      await ctx.emit(
        'stored-value.sold',
        { cardNumber: number, productId: product.id, customerId, storeId: input.storeId, amount: input.amount },
        { customerId },
      );
      return toCard(card);
    },
  });

  /**
   * Sells and activates a card; a PIN is hashed first, with a salt derived from the idempotency key so a retry hashes
   * alike.
   */
  async function sell(input: SellCardInput, options: CommandOptions): Promise<StoredValueCard> {
    const q = parseInput(sellSchema, input);
    const { pin, ...rest } = q;
    if (pin === undefined) return sellCommand(rest, options);
    needKey('loyalty.stored-value.sell', options);
    const pinHash = await hashPin(pin, {
      iterations: settings.pinIterations,
      salt: await saltFrom(`sell\u0000${options.idempotencyKey}`),
    });
    return sellCommand({ ...rest, pinHash }, options);
  }

  const topUp = kernel.command({
    name: 'loyalty.stored-value.top-up',
    input: topUpSchema,
    permission: 'sales.record',
    idempotency: 'required',
    async run(ctx, input): Promise<TopUpResult> {
      const card = await loadCard(ctx.tx, input.cardNumber, ['cardNumber']);
      const { product } = await loadProduct(ctx.tx, card.productId, ['cardNumber']);
      await requireStore(ctx, input.storeId);
      requireUsable(card, product, input.storeId, ctx.now, ['cardNumber']);
      const problem = valueProblem(product, input.amount, 'top-up');
      if (problem) throw invalid(['amount'], product.topUp.allowed ? 'top_up_limits' : 'no_top_up', problem);
      const bonus = bonusFor(product, input.amount);
      const ref = { type: 'top-up', id: ctx.id('svt') };
      let after = (
        await postCardEntry(ctx, card, {
          kind: 'top-up',
          amount: input.amount,
          storeId: input.storeId,
          ref,
          ...(input.tender ? { details: { tender: tenderJson(input.tender) } } : {}),
          ...(product.maxBalance !== undefined ? { maxBalance: product.maxBalance } : {}),
          path: ['amount'],
        })
      ).card;
      if (bonus > 0)
        after = (
          await postCardEntry(ctx, after, {
            kind: 'bonus',
            amount: bonus,
            storeId: input.storeId,
            ref,
            details: { topUp: input.amount },
            ...(product.maxBalance !== undefined ? { maxBalance: product.maxBalance } : {}),
            path: ['amount'],
          })
        ).card;
      ctx.audit(
        { type: 'stored-value-card', id: card.number, customerId: card.customerId },
        { amount: input.amount, bonus, storeId: input.storeId },
      );
      await ctx.emit(
        'stored-value.topped-up',
        { cardNumber: card.number, customerId: card.customerId, storeId: input.storeId, amount: input.amount, bonus },
        { customerId: card.customerId },
      );
      return { card: toCard(after), amount: input.amount, bonus };
    },
  });

  const pinFailed = kernel.command({
    name: 'loyalty.stored-value.pin-failed',
    input: z.object({ cardNumber: cardNumberSchema, stamp: z.string().min(1).max(32) }).strict(),
    permission: 'sales.record',
    idempotency: 'optional',
    async run(ctx, input): Promise<{ failures: number; locked: boolean }> {
      const card = await loadCard(ctx.tx, input.cardNumber, ['cardNumber']);
      // A PIN changed since it was checked: that try was against the old one and does not count.
      if (pinStamp(card.pinHash) !== input.stamp) return { failures: card.pinFailures, locked: card.lockedAt !== null };
      const failures = (await ctx.tx.increment(storedValueCardsCollection, card.number, 'pinFailures', 1)).row
        .pinFailures;
      let locked = card.lockedAt !== null;
      if (!locked && failures >= PIN_TRIES) {
        locked =
          (await ctx.tx.consume(
            storedValueCardsCollection,
            card.number,
            { lockedAt: { isNull: true } },
            { lockedAt: ctx.now },
          )) !== undefined;
        if (locked)
          await ctx.emit(
            'stored-value.locked',
            { cardNumber: card.number, customerId: card.customerId },
            { customerId: card.customerId },
          );
      }
      ctx.audit({ type: 'stored-value-card', id: card.number, customerId: card.customerId }, { failures, locked });
      return { failures, locked };
    },
  });

  /**
   * Checks a PIN before a command that needs it. A wrong PIN is counted in a transaction of its own
   * (that is the point of counting) and refused with `VALIDATION_FAILED`, reason `wrong_pin`, and the
   * tries left; nothing else changes. Returns the stamp the command checks.
   */
  async function checkPin(
    cardNumber: string,
    pin: string | undefined,
    options: CommandOptions,
  ): Promise<string | undefined> {
    if (pin === undefined) return undefined;
    const card = await store.get(storedValueCardsCollection, cardNumber);
    if (!card || card.lockedAt !== null) return pinStamp(card?.pinHash ?? null);
    if (card.pinHash === null) throw cardRefusal('input', 'no_pin', `card ${cardNumber} has no PIN`, ['pin']);
    if (await verifyPin(pin, card.pinHash)) return pinStamp(card.pinHash);
    const { failures, locked } = await pinFailed(
      { cardNumber, stamp: pinStamp(card.pinHash) },
      { actor: options.actor },
    );
    throw cardRefusal(
      'input',
      'wrong_pin',
      locked
        ? `wrong PIN: card ${cardNumber} is now locked until staff with authority unlock it`
        : `wrong PIN: ${PIN_TRIES - failures} ${PIN_TRIES - failures === 1 ? 'try' : 'tries'} left`,
      ['pin'],
      { triesLeft: Math.max(0, PIN_TRIES - failures), locked },
    );
  }

  async function authorizeInto(
    ctx: LoyaltyContext,
    input: {
      cardNumber: string;
      amount: number;
      storeId: string;
      terminalId: string | null;
      stamp?: string | undefined;
      minutes?: number | undefined;
      captured?: { ref: { type: string; id: string } };
      /** The id prefix of the authorisation (default `svp`; offline allowances are `svl`). */
      prefix?: string;
    },
  ): Promise<{ payment: CardPayment; card: CardRow }> {
    await requireStore(ctx, input.storeId);
    const card = await loadCard(ctx.tx, input.cardNumber, ['cardNumber']);
    const { product } = await loadProduct(ctx.tx, card.productId, ['cardNumber']);
    requireUsable(card, product, input.storeId, ctx.now, ['cardNumber']);
    requirePin(card, product, input.stamp, ['cardNumber']);
    if (input.stamp !== undefined && card.pinFailures > 0)
      await ctx.tx.update(storedValueCardsCollection, card.number, { pinFailures: 0 });
    const id = ctx.id(input.prefix ?? 'svp');
    if (input.captured) {
      const { card: after } = await postCardEntry(ctx, card, {
        kind: 'spend',
        amount: -input.amount,
        storeId: input.storeId,
        paymentId: id,
        ref: input.captured.ref,
        path: ['amount'],
      });
      const payment = await ctx.tx.insert(storedValuePaymentsCollection, {
        id,
        cardNumber: card.number,
        customerId: card.customerId,
        status: 'captured',
        amount: input.amount,
        captured: input.amount,
        refunded: 0,
        storeId: input.storeId,
        terminalId: input.terminalId,
        createdAt: ctx.now,
        expiresAt: null,
        closedAt: ctx.now,
        purchaseId: null,
        refType: input.captured.ref.type,
        refId: input.captured.ref.id,
      });
      return { payment, card: after };
    }
    const r = await ctx.tx.increment(storedValueCardsCollection, card.number, 'available', -input.amount, { min: 0 });
    if (!r.applied) throw new InsufficientFundsError(card.number, input.amount, r.row.available, { path: ['amount'] });
    const minutes = input.minutes ?? cfg.redemption.holdMinutes;
    const payment = await ctx.tx.insert(storedValuePaymentsCollection, {
      id,
      cardNumber: card.number,
      customerId: card.customerId,
      status: 'authorized',
      amount: input.amount,
      captured: 0,
      refunded: 0,
      storeId: input.storeId,
      terminalId: input.terminalId,
      createdAt: ctx.now,
      expiresAt: addMinutes(ctx.now, minutes),
      closedAt: null,
      purchaseId: null,
      refType: null,
      refId: null,
    });
    return { payment, card: r.row };
  }

  const authorizeCommand = kernel.command({
    name: 'loyalty.stored-value.authorize',
    input: authorizeSchema.omit({ pin: true }).extend({ stamp: stampSchema }).strict(),
    permission: 'sales.record',
    idempotency: 'required',
    async run(ctx, input): Promise<CardPayment> {
      if (input.minutes !== undefined && input.minutes > cfg.redemption.holdMinutes)
        throw invalid(['minutes'], 'too_long', `authorisations last at most ${cfg.redemption.holdMinutes} minutes`);
      const { payment } = await authorizeInto(ctx, {
        cardNumber: input.cardNumber,
        amount: input.amount,
        storeId: input.storeId,
        terminalId: input.terminalId,
        stamp: input.stamp,
        minutes: input.minutes,
      });
      ctx.audit(
        { type: 'stored-value-card', id: input.cardNumber, customerId: payment.customerId },
        { paymentId: payment.id, amount: input.amount, storeId: input.storeId },
      );
      await emitAuthorized(ctx, payment);
      return payment;
    },
  });

  /** Reserves an amount on a card (with its PIN when it has one) until a sale captures it, a cancel, or expiry. */
  async function authorize(input: AuthorizeInput, options: CommandOptions): Promise<CardPayment> {
    const { pin, ...rest } = parseInput(authorizeSchema, input);
    const stamp = await checkPin(rest.cardNumber, pin, options);
    return authorizeCommand({ ...rest, ...(stamp !== undefined ? { stamp } : {}) }, options);
  }

  const spendCommand = kernel.command({
    name: 'loyalty.stored-value.spend',
    input: spendSchema.omit({ pin: true }).extend({ stamp: stampSchema }).strict(),
    permission: 'sales.record',
    idempotency: 'required',
    async run(ctx, input): Promise<{ payment: CardPayment; card: StoredValueCard }> {
      const { payment, card } = await authorizeInto(ctx, {
        cardNumber: input.cardNumber,
        amount: input.amount,
        storeId: input.storeId,
        terminalId: null,
        stamp: input.stamp,
        captured: { ref: input.ref },
      });
      ctx.audit(
        { type: 'stored-value-card', id: input.cardNumber, customerId: card.customerId },
        { paymentId: payment.id, amount: input.amount, refType: input.ref.type, refId: input.ref.id },
      );
      await ctx.emit(
        'stored-value.spent',
        {
          paymentId: payment.id,
          cardNumber: card.number,
          customerId: card.customerId,
          storeId: input.storeId,
          amount: input.amount,
          ref: input.ref,
        },
        { customerId: card.customerId },
      );
      return { payment, card: toCard(card) };
    },
  });

  /**
   * Spends from a card at once, for something other than a sale recorded through `purchases.record` (an e-shop order).
   */
  async function spend(input: SpendInput, options: CommandOptions): Promise<CardPaymentResult> {
    const { pin, ...rest } = parseInput(spendSchema, input);
    const stamp = await checkPin(rest.cardNumber, pin, options);
    return spendCommand({ ...rest, ...(stamp !== undefined ? { stamp } : {}) }, options);
  }

  /** Captures an authorisation (all of it or less; the rest is released) for `ref`. */
  async function captureInto(
    ctx: LoyaltyContext,
    input: {
      paymentId: string;
      amount: number;
      ref: { type: string; id: string };
      storeId: string | null;
      purchaseId: string | null;
      path: ReadonlyArray<string | number>;
    },
  ): Promise<{ payment: CardPayment; card: CardRow }> {
    const payment = await mustGet(ctx.tx, storedValuePaymentsCollection, input.paymentId, 'card authorisation', {
      path: input.path,
      reason: 'unknown_authorization',
    });
    if (isCardAllowance(payment))
      throw cardRefusal(
        'input',
        'allowance_not_capturable',
        `${payment.id} is an offline allowance: draw the amount a sale spent from it and capture that`,
        input.path,
      );
    if (input.amount > payment.amount)
      throw cardRefusal(
        'input',
        'above_authorized',
        `authorisation ${payment.id} covers ${payment.amount}, not ${input.amount}`,
        input.path,
        { authorized: payment.amount },
      );
    if (input.storeId !== null && payment.storeId !== input.storeId)
      throw cardRefusal(
        'input',
        'wrong_store',
        `authorisation ${payment.id} was made at store ${payment.storeId}`,
        input.path,
      );
    const taken = await ctx.tx.consume(
      storedValuePaymentsCollection,
      payment.id,
      { status: 'authorized', expiresAt: { gt: ctx.now } },
      {
        status: 'captured',
        captured: input.amount,
        closedAt: ctx.now,
        purchaseId: input.purchaseId,
        refType: input.ref.type,
        refId: input.ref.id,
      },
    );
    if (!taken) {
      const why = payment.status === 'authorized' ? 'expired' : payment.status;
      throw cardRefusal('state', `authorization_${why}`, `card authorisation ${payment.id} is ${why}`, input.path, {
        status: why,
      });
    }
    const card = await loadCard(ctx.tx, payment.cardNumber, input.path);
    const { card: after } = await postCardEntry(ctx, card, {
      kind: 'spend',
      amount: -input.amount,
      available: payment.amount - input.amount,
      storeId: payment.storeId,
      paymentId: payment.id,
      ref: input.ref,
    });
    return { payment: taken, card: after };
  }

  const capture = kernel.command({
    name: 'loyalty.stored-value.capture',
    input: captureSchema,
    permission: 'sales.record',
    idempotency: 'required',
    async run(ctx, input): Promise<{ payment: CardPayment; card: StoredValueCard }> {
      const existing = await ctx.tx.get(storedValuePaymentsCollection, input.paymentId);
      const { payment, card } = await captureInto(ctx, {
        paymentId: input.paymentId,
        amount: input.amount ?? existing?.amount ?? 0,
        ref: input.ref,
        storeId: null,
        purchaseId: null,
        path: ['paymentId'],
      });
      ctx.audit(
        { type: 'stored-value-card', id: card.number, customerId: card.customerId },
        { paymentId: payment.id, amount: payment.captured },
      );
      await ctx.emit(
        'stored-value.spent',
        {
          paymentId: payment.id,
          cardNumber: card.number,
          customerId: card.customerId,
          storeId: payment.storeId,
          amount: payment.captured,
          ref: input.ref,
        },
        { customerId: card.customerId },
      );
      return { payment, card: toCard(card) };
    },
  });

  /** Ends an open authorisation without spending it. */
  async function releaseInto(
    ctx: LoyaltyContext,
    payment: CardPayment,
    reason: 'cancelled' | 'expired',
    at: Date = ctx.now,
  ): Promise<CardPayment | undefined> {
    const when = reason === 'expired' ? { status: 'authorized', expiresAt: { lte: at } } : { status: 'authorized' };
    const closed = await ctx.tx.consume(storedValuePaymentsCollection, payment.id, when, {
      status: reason,
      closedAt: ctx.now,
    });
    if (!closed) return undefined;
    await ctx.tx.increment(storedValueCardsCollection, payment.cardNumber, 'available', payment.amount);
    await ctx.emit(
      'stored-value.released',
      {
        paymentId: payment.id,
        cardNumber: payment.cardNumber,
        customerId: payment.customerId,
        amount: payment.amount,
        reason,
      },
      { customerId: payment.customerId },
    );
    return closed;
  }

  const cancelAuthorization = kernel.command({
    name: 'loyalty.stored-value.cancel-authorization',
    input: cancelAuthorizationSchema,
    permission: 'sales.record',
    idempotency: 'optional',
    async run(ctx, input): Promise<CardPayment> {
      const payment = await mustGet(ctx.tx, storedValuePaymentsCollection, input.paymentId, 'card authorisation', {
        path: ['paymentId'],
        reason: 'unknown_authorization',
      });
      if (payment.status === 'cancelled' || payment.status === 'expired') return payment;
      const closed = await releaseInto(ctx, payment, 'cancelled');
      if (!closed)
        throw cardRefusal(
          'state',
          `authorization_${payment.status}`,
          `card authorisation ${payment.id} is ${payment.status}`,
          ['paymentId'],
        );
      ctx.audit(
        { type: 'stored-value-card', id: payment.cardNumber, customerId: payment.customerId },
        { paymentId: payment.id },
      );
      return closed;
    },
  });

  /**
   * Gives back up to what a payment captured (never more, also under racing refunds), to the card or its replacement.
   */
  async function refundInto(
    ctx: LoyaltyContext,
    payment: CardPayment,
    value: number,
    ref: { type: string; id: string },
    storeId: string | null,
    path: ReadonlyArray<string | number>,
  ): Promise<{ card: CardRow; amount: number } | null> {
    if (value <= 0) return null;
    const r = await ctx.tx.increment(storedValuePaymentsCollection, payment.id, 'refunded', value, {
      max: payment.captured,
    });
    if (!r.applied)
      throw cardRefusal(
        'input',
        'above_captured',
        `payment ${payment.id} captured ${payment.captured}; ${r.row.refunded} is refunded already`,
        path,
        { captured: payment.captured, refunded: r.row.refunded },
      );
    const card = await liveCard(ctx.tx, await loadCard(ctx.tx, payment.cardNumber, path));
    const { card: after } = await postCardEntry(ctx, card, {
      kind: 'refund',
      amount: value,
      storeId,
      paymentId: payment.id,
      ref,
      details: card.number !== payment.cardNumber ? { paidWith: payment.cardNumber } : {},
    });
    await ctx.emit(
      'stored-value.refunded',
      { paymentId: payment.id, cardNumber: card.number, customerId: card.customerId, amount: value, ref },
      { customerId: card.customerId },
    );
    return { card: after, amount: value };
  }

  const refund = kernel.command({
    name: 'loyalty.stored-value.refund',
    input: cardRefundSchema,
    permission: 'sales.return',
    idempotency: 'required',
    moves: {
      gives: ['stored-value'],
      limits: ['refund'],
      measure: 'the amount credited back to the card',
      amount: (_ctx, input) => input.amount,
      approver: (input) => input.approvedBy,
    },
    async run(ctx, input): Promise<CardRefundResult> {
      const payment = await mustGet(ctx.tx, storedValuePaymentsCollection, input.paymentId, 'card payment', {
        path: ['paymentId'],
        reason: 'unknown_payment',
      });
      if (payment.status !== 'captured')
        throw cardRefusal('state', 'not_captured', `payment ${payment.id} is ${payment.status}: nothing was spent`, [
          'paymentId',
        ]);
      if (input.storeId) await requireStore(ctx, input.storeId);
      const out = (await refundInto(
        ctx,
        payment,
        input.amount,
        { type: 'card-refund', id: ctx.id('svr') },
        input.storeId ?? null,
        ['amount'],
      ))!;
      ctx.audit(
        { type: 'stored-value-card', id: out.card.number, customerId: out.card.customerId },
        { paymentId: payment.id, amount: input.amount },
      );
      return { card: toCard(out.card), amount: out.amount };
    },
  });

  /** Moves `value` from one card to another: two entries, one transaction. */
  async function move(
    ctx: LoyaltyContext,
    from: CardRow,
    to: CardRow,
    value: number,
    path: ReadonlyArray<string | number>,
    maxBalance?: number,
  ): Promise<{ from: CardRow; to: CardRow }> {
    const ref = { type: 'transfer', id: ctx.id('svx') };
    const out = await postCardEntry(ctx, from, {
      kind: 'transfer-out',
      amount: -value,
      ref,
      details: { to: to.number },
      path,
    });
    const into = await postCardEntry(ctx, to, {
      kind: 'transfer-in',
      amount: value,
      ref,
      details: { from: from.number },
      ...(maxBalance !== undefined ? { maxBalance } : {}),
      path,
    });
    await ctx.emit(
      'stored-value.transferred',
      { from: from.number, to: to.number, amount: value },
      { customerId: to.customerId ?? from.customerId },
    );
    return { from: out.card, to: into.card };
  }

  const transfer = kernel.command({
    name: 'loyalty.stored-value.transfer',
    input: transferSchema,
    permission: 'loyalty.stored-value.manage',
    idempotency: 'required',
    async run(ctx, input): Promise<TransferResult> {
      if (input.from === input.to) throw invalid(['to'], 'same_card', 'a card cannot pay into itself');
      const from = await loadCard(ctx.tx, input.from, ['from']);
      const to = await loadCard(ctx.tx, input.to, ['to']);
      const { product: toProduct } = await loadProduct(ctx.tx, to.productId, ['to']);
      for (const [card, path] of [
        [from, 'from'],
        [to, 'to'],
      ] as const) {
        if (card.status !== 'active')
          throw cardRefusal('state', card.status, `card ${card.number} is ${card.status}`, [path]);
        if (card.expiresAt !== null && card.expiresAt.getTime() <= ctx.now.getTime())
          throw cardRefusal('state', 'expired', `card ${card.number} has expired`, [path]);
      }
      if (from.customerId !== null && from.customerId !== to.customerId)
        throw cardRefusal(
          'input',
          'another_customer',
          `card ${to.number} does not belong to the owner of card ${from.number}`,
          ['to'],
        );
      const value = input.amount ?? from.available;
      if (value <= 0) throw new InsufficientFundsError(from.number, 1, from.available, { path: ['from'] });
      const moved = await move(ctx, from, to, value, ['amount'], toProduct.maxBalance);
      ctx.audit(
        { type: 'stored-value-card', id: from.number, customerId: from.customerId },
        { to: to.number, amount: value, reason: input.reason },
      );
      return { from: toCard(moved.from), to: toCard(moved.to), amount: value };
    },
  });

  /** Freezes a named card and cancels its open authorisations; an anonymous card cannot be recovered. */
  async function freeze(ctx: LoyaltyContext, card: CardRow, path: ReadonlyArray<string | number>): Promise<CardRow> {
    if (card.kind === 'anonymous') {
      throw cardRefusal(
        'state',
        'anonymous_card',
        `card ${card.number} is anonymous: its balance belongs to whoever holds it and cannot be moved to ` +
          `another card; only named cards are recovered`,
        path,
      );
    }
    if (card.status === 'frozen') return card;
    const frozen = await ctx.tx.consume(
      storedValueCardsCollection,
      card.number,
      { status: 'active' },
      { status: 'frozen' },
    );
    if (!frozen) throw cardRefusal('state', card.status, `card ${card.number} is ${card.status}`, path);
    let after: string | null = null;
    do {
      const page: { rows: CardPayment[]; next: string | null } = await ctx.tx.find(storedValuePaymentsCollection, {
        where: { cardNumber: card.number, status: 'authorized' },
        limit: 100,
        after,
      });
      for (const p of page.rows) await releaseInto(ctx, p, 'cancelled');
      after = page.next;
    } while (after);
    await ctx.emit(
      'stored-value.frozen',
      { cardNumber: card.number, customerId: card.customerId },
      { customerId: card.customerId },
    );
    return (await ctx.tx.get(storedValueCardsCollection, card.number))!;
  }

  const reportLost = kernel.command({
    name: 'loyalty.stored-value.report-lost',
    input: cardReasonSchema,
    permission: 'loyalty.stored-value.manage',
    idempotency: 'optional',
    async run(ctx, input): Promise<StoredValueCard> {
      const card = await loadCard(ctx.tx, input.cardNumber, ['cardNumber']);
      const frozen = await freeze(ctx, card, ['cardNumber']);
      ctx.audit({ type: 'stored-value-card', id: card.number, customerId: card.customerId }, { reason: input.reason });
      if (card.customerId)
        await ctx.addTimeline({
          customerId: card.customerId,
          source: 'loyalty',
          kind: 'stored-value-frozen',
          facts: { number: card.number },
          ref: { type: 'stored-value-card', id: card.number },
        });
      return toCard(frozen);
    },
  });

  const replace = kernel.command({
    name: 'loyalty.stored-value.replace',
    input: replaceStoredValueCardSchema,
    permission: 'loyalty.stored-value.manage',
    idempotency: 'required',
    async run(ctx, input): Promise<CardReplacement> {
      await requireStore(ctx, input.storeId);
      const old = await freeze(ctx, await loadCard(ctx.tx, input.cardNumber, ['cardNumber']), ['cardNumber']);
      const { product } = await loadProduct(ctx.tx, old.productId, ['cardNumber']);
      let number = input.number;
      if (number !== undefined) {
        if (await ctx.tx.get(storedValueCardsCollection, number))
          throw cardRefusal('state', 'already_sold', `card ${number} is already in use`, ['number']);
      } else {
        do number = generateCardNumber(product.prefix);
        while (await ctx.tx.get(storedValueCardsCollection, number));
      }
      // The new card keeps the old one's store (the liability stays where the money was paid), PIN and expiry.
      const fresh = await ctx.tx.insert(storedValueCardsCollection, {
        number,
        productId: old.productId,
        kind: old.kind,
        customerId: old.customerId,
        status: 'active',
        balance: 0,
        available: 0,
        storeId: old.storeId,
        pinHash: old.pinHash,
        pinFailures: 0,
        lockedAt: null,
        activatedAt: ctx.now,
        expiresAt: old.expiresAt,
        replacedBy: null,
        replaces: old.number,
        lastSeq: 0,
      });
      const value = old.balance;
      let moved = { from: old, to: fresh };
      if (value > 0) moved = await move(ctx, old, fresh, value, ['cardNumber']);
      const retired = await ctx.tx.consume(
        storedValueCardsCollection,
        old.number,
        { status: 'frozen' },
        { status: 'replaced', replacedBy: number },
      );
      ctx.audit(
        { type: 'stored-value-card', id: old.number, customerId: old.customerId },
        { replacedBy: number, moved: value, reason: input.reason },
      );
      if (old.customerId)
        await ctx.addTimeline({
          customerId: old.customerId,
          source: 'loyalty',
          kind: 'stored-value-replaced',
          facts: { oldNumber: old.number, number, amount: value, currency: kernel.currency },
          storeId: input.storeId,
          ref: { type: 'stored-value-card', id: number },
        });
      await ctx.emit(
        'stored-value.replaced',
        { oldNumber: old.number, newNumber: number, customerId: old.customerId, amount: value },
        { customerId: old.customerId },
      );
      return { old: toCard(retired ?? moved.from), card: toCard(moved.to), moved: value };
    },
  });

  const unlock = kernel.command({
    name: 'loyalty.stored-value.unlock',
    input: cardReasonSchema,
    permission: 'loyalty.stored-value.unlock',
    idempotency: 'optional',
    async run(ctx, input): Promise<StoredValueCard> {
      const card = await loadCard(ctx.tx, input.cardNumber, ['cardNumber']);
      await ctx.tx.update(storedValueCardsCollection, card.number, { lockedAt: null, pinFailures: 0 });
      ctx.audit(
        { type: 'stored-value-card', id: card.number, customerId: card.customerId },
        { reason: input.reason, wasLocked: card.lockedAt !== null },
      );
      if (card.lockedAt !== null)
        await ctx.emit(
          'stored-value.unlocked',
          { cardNumber: card.number, customerId: card.customerId },
          { customerId: card.customerId },
        );
      return toCard((await ctx.tx.get(storedValueCardsCollection, card.number))!);
    },
  });

  const setPinCommand = kernel.command({
    name: 'loyalty.stored-value.set-pin',
    input: z.object({ cardNumber: cardNumberSchema, pinHash: z.string().min(1).max(300) }).strict(),
    permission: 'loyalty.stored-value.manage',
    idempotency: 'required',
    async run(ctx, input): Promise<StoredValueCard> {
      const card = await loadCard(ctx.tx, input.cardNumber, ['cardNumber']);
      const { product } = await loadProduct(ctx.tx, card.productId, ['cardNumber']);
      if (product.pin === 'none')
        throw cardRefusal('input', 'no_pin', `product ${product.id} cards have no PIN`, ['pin']);
      await ctx.tx.update(storedValueCardsCollection, card.number, { pinHash: input.pinHash, pinFailures: 0 });
      ctx.audit({ type: 'stored-value-card', id: card.number, customerId: card.customerId }, { pinChanged: true });
      return toCard((await ctx.tx.get(storedValueCardsCollection, card.number))!);
    },
  });

  /** Sets a card's PIN at the service desk (the card stays locked if it was: unlocking is separate). */
  async function setPin(input: SetPinInput, options: CommandOptions): Promise<StoredValueCard> {
    const q = parseInput(setPinSchema, input);
    needKey('loyalty.stored-value.set-pin', options);
    const pinHash = await hashPin(q.pin, {
      iterations: settings.pinIterations,
      salt: await saltFrom(`set-pin\u0000${q.cardNumber}\u0000${options.idempotencyKey}`),
    });
    return setPinCommand({ cardNumber: q.cardNumber, pinHash }, options);
  }

  /** Expires authorisations and cards past their time (for `runDue`). */
  async function expireDue(
    ctx: LoyaltyContext,
    payments: readonly string[],
    cards: readonly string[],
    at: Date,
  ): Promise<{ authorizations: number; cards: number }> {
    let a = 0;
    for (const id of payments) {
      const p = await ctx.tx.get(storedValuePaymentsCollection, id);
      if (p && (await releaseInto(ctx, p, 'expired', at))) a++;
    }
    let c = 0;
    for (const number of cards) {
      const card = await ctx.tx.consume(
        storedValueCardsCollection,
        number,
        { status: 'active', expiresAt: { lte: at } },
        { status: 'expired' },
      );
      if (!card) continue;
      c++;
      await ctx.emit(
        'stored-value.expired',
        { cardNumber: number, customerId: card.customerId, balance: card.balance },
        { customerId: card.customerId },
      );
    }
    return { authorizations: a, cards: c };
  }

  // Queries: none of them writes.

  async function card(cardNumber: string): Promise<StoredValueCard> {
    const n = parseInput(cardNumberSchema, cardNumber, ['cardNumber']);
    return toCard(await loadCard(store, n, ['cardNumber']));
  }

  async function statement(cardNumber: string, options: PageInput = {}): Promise<CardStatement> {
    const n = parseInput(cardNumberSchema, cardNumber, ['cardNumber']);
    const q = parseInput(cardStatementSchema, options);
    const row = await loadCard(store, n, ['cardNumber']);
    const page = await store.find(storedValueEntriesCollection, {
      where: { cardNumber: n },
      orderBy: [{ field: 'seq' }],
      limit: q.limit,
      after: q.after ?? null,
    });
    return { card: toCard(row), entries: page.rows, next: page.next };
  }

  async function ofCustomer(customerId: string): Promise<StoredValueCard[]> {
    const id = parseInput(idSchema, customerId, ['customerId']);
    return (await store.find(storedValueCardsCollection, { where: { customerId: id }, limit: 1000 })).rows.map(toCard);
  }

  async function product(productId: string): Promise<CardProductRecord> {
    const id = parseInput(codeSchema, productId, ['productId']);
    const row = await mustGet(store, storedValueProductsCollection, id, 'stored-value product', {
      path: ['productId'],
    });
    return {
      ...(row.config as unknown as CardProduct),
      status: row.status as 'active' | 'retired',
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  }

  /** Whether a card number is well formed, for a till's input field (the Luhn check digit). */
  const isCardNumber = (number: string): boolean => isValidCardNumber(number);

  const api: Omit<StoredValueApi, 'liability' | 'refundSale' | 'allowances'> = {
    defineProduct,
    product,
    sell,
    topUp,
    authorize,
    capture,
    cancelAuthorization,
    spend,
    refund,
    transfer,
    reportLost,
    replace,
    unlock,
    setPin,
    card: kernel.query({
      name: 'loyalty.storedValue.card',
      permission: READ,
      reads: (c) => [c.customerId],
      run: card,
    }),
    statement: kernel.query({
      name: 'loyalty.storedValue.statement',
      permission: READ,
      reads: (s) => [s.card.customerId],
      run: statement,
    }),
    ofCustomer: kernel.query({
      name: 'loyalty.storedValue.ofCustomer',
      permission: READ,
      reads: (_cards, [customerId]) => [customerId],
      run: ofCustomer,
    }),
    isCardNumber,
  };
  return { api, expireDue, authorizeInto, captureInto, refundInto };
}

/** The stored-value service's internals. */
export type StoredValueService = ReturnType<typeof createStoredValueService>;
