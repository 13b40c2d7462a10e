/**
 * The three-node MariaDB Galera cluster the Galera tests use, started and stopped by `scripts/galera.sh`
 * (which installs Debian's packages when they are missing). Node N listens on 127.0.0.1 at
 * `CLIENTELE_GALERA_PORT` (default 3311) + N - 1, user root without a password.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type mysql from 'mysql2/promise';
import type { MysqlPool, MysqlPoolConnection } from '@clientele/mysql';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../scripts/galera.sh', import.meta.url));
const BASE = Number(process.env['CLIENTELE_GALERA_PORT'] ?? 3311);

/** The SQL address of each node, node 1 first. */
export const GALERA_URLS = [0, 1, 2].map((n) => `mysql://root@127.0.0.1:${BASE + n}/`);

/** Runs the cluster script with `args`; its output, or the error with what it printed. */
export async function galera(...args: string[]): Promise<string> {
  try {
    return (await run('bash', [SCRIPT, ...args], { timeout: 240_000 })).stdout;
  } catch (error) {
    const e = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`scripts/galera.sh ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/**
 * Starts the cluster (all three nodes Synced). When it cannot start, `CI` set makes that an error;
 * otherwise the reason is returned for the tests to be skipped with.
 */
export async function startGalera(): Promise<string | undefined> {
  try {
    await galera('start');
    return undefined;
  } catch (error) {
    // Whatever did start is stopped again: no node is left running after a failed start.
    await galera('stop').catch(() => undefined);
    if (process.env['CI']) throw error;
    return `the Galera cluster could not start: Galera tests skipped (set CI to make this a failure). ${
      (error as Error).message
    }`;
  }
}

/**
 * One pool over all the nodes: each connection it hands out comes from the next node's pool in turn, so
 * a store on it sends its operations and transactions round-robin over the cluster.
 */
export function roundRobin(pools: readonly mysql.Pool[]): MysqlPool {
  let next = 0;
  return {
    getConnection: () => pools[next++ % pools.length]!.getConnection() as Promise<MysqlPoolConnection>,
    end: async () => undefined,
  };
}
