/** How port names (camelCase fields, snake_case collections) become SQL names. */
import type { IndexSpec } from '@clientele/core/adapter';
import type { Dialect } from './dialect.js';

/** The full name of a table in statements: schema-qualified when the dialect is bound to a schema. */
export function tableName(dialect: Dialect, table: string): string {
  return dialect.qualifyTable ? dialect.qualifyTable(table) : dialect.quoteIdentifier(table);
}

/** The column of a field: camelCase becomes snake_case (`customerId` → `customer_id`). */
export function columnName(fieldName: string): string {
  return fieldName.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * The physical name of an index. Index names are unique per collection in the port but per schema in
 * SQL, so the table name prefixes them; names too long for the dialect end in a short hash instead.
 */
export function indexName(dialect: Dialect, table: string, index: Pick<IndexSpec, 'name'>): string {
  const name = `${table}__${index.name}`;
  if (name.length <= dialect.maxIdentifierLength) return name;
  return `${name.slice(0, dialect.maxIdentifierLength - 9)}_${hash32(name)}`;
}

function hash32(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}
