/**
 * Emptying the write-ahead log after an erasure. Until a checkpoint copies its frames into the
 * database, and afterwards until new frames overwrite them, the `-wal` file keeps the page images
 * written before the erasure, erased values included. `wal_checkpoint(TRUNCATE)` copies every frame
 * and cuts the file to zero bytes, but it cannot finish while another connection reads an older
 * snapshot or writes: it waits briefly each time (SQLite's busy handler blocks the thread, so each
 * wait is short and the event loop runs between attempts) and tries again until the time is up.
 */
import type Database from 'better-sqlite3';
import { StoreUnavailableError } from '@clientele/core/adapter';
import type { Mutex } from '@clientele/core/adapter';

/** The longest one attempt blocks the thread waiting for another connection. */
const ATTEMPT_WAIT_MS = 100;
/** The pause between attempts, doubling up to {@link MAX_PAUSE_MS}. */
const FIRST_PAUSE_MS = 10;
const MAX_PAUSE_MS = 200;

interface CheckpointRow {
  busy: number;
  log: number;
  checkpointed: number;
}

/** One `wal_checkpoint(TRUNCATE)`, waiting at most `waitMs` for other connections; true when the log is empty. */
function truncateOnce(db: Database.Database, waitMs: number): boolean {
  if (String(db.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') return true;
  const previous = Number(db.pragma('busy_timeout', { simple: true }));
  db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(waitMs))}`);
  try {
    const [row] = db.pragma('wal_checkpoint(TRUNCATE)') as CheckpointRow[];
    // Done: nobody was in the way, and the log holds no frame any more.
    return row !== undefined && row.busy === 0 && row.log === 0;
  } finally {
    db.pragma(`busy_timeout = ${previous}`);
  }
}

/**
 * Checkpoints the whole log into the database file and truncates it, retrying for up to `budgetMs`;
 * rejects with `StoreUnavailableError` when it could not. Each attempt holds the store's write lock
 * (`mutex`), so no transaction of this process is open on `db` meanwhile.
 */
export async function truncateWal(
  db: Database.Database,
  mutex: Mutex,
  budgetMs: number,
  checkOpen: () => void,
): Promise<void> {
  const deadline = Date.now() + Math.max(0, budgetMs);
  let pause = FIRST_PAUSE_MS;
  for (let attempt = 1; ; attempt++) {
    const done = await mutex.run(() => {
      checkOpen();
      return truncateOnce(db, Math.min(ATTEMPT_WAIT_MS, Math.max(0, deadline - Date.now())));
    });
    if (done) return;
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new StoreUnavailableError(
        `the write-ahead log of ${db.name} could not be checkpointed and truncated in ${attempt} attempts ` +
          `over ${Math.max(0, budgetMs)} ms: ` +
          'another connection is reading an older snapshot or writing. The erasure has committed, but the ' +
          '-wal file still holds ' +
          "copies of the erased values until a checkpoint completes: call the store's afterErasure() again " +
          'once that connection is done ' +
          '(closing the last connection to the file also checkpoints and removes the log).',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
    pause = Math.min(pause * 2, MAX_PAUSE_MS);
  }
}
