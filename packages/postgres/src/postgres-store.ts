/**
 * The PostgreSQL store: node-postgres for a server, PGlite in process, the same code above the driver.
 */
import { InvalidStateError, ValidationError, defineStore, isClienteleError } from '@clientele/core/adapter';
import type { AdapterSession, Store, StoreBase, ValidationIssue } from '@clientele/core/adapter';
import { postgresDialect, postgresSchemaDialect, runMigrations } from '@clientele/sql';
import type { Dialect } from '@clientele/sql';
import type { PGliteDatabase, PgPool } from './clients.js';
import type { Driver } from './driver.js';
import { translateError } from './errors.js';
import { pgliteDriver } from './pglite-driver.js';
import { poolDriver } from './pool-driver.js';
import { DEFAULT_RETRY, gaveUp, lostRace, pause, retryDelay } from './retry.js';
import type { ResolvedRetryPolicy, RetryPolicy } from './retry.js';
import { checkPurgeOptions, purgeTables } from './purge.js';
import type { PurgeOptions, PurgeResult } from './purge.js';
import { PostgresSession } from './session.js';
import type { SessionState } from './session.js';

/** The isolation level of the store's transactions. */
export type IsolationLevel = 'serializable' | 'repeatable read' | 'read committed';

/** Settings shared by every way of reaching PostgreSQL. */
export interface PostgresCommonOptions {
  /**
   * The schema holding the store's tables (lower case letters, digits and `_`). `migrate()` creates
   * it. Every statement names it, so the connections' `search_path` does not matter. Default: the
   * connection's current schema (usually `public`).
   */
  schema?: string;
  /**
   * The isolation level of `transaction()`. Default `read committed`, with the port's guarantees on
   * top: guarded `increment` and `consume`, `expectVersion`, unique keys, and a versioned row that a
   * transaction read and then writes is written only if no one changed it in between (else the
   * transaction runs again), so no update is lost. `serializable` also rules out write skew, at the
   * price of aborts wherever transactions meet (every command takes the next outbox number, so under
   * many terminals most of them do), each one run again (see `retry`).
   */
  isolation?: IsolationLevel;
  /** How a transaction that lost a race (serialization failure, deadlock) is run again. */
  retry?: RetryPolicy;
  /**
   * How long a call waits for a free connection before failing with `STORE_UNAVAILABLE`, in
   * milliseconds. Default 10,000; 0 waits as long as the pool does. Not used with PGlite.
   */
  acquireTimeoutMs?: number;
  /**
   * Cancels a statement that runs longer than this, in milliseconds (`statement_timeout`), failing the
   * call with `STORE_UNAVAILABLE`. Default: the server's setting. Not used with PGlite.
   */
  statementTimeoutMs?: number;
  /**
   * Whether statements are prepared once per connection and then only bound (default `true`). Turn it
   * off behind a connection pooler in transaction mode that cannot keep prepared statements.
   */
  preparedStatements?: boolean;
}

/** Use the host's node-postgres pool; the store never ends it. */
export interface PostgresPoolOptions extends PostgresCommonOptions {
  /** A `pg.Pool` (or anything with its `connect()`/`end()`). */
  pool: PgPool;
  connectionString?: never;
  pglite?: never;
}

/** Open a pool of the store's own (`pg` must be installed); `close()` ends it. */
export interface PostgresConnectionStringOptions extends PostgresCommonOptions {
  /** `postgres://user:password@host:5432/database`. */
  connectionString: string;
  /** Connections at most. Default 10. */
  poolSize?: number;
  pool?: never;
  pglite?: never;
}

/** Use the host's PGlite instance; the store never closes it. */
export interface PostgresPgliteOptions extends PostgresCommonOptions {
  /** A `PGlite` instance from `@electric-sql/pglite`. */
  pglite: PGliteDatabase;
  pool?: never;
  connectionString?: never;
}

/** The store {@link postgresStore} returns: the port, and what only PostgreSQL needs. */
export interface PostgresStore extends Store {
  /**
   * Removes the old row versions that still hold erased values. On PostgreSQL an update leaves the
   * previous version of the row in the table's file (and its index entries in the indexes) until a
   * vacuum reclaims the space, and a plain `VACUUM` does not overwrite it: after
   * `crm.privacy.eraseCustomer`, the erased values are gone from every live row but not from the
   * files. This runs `VACUUM (FULL, ANALYZE)` on each of the store's tables (or those of `collections`),
   * which writes each table and its indexes anew with live rows only and refreshes their planner
   * statistics (whose samples may hold values), then `CHECKPOINT` if the role may (`checkpoint` in the
   * result says whether it ran), so the server unlinks the old files and recycles the log segments
   * written before it sooner.
   *
   * Cost: each table is rewritten under an `ACCESS EXCLUSIVE` lock, one after another. While a table
   * is rewritten, and while the rewrite waits for transactions already using the table, every read
   * and write of it waits; it needs free disk space for a second copy of the table and its indexes.
   * Run it at a quiet hour, e.g. nightly after the day's erasures, or pass the collections an
   * erasure changed (`ErasureResult.changed`). It runs without a statement timeout.
   *
   * What it cannot reach: write-ahead log segments not yet recycled, WAL archives, replicas' own
   * files, backups and dumps. They keep copies until the operator's retention policy lets them go.
   *
   * Rejects with `VALIDATION_FAILED` for a collection with no table, and with `INVALID_STATE` when the
   * server skipped a table the role may not vacuum (the tables' owner, or a superuser, may).
   */
  purgeErased(options?: PurgeOptions): Promise<PurgeResult>;
}

/** Options of {@link postgresStore}: a pool, a connection string, or a PGlite instance, and common settings. */
export type PostgresStoreOptions = PostgresPoolOptions | PostgresConnectionStringOptions | PostgresPgliteOptions;

const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;
const ISOLATION: Record<IsolationLevel, string> = {
  serializable: 'BEGIN ISOLATION LEVEL SERIALIZABLE',
  'repeatable read': 'BEGIN ISOLATION LEVEL REPEATABLE READ',
  'read committed': 'BEGIN ISOLATION LEVEL READ COMMITTED',
};
const DEFAULT_ACQUIRE_TIMEOUT_MS = 10_000;
const DEFAULT_POOL_SIZE = 10;

/** Checks the options, naming each bad one by its path, as every public function does. */
function checkOptions(options: PostgresStoreOptions): void {
  const issues: ValidationIssue[] = [];
  const bad = (path: string[], message: string) => issues.push({ path, code: 'invalid_option', message });
  if (typeof options !== 'object' || options === null)
    throw new ValidationError([{ path: [], code: 'invalid_type', message: 'options must be an object' }]);
  const sources = (['pool', 'connectionString', 'pglite'] as const).filter((k) => options[k] !== undefined);
  if (sources.length !== 1)
    bad(sources.length ? [sources[1]!] : [], 'give exactly one of pool, connectionString or pglite');
  if (options.pool !== undefined && typeof (options.pool as PgPool).connect !== 'function')
    bad(['pool'], 'pool must be a node-postgres Pool');
  if (options.pglite !== undefined && typeof (options.pglite as PGliteDatabase).transaction !== 'function')
    bad(['pglite'], 'pglite must be a PGlite instance');
  if (
    options.connectionString !== undefined &&
    (typeof options.connectionString !== 'string' || options.connectionString.length === 0)
  ) {
    bad(['connectionString'], 'connectionString must be a non-empty string');
  }
  const o = options as PostgresConnectionStringOptions;
  if (o.poolSize !== undefined && !(Number.isInteger(o.poolSize) && o.poolSize >= 1 && o.poolSize <= 1000))
    bad(['poolSize'], 'poolSize must be an integer from 1 to 1000');
  if (options.schema !== undefined && (typeof options.schema !== 'string' || !SCHEMA.test(options.schema))) {
    bad(
      ['schema'],
      'schema must be lower case letters, digits and _, starting with a letter or _, at most 63 characters',
    );
  }
  if (options.isolation !== undefined && !(options.isolation in ISOLATION))
    bad(['isolation'], `isolation must be one of ${Object.keys(ISOLATION).join(', ')}`);
  const ms = (key: 'acquireTimeoutMs' | 'statementTimeoutMs', min: number) => {
    const v = options[key];
    if (v !== undefined && !(Number.isInteger(v) && v >= min && v <= 2_147_483_647))
      bad([key], `${key} must be an integer number of milliseconds, at least ${min}`);
  };
  ms('acquireTimeoutMs', 0);
  ms('statementTimeoutMs', 1);
  if (options.preparedStatements !== undefined && typeof options.preparedStatements !== 'boolean')
    bad(['preparedStatements'], 'preparedStatements must be a boolean');
  const r = options.retry;
  if (r !== undefined) {
    if (typeof r !== 'object' || r === null) bad(['retry'], 'retry must be an object');
    else {
      if (r.attempts !== undefined && !(Number.isInteger(r.attempts) && r.attempts >= 1 && r.attempts <= 100))
        bad(['retry', 'attempts'], 'attempts must be an integer from 1 to 100');
      for (const k of ['baseDelayMs', 'maxDelayMs'] as const) {
        const v = r[k];
        if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 60_000))
          bad(['retry', k], `${k} must be from 0 to 60,000 milliseconds`);
      }
    }
  }
  if (issues.length) throw new ValidationError(issues);
}

/** Opens the store's own pool, loading `pg` only now, so a PGlite-only host never needs it. */
function ownPool(options: PostgresConnectionStringOptions): () => Promise<PgPool> {
  return async () => {
    const pg = (await import('pg')) as unknown as { default?: { Pool: PgPoolConstructor }; Pool?: PgPoolConstructor };
    const Pool = pg.Pool ?? pg.default!.Pool;
    const pool = new Pool({
      connectionString: options.connectionString,
      max: options.poolSize ?? DEFAULT_POOL_SIZE,
      application_name: 'clientele',
      ...(options.statementTimeoutMs !== undefined ? { statement_timeout: options.statementTimeoutMs } : {}),
    });
    // An idle connection the server closes is removed by the pool; without a listener the event would crash the host.
    pool.on('error', () => undefined);
    return pool;
  };
}

type PgPoolConstructor = new (config: Record<string, unknown>) => PgPool;

/**
 * A Clientele store on PostgreSQL: a node-postgres pool (the host's, or one opened from a connection
 * string), or a PGlite instance. Each retailer (or test) may keep its tables in a schema of its own.
 *
 * - Every write outside a transaction is one atomic statement; reads see committed data only.
 * - `transaction(fn)` runs on one connection at the `isolation` level (default `read committed`). A
 *   versioned row the transaction read is written (updated or deleted) only at the version it read.
 *   When PostgreSQL aborts the transaction for a serialization failure or a deadlock, or a row it read
 *   changed before it wrote it, nothing was written and `fn` is run again, up to `retry.attempts` times
 *   with a randomised, growing pause; after that the call fails with `CONFLICT` (reason
 *   `serialization`). So `fn` may run more than once: keep side effects outside it.
 * - `increment` and `consume` are single guarded `UPDATE ... RETURNING` statements: of racers on
 *   separate connections, those whose write would break the guard (or no longer match) change nothing,
 *   and no update is lost.
 * - A unique or primary-key clash is a `CONFLICT` and, inside a transaction, undoes only that write, as
 *   on the other stores (inserts skip on conflict, and writes to unique fields run under a savepoint).
 * - A lost connection (the server terminated it, the network failed), a statement past
 *   `statementTimeoutMs`, or no free connection within `acquireTimeoutMs` fail the call with
 *   `STORE_UNAVAILABLE`; the transaction is rolled back, the broken connection discarded, and the next
 *   call gets a fresh one.
 * - `migrate()` holds a transaction-scoped advisory lock per schema, so processes migrating at once
 *   apply each migration exactly once; DDL is transactional, so a failed run leaves nothing behind.
 * - Inside `transaction(fn)`, use the session `fn` receives: a call through the store itself runs on
 *   another connection (on PGlite it waits for the transaction to end, which never comes).
 */
export function postgresStore(options: PostgresStoreOptions): PostgresStore {
  checkOptions(options);
  const schema = options.schema;
  const dialect: Dialect = schema === undefined ? postgresDialect : postgresSchemaDialect(schema);
  const retry: ResolvedRetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const begin = [ISOLATION[options.isolation ?? 'read committed']];
  const driver: Driver =
    options.pglite !== undefined
      ? pgliteDriver(options.pglite)
      : poolDriver({
          pool: options.pool ?? ownPool(options as PostgresConnectionStringOptions),
          owned: options.pool === undefined,
          acquireTimeoutMs: options.acquireTimeoutMs ?? DEFAULT_ACQUIRE_TIMEOUT_MS,
          statementTimeoutMs: options.statementTimeoutMs,
          preparedStatements: options.preparedStatements ?? true,
        });

  const open: SessionState = { active: true, closedMessage: 'the store is closed', failure: undefined };

  function checkOpen(): void {
    if (!open.active) throw new InvalidStateError(open.closedMessage);
  }

  /** Runs `attempt` until it does not lose a race, at most `retry.attempts` times. */
  async function withRetries<T>(attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (error) {
        if (!lostRace(error)) throw error;
        if (n >= retry.attempts) throw gaveUp(isClienteleError(error) ? error.cause : error, n);
        await pause(retryDelay(retry, n));
      }
    }
  }

  /** One operation outside a transaction, on a connection of its own. */
  async function auto<T>(fn: (session: PostgresSession) => Promise<T>): Promise<T> {
    checkOpen();
    return withRetries(() =>
      driver.run((connection) =>
        fn(new PostgresSession({ dialect, connection, state: open, inTransaction: false, bulk: runTransaction })),
      ),
    );
  }

  async function runTransaction<T>(fn: (tx: PostgresSession) => Promise<T>): Promise<T> {
    checkOpen();
    return withRetries(async () => {
      const state: SessionState = {
        active: true,
        closedMessage: 'the transaction is over; its session can no longer be used',
        failure: undefined,
      };
      try {
        return await driver.transaction(begin, async (connection) => {
          try {
            const result = await fn(new PostgresSession({ dialect, connection, state, inTransaction: true }));
            // A statement failed and the callback went on: PostgreSQL has aborted the transaction, and a
            // COMMIT would quietly roll it back. Report the failure instead of a success.
            if (state.failure !== undefined) throw state.failure;
            return result;
          } finally {
            state.active = false;
          }
        });
      } catch (error) {
        // The server error behind whatever the callback made of it decides whether to run it again.
        const cause = state.failure !== undefined && lostRace(state.failure) ? state.failure : error;
        throw translateError(cause, { dialect });
      }
    });
  }

  const base: StoreBase & Pick<PostgresStore, 'purgeErased'> = {
    kind: options.pglite !== undefined ? 'pglite' : 'postgres',
    traits: {
      multiProcess: driver.multiProcess,
      // A pool reaches a server; PGlite runs in the process.
      server: options.pglite === undefined,
      jsonColumns: true,
      migrationLock: true,
      aggregatePaging: true,
      aggregateSeries: true,
    },
    insert: (c, row) => auto((s) => s.insert(c, row)),
    get: (c, key) => auto((s) => s.get(c, key)),
    getBy: (c, index, values) => auto((s) => s.getBy(c, index, values)),
    find: (c, query) => auto((s) => s.find(c, query)),
    count: (c, where) => auto((s) => s.count(c, where)),
    update: (c, key, patch, opts) => auto((s) => s.update(c, key, patch, opts)),
    delete: (c, key, opts) => auto((s) => s.delete(c, key, opts)),
    increment: (c, key, fieldName, delta, guard) => auto((s) => s.increment(c, key, fieldName, delta, guard)),
    consume: (c, key, when, set) => auto((s) => s.consume(c, key, when, set)),
    transaction: <T>(fn: (tx: AdapterSession) => Promise<T>) => runTransaction(fn),

    async migrate(migrations) {
      checkOpen();
      try {
        // Plain BEGIN (read committed): the advisory lock, not the isolation level, serialises migrators,
        // and each one must see the migrations recorded by the one before it.
        return await withRetries(() =>
          driver.transaction(['BEGIN', ...dialect.migrationLock], (connection) =>
            runMigrations(
              dialect,
              {
                all: async (text, params) => (await connection.query(text, params)).rows,
                run: async (text, params) => void (await connection.query(text, params)),
              },
              migrations,
            ),
          ),
        );
      } catch (error) {
        throw translateError(error, { dialect });
      }
    },

    async purgeErased(purgeOptions) {
      const checked = checkPurgeOptions(purgeOptions);
      checkOpen();
      try {
        return await driver.run((connection) => purgeTables(connection, dialect, schema, checked));
      } catch (error) {
        throw translateError(error, { dialect });
      }
    },

    async close() {
      if (!open.active) return;
      open.active = false;
      await driver.close();
    },
  };
  // Every optional operation is pushed down: joins, grouped aggregates, and bulk writes by column arrays.
  return defineStore(base, {
    getLinked: (c, key, link) => auto((s) => s.getLinked(c, key, link)),
    consumeMany: (c, writes) => auto((s) => s.consumeMany(c, writes)),
    deleteMany: (c, keys) => auto((s) => s.deleteMany(c, keys)),
    aggregate: (c, query) => auto((s) => s.aggregate(c, query)),
    insertMany: (c, rows) => auto((s) => s.insertMany(c, rows)),
  });
}
