/**
 * What the loyalty module stores. The ledger is append-only (`loyalty_entries`); lots and their moves
 * carry expiry and liability per store; the account row caches the balances each entry changes, in
 * the same transaction, so a guarded increment can stop two terminals spending the same points.
 */
import { defineCollection, field, nullable, type JsonValue } from '@clientele/core/module';
import { awardContextEraser } from './award-erasure.js';

/** One row per member: cached balances (always equal to the sums of the entries), tier, entry counter. */
export const accountsCollection = defineCollection({
  name: 'loyalty_accounts',
  primaryKey: 'customerId',
  versioned: true,
  fields: {
    customerId: field.string(),
    /** Sum of the entries' `points`: available points (negative after a clawback of spent points). */
    balance: field.integer(),
    /** Sum of the entries' `pendingPoints`: points waiting for the return window to pass. */
    pending: field.integer(),
    /** `balance` less the points held for checkouts in progress: what may still be reserved or spent. */
    spendable: field.integer(),
    /** Entries written so far (the last entry's `seq`). */
    lastSeq: field.integer(),
    tier: nullable(field.string()),
    tierSince: nullable(field.timestamp()),
    /** When the tier may next move down. */
    tierReviewAt: nullable(field.timestamp()),
    createdAt: field.timestamp(),
    updatedAt: field.timestamp(),
  },
  indexes: [{ name: 'loyalty_accounts_review', fields: ['tierReviewAt'] }],
  customerKey: 'customerId',
  plain: ['tier'],
});

/** Kinds of ledger entry. */
export const ENTRY_KINDS = [
  'earn',
  'pending-release',
  'redeem',
  'expire',
  'clawback',
  'restore',
  'adjustment',
  'goodwill',
  'transfer',
  'opening',
] as const;
/** A kind of ledger entry. */
export type EntryKind = (typeof ENTRY_KINDS)[number];

/** The points ledger: append-only; a member's entries are numbered 1, 2, 3, ... (`seq`). */
export const entriesCollection = defineCollection({
  name: 'loyalty_entries',
  primaryKey: 'id',
  fields: {
    id: field.string(),
    customerId: field.string(),
    seq: field.integer(),
    at: field.timestamp(),
    kind: field.string(),
    /** Change to the available balance. */
    points: field.integer(),
    /** Change to the pending balance. */
    pendingPoints: field.integer(),
    /** Money value of the points moved, at the program's rate (minor units, signed like the points). */
    value: field.integer(),
    balanceAfter: field.integer(),
    pendingAfter: field.integer(),
    storeId: nullable(field.string()),
    refType: nullable(field.string()),
    refId: nullable(field.string()),
    reason: nullable(field.string()),
    actor: field.json<JsonValue>(),
    /** Lots touched (`[{ lotId, points }]`), shortfalls, and other facts of the entry. */
    details: field.json<JsonValue>(),
  },
  indexes: [
    { name: 'loyalty_entries_customer_seq', fields: ['customerId', 'seq'], unique: true },
    { name: 'loyalty_entries_ref', fields: ['refType', 'refId'] },
    { name: 'loyalty_entries_kind_at', fields: ['kind', 'at'] },
  ],
  customerKey: 'customerId',
  // A reason is staff's free text ("goodwill, called 139-8765-4321"); details hold lot ids and facts.
  scrub: ['reason', 'details'],
  plain: ['kind', 'storeId', 'refType', 'refId', 'actor'],
});

/** Lots: points from one earning, with their expiry, consumed oldest first. */
export const lotsCollection = defineCollection({
  name: 'loyalty_lots',
  primaryKey: 'id',
  versioned: true,
  fields: {
    id: field.string(),
    customerId: field.string(),
    /** The store whose liability the points are (null: chain-wide, e.g. goodwill from head office). */
    storeId: nullable(field.string()),
    earnedAt: field.timestamp(),
    /** Local last day the points can be used (`YYYY-MM-DD`), null when they never expire. */
    lastDay: nullable(field.string()),
    expiresAt: nullable(field.timestamp()),
    /** When pending points become available (null once available). */
    releaseAt: nullable(field.timestamp()),
    points: field.integer(),
    remaining: field.integer(),
    /** `pending`, `available`, or `closed` (nothing left). */
    status: field.string(),
    /** The entry that created it. */
    entryId: field.string(),
    /** When the member was warned it is about to expire. */
    warnedAt: nullable(field.timestamp()),
  },
  indexes: [
    { name: 'loyalty_lots_customer', fields: ['customerId', 'status', 'earnedAt'] },
    { name: 'loyalty_lots_expiry', fields: ['status', 'expiresAt'] },
    { name: 'loyalty_lots_release', fields: ['status', 'releaseAt'] },
  ],
  customerKey: 'customerId',
  plain: ['storeId', 'lastDay', 'status', 'entryId'],
});

/** Every change to a lot's remaining points, with the lot's store: what liability by store sums. */
export const lotMovesCollection = defineCollection({
  name: 'loyalty_lot_moves',
  primaryKey: 'id',
  fields: {
    id: field.string(),
    lotId: field.string(),
    customerId: field.string(),
    storeId: nullable(field.string()),
    at: field.timestamp(),
    /** Change to the lot's available points. */
    points: field.integer(),
    /** Change to the lot's pending points. */
    pendingPoints: field.integer(),
    entryId: field.string(),
  },
  indexes: [
    { name: 'loyalty_lot_moves_store_at', fields: ['storeId', 'at'] },
    { name: 'loyalty_lot_moves_lot', fields: ['lotId'] },
  ],
  customerKey: 'customerId',
  plain: ['lotId', 'storeId', 'entryId'],
});

/** Holds: points reserved at a till between showing the total and taking payment. */
export const holdsCollection = defineCollection({
  name: 'loyalty_holds',
  primaryKey: 'id',
  versioned: true,
  fields: {
    id: field.string(),
    customerId: field.string(),
    points: field.integer(),
    /** Money value of the points (what the sale's points payment must be). */
    value: field.integer(),
    /** `active`, `committed`, `cancelled` or `expired`. */
    status: field.string(),
    storeId: field.string(),
    terminalId: field.string(),
    createdAt: field.timestamp(),
    expiresAt: field.timestamp(),
    closedAt: nullable(field.timestamp()),
    purchaseId: nullable(field.string()),
    entryId: nullable(field.string()),
  },
  indexes: [
    { name: 'loyalty_holds_status_expires', fields: ['status', 'expiresAt'] },
    { name: 'loyalty_holds_customer', fields: ['customerId', 'status'] },
  ],
  customerKey: 'customerId',
  plain: ['status', 'storeId', 'terminalId', 'purchaseId', 'entryId'],
});

/** What a sale earned and spent, kept so returns can be worked out again exactly. */
export const awardsCollection = defineCollection({
  name: 'loyalty_awards',
  primaryKey: 'purchaseId',
  versioned: true,
  fields: {
    purchaseId: field.string(),
    customerId: field.string(),
    storeId: field.string(),
    occurredAt: field.timestamp(),
    /** Version of the program that earned it (`loyalty_programs`). */
    programVersion: field.string(),
    /** The lines as quoted, with the quantity returned so far (thousandths). */
    lines: field.json<JsonValue>(),
    /** The quote context as it was at the sale (tier, segments, counters). */
    context: field.json<JsonValue>(),
    total: field.integer(),
    /** Paid by vouchers in all (minor units). */
    vouchers: field.integer(),
    /**
     * Each voucher that paid, with the positions of the lines it covers (`[{ amount, lines }]`, lines
     * null for the whole sale); null for a sale without vouchers or one recorded before they were kept.
     */
    voucherScopes: nullable(field.json<JsonValue>()),
    /** Points the sale earned, net of clawbacks so far. */
    points: field.integer(),
    /** Points the sale first earned. */
    earned: field.integer(),
    /** What the sale added to each cap and budget counter, net of returns. */
    counters: field.json<Record<string, number>>(),
    lotId: nullable(field.string()),
    /** Points that paid for the sale (committed holds), and how many have come back with returns. */
    redeemed: field.integer(),
    restored: field.integer(),
    /** Refunded so far (minor units). */
    refunded: field.integer(),
    /** Return ids already handled (a second delivery of the same return changes nothing). */
    returns: field.json<string[]>(),
    status: field.string(),
  },
  indexes: [{ name: 'loyalty_awards_customer', fields: ['customerId', 'occurredAt'] }],
  customerKey: 'customerId',
  // The context holds the member's birth date and tags; a return replays it, so it is rewritten to
  // what the rules read rather than cleared (see award-erasure.ts).
  scrub: ['context'],
  erase: { context: awardContextEraser(() => programsCollection) },
  plain: ['storeId', 'programVersion', 'lines', 'voucherScopes', 'counters', 'lotId', 'returns', 'status'],
});

/** Points counted against caps, budgets and usage limits, by key. */
export const countersCollection = defineCollection({
  name: 'loyalty_counters',
  primaryKey: 'key',
  fields: {
    key: field.string(),
    customerId: nullable(field.string()),
    value: field.integer(),
  },
  indexes: [{ name: 'loyalty_counters_customer', fields: ['customerId'] }],
  customerKey: 'customerId',
  plain: ['key'],
});

/** Tier progress: points and net spend per member per month (program time zone). */
export const tierActivityCollection = defineCollection({
  name: 'loyalty_tier_activity',
  primaryKey: 'id',
  fields: {
    id: field.string(),
    customerId: field.string(),
    /** `YYYY-MM`. */
    month: field.string(),
    points: field.integer(),
    spend: field.integer(),
  },
  indexes: [{ name: 'loyalty_tier_activity_customer_month', fields: ['customerId', 'month'], unique: true }],
  customerKey: 'customerId',
  plain: ['month'],
});

/** Every version of the program that earned points, so a return is worked out with the rules of its sale. */
export const programsCollection = defineCollection({
  name: 'loyalty_programs',
  primaryKey: 'id',
  fields: {
    /** The version (a fingerprint of the configuration). */
    id: field.string(),
    programId: field.string(),
    config: field.json<JsonValue>(),
    createdAt: field.timestamp(),
  },
  indexes: [],
  plain: ['programId', 'config'],
});

/** Voucher templates: the terms a back office defines; each voucher keeps a copy of them from its issue. */
export const voucherTemplatesCollection = defineCollection({
  name: 'loyalty_voucher_templates',
  primaryKey: 'id',
  versioned: true,
  fields: {
    id: field.string(),
    name: field.string(),
    /** The template as defined (validated), defaults filled in. */
    config: field.json<JsonValue>(),
    /** `active` or `retired` (no more issues; issued vouchers stay good). */
    status: field.string(),
    createdAt: field.timestamp(),
    updatedAt: field.timestamp(),
  },
  indexes: [{ name: 'loyalty_voucher_templates_status', fields: ['status'] }],
  plain: ['name', 'config', 'status'],
});

/**
 * Vouchers. The row caches the state its entries lead to (written in the same transaction as each
 * entry); single use is a guarded `consume` on `status` and `lastSeq`, so of racing tills one wins.
 */
export const vouchersCollection = defineCollection({
  name: 'loyalty_vouchers',
  primaryKey: 'id',
  fields: {
    id: field.string(),
    /** The code without separators (13 random base-32 characters and a check character). */
    code: field.string(),
    templateId: field.string(),
    /** The owner; null for a bearer voucher (a printed campaign voucher). */
    customerId: nullable(field.string()),
    /** `active`, `held`, `redeemed`, `expired` or `cancelled`. */
    status: field.string(),
    /**
     * The terms copied from the template at issue (value, minimum spend, categories, stores, stacking, return rule).
     */
    terms: field.json<JsonValue>(),
    /** Most the voucher can take off a sale (the face value, or a percentage voucher's maximum). */
    faceValue: field.integer(),
    validFrom: field.timestamp(),
    validUntil: field.timestamp(),
    /** `conversion`, `campaign`, `service-recovery` or `manual`. */
    source: field.string(),
    refType: nullable(field.string()),
    refId: nullable(field.string()),
    issuedAt: field.timestamp(),
    storeId: nullable(field.string()),
    holdId: nullable(field.string()),
    heldUntil: nullable(field.timestamp()),
    heldStoreId: nullable(field.string()),
    heldTerminalId: nullable(field.string()),
    /** The sale that redeemed it, and what it took off. */
    purchaseId: nullable(field.string()),
    discount: field.integer(),
    /** Part of `discount` charged back against refunds of returned goods. */
    chargedBack: field.integer(),
    /** Entries written so far (the last entry's `seq`). */
    lastSeq: field.integer(),
    updatedAt: field.timestamp(),
  },
  indexes: [
    { name: 'loyalty_vouchers_code', fields: ['code'], unique: true },
    { name: 'loyalty_vouchers_customer', fields: ['customerId', 'status'] },
    { name: 'loyalty_vouchers_template_customer', fields: ['templateId', 'customerId', 'issuedAt'] },
    { name: 'loyalty_vouchers_status_valid', fields: ['status', 'validUntil'] },
    { name: 'loyalty_vouchers_status_held', fields: ['status', 'heldUntil'] },
    { name: 'loyalty_vouchers_purchase', fields: ['purchaseId'] },
  ],
  customerKey: 'customerId',
  plain: [
    'code',
    'templateId',
    'status',
    'terms',
    'source',
    'refType',
    'refId',
    'storeId',
    'holdId',
    'heldStoreId',
    'heldTerminalId',
    'purchaseId',
  ],
});

/** Kinds of voucher entry. */
export const VOUCHER_ENTRY_KINDS = [
  'issued',
  'held',
  'released',
  'redeemed',
  'restored',
  'charged-back',
  'expired',
  'cancelled',
] as const;
/** A kind of voucher entry. */
export type VoucherEntryKind = (typeof VOUCHER_ENTRY_KINDS)[number];

/** Every change of a voucher, appended; a voucher's state is derived from its entries. */
export const voucherEntriesCollection = defineCollection({
  name: 'loyalty_voucher_entries',
  primaryKey: 'id',
  fields: {
    id: field.string(),
    voucherId: field.string(),
    seq: field.integer(),
    at: field.timestamp(),
    kind: field.string(),
    /** The voucher's status after the entry. */
    status: field.string(),
    /** Money the entry moved: the discount redeemed, restored or charged back (minor units). */
    amount: field.integer(),
    customerId: nullable(field.string()),
    storeId: nullable(field.string()),
    refType: nullable(field.string()),
    refId: nullable(field.string()),
    actor: field.json<JsonValue>(),
    details: field.json<JsonValue>(),
  },
  indexes: [
    { name: 'loyalty_voucher_entries_voucher_seq', fields: ['voucherId', 'seq'], unique: true },
    { name: 'loyalty_voucher_entries_ref', fields: ['refType', 'refId'] },
  ],
  customerKey: 'customerId',
  // An issue's reason is free text that may name the customer.
  scrub: ['details'],
  plain: ['voucherId', 'kind', 'status', 'storeId', 'refType', 'refId', 'actor'],
});

/** Stored-value card products: anonymous or named, values, top-up bonuses, accepting stores, PIN, expiry. */
export const storedValueProductsCollection = defineCollection({
  name: 'loyalty_sv_products',
  primaryKey: 'id',
  versioned: true,
  fields: {
    id: field.string(),
    name: field.string(),
    config: field.json<JsonValue>(),
    /** `active` or `retired` (no more sales; cards sold stay good). */
    status: field.string(),
    createdAt: field.timestamp(),
    updatedAt: field.timestamp(),
  },
  indexes: [],
  plain: ['name', 'config', 'status'],
});

/**
 * Stored-value cards. `balance` is the sum of the card's entries and `available` is `balance` less
 * open authorisations: each entry moves both in one conditional write in its own transaction, and an
 * authorisation moves `available` with a guarded increment, so racing terminals can never take a card
 * below zero.
 */
export const storedValueCardsCollection = defineCollection({
  name: 'loyalty_sv_cards',
  primaryKey: 'number',
  fields: {
    number: field.string(),
    productId: field.string(),
    /** `anonymous` or `named`. */
    kind: field.string(),
    customerId: nullable(field.string()),
    /** `active`, `frozen` (reported lost), `replaced`, `expired`, `closed` (its sale was refunded). */
    status: field.string(),
    balance: field.integer(),
    available: field.integer(),
    /** The store that sold it: its books hold the liability. */
    storeId: field.string(),
    /** `pbkdf2-sha256$iterations$salt$hash`; never the PIN itself. */
    pinHash: nullable(field.string()),
    pinFailures: field.integer(),
    lockedAt: nullable(field.timestamp()),
    activatedAt: field.timestamp(),
    expiresAt: nullable(field.timestamp()),
    replacedBy: nullable(field.string()),
    replaces: nullable(field.string()),
    lastSeq: field.integer(),
  },
  indexes: [
    { name: 'loyalty_sv_cards_customer', fields: ['customerId'] },
    { name: 'loyalty_sv_cards_status_expires', fields: ['status', 'expiresAt'] },
  ],
  customerKey: 'customerId',
  // The PIN's hash belongs to the card, which stays usable by whoever holds it.
  plain: ['productId', 'kind', 'status', 'storeId', 'pinHash', 'replacedBy', 'replaces'],
});

/** Kinds of stored-value entry. */
export const STORED_VALUE_ENTRY_KINDS = [
  'load',
  'top-up',
  'bonus',
  'spend',
  'refund',
  'transfer-out',
  'transfer-in',
  'cash-out',
  'forfeit',
  /** A balance carried over from the old system by `crm.loyalty.imports.storedValue`. */
  'opening',
] as const;
/** A kind of stored-value entry. */
export type StoredValueEntryKind = (typeof STORED_VALUE_ENTRY_KINDS)[number];

/** Every movement of a card's money, appended; the balance is their sum. */
export const storedValueEntriesCollection = defineCollection({
  name: 'loyalty_sv_entries',
  primaryKey: 'id',
  fields: {
    id: field.string(),
    cardNumber: field.string(),
    seq: field.integer(),
    at: field.timestamp(),
    kind: field.string(),
    /** Signed minor units. */
    amount: field.integer(),
    balanceAfter: field.integer(),
    productId: field.string(),
    /** The store that sold the card (whose liability moves). */
    issuerStoreId: field.string(),
    /** Where the movement happened (null: head office). */
    storeId: nullable(field.string()),
    customerId: nullable(field.string()),
    paymentId: nullable(field.string()),
    refType: nullable(field.string()),
    refId: nullable(field.string()),
    actor: field.json<JsonValue>(),
    details: field.json<JsonValue>(),
  },
  indexes: [
    { name: 'loyalty_sv_entries_card_seq', fields: ['cardNumber', 'seq'], unique: true },
    { name: 'loyalty_sv_entries_at', fields: ['at'] },
    { name: 'loyalty_sv_entries_ref', fields: ['refType', 'refId'] },
  ],
  customerKey: 'customerId',
  scrub: ['details'],
  plain: ['cardNumber', 'kind', 'productId', 'issuerStoreId', 'storeId', 'paymentId', 'refType', 'refId', 'actor'],
});

/**
 * Card payments: an authorisation (a hold with a time limit) and what was captured and refunded of
 * it. A spend without a hold is a payment captured at once. Refunds never pass what was captured.
 */
export const storedValuePaymentsCollection = defineCollection({
  name: 'loyalty_sv_payments',
  primaryKey: 'id',
  fields: {
    id: field.string(),
    cardNumber: field.string(),
    customerId: nullable(field.string()),
    /** `authorized`, `captured`, `cancelled` or `expired`. */
    status: field.string(),
    /** Amount authorised. */
    amount: field.integer(),
    captured: field.integer(),
    refunded: field.integer(),
    storeId: field.string(),
    terminalId: nullable(field.string()),
    createdAt: field.timestamp(),
    expiresAt: nullable(field.timestamp()),
    closedAt: nullable(field.timestamp()),
    purchaseId: nullable(field.string()),
    refType: nullable(field.string()),
    refId: nullable(field.string()),
  },
  indexes: [
    { name: 'loyalty_sv_payments_status_expires', fields: ['status', 'expiresAt'] },
    { name: 'loyalty_sv_payments_card', fields: ['cardNumber', 'status'] },
    { name: 'loyalty_sv_payments_purchase', fields: ['purchaseId'] },
  ],
  customerKey: 'customerId',
  plain: ['cardNumber', 'status', 'storeId', 'terminalId', 'purchaseId', 'refType', 'refId'],
});

/**
 * Reward claim states: `held` (points reserved), `committed` (a sale paid with it), `cancelled`,
 * `expired`, `reversed`.
 */
export const REWARD_CLAIM_STATUSES = ['held', 'committed', 'cancelled', 'expired', 'reversed'] as const;

/**
 * Claims of product rewards: points reserved at a till for free goods, spent by the sale that pays
 * with the claim (a payment of the reward method whose reference is the claim id), and given back unit
 * by unit when the goods the claim rests on come back.
 */
export const rewardClaimsCollection = defineCollection({
  name: 'loyalty_reward_claims',
  primaryKey: 'id',
  versioned: true,
  fields: {
    id: field.string(),
    customerId: field.string(),
    /** The program's reward. */
    rewardId: field.string(),
    /** Units claimed free. */
    units: field.integer(),
    /** Points the units cost. */
    points: field.integer(),
    /** What the free units are worth (minor units): the sale's reward payment. */
    value: field.integer(),
    /** `held`, `committed`, `cancelled`, `expired` or `reversed` (every unit given back). */
    status: field.string(),
    storeId: field.string(),
    terminalId: field.string(),
    createdAt: field.timestamp(),
    expiresAt: field.timestamp(),
    closedAt: nullable(field.timestamp()),
    /** The sale that paid with it, and the ledger entry that spent its points. */
    purchaseId: nullable(field.string()),
    entryId: nullable(field.string()),
    /** Units given back since (returns, a void, a reversal by hand), and the points that came back. */
    reversedUnits: field.integer(),
    restoredPoints: field.integer(),
    /** The free units by sale line, once committed: `[{ lineNo, units, value }]`. */
    free: field.json<JsonValue>(),
    /** The reward as the program declared it when claimed (a return works the claim out by these terms). */
    terms: field.json<JsonValue>(),
  },
  indexes: [
    { name: 'loyalty_reward_claims_status_expires', fields: ['status', 'expiresAt'] },
    { name: 'loyalty_reward_claims_purchase', fields: ['purchaseId'] },
    { name: 'loyalty_reward_claims_customer', fields: ['customerId', 'status'] },
  ],
  customerKey: 'customerId',
  plain: ['rewardId', 'status', 'storeId', 'terminalId', 'purchaseId', 'entryId', 'free', 'terms'],
});

/** The points collections (the module's first migration). */
export const pointsCollections = [
  accountsCollection,
  entriesCollection,
  lotsCollection,
  lotMovesCollection,
  holdsCollection,
  awardsCollection,
  countersCollection,
  tierActivityCollection,
  programsCollection,
] as const;

/** The voucher collections. */
export const voucherCollections = [voucherTemplatesCollection, vouchersCollection, voucherEntriesCollection] as const;

/** The stored-value collections. */
export const storedValueCollections = [
  storedValueProductsCollection,
  storedValueCardsCollection,
  storedValueEntriesCollection,
  storedValuePaymentsCollection,
] as const;

/** The product reward collections. */
export const rewardCollections = [rewardClaimsCollection] as const;

/** Every collection of the module. */
export const loyaltyCollections = [
  ...pointsCollections,
  ...voucherCollections,
  ...storedValueCollections,
  ...rewardCollections,
] as const;
