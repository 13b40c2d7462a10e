/**
 * The port's data operations on one MariaDB or MySQL connection, built from `@clientele/sql` statements.
 * Neither server has `UPDATE ... RETURNING`: a write is followed by a read of the row inside the same
 * transaction, which holds the row's lock from the write to the read, so the row read is the row written.
 * Errors leave here translated; inside a transaction, a lost race (deadlock, lock wait timeout) or a lost
 * connection is remembered, and the session then refuses every further statement of that transaction.
 */
import {
  ConflictError,
  InvalidStateError,
  Mutex,
  aggregateByScan,
  checkConditionalWrites,
  checkDistinct,
  checkRow,
  isStorableText,
  normaliseWhere,
} from '@clientele/core/adapter';
import type {
  AdapterSession,
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
  Measure,
  NewRowOf,
  Page,
  PatchOf,
  Projected,
  RowOf,
  Where,
  WriteOptions,
} from '@clientele/core/adapter';
import {
  ParamList,
  aggregateStatement,
  collectionStatements,
  linkedGetStatements,
  whereClause,
  whereConditions,
} from '@clientele/sql';
import type { CollectionStatements, Dialect, SqlStatement } from '@clientele/sql';
import type { Connection, QueryOutcome } from './driver.js';
import { RowChangedSinceRead, isConnectionLost, isDuplicateEntry, translateError } from './errors.js';
import { lostRace } from './retry.js';

/** The life of one session: whether it may be used, and what ended its transaction. */
export interface SessionState {
  active: boolean;
  /** The message of the error thrown once inactive. */
  readonly closedMessage: string;
  /**
   * Inside a transaction: the lost race (InnoDB has rolled the transaction back, or will be made to) or the lost
   * connection after which no statement of the transaction may run.
   */
  failure: unknown;
}

/** How a session reaches the database. */
export interface SessionSettings {
  readonly dialect: Dialect;
  readonly connection: Connection;
  readonly state: SessionState;
  /** Whether the session is a transaction's; writes that re-read their row only run in one. */
  readonly inTransaction: boolean;
}

const SAVEPOINT = 'clientele_batch';
/** How often a write that missed a row committed just after it looked is sent again. */
const MAX_WRITE_ATTEMPTS = 3;
/** Keys per locking read and delete of a `deleteMany`. */
const KEYS_PER_STATEMENT = 1000;
/** The prefix of the hidden measures that count each series' values (a measure name no module uses). */
const SERIES_COUNT = '\u0000count:';

/** Whether `value` is a safe integer inside the guard's bounds (what the guarded update checks in SQL). */
function withinGuard(value: number, guard: IncrementGuard | undefined): boolean {
  return (
    Number.isSafeInteger(value) &&
    (guard?.min === undefined || value >= guard.min) &&
    (guard?.max === undefined || value <= guard.max)
  );
}

/** Checks a batch of conditional writes as `consume` checks each, and that no row is named twice. */
function checkWrites(c: CollectionSpec, writes: readonly ConditionalWrite[]): void {
  checkConditionalWrites(c, writes);
  for (const w of writes) {
    checkRow(c, w.set as AnyRow, 'patch');
    normaliseWhere(c, w.when as Where);
  }
}

/** `where` narrowed to rows whose `field` is not null, or `null` when it matches nulls only (no value to count). */
function nonNull(where: Where | undefined, field: string): Where | null {
  const own = (where as Record<string, unknown> | undefined)?.[field];
  if (own === null) return null;
  if (own === undefined) return { ...where, [field]: { ne: null } } as Where;
  if (typeof own === 'object' && !(own instanceof Date) && !Array.isArray(own))
    return { ...where, [field]: { ne: null, ...own } } as Where;
  // A bare value is equality, which no null meets.
  return where!;
}

/**
 * The query with a hidden `count` of each series measure's values beside it, so a series that
 * `GROUP_CONCAT` cut short is noticed; `null` when no measure aggregates a series.
 */
function withSeriesCounts(c: CollectionSpec, query: AggregateQuery): AggregateQuery | null {
  if ((query.groupBy ?? []).includes(c.primaryKey)) return null;
  const measures: Record<string, Measure> = { ...query.measures };
  let any = false;
  for (const [name, m] of Object.entries(query.measures)) {
    if (m.fn !== 'series') continue;
    const where = nonNull(m.where as Where | undefined, m.field!);
    if (where === null) continue;
    measures[SERIES_COUNT + name] = { fn: 'count', where } as Measure;
    any = true;
  }
  return any ? { ...query, measures } : null;
}

/** The statements that lock rows by key and delete them, from the SQL layer's filter builder. */
function byKeys(s: CollectionStatements, keys: readonly string[]): { lock: SqlStatement; remove: SqlStatement } {
  const { shape } = s;
  const pk = shape.collection.primaryKey;
  const where = normaliseWhere(shape.collection, { [pk]: { in: keys } } as Where);
  const lockParams = new ParamList(shape.dialect);
  const lockWhere = whereClause(whereConditions(shape, where, lockParams));
  const removeParams = new ParamList(shape.dialect);
  const removeWhere = whereClause(whereConditions(shape, where, removeParams));
  return {
    lock: {
      text: `SELECT ${shape.pk} AS ${shape.dialect.quoteIdentifier('k')} FROM ${shape.table}${lockWhere} FOR UPDATE`,
      params: lockParams.values,
    },
    remove: { text: `DELETE FROM ${shape.table}${removeWhere}`, params: removeParams.values },
  };
}

/**
 * A store session on one connection. Inside a transaction its calls are serialised, because a call
 * may be several statements (a write and the read of its row, a savepoint around a batch) that must
 * not interleave with another call made without awaiting the first.
 */
export class MysqlSession implements AdapterSession {
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

  /** A write that must read its row back: the store runs it in a transaction of its own when called outside one. */
  private checkInTransaction(what: string): void {
    if (!this.settings.inTransaction) throw new InvalidStateError(`${what} runs inside a transaction on this store`);
  }

  /** Runs one operation: checks the session is usable, serialises it in a transaction, translates errors. */
  private async op<T>(collection: CollectionSpec, key: unknown, fn: () => Promise<T>): Promise<T> {
    this.checkUsable();
    const { state, dialect } = this.settings;
    const run = async (): Promise<T> => {
      if (state.failure !== undefined) throw translateError(state.failure, { dialect, collection });
      try {
        return await fn();
      } catch (error) {
        throw translateError(error, { dialect, collection, ...(typeof key === 'string' ? { key } : {}) });
      }
    };
    return this.lock ? this.lock.run(run) : run();
  }

  /**
   * Sends one statement. Inside a transaction, a lost race or a lost connection ends the transaction:
   * InnoDB has rolled a deadlock's victim back already, and statements after it would run outside any
   * transaction, so none is sent any more; the store rolls back and runs the whole transaction again.
   */
  private async send(text: string, params: readonly unknown[]): Promise<QueryOutcome> {
    const { state, inTransaction, connection } = this.settings;
    if (inTransaction && state.failure !== undefined) throw state.failure;
    try {
      return await connection.query(text, params);
    } catch (error) {
      if (inTransaction && state.failure === undefined) {
        if (lostRace(error) || isConnectionLost(error)) state.failure = error;
        else if (isDuplicateEntry(error)) {
          const abort = await this.abortBehind();
          if (abort !== undefined) {
            state.failure = abort;
            throw abort;
          }
        }
      }
      throw error;
    }
  }

  /**
   * After a duplicate key inside a transaction: whether the transaction was in fact aborted by a
   * concurrent commit. On a Galera cluster, another node's commit that took a row this transaction
   * holds aborts it, and the statement running at that moment can report the duplicate that commit
   * wrote (the next number of a counter both had taken) before the abort itself is reported. The
   * duplicate is then a lost race, and the whole transaction must run again; one cheap statement tells
   * the two apart, and costs one round trip on a real duplicate only.
   */
  private async abortBehind(): Promise<unknown> {
    try {
      await this.settings.connection.command('SELECT 1');
      return undefined;
    } catch (probe) {
      return lostRace(probe) || isConnectionLost(probe) ? probe : undefined;
    }
  }

  /**
   * Runs a batch of several statements all or nothing: under a savepoint inside the transaction, so a
   * failure undoes the batch only and the transaction goes on, as after any clash.
   */
  private async atomically<T>(statements: number, fn: () => Promise<T>): Promise<T> {
    if (statements <= 1) return fn();
    const { connection, state } = this.settings;
    await connection.command(`SAVEPOINT ${SAVEPOINT}`);
    let result: T;
    try {
      result = await fn();
    } catch (error) {
      // After a lost race there is no transaction (nor savepoint) left to roll back to.
      if (state.failure === undefined) await connection.command(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
      throw error;
    }
    await connection.command(`RELEASE SAVEPOINT ${SAVEPOINT}`);
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

  /** The row a write matched, read back in the same transaction (its lock is held until commit). */
  private async writtenRow(s: CollectionStatements, key: string): Promise<AnyRow> {
    const row = await this.fetchRow(s, key);
    if (!row) throw new InvalidStateError(`${s.shape.collection.name}: ${key} vanished after it was written`);
    this.wroteRow(s.shape.collection, row);
    return row;
  }

  insert<C extends CollectionSpec>(c: C, row: NewRowOf<C>): Promise<RowOf<C>> {
    return this.op(c, (row as AnyRow)[c.primaryKey], async () => {
      const st = this.statementsOf(c).insert(row as AnyRow);
      // A clash fails this statement only (InnoDB undoes it); the transaction goes on, as on every store.
      await this.send(st.text, st.params);
      this.wroteRow(c, st.row);
      return st.row as RowOf<C>;
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
      const page = s.page((await this.send(st.text, st.params)).rows, st);
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
    this.checkInTransaction('update');
    return this.op(c, key, async () => {
      const s = this.statementsOf(c);
      // A row this transaction read is written only at the version it read (unless the caller names one).
      const read = options?.expectVersion === undefined ? this.readVersion(c, key) : undefined;
      const st = s.update(key, patch as AnyRow, read === undefined ? options : { ...options, expectVersion: read });
      if (!isStorableText(key)) throw s.missedWrite(key, undefined, options);
      for (let attempt = 1; ; attempt++) {
        if ((await this.send(st.text, st.params)).matched > 0) return (await this.writtenRow(s, key)) as RowOf<C>;
        const current = await this.fetchRow(s, key);
        if (read !== undefined && current) throw this.changedSinceRead(c, key, read, current);
        // No version was asked for, yet the row is there now: it was committed after the update looked. Update again.
        if (current && options?.expectVersion === undefined && attempt < MAX_WRITE_ATTEMPTS) continue;
        throw s.missedWrite(key, current, options);
      }
    });
  }

  delete<C extends CollectionSpec>(c: C, key: string, options?: WriteOptions): Promise<boolean> {
    return this.op(c, key, () => this.deleteRow(this.statementsOf(c), key, options));
  }

  /** One delete, inside an operation already running. */
  private async deleteRow(s: CollectionStatements, key: string, options?: WriteOptions): Promise<boolean> {
    const c = s.shape.collection;
    const read = options?.expectVersion === undefined ? this.readVersion(c, key) : undefined;
    const st = s.delete(key, read === undefined ? options : { ...options, expectVersion: read });
    if (!isStorableText(key)) return false;
    if ((await this.send(st.text, st.params)).matched > 0) {
      this.versionsOf(c)?.delete(key);
      return true;
    }
    if (options?.expectVersion === undefined && read === undefined) return false;
    const current = await this.fetchRow(s, key);
    if (!current) return false;
    if (read !== undefined) throw this.changedSinceRead(c, key, read, current);
    throw s.missedWrite(key, current, options);
  }

  increment<C extends CollectionSpec>(
    c: C,
    key: string,
    fieldName: keyof RowOf<C> & string,
    delta: number,
    guard?: IncrementGuard,
  ): Promise<IncrementResult<RowOf<C>>> {
    this.checkInTransaction('increment');
    return this.op(c, key, async () => {
      const s = this.statementsOf(c);
      const st = s.increment(key, fieldName, delta, guard);
      if (!isStorableText(key)) return s.missedIncrement(key, fieldName, undefined) as IncrementResult<RowOf<C>>;
      // A counter's row (its key and the counter, nothing else) is known from the value the update reports.
      const counter = !c.versioned && Object.keys(c.fields).length === 2;
      for (let attempt = 1; ; attempt++) {
        const outcome = await this.send(st.text, st.params);
        if (outcome.matched > 0) {
          // The insert id is unsigned: a value below 1 (or past the safe range) is read back instead.
          if (counter && outcome.insertId > 0 && Number.isSafeInteger(outcome.insertId))
            return { applied: true, row: { [c.primaryKey]: key, [fieldName]: outcome.insertId } as RowOf<C> };
          return { applied: true, row: (await this.writtenRow(s, key)) as RowOf<C> };
        }
        const current = await this.readRow(s, key);
        // A row committed after the update looked (a counter created by a concurrent first use) is found now
        // though the update missed it. If the guard holds for it, the miss was that race: update again.
        const value = current?.[fieldName];
        if (attempt < MAX_WRITE_ATTEMPTS && typeof value === 'number' && withinGuard(value + delta, guard)) continue;
        return s.missedIncrement(key, fieldName, current) as IncrementResult<RowOf<C>>;
      }
    });
  }

  consume<C extends CollectionSpec>(c: C, key: string, when: Where<C>, set: PatchOf<C>): Promise<RowOf<C> | undefined> {
    this.checkInTransaction('consume');
    return this.op(c, key, async () => {
      const s = this.statementsOf(c);
      const st = s.consumeQuietly(key, when as Where, set as AnyRow);
      if (!isStorableText(key)) return undefined;
      if ((await this.send(st.text, st.params)).matched === 0) return undefined;
      return (await this.writtenRow(s, key)) as RowOf<C>;
    });
  }

  /**
   * All or nothing, inside the transaction: one prepared guarded `UPDATE` per write (a text per kind of
   * write), under a savepoint. A row the transaction had read is read again, so its next write expects
   * the version this one left.
   */
  consumeMany<C extends CollectionSpec>(c: C, writes: readonly ConditionalWrite<C>[]): Promise<string[]> {
    this.checkInTransaction('consumeMany');
    const all = writes as readonly ConditionalWrite[];
    return this.op(c, undefined, async () => {
      // Every write is checked before anything is sent, so a bad one costs no statement.
      checkWrites(c, all);
      const s = this.statementsOf(c);
      return this.atomically(all.length, async () => {
        const applied: string[] = [];
        for (const w of all) {
          if (!isStorableText(w.key)) continue;
          const st = s.consumeQuietly(w.key, w.when as Where, w.set as AnyRow);
          if ((await this.send(st.text, st.params)).matched === 0) continue;
          applied.push(w.key);
          if (this.readVersion(c, w.key) !== undefined) await this.writtenRow(s, w.key);
        }
        return applied;
      });
    });
  }

  /**
   * All or nothing, inside the transaction. A row this transaction read goes through `delete`, which
   * refuses to delete it if another changed it since; the rest are locked and deleted 1,000 keys to a
   * statement (the locking read says which exist, as neither server returns the rows a delete removed).
   */
  deleteMany<C extends CollectionSpec>(c: C, keys: readonly string[]): Promise<string[]> {
    this.checkInTransaction('deleteMany');
    return this.op(c, undefined, async () => {
      // Checked first, so a bad list costs no statement.
      checkDistinct(c, keys, 'keys');
      const s = this.statementsOf(c);
      // Split before any delete: a row deleted here is no longer one the transaction read.
      const read = keys.filter((k) => this.readVersion(c, k) !== undefined);
      const rest = keys.filter((k) => isStorableText(k) && this.readVersion(c, k) === undefined);
      const chunks = Math.ceil(rest.length / KEYS_PER_STATEMENT);
      return this.atomically(read.length + chunks, async () => {
        const deleted = new Set<string>();
        for (const key of read) if (await this.deleteRow(s, key)) deleted.add(key);
        for (let at = 0; at < rest.length; at += KEYS_PER_STATEMENT) {
          const { lock, remove } = byKeys(s, rest.slice(at, at + KEYS_PER_STATEMENT));
          const found = (await this.send(lock.text, lock.params)).rows.map((r) => r['k'] as string);
          if (found.length === 0) continue;
          await this.send(remove.text, remove.params);
          for (const k of found) deleted.add(k);
        }
        return keys.filter((k) => deleted.has(k));
      });
    });
  }

  /**
   * Grouped aggregates in one query. A series is `GROUP_CONCAT`, which the server cuts at
   * `group_concat_max_len` (raised per connection) or at `max_allowed_packet`, with a mere warning: each
   * series is counted in the same query, and a group whose series came back short is computed again by
   * scanning, so a result is never silently cut.
   */
  aggregate<C extends CollectionSpec>(c: C, query: AggregateQuery<C>): Promise<AggregateRow[]> {
    return this.op(c, undefined, async () => {
      const s = this.statementsOf(c);
      const counted = withSeriesCounts(c, query as AggregateQuery);
      const st = aggregateStatement(s, counted ?? (query as AggregateQuery));
      const rows = st.decode((await this.send(st.text, st.params)).rows);
      if (counted === null) return rows;
      const hidden = Object.keys(counted.measures).filter((n) => n.startsWith(SERIES_COUNT));
      const whole = rows.every((row) =>
        hidden.every((n) => (row[n.slice(SERIES_COUNT.length)] as number[]).length === row[n]),
      );
      if (!whole) return aggregateByScan(this, c, query);
      for (const row of rows) for (const n of hidden) delete row[n];
      return rows;
    });
  }

  /**
   * All or nothing, inside the transaction: multi-row `INSERT`s of up to 500 rows (fewer when the
   * collection has many fields), under a savepoint when there are several, so a clash stores none.
   */
  insertMany<C extends CollectionSpec>(c: C, rows: readonly NewRowOf<C>[]): Promise<number> {
    this.checkInTransaction('insertMany');
    return this.op(c, undefined, async () => {
      const statements = this.statementsOf(c).insertMany(rows as readonly AnyRow[]);
      await this.atomically(statements.length, async () => {
        for (const st of statements) await this.send(st.text, st.params);
      });
      return rows.length;
    });
  }
}
