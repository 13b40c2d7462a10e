/** Which declared key a unique violation reported by a database belongs to. */
import type { AnyRow, CollectionSpec } from '@clientele/core/adapter';
import type { Dialect } from './dialect.js';
import { columnName, indexName } from './naming.js';

/** What clashed: the primary key, or a named unique index. */
export interface UniqueClash {
  /** The `ConflictError` reason to report. */
  readonly reason: 'primary_key' | 'unique';
  /** The port's index name, when the clash is on a unique index that could be identified. */
  readonly index?: string;
}

/**
 * Identifies a unique violation from what the driver reports: the clashing column names (SQLite) or
 * the violated constraint's name (PostgreSQL, MySQL). Unknown clashes are reported as `unique`.
 */
export function identifyClash(
  dialect: Dialect,
  collection: CollectionSpec,
  report: { columns?: readonly string[]; constraint?: string },
): UniqueClash {
  const pkColumn = columnName(collection.primaryKey);
  if (report.constraint !== undefined) {
    if (report.constraint === `${collection.name}_pkey` || report.constraint === 'PRIMARY')
      return { reason: 'primary_key' };
    const index = collection.indexes.find(
      (i) => i.unique && indexName(dialect, collection.name, i) === report.constraint,
    );
    return index ? { reason: 'unique', index: index.name } : { reason: 'unique' };
  }
  if (report.columns) {
    const cols = [...report.columns].sort();
    if (cols.length === 1 && cols[0] === pkColumn) return { reason: 'primary_key' };
    const index = collection.indexes.find((i) => {
      if (!i.unique || i.fields.length !== cols.length) return false;
      const own = i.fields.map(columnName).sort();
      return own.every((c, k) => c === cols[k]);
    });
    return index ? { reason: 'unique', index: index.name } : { reason: 'unique' };
  }
  return { reason: 'unique' };
}

const uniqueFieldSets = new WeakMap<CollectionSpec, ReadonlySet<string>>();

/** The fields of a collection's unique indexes. */
export function uniqueFieldsOf(collection: CollectionSpec): ReadonlySet<string> {
  let fields = uniqueFieldSets.get(collection);
  if (!fields) {
    const unique = new Set<string>();
    for (const index of collection.indexes) if (index.unique) for (const f of index.fields) unique.add(f);
    uniqueFieldSets.set(collection, unique);
    fields = unique;
  }
  return fields;
}

/** Whether a patch sets a field of a unique index: a write that may clash. (A patch never sets the primary key.) */
export function setsUniqueField(collection: CollectionSpec, patch: AnyRow): boolean {
  const unique = uniqueFieldsOf(collection);
  for (const f of Object.keys(patch)) if (unique.has(f) && patch[f] !== undefined) return true;
  return false;
}
