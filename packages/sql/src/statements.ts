/**
 * The statements of one collection in one dialect. Texts that do not depend on the call's values are
 * built once and reused, so an adapter that caches prepared statements by text prepares each once.
 */
import {
  ConflictError,
  InvalidStateError,
  NotFoundError,
  checkRow,
  encodeCursor,
  isStorableText,
  normaliseWhere,
  projectRow,
  resolveFind,
} from '@clientele/core/adapter';
import type {
  AnyRow,
  CollectionSpec,
  FindQuery,
  IncrementGuard,
  IncrementResult,
  Page,
  ResolvedFind,
  Where,
  WriteOptions,
} from '@clientele/core/adapter';
import { addColumnSql, createIndexSql, createTableSql } from './ddl.js';
import type { Dialect } from './dialect.js';
import { ParamList } from './params.js';
import type { SqlStatement } from './params.js';
import { tableShape } from './table.js';
import type { TableShape } from './table.js';
import { keysetCondition, whereClause, whereConditions } from './where.js';

/** An insert, with the row as the port returns it (every field, `version` 1 when versioned). */
export interface InsertStatement extends SqlStatement {
  /** The row as stored, in port values: what `insert` returns. */
  readonly row: AnyRow;
}

/** A page query, with the checked query it was built from (needed to cut the page and make its cursor). */
export interface FindStatement extends SqlStatement {
  /** The checked query: filter, full order, limit, decoded cursor and projection. */
  readonly resolved: ResolvedFind;
  /**
   * With a projection: the fields the statement selects, in this order (the projected ones and those
   * the cursor needs); `null` when it selects whole rows.
   */
  readonly fetched: readonly string[] | null;
}

/** All statements of one collection, and the decisions that follow from their outcome. */
export interface CollectionStatements {
  /** Names, select list and codec of the table. */
  readonly shape: TableShape;
  /** Whether write statements end in `RETURNING` the row (else the adapter re-reads it by key). */
  readonly returning: boolean;
  /** `CREATE TABLE IF NOT EXISTS`. */
  readonly createTable: string;
  /** `CREATE [UNIQUE] INDEX IF NOT EXISTS`, one per index. */
  readonly createIndexes: readonly string[];
  /** `ALTER TABLE ... ADD COLUMN` for a declared field. */
  addColumn(field: string): string;

  /** Checks a new row and binds every column (`version` 1). */
  insert(row: AnyRow): InsertStatement;
  /** Selects the row with this primary key. */
  get(key: string): SqlStatement;
  /** Selects by a unique index; `undefined` when a value is null or unstorable text (such a row never matches). */
  getBy(index: string, values: AnyRow): SqlStatement | undefined;
  /**
   * One page: filter, order with the primary key last, keyset bound, `LIMIT n + 1`; only the projected columns (and the
   * cursor's) with a `select`.
   */
  find(query?: FindQuery<CollectionSpec, string>): FindStatement;
  /** Cuts `limit + 1` fetched rows into a page and the cursor to the next one (rows keyed by field name). */
  page(rows: readonly Record<string, unknown>[], find: FindStatement): Page<AnyRow>;
  /** As {@link CollectionStatements.page}, for rows fetched as arrays of values in field order. */
  pageValues(rows: readonly (readonly unknown[])[], find: FindStatement): Page<AnyRow>;
  /** `SELECT count(*) AS "n"`. */
  count(where?: Where): SqlStatement;
  /** Patches a row: `version + 1` when versioned, `AND version = ?` with `expectVersion`. */
  update(key: string, patch: AnyRow, options?: WriteOptions): SqlStatement;
  /** Deletes a row, `AND version = ?` with `expectVersion`. */
  delete(key: string, options?: WriteOptions): SqlStatement;
  /**
   * Adds `delta` in one guarded statement that changes nothing when the new value would leave the guard or the safe
   * integers.
   */
  increment(key: string, field: string, delta: number, guard?: IncrementGuard): SqlStatement;
  /** Applies `set` only if the row matches `when`. */
  consume(key: string, when: Where, set: AnyRow): SqlStatement;
  /**
   * As {@link CollectionStatements.consume}, returning no row: for a batch of writes whose rows the
   * caller does not need (the count of changed rows says whether each applied).
   */
  consumeQuietly(key: string, when: Where, set: AnyRow): SqlStatement;
  /** Multi-row inserts, all rows checked first, chunked under the dialect's parameter limit. */
  insertMany(rows: readonly AnyRow[]): SqlStatement[];
  /** Decodes a fetched row (columns aliased to field names) into port values. */
  decodeRow(raw: Record<string, unknown>): AnyRow;
  /**
   * Decodes a row fetched as an array of values. Every statement here that returns rows selects the
   * fields in the same order (`get`, `getBy`, `find`, and the `RETURNING` of writes), so a driver may
   * fetch them as arrays, which is cheaper than an object per row.
   */
  decodeValues(values: readonly unknown[]): AnyRow;

  /**
   * The error for an `update` (or `consume`-like write) that touched no row, given the row as it is
   * now: `NotFoundError` when it is gone, `ConflictError` (reason `version`) when its version differs.
   */
  missedWrite(key: string, current: AnyRow | undefined, options?: WriteOptions): Error;
  /**
   * The outcome of an `increment` that touched no row, given the row as it is now: not applied, or
   * `NotFoundError` when it is gone, or `InvalidStateError` when the field is null.
   */
  missedIncrement(key: string, field: string, current: AnyRow | undefined): IncrementResult<AnyRow>;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** Rows per multi-row insert at most, so statement texts stay small and few. */
const MAX_ROWS_PER_INSERT = 500;
/** Up to this many rows left after the full chunks go in one statement of their own size (at most this many texts). */
const EXACT_INSERT_ROWS = 16;

const cache = new WeakMap<Dialect, WeakMap<CollectionSpec, CollectionStatements>>();

/** The statements of `collection` in `dialect`, built once per pair and cached. */
export function collectionStatements(dialect: Dialect, collection: CollectionSpec): CollectionStatements {
  let byCollection = cache.get(dialect);
  if (!byCollection) {
    byCollection = new WeakMap();
    cache.set(dialect, byCollection);
  }
  let statements = byCollection.get(collection);
  if (!statements) {
    statements = buildStatements(dialect, collection);
    byCollection.set(collection, statements);
  }
  return statements;
}

/** Cuts `limit + 1` fetched rows into a decoded page and the cursor after its last row. */
function cut<R>(raws: readonly R[], find: FindStatement, decode: (raw: R) => AnyRow): Page<AnyRow> {
  const { limit, order, select } = find.resolved;
  const n = Math.min(raws.length, limit);
  const rows: AnyRow[] = new Array(n);
  for (let i = 0; i < n; i++) rows[i] = decode(raws[i]!);
  const next = raws.length > limit && n > 0 ? encodeCursor(rows[n - 1]!, order) : null;
  // The cursor needed the order fields; a projection that left them out drops them now.
  if (select !== null && find.fetched!.length !== select.length)
    for (let i = 0; i < n; i++) rows[i] = projectRow(rows[i]!, select);
  return { rows, next };
}

function buildStatements(dialect: Dialect, collection: CollectionSpec): CollectionStatements {
  const shape = tableShape(dialect, collection);
  const { table, pk, selectList, codec, fields, columns } = shape;
  const ph = dialect.placeholder;
  const returning = dialect.returning ? ` RETURNING ${selectList}` : '';
  const versioned = collection.versioned;
  const versionCol = versioned ? columns.get('version')! : '';
  const bumpVersion = versioned ? `${versionCol} = ${versionCol} + 1` : '';
  const kinds = fields.map((f) => collection.fields[f]!.kind);
  const versionIndex = versioned ? fields.indexOf('version') : -1;

  const insertText = `INSERT INTO ${table} (${fields.map((f) => columns.get(f)!).join(', ')}) VALUES (${fields
    .map((_, i) => ph(i + 1))
    .join(', ')})`;
  const getText = `SELECT ${selectList} FROM ${table} WHERE ${pk} = ${ph(1)}`;
  const updateTexts = new Map<string, string>();
  const incrementTexts = new Map<string, string>();
  const getByTexts = new Map<string, string>();
  const insertManyTexts = new Map<number, string>();

  function checkVersioned(options: WriteOptions | undefined): void {
    if (options?.expectVersion !== undefined && !versioned) {
      throw new InvalidStateError(`${collection.name} is not versioned`, { collection: collection.name });
    }
  }

  /** `SET` assignments for a patch, binding its values; the version bump last. */
  function assignments(patch: AnyRow, params: ParamList): string {
    const parts: string[] = [];
    for (const f of Object.keys(patch)) {
      const v = patch[f];
      if (v === undefined) continue;
      parts.push(`${columns.get(f)!} = ${params.add(codec.encodeValue(f, v))}`);
    }
    if (versioned) parts.push(bumpVersion);
    // An empty patch on an unversioned row still has to name the row in a valid statement.
    if (parts.length === 0) parts.push(`${pk} = ${pk}`);
    return parts.join(', ');
  }

  /** `UPDATE ... SET set WHERE key AND when`, without `RETURNING`. */
  function guardedUpdate(key: string, when: Where, set: AnyRow): SqlStatement {
    checkRow(collection, set, 'patch');
    const w = normaliseWhere(collection, when);
    const params = new ParamList(dialect);
    const assigned = assignments(set, params);
    const conditions = [`${pk} = ${params.add(key)}`, ...whereConditions(shape, w, params)];
    return { text: `UPDATE ${table} SET ${assigned}${whereClause(conditions)}`, params: params.values };
  }

  function encodeRowAt(row: AnyRow, out: unknown[], at: number): void {
    codec.encodeRowAt(row, out, at);
    // A checked row holds no version: it goes in at 1.
    if (versioned) out[at + versionIndex] = 1;
  }

  /**
   * The columns a projected page fetches: the selected fields and the order fields its cursor is made of, in field
   * order.
   */
  function fetchedFields(resolved: ResolvedFind): string[] {
    const wanted = new Set([...resolved.select!, ...resolved.order.map((o) => o.field)]);
    return fields.filter((f) => wanted.has(f));
  }

  function insertManyText(rowCount: number): string {
    let text = insertManyTexts.get(rowCount);
    if (text === undefined) {
      let n = 0;
      const tuples: string[] = [];
      for (let r = 0; r < rowCount; r++) tuples.push(`(${fields.map(() => ph(++n)).join(', ')})`);
      text = `INSERT INTO ${table} (${fields.map((f) => columns.get(f)!).join(', ')}) VALUES ${tuples.join(', ')}`;
      insertManyTexts.set(rowCount, text);
    }
    return text;
  }

  return {
    shape,
    returning: dialect.returning,
    createTable: createTableSql(dialect, collection),
    createIndexes: collection.indexes.map((index) => createIndexSql(dialect, collection.name, index)),
    addColumn(field) {
      const spec = collection.fields[field];
      if (!spec) throw new InvalidStateError(`${collection.name} has no field ${field}`);
      return addColumnSql(dialect, collection.name, field, spec);
    },

    insert(row) {
      checkRow(collection, row, 'insert');
      const params: unknown[] = new Array(fields.length);
      const stored: AnyRow = {};
      for (let i = 0; i < fields.length; i++) {
        const f = fields[i]!;
        const v = row[f];
        if (i === versionIndex) {
          params[i] = stored[f] = 1;
        } else if (v === null || v === undefined) {
          params[i] = stored[f] = null;
        } else {
          const encoded = codec.encodeValue(f, v);
          params[i] = encoded;
          // The returned row is a copy, as a later read would give: JSON as stored (re-parsed from the
          // bound text, so it matches exactly what `get` returns), dates as new objects.
          const kind = kinds[i];
          stored[f] =
            kind === 'json'
              ? JSON.parse(encoded as string)
              : kind === 'timestamp'
                ? new Date((v as Date).getTime())
                : v;
        }
      }
      return { text: insertText, params, row: stored };
    },

    get(key) {
      return { text: getText, params: [key] };
    },

    getBy(indexName, values) {
      const index = collection.indexes.find((i) => i.name === indexName && i.unique);
      if (!index) throw new InvalidStateError(`${collection.name} has no unique index ${indexName}`);
      const params: unknown[] = [];
      for (const f of index.fields) {
        const v = values[f];
        // No stored row holds a null in a unique key, nor text no store keeps: nothing to look up.
        if (v === null || v === undefined || (typeof v === 'string' && !isStorableText(v))) return undefined;
        params.push(codec.encodeValue(f, v));
      }
      let text = getByTexts.get(indexName);
      if (text === undefined) {
        const conds = index.fields.map((f, i) => `${shape.compared(f)} = ${ph(i + 1)}`);
        text = `SELECT ${selectList} FROM ${table} WHERE ${conds.join(' AND ')}`;
        getByTexts.set(indexName, text);
      }
      return { text, params };
    },

    find(query) {
      const resolved = resolveFind(collection, query);
      const params = new ParamList(dialect);
      const conditions = whereConditions(shape, resolved.where, params);
      if (resolved.after) conditions.push(`(${keysetCondition(shape, resolved.order, resolved.after, params)})`);
      const orderBy = resolved.order.map((o) => `${shape.compared(o.field)} ${o.desc ? 'DESC' : 'ASC'}`).join(', ');
      const limit = params.add(resolved.limit + 1);
      const fetched = resolved.select === null ? null : fetchedFields(resolved);
      const list =
        fetched === null
          ? selectList
          : fetched.map((f) => `${columns.get(f)!} AS ${dialect.quoteIdentifier(f)}`).join(', ');
      return {
        text: `SELECT ${list} FROM ${table}${whereClause(conditions)} ORDER BY ${orderBy} LIMIT ${limit}`,
        params: params.values,
        resolved,
        fetched,
      };
    },

    page(raws, find) {
      const fetched = find.fetched;
      if (fetched === null) return cut(raws, find, (raw) => codec.decodeRow(raw));
      return cut(raws, find, (raw) => {
        const row: AnyRow = {};
        for (const f of fetched) row[f] = codec.decodeValue(f, raw[f]);
        return row;
      });
    },

    pageValues(raws, find) {
      const fetched = find.fetched;
      if (fetched === null) return cut(raws, find, (values) => codec.decodeValues(values));
      return cut(raws, find, (values) => {
        const row: AnyRow = {};
        for (let i = 0; i < fetched.length; i++) row[fetched[i]!] = codec.decodeValue(fetched[i]!, values[i]);
        return row;
      });
    },

    count(where) {
      const params = new ParamList(dialect);
      const conditions = whereConditions(shape, normaliseWhere(collection, where), params);
      return {
        text: `SELECT count(*) AS ${dialect.quoteIdentifier('n')} FROM ${table}${whereClause(conditions)}`,
        params: params.values,
      };
    },

    update(key, patch, options) {
      checkRow(collection, patch, 'patch');
      checkVersioned(options);
      const expect = options?.expectVersion;
      let signature = expect === undefined ? '' : 'v';
      for (const f of Object.keys(patch)) if (patch[f] !== undefined) signature += `,${f}`;
      const params = new ParamList(dialect);
      let text = updateTexts.get(signature);
      if (text === undefined) {
        const set = assignments(patch, params);
        // The key's placeholder comes first: params number in the order they are added.
        const keyMatch = `${pk} = ${params.add(key)}`;
        const where = expect === undefined ? keyMatch : `${keyMatch} AND ${versionCol} = ${params.add(expect)}`;
        text = `UPDATE ${table} SET ${set} WHERE ${where}${returning}`;
        updateTexts.set(signature, text);
        return { text, params: params.values };
      }
      // Cached text: bind the same values in the same order without rebuilding it.
      const values: unknown[] = [];
      for (const f of Object.keys(patch)) {
        const v = patch[f];
        if (v !== undefined) values.push(codec.encodeValue(f, v));
      }
      values.push(key);
      if (expect !== undefined) values.push(expect);
      return { text, params: values };
    },

    delete(key, options) {
      checkVersioned(options);
      const params = new ParamList(dialect);
      let where = `${pk} = ${params.add(key)}`;
      if (options?.expectVersion !== undefined) where += ` AND ${versionCol} = ${params.add(options.expectVersion)}`;
      return { text: `DELETE FROM ${table} WHERE ${where}`, params: params.values };
    },

    increment(key, field, delta, guard) {
      const spec = collection.fields[field];
      if (spec?.kind !== 'integer' || field === collection.primaryKey || (versioned && field === 'version')) {
        throw new InvalidStateError(`${collection.name}.${field} is not an integer field`, {
          collection: collection.name,
          field,
        });
      }
      if (!Number.isSafeInteger(delta)) throw new InvalidStateError('delta must be a safe integer', { delta });
      const lower = guard?.min === undefined ? -MAX_SAFE : Math.max(guard.min, -MAX_SAFE);
      const upper = guard?.max === undefined ? MAX_SAFE : Math.min(guard.max, MAX_SAFE);
      // The new value is reported by the server only where it cannot fall below 1 (see `incrementValue`).
      const capture = dialect.incrementValue !== undefined && guard?.min !== undefined && guard.min >= 1;
      const cacheKey = capture ? `${field}\u0000reported` : field;
      let text = incrementTexts.get(cacheKey);
      if (text === undefined) {
        const col = columns.get(field)!;
        // One statement: the guard and the write cannot be split by another writer, and a racer whose
        // delta would break the guard matches no row instead of overwriting anyone's result.
        const value = `${col} + ${ph(1)}`;
        const newValue = capture ? dialect.incrementValue!(value) : value;
        const set = `${col} = ${newValue}${versioned ? `, ${bumpVersion}` : ''}`;
        const inGuard = `${col} + ${ph(3)} BETWEEN ${ph(4)} AND ${ph(5)}`;
        text = `UPDATE ${table} SET ${set} WHERE ${pk} = ${ph(2)} AND ${inGuard}${returning}`;
        incrementTexts.set(cacheKey, text);
      }
      return { text, params: [delta, key, delta, lower, upper] };
    },

    consume(key, when, set) {
      const st = guardedUpdate(key, when, set);
      return { text: `${st.text}${returning}`, params: st.params };
    },

    consumeQuietly: (key, when, set) => guardedUpdate(key, when, set),

    insertMany(rows) {
      for (const row of rows) checkRow(collection, row, 'insert');
      const perStatement = Math.max(
        1,
        Math.min(MAX_ROWS_PER_INSERT, Math.floor(dialect.maxParameters / fields.length)),
      );
      // Full chunks, then the remainder: a small one (a sale's lines) in one statement of its own size, so it
      // needs no savepoint to be all or nothing; a larger one in powers of two, so a few texts serve every size.
      const sizes: number[] = [];
      let left = rows.length;
      while (left >= perStatement) {
        sizes.push(perStatement);
        left -= perStatement;
      }
      if (left > 0 && left <= EXACT_INSERT_ROWS) sizes.push(left);
      else for (let bit = 1 << 30; bit >= 1; bit >>>= 1) if (left & bit) sizes.push(bit);
      const out: SqlStatement[] = [];
      let at = 0;
      for (const size of sizes) {
        // At its full length at once, not grown a value at a time (12,500 values for 500 customers).
        const params: unknown[] = new Array(size * fields.length);
        for (let r = 0; r < size; r++) encodeRowAt(rows[at + r]!, params, r * fields.length);
        out.push({ text: insertManyText(size), params });
        at += size;
      }
      return out;
    },

    decodeRow: (raw) => codec.decodeRow(raw),
    decodeValues: (values) => codec.decodeValues(values),

    missedWrite(key, current, options) {
      if (!current) return new NotFoundError(collection.name, key);
      return new ConflictError('version', `${collection.name}: ${key} was changed by someone else`, {
        collection: collection.name,
        key,
        expected: options?.expectVersion,
        actual: current['version'],
      });
    },

    missedIncrement(key, field, current) {
      if (!current) throw new NotFoundError(collection.name, key);
      if (current[field] === null)
        throw new InvalidStateError(`${collection.name}.${field} is null`, { collection: collection.name, field });
      return { applied: false, row: current };
    },
  };
}
