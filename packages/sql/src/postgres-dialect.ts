/**
 * PostgreSQL (and PGlite): `$n` parameters, `COLLATE "C"` text for code point order, `timestamptz`,
 * native booleans, `jsonb`, `bigint` integers (which drivers return as text; the row codec turns them back into numbers).
 */
import type { FieldKind } from '@clientele/core';
import type { Dialect } from './dialect.js';

const TYPES: Record<FieldKind, string> = {
  string: 'text COLLATE "C"',
  integer: 'bigint',
  boolean: 'boolean',
  timestamp: 'timestamptz',
  json: 'jsonb',
};

/** The PostgreSQL dialect (11 or later, for `starts_with`). */
export const postgresDialect: Dialect = {
  name: 'postgres',
  placeholder: (n) => `$${n}`,
  quoteIdentifier: (name) => `"${name.replace(/"/g, '""')}"`,
  columnType: (kind) => TYPES[kind],
  codec: { dates: 'native', booleans: 'native', json: 'native' },
  // The columns are declared COLLATE "C" already; saying it again keeps the order right on tables
  // created by someone else with the database's default (linguistic) collation.
  stringCollation: ' COLLATE "C"',
  returning: true,
  maxParameters: 65535,
  maxIdentifierLength: 63,
  startsWith: (column, prefix, param) => `starts_with(${column}, ${param(prefix)})`,
  beginWrite: 'BEGIN',
  // A transaction-scoped advisory lock: released by COMMIT or ROLLBACK, shared by every process on the database.
  migrationLock: [`SELECT pg_advisory_xact_lock(hashtext('clientele_migrations'))`],
  addColumnIfNotExists: true,
  listColumns: (tableParam) =>
    `SELECT column_name AS "name" FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ${tableParam}`,
  onConflict: (conflictColumns, update) =>
    `ON CONFLICT (${conflictColumns.join(', ')}) DO ${
      update.length === 0 ? 'NOTHING' : `UPDATE SET ${update.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`
    }`,
};
