/**
 * Text in index keys that are limited in bytes (InnoDB: 3,072 bytes a key, up to 4 a character in
 * utf8mb4). Each string column is typed from what its collection declares: the primary key and the
 * customer key hold keys of at most `keyChars` characters; a field of an index holds bounded text, as
 * long as lets every index it is in fit; any other field is free text of any length. An index added by a
 * later migration over wider columns indexes a prefix of each (a plain index: it only finds rows, the
 * comparison is still made on the whole value) or narrows them first (a unique index, whose values must
 * be compared whole); narrowing fails, changing nothing, if a stored value is longer.
 */
import type { CollectionSpec, IndexSpec } from '@clientele/core/adapter';
import type { ColumnInfo, KeyLimits } from './dialect.js';
import { columnName } from './naming.js';

/** Characters each of `strings` text fields may take in a key that also holds `fixed` bytes of other fields. */
export function indexShare(limits: KeyLimits, strings: number, fixed: number): number {
  return Math.floor((limits.indexBytes - fixed) / limits.bytesPerChar / Math.max(1, strings));
}

/**
 * The characters each string field of a collection holds: a number for a key or indexed text, `null` for
 * free text. A field in several indexes takes the narrowest share; a key is never wider than `keyChars`.
 */
export function textWidths(
  limits: KeyLimits,
  collection: CollectionSpec,
  extraIndexes: readonly IndexSpec[] = [],
): Map<string, number | null> {
  const widths = new Map<string, number | null>();
  const keys = new Set([collection.primaryKey, collection.customerKey]);
  for (const [f, spec] of Object.entries(collection.fields))
    if (spec.kind === 'string') widths.set(f, keys.has(f) ? limits.keyChars : null);
  for (const index of [...collection.indexes, ...extraIndexes]) {
    const strings = index.fields.filter((f) => collection.fields[f]!.kind === 'string');
    if (strings.length === 0) continue;
    let fixed = 0;
    for (const f of index.fields) {
      const kind = collection.fields[f]!.kind;
      if (kind !== 'string') fixed += limits.fixedBytes(kind);
    }
    const share = indexShare(limits, strings.length, fixed);
    for (const f of strings) widths.set(f, Math.min(widths.get(f) ?? share, share));
  }
  return widths;
}

/**
 * The key parts of an index over columns that exist (`columns`, by column name), and the columns a
 * unique index must narrow first: a column wider than its share of the key is indexed by a prefix of
 * that many characters in a plain index, and narrowed to it for a unique one.
 */
export function fitIndex(
  limits: KeyLimits,
  index: IndexSpec,
  columns: ReadonlyMap<string, ColumnInfo>,
): { parts: Array<{ column: string; prefix?: number }>; narrow: Array<{ column: string; chars: number }> } {
  const names = index.fields.map(columnName);
  const strings = names.filter((c) => (columns.get(c)?.chars ?? null) !== null);
  // A column of another kind is taken at the widest such a column can be (an integer or a timestamp).
  const fixed = (names.length - strings.length) * limits.fixedBytes('integer');
  const share = indexShare(limits, strings.length, fixed);
  const parts: Array<{ column: string; prefix?: number }> = [];
  const narrow: Array<{ column: string; chars: number }> = [];
  for (const column of names) {
    const chars = columns.get(column)?.chars ?? null;
    if (chars === null || chars <= share) parts.push({ column });
    else if (index.unique) {
      narrow.push({ column, chars: share });
      parts.push({ column });
    } else parts.push({ column, prefix: share });
  }
  return { parts, narrow };
}
