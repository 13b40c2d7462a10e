/**
 * One write lock per database file per process. better-sqlite3 waits for a busy database by blocking
 * the thread, so two connections in one process that both want the write lock would block each other
 * until the timeout: every store on the same file must queue on the same in-process lock instead.
 */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { Mutex } from '@clientele/core/adapter';
import type Database from 'better-sqlite3';

interface Entry {
  mutex: Mutex;
  refs: number;
}

const byFile = new Map<string, Entry>();
const byDatabase = new WeakMap<Database.Database, Mutex>();

/** A shared lock and the function that gives it back when the store closes. */
export interface WriteLock {
  readonly mutex: Mutex;
  release(): void;
}

/** Whether a connection's data lives in a file that other connections can open. */
export function isFileDatabase(db: Database.Database): boolean {
  return !db.memory && db.name !== '' && db.name !== ':memory:';
}

function fileKey(name: string): string {
  const path = resolve(name);
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** The write lock of the database behind `db`: by resolved file path, or by connection for private databases. */
export function acquireWriteLock(db: Database.Database): WriteLock {
  if (!isFileDatabase(db)) {
    let mutex = byDatabase.get(db);
    if (!mutex) {
      mutex = new Mutex();
      byDatabase.set(db, mutex);
    }
    return { mutex, release() {} };
  }
  const key = fileKey(db.name);
  let entry = byFile.get(key);
  if (!entry) {
    entry = { mutex: new Mutex(), refs: 0 };
    byFile.set(key, entry);
  }
  entry.refs++;
  const held = entry;
  let released = false;
  return {
    mutex: held.mutex,
    release() {
      if (released) return;
      released = true;
      if (--held.refs === 0 && byFile.get(key) === held) byFile.delete(key);
    },
  };
}
