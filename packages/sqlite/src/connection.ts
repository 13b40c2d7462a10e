/** One better-sqlite3 connection with its prepared statements, cached by text. */
import type Database from 'better-sqlite3';

/** How many prepared statements a connection keeps; the oldest is dropped beyond it. */
const MAX_STATEMENTS = 512;

type Row = Record<string, unknown>;

/**
 * A connection that prepares each statement text once. Statements are bound from one array, so the
 * hot path allocates nothing beyond the parameters themselves.
 */
export class Connection {
  private readonly statements = new Map<string, Database.Statement<unknown[], unknown>>();

  constructor(readonly db: Database.Database) {}

  /** The prepared statement of `text`, prepared on first use. */
  prepare(text: string): Database.Statement<unknown[], unknown> {
    let statement = this.statements.get(text);
    if (statement === undefined) {
      statement = this.db.prepare<unknown[], unknown>(text);
      if (this.statements.size >= MAX_STATEMENTS) this.statements.delete(this.statements.keys().next().value!);
      this.statements.set(text, statement);
    }
    return statement;
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

  /** Runs statements that are not worth caching (schema changes). */
  exec(text: string): void {
    this.db.exec(text);
  }

  /** Closes the connection; its statements go with it. */
  close(): void {
    this.statements.clear();
    if (this.db.open) this.db.close();
  }
}
