/** The stores scenario tests run on: every real adapter plus the in-memory one. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryStore, type Store } from '@clientele/core';
import { sqliteStore } from '@clientele/sqlite';

export interface StoreKind {
  name: string;
  open(): Promise<Store>;
  cleanup(): void;
}

const dirs: string[] = [];

/** Memory, and SQLite on a temporary file. */
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
];
