/**
 * The storage port: the only way Clientele's services touch data. An adapter implements
 * {@link Store} for one database; `@clientele/testkit` proves it.
 */
import type { AnyRow, CollectionSpec, NewRowOf, PatchOf, RowOf } from './schema.js';

/** A comparable scalar used in filters and cursors. */
export type ScalarValue = string | number | boolean | Date | null;

/**
 * A condition on one field. Several operators in one condition all must hold.
 * Ordering comparisons (`gt`, `lt`, ...) and `in` never match a null value (SQL semantics);
 * `eq: null` means IS NULL and `ne: null` IS NOT NULL, as does `isNull`.
 */
export interface Condition<T = ScalarValue> {
  eq?: T;
  ne?: T;
  gt?: T;
  gte?: T;
  lt?: T;
  lte?: T;
  /** The value is one of these (an empty list matches nothing). */
  in?: readonly T[];
  /** `true`: the value is null; `false`: it is not. */
  isNull?: boolean;
  /** For string fields: the value starts with this text (case-sensitive). */
  startsWith?: string;
}

/**
 * A filter: every listed field must satisfy its condition (AND). A bare value means `eq`.
 * JSON fields can only be tested with `isNull`.
 */
export type Where<C extends CollectionSpec = CollectionSpec> = {
  [K in keyof RowOf<C>]?: RowOf<C>[K] | Condition<RowOf<C>[K]>;
};

/** One ordering term. */
export interface OrderTerm<C extends CollectionSpec = CollectionSpec> {
  /** A non-nullable, non-JSON field. */
  field: keyof RowOf<C> & string;
  /** Default `asc`. */
  direction?: 'asc' | 'desc';
}

/** Options of {@link StoreSession.find}. */
export interface FindQuery<C extends CollectionSpec = CollectionSpec, K extends keyof RowOf<C> & string = never> {
  where?: Where<C>;
  /** Ordering; the primary key (ascending) is always appended as the last tie-breaker. */
  orderBy?: readonly OrderTerm<C>[];
  /** At most this many rows (default 100, at most 10,000). */
  limit?: number;
  /** A cursor from a previous page's `next`; the query must be otherwise identical. */
  after?: string | null;
  /**
   * A column projection: each row holds only these fields (at least one, each once), so a read of
   * ids or a few columns does not fetch whole rows. Paging, filters and ordering work as without it,
   * on any field.
   */
  select?: readonly K[];
}

/** The rows a `find` returns: whole rows, or only the selected fields `K` when it has a `select`. */
export type Projected<C extends CollectionSpec, K extends keyof RowOf<C> & string> = [K] extends [never]
  ? RowOf<C>
  : Pick<RowOf<C>, K>;

/** A page of rows and the cursor to the next one (`null` when this was the last). */
export interface Page<R> {
  rows: R[];
  next: string | null;
}

/** The outcome of a guarded {@link StoreSession.increment}. */
export interface IncrementResult<R> {
  /** Whether the delta was applied (false: the guard would have failed, nothing changed). */
  applied: boolean;
  /** The row after the call (unchanged when not applied). */
  row: R;
}

/** Bounds the new value of an incremented field must stay within. */
export interface IncrementGuard {
  /** The new value must be at least this (e.g. `0`: a balance never goes negative). */
  min?: number;
  /** The new value must be at most this (e.g. the quantity sold, for returns). */
  max?: number;
}

/** Options of {@link StoreSession.update} and {@link StoreSession.delete}. */
export interface WriteOptions {
  /** Write only if the row's version is this; otherwise a `ConflictError` with reason `version`. */
  expectVersion?: number;
}

/**
 * Aggregate functions an adapter may push down. `series` is one of the extended measures (see
 * {@link StoreCapabilities.aggregateSeries}): the values of an integer or timestamp field in the group,
 * ascending, as numbers (a timestamp as epoch milliseconds), nulls left out; `[]` for no values.
 */
export type AggregateFn = 'count' | 'sum' | 'min' | 'max' | 'series';

/** One measure of an aggregate query. */
export interface Measure<C extends CollectionSpec = CollectionSpec> {
  fn: AggregateFn;
  /** The field aggregated; not needed for `count`. */
  field?: string;
  /**
   * For `sum` only: an integer field subtracted from `field` row by row, a null counting as 0, so a net
   * figure (sales less refunds) is one value. An extended measure (see
   * {@link StoreCapabilities.aggregateSeries}).
   */
  minus?: string;
  /**
   * Only the group's rows that also match this filter count toward the measure (SQL's
   * `FILTER (WHERE ...)`), so one pass gives, say, all-time and last-year figures side by side. An
   * extended measure (see {@link StoreCapabilities.aggregateSeries}).
   */
  where?: Where<C>;
}

/** A grouped aggregate query. */
export interface AggregateQuery<C extends CollectionSpec = CollectionSpec> {
  where?: Where<C>;
  /** Fields to group by (none: one group over all matching rows, returned even when empty). */
  groupBy?: readonly (keyof RowOf<C> & string)[];
  /** Named measures; `sum` of no rows is 0, `min`/`max` of no rows is null, `series` of no rows is `[]`. */
  measures: Readonly<Record<string, Measure<C>>>;
  /**
   * Keyset paging over groups (needs `groupBy`): only the groups whose group-by values come strictly
   * after these, in group order. One non-null value per group-by field; groups with a null key sort
   * first, so they appear only on the first page.
   */
  after?: readonly ScalarValue[];
  /** At most this many groups (1 to 10,000), the first in group order (needs `groupBy`). */
  limit?: number;
}

/**
 * One group of an aggregate result: group-by values plus one value per measure (a `series` measure's is a `number[]`).
 */
export type AggregateRow = Record<string, ScalarValue | number[]>;

/**
 * What a store can do. The push-down flags (`aggregate`, `getLinked`, ...) say which optional
 * operations run natively; the operations exist on every store either way (see `defineStore`), so
 * modules call them and may branch on a flag only to pick a cheaper plan, never on adapter names.
 */
export interface StoreCapabilities {
  /** Runs {@link StoreSession.aggregate} in the database. */
  readonly aggregate: boolean;
  /** Runs {@link StoreSession.insertMany} as a bulk write. */
  readonly insertMany: boolean;
  /** Several processes may share the database at once. */
  readonly multiProcess: boolean;
  /** The database itself stores JSON natively. */
  readonly jsonColumns: boolean;
  /**
   * The database is a server reached over a connection: every statement costs a round trip, and the
   * server works beside the process, so fewer, longer reads, reads sent ahead while the last is worked
   * out, and a pass's next unit of work begun while the last commits, pay off. An embedded database
   * (SQLite, PGlite) has no such cost.
   */
  readonly server?: boolean;
  /** Migrations are serialised across processes (a lock the database owns). */
  readonly migrationLock: boolean;
  /** The aggregate push-down honours `after` and `limit`; without it, paged queries take core's fallback. */
  readonly aggregatePaging?: boolean;
  /**
   * The aggregate push-down runs the extended measures (a measure's own `where`, `series`, and a
   * `sum` with `minus`); without it, queries that use them take core's fallback.
   */
  readonly aggregateSeries?: boolean;
  /** Runs {@link StoreSession.getLinked} as one read (a join in SQL) rather than two. */
  readonly getLinked?: boolean;
  /** Runs {@link StoreSession.consumeMany} in a few statements rather than one `consume` per write. */
  readonly consumeMany?: boolean;
  /** Runs {@link StoreSession.deleteMany} in a few statements rather than one `delete` per key. */
  readonly deleteMany?: boolean;
}

/** One conditional write of {@link StoreSession.consumeMany}: `set` applied to row `key` if it matches `when`. */
export interface ConditionalWrite<C extends CollectionSpec = CollectionSpec> {
  readonly key: string;
  readonly when: Where<C>;
  readonly set: PatchOf<C>;
}

/**
 * A link from a row to a row of another collection: `field` of the row holds the other row's primary
 * key (or null, linking nothing).
 */
export interface Link<C extends CollectionSpec = CollectionSpec, T extends CollectionSpec = CollectionSpec> {
  /** The string field of the row that holds the linked row's primary key. */
  readonly field: keyof RowOf<C> & string;
  /** The collection of the linked row. */
  readonly target: T;
}

/** A row and the row it links to: `linked` is `undefined` when the link field is null or names no row. */
export interface LinkedRows<C extends CollectionSpec = CollectionSpec, T extends CollectionSpec = CollectionSpec> {
  readonly row: RowOf<C>;
  readonly linked: RowOf<T> | undefined;
}

/**
 * Data operations, inside or outside a transaction. Outside a transaction, each write is atomic on
 * its own and reads see committed data only.
 */
export interface StoreSession {
  /**
   * Inserts a row. Versioned collections get `version = 1`.
   * A clash on the primary key or a unique index throws `ConflictError` (reason `primary_key` or `unique`).
   */
  insert<C extends CollectionSpec>(collection: C, row: NewRowOf<C>): Promise<RowOf<C>>;

  /** The row with this primary key, or `undefined`. */
  get<C extends CollectionSpec>(collection: C, key: string): Promise<RowOf<C> | undefined>;

  /** The row whose unique index `index` has these values, or `undefined`. */
  getBy<C extends CollectionSpec>(
    collection: C,
    index: string,
    values: Partial<RowOf<C>>,
  ): Promise<RowOf<C> | undefined>;

  /**
   * One page of rows matching `where`, in `orderBy` order then by primary key. Paging is by keyset, so
   * following `next` visits every row that existed throughout exactly once, even while others insert.
   */
  find<C extends CollectionSpec, K extends keyof RowOf<C> & string = never>(
    collection: C,
    query?: FindQuery<C, K>,
  ): Promise<Page<Projected<C, K>>>;

  /** How many rows match. */
  count<C extends CollectionSpec>(collection: C, where?: Where<C>): Promise<number>;

  /**
   * Patches a row and returns it. Versioned rows get `version + 1`. Throws `NotFoundError` when the row
   * does not exist and `ConflictError` (reason `version`) when `expectVersion` does not match.
   */
  update<C extends CollectionSpec>(
    collection: C,
    key: string,
    patch: PatchOf<C>,
    options?: WriteOptions,
  ): Promise<RowOf<C>>;

  /** Deletes a row; returns whether one was deleted. `expectVersion` as for `update`. */
  delete<C extends CollectionSpec>(collection: C, key: string, options?: WriteOptions): Promise<boolean>;

  /**
   * Atomically adds `delta` to the integer `field` if the new value satisfies `guard`.
   * Of racers whose sum would break the guard, those that would break it get `applied: false`;
   * no update is ever lost. Versioned rows get `version + 1` when applied.
   * Throws `NotFoundError` when the row does not exist.
   */
  increment<C extends CollectionSpec>(
    collection: C,
    key: string,
    fieldName: keyof RowOf<C> & string,
    delta: number,
    guard?: IncrementGuard,
  ): Promise<IncrementResult<RowOf<C>>>;

  /**
   * Atomically applies `set` to the row if it currently matches `when`; returns the updated row,
   * or `undefined` when it does not match (or does not exist). Of racers taking the same single-use
   * row (`when: { status: 'active' }`), exactly one gets it.
   */
  consume<C extends CollectionSpec>(
    collection: C,
    key: string,
    when: Where<C>,
    set: PatchOf<C>,
  ): Promise<RowOf<C> | undefined>;

  /**
   * Grouped aggregates (see {@link AggregateQuery}); groups come back sorted by the group-by values,
   * nulls first. In the database where the store pushes it down, by streaming the rows otherwise.
   */
  aggregate<C extends CollectionSpec>(collection: C, query: AggregateQuery<C>): Promise<AggregateRow[]>;

  /**
   * The row with this primary key and the row it links to through `link`; `undefined` when there is
   * no such row. One read where the store pushes it down, two reads otherwise.
   */
  getLinked<C extends CollectionSpec, T extends CollectionSpec>(
    collection: C,
    key: string,
    link: Link<C, T>,
  ): Promise<LinkedRows<C, T> | undefined>;

  /**
   * Applies each write as {@link StoreSession.consume} would (distinct keys), all of them or, when one
   * fails with an error, none; returns the keys of the rows written, in the order of the writes.
   */
  consumeMany<C extends CollectionSpec>(collection: C, writes: readonly ConditionalWrite<C>[]): Promise<string[]>;

  /**
   * Deletes the rows with these keys (distinct), all of them or, when one fails with an error, none;
   * returns the keys of the rows deleted, in the order given (a key with no row is left out).
   */
  deleteMany<C extends CollectionSpec>(collection: C, keys: readonly string[]): Promise<string[]>;

  /** Inserts the rows, all or nothing; returns how many. A bulk write where the store pushes it down. */
  insertMany<C extends CollectionSpec>(collection: C, rows: readonly NewRowOf<C>[]): Promise<number>;
}

/** One step of a migration. Every step is idempotent: applying it to a store that already has it changes nothing. */
export type MigrationStep =
  | { op: 'createCollection'; collection: CollectionSpec }
  /** Rows that exist get null, so the added field must be nullable. */
  | { op: 'addField'; collection: string; field: string; spec: CollectionSpec['fields'][string] }
  | { op: 'addIndex'; collection: string; index: CollectionSpec['indexes'][number] };

/** A named, ordered migration. Ids are applied once each, in the order given. */
export interface Migration {
  /** Stable id, e.g. `core/0001-initial`. */
  readonly id: string;
  readonly steps: readonly MigrationStep[];
}

/** What `migrate` did. */
export interface MigrationResult {
  /** Ids applied by this call, in order. */
  applied: string[];
  /** Ids that were already applied. */
  skipped: string[];
}

/** A storage backend. Adapters build one with `defineStore`, which supplies the optional operations. */
export interface Store extends StoreSession {
  /** Short name for logs (`sqlite`, `postgres`, `memory`). */
  readonly kind: string;
  /** What the store can do natively (derived by `defineStore` from the adapter's traits and push-downs). */
  readonly capabilities: StoreCapabilities;

  /**
   * Runs `fn` in one transaction: all of its writes or none. If `fn` throws, everything it wrote is
   * rolled back and the error is rethrown. Reads inside see the transaction's own writes. Calling
   * `transaction` on the session passed to `fn` joins the same transaction.
   */
  transaction<T>(fn: (tx: StoreSession & { transaction: Store['transaction'] }) => Promise<T>): Promise<T>;

  /** Applies the migrations not yet applied, in order, under the store's migration lock. */
  migrate(migrations: readonly Migration[]): Promise<MigrationResult>;

  /**
   * What the store does right after an erasure commits so that no copy of the erased values stays in
   * its files: SQLite checkpoints the WAL and truncates it. `crm.privacy.eraseCustomer` calls it once
   * its transaction has committed. A store whose files keep no such copy, or that cannot remove
   * them at once, leaves it out. It rejects (typically with `STORE_UNAVAILABLE`) when it could not
   * finish; the erasure has committed all the same, and calling it again later is safe.
   */
  afterErasure?(): Promise<void>;

  /** Releases connections. The store is unusable afterwards. */
  close(): Promise<void>;
}

/** The session type a transaction callback receives. */
export type TransactionSession = Parameters<Parameters<Store['transaction']>[0]>[0];

/** Helper type for adapters: a row without static field types. */
export type { AnyRow };
