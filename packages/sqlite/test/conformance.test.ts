/** The SQLite store runs the same conformance kit as every adapter, checked through a raw probe of the file. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { runStoreConformance } from '@clientele/testkit';
import { sqliteProbe, sqliteStore } from '@clientele/sqlite';
import type { Store } from '@clientele/core';

const dir = mkdtempSync(join(tmpdir(), 'clientele-conformance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
const files = new WeakMap<Store, string>();

runStoreConformance('sqlite (file)', {
  async create() {
    const file = join(dir, `c${++n}.db`);
    const store = sqliteStore({ file });
    files.set(store, file);
    return store;
  },
  probe: (store) => sqliteProbe(files.get(store)!),
});

runStoreConformance('sqlite (:memory:)', {
  async create() {
    return sqliteStore({ file: ':memory:' });
  },
});
