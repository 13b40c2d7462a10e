/**
 * What the store needs of a PostgreSQL client, whichever it is: run statements on one connection, and
 * run a callback inside one transaction on one connection. A node-postgres pool and a PGlite instance
 * each implement it; everything above is the same code for both.
 */

/** Rows a statement returned and how many rows it changed (or returned, for a query). */
export interface QueryOutcome {
  rows: Record<string, unknown>[];
  rowCount: number;
}

/** One connection, for as long as a call or a transaction holds it. Errors are the driver's own. */
export interface Connection {
  query(text: string, params: readonly unknown[]): Promise<QueryOutcome>;
  /**
   * As `query`, each row an array of its values in select order: no object per row keyed by column
   * name, for reads of many rows. A driver without it is read through `query`.
   */
  queryValues?(text: string, params: readonly unknown[]): Promise<unknown[][]>;
}

/** A source of connections. */
export interface Driver {
  /** Whether other processes may share the database (a server does; PGlite is private to its process). */
  readonly multiProcess: boolean;
  /** Whether transactions already run one at a time (then isolation and retries never matter). */
  readonly serial: boolean;
  /** Runs `fn` on one connection, outside a transaction; `fn` must not open one itself. */
  run<T>(fn: (connection: Connection) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` inside a transaction: `begin` first (`BEGIN ...` and statements that must come before
   * any other), then `fn`, then `COMMIT`. If anything throws, the transaction is rolled back and the
   * error rethrown; a connection found dead is discarded, never reused.
   */
  transaction<T>(begin: readonly string[], fn: (connection: Connection) => Promise<T>): Promise<T>;
  /** Releases what the driver owns (a pool it opened); a host's client is left open. */
  close(): Promise<void>;
}
