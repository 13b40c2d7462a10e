/**
 * What a till keeps in its own store (a SQLite file on a Node till, PGlite in a browser): the
 * operation log, the cache of what it needs offline, and the reconciliation list. Declared as
 * Clientele collections, so any store adapter keeps them.
 */
import { defineCollection, field, nullable, type Migration } from '@clientele/core/module';

/** One sale the till rang up, keyed by its sequence number on this terminal. */
export const opsCollection = defineCollection({
  name: 'till_ops',
  primaryKey: 'id',
  fields: {
    /** The sequence number as sortable text (`000000000042`). */
    id: field.string(),
    seq: field.integer(),
    /** `queued` (to send), `recorded` (central has it), `refused` (central refused it) or `cancelled`. */
    status: field.string(),
    /** The sale as central records it, without the points payment. */
    sale: field.json<Record<string, unknown>>(),
    /** Points the member spends on it (0: none). */
    points: field.integer(),
    /** Where the points come from: `balance` (a hold made online) or `allowance` (drawn from one). */
    pointsSource: nullable(field.string()),
    allowanceId: nullable(field.string()),
    /** The hold the sale's points payment names, once central made it. */
    holdId: nullable(field.string()),
    holdValue: nullable(field.integer()),
    /** Whether it was rung up while central could not be reached. */
    offline: field.boolean(),
    /** Points promised on the receipt (the till's quote), `null` without a member or a program. */
    quotedPoints: nullable(field.integer()),
    createdAt: field.timestamp(),
    doneAt: nullable(field.timestamp()),
    purchaseId: nullable(field.string()),
    /** Times it was sent. */
    attempts: field.integer(),
  },
  indexes: [{ name: 'till_ops_status_seq', fields: ['status', 'seq'] }],
  plain: ['id', 'status', 'pointsSource', 'allowanceId', 'holdId', 'purchaseId'],
  scrub: ['sale'],
});

/** Cached data: the program, templates, the store's calendar, each member seen, each allowance. */
export const cacheCollection = defineCollection({
  name: 'till_cache',
  primaryKey: 'key',
  fields: {
    /** `program`, `templates`, `calendar`, `member:<card>`, `allowance:<customer>`. */
    key: field.string(),
    value: field.json(),
    fetchedAt: field.timestamp(),
  },
  indexes: [],
  plain: ['key'],
  scrub: ['value'],
});

/** Offline sales central refused on replay, for a person to settle. */
export const reconciliationCollection = defineCollection({
  name: 'till_reconciliation',
  primaryKey: 'id',
  fields: {
    /** The operation's id. */
    id: field.string(),
    seq: field.integer(),
    /** The refusal's code (`INVALID_STATE`, `NOT_FOUND`, ...). */
    code: field.string(),
    /** Its reason where it gives one (`blocked`, `expired`, `exceeds_allowance`, ...). */
    reason: nullable(field.string()),
    message: field.string(),
    /** The sale as the till recorded it, with what it promised. */
    event: field.json<Record<string, unknown>>(),
    createdAt: field.timestamp(),
    settledAt: nullable(field.timestamp()),
    settledBy: nullable(field.string()),
    note: nullable(field.string()),
  },
  indexes: [{ name: 'till_reconciliation_seq', fields: ['seq'] }],
  plain: ['id', 'code', 'reason'],
  scrub: ['message', 'event', 'note'],
});

/** Counters: the last sequence number given, grants made. */
export const countersCollection = defineCollection({
  name: 'till_counters',
  primaryKey: 'name',
  fields: { name: field.string(), value: field.integer() },
  indexes: [],
  plain: ['name'],
});

/** The till store's migrations. */
export const tillMigrations: readonly Migration[] = [
  {
    id: 'till/0001-initial',
    steps: [opsCollection, cacheCollection, reconciliationCollection, countersCollection].map((collection) => ({
      op: 'createCollection' as const,
      collection,
    })),
  },
];

/** The id of the operation with sequence number `seq`: sortable text. */
export const opId = (seq: number): string => String(seq).padStart(12, '0');
