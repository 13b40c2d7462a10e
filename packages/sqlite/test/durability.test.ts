import { readFileSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StoreUnavailableError, ValidationError } from '@clientele/core';
import { sqliteStore } from '@clientele/sqlite';
import type { SqliteFileOptions } from '@clientele/sqlite';
import { tempFile, track } from './helpers.js';
import { customer, customers, migrations } from './fixtures/schema.js';

afterEach(() => {
  vi.restoreAllMocks();
});

/** Opens a store on `file` and returns it with its own writer connection, to read its settings back. */
function openWithConnection(options: SqliteFileOptions) {
  const pragma = vi.spyOn(Database.prototype, 'pragma');
  const store = track(sqliteStore(options));
  const connections = new Set(pragma.mock.contexts as Database.Database[]);
  pragma.mockRestore();
  const writer = [...connections].find((c) => !c.readonly);
  if (!writer) throw new Error('the store opened no writable connection');
  return { store, writer };
}

/** Whether `text` occurs, as UTF-8, anywhere in the file (an absent file holds nothing). */
function fileHolds(file: string, text: string): boolean {
  try {
    return readFileSync(file).includes(Buffer.from(text, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

describe('sqliteStore durability', () => {
  it('commits with synchronous = FULL and secure deletion by default', () => {
    const { writer } = openWithConnection({ file: tempFile() });
    expect(writer.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(writer.pragma('secure_delete', { simple: true })).toBe(1);
    expect(writer.pragma('journal_mode', { simple: true })).toBe('wal');
  });

  it("commits with synchronous = NORMAL when asked for durability 'normal', still deleting securely", () => {
    const { writer } = openWithConnection({ file: tempFile(), durability: 'normal' });
    expect(writer.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(writer.pragma('secure_delete', { simple: true })).toBe(1);
    const full = openWithConnection({ file: tempFile(), durability: 'full' });
    expect(full.writer.pragma('synchronous', { simple: true })).toBe(2);
  });

  it('refuses an unknown durability with a validation error naming the option, opening nothing', () => {
    const file = tempFile();
    let error: unknown;
    try {
      sqliteStore({ file, durability: 'off' as never });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED', path: ['durability'] });
    expect(() => statSync(file)).toThrow();
  });

  it("keeps temporary data in files by default, in memory with tempStore 'memory', and refuses another value", () => {
    expect(openWithConnection({ file: tempFile() }).writer.pragma('temp_store', { simple: true })).toBe(0);
    const memory = openWithConnection({ file: tempFile(), tempStore: 'memory' });
    expect(memory.writer.pragma('temp_store', { simple: true })).toBe(2); // MEMORY
    const file = tempFile();
    expect(() => sqliteStore({ file, tempStore: 'disk' as never })).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', path: ['tempStore'] }),
    );
    expect(() => statSync(file)).toThrow();
  });

  it("leaves a host connection's synchronous and secure_delete settings as the host set them", async () => {
    const db = new Database(tempFile());
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF');
    const store = track(sqliteStore({ database: db }));
    await store.migrate(migrations);
    expect(db.pragma('synchronous', { simple: true })).toBe(0);
    expect(db.pragma('secure_delete', { simple: true })).toBe(0);
    await store.close();
    db.close();
  });
});

describe('sqliteStore afterErasure', () => {
  const SECRET = '欧阳明月 13588889999';

  /** A file with rows holding SECRET, then those rows deleted or changed so the value is gone from live data. */
  async function erasedRow(store: ReturnType<typeof sqliteStore>): Promise<void> {
    await store.migrate(migrations);
    await store.insert(customers, customer('c1', { name: SECRET, email: 'mingyue@example.cn' }));
    for (let i = 2; i < 40; i++) await store.insert(customers, customer(`c${i}`));
    await store.insert(customers, customer('c0', { profile: { note: SECRET } }));
    await store.update(customers, 'c1', { name: 'a name longer than the one it replaces', email: null });
    await store.delete(customers, 'c0');
  }

  it('checkpoints the log into the file and truncates it, so neither file holds an overwritten value', async () => {
    const file = tempFile();
    const store = track(sqliteStore({ file }));
    await erasedRow(store);
    // Before: the log holds the page images written before the change.
    expect(fileHolds(`${file}-wal`, SECRET)).toBe(true);
    await store.afterErasure!();
    expect(statSync(`${file}-wal`).size).toBe(0);
    expect(fileHolds(file, SECRET)).toBe(false);
    expect(fileHolds(file, 'mingyue@example.cn')).toBe(false);
    // The store goes on working, and the data is all there.
    expect((await store.get(customers, 'c1'))?.name).toBe('a name longer than the one it replaces');
    expect(await store.count(customers)).toBe(39);
  });

  it(
    'leaves the overwritten value in the database file when secure_delete is off (what the setting ' + 'prevents)',
    async () => {
      const file = tempFile();
      const db = new Database(file);
      db.pragma('journal_mode = WAL');
      db.pragma('secure_delete = OFF');
      const store = track(sqliteStore({ database: db }));
      await erasedRow(store);
      await store.afterErasure!();
      expect(statSync(`${file}-wal`).size).toBe(0);
      expect(fileHolds(file, SECRET)).toBe(true);
      await store.close();
      db.close();
    },
  );

  it(
    'waits for a reader holding an older snapshot, reports when it cannot finish, and succeeds once the ' +
      'reader is done',
    async () => {
      const file = tempFile();
      const store = track(sqliteStore({ file, busyTimeoutMs: 300 }));
      await erasedRow(store);
      // Another process's long read: a transaction that has read, so it keeps its snapshot.
      const reader = new Database(file, { readonly: true });
      reader.exec('BEGIN');
      reader.prepare('SELECT count(*) FROM customers').get();
      await store.insert(customers, customer('c-after'));
      const started = Date.now();
      const error = await store.afterErasure!().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toMatch(/erasure has committed/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(fileHolds(`${file}-wal`, SECRET)).toBe(true);
      // The store was usable all along.
      await store.insert(customers, customer('c-meanwhile'));

      reader.exec('COMMIT');
      reader.close();
      await store.afterErasure!();
      expect(statSync(`${file}-wal`).size).toBe(0);
      expect(fileHolds(file, SECRET)).toBe(false);
      expect(await store.count(customers)).toBe(41);
    },
  );

  it('finishes once a reader that was in the way lets go within the time', async () => {
    const file = tempFile();
    const store = track(sqliteStore({ file, busyTimeoutMs: 5000 }));
    await erasedRow(store);
    const reader = new Database(file, { readonly: true });
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM customers').get();
    await store.insert(customers, customer('c-after'));
    setTimeout(() => {
      reader.exec('COMMIT');
      reader.close();
    }, 150);
    await store.afterErasure!();
    expect(statSync(`${file}-wal`).size).toBe(0);
    expect(fileHolds(file, SECRET)).toBe(false);
  });

  it('has nothing to do in memory, and refuses once the store is closed', async () => {
    const memory = track(sqliteStore({ file: ':memory:' }));
    await expect(memory.afterErasure!()).resolves.toBeUndefined();
    await memory.close();
    await expect(memory.afterErasure!()).rejects.toMatchObject({ code: 'INVALID_STATE' });
  });
});
