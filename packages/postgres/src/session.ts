/**
 * The port's data operations on one PostgreSQL connection, built from `@clientele/sql` statements.
 * Errors leave here translated; inside a transaction, a statement the server failed is remembered,
 * because PostgreSQL aborts the whole transaction after it and the store must not try to commit.
 */
import {
  ConflictError,
  InvalidStateError,
  Mutex,
  checkConditionalWrites,
  checkDistinct,
  checkRow,
  isStorableText,
  normaliseWhere,
} from '@clientele/core/adapter';
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
  MAX_ROWS_PER_BULK_WRITE,
  aggregateStatement,
  bulkDeleteStatement,
  bulkInsertStatement,
  bulkWriteStatement,
  collectionStatements,
  linkedGetStatements,
  setsUniqueField,
  shapeOf,
  uniqueFieldsOf,
} from '@clientele/sql';
import type { CollectionStatements, Dialect, WriteShape } from '@clientele/sql';
import type { Connection, QueryOutcome } from './driver.js';
import { RowChangedSinceRead, translateError } from './errors.js';

/** The life of one session: whether it may be used, and the server error that aborted its transaction. */
export interface SessionState {
  active: boolean;
  /** The message of the error thrown once inactive. */
  readonly closedMessage: string;
  /** Inside a transaction: the first server error, after which PostgreSQL refuses every statement. */
  failure: unknown;
}

/** How a session reaches the database. */
export interface SessionSettings {
  readonly dialect: Dialect;
  readonly connection: Connection;
  readonly state: SessionState;
  /** Whether the session is a transaction's (writes that may clash then run under a savepoint). */
  readonly inTransaction: boolean;
  /** Outside a transaction: runs a bulk insert in a transaction of its own, all or nothing. */
  readonly bulk?: <T>(fn: (session: PostgresSession) => Promise<T>) => Promise<T>;
}

const SAVEPOINT = 'clientele_write';
/** How often a write that missed a row committed just after its snapshot is sent again. */
const MAX_WRITE_ATTEMPTS = 3;

/** Whether `value` is a safe integer inside the guard's bounds (what the guarded update checks in SQL). */
function withinGuard(value: number, guard: IncrementGuard | undefined): boolean {
  return (
    Number.isSafeInteger(value) &&
    (guard?.min === undefined || value >= guard.min) &&
    (guard?.max === undefined || value <= guard.max)
  );
}

/** Per collection: the statement texts with `ON CONFLICT DO NOTHING`, by the plain text. */
const insertOrSkipTexts = new WeakMap<CollectionStatements, Map<string, string>>();

function insertOrSkipOf(s: CollectionStatements): Map<string, string> {
  let texts = insertOrSkipTexts.get(s);
  if (!texts) {
    texts = new Map();
    insertOrSkipTexts.set(s, texts);
  }
  return texts;
}

/** Checks a batch of conditional writes as `consume` checks each, and that no row is named twice. */
function checkWrites(c: CollectionSpec, writes: readonly ConditionalWrite[]): void {
  checkConditionalWrites(c, writes);
  for (const w of writes) {
    checkRow(c, w.set as AnyRow, 'patch');
    normaliseWhere(c, w.when as Where);
  }
}

/** Paged aggregate texts with the order PostgreSQL's indexes give, by the text the SQL layer wrote. */
const orderedTexts = new Map<string, string>();
const MAX_ORDERED_TEXTS = 1024;

/**
 * A page of groups is ordered `ASC NULLS FIRST` (core's group order). A PostgreSQL b-tree index
 * ascends with nulls last, so on any column that order keeps the index from giving the rows in order:
 * each page would then sort every row after the cursor, and paging through a table would take time
 * in the square of its size. On a column that cannot be null, `NULLS FIRST` changes nothing: leave it
 * out there, and an index on the group-by columns serves each page directly.
 */
function indexOrdered(s: CollectionStatements, query: AggregateQuery, text: string): string {
  if (query.limit === undefined && query.after === undefined) return text;
  let ordered = orderedTexts.get(text);
  if (ordered === undefined) {
    const at = text.lastIndexOf(' ORDER BY ');
    let order = at < 0 ? '' : text.slice(at);
    for (const f of query.groupBy ?? []) {
      if (s.shape.collection.fields[f]?.nullable) continue;
      const column = s.shape.compared(f);
      order = order.split(`${column} ASC NULLS FIRST`).join(`${column} ASC`);
    }
    ordered = at < 0 ? text : text.slice(0, at) + order;
    if (orderedTexts.size < MAX_ORDERED_TEXTS) orderedTexts.set(text, ordered);
  }
  return ordered;
}

/**
 * A {@link StoreSession} on one connection. Inside a transaction its calls are serialised, because a
 * call may be several statements (a savepoint around a write, a re-read after a missed update) that
 * must not interleave with another call made without awaiting the first.
 */
export class PostgresSession implements AdapterSession {
  private readonly lock: Mutex | null;
  /**
   * Inside a transaction: the version at which it first read each versioned row (advanced by its own
   * writes), so that a later write of the row is made only if no one else changed it in between.
   */
  private readonly versions: Map<string, Map<string, number>> | null;

  constructor(private readonly settings: SessionSettings) {
    this.lock = settings.inTransaction ? new Mutex() : null;
    this.versions = settings.inTransaction ? new Map() : null;
  }

  private versionsOf(c: CollectionSpec): Map<string, number> | undefined {
    if (!this.versions || !c.versioned) return undefined;
    let m = this.versions.get(c.name);
    if (!m) {
      m = new Map();
      this.versions.set(c.name, m);
    }
    return m;
  }

  /** Notes rows the transaction read: the first version seen of each is what its writes will expect. */
  private sawRows(c: CollectionSpec, rows: readonly AnyRow[]): void {
    const m = this.versionsOf(c);
    if (!m) return;
    for (const row of rows) {
      const key = row[c.primaryKey] as string;
      if (!m.has(key)) m.set(key, row['version'] as number);
    }
  }

  /**
   * Notes a row the transaction wrote. The version read advances only when the write followed it
   * directly; a gap means someone else wrote the row in between, and the next write must notice.
   */
  private wroteRow(c: CollectionSpec, row: AnyRow): void {
    const m = this.versionsOf(c);
    if (!m) return;
    const key = row[c.primaryKey] as string;
    const read = m.get(key);
    const version = row['version'] as number;
    if (read === undefined || read === version - 1) m.set(key, version);
  }

  /** The version the transaction read the row at, if it read it. */
  private readVersion(c: CollectionSpec, key: string): number | undefined {
    return this.versionsOf(c)?.get(key);
  }

  /** The retryable conflict of a write to a row that changed after the transaction read it. */
  private changedSinceRead(c: CollectionSpec, key: string, read: number, current: AnyRow): ConflictError {
    return new ConflictError(
      'serialization',
      `${c.name}: ${key} was changed by a concurrent transaction after this one read it; run the operation again`,
      { collection: c.name, key },
      { cause: new RowChangedSinceRead(c.name, key, read, current['version']) },
    );
  }

  private statementsOf(collection: CollectionSpec): CollectionStatements {
    return collectionStatements(this.settings.dialect, collection);
  }

  /** Throws once the session (its transaction, or the store) is over. */
  private checkUsable(): void {
    if (!this.settings.state.active) throw new InvalidStateError(this.settings.state.closedMessage);
  }

  /** Runs one operation: checks the session is usable, serialises it in a transaction, translates errors. */
  private async op<T>(collection: CollectionSpec, key: unknown, fn: () => Promise<T>): Promise<T> {
    this.checkUsable();
    const { state } = this.settings;
    const run = async (): Promise<T> => {
      if (state.failure !== undefined)
        throw translateError(state.failure, { dialect: this.settings.dialect, collection });
      try {
        return await fn();
      } catch (error) {
        throw translateError(error, {
          dialect: this.settings.dialect,
          collection,
          ...(typeof key === 'string' ? { key } : {}),
        });
      }
    };
    return this.lock ? this.lock.run(run) : run();
  }

  /** Sends one statement, its failure remembered (see {@link remembered}). */
  private send(text: string, params: readonly unknown[]): Promise<QueryOutcome> {
    return this.remembered(this.settings.connection.query(text, params));
  }

  /** As {@link send}, each row an array of its values in select order (the connection has `queryValues`). */
  private sendValues(text: string, params: readonly unknown[]): Promise<unknown[][]> {
    return this.remembered(this.settings.connection.queryValues!(text, params));
  }

  /** A statement's outcome; a server error inside a transaction is remembered as the transaction's failure. */
  private async remembered<T>(outcome: Promise<T>): Promise<T> {
    try {
      return await outcome;
    } catch (error) {
      if (this.settings.inTransaction && this.settings.state.failure === undefined) this.settings.state.failure = error;
      throw error;
    }
  }

  /**
   * Runs `fn` under a savepoint when inside a transaction, so that a clash it raises undoes only its
   * own write and leaves the transaction usable, as on every other store.
   */
  private async guarded<T>(needed: boolean, fn: () => Promise<T>): Promise<T> {
    if (!needed || !this.settings.inTransaction) return fn();
    await this.send(`SAVEPOINT ${SAVEPOINT}`, []);
    let result: T;
    try {
      result = await fn();
    } catch (error) {
      const { state } = this.settings;
      if (state.failure === error) {
        // The savepoint takes the failure back: the transaction goes on without this write.
        state.failure = undefined;
        await this.send(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`, []);
        await this.send(`RELEASE SAVEPOINT ${SAVEPOINT}`, []);
      }
      throw error;
    }
    await this.send(`RELEASE SAVEPOINT ${SAVEPOINT}`, []);
    return result;
  }

  private async fetchRow(s: CollectionStatements, key: string): Promise<AnyRow | undefined> {
    if (!isStorableText(key)) return undefined;
    const st = s.get(key);
    const raw = (await this.send(st.text, st.params)).rows[0];
    return raw === undefined ? undefined : s.decodeRow(raw);
  }

  /** Reads a row for the caller (noting its version inside a transaction). */
  private async readRow(s: CollectionStatements, key: string): Promise<AnyRow | undefined> {
    const row = await this.fetchRow(s, key);
    if (row) this.sawRows(s.shape.collection, [row]);
    return row;
  }

  /** Names what an insert that stored nothing clashed with: its primary key, or one of its unique indexes. */
  private async clashOf(s: CollectionStatements, row: AnyRow): Promise<ConflictError> {
    const c = s.shape.collection;
    const key = row[c.primaryKey] as string;
    if (await this.fetchRow(s, key)) {
      return new ConflictError('primary_key', `${c.name}: the primary key is already taken`, {
        collection: c.name,
        key,
      });
    }
    for (const index of c.indexes) {
      if (!index.unique) continue;
      const st = s.getBy(index.name, row);
      if (st && (await this.send(st.text, st.params)).rows.length > 0) {
        return new ConflictError('unique', `${c.name}: ${index.fields.join(', ')} already taken`, {
          collection: c.name,
          index: index.name,
        });
      }
    }
    // The clashing row was deleted since: still a clash, of a key no longer known.
    return new ConflictError('unique', `${c.name}: a unique key was taken by a concurrent write`, {
      collection: c.name,
    });
  }

  insert<C extends CollectionSpec>(c: C, row: NewRowOf<C>): Promise<RowOf<C>> {
    return this.op(c, (row as AnyRow)[c.primaryKey], async () => {
      const s = this.statementsOf(c);
      const st = s.insert(row as AnyRow);
      const cache = insertOrSkipOf(s);
      let text = cache.get(st.text);
      if (text === undefined) {
        // A clash skips the row instead of raising an error, which in PostgreSQL would abort the
        // whole transaction; the adapter then reports it as the typed conflict it is.
        text = `${st.text} ON CONFLICT DO NOTHING`;
        cache.set(st.text, text);
      }
      const result = await this.send(text, st.params);
      if (result.rowCount === 1) {
        this.wroteRow(c, st.row);
        return st.row as RowOf<C>;
      }
      throw await this.clashOf(s, row as AnyRow);
    });
  }

  get<C extends CollectionSpec>(c: C, key: string): Promise<RowOf<C> | undefined> {
    return this.op(c, key, async () => (await this.readRow(this.statementsOf(c), key)) as RowOf<C> | undefined);
  }

  getLinked<C extends CollectionSpec, T extends CollectionSpec>(
    c: C,
    key: string,
    link: Link<C, T>,
  ): Promise<LinkedRows<C, T> | undefined> {
    return this.op(c, key, async () => {
      if (!isStorableText(key)) return undefined;
      const s = linkedGetStatements(this.settings.dialect, c, link);
      const st = s.get(key);
      const raw = (await this.send(st.text, st.params)).rows[0];
      if (raw === undefined) return undefined;
      const found = s.decodeRow(raw);
      this.sawRows(c, [found.row]);
      if (found.linked) this.sawRows(link.target, [found.linked]);
      return found as LinkedRows<C, T>;
    });
  }

  getBy<C extends CollectionSpec>(c: C, index: string, values: Partial<RowOf<C>>): Promise<RowOf<C> | undefined> {
    return this.op(c, undefined, async () => {
      const s = this.statementsOf(c);
      const st = s.getBy(index, values as AnyRow);
      if (!st) return undefined;
      const raw = (await this.send(st.text, st.params)).rows[0];
      if (raw === undefined) return undefined;
      const row = s.decodeRow(raw);
      this.sawRows(c, [row]);
      return row as RowOf<C>;
    });
  }

  find<C extends CollectionSpec, K extends keyof RowOf<C> & string = never>(
    c: C,
    query?: FindQuery<C, K>,
  ): Promise<Page<Projected<C, K>>> {
    return this.op(c, undefined, async () => {
      const s = this.statementsOf(c);
      const st = s.find(query as FindQuery<CollectionSpec, string> | undefined);
      const page = this.settings.connection.queryValues
        ? s.pageValues(await this.sendValues(st.text, st.params), st)
        : s.page((await this.send(st.text, st.params)).rows, st);
      // A projection without the key and version is no read of the row a later write could check against.
      const select = st.resolved.select;
      if (select === null || (select.includes(c.primaryKey) && select.includes('version'))) this.sawRows(c, page.rows);
      return page as Page<Projected<C, K>>;
    });
  }

  count<C extends CollectionSpec>(c: C, where?: Where<C>): Promise<number> {
    return this.op(c, undefined, async () => {
      const st = this.statementsOf(c).count(where as Where | undefined);
      return Number((await this.send(st.text, st.params)).rows[0]?.['n'] ?? 0);
    });
  }

  update<C extends CollectionSpec>(c: C, key: string, patch: PatchOf<C>, options?: WriteOptions): Promise<RowOf<C>> {
    return this.op(c, key, async () => {
      const s = this.statementsOf(c);
      // A row this transaction read is written only at the version it read (unless the caller names one).
      const read = options?.expectVersion === undefined ? this.readVersion(c, key) : undefined;
      const st = s.update(key, patch as AnyRow, read === undefined ? options : { ...options, expectVersion: read });
      if (!isStorableText(key)) throw s.missedWrite(key, undefined, options);
      const touchesUnique = setsUniqueField(c, patch as AnyRow);
      for (let attempt = 1; ; attempt++) {
        const raw = await this.guarded(touchesUnique, async () => (await this.send(st.text, st.params)).rows[0]);
        if (raw !== undefined) {
          const row = s.decodeRow(raw);
          this.wroteRow(c, row);
          return row as RowOf<C>;
        }
        const current = await this.fetchRow(s, key);
        if (read !== undefined && current) throw this.changedSinceRead(c, key, read, current);
        // No version was asked for, yet the row is there now: it was committed after the update's
        // snapshot (read committed). Update it again.
        if (current && options?.expectVersion === undefined && attempt < MAX_WRITE_ATTEMPTS) continue;
        throw s.missedWrite(key, current, options);
      }
    });
  }

  delete<C extends CollectionSpec>(c: C, key: string, options?: WriteOptions): Promise<boolean> {
    return this.op(c, key, async () => {
      const s = this.statementsOf(c);
      const read = options?.expectVersion === undefined ? this.readVersion(c, key) : undefined;
      const st = s.delete(key, read === undefined ? options : { ...options, expectVersion: read });
      if (!isStorableText(key)) return false;
      if ((await this.send(st.text, st.params)).rowCount > 0) {
        this.versionsOf(c)?.delete(key);
        return true;
      }
      if (options?.expectVersion === undefined && read === undefined) return false;
      const current = await this.fetchRow(s, key);
      if (!current) return false;
      if (read !== undefined) throw this.changedSinceRead(c, key, read, current);
      throw s.missedWrite(key, current, options);
    });
  }

  /**
   * All or nothing, as {@link PostgresSession.consumeMany}. A row this transaction read goes through
   * `delete`, which refuses to delete it if another changed it since; the rest go
   * `MAX_ROWS_PER_BULK_WRITE` to a statement.
   */
  async deleteMany<C extends CollectionSpec>(c: C, keys: readonly string[]): Promise<string[]> {
    this.checkUsable();
    // Checked first, so a bad list costs no statement.
    checkDistinct(c, keys, 'keys');
    if (!this.settings.inTransaction) {
      if (keys.length === 0) return [];
      return this.settings.bulk!((tx) => tx.deleteMany(c, keys));
    }
    // Split before any delete: a row deleted here is no longer one the transaction read.
    const read = keys.filter((k) => this.readVersion(c, k) !== undefined);
    const rest = keys.filter((k) => isStorableText(k) && this.readVersion(c, k) === undefined);
    const deleted = new Set<string>();
    for (const key of read) if (await this.delete(c, key)) deleted.add(key);
    await this.op(c, undefined, async () => {
      const s = this.statementsOf(c);
      for (let at = 0; at < rest.length; at += MAX_ROWS_PER_BULK_WRITE) {
        const st = bulkDeleteStatement(s, rest.slice(at, at + MAX_ROWS_PER_BULK_WRITE));
        for (const raw of (await this.send(st.text, st.params)).rows) deleted.add(raw['k'] as string);
      }
    });
    return keys.filter((k) => deleted.has(k));
  }

  increment<C extends CollectionSpec>(
    c: C,
    key: string,
    fieldName: keyof RowOf<C> & string,
    delta: number,
    guard?: IncrementGuard,
  ): Promise<IncrementResult<RowOf<C>>> {
    return this.op(c, key, async () => {
      const s = this.statementsOf(c);
      const st = s.increment(key, fieldName, delta, guard);
      if (!isStorableText(key)) return s.missedIncrement(key, fieldName, undefined) as IncrementResult<RowOf<C>>;
      for (let attempt = 1; ; attempt++) {
        const raw = (await this.send(st.text, st.params)).rows[0];
        if (raw !== undefined) {
          const row = s.decodeRow(raw);
          this.wroteRow(c, row);
          return { applied: true, row: row as RowOf<C> };
        }
        const current = await this.readRow(s, key);
        // Under read committed the re-read has a newer snapshot than the update: a row committed in
        // between (a counter created by a concurrent first use) is found now though the update missed
        // it. If the guard holds for it, the miss was that race, not the guard: update again.
        const value = current?.[fieldName];
        if (attempt < MAX_WRITE_ATTEMPTS && typeof value === 'number' && withinGuard(value + delta, guard)) continue;
        return s.missedIncrement(key, fieldName, current) as IncrementResult<RowOf<C>>;
      }
    });
  }

  consume<C extends CollectionSpec>(c: C, key: string, when: Where<C>, set: PatchOf<C>): Promise<RowOf<C> | undefined> {
    return this.op(
      c,
      key,
      async () =>
        (await this.consumeRow(this.statementsOf(c), key, when as Where, set as AnyRow)) as RowOf<C> | undefined,
    );
  }

  /** One conditional write, inside an operation already running. */
  private async consumeRow(
    s: CollectionStatements,
    key: string,
    when: Where,
    set: AnyRow,
  ): Promise<AnyRow | undefined> {
    const st = s.consume(key, when, set);
    if (!isStorableText(key)) return undefined;
    const touchesUnique = setsUniqueField(s.shape.collection, set);
    const raw = await this.guarded(touchesUnique, async () => (await this.send(st.text, st.params)).rows[0]);
    if (raw === undefined) return undefined;
    const row = s.decodeRow(raw);
    this.wroteRow(s.shape.collection, row);
    return row;
  }

  /**
   * All or nothing: in a transaction of its own, or inside the caller's. Writes of one shape go
   * `MAX_ROWS_PER_BULK_WRITE` to a statement; a write no bulk statement can carry (see
   * `shapeOf`) goes on its own.
   */
  async consumeMany<C extends CollectionSpec>(c: C, writes: readonly ConditionalWrite<C>[]): Promise<string[]> {
    const all = writes as readonly ConditionalWrite[];
    if (!this.settings.inTransaction) {
      this.checkUsable();
      checkWrites(c, all);
      if (all.length === 0) return [];
      return this.settings.bulk!((tx) => tx.consumeMany(c, writes));
    }
    return this.op(c, undefined, async () => {
      const s = this.statementsOf(c);
      // Every write is checked before anything is sent, so a bad one costs no statement.
      checkWrites(c, all);
      const applied = new Set<string>();
      const groups = new Map<string, { shape: WriteShape; writes: ConditionalWrite[] }>();
      const unique = uniqueFieldsOf(c);
      for (const w of all) {
        if (!isStorableText(w.key)) continue;
        const shape = shapeOf(c, w, unique);
        if (shape === null) {
          if (await this.consumeRow(s, w.key, w.when, w.set as AnyRow)) applied.add(w.key);
          continue;
        }
        const group = groups.get(shape.key);
        if (group) group.writes.push(w);
        else groups.set(shape.key, { shape, writes: [w] });
      }
      for (const { shape, writes: group } of groups.values()) {
        for (let at = 0; at < group.length; at += MAX_ROWS_PER_BULK_WRITE) {
          const st = bulkWriteStatement(s, shape, group.slice(at, at + MAX_ROWS_PER_BULK_WRITE));
          for (const raw of (await this.send(st.text, st.params)).rows) {
            const key = raw['k'] as string;
            applied.add(key);
            if (c.versioned) this.wroteRow(c, { [c.primaryKey]: key, version: Number(raw['version']) });
          }
        }
      }
      return all.filter((w) => applied.has(w.key)).map((w) => w.key);
    });
  }

  aggregate<C extends CollectionSpec>(c: C, query: AggregateQuery<C>): Promise<AggregateRow[]> {
    return this.op(c, undefined, async () => {
      const s = this.statementsOf(c);
      const st = aggregateStatement(s, query as AggregateQuery);
      const text = indexOrdered(s, query as AggregateQuery, st.text);
      return this.settings.connection.queryValues
        ? st.decodeValues(await this.sendValues(text, st.params))
        : st.decode((await this.send(text, st.params)).rows);
    });
  }

  /**
   * All or nothing: in a transaction of its own, or inside the caller's, where the rows of a batch that
   * clashed are taken out again. One statement per `MAX_ROWS_PER_BULK_WRITE` rows.
   */
  async insertMany<C extends CollectionSpec>(c: C, rows: readonly NewRowOf<C>[]): Promise<number> {
    if (!this.settings.inTransaction) {
      this.checkUsable();
      // Checked here as well, so that a bad row costs no transaction.
      for (const row of rows as readonly AnyRow[]) checkRow(c, row, 'insert');
      if (rows.length === 0) return 0;
      return this.settings.bulk!((tx) => tx.insertMany(c, rows));
    }
    return this.op(c, undefined, async () => {
      const s = this.statementsOf(c);
      const all = rows as readonly AnyRow[];
      // Every row is checked before anything is sent, so a bad row costs no statement.
      for (const row of all) checkRow(c, row, 'insert');
      if (rows.length === 0) return 0;
      const pk = c.primaryKey;
      // Rows that clash are skipped rather than raising an error that would abort the transaction; the
      // keys returned say which rows went in, and if any did not, those are deleted again (they are this
      // transaction's own, seen by no one else) and the clash is reported: all or nothing, in one
      // statement per chunk on the way that matters, the one without a clash.
      const stored: string[] = [];
      for (let from = 0; from < all.length; from += MAX_ROWS_PER_BULK_WRITE) {
        const st = bulkInsertStatement(s, all, from, Math.min(all.length, from + MAX_ROWS_PER_BULK_WRITE));
        for (const r of (await this.send(st.text, st.params)).rows) stored.push(r['k'] as string);
      }
      if (stored.length === rows.length) return rows.length;
      const went = new Set(stored);
      const skipped = (rows as readonly AnyRow[]).find((r) => !went.has(r[pk] as string)) ?? (rows[0] as AnyRow);
      // Named before the undo, while a row of this batch that it may clash with is still there.
      const clash = await this.clashOf(s, skipped);
      if (stored.length) {
        const undo = bulkDeleteStatement(s, stored);
        await this.send(undo.text, undo.params);
      }
      throw clash;
    });
  }
}
