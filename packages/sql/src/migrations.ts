/** The record of applied migrations, kept in a `clientele_migrations` table. */
import type { Dialect } from './dialect.js';
import { tableName } from './naming.js';
import type { SqlStatement } from './params.js';

/** The table that records which migrations ran. */
export const MIGRATIONS_TABLE = 'clientele_migrations';

/** Statements an adapter's `migrate()` needs around the steps themselves. */
export interface MigrationStatements {
  /** Creates the record table if it does not exist (`id` primary key, `applied_at` timestamp). */
  readonly createTable: string;
  /** Lists applied ids, as rows with an `id` column. */
  readonly selectApplied: string;
  /** Records one migration as applied at `at`. */
  recordApplied(id: string, at: Date): SqlStatement;
  /** Lists a table's columns (rows with a `name` column). */
  listColumns(table: string): SqlStatement;
}

/** The migration bookkeeping statements of a dialect. */
export function migrationStatements(dialect: Dialect): MigrationStatements {
  const q = dialect.quoteIdentifier;
  const t = tableName(dialect, MIGRATIONS_TABLE);
  const insert = `INSERT INTO ${t} (${q('id')}, ${q('applied_at')}) VALUES (${dialect.placeholder(1)}, ${dialect.placeholder(2)})`;
  const list = dialect.listColumns(dialect.placeholder(1));
  const encodeDate = (at: Date): unknown =>
    dialect.codec.dates === 'epoch-ms' ? at.getTime() : dialect.codec.dates === 'iso' ? at.toISOString() : at;
  return {
    createTable: `CREATE TABLE IF NOT EXISTS ${t} (${q('id')} ${dialect.columnType('string')} NOT NULL, ${q('applied_at')} ${dialect.columnType('timestamp')} NOT NULL, PRIMARY KEY (${q('id')}))`,
    selectApplied: `SELECT ${q('id')} AS ${q('id')} FROM ${t}`,
    recordApplied: (id, at) => ({ text: insert, params: [id, encodeDate(at)] }),
    listColumns: (table) => ({ text: list, params: [table] }),
  };
}
