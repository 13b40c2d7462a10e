/**
 * Export, erasure and merge find a customer's rows through an index leading with each collection's
 * customer key: every SQL store makes one (the one migration loop of `@clientele/sql`), and a database
 * migrated before they did gets it on its next migrate, without running a migration again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import { createClientele, manualClock, memoryStore, type Store } from '@clientele/core';
import type { CollectionSpec, Migration } from '@clientele/core/module';
import { complaints } from '@clientele/complaints';
import { loyalty } from '@clientele/loyalty';
import { mysqlStore } from '@clientele/mysql';
import { postgresStore } from '@clientele/postgres';
import { segments } from '@clientele/segments';
import {
  columnName,
  customerKeyIndexSql,
  migrationStatements,
  migrationStepSql,
  postgresSchemaDialect,
  sqliteDialect,
  stepTable,
  type Dialect,
} from '@clientele/sql';
import { sqliteStore } from '@clientele/sqlite';
import { TIANTIAN } from '../packages/complaints/test/support/world.js';
import { PROGRAM } from '../packages/loyalty/test/support.js';
import { MYSQL_URL, STORE_KINDS, serverSchemas } from './support/stores.js';

/** Every migration of Clientele with all three modules, as `crm.migrate()` hands them to the store. */
async function allMigrations(): Promise<readonly Migration[]> {
  const inner = memoryStore();
  let seen: readonly Migration[] = [];
  const store: Store = { ...inner, migrate: (migrations) => ((seen = migrations), inner.migrate(migrations)) };
  const crm = createClientele({
    store,
    clock: manualClock('2026-11-02T02:00:00Z'),
    modules: [loyalty(PROGRAM), complaints(TIANTIAN), segments()] as const,
  });
  await crm.migrate();
  return seen;
}

/** The collections the migrations create that declare a customer key other than their primary key. */
function customerOwned(migrations: readonly Migration[]): CollectionSpec[] {
  const out = new Map<string, CollectionSpec>();
  for (const m of migrations)
    for (const step of m.steps)
      if (
        step.op === 'createCollection' &&
        step.collection.customerKey &&
        step.collection.customerKey !== step.collection.primaryKey
      )
        out.set(step.collection.name, step.collection);
  return [...out.values()];
}

/**
 * The migration loop as the SQLite store ran it before the SQL layer had one: steps and records, no customer-key index.
 */
function migrateTheOldWay(db: Database.Database, migrations: readonly Migration[]): void {
  const sql = migrationStatements(sqliteDialect);
  db.exec(sql.createTable);
  for (const m of migrations) {
    for (const step of m.steps) {
      const listed = sql.listColumns(stepTable(step));
      const columns = new Set(
        db
          .prepare(listed.text)
          .all(...listed.params)
          .map((r) => (r as { name: string }).name),
      );
      for (const statement of migrationStepSql(sqliteDialect, step, columns)) db.exec(statement);
    }
    const record = sql.recordApplied(m.id, new Date());
    db.prepare(record.text).run(...record.params);
  }
}

/** The tables (of `owned`) with no index whose first column is the customer key's. */
function sqliteUnindexed(db: Database.Database, owned: readonly CollectionSpec[]): string[] {
  const leading = db.prepare(
    `SELECT ii.name AS "column" FROM pragma_index_list(?) AS il JOIN pragma_index_info(il.name) AS ii WHERE ` +
      `ii.seqno = 0`,
  );
  return owned
    .filter((c) => !leading.all(c.name).some((r) => (r as { column: string }).column === columnName(c.customerKey!)))
    .map((c) => c.name);
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function freshFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'clientele-keys-'));
  dirs.push(dir);
  return join(dir, 'crm.db');
}

describe('customer-key indexes on SQLite', () => {
  it('exist for every collection that declares a customer key', async () => {
    const migrations = await allMigrations();
    const owned = customerOwned(migrations);
    expect(owned.length, 'the modules declare customer-owned collections').toBeGreaterThan(10);
    const file = freshFile();
    const store = sqliteStore({ file });
    await store.migrate(migrations);
    await store.close();
    const db = new Database(file, { readonly: true });
    try {
      expect(sqliteUnindexed(db, owned)).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('are added to a database migrated by the old loop, with no migration run again', async () => {
    const migrations = await allMigrations();
    const owned = customerOwned(migrations);
    const file = freshFile();
    const old = new Database(file);
    migrateTheOldWay(old, migrations);
    expect(sqliteUnindexed(old, owned).length, 'the old loop left them out').toBeGreaterThan(0);
    old.close();

    const store = sqliteStore({ file });
    expect(await store.migrate(migrations), 'every migration is recorded already').toEqual({
      applied: [],
      skipped: migrations.map((m) => m.id),
    });
    expect(
      (await store.migrate(migrations)).applied,
      'and again: nothing to do, no clash with the indexes made',
    ).toEqual([]);
    await store.close();
    const db = new Database(file, { readonly: true });
    try {
      expect(sqliteUnindexed(db, owned)).toEqual([]);
    } finally {
      db.close();
    }
  });
});

const postgres = STORE_KINDS.some((k) => k.name === 'postgres');
describe.runIf(postgres)('customer-key indexes on PostgreSQL', () => {
  const server = serverSchemas();

  /** The tables (of `owned`) in `schema` with no index whose first column is the customer key's. */
  async function unindexed(schema: string, owned: readonly CollectionSpec[]): Promise<string[]> {
    const { rows } = await server.admin.query<{ tablename: string; indexdef: string }>(
      'SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = $1',
      [schema],
    );
    return owned
      .filter((c) => !rows.some((r) => r.tablename === c.name && r.indexdef.includes(`(${columnName(c.customerKey!)}`)))
      .map((c) => c.name);
  }

  it('exist for every collection that declares a customer key', async () => {
    const migrations = await allMigrations();
    const schema = server.fresh('keys');
    const store = postgresStore({ pool: server.admin, schema });
    await store.migrate(migrations);
    expect(await unindexed(schema, customerOwned(migrations))).toEqual([]);
  });

  it('migrate cleanly over a schema the old loop made them in', async () => {
    const migrations = await allMigrations();
    const schema = server.fresh('oldkeys');
    const dialect: Dialect = postgresSchemaDialect(schema);
    const sql = migrationStatements(dialect);
    // The old PostgreSQL loop: steps, then the customer-key index of each created collection.
    const client = await server.admin.connect();
    try {
      await client.query('BEGIN');
      await client.query(dialect.createSchema!);
      await client.query(sql.createTable);
      for (const m of migrations) {
        for (const step of m.steps) {
          const listed = sql.listColumns(stepTable(step));
          const columns = new Set(
            (await client.query(listed.text, listed.params as unknown[])).rows.map((r) => r.name as string),
          );
          for (const statement of migrationStepSql(dialect, step, columns)) await client.query(statement);
          const byCustomer = step.op === 'createCollection' ? customerKeyIndexSql(dialect, step.collection) : undefined;
          if (byCustomer) await client.query(byCustomer);
        }
        const record = sql.recordApplied(m.id, new Date());
        await client.query(record.text, record.params as unknown[]);
      }
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    const store = postgresStore({ pool: server.admin, schema });
    expect(await store.migrate(migrations)).toEqual({ applied: [], skipped: migrations.map((m) => m.id) });
    expect(await unindexed(schema, customerOwned(migrations))).toEqual([]);
  });
});

const mariadb = STORE_KINDS.some((k) => k.name === 'mariadb');
describe.runIf(mariadb)('customer-key indexes on MariaDB', () => {
  const admin = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 2 });
  const made: string[] = [];
  afterAll(async () => {
    for (const d of made) await admin.query(`DROP DATABASE IF EXISTS \`${d}\``);
    await admin.end();
  });

  it('exist for every collection that declares a customer key, declared with the table', async () => {
    const migrations = await allMigrations();
    const database = `clientele_keys_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    made.push(database);
    await mysqlStore({ pool: admin, database }).migrate(migrations);
    const [rows] = await admin.query<mysql.RowDataPacket[]>(
      'SELECT table_name AS t, column_name AS c FROM information_schema.statistics WHERE table_schema = ? AND ' +
        'seq_in_index = 1',
      [database],
    );
    const owned = customerOwned(migrations);
    expect(owned.length).toBeGreaterThan(10);
    expect(
      owned
        .filter((c) => !rows.some((r) => r['t'] === c.name && r['c'] === columnName(c.customerKey!)))
        .map((c) => c.name),
    ).toEqual([]);
    // Migrating again finds each index there and creates none.
    expect(await mysqlStore({ pool: admin, database }).migrate(migrations)).toEqual({
      applied: [],
      skipped: migrations.map((m) => m.id),
    });
  });
});
