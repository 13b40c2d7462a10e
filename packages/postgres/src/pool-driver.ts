/**
 * The node-postgres driver: connections from a `pg.Pool` (the host's, or one opened from a connection
 * string), prepared statements cached per connection by text, a bounded wait for a free connection,
 * and dead connections discarded instead of returned to the pool.
 */
import { StoreUnavailableError } from '@clientele/core/adapter';
import type { PgPool, PgPoolClient, PgQueryConfig, PgQueryResult } from './clients.js';
import type { Connection, Driver, QueryOutcome } from './driver.js';
import { isConnectionLost } from './errors.js';

/** Settings of {@link poolDriver}. */
export interface PoolDriverSettings {
  /** The host's pool (left open on close), or a function that opens the store's own. */
  pool: PgPool | (() => Promise<PgPool>);
  /** Whether the store owns the pool and ends it on close. */
  owned: boolean;
  /** How long a call waits for a free connection before `STORE_UNAVAILABLE`; 0 waits as long as the pool does. */
  acquireTimeoutMs: number;
  /** Set once on each connection of a host's pool (an owned pool sets it when connecting). */
  statementTimeoutMs: number | undefined;
  /** Whether to name statements so each connection parses and plans each text once. */
  preparedStatements: boolean;
}

/** Statement names by text, shared by every connection so one name always means one text. */
const statementNames = new Map<string, string>();
/** Beyond this many texts, further ones run unnamed (a bound on server memory per connection). */
const MAX_NAMED_STATEMENTS = 4096;

function nameOf(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < MAX_NAMED_STATEMENTS) {
    name = `clientele_${statementNames.size.toString(36)}`;
    statementNames.set(text, name);
  }
  return name;
}

/** `bigint`'s type OID: node-postgres gives its digits as a string, after checking them against a pattern. */
const INT8 = 20;
const asText = (value: string): string => value;

/**
 * Per connection, the column parsers of reads whose values the store decodes itself: a `bigint` as its
 * text, as node-postgres gives it but without the check (the store makes it a number); other types as
 * the connection parses them. Undefined for a client that does not say how it parses.
 */
const readTypesOf = new WeakMap<PgPoolClient, PgQueryConfig['types']>();

function readTypes(client: PgPoolClient): PgQueryConfig['types'] {
  if (readTypesOf.has(client)) return readTypesOf.get(client);
  const parserOf = client.getTypeParser?.bind(client);
  const types: PgQueryConfig['types'] =
    parserOf === undefined
      ? undefined
      : { getTypeParser: (oid, format) => (oid === INT8 ? asText : parserOf(oid, format)) };
  readTypesOf.set(client, types);
  return types;
}

/** Connections on which the statement timeout was already set (host pools only). */
const configured = new WeakSet<PgPoolClient>();

/** A pooled connection with its error listener and whether it broke while held. */
class Lease implements Connection {
  broken = false;
  private readonly onError = (): void => {
    // The socket failed while the connection was checked out: without a listener node-postgres
    // would raise it as an uncaught error. The running query fails on its own; mark it for disposal.
    this.broken = true;
  };

  constructor(
    readonly client: PgPoolClient,
    private readonly prepared: boolean,
  ) {
    client.on('error', this.onError);
  }

  async query(text: string, params: readonly unknown[]): Promise<QueryOutcome> {
    const result = await this.send(this.configOf(text, params));
    return { rows: result.rows, rowCount: result.rowCount ?? 0 };
  }

  async queryValues(text: string, params: readonly unknown[]): Promise<unknown[][]> {
    const config = this.configOf(text, params);
    config.rowMode = 'array';
    const types = readTypes(this.client);
    if (types !== undefined) config.types = types;
    return (await this.send(config)).rows as unknown as unknown[][];
  }

  private configOf(text: string, params: readonly unknown[]): PgQueryConfig {
    const config: PgQueryConfig = { text, values: params as unknown[] };
    if (this.prepared && params.length > 0) {
      const name = nameOf(text);
      if (name !== undefined) config.name = name;
    }
    return config;
  }

  private async send(config: PgQueryConfig): Promise<PgQueryResult> {
    try {
      return await this.client.query(config);
    } catch (error) {
      if (isConnectionLost(error)) this.broken = true;
      throw error;
    }
  }

  release(): void {
    this.client.removeListener('error', this.onError);
    this.client.release(this.broken ? true : undefined);
  }
}

/** A driver over a node-postgres pool. */
export function poolDriver(settings: PoolDriverSettings): Driver {
  let pool: Promise<PgPool> | null = null;
  let closed = false;
  const getPool = (): Promise<PgPool> => {
    if (!pool) {
      const source = settings.pool;
      pool = typeof source === 'function' ? source() : Promise.resolve(source);
      // A failed open is retried by the next call rather than remembered.
      pool.catch(() => (pool = null));
    }
    return pool;
  };

  async function connect(): Promise<PgPoolClient> {
    let p: PgPool;
    try {
      p = await getPool();
    } catch (error) {
      throw new StoreUnavailableError(`cannot open the connection pool: ${(error as Error).message}`, { cause: error });
    }
    const pending = p.connect();
    const limit = settings.acquireTimeoutMs;
    let client: PgPoolClient;
    if (limit > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const expired = Symbol('expired');
      const timeout = new Promise<typeof expired>((resolve) => {
        timer = setTimeout(() => resolve(expired), limit);
      });
      let outcome: PgPoolClient | typeof expired;
      try {
        outcome = await Promise.race([pending, timeout]);
      } catch (error) {
        throw new StoreUnavailableError(`cannot connect to PostgreSQL: ${(error as Error).message}`, { cause: error });
      } finally {
        clearTimeout(timer);
      }
      if (outcome === expired) {
        // The pool still owes this caller a connection; give it straight back when it comes.
        pending.then(
          (c) => c.release(),
          () => undefined,
        );
        const busy = p.totalCount !== undefined ? ` (${p.totalCount} open, ${p.waitingCount ?? 0} waiting)` : '';
        throw new StoreUnavailableError(
          `no database connection became free within ${limit} ms${busy}: the pool is exhausted or the server ` +
            `is not answering`,
        );
      }
      client = outcome;
    } else {
      try {
        client = await pending;
      } catch (error) {
        throw new StoreUnavailableError(`cannot connect to PostgreSQL: ${(error as Error).message}`, { cause: error });
      }
    }
    if (!settings.owned && settings.statementTimeoutMs !== undefined && !configured.has(client)) {
      try {
        await client.query({ text: `SET statement_timeout = ${Math.trunc(settings.statementTimeoutMs)}` });
      } catch (error) {
        client.release(true);
        throw new StoreUnavailableError(`cannot configure the connection: ${(error as Error).message}`, {
          cause: error,
        });
      }
      configured.add(client);
    }
    return client;
  }

  async function lease(): Promise<Lease> {
    if (closed) throw new StoreUnavailableError('the store is closed');
    return new Lease(await connect(), settings.preparedStatements);
  }

  return {
    multiProcess: true,
    serial: false,

    async run(fn) {
      const held = await lease();
      try {
        return await fn(held);
      } finally {
        held.release();
      }
    },

    async transaction(begin, fn) {
      const held = await lease();
      try {
        for (const statement of begin) await held.query(statement, []);
        const result = await fn(held);
        await held.query('COMMIT', []);
        return result;
      } catch (error) {
        if (!held.broken) {
          try {
            await held.query('ROLLBACK', []);
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
