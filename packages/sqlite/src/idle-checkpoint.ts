/**
 * Checkpoints moved off the commits. SQLite's automatic checkpoint copies the write-ahead log into
 * the database file inside the commit that takes the log past its threshold, so one commit in a few
 * hundred pays for copying the pages and syncing the file. Here the automatic checkpoint is raised
 * to a bound, and the store checkpoints once no write has come for a quiet period instead, when the
 * log holds enough pages to be worth it (a checkpoint that empties the log makes the next commit
 * start it again, which costs that commit one more sync).
 */
import type Database from 'better-sqlite3';
import type { Mutex } from '@clientele/core/adapter';

/** When the store checkpoints, once resolved from the options. */
export interface IdleCheckpointSettings {
  /** Quiet time after the last write before the store checkpoints (ms). */
  idleMs: number;
  /** Pages not yet copied into the database file that make an idle checkpoint worth it. */
  minPages: number;
  /** The bound: a commit that takes the log past it checkpoints at once (SQLite's `wal_autocheckpoint`). */
  maxPages: number;
}

/** The checkpointer of one store. */
export interface IdleCheckpointer {
  /** Notes a write: the quiet period starts again. */
  wrote(): void;
  /** Stops the timer (the store is closing). */
  stop(): void;
}

interface CheckpointRow {
  busy: number;
  log: number;
  checkpointed: number;
}

/** `wal_checkpoint(NOOP)`, which reports the log without copying anything, came with SQLite 3.51.0. */
function reportsWithoutCopying(db: Database.Database): boolean {
  const version = String(db.prepare('SELECT sqlite_version() AS v').pluck().get());
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 3 || (major === 3 && minor >= 51);
}

/**
 * Raises the automatic checkpoint of `db` (the store's writer) to `settings.maxPages` and returns
 * the checkpointer: after each write it waits until `idleMs` have passed without one, then, holding
 * the store's write lock (`mutex`), copies the log into the database file if it holds at least
 * `minPages` pages not yet copied. The checkpoint is PASSIVE: it never waits for another connection,
 * and copies what it can. The timer does not keep the process alive.
 */
export function idleCheckpointer(
  db: Database.Database,
  mutex: Mutex,
  settings: IdleCheckpointSettings,
  isOpen: () => boolean,
): IdleCheckpointer {
  db.pragma(`wal_autocheckpoint = ${settings.maxPages}`);
  // Without NOOP, every quiet period after a write checkpoints.
  const measures = reportsWithoutCopying(db);
  let lastWrite = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  function arm(ms: number): void {
    timer = setTimeout(fire, ms);
    timer.unref?.();
  }

  /** The time left of the quiet period, 0 once it is over. */
  const left = () => Math.max(0, settings.idleMs - (performance.now() - lastWrite));

  function checkpointIfDue(): void {
    if (measures) {
      const [row] = db.pragma('wal_checkpoint(NOOP)') as CheckpointRow[];
      if (row === undefined || row.log - row.checkpointed < settings.minPages) return;
    }
    db.pragma('wal_checkpoint(PASSIVE)');
  }

  function fire(): void {
    timer = null;
    if (!isOpen()) return;
    if (left() > 0) {
      arm(left());
      return;
    }
    void mutex
      .run(() => {
        if (!isOpen() || timer !== null) return;
        // A write queued before this turn came in meanwhile: wait for quiet again.
        if (left() > 0) arm(left());
        else checkpointIfDue();
      })
      // Best effort: a failed checkpoint leaves the log as it was, and the bound still holds.
      .catch(() => undefined);
  }

  return {
    wrote() {
      lastWrite = performance.now();
      if (timer === null) arm(settings.idleMs);
    },
    stop() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}
