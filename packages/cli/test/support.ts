/** Runs the `clientele` command as a child process, and sets up a chain in a fresh SQLite file. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClientele } from '@clientele/core';
import { sqliteStore } from '@clientele/sqlite';

const bin = fileURLToPath(new URL('../src/bin.ts', import.meta.url));
const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The command line that runs the CLI from its sources. */
export const CLI = ['--import', 'tsx', '--conditions=@clientele/source', bin];

/** What a finished run printed and its exit code. */
export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts the CLI with `args` (the child, and its end). */
export function start(
  args: readonly string[],
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, [...CLI, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => void (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  const done = new Promise<Run>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

/** Runs the CLI with `args` to the end. */
export function run(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return start(args, env).done;
}

/** A temporary directory, removed by the returned function. */
export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'clientele-cli-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Two stores (S01, S02) and the Gold card type (88, 13 digits) in a new SQLite file. */
export async function chainIn(file: string): Promise<void> {
  const crm = createClientele({ store: sqliteStore({ file }) });
  await crm.migrate();
  const HQ = { actor: { system: 'setup' } };
  await crm.stores.create({ id: 'S01', name: 'Renmin Road', region: 'East', timeZone: 'Asia/Shanghai' }, HQ);
  await crm.stores.create({ id: 'S02', name: 'Hillside', region: 'West', timeZone: 'Asia/Shanghai' }, HQ);
  await crm.cards.defineType({ id: 'GOLD', name: 'Gold', prefix: '88', length: 13 }, HQ);
  await crm.close();
}
