/**
 * The small slices of node-postgres and PGlite the store uses, written out structurally: a `pg.Pool`
 * and a `PGlite` instance satisfy them as they are, and neither driver is imported for its types, so
 * a PGlite-only (or browser) host never loads `pg`.
 */

/** A column of a result: its name and type (OID 20 is `bigint`). */
export interface ResultField {
  /** The column's name in the result. */
  name: string;
  /** The column type's OID. */
  dataTypeID: number;
}

/** A result as node-postgres returns it. */
export interface PgQueryResult {
  /** The rows, keyed by column name (arrays of values with `rowMode: 'array'`). */
  rows: Record<string, unknown>[];
  /** Rows changed (or returned); `null` for statements without a count. */
  rowCount: number | null;
  /** The columns of `rows`. */
  fields?: ResultField[];
}

/** A query as node-postgres takes it: `name` makes it a prepared statement cached on the connection. */
export interface PgQueryConfig {
  /** The SQL, with `$n` parameters. */
  text: string;
  /** The values bound to the parameters. */
  values?: unknown[];
  /** Prepares the text once per connection under this name. */
  name?: string;
  /** `'array'`: each row as an array of its values in select order, not an object keyed by column name. */
  rowMode?: 'array';
  /** The parsers of this query's column types, in place of the driver's global ones. */
  types?: { getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown };
}

/** A connection checked out of a node-postgres pool (`pg.PoolClient`). */
export interface PgPoolClient {
  /** Runs one statement. */
  query(config: PgQueryConfig): Promise<PgQueryResult>;
  /** Gives the connection back; with an error (or `true`) the pool destroys it instead. */
  release(destroy?: Error | boolean): void;
  /** Listens for the connection failing while it is checked out. */
  on(event: 'error', listener: (error: Error) => void): unknown;
  /** Stops listening. */
  removeListener(event: 'error', listener: (error: Error) => void): unknown;
  /** The parser the connection applies to a column type (node-postgres has it; optional for other clients). */
  getTypeParser?(oid: number, format?: 'text' | 'binary'): (value: string) => unknown;
}

/** A node-postgres pool (`pg.Pool`). */
export interface PgPool {
  /** Checks out a connection (waiting for one when all are in use). */
  connect(): Promise<PgPoolClient>;
  /** Closes every connection. */
  end(): Promise<void>;
  /** Listens for idle connections failing. */
  on(event: 'error', listener: (error: Error, client: unknown) => void): unknown;
  /** Connections open (node-postgres keeps these counts; they only improve error messages). */
  readonly totalCount?: number;
  /** Callers waiting for a connection. */
  readonly waitingCount?: number;
}

/** A result as PGlite returns it. */
export interface PGliteResult {
  /** The rows, keyed by column name. */
  rows: unknown[];
  /** Rows changed by the statement. */
  affectedRows?: number;
  /** The columns of `rows`. */
  fields?: ResultField[];
}

/** A PGlite transaction handle. */
export interface PGliteTransaction {
  /** Runs one statement inside the transaction. */
  query(text: string, params?: unknown[]): Promise<PGliteResult>;
}

/** A PGlite instance (`@electric-sql/pglite`): one in-process PostgreSQL, one connection. */
export interface PGliteDatabase {
  /** Runs one statement (after any running transaction). */
  query(text: string, params?: unknown[]): Promise<PGliteResult>;
  /** Runs `fn` in a transaction that nothing else interleaves with. */
  transaction<T>(fn: (tx: PGliteTransaction) => Promise<T>): Promise<T>;
}
