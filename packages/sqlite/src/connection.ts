/** One better-sqlite3 connection with its prepared statements, cached by text. */
import type Database from 'better-sqlite3';

/** How many prepared statements a connection keeps; the oldest is dropped beyond it. */
const MAX_STATEMENTS = 512;

/**
 * From this many rows (as a statement's last run returned), a page is read packed: see `allValuesMany`. A read
 * that asks for fewer never returns enough for that to pay.
 */
export const PACKED_FROM = 256;

type Row = Record<string, unknown>;
type Statement = Database.Statement<unknown[], unknown>;

/** Sets `text`'s entry; a new text beyond {@link MAX_STATEMENTS} entries drops the oldest. */
function remember<V>(cache: Map<string, V>, text: string, value: V): void {
  if (!cache.has(text) && cache.size >= MAX_STATEMENTS) cache.delete(cache.keys().next().value!);
  cache.set(text, value);
}

/** The statement cached under `text`, made on first use; the oldest is dropped beyond the cache's size. */
function cached(cache: Map<string, Statement>, text: string, make: () => Statement): Statement {
  let statement = cache.get(text);
  if (statement === undefined) {
    statement = make();
    remember(cache, text, statement);
  }
  return statement;
}

/**
 * A connection that prepares each statement text once. Statements are bound from one array, so the
 * hot path allocates nothing beyond the parameters themselves.
 */
export class Connection {
  private readonly statements = new Map<string, Database.Statement<unknown[], unknown>>();
  /** The same texts prepared to return rows as arrays of values (no object per row). */
  private readonly valueStatements = new Map<string, Database.Statement<unknown[], unknown>>();
  /** The same texts wrapped to return all their rows as one JSON array of arrays. */
  private readonly packedStatements = new Map<string, Database.Statement<unknown[], unknown>>();
  /** How many rows each text read by {@link allValuesMany} returned last time. */
  private readonly lastRows = new Map<string, number>();

  constructor(readonly db: Database.Database) {}

  /** The prepared statement of `text`, prepared on first use. */
  prepare(text: string): Database.Statement<unknown[], unknown> {
    return cached(this.statements, text, () => this.db.prepare<unknown[], unknown>(text));
  }

  /** The prepared statement of `text` returning rows as arrays, prepared on first use. */
  prepareValues(text: string): Database.Statement<unknown[], unknown> {
    return cached(this.valueStatements, text, () => this.db.prepare<unknown[], unknown>(text).raw(true));
  }

  /** Runs a statement that returns no rows; returns how many rows it changed. */
  run(text: string, params: readonly unknown[]): number {
    return this.prepare(text).run(params).changes;
  }

  /** The first row of a query (or of a `RETURNING` write), if any. */
  get(text: string, params: readonly unknown[]): Row | undefined {
    return this.prepare(text).get(params) as Row | undefined;
  }

  /** Every row of a query. */
  all(text: string, params: readonly unknown[]): Row[] {
    return this.prepare(text).all(params) as Row[];
  }

  /** The first row of a query (or of a `RETURNING` write) as its values in column order, if any. */
  getValues(text: string, params: readonly unknown[]): unknown[] | undefined {
    return this.prepareValues(text).get(params) as unknown[] | undefined;
  }

  /** Every row of a query, each as its values in column order. */
  allValues(text: string, params: readonly unknown[]): unknown[][] {
    return this.prepareValues(text).all(params) as unknown[][];
  }

  /**
   * Every row of a query that may return many (an `ORDER BY ... LIMIT` page), each as its values in column
   * order, as {@link allValues} returns them. Where the statement's last run returned `PACKED_FROM`
   * rows or more, SQLite hands them over as one JSON text (built in C, parsed at once by the engine)
   * instead of one value at a time, which costs far less per row; a statement that returns a few rows
   * (a sale's lines under a generous limit) is read row by row, where wrapping would cost more than it
   * saves. The query's order is kept: its `LIMIT` makes SQLite run it as a subquery of its own, whose
   * rows the outer aggregate takes in order.
   */
  allValuesMany(text: string, params: readonly unknown[]): unknown[][] {
    const rows =
      (this.lastRows.get(text) ?? 0) >= PACKED_FROM ? this.packed(text, params) : this.allValues(text, params);
    remember(this.lastRows, text, rows.length);
    return rows;
  }

  /** Every row of a query, as one JSON text from SQLite. */
  private packed(text: string, params: readonly unknown[]): unknown[][] {
    const packed = cached(this.packedStatements, text, () => {
      const columns = this.prepareValues(text)
        .columns()
        .map((c) => `"${c.name.replaceAll('"', '""')}"`);
      return this.db
        .prepare<unknown[], unknown>(`SELECT json_group_array(json_array(${columns.join(', ')})) FROM (${text})`)
        .pluck(true);
    });
    let json: string;
    try {
      json = packed.get(params) as string;
    } catch {
      // Too large for one text (SQLite's limit or the engine's): row by row. Reads change nothing, so an
      // error of the query itself comes again, from that read.
      return this.allValues(text, params);
    }
    return JSON.parse(json) as unknown[][];
  }

  /** Runs statements that are not worth caching (schema changes). */
  exec(text: string): void {
    this.db.exec(text);
  }

  /** Closes the connection; its statements go with it. */
  close(): void {
    this.statements.clear();
    this.valueStatements.clear();
    this.packedStatements.clear();
    this.lastRows.clear();
    if (this.db.open) this.db.close();
  }
}
