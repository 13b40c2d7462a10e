import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ValidationError } from '@clientele/core';
import { sqliteStore } from '@clientele/sqlite';
import type { SqliteFileOptions } from '@clientele/sqlite';
import { tempFile, track } from './helpers.js';
import { customer, customers, migrations } from './fixtures/schema.js';

const probes: Database.Database[] = [];
afterEach(() => {
  vi.useRealTimers();
  for (const p of probes.splice(0)) p.close();
});

/** A store on a new file, migrated, with a second connection that reports the state of its log. */
async function open(options: Omit<SqliteFileOptions, 'file'>) {
  const file = tempFile();
  const store = track(sqliteStore({ file, durability: 'normal', ...options }));
  await store.migrate(migrations);
  const probe = new Database(file);
  probes.push(probe);
  /** Frames in the log, and how many of them are copied into the database file (reads only). */
  const log = () => {
    const [row] = probe.pragma('wal_checkpoint(NOOP)') as Array<{ log: number; checkpointed: number }>;
    return { frames: row!.log, copied: row!.checkpointed };
  };
  return { store, log };
}

/** Customers whose profiles fill about a page each. */
const big = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => customer(`c${from + i}`, { profile: { notes: 'x'.repeat(3500) } }));

describe('sqliteStore checkpoints', () => {
  it("'auto' (the default) checkpoints inside the commit that takes the log past 1000 pages", async () => {
    const { store, log } = await open({});
    await store.insertMany!(customers, big(0, 1200));
    const after = log();
    expect(after.frames).toBeGreaterThan(1000);
    expect(after.copied).toBe(after.frames);
  });

  it("'idle' leaves that checkpoint to the pause after the writes", async () => {
    const { store, log } = await open({ checkpoint: { idleMs: 50 } });
    await store.insertMany!(customers, big(0, 1200));
    const after = log();
    expect(after.frames).toBeGreaterThan(1000);
    expect(after.copied).toBe(0);
    await vi.waitFor(() => expect(log().copied).toBe(after.frames), { timeout: 5000, interval: 20 });
    expect(await store.count(customers)).toBe(1200);
  });

  it("'idle' leaves a log of fewer than minPages pages as it is", async () => {
    const { store, log } = await open({ checkpoint: { idleMs: 10 } });
    for (let i = 0; i < 5; i++) await store.insert(customers, customer(`c${i}`));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const after = log();
    expect(after.frames).toBeGreaterThan(0);
    expect(after.copied).toBe(0);
  });

  it("'idle' bounds the log at maxPages for a store whose writes never pause", async () => {
    const { store, log } = await open({ checkpoint: { idleMs: 60_000, minPages: 10, maxPages: 200 } });
    let most = 0;
    let copies = 0;
    for (let i = 0; i < 40; i++) {
      await store.insertMany!(customers, big(i * 20, 20));
      const now = log();
      most = Math.max(most, now.frames);
      if (now.copied === now.frames) copies++;
    }
    // About 25 frames a commit: the commit that crosses 200 copies the log, the next starts it again.
    expect(copies).toBeGreaterThan(2);
    expect(most).toBeLessThan(200 + 40);
  });

  it("sets SQLite's automatic checkpoint to maxPages (10000 unless given), keeping the durability asked for", () => {
    const writerOf = (options: Omit<SqliteFileOptions, 'file'>) => {
      const pragma = vi.spyOn(Database.prototype, 'pragma');
      track(sqliteStore({ file: tempFile(), ...options }));
      const writer = (pragma.mock.contexts as Database.Database[]).find((c) => !c.readonly)!;
      pragma.mockRestore();
      return writer;
    };
    const tuned = writerOf({ checkpoint: { maxPages: 5000 } });
    expect(tuned.pragma('wal_autocheckpoint', { simple: true })).toBe(5000);
    expect(tuned.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(writerOf({ checkpoint: 'idle' }).pragma('wal_autocheckpoint', { simple: true })).toBe(10_000);
    expect(writerOf({}).pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  });

  it('arms its timer on a write and stops it when the store closes', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const idle = track(sqliteStore({ file: tempFile(), checkpoint: 'idle' }));
    expect(vi.getTimerCount()).toBe(0);
    await idle.migrate(migrations);
    await idle.insert(customers, customer('c1'));
    expect(vi.getTimerCount()).toBe(1);
    await idle.close();
    expect(vi.getTimerCount()).toBe(0);
    const auto = track(sqliteStore({ file: tempFile() }));
    await auto.migrate(migrations);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("refuses a checkpoint that is not 'auto', 'idle' or an object of numbers", () => {
    expect(() => sqliteStore({ file: tempFile(), checkpoint: 'never' as never })).toThrow(ValidationError);
    expect(() => sqliteStore({ file: tempFile(), checkpoint: { maxPages: Number.NaN } })).toThrow(ValidationError);
  });
});
