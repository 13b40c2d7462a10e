/**
 * The demo's data for the back office: the supermarket demo run once into a database file of the
 * back office's own, and a clock that starts where the demo's day ended and then runs with real time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Clock, Store } from '@clientele/core';
import { auditLog } from '@clientele/core/module';

/** Runs the supermarket demo into `file` unless it is there already; answers whether it made it. */
export function ensureDemoDatabase(file: string): boolean {
  if (existsSync(file)) return false;
  const demo = fileURLToPath(new URL('../../supermarket-pos/src/main.ts', import.meta.url));
  const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
  const run = spawnSync(tsx, ['--conditions=@clientele/source', demo], {
    env: { ...process.env, CLIENTELE_DEMO_DB: file },
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`the demo failed to make ${file}:\n${run.stderr || run.stdout}`);
  return true;
}

/** A clock that reads `start` now and runs on with the machine's time. */
export function runningFrom(start: Date): Clock {
  const offset = start.getTime() - Date.now();
  return { now: () => new Date(Date.now() + offset) };
}

/** The instant of the last audited act in a store: where the demo's day ended. */
export async function lastActAt(store: Store): Promise<Date> {
  const found = await store.find(auditLog, { orderBy: [{ field: 'at', direction: 'desc' }], limit: 1 });
  return found.rows[0]?.at ?? new Date();
}
