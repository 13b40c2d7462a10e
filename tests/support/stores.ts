/** The stores scenario tests run on: every real adapter plus the in-memory one. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll } from 'vitest';
import { memoryStore, type Store } from '@clientele/core';
import { mysqlStore } from '@clientele/mysql';
import { postgresStore } from '@clientele/postgres';
import { sqliteStore } from '@clientele/sqlite';

export interface StoreKind {
  name: string;
  open(): Promise<Store>;
  /** Removes what `open` made (files, schemas); tests call it in `afterAll`, which awaits it. */
  cleanup(): void | Promise<void>;
}

const dirs: string[] = [];

/** The PostgreSQL server the tests use. */
export const PG_URL = process.env['CLIENTELE_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Whether the server answers. Unreachable with `CI` set, the run fails here; without it, the storage
 * tests run on memory and SQLite only, and say so.
 */
async function serverAnswers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return true;
  } catch (error) {
    if (process.env['CI'])
      throw new Error(`PostgreSQL at ${PG_URL} is unreachable and CI is set: ${(error as Error).message}`);
    console.warn(
      `PostgreSQL at ${PG_URL} is unreachable: storage tests run on memory and SQLite only (set CI to make ` +
        `this a failure)`,
    );
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

let pool: pg.Pool | null = null;
const schemas: string[] = [];
const run = `${process.pid.toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
let opened = 0;

/** PostgreSQL: a fresh schema per store opened, on one pool per test file; cleanup drops them and ends the pool. */
const postgres: StoreKind = {
  name: 'postgres',
  async open() {
    if (!pool) {
      pool = new pg.Pool({ connectionString: PG_URL, max: 10, allowExitOnIdle: true });
      pool.on('error', () => undefined);
    }
    const schema = `clientele_s_${run}_${++opened}`;
    schemas.push(schema);
    return postgresStore({ pool, schema });
  },
  async cleanup() {
    const p = pool;
    pool = null;
    if (!p) return;
    for (const s of schemas.splice(0)) await p.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    await p.end();
  },
};

/** The MariaDB (or MySQL) server the tests use. */
export const MYSQL_URL = process.env['CLIENTELE_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/';

/**
 * Whether the MariaDB server answers. Unreachable with `CI` set, the run fails here; without it, the
 * storage tests run without MariaDB, and say so.
 */
async function mariadbAnswers(): Promise<boolean> {
  try {
    const connection = await mysql.createConnection({ uri: MYSQL_URL, connectTimeout: 3000 });
    await connection.end();
    return true;
  } catch (error) {
    if (process.env['CI'])
      throw new Error(`MariaDB at ${MYSQL_URL} is unreachable and CI is set: ${(error as Error).message}`);
    console.warn(
      `MariaDB at ${MYSQL_URL} is unreachable: storage tests run without it (set CI to make this a failure)`,
    );
    return false;
  }
}

let mysqlPool: mysql.Pool | null = null;
const databases: string[] = [];

/** MariaDB: a fresh database per store opened, on one pool per test file; cleanup drops them and ends the pool. */
const mariadb: StoreKind = {
  name: 'mariadb',
  async open() {
    mysqlPool ??= mysql.createPool({ uri: MYSQL_URL, connectionLimit: 10 });
    const database = `clientele_s_${run}_${++opened}`;
    databases.push(database);
    return mysqlStore({ pool: mysqlPool, database });
  },
  async cleanup() {
    const p = mysqlPool;
    mysqlPool = null;
    if (!p) return;
    for (const d of databases.splice(0)) await p.query(`DROP DATABASE IF EXISTS \`${d}\``);
    await p.end();
  },
};

/**
 * Memory, SQLite on a temporary file, PostgreSQL in a fresh schema and MariaDB in a fresh database when
 * their servers answer.
 */
export const STORE_KINDS: StoreKind[] = [
  { name: 'memory', open: async () => memoryStore(), cleanup() {} },
  {
    name: 'sqlite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'clientele-test-'));
      dirs.push(dir);
      return sqliteStore({ file: join(dir, 'crm.db') });
    },
    cleanup() {
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    },
  },
  ...((await serverAnswers()) ? [postgres] : []),
  ...((await mariadbAnswers()) ? [mariadb] : []),
];

/**
 * For a test file that works on the server directly: an admin pool and fresh schema names, every
 * schema dropped and the pool ended after the file's tests. Call it at the top level of the file.
 */
export function serverSchemas(): { admin: pg.Pool; fresh(label: string): string } {
  const admin = new pg.Pool({ connectionString: PG_URL, max: 2, allowExitOnIdle: true });
  admin.on('error', () => undefined);
  const made: string[] = [];
  afterAll(async () => {
    if (STORE_KINDS.some((k) => k.name === 'postgres'))
      for (const s of made) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    await admin.end();
  });
  return {
    admin,
    fresh(label) {
      const schema = `clientele_${label}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
      made.push(schema);
      return schema;
    },
  };
}
