/** SQLite: `?` parameters, BINARY collation by default, epoch-millisecond timestamps, 0/1 booleans, JSON as text. */
import type { FieldKind } from '@clientele/core/adapter';
import type { Dialect } from './dialect.js';

const TYPES: Record<FieldKind, string> = {
  string: 'TEXT',
  integer: 'INTEGER',
  boolean: 'INTEGER',
  timestamp: 'INTEGER',
  json: 'TEXT',
};

/** Counts code points, because SQLite's `substr` and `length` count characters, not UTF-16 units. */
function codePoints(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** The SQLite dialect (3.35 or later, for `RETURNING`). */
export const sqliteDialect: Dialect = {
  name: 'sqlite',
  placeholder: () => '?',
  quoteIdentifier: (name) => `"${name.replace(/"/g, '""')}"`,
  columnType: (kind) => TYPES[kind],
  codec: { dates: 'epoch-ms', booleans: 'integer', json: 'text' },
  // TEXT columns compare with BINARY (memcmp of UTF-8), which is code point order.
  stringCollation: '',
  returning: true,
  // SQLITE_MAX_VARIABLE_NUMBER defaults to 32766 since SQLite 3.32.
  maxParameters: 32766,
  maxIdentifierLength: 128,
  // LIKE ignores ASCII case and GLOB has wildcards to escape; comparing the leading characters is exact.
  startsWith: (column, prefix, param) => `substr(${column}, 1, ${param(codePoints(prefix))}) = ${param(prefix)}`,
  beginWrite: 'BEGIN IMMEDIATE',
  // BEGIN IMMEDIATE takes the database's single write lock, which serialises migrators across processes.
  migrationLock: [],
  addColumnIfNotExists: false,
  listColumns: (tableParam) => `SELECT "name" FROM pragma_table_info(${tableParam})`,
  listIndexes: `SELECT "name" FROM sqlite_master WHERE "type" = 'index'`,
  // Integers and epoch-millisecond timestamps are both stored as INTEGER, which group_concat writes in decimal.
  seriesAggregate: (expression) => `group_concat(${expression})`,
  onConflict: (conflictColumns, update) =>
    `ON CONFLICT (${conflictColumns.join(', ')}) DO ${
      update.length === 0 ? 'NOTHING' : `UPDATE SET ${update.map((c) => `${c} = excluded.${c}`).join(', ')}`
    }`,
};
