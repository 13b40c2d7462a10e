/**
 * The one way to build a {@link Store}: an adapter hands over its base operations and the push-downs
 * it runs natively, and gets a store (and transaction sessions) on which every optional operation
 * exists, answered by core's fallback wherever the adapter has no push-down.
 */
import { aggregateByScan, checkAggregate, insertManyByInserts } from './bulk.js';
import {
  checkConditionalWrites,
  checkDistinct,
  consumeManyByConsumes,
  deleteManyByDeletes,
} from './conditional-writes.js';
import { checkLink, getLinkedByReads } from './linked-get.js';
import type {
  AggregateQuery,
  Migration,
  MigrationResult,
  Store,
  StoreCapabilities,
  StoreSession,
  TransactionSession,
} from './port.js';

/** The operations every adapter writes itself: the port's data operations that have no fallback. */
export type BaseOperations = Pick<
  StoreSession,
  'insert' | 'get' | 'getBy' | 'find' | 'count' | 'update' | 'delete' | 'increment' | 'consume'
>;

/** The optional operations: each one has a fallback in core built on the base operations. */
export type OptionalOperation = 'aggregate' | 'getLinked' | 'consumeMany' | 'deleteMany' | 'insertMany';

/**
 * The optional operations an adapter runs natively (in SQL: one statement, or a few, instead of
 * many). Each must give exactly what core's fallback gives (`@clientele/testkit` checks it); the
 * factory checks the input before calling it, so a push-down receives only valid, non-empty input.
 */
export type PushDowns = Partial<Pick<StoreSession, OptionalOperation>>;

/**
 * What the adapter says about its database; the push-down flags of {@link StoreCapabilities} follow from its {@link
 * PushDowns}.
 */
export type StoreTraits = Pick<
  StoreCapabilities,
  'multiProcess' | 'jsonColumns' | 'migrationLock' | 'aggregatePaging' | 'aggregateSeries' | 'server'
>;

/**
 * The session an adapter's `transaction` hands to the factory: its base operations and, for each push-down of the
 * store, the same push-down on the transaction.
 */
export type AdapterSession = BaseOperations & PushDowns;

/** Everything of a store except its optional operations, as the adapter writes it. */
export interface StoreBase extends BaseOperations {
  /** Short name for logs (`sqlite`, `postgres`, `memory`). */
  readonly kind: string;
  /** What the database can do, apart from the push-downs. */
  readonly traits: StoreTraits;
  /**
   * Runs `fn` in one transaction with a session of the adapter's (see {@link Store.transaction} for
   * the promise). The factory turns that session into a full one: optional operations, and a
   * `transaction` that joins the running one.
   */
  transaction<T>(fn: (session: AdapterSession) => Promise<T>): Promise<T>;
  /** As {@link Store.migrate}; a SQL adapter calls `runMigrations` from `@clientele/sql`. */
  migrate(migrations: readonly Migration[]): Promise<MigrationResult>;
  /** As {@link Store.afterErasure}. */
  afterErasure?(): Promise<void>;
  /** As {@link Store.close}. */
  close(): Promise<void>;
}

const OPTIONAL: readonly OptionalOperation[] = ['aggregate', 'getLinked', 'consumeMany', 'deleteMany', 'insertMany'];

/**
 * Builds a store from an adapter's base operations and its push-downs. Every optional operation
 * (`aggregate`, `getLinked`, `consumeMany`, `deleteMany`, `insertMany`) exists on the store and on
 * every transaction session: the push-down where the adapter gives one (on a transaction, the adapter
 * session's method of the same name), core's fallback otherwise. `capabilities` reports which are
 * pushed down. Callers always call the method.
 *
 * @param base - The adapter's base operations, traits, transaction, migration and close.
 * @param pushDowns - The optional operations the adapter runs natively, outside a transaction.
 * @returns The store; extra members of `base` (an adapter's own methods) are kept.
 * @throws TypeError when a push-down is not a function, or (at the transaction) when the adapter's
 *   transaction session lacks a push-down the store has.
 *
 * @example
 * ```ts
 * const store = defineStore(
 *   { kind: 'mydb', traits, insert, get, getBy, find, count, update, delete: remove, increment, consume, transaction,
 * migrate, close },
 *   { getLinked: (collection, key, link) => joinedRead(collection, key, link) },
 * );
 * await store.insertMany(sales, rows); // core's fallback: one insert per row, in one transaction
 * ```
 */
export function defineStore<B extends StoreBase>(base: B, pushDowns: PushDowns = {}): Store & Omit<B, keyof StoreBase> {
  const names = OPTIONAL.filter((name) => pushDowns[name] !== undefined);
  for (const name of names)
    if (typeof pushDowns[name] !== 'function') throw new TypeError(`defineStore: push-down ${name} must be a function`);
  const traits = base.traits;
  const capabilities: StoreCapabilities = Object.freeze({
    multiProcess: traits.multiProcess,
    jsonColumns: traits.jsonColumns,
    migrationLock: traits.migrationLock,
    server: traits.server === true,
    aggregate: pushDowns.aggregate !== undefined,
    aggregatePaging: pushDowns.aggregate !== undefined && traits.aggregatePaging === true,
    aggregateSeries: pushDowns.aggregate !== undefined && traits.aggregateSeries === true,
    getLinked: pushDowns.getLinked !== undefined,
    consumeMany: pushDowns.consumeMany !== undefined,
    deleteMany: pushDowns.deleteMany !== undefined,
    insertMany: pushDowns.insertMany !== undefined,
  });

  /** A transaction session: the adapter's, completed, joining its own transaction when asked for one. */
  function sessionOf(raw: AdapterSession): TransactionSession {
    const own: PushDowns = {};
    for (const name of names) {
      const method = raw[name];
      if (typeof method !== 'function')
        throw new TypeError(
          `defineStore: the ${base.kind} store pushes ${name} down, but its transaction session has no ${name}`,
        );
      (own as Record<string, unknown>)[name] = method.bind(raw);
    }
    const session = complete(bindBase(raw), own, capabilities) as TransactionSession;
    session.transaction = (fn) => fn(session);
    return session;
  }

  const store = complete({ ...base }, pushDowns, capabilities) as unknown as Store & Omit<B, keyof StoreBase>;
  const adapterTransaction = base.transaction.bind(base);
  Object.assign(store, {
    capabilities,
    transaction: <T>(fn: (tx: TransactionSession) => Promise<T>): Promise<T> =>
      adapterTransaction((raw) => fn(sessionOf(raw))),
  });
  delete (store as { traits?: unknown }).traits;
  return store;
}

/** The base operations of a session object, bound to it (an adapter's session may be a class instance). */
function bindBase(raw: BaseOperations): BaseOperations {
  return {
    insert: raw.insert.bind(raw),
    get: raw.get.bind(raw),
    getBy: raw.getBy.bind(raw),
    find: raw.find.bind(raw),
    count: raw.count.bind(raw),
    update: raw.update.bind(raw),
    delete: raw.delete.bind(raw),
    increment: raw.increment.bind(raw),
    consume: raw.consume.bind(raw),
  };
}

/** Adds every optional operation to `target`: the push-down after core's checks, or the fallback on `target` itself. */
function complete<T extends BaseOperations>(
  target: T,
  pushed: PushDowns,
  capabilities: StoreCapabilities,
): T & Required<PushDowns> {
  const s = target as T & Required<PushDowns> & { transaction?: Store['transaction'] };
  const { aggregate, getLinked, consumeMany, deleteMany, insertMany } = pushed;
  s.aggregate = async (collection, query) => {
    checkAggregate(collection, query as AggregateQuery);
    if (aggregate && pushable(query as AggregateQuery, capabilities)) return aggregate(collection, query);
    return aggregateByScan(s, collection, query);
  };
  s.getLinked = async (collection, key, link) => {
    checkLink(collection, link);
    return getLinked ? getLinked(collection, key, link) : getLinkedByReads(s, collection, key, link);
  };
  s.consumeMany = async (collection, writes) => {
    checkConditionalWrites(collection, writes);
    if (writes.length === 0) return [];
    return consumeMany ? consumeMany(collection, writes) : consumeManyByConsumes(s, collection, writes);
  };
  s.deleteMany = async (collection, keys) => {
    checkDistinct(collection, keys, 'keys');
    if (keys.length === 0) return [];
    return deleteMany ? deleteMany(collection, keys) : deleteManyByDeletes(s, collection, keys);
  };
  s.insertMany = async (collection, rows) => {
    if (rows.length === 0) return 0;
    return insertMany ? insertMany(collection, rows) : insertManyByInserts(s, collection, rows);
  };
  return s;
}

/** Whether the aggregate push-down runs this query: paging and the extended measures need their own traits. */
function pushable(query: AggregateQuery, capabilities: StoreCapabilities): boolean {
  if ((query.limit !== undefined || query.after !== undefined) && capabilities.aggregatePaging !== true) return false;
  for (const m of Object.values(query.measures))
    if ((m.fn === 'series' || m.where !== undefined || m.minus !== undefined) && capabilities.aggregateSeries !== true)
      return false;
  return true;
}
