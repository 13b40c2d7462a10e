/**
 * The port's data operations on one better-sqlite3 connection. They run synchronously (the driver
 * does), so whoever calls them decides the locking; errors leave here already translated.
 */
import { InvalidStateError } from '@clientele/core/adapter';
import type {
  AggregateQuery,
  AggregateRow,
  AnyRow,
  CollectionSpec,
  ConditionalWrite,
  FindQuery,
  IncrementGuard,
  IncrementResult,
  Link,
  LinkedRows,
  NewRowOf,
  Page,
  PatchOf,
  RowOf,
  AdapterSession,
  Projected,
  Where,
  WriteOptions,
} from '@clientele/core/adapter';
import {
  aggregateStatement,
  collectionStatements,
  linkedGetStatements,
  setsUniqueField,
  sqliteDialect,
} from '@clientele/sql';
import type { CollectionStatements } from '@clientele/sql';
import { PACKED_FROM, type Connection } from './connection.js';
import { translateError } from './errors.js';

function statementsOf(collection: CollectionSpec): CollectionStatements {
  return collectionStatements(sqliteDialect, collection);
}

// Every full-row read and `RETURNING` fetches arrays of values: cheaper than an object per row.
function getRow(conn: Connection, s: CollectionStatements, key: string): AnyRow | undefined {
  const st = s.get(key);
  const values = conn.getValues(st.text, st.params);
  return values === undefined ? undefined : s.decodeValues(values);
}

/** The error of a batch that took back all it wrote before failing: the transaction goes on. */
class Undone {
  constructor(readonly error: unknown) {}
}

/** Multi-row insert texts as `INSERT OR IGNORE`, by the plain text. */
const skippingTexts = new Map<string, string>();

function insertOrSkip(text: string): string {
  let skipping = skippingTexts.get(text);
  if (skipping === undefined) {
    skipping = `INSERT OR IGNORE INTO${text.slice('INSERT INTO'.length)}`;
    if (skippingTexts.size >= 1024) skippingTexts.clear();
    skippingTexts.set(text, skipping);
  }
  return skipping;
}

function fail(error: unknown, collection: CollectionSpec, key?: unknown): never {
  throw translateError(error, typeof key === 'string' ? { collection, key } : { collection });
}

/** Whether a session may still be used, and what to say when it may not. */
export interface SessionState {
  active: boolean;
  /** The message of the error thrown once inactive. */
  readonly closedMessage: string;
  /**
   * The error of a batch that failed partway inside the transaction (see `batch` in {@link ConnectionSession}):
   * the transaction may only roll back, and the store's `transaction` rethrows it instead of committing.
   */
  failure?: unknown;
}

const SAVEPOINT = 'clientele_batch';

/**
 * The adapter's operations (base and push-downs) whose every call runs at once on `conn`. It does not lock: a
 * transaction's
 * session runs under the transaction's lock, and the store wraps its own calls in the lock.
 */
export class ConnectionSession implements AdapterSession {
  constructor(
    private readonly conn: Connection,
    private readonly state: SessionState,
  ) {}

  private check(): void {
    if (!this.state.active) throw new InvalidStateError(this.state.closedMessage);
    if (this.state.failure !== undefined)
      throw new InvalidStateError(
        'a batch write of this transaction failed partway: the transaction can only roll back',
      );
  }

  async insert<C extends CollectionSpec>(c: C, row: NewRowOf<C>): Promise<RowOf<C>> {
    this.check();
    try {
      const st = statementsOf(c).insert(row as AnyRow);
      this.conn.run(st.text, st.params);
      return st.row as RowOf<C>;
    } catch (error) {
      fail(error, c, (row as AnyRow)[c.primaryKey]);
    }
  }

  async get<C extends CollectionSpec>(c: C, key: string): Promise<RowOf<C> | undefined> {
    this.check();
    try {
      return getRow(this.conn, statementsOf(c), key) as RowOf<C> | undefined;
    } catch (error) {
      fail(error, c, key);
    }
  }

  async getBy<C extends CollectionSpec>(c: C, index: string, values: Partial<RowOf<C>>): Promise<RowOf<C> | undefined> {
    this.check();
    try {
      const s = statementsOf(c);
      const st = s.getBy(index, values as AnyRow);
      if (!st) return undefined;
      const found = this.conn.getValues(st.text, st.params);
      return found === undefined ? undefined : (s.decodeValues(found) as RowOf<C>);
    } catch (error) {
      fail(error, c);
    }
  }

  async getLinked<C extends CollectionSpec, T extends CollectionSpec>(
    c: C,
    key: string,
    link: Link<C, T>,
  ): Promise<LinkedRows<C, T> | undefined> {
    this.check();
    try {
      const s = linkedGetStatements(sqliteDialect, c, link);
      const st = s.get(key);
      const found = this.conn.getValues(st.text, st.params);
      return found === undefined ? undefined : (s.decodeValues(found) as LinkedRows<C, T>);
    } catch (error) {
      fail(error, c, key);
    }
  }

  async find<C extends CollectionSpec, K extends keyof RowOf<C> & string = never>(
    c: C,
    query?: FindQuery<C, K>,
  ): Promise<Page<Projected<C, K>>> {
    this.check();
    try {
      const s = statementsOf(c);
      const st = s.find(query as FindQuery<CollectionSpec, string> | undefined);
      const rows =
        st.resolved.limit >= PACKED_FROM
          ? this.conn.allValuesMany(st.text, st.params)
          : this.conn.allValues(st.text, st.params);
      return s.pageValues(rows, st) as Page<Projected<C, K>>;
    } catch (error) {
      fail(error, c);
    }
  }

  async count<C extends CollectionSpec>(c: C, where?: Where<C>): Promise<number> {
    this.check();
    try {
      const st = statementsOf(c).count(where as Where | undefined);
      return Number(this.conn.get(st.text, st.params)?.['n'] ?? 0);
    } catch (error) {
      fail(error, c);
    }
  }

  async update<C extends CollectionSpec>(
    c: C,
    key: string,
    patch: PatchOf<C>,
    options?: WriteOptions,
  ): Promise<RowOf<C>> {
    this.check();
    try {
      const s = statementsOf(c);
      const st = s.update(key, patch as AnyRow, options);
      const values = this.conn.getValues(st.text, st.params);
      if (values !== undefined) return s.decodeValues(values) as RowOf<C>;
      throw s.missedWrite(key, getRow(this.conn, s, key), options);
    } catch (error) {
      fail(error, c, key);
    }
  }

  async delete<C extends CollectionSpec>(c: C, key: string, options?: WriteOptions): Promise<boolean> {
    this.check();
    try {
      const s = statementsOf(c);
      const st = s.delete(key, options);
      if (this.conn.run(st.text, st.params) > 0) return true;
      if (options?.expectVersion === undefined) return false;
      const current = getRow(this.conn, s, key);
      if (!current) return false;
      throw s.missedWrite(key, current, options);
    } catch (error) {
      fail(error, c, key);
    }
  }

  async increment<C extends CollectionSpec>(
    c: C,
    key: string,
    fieldName: keyof RowOf<C> & string,
    delta: number,
    guard?: IncrementGuard,
  ): Promise<IncrementResult<RowOf<C>>> {
    this.check();
    try {
      const s = statementsOf(c);
      const st = s.increment(key, fieldName, delta, guard);
      const values = this.conn.getValues(st.text, st.params);
      if (values !== undefined) return { applied: true, row: s.decodeValues(values) as RowOf<C> };
      return s.missedIncrement(key, fieldName, getRow(this.conn, s, key)) as IncrementResult<RowOf<C>>;
    } catch (error) {
      fail(error, c, key);
    }
  }

  async consume<C extends CollectionSpec>(
    c: C,
    key: string,
    when: Where<C>,
    set: PatchOf<C>,
  ): Promise<RowOf<C> | undefined> {
    this.check();
    try {
      const s = statementsOf(c);
      const st = s.consume(key, when as Where, set as AnyRow);
      const values = this.conn.getValues(st.text, st.params);
      return values === undefined ? undefined : (s.decodeValues(values) as RowOf<C>);
    } catch (error) {
      fail(error, c, key);
    }
  }

  async aggregate<C extends CollectionSpec>(c: C, query: AggregateQuery<C>): Promise<AggregateRow[]> {
    this.check();
    try {
      const st = aggregateStatement(statementsOf(c), query as AggregateQuery);
      // Rows as arrays: a rebuild reads millions of groups, and an object per row costs more than the SQL.
      const many = query.groupBy !== undefined && query.limit !== undefined && query.limit >= PACKED_FROM;
      return st.decodeValues(
        many ? this.conn.allValuesMany(st.text, st.params) : this.conn.allValues(st.text, st.params),
      );
    } catch (error) {
      fail(error, c);
    }
  }

  /**
   * All or nothing, in a transaction of its own or inside the caller's, with no savepoint and no statement journal on
   * the way that matters: each statement is an `INSERT OR IGNORE` of rows checked beforehand, which cannot abort
   * halfway nor leave a clash unseen. When a row clashed (the rows changed fall short), the rows that went in are
   * taken out again: every table keys by text, so each row added got the rowid after the table's largest, and those
   * of this call are the last `stored` up to `last_insert_rowid()`. The same rows inserted plainly under a savepoint
   * then raise the clash as a single insert would. A journal or a savepoint would copy every page the batch touches
   * to a temporary file first; `RETURNING` the keys cost a tenth of the insert.
   */
  async insertMany<C extends CollectionSpec>(c: C, rows: readonly NewRowOf<C>[]): Promise<number> {
    this.check();
    if (rows.length === 0) return 0;
    try {
      const s = statementsOf(c);
      const statements = s.insertMany(rows as readonly AnyRow[]);
      return this.batch(() => {
        let stored = 0;
        for (const st of statements) stored += this.conn.run(insertOrSkip(st.text), st.params);
        if (stored === rows.length) return rows.length;
        if (stored > 0) this.conn.run(`DELETE FROM ${s.shape.table} WHERE rowid > last_insert_rowid() - ?`, [stored]);
        try {
          return this.allOrNothing(() => {
            for (const st of statements) this.conn.run(st.text, st.params);
            return rows.length;
          });
        } catch (error) {
          throw new Undone(error);
        }
      });
    } catch (error) {
      fail(error, c);
    }
  }

  /**
   * All or nothing, as {@link ConnectionSession.insertMany}: one guarded `UPDATE` per write, returning
   * no row (the changed-row count says whether it applied), which spares reading and decoding each
   * written row as `consume` does.
   */
  async consumeMany<C extends CollectionSpec>(c: C, writes: readonly ConditionalWrite<C>[]): Promise<string[]> {
    this.check();
    const s = statementsOf(c);
    let key: string | undefined;
    try {
      // Every write is checked (as its statement is made) before any runs.
      const statements = writes.map((w) => {
        key = w.key;
        return s.consumeQuietly(w.key, w.when as Where, w.set as AnyRow);
      });
      const run = () => {
        const applied: string[] = [];
        for (let i = 0; i < writes.length; i++) {
          key = writes[i]!.key;
          if (this.conn.run(statements[i]!.text, statements[i]!.params) > 0) applied.push(key);
        }
        return applied;
      };
      // A write to a unique field may clash halfway: only such a batch pays for a savepoint.
      return writes.some((w) => setsUniqueField(c, w.set as AnyRow)) ? this.allOrNothing(run) : this.batch(run);
    } catch (error) {
      fail(error, c, key);
    }
  }

  /** All or nothing, as {@link ConnectionSession.consumeMany}: one `DELETE` per key, one prepared text. */
  async deleteMany<C extends CollectionSpec>(c: C, keys: readonly string[]): Promise<string[]> {
    this.check();
    const s = statementsOf(c);
    try {
      // A delete by key cannot clash: no savepoint (see `batch`).
      return this.batch(() => {
        const deleted: string[] = [];
        for (const key of keys) {
          const st = s.delete(key);
          if (this.conn.run(st.text, st.params) > 0) deleted.push(key);
        }
        return deleted;
      });
    } catch (error) {
      fail(error, c);
    }
  }

  /**
   * Runs `fn`, whose writes are checked and cannot clash, in a transaction of its own, or inside the caller's with
   * no savepoint: a savepoint copies every page the batch touches to a temporary file first, against a failure that
   * only the database itself can raise now (a full disk, an I/O error). Should one come, the caller's transaction
   * can no longer commit (see {@link SessionState.failure}), so the batch is still all or nothing.
   */
  private batch<T>(fn: () => T): T {
    const own = !this.conn.db.inTransaction;
    try {
      return own ? this.allOrNothing(fn) : fn();
    } catch (error) {
      // A batch that took back what it wrote leaves the caller's transaction usable.
      if (error instanceof Undone) throw error.error;
      if (!own) this.state.failure ??= error;
      throw error;
    }
  }

  /** Runs `fn` in a transaction of its own, or in a savepoint inside the caller's; undone whole if it throws. */
  private allOrNothing<T>(fn: () => T): T {
    const conn = this.conn;
    const nested = conn.db.inTransaction;
    conn.run(nested ? `SAVEPOINT ${SAVEPOINT}` : sqliteDialect.beginWrite, []);
    let result: T;
    try {
      result = fn();
    } catch (error) {
      if (conn.db.inTransaction) {
        if (nested) {
          conn.run(`ROLLBACK TO ${SAVEPOINT}`, []);
          conn.run(`RELEASE ${SAVEPOINT}`, []);
        } else conn.run('ROLLBACK', []);
      }
      throw error;
    }
    conn.run(nested ? `RELEASE ${SAVEPOINT}` : 'COMMIT', []);
    return result;
  }
}
