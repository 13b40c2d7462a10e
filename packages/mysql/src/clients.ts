/**
 * The small slice of `mysql2/promise` the store uses, written out structurally: a pool from
 * `mysql.createPool(...)` satisfies it as it is, and the driver is not imported for its types.
 */

/** A result as `execute` gives it: rows for a query, a header (rows matched or changed) for a write. */
export type MysqlResult = [unknown, unknown];

/** A connection checked out of a `mysql2/promise` pool. */
export interface MysqlPoolConnection {
  /**
   * Runs one statement as a prepared statement, cached on the connection by its text. (The values are typed
   * `never[]` so that mysql2's own signature, which names its value types, fits this one.)
   */
  execute(sql: string, values?: never[]): Promise<MysqlResult>;
  /** Runs one statement without preparing it (session settings, locks, DDL). */
  query(sql: string): Promise<MysqlResult>;
  /** Closes the prepared statement of this text on the connection. */
  unprepare?(sql: string): void;
  /** Gives the connection back to the pool. */
  release(): void;
  /** Closes the connection instead of giving it back. */
  destroy(): void;
  /** The underlying connection (the same object each time this connection is checked out). */
  readonly connection?: object;
}

/** A `mysql2/promise` pool. */
export interface MysqlPool {
  /** Checks out a connection (waiting for one when all are in use). */
  getConnection(): Promise<MysqlPoolConnection>;
  /** Closes every connection. */
  end(): Promise<void>;
}
