/**
 * The MariaDB / MySQL store: a `mysql2/promise` pool, the statements of `@clientele/sql`'s MySQL dialect.
 */
import {
  InvalidStateError,
  StoreUnavailableError,
  ValidationError,
  defineStore,
  isClienteleError,
} from '@clientele/core/adapter';
import type { AdapterSession, Store, StoreBase, ValidationIssue } from '@clientele/core/adapter';
import { mariadbDialect, mysqlDatabaseDialect, mysqlDialect, runMigrations } from '@clientele/sql';
import type { Dialect, MysqlServer } from '@clientele/sql';
import type { MysqlPool } from './clients.js';
import { poolDriver } from './driver.js';
import type { Connection, Driver } from './driver.js';
import { translateError } from './errors.js';
import { DEFAULT_RETRY, gaveUp, lostRace, pause, retryDelay } from './retry.js';
import type { ResolvedRetryPolicy, RetryPolicy } from './retry.js';
import { MysqlSession } from './session.js';
import type { SessionState } from './session.js';

/** Settings shared by both ways of reaching the server. */
export interface MysqlCommonOptions {
  /**
   * The database holding the store's tables (lower case letters, digits and `_`, at most 64 characters).
   * `migrate()` creates it. Every statement names it, so the connections' default database does not
   * matter. Default: the connection's default database.
   */
  database?: string;
  /** Which server it is. Default: read from `VERSION()` on the first connection. */
  server?: MysqlServer;
  /** How a transaction that lost a race (deadlock, lock wait timeout) is run again. */
  retry?: RetryPolicy;
  /**
   * How long a call waits for a free connection before failing with `STORE_UNAVAILABLE`, in
   * milliseconds. Default 10,000; 0 waits as long as the pool does.
   */
  acquireTimeoutMs?: number;
}

/** Use the host's `mysql2/promise` pool; the store never ends it. */
export interface MysqlPoolOptions extends MysqlCommonOptions {
  /** A pool from `mysql.createPool(...)` of `mysql2/promise`. */
  pool: MysqlPool;
  uri?: never;
}

/** Open a pool of the store's own (`mysql2` must be installed); `close()` ends it. */
export interface MysqlUriOptions extends MysqlCommonOptions {
  /** `mysql://user:password@host:3306/database`. */
  uri: string;
  /** Connections at most. Default 10. */
  poolSize?: number;
  pool?: never;
}

/** Options of {@link mysqlStore}: a pool or a URI, and common settings. */
export type MysqlStoreOptions = MysqlPoolOptions | MysqlUriOptions;

/** The store {@link mysqlStore} returns. */
export interface MysqlStore extends Store {
  /** The database named in the options (the tables' database), if one was. */
  readonly database: string | undefined;
}

const DATABASE = /^[a-z_][a-z0-9_]{0,63}$/;
const SERVERS: readonly MysqlServer[] = ['mariadb', 'mysql'];
const DEFAULT_ACQUIRE_TIMEOUT_MS = 10_000;
const DEFAULT_POOL_SIZE = 10;

/** Checks the options, naming each bad one by its path, as every public function does. */
function checkOptions(options: MysqlStoreOptions): void {
  if (typeof options !== 'object' || options === null)
    throw new ValidationError([{ path: [], code: 'invalid_type', message: 'options must be an object' }]);
  const issues: ValidationIssue[] = [];
  const bad = (path: Array<string | number>, message: string) => issues.push({ path, code: 'invalid_option', message });
  const sources = (['pool', 'uri'] as const).filter((k) => options[k] !== undefined);
  if (sources.length !== 1) bad(sources.length ? [sources[1]!] : [], 'give exactly one of pool or uri');
  if (options.pool !== undefined && typeof (options.pool as MysqlPool).getConnection !== 'function')
    bad(['pool'], 'pool must be a mysql2/promise Pool');
  if (options.uri !== undefined && (typeof options.uri !== 'string' || options.uri.length === 0))
    bad(['uri'], 'uri must be a non-empty string');
  const o = options as MysqlUriOptions;
  if (o.poolSize !== undefined && !(Number.isInteger(o.poolSize) && o.poolSize >= 1 && o.poolSize <= 1000))
    bad(['poolSize'], 'poolSize must be an integer from 1 to 1000');
  if (options.database !== undefined && (typeof options.database !== 'string' || !DATABASE.test(options.database)))
    bad(['database'], 'database must be lower case letters, digits and _, starting with a letter or _, at most 64');
  if (options.server !== undefined && !SERVERS.includes(options.server))
    bad(['server'], `server must be one of ${SERVERS.join(', ')}`);
  const ms = options.acquireTimeoutMs;
  if (ms !== undefined && !(Number.isInteger(ms) && ms >= 0 && ms <= 2_147_483_647))
    bad(['acquireTimeoutMs'], 'acquireTimeoutMs must be an integer number of milliseconds, at least 0');
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

/** Opens the store's own pool, loading `mysql2` only now. */
function ownPool(options: MysqlUriOptions): () => Promise<MysqlPool> {
  return async () => {
    const mysql = (await import('mysql2/promise')) as unknown as {
      default?: { createPool: (config: Record<string, unknown>) => MysqlPool };
      createPool?: (config: Record<string, unknown>) => MysqlPool;
    };
    const createPool = mysql.createPool ?? mysql.default!.createPool;
    // No stack captured per statement (mysql2's `trace`): the store's errors say where they came from.
    return createPool({ uri: options.uri, connectionLimit: options.poolSize ?? DEFAULT_POOL_SIZE, trace: false });
  };
}

/**
 * A Clientele store on MariaDB (10.11 or later) or MySQL (8.0 or later), through a `mysql2/promise`
 * pool: the host's, or one opened from a URI. Each retailer (or test) may keep its tables in a database
 * of its own.
 *
 * - Tables are InnoDB, text utf8mb4 in a binary collation that keeps trailing spaces (code point order,
 *   as every store compares). A key (primary or customer key) holds up to 255 characters; a field of an
 *   index holds as much as lets each of its indexes fit InnoDB's 3,072-byte key (768 characters alone,
 *   384 beside one other text, ...); other text any length. A longer value is `VALIDATION_FAILED`.
 * - `transaction(fn)` runs on one connection at READ COMMITTED. Neither server has `UPDATE ... RETURNING`:
 *   `update`, `increment` and `consume` write with one guarded statement and read the row back in the
 *   same transaction, which holds the row's lock in between, so outside `transaction` each runs in a
 *   transaction of its own. A versioned row the transaction read is written only at the version it read.
 * - When InnoDB picks the transaction as a deadlock's victim, a lock wait times out, or a row it read
 *   changed before it wrote it, the whole transaction is rolled back and `fn` run again, up to
 *   `retry.attempts` times with a randomised, growing pause; then `CONFLICT` (reason `serialization`).
 *   After such a loss the session refuses every further statement of the attempt (InnoDB has already
 *   rolled a deadlock's victim back; what followed would run outside any transaction). So `fn` may run
 *   more than once: keep side effects outside it.
 * - A unique or primary-key clash is a `CONFLICT` that undoes only that write (InnoDB rolls back the
 *   statement, the transaction goes on), as on the other stores.
 * - A lost connection, a statement the server interrupted, or no free connection within
 *   `acquireTimeoutMs`: `STORE_UNAVAILABLE`; the transaction is rolled back (by the server, when the
 *   connection is gone), a broken connection destroyed, and the next call gets a fresh one.
 * - `migrate()` holds `GET_LOCK` for the database on its connection: it belongs to the connection, not
 *   to a transaction, because DDL commits at once; so processes migrating at once apply each migration
 *   exactly once, and every step is safe to run again after a run cut short.
 * - `close()` ends a pool the store opened; a pool the host passed in stays open.
 */
export function mysqlStore(options: MysqlStoreOptions): MysqlStore {
  checkOptions(options);
  const retry: ResolvedRetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const driver: Driver = poolDriver({
    pool: options.pool ?? ownPool(options as MysqlUriOptions),
    owned: options.pool === undefined,
    acquireTimeoutMs: options.acquireTimeoutMs ?? DEFAULT_ACQUIRE_TIMEOUT_MS,
  });
  const open: SessionState = { active: true, closedMessage: 'the store is closed', failure: undefined };

  let dialectOnce: Promise<Dialect> | undefined;
  /** The dialect of the server: named in the options, or read from the first connection. */
  function dialect(): Promise<Dialect> {
    if (!dialectOnce) {
      dialectOnce = (async () => {
        const server = options.server ?? (/mariadb/i.test(await driver.version()) ? 'mariadb' : 'mysql');
        if (options.database !== undefined) return mysqlDatabaseDialect(server, options.database);
        return server === 'mariadb' ? mariadbDialect : mysqlDialect;
      })();
      dialectOnce.catch(() => (dialectOnce = undefined));
    }
    return dialectOnce;
  }

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
  async function auto<T>(fn: (session: MysqlSession) => Promise<T>): Promise<T> {
    checkOpen();
    const d = await dialect();
    return withRetries(() =>
      driver.run((connection) => fn(new MysqlSession({ dialect: d, connection, state: open, inTransaction: false }))),
    );
  }

  async function runTransaction<T>(fn: (tx: MysqlSession) => Promise<T>): Promise<T> {
    checkOpen();
    const d = await dialect();
    return withRetries(async () => {
      const state: SessionState = {
        active: true,
        closedMessage: 'the transaction is over; its session can no longer be used',
        failure: undefined,
      };
      try {
        return await driver.transaction(async (connection) => {
          try {
            const result = await fn(new MysqlSession({ dialect: d, connection, state, inTransaction: true }));
            // A race was lost and the callback went on: the transaction is gone, and a COMMIT would
            // commit nothing of it. Report the loss (and run it again) instead of a success.
            if (state.failure !== undefined) throw state.failure;
            return result;
          } finally {
            state.active = false;
          }
        });
      } catch (error) {
        // The server error behind whatever the callback made of it decides whether to run it again.
        const cause = state.failure !== undefined ? state.failure : error;
        throw translateError(cause, { dialect: d });
      }
    });
  }

  /** Runs the migration loop on one connection holding the migration lock, which it releases whatever happens. */
  async function migrateUnderLock(d: Dialect, connection: Connection, run: () => Promise<unknown>): Promise<unknown> {
    for (const statement of d.migrationLock) {
      const row = (await connection.command(statement)).rows[0];
      if (row !== undefined && Number(Object.values(row)[0]) !== 1)
        throw new StoreUnavailableError('another migration held the migration lock for ten minutes; try again');
    }
    try {
      return await run();
    } finally {
      for (const statement of d.migrationUnlock ?? []) await connection.command(statement).catch(() => undefined);
    }
  }

  const base: StoreBase & Pick<MysqlStore, 'database'> = {
    kind: 'mysql',
    database: options.database,
    traits: {
      multiProcess: true,
      server: true,
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
    // A write read back must hold the row's lock until it is read: a transaction of its own.
    update: (c, key, patch, opts) => runTransaction((s) => s.update(c, key, patch, opts)),
    delete: (c, key, opts) => auto((s) => s.delete(c, key, opts)),
    increment: (c, key, fieldName, delta, guard) => runTransaction((s) => s.increment(c, key, fieldName, delta, guard)),
    consume: (c, key, when, set) => runTransaction((s) => s.consume(c, key, when, set)),
    transaction: <T>(fn: (tx: AdapterSession) => Promise<T>) => runTransaction(fn),

    async migrate(migrations) {
      checkOpen();
      const d = await dialect();
      try {
        // No transaction: DDL commits at once on both servers. The steps are safe to run again instead.
        return (await driver.run((connection) =>
          migrateUnderLock(d, connection, () =>
            runMigrations(
              d,
              {
                all: async (text, params) => (await connection.query(text, params)).rows,
                run: async (text, params) =>
                  void (params.length ? await connection.query(text, params) : await connection.command(text)),
              },
              migrations,
            ),
          ),
        )) as Awaited<ReturnType<StoreBase['migrate']>>;
      } catch (error) {
        throw translateError(error, { dialect: d });
      }
    },

    async close() {
      if (!open.active) return;
      open.active = false;
      await driver.close();
    },
  };
  // Every optional operation is pushed down: joins, grouped aggregates, and batches of writes.
  return defineStore(base, {
    getLinked: (c, key, link) => auto((s) => s.getLinked(c, key, link)),
    aggregate: (c, query) => auto((s) => s.aggregate(c, query)),
    consumeMany: (c, writes) => runTransaction((s) => s.consumeMany(c, writes)),
    deleteMany: (c, keys) => runTransaction((s) => s.deleteMany(c, keys)),
    insertMany: (c, rows) => runTransaction((s) => s.insertMany(c, rows)),
  });
}
