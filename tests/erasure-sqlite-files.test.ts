/**
 * An erased customer's values must not survive in the SQLite files: not in free space of the
 * database file, not in old page images of the write-ahead log. The values are ones core's erasure
 * clears from live rows; each test checks the live rows first, so that what it tests is the files.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { Store } from '@clientele/core';
import { sqliteStore } from '@clientele/sqlite';
import { SYSTEM, openChain } from './support/chain.js';
import { PERSONAL, PERSONAL_VALUES, personalMember, valuesIn, valuesInBytes } from './support/erasure-scenario.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function freshFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'clientele-erasure-'));
  dirs.push(dir);
  return join(dir, 'crm.db');
}

/** The values found in the database file and in its log (a file that is not there holds nothing). */
function valuesInFiles(file: string): { db: string[]; wal: string[] } {
  const found = (path: string) => (existsSync(path) ? valuesInBytes(readFileSync(path)) : []);
  return { db: found(file), wal: found(`${file}-wal`) };
}

/** The values found in any column of any live row of any table, read through a connection of its own. */
function valuesInLiveRows(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all() as string[];
    return valuesIn(tables.map((t) => JSON.stringify(db.prepare(`SELECT * FROM "${t}"`).raw().all())).join('\n'));
  } finally {
    db.close();
  }
}

/** The member on `store`, erased; returns what the files held just before the erasure. */
async function eraseMember(store: Store, file: string): Promise<{ db: string[]; wal: string[] }> {
  const { crm } = await openChain(store);
  const customerId = await personalMember(crm);
  const before = valuesInFiles(file);
  await crm.privacy.eraseCustomer({ customerId, reason: 'customer request' }, SYSTEM);
  return before;
}

describe('erasure leaves no copy in the SQLite files', () => {
  it(
    'finds none of the erased values in the database file or its log, right after the erasure and after ' + 'close',
    async () => {
      const file = freshFile();
      const store = sqliteStore({ file });
      const before = await eraseMember(store, file);
      // The search sees every value while it is there.
      expect([...new Set([...before.db, ...before.wal])].sort()).toEqual([...PERSONAL_VALUES].sort());

      expect(valuesInLiveRows(file)).toEqual([]);
      // Right after the erasure, the till still running.
      expect(valuesInFiles(file)).toEqual({ db: [], wal: [] });
      expect(readFileSync(`${file}-wal`).length).toBe(0);

      await store.close();
      expect(valuesInFiles(file)).toEqual({ db: [], wal: [] });
    },
  );

  it('would leave the values in the log without the checkpoint (what afterErasure removes)', async () => {
    const file = freshFile();
    const store = sqliteStore({ file });
    const { afterErasure: _, ...withoutCheckpoint } = store;
    await eraseMember(withoutCheckpoint, file);
    expect(valuesInLiveRows(file)).toEqual([]);
    expect(valuesInFiles(file).wal).toEqual(
      expect.arrayContaining([PERSONAL.name, PERSONAL.phone, PERSONAL.email, PERSONAL.address, PERSONAL.note]),
    );
    await store.close();
  });

  it('would leave values in the database file without secure deletion (what secure_delete removes)', async () => {
    const file = freshFile();
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('secure_delete = OFF');
    const store = sqliteStore({ database: db });
    await eraseMember(store, file);
    expect(valuesInLiveRows(file)).toEqual([]);
    // The log was checkpointed and truncated: what is left is in the database file's free space.
    const found = valuesInFiles(file);
    expect(found.wal).toEqual([]);
    expect(found.db).toEqual(expect.arrayContaining([PERSONAL.name, PERSONAL.phone, PERSONAL.email]));
    await store.close();
    db.close();
  });
});
