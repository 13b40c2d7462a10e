/**
 * The MariaDB (or MySQL) server the tests use: `CLIENTELE_MYSQL_URL` (default root on 127.0.0.1:3306).
 * Each test file makes databases of its own and drops them afterwards. An unreachable server fails the
 * run when `CI` is set; otherwise the server tests are reported as skipped, with the reason.
 */
import mysql from 'mysql2/promise';
import { afterAll, it } from 'vitest';

export const MYSQL_URL = process.env['CLIENTELE_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/';

/** Whether the server answers; in CI an unreachable server is an error. */
async function reachable(): Promise<boolean> {
  try {
    const connection = await mysql.createConnection({ uri: MYSQL_URL, connectTimeout: 3000 });
    await connection.query('SELECT 1');
    await connection.end();
    return true;
  } catch (error) {
    if (process.env['CI'])
      throw new Error(`MariaDB at ${MYSQL_URL} is unreachable and CI is set: ${(error as Error).message}`);
    return false;
  }
}

export const SERVER_UP = await reachable();

/** Registers the file's server tests when the server answers; otherwise one skipped test naming the reason. */
export function withServer(register: () => void): void {
  if (SERVER_UP) {
    register();
    return;
  }
  const reason = `MariaDB at ${MYSQL_URL} is unreachable: server tests skipped (set CI to make this a failure)`;
  console.warn(reason);
  it.skip(reason, () => undefined);
}

let counter = 0;
const RUN = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;

/** A database name unique to this run and call. */
export function freshDatabase(label = 't'): string {
  return `clientele_${label}_${RUN}_${(++counter).toString(36)}`;
}

/**
 * A pool for one test file, and the databases it named, all dropped after the file's tests. Call it at
 * the top level of the file (it registers the `afterAll`).
 */
export function serverPool(config: mysql.PoolOptions = {}): {
  pool: mysql.Pool;
  url: string;
  database(label?: string): string;
} {
  const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 20, ...config });
  const made: string[] = [];
  afterAll(async () => {
    if (SERVER_UP) for (const d of made) await pool.query(`DROP DATABASE IF EXISTS \`${d}\``);
    await pool.end();
  });
  return {
    pool,
    url: MYSQL_URL,
    database(label) {
      const d = freshDatabase(label);
      made.push(d);
      return d;
    },
  };
}

/** `n` pools of one connection each: contenders that really run on separate connections. Ended after the file. */
export function separateConnections(n: number): mysql.Pool[] {
  const pools = Array.from({ length: n }, () => mysql.createPool({ uri: MYSQL_URL, connectionLimit: 1 }));
  afterAll(async () => {
    for (const p of pools) await p.end();
  });
  return pools;
}
