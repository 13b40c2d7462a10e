/**
 * The migration loop every SQL adapter runs, and the record of applied migrations in a `clientele_migrations` table.
 */
import type { Migration, MigrationResult, MigrationStep } from '@clientele/core/adapter';
import { createIndexSql, customerKeyIndex, migrationStepSql, stepTable } from './ddl.js';
import type { Dialect } from './dialect.js';
import type { ColumnInfo } from './dialect.js';
import { indexName, tableName } from './naming.js';
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
  const insert =
    `INSERT INTO ${t} (${q('id')}, ${q('applied_at')}) VALUES (${dialect.placeholder(1)}, ` +
    `${dialect.placeholder(2)})`;
  const list = dialect.listColumns(dialect.placeholder(1));
  // A key: where index keys are limited, bounded text.
  const idType = dialect.keyLimits
    ? dialect.keyLimits.boundedText(dialect.keyLimits.keyChars)
    : dialect.columnType('string');
  const encodeDate = (at: Date): unknown =>
    dialect.codec.dates === 'epoch-ms' ? at.getTime() : dialect.codec.dates === 'iso' ? at.toISOString() : at;
  return {
    createTable:
      `CREATE TABLE IF NOT EXISTS ${t} (${q('id')} ${idType} NOT NULL, ${q('applied_at')} ` +
      `${dialect.columnType('timestamp')} NOT NULL, PRIMARY KEY (${q('id')}))`,
    selectApplied: `SELECT ${q('id')} AS ${q('id')} FROM ${t}`,
    recordApplied: (id, at) => ({ text: insert, params: [id, encodeDate(at)] }),
    listColumns: (table) => ({ text: list, params: [table] }),
  };
}

/**
 * The one connection `runMigrations` works on, inside the transaction (and under the lock) the
 * adapter opened for it. Errors are the driver's own; the adapter translates what comes out.
 */
export interface MigrationConnection {
  /** Every row of a query, keyed by column name. */
  all(text: string, params: readonly unknown[]): Promise<readonly Record<string, unknown>[]>;
  /** Runs a statement that returns no rows (DDL, or the record of a migration). */
  run(text: string, params: readonly unknown[]): Promise<void>;
}

/** The columns `listColumns` lists, with what an index over them needs to know under key limits. */
function columnInfo(rows: readonly Record<string, unknown>[]): Map<string, ColumnInfo> {
  return new Map(
    rows.map((r) => [
      r['name'] as string,
      {
        chars: r['chars'] === null || r['chars'] === undefined ? null : Number(r['chars']),
        nullable: r['nullable'] !== 'NO',
      },
    ]),
  );
}

/**
 * Applies the migrations not yet recorded, in order, on `connection`, and records each one; returns
 * which were applied and which skipped. Every SQL adapter's `migrate()` is this, run in one
 * transaction under the adapter's migration lock (`BEGIN IMMEDIATE` on SQLite, `BEGIN` and the
 * dialect's `migrationLock` elsewhere), so a failed run leaves nothing behind where DDL is transactional.
 * Where DDL commits at once (MySQL), every step is safe to run again: tables, columns and indexes that
 * exist are not created again, so a run cut short is finished by the next.
 *
 * Every collection that declares a customer key gets an index leading with it (named `customer_key`,
 * unless one of its own indexes already leads with it): export, erasure and merge find a customer's
 * rows through it. A collection created by a migration applied before its store made that index gets
 * it on the next run, without the migration running again.
 *
 * @param dialect - The database's dialect.
 * @param connection - The connection, inside the migration transaction.
 * @param migrations - Every migration of the application, in order.
 * @param now - When the migrations are recorded as applied.
 */
export async function runMigrations(
  dialect: Dialect,
  connection: MigrationConnection,
  migrations: readonly Migration[],
  now: Date = new Date(),
): Promise<MigrationResult> {
  const sql = migrationStatements(dialect);
  if (dialect.createSchema !== undefined) await connection.run(dialect.createSchema, []);
  await connection.run(sql.createTable, []);
  const done = new Set((await connection.all(sql.selectApplied, [])).map((r) => r['id'] as string));
  const indexes = new Set((await connection.all(dialect.listIndexes, [])).map((r) => r['name'] as string));
  /** The customer-key index of a created collection, unless the database has it. */
  const byCustomer = async (step: MigrationStep): Promise<void> => {
    if (step.op !== 'createCollection') return;
    const index = customerKeyIndex(step.collection);
    if (index === undefined) return;
    const name = indexName(dialect, step.collection.name, index);
    if (indexes.has(name)) return;
    await connection.run(createIndexSql(dialect, step.collection.name, index), []);
    indexes.add(name);
  };
  const result: MigrationResult = { applied: [], skipped: [] };
  for (const m of migrations) {
    if (done.has(m.id)) {
      for (const step of m.steps) await byCustomer(step);
      result.skipped.push(m.id);
      continue;
    }
    for (const step of m.steps) {
      const listed = sql.listColumns(stepTable(step));
      const rows = await connection.all(listed.text, listed.params);
      const columns = new Set(rows.map((r) => r['name'] as string));
      const schema = { indexes, ...(dialect.keyLimits ? { columns: columnInfo(rows) } : {}) };
      for (const statement of migrationStepSql(dialect, step, columns, schema)) await connection.run(statement, []);
      const made =
        step.op === 'createCollection' ? [...step.collection.indexes] : step.op === 'addIndex' ? [step.index] : [];
      // A new table declared its customer-key index itself where indexes go in CREATE TABLE.
      const byKey = step.op === 'createCollection' ? customerKeyIndex(step.collection) : undefined;
      if (byKey && columns.size === 0 && dialect.indexesInCreateTable) made.push(byKey);
      for (const index of made) indexes.add(indexName(dialect, stepTable(step), index));
      await byCustomer(step);
    }
    const record = sql.recordApplied(m.id, now);
    await connection.run(record.text, record.params);
    done.add(m.id);
    result.applied.push(m.id);
  }
  return result;
}
