/**
 * `clientele migrate --status | --sql`: what is applied, what would run, and the SQL a DBA reviews,
 * found by running the SQL layer's own migration loop on a connection that reads the database and
 * records, rather than runs, every statement.
 */
import type { Clientele, AnyModule } from '@clientele/core';
import { coreMigrations, type CollectionSpec, type Migration } from '@clientele/core/adapter';
import {
  columnName,
  mariadbDialect,
  migrationStatements,
  mysqlDialect,
  postgresDialect,
  postgresSchemaDialect,
  runMigrations,
  sqliteDialect,
  type Dialect,
  type MigrationConnection,
} from '@clientele/sql';
import { UsageError } from '../failure.js';
import type { CliConfig } from '../open.js';
import type { StoreLocation } from '../store-url.js';

/** Every migration of the configured instance, in order (core's, then each module's). */
export function migrationsOf(config: CliConfig): Migration[] {
  const out: Migration[] = [...coreMigrations];
  for (const d of (config.modules ?? []) as readonly AnyModule[]) {
    const own =
      d.migrations ??
      (d.collections?.length
        ? [
            {
              id: `${d.name}/0001-initial`,
              steps: d.collections.map((collection) => ({ op: 'createCollection' as const, collection })),
            },
          ]
        : []);
    out.push(...own);
  }
  return out;
}

/** What `migrate --status` and `--sql` report. */
export interface MigrationPlan {
  applied: string[];
  pending: string[];
  /** The statements the pending migrations would run, in order. */
  statements: string[];
}

/** A read-only connection to the database, for the plan. */
interface Reader {
  all(text: string, params: readonly unknown[]): Promise<readonly Record<string, unknown>[]>;
  close(): Promise<void>;
}

async function readerFor(location: StoreLocation): Promise<{ reader: Reader; dialect: Dialect }> {
  if (location.kind === 'sqlite') {
    const { default: Database } = await import('better-sqlite3');
    const { existsSync } = await import('node:fs');
    // A database not made yet reads as empty: everything is pending.
    const db = existsSync(location.file) ? new Database(location.file, { readonly: true }) : new Database(':memory:');
    return {
      dialect: sqliteDialect,
      reader: {
        all: async (text, params) => db.prepare(text).all(...(params as unknown[])) as Record<string, unknown>[],
        close: async () => void db.close(),
      },
    };
  }
  if (location.kind === 'postgres') {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: location.connectionString });
    await client.connect();
    return {
      dialect: location.schema ? postgresSchemaDialect(location.schema) : postgresDialect,
      reader: {
        all: async (text, params) => (await client.query(text, params as unknown[])).rows,
        close: () => client.end(),
      },
    };
  }
  return mysqlReader(location.url);
}

/** The part of a `mysql2/promise` connection the plan uses. */
interface MysqlConnection {
  query(text: string, params?: readonly unknown[]): Promise<[unknown, unknown]>;
  end(): Promise<void>;
}

/**
 * A connection to the MariaDB or MySQL server of a `mysql://` (or `mariadb://`) URL, whose database is the
 * connection's default, as the store opened from that URL has it. A database that does not exist yet
 * reads as empty: everything is pending.
 */
async function mysqlReader(url: string): Promise<{ reader: Reader; dialect: Dialect }> {
  // mysql2 comes with the optional MySQL adapter: load it by a name the bundler leaves alone.
  const name = 'mysql2/promise';
  const mysql = (await import(name).catch(() => {
    throw new UsageError('store mysql://...: install @clientele/mysql to use MySQL or MariaDB');
  })) as { createConnection?: Connect; default?: { createConnection: Connect } };
  const connect = mysql.createConnection ?? mysql.default!.createConnection;
  const uri = url.replace(/^mariadb:/, 'mysql:');
  let connection: MysqlConnection;
  let missing = false;
  try {
    connection = await connect({ uri });
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ER_BAD_DB_ERROR') throw error;
    // The URL names a database not made yet: ask the server alone which it is.
    const server = new URL(uri);
    server.pathname = '/';
    connection = await connect({ uri: server.toString() });
    missing = true;
  }
  // The plan only reads; the session refuses any write all the same.
  await connection.query('SET SESSION TRANSACTION READ ONLY');
  const [versions] = (await connection.query('SELECT VERSION() AS v')) as [{ v: string }[], unknown];
  return {
    dialect: /mariadb/i.test(String(versions[0]?.v)) ? mariadbDialect : mysqlDialect,
    reader: {
      all: async (text, params) =>
        missing ? [] : ((await connection.query(text, params))[0] as Record<string, unknown>[]),
      close: () => connection.end(),
    },
  };
}

type Connect = (options: { uri: string }) => Promise<MysqlConnection>;

/** The plan of the configured migrations against the database at `location`; changes nothing. */
export async function migrationPlan(location: StoreLocation, migrations: readonly Migration[]): Promise<MigrationPlan> {
  const { reader, dialect } = await readerFor(location);
  const statements: string[] = [];
  const listColumns = migrationStatements(dialect).listColumns('').text;
  // With nothing pending, the record table's (and schema's) creation is not worth showing.
  const bookkeeping = [migrationStatements(dialect).createTable, dialect.createSchema];
  const specs = new Map<string, CollectionSpec>();
  for (const m of migrations)
    for (const step of m.steps) if (step.op === 'createCollection') specs.set(step.collection.name, step.collection);
  /** Tables the plan creates: the migration loop lists a table's columns before each step on it. */
  const planned = new Set<string>();
  const connection: MigrationConnection = {
    async all(text, params) {
      let rows: readonly Record<string, unknown>[];
      try {
        rows = await reader.all(text, params);
      } catch {
        // The record table (or a schema) does not exist yet: nothing was applied.
        rows = [];
      }
      if (text !== listColumns || rows.length > 0) return rows;
      // A table that does not exist yet: its first step creates it, later steps see the columns it was given.
      const table = String(params[0]);
      const spec = specs.get(table);
      if (!planned.has(table) || !spec) {
        planned.add(table);
        return rows;
      }
      return Object.keys(spec.fields).map((f) => ({ name: columnName(f), chars: null, nullable: 'YES' }));
    },
    async run(text) {
      statements.push(text);
    },
  };
  try {
    const result = await runMigrations(dialect, connection, migrations);
    // The records of applied migrations carry bound values: the migration itself writes them.
    return {
      applied: result.skipped,
      pending: result.applied,
      statements: statements.filter(
        (s) => !/^INSERT INTO\b/i.test(s) && (result.applied.length > 0 || !bookkeeping.includes(s)),
      ),
    };
  } finally {
    await reader.close();
  }
}

/** Runs the migrations. */
export async function migrate(crm: Clientele<AnyModule[]>): Promise<{ applied: string[]; skipped: string[] }> {
  return crm.migrate();
}
