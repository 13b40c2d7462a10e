/** Other OS processes on the same database file: committed data is visible, and migrations run once. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openStore, tempFile } from './helpers.js';
import { customer, customers, migrations } from './fixtures/schema.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHILD = fileURLToPath(new URL('./fixtures/child.ts', import.meta.url));

function child(...args: string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', '--conditions=@clientele/source', CHILD, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    proc.on('error', reject);
    proc.on('close', (code) => {
      if (code !== 0) reject(new Error(`child exited with ${code}: ${err}`));
      else {
        try {
          resolve(JSON.parse(out));
        } catch {
          reject(new Error(`child printed no JSON: ${out} ${err}`));
        }
      }
    });
  });
}

describe('several processes on one file', () => {
  it('a second process sees committed data, and none of an open transaction', async () => {
    const file = tempFile();
    const store = await openStore('file', file);
    await store.insert(
      customers,
      customer('c1', { name: '陈静 😀', points: Number.MAX_SAFE_INTEGER, profile: { k: [1] } }),
    );

    expect(await child('read', file, 'c1')).toEqual({
      row: {
        ...customer('c1', { name: '陈静 😀', points: Number.MAX_SAFE_INTEGER, profile: { k: [1] } }),
        joinedAt: new Date(1_700_000_000_000).toISOString(),
        version: 1,
      },
      count: 1,
    });

    let inside!: () => void;
    const started = new Promise<void>((resolve) => (inside = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const tx = store.transaction(async (t) => {
      await t.insert(customers, customer('c2'));
      inside();
      await gate;
    });
    await started;
    // The child reads while this process holds the write lock with an uncommitted row.
    expect(await child('read', file, 'c2')).toEqual({ row: null, count: 1 });
    release();
    await tx;
    expect(await child('read', file, 'c2')).toMatchObject({ row: { id: 'c2' }, count: 2 });
  }, 30_000);

  it('two processes migrating the same file at once both succeed and apply each migration once', async () => {
    const file = tempFile();
    const startAt = String(Date.now() + 2500);
    const results = (await Promise.all([child('migrate', file, startAt), child('migrate', file, startAt)])) as Array<{
      applied: string[];
      skipped: string[];
    }>;
    const ids = migrations.map((m) => m.id);
    expect(results.flatMap((r) => r.applied).sort()).toEqual([...ids].sort());
    for (const r of results) expect([...r.applied, ...r.skipped].sort()).toEqual([...ids].sort());

    const raw = new Database(file, { readonly: true });
    try {
      expect(raw.prepare('SELECT id FROM clientele_migrations ORDER BY id').all()).toEqual(ids.map((id) => ({ id })));
    } finally {
      raw.close();
    }
    const store = await openStore('file', file);
    expect(await store.migrate(migrations)).toEqual({ applied: [], skipped: ids });
  }, 30_000);
});
