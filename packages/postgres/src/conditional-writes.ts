/**
 * Conditional writes of one shape (the same fields set, the same fields compared for equality) as
 * one `UPDATE ... FROM unnest(...)` statement, and deletes by key as one `DELETE ... = ANY(...)`:
 * each column travels as one array, so a nightly sweep of thousands of rows costs a few round trips
 * instead of one per row.
 */
import type { AnyRow, CollectionSpec, ConditionalWrite, FieldKind } from '@clientele/core';
import type { CollectionStatements, SqlStatement } from '@clientele/sql';

/** The element type of the array that carries a column's values. */
export const ARRAY_TYPES: Record<FieldKind, string> = { string: 'text[]', integer: 'bigint[]', boolean: 'boolean[]', timestamp: 'timestamptz[]', json: 'json[]' };

/** Writes per statement at most: the bound is on the size of one message, as for bulk inserts. */
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
    if (spec === undefined || spec.kind === 'json' || v === null || (typeof v === 'object' && !(v instanceof Date))) return null;
    when.push(f);
  }
  return { key: `${set.join(',')}|${when.join(',')}`, set, when };
}

const texts = new WeakMap<CollectionStatements, Map<string, string>>();

function textOf(s: CollectionStatements, shape: WriteShape): string {
  let byShape = texts.get(s);
  if (!byShape) {
    byShape = new Map();
    texts.set(s, byShape);
  }
  let text = byShape.get(shape.key);
  if (text === undefined) {
    const { table, pk, columns, collection } = s.shape;
    const kind = (f: string) => collection.fields[f]!.kind;
    const pkKind = kind(collection.primaryKey);
    let n = 1;
    const arrays = [`$${n++}::${ARRAY_TYPES[pkKind]}`, ...shape.set.map((f) => `$${n++}::${ARRAY_TYPES[kind(f)]}`), ...shape.when.map((f) => `$${n++}::${ARRAY_TYPES[kind(f)]}`)];
    const names = ['k', ...shape.set.map((_, i) => `s${i}`), ...shape.when.map((_, i) => `w${i}`)];
    const assigned = shape.set.map((f, i) => `${columns.get(f)!} = v.s${i}`);
    const version = collection.versioned ? columns.get('version')! : null;
    if (version) assigned.push(`${version} = t.${version} + 1`);
    const conditions = [`t.${pk} = v.k`, ...shape.when.map((f, i) => `t.${columns.get(f)!} = v.w${i}`)];
    text =
      `UPDATE ${table} AS t SET ${assigned.join(', ')} FROM unnest(${arrays.join(', ')}) AS v(${names.join(', ')}) ` +
      `WHERE ${conditions.join(' AND ')} RETURNING t.${pk} AS "k"${version ? `, t.${version} AS "version"` : ''}`;
    byShape.set(shape.key, text);
  }
  return text;
}

/** The statement applying `writes` (all of `shape`), their values bound column by column. */
export function bulkWriteStatement(s: CollectionStatements, shape: WriteShape, writes: readonly ConditionalWrite[]): SqlStatement {
  const { codec } = s.shape;
  const params: unknown[][] = [writes.map((w) => w.key)];
  for (const f of shape.set) params.push(writes.map((w) => codec.encodeValue(f, (w.set as AnyRow)[f])));
  for (const f of shape.when) params.push(writes.map((w) => codec.encodeValue(f, (w.when as AnyRow)[f])));
  return { text: textOf(s, shape), params };
}

const deleteTexts = new WeakMap<CollectionStatements, string>();

/** The statement deleting the rows with `keys` (at most {@link MAX_ROWS_PER_BULK_WRITE}), returning the keys deleted as `k`. */
export function bulkDeleteStatement(s: CollectionStatements, keys: readonly string[]): SqlStatement {
  let text = deleteTexts.get(s);
  if (text === undefined) {
    const { table, pk } = s.shape;
    text = `DELETE FROM ${table} WHERE ${pk} = ANY($1::text[]) RETURNING ${pk} AS "k"`;
    deleteTexts.set(s, text);
  }
  return { text, params: [keys] };
}
