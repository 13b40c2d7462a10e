/**
 * The PostgreSQL server the tests use: `CLIENTELE_PG_URL` (default the local test database). Each test
 * file gets fresh schemas that it drops afterwards. An unreachable server fails the run when `CI` is
 * set; otherwise the server tests are reported as skipped, with the reason, never passed in silence.
 */
import pg from 'pg';
import { afterAll, it } from 'vitest';
import type { PgPool, PgPoolClient, PgQueryConfig } from '@clientele/postgres';

export const PG_URL = process.env['CLIENTELE_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Whether the server answers; in CI an unreachable server is an error. */
async function reachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (error) {
    if (process.env['CI'])
      throw new Error(`PostgreSQL at ${PG_URL} is unreachable and CI is set: ${(error as Error).message}`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export const SERVER_UP = await reachable();

/**
 * Registers the server tests of a file when the server answers; otherwise registers one skipped test
 * that names the server and the reason, and prints it.
 */
export function withServer(register: () => void): void {
  if (SERVER_UP) {
    register();
    return;
  }
  const reason = `PostgreSQL at ${PG_URL} is unreachable: server tests skipped (set CI to make this a failure)`;
  console.warn(reason);
  it.skip(reason, () => undefined);
}

let counter = 0;
const RUN = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;

/** A schema name unique to this run and call. */
export function freshSchema(label = 't'): string {
  return `clientele_${label}_${RUN}_${(++counter).toString(36)}`;
}

/**
 * A pool for one test file, and the schemas it made, all dropped after the file's tests. Call it at
 * the top level of the file (it registers the `afterAll`).
 */
export function serverPool(config: pg.PoolConfig = {}): { pool: pg.Pool; url: string; schema(label?: string): string } {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 20, ...config });
  pool.on('error', () => undefined);
  const schemas: string[] = [];
  afterAll(async () => {
    if (SERVER_UP) for (const s of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    await pool.end();
  });
  return {
    pool,
    url: PG_URL,
    schema(label) {
      const s = freshSchema(label);
      schemas.push(s);
      return s;
    },
  };
}

/** `n` pools of one connection each: contenders that really run on separate connections. Ended after the file. */
export function separateConnections(n: number, config: pg.PoolConfig = {}): pg.Pool[] {
  const pools = Array.from({ length: n }, () => {
    const p = new pg.Pool({ connectionString: PG_URL, max: 1, ...config });
    p.on('error', () => undefined);
    return p;
  });
  afterAll(async () => {
    for (const p of pools) await p.end();
  });
  return pools;
}

/** A pool that notes the text of every statement its connections run, to see what a call sends. */
export function recording(pool: PgPool): { pool: PgPool; texts: string[] } {
  const texts: string[] = [];
  const wrapped: PgPool = {
    async connect() {
      const client = await pool.connect();
      const noting: PgPoolClient = {
        query: (config: PgQueryConfig) => {
          texts.push(config.text);
          return client.query(config);
        },
        release: (destroy) => client.release(destroy),
        on: (event, listener) => client.on(event, listener),
        removeListener: (event, listener) => client.removeListener(event, listener),
      };
      return noting;
    },
    end: () => pool.end(),
    on: (event, listener) => pool.on(event, listener),
  };
  return { pool: wrapped, texts };
}
