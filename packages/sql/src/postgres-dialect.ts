/**
 * PostgreSQL (and PGlite): `$n` parameters, `COLLATE "C"` text for code point order, `timestamptz`,
 * native booleans, `json`, `bigint` integers (which drivers return as text; the row codec turns them back into
 * numbers).
 */
import type { FieldKind } from '@clientele/core/adapter';
import type { Dialect } from './dialect.js';

const TYPES: Record<FieldKind, string> = {
  string: 'text COLLATE "C"',
  integer: 'bigint',
  boolean: 'boolean',
  timestamp: 'timestamptz',
  // `json` keeps the text as written: key order and all, exactly as the other stores give it back.
  // `jsonb` would reorder keys, and the port never compares or indexes JSON, which is what jsonb buys.
  json: 'json',
};

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/**
 * The code point after the last one of `prefix`, with the text before it: every string that starts
 * with `prefix` sorts at or after `prefix` and before this bound in code point order. `undefined` when
 * there is none (an empty prefix, or one ending in U+10FFFF).
 */
export function prefixBound(prefix: string): string | undefined {
  const points = Array.from(prefix);
  const last = points.pop();
  if (last === undefined) return undefined;
  let next = last.codePointAt(0)! + 1;
  if (next >= 0xd800 && next <= 0xdfff) next = 0xe000;
  if (next > 0x10ffff) return undefined;
  return points.join('') + String.fromCodePoint(next);
}

/** The element type of the array that carries a column's values. */
const ARRAY_TYPES: Record<FieldKind, string> = {
  string: 'text[]',
  integer: 'bigint[]',
  boolean: 'boolean[]',
  timestamp: 'timestamptz[]',
  json: 'json[]',
};

function listIndexes(schema: string): string {
  return `SELECT indexname AS "name" FROM pg_indexes WHERE schemaname = ${schema}`;
}

function listColumns(schema: string): (tableParam: string) => string {
  return (tableParam) =>
    `SELECT column_name AS "name" FROM information_schema.columns WHERE table_schema = ${schema} AND ` +
    `table_name = ${tableParam}`;
}

/** The PostgreSQL dialect (11 or later, for `starts_with`), naming tables through the connection's `search_path`. */
export const postgresDialect: Dialect = {
  name: 'postgres',
  placeholder: (n) => `$${n}`,
  quoteIdentifier: quote,
  columnType: (kind) => TYPES[kind],
  codec: { dates: 'native', booleans: 'native', json: 'native' },
  // The columns are declared COLLATE "C" already; saying it again keeps the order right on tables
  // created by someone else with the database's default (linguistic) collation.
  stringCollation: ' COLLATE "C"',
  returning: true,
  maxParameters: 65535,
  maxIdentifierLength: 63,
  // The range lets a b-tree index on the column seek to the prefix; starts_with keeps the test exact
  // whatever the column's own collation is.
  startsWith: (column, prefix, param) => {
    const bound = prefixBound(prefix);
    if (bound === undefined) return `starts_with(${column}, ${param(prefix)})`;
    const p = param(prefix);
    return (
      `(${column} COLLATE "C" >= ${p} AND ${column} COLLATE "C" < ${param(bound)} AND ` +
      `starts_with(${column}, ${p}))`
    );
  },
  beginWrite: 'BEGIN',
  // A transaction-scoped advisory lock per schema: released by COMMIT or ROLLBACK, shared by every
  // process on the database, and taken before the schema or any table exists.
  migrationLock: [`SELECT pg_advisory_xact_lock(hashtext('clientele_migrations'), hashtext(current_schema()))`],
  addColumnIfNotExists: true,
  // A nightly rewrite of a few percent of the rows clears the visibility map of most pages; at the default
  // (a fifth of the table) autovacuum would not set it again before the next night, whose index-only
  // reads would then visit the table for most rows.
  bulkRewriteSettings: 'autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02',
  listColumns: listColumns('current_schema()'),
  listIndexes: listIndexes('current_schema()'),
  arrayParameter: (marker, kind) => `${marker}::${ARRAY_TYPES[kind]}`,
  // Clientele stores whole milliseconds. `date_part` gives the epoch as a double (`extract` gives a
  // numeric, several times slower over millions of rows); its error is far below half a millisecond
  // for any timestamp, and the cast to bigint rounds to the nearest, so the result is the exact integer.
  seriesAggregate: (expression, kind) =>
    kind === 'timestamp'
      ? `string_agg((date_part('epoch', ${expression}) * 1000)::bigint::text, ',')`
      : `string_agg((${expression})::text, ',')`,
  onConflict: (conflictColumns, update) =>
    `ON CONFLICT (${conflictColumns.join(', ')}) DO ${
      update.length === 0 ? 'NOTHING' : `UPDATE SET ${update.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`
    }`,
};

const bound = new Map<string, Dialect>();

/**
 * The PostgreSQL dialect bound to one schema: every table is named `"schema"."table"`, so statements
 * do not depend on the connection's `search_path` (a pool shared with other code, or a connection
 * pooler, may have any). One dialect object per schema, so statements are built and cached once each.
 */
export function postgresSchemaDialect(schema: string): Dialect {
  let dialect = bound.get(schema);
  if (!dialect) {
    const qs = quote(schema);
    dialect = Object.freeze({
      ...postgresDialect,
      qualifyTable: (table: string) => `${qs}.${quote(table)}`,
      migrationLock: [`SELECT pg_advisory_xact_lock(hashtext('clientele_migrations'), hashtext(${literal(schema)}))`],
      listColumns: listColumns(literal(schema)),
      listIndexes: listIndexes(literal(schema)),
      createSchema: `CREATE SCHEMA IF NOT EXISTS ${qs}`,
    });
    bound.set(schema, dialect);
  }
  return dialect;
}
