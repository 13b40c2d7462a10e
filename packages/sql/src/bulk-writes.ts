/**
 * Bulk writes by column arrays, for a dialect with {@link Dialect.arrayParameter}: inserts as one
 * `INSERT ... SELECT * FROM unnest(...)`, conditional writes of one shape (the same fields set, the
 * same fields compared for equality) as one `UPDATE ... FROM unnest(...)`, and deletes by key as one
 * `DELETE ... = ANY(...)`. Each column travels as one array, so thousands of rows cost a few round
 * trips, and each text is the same whatever the number of rows (prepared once per connection).
 */
import type { AnyRow, CollectionSpec, ConditionalWrite } from '@clientele/core/adapter';
import type { Dialect } from './dialect.js';
import type { SqlStatement } from './params.js';
import type { CollectionStatements } from './statements.js';

/**
 * Rows per bulk insert and writes per bulk write at most: the bound is on the size of one message, not on the
 * parameters.
 */
export const MAX_ROWS_PER_BULK_WRITE = 5000;

/** The fields a group of writes sets and the fields its `when` compares, in order. */
export interface WriteShape {
  readonly key: string;
  readonly set: readonly string[];
  readonly when: readonly string[];
}

/**
 * The shape of a write the bulk statement can carry, or null when it needs a statement of its own:
 * a `when` other than plain equality to a value (an operator, null, a JSON field), a write of a field
 * under a unique index (a clash must name its row), or nothing to set.
 */
export function shapeOf(c: CollectionSpec, w: ConditionalWrite, uniqueFields: ReadonlySet<string>): WriteShape | null {
  const set: string[] = [];
  for (const f of Object.keys(w.set)) {
    if ((w.set as AnyRow)[f] === undefined) continue;
    if (uniqueFields.has(f)) return null;
    set.push(f);
  }
  if (set.length === 0) return null;
  const when: string[] = [];
  for (const [f, v] of Object.entries(w.when)) {
    if (v === undefined) continue;
    const spec = c.fields[f];
    if (spec === undefined || spec.kind === 'json' || v === null || (typeof v === 'object' && !(v instanceof Date)))
      return null;
    when.push(f);
  }
  return { key: `${set.join(',')}|${when.join(',')}`, set, when };
}

/** The texts built so far, per collection's statements. */
interface Texts {
  insert: string | undefined;
  delete: string | undefined;
  writes: Map<string, string>;
}
const built = new WeakMap<CollectionStatements, Texts>();

function textsOf(s: CollectionStatements): Texts {
  let t = built.get(s);
  if (!t) {
    t = { insert: undefined, delete: undefined, writes: new Map() };
    built.set(s, t);
  }
  return t;
}

/** The `n`-th parameter as an array of `field`'s values. */
function arrayParam(s: CollectionStatements, n: number, field: string): string {
  const dialect: Dialect = s.shape.dialect;
  if (!dialect.arrayParameter)
    throw new TypeError(`the ${dialect.name} dialect binds no array parameters, so it has no bulk statements`);
  return dialect.arrayParameter(dialect.placeholder(n), s.shape.collection.fields[field]!.kind);
}

/**
 * Inserts rows `from` to `to` (at most {@link MAX_ROWS_PER_BULK_WRITE}), skipping any that clash; the
 * statement returns the primary key of each row stored as `k`. Rows are checked by the caller; a
 * versioned row goes in at version 1.
 */
export function bulkInsertStatement(
  s: CollectionStatements,
  rows: readonly AnyRow[],
  from = 0,
  to = rows.length,
): SqlStatement {
  const t = textsOf(s);
  const { shape } = s;
  if (t.insert === undefined) {
    const arrays = shape.fields.map((f, i) => arrayParam(s, i + 1, f));
    const columns = shape.fields.map((f) => shape.columns.get(f)!).join(', ');
    const key = shape.dialect.quoteIdentifier('k');
    t.insert =
      `INSERT INTO ${shape.table} (${columns}) ` +
      `SELECT * FROM unnest(${arrays.join(', ')}) ON CONFLICT DO NOTHING RETURNING ${shape.pk} AS ${key}`;
  }
  const { fields, codec, collection } = shape;
  const params: unknown[][] = new Array(fields.length);
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const column: unknown[] = new Array(to - from);
    if (collection.versioned && f === 'version') column.fill(1);
    else for (let r = from; r < to; r++) column[r - from] = codec.encodeValue(f, rows[r]![f]);
    params[i] = column;
  }
  return { text: t.insert, params };
}

/**
 * The statement applying `writes` (all of `shape`, at most {@link MAX_ROWS_PER_BULK_WRITE}), returning each row written
 * as `k` (and its new `version`).
 */
export function bulkWriteStatement(
  s: CollectionStatements,
  shape: WriteShape,
  writes: readonly ConditionalWrite[],
): SqlStatement {
  const t = textsOf(s);
  let text = t.writes.get(shape.key);
  if (text === undefined) {
    const { table, pk, columns, collection, dialect } = s.shape;
    const q = dialect.quoteIdentifier;
    let n = 1;
    const arrays = [
      arrayParam(s, n++, collection.primaryKey),
      ...shape.set.map((f) => arrayParam(s, n++, f)),
      ...shape.when.map((f) => arrayParam(s, n++, f)),
    ];
    const names = ['k', ...shape.set.map((_, i) => `s${i}`), ...shape.when.map((_, i) => `w${i}`)];
    const assigned = shape.set.map((f, i) => `${columns.get(f)!} = v.s${i}`);
    const version = collection.versioned ? columns.get('version')! : null;
    if (version) assigned.push(`${version} = t.${version} + 1`);
    const conditions = [`t.${pk} = v.k`, ...shape.when.map((f, i) => `t.${columns.get(f)!} = v.w${i}`)];
    const returned = version ? `t.${pk} AS ${q('k')}, t.${version} AS ${q('version')}` : `t.${pk} AS ${q('k')}`;
    text =
      `UPDATE ${table} AS t SET ${assigned.join(', ')} FROM unnest(${arrays.join(', ')}) AS v(${names.join(', ')}) ` +
      `WHERE ${conditions.join(' AND ')} RETURNING ${returned}`;
    t.writes.set(shape.key, text);
  }
  const { codec } = s.shape;
  const params: unknown[][] = [writes.map((w) => w.key)];
  for (const f of shape.set) params.push(writes.map((w) => codec.encodeValue(f, (w.set as AnyRow)[f])));
  for (const f of shape.when) params.push(writes.map((w) => codec.encodeValue(f, (w.when as AnyRow)[f])));
  return { text, params };
}

/**
 * The statement deleting the rows with `keys` (at most {@link MAX_ROWS_PER_BULK_WRITE}), returning the keys deleted as
 * `k`.
 */
export function bulkDeleteStatement(s: CollectionStatements, keys: readonly string[]): SqlStatement {
  const t = textsOf(s);
  if (t.delete === undefined) {
    const { table, pk, collection, dialect } = s.shape;
    t.delete =
      `DELETE FROM ${table} WHERE ${pk} = ANY(${arrayParam(s, 1, collection.primaryKey)}) RETURNING ${pk} ` +
      `AS ${dialect.quoteIdentifier('k')}`;
  }
  return { text: t.delete, params: [keys] };
}
