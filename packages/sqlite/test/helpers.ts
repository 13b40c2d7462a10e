import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { Store } from '@clientele/core';
import { sqliteStore } from '@clientele/sqlite';
import { migrations } from './fixtures/schema.js';

const files: string[] = [];
const stores: Store[] = [];

/** A fresh database path under the OS temp directory, deleted (with its WAL files) after the test. */
export function tempFile(): string {
  const file = join(
    tmpdir(),
    `clientele-sqlite-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.db`,
  );
  files.push(file);
  return file;
}

/** Tracks a store so it is closed after the test. */
export function track<S extends Store>(store: S): S {
  stores.push(store);
  return store;
}

/** A migrated store on a new temp file (or in memory). */
export async function openStore(kind: 'file' | 'memory' = 'file', file = tempFile()): Promise<Store> {
  const store = track(sqliteStore({ file: kind === 'memory' ? ':memory:' : file }));
  await store.migrate(migrations);
  return store;
}

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const f of files.splice(0)) for (const suffix of ['', '-wal', '-shm']) rmSync(f + suffix, { force: true });
});
