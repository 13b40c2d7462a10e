/**
 * The mysql2 driver: connections from a `mysql2/promise` pool (the host's, or one opened from a URI),
 * each set up once for the store (utf8mb4, strict writes, sort and `GROUP_CONCAT` limits wide enough to
 * be exact), prepared statements cached per connection by text, a bounded wait for a free connection,
 * and dead connections destroyed instead of returned to the pool.
 */
import { StoreUnavailableError } from '@clientele/core/adapter';
import type { MysqlPool, MysqlPoolConnection } from './clients.js';
import { isConnectionLost } from './errors.js';

/** Rows a statement returned, and the rows a write matched (whether or not it changed them). */
export interface QueryOutcome {
  rows: Record<string, unknown>[];
  matched: number;
  /** The insert id a write reported (0: none), such as a value set with `LAST_INSERT_ID(expr)`. */
  insertId: number;
}

/** One connection, for as long as a call or a transaction holds it. Errors are the driver's own. */
export interface Connection {
  /** Runs a statement with bound values as a prepared statement (cached on the connection). */
  query(text: string, params: readonly unknown[]): Promise<QueryOutcome>;
  /** Runs a statement unprepared: transaction control, locks, DDL. */
  command(text: string): Promise<QueryOutcome>;
}

/** A source of connections. */
export interface Driver {
  /** The server's version text (`10.11.6-MariaDB`, `8.0.36`), read from the first connection. */
  version(): Promise<string>;
  /** Runs `fn` on one connection, outside a transaction. */
  run<T>(fn: (connection: Connection) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` inside a transaction at READ COMMITTED: `START TRANSACTION`, `fn`, `COMMIT`. If anything
   * throws, the transaction is rolled back and the error rethrown; a dead connection is destroyed.
   */
  transaction<T>(fn: (connection: Connection) => Promise<T>): Promise<T>;
  /** Ends a pool the store opened; a host's pool is left open. */
  close(): Promise<void>;
}

/** Settings of {@link poolDriver}. */
export interface PoolDriverSettings {
  /** The host's pool (left open on close), or a function that opens the store's own. */
  pool: MysqlPool | (() => Promise<MysqlPool>);
  /**
   * Whether the store owns the pool: it ends it on close, and sets its connections' session isolation
   * level once (a host's pool keeps its own: each transaction sets the level for itself).
   */
  owned: boolean;
  /** How long a call waits for a free connection before `STORE_UNAVAILABLE`; 0 waits as long as the pool does. */
  acquireTimeoutMs: number;
}

/**
 * Set once on each connection the store uses. UTF-8 in full; a value too long for its column is an error,
 * never cut; a sort compares the first 8 KiB of a text (the default 1,024 bytes would order indexed text of
 * up to 768 characters by its start only; every key and indexed text is shorter than 8 KiB, and a wider
 * sort key per row would run the server's sort buffer out of memory on a few long texts); `GROUP_CONCAT`
 * (series) is not cut at 1 MiB (the store still checks each series is whole).
 */
const SESSION_SETUP = [
  'SET NAMES utf8mb4',
  "SET SESSION sql_mode = CONCAT_WS(',', NULLIF(@@SESSION.sql_mode, ''), 'STRICT_ALL_TABLES'), " +
    'SESSION max_sort_length = 8192, SESSION group_concat_max_len = 4294967295',
];

/** The isolation level of every transaction the store runs. */
const READ_COMMITTED = 'TRANSACTION ISOLATION LEVEL READ COMMITTED';

/** Statements with more values than this are closed after running: a bulk text is rarely the same twice. */
const MAX_KEPT_PARAMS = 256;

/** Connections already set up, by the underlying connection (the pool wraps it anew at each checkout). */
const configured = new WeakSet<object>();

function matchedRows(header: { affectedRows?: number; info?: string }): number {
  // "Rows matched: 1  Changed: 0": rows an UPDATE matched, whatever the pool's FOUND_ROWS flag makes affectedRows.
  const m = /Rows matched: (\d+)/.exec(header.info ?? '');
  return m ? Number(m[1]) : (header.affectedRows ?? 0);
}

function outcome(result: unknown): QueryOutcome {
  if (Array.isArray(result)) return { rows: result as Record<string, unknown>[], matched: result.length, insertId: 0 };
  const header = result as { affectedRows?: number; info?: string; insertId?: unknown };
  const id = header.insertId;
  return { rows: [], matched: matchedRows(header), insertId: typeof id === 'number' ? id : 0 };
}

/** A pooled connection and whether it broke while held. */
class Lease implements Connection {
  broken = false;

  constructor(readonly client: MysqlPoolConnection) {}

  private async attempt<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (isConnectionLost(error)) this.broken = true;
      throw error;
    }
  }

  query(text: string, params: readonly unknown[]): Promise<QueryOutcome> {
    return this.attempt(async () => {
      const [result] = await this.client.execute(text, params as never[]);
      if (params.length > MAX_KEPT_PARAMS) this.client.unprepare?.(text);
      return outcome(result);
    });
  }

  command(text: string): Promise<QueryOutcome> {
    return this.attempt(async () => outcome((await this.client.query(text))[0]));
  }

  release(): void {
    if (this.broken) this.client.destroy();
    else this.client.release();
  }
}

/** A driver over a `mysql2/promise` pool. */
export function poolDriver(settings: PoolDriverSettings): Driver {
  let pool: Promise<MysqlPool> | null = null;
  let closed = false;
  let version: Promise<string> | null = null;

  const getPool = (): Promise<MysqlPool> => {
    if (!pool) {
      const source = settings.pool;
      pool = typeof source === 'function' ? source() : Promise.resolve(source);
      // A failed open is retried by the next call rather than remembered.
      pool.catch(() => (pool = null));
    }
    return pool;
  };

  async function connect(): Promise<MysqlPoolConnection> {
    let p: MysqlPool;
    try {
      p = await getPool();
    } catch (error) {
      throw new StoreUnavailableError(`cannot open the connection pool: ${(error as Error).message}`, { cause: error });
    }
    const pending = p.getConnection();
    const limit = settings.acquireTimeoutMs;
    if (limit <= 0) {
      try {
        return await pending;
      } catch (error) {
        throw new StoreUnavailableError(`cannot connect to the database: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = Symbol('expired');
    const timeout = new Promise<typeof expired>((resolve) => {
      timer = setTimeout(() => resolve(expired), limit);
    });
    let got: MysqlPoolConnection | typeof expired;
    try {
      got = await Promise.race([pending, timeout]);
    } catch (error) {
      throw new StoreUnavailableError(`cannot connect to the database: ${(error as Error).message}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
    if (got === expired) {
      // The pool still owes this caller a connection; give it straight back when it comes.
      pending.then(
        (c) => c.release(),
        () => undefined,
      );
      throw new StoreUnavailableError(
        `no database connection became free within ${limit} ms: the pool is exhausted or the server is not answering`,
      );
    }
    return got;
  }

  async function lease(): Promise<Lease> {
    if (closed) throw new StoreUnavailableError('the store is closed');
    const held = new Lease(await connect());
    const key = held.client.connection ?? held.client;
    try {
      if (!configured.has(key)) {
        for (const statement of SESSION_SETUP) await held.command(statement);
        if (settings.owned) await held.command(`SET SESSION ${READ_COMMITTED}`);
        configured.add(key);
      }
      if (!version) version = held.command('SELECT VERSION() AS v').then((r) => String(r.rows[0]?.['v'] ?? ''));
      await version;
    } catch (error) {
      version = null;
      held.broken = true;
      held.release();
      throw new StoreUnavailableError(`cannot set up the connection: ${(error as Error).message}`, { cause: error });
    }
    return held;
  }

  return {
    async version() {
      if (!version) await this.run(async () => undefined);
      return version!;
    },

    async run(fn) {
      const held = await lease();
      try {
        return await fn(held);
      } finally {
        held.release();
      }
    },

    async transaction(fn) {
      const held = await lease();
      try {
        // On a host's pool, READ COMMITTED for this transaction only: the host's own use keeps its level.
        // The store's own connections have it as their session's level: one round trip less.
        if (!settings.owned) await held.command(`SET ${READ_COMMITTED}`);
        await held.command('START TRANSACTION');
        const result = await fn(held);
        await held.command('COMMIT');
        return result;
      } catch (error) {
        if (!held.broken) {
          try {
            await held.command('ROLLBACK');
          } catch {
            // A connection that cannot roll back is not fit to be pooled again.
            held.broken = true;
          }
        }
        throw error;
      } finally {
        held.release();
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      if (settings.owned && pool) {
        const p = await pool.catch(() => null);
        await p?.end();
      }
    },
  };
}
