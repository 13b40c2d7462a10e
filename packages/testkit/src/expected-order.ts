/**
 * The kit's own statement of ordering, independent of core's query helpers, so that expectations do not
 * share a bug with the code under test: strings by Unicode code point, then numbers, dates, booleans.
 */

/** Compares two strings by code point (binary order, as SQLite's default and PostgreSQL's `COLLATE "C"`). */
export function byCodePoint(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i]! - y[i]!;
  }
  return x.length - y.length;
}

/** Compares two non-null values of one kind. */
export function compareScalars(a: unknown, b: unknown): number {
  if (typeof a === 'string' && typeof b === 'string') return byCodePoint(a, b);
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  throw new TypeError(`cannot compare ${String(a)} with ${String(b)}`);
}

/** One ordering term: a field and its direction. */
export type Term = readonly [field: string, direction: 'asc' | 'desc'];

/** Compares rows by the terms, then by `id` ascending (the kit's collections all key on `id`). */
export function compareByTerms(a: Record<string, unknown>, b: Record<string, unknown>, terms: readonly Term[]): number {
  for (const [field, direction] of [...terms, ['id', 'asc'] as const]) {
    const c = compareScalars(a[field], b[field]);
    if (c !== 0) return direction === 'desc' ? -c : c;
  }
  return 0;
}

/** The ids of `rows` sorted by the terms. */
export function sortedIds(rows: ReadonlyArray<Record<string, unknown>>, terms: readonly Term[]): string[] {
  return [...rows].sort((a, b) => compareByTerms(a, b, terms)).map((r) => r['id'] as string);
}
