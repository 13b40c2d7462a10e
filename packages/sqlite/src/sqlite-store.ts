/**
 * The embedded SQLite store on better-sqlite3. better-sqlite3 is synchronous: each statement runs to
 * completion on the calling thread, so the store serialises writers with an in-process FIFO lock
 * (a transaction spans `await`s, and nothing else may run its statements inside it) and leaves
 * cross-process serialisation to SQLite's own write lock, which `BEGIN IMMEDIATE` takes up front.
 */
import Database from 'better-sqlite3';
import {
  InvalidStateError,
  StoreUnavailableError,
  ValidationError,
  defineStore,
  isClienteleError,
} from '@clientele/core/adapter';
import type { AdapterSession, Store, StoreBase, StoreTraits } from '@clientele/core/adapter';
import { runMigrations, sqliteDialect } from '@clientele/sql';
import type { MigrationConnection } from '@clientele/sql';
import { Connection } from './connection.js';
import { translateError } from './errors.js';
import { acquireWriteLock, isFileDatabase } from './lock-registry.js';
import { ConnectionSession } from './session.js';
import type { SessionState } from './session.js';
import { truncateWal } from './wal-truncation.js';
import { idleCheckpointer, type IdleCheckpointSettings, type IdleCheckpointer } from './idle-checkpoint.js';

/**
 * When a commit counts as done, for a file the store opens (SQLite's `synchronous` in WAL mode):
 *
 * - `'full'`: each commit waits until the write-ahead log is on the disk (one `fsync` per
 *   transaction). A sale the till has printed survives a crash of the process, of the operating
 *   system, or a power cut.
 * - `'normal'`: a commit returns once SQLite has handed the log to the operating system; the log is
 *   synced to the disk only at checkpoints. A crash of the process loses nothing, but a power cut or
 *   an operating-system crash can lose the last transactions committed before it (sales, redemptions,
 *   card spends already confirmed to the till). The database is never torn: it opens at an earlier
 *   consistent commit.
 */
export type SqliteDurability = 'full' | 'normal';

/**
 * When a file the store opens copies its write-ahead log into the database file (a checkpoint):
 *
 * - `'auto'`: SQLite's own. The commit that takes the log past 1000 pages copies them before it
 *   returns: one commit in a few hundred takes several times as long as the others.
 * - `'idle'`, or an object to tune it ({@link SqliteIdleCheckpoint}): the store checkpoints once no
 *   write has come for `idleMs`, when the log holds at least `minPages` pages not yet copied, so a
 *   process that pauses between bursts of writes (a till between customers) never checkpoints inside
 *   a commit. A commit that takes the log past `maxPages` still checkpoints at once: the bound for a
 *   process that never pauses. The price: the log file grows to up to `maxPages` pages (about 40 MiB
 *   with the defaults) before that bound, against about 4 MiB with `'auto'`; and a write that comes
 *   while an idle checkpoint runs waits for it.
 *
 * Durability is the same either way: a commit is as durable as `durability` says once it returns;
 * a checkpoint only copies committed pages from the log into the database file.
 */
export type SqliteCheckpoint = 'auto' | 'idle' | SqliteIdleCheckpoint;

/** Checkpoints when the store is idle: see {@link SqliteCheckpoint}. */
export interface SqliteIdleCheckpoint {
  /** Quiet time after the last write before the store checkpoints, in ms. Default 1000. */
  idleMs?: number;
  /**
   * Pages not yet copied that make an idle checkpoint worth it. Default 1000, SQLite's own
   * threshold. A checkpoint that empties the log makes the next commit start it again, which costs
   * that commit one more sync: a small value would put it on the first write after every pause.
   * Reading the log's size needs SQLite 3.51 or later; with an older SQLite every pause after a
   * write checkpoints.
   */
  minPages?: number;
  /**
   * The bound: a commit that takes the log past it checkpoints at once, as with `'auto'` (SQLite's
   * `wal_autocheckpoint`). Default 10000; never below `minPages`.
   */
  maxPages?: number;
}

/** Options of {@link sqliteStore} that open a database file. */
export interface SqliteFileOptions {
  /** A database file path (created if missing), or `':memory:'`. */
  file: string;
  /** Not with `file`: the store opens its own connection. */
  database?: never;
  /** How long a statement waits for another process's write lock before `StoreUnavailableError`. Default 5000. */
  busyTimeoutMs?: number;
  /**
   * Bytes of the file each connection maps into memory (SQLite's `mmap_size`). Default 256 MiB;
   * 0 turns it off. Pages inside the map are read without a system call each: a server answering
   * many lookups among a large member base does best with the whole file mapped (its size or more).
   */
  mmapBytes?: number;
  /** Page cache per connection in KiB (SQLite's `cache_size`). Default 16384 (16 MiB). */
  cacheKiB?: number;
  /**
   * Where the writing connection keeps its temporary data (SQLite's `temp_store`): sorts larger than
   * the cache, and the copy of each page a savepoint changes (a bulk write that may clash inside a
   * transaction: a `consumeMany` setting a unique field, or an `insertMany` whose rows clashed). The
   * bulk writes need no journal otherwise: `insertMany` inserts with `INSERT OR IGNORE` and takes its
   * rows out again on a clash. `'file'` (the default) spills them to temporary files; `'memory'` keeps
   * them in memory (a sort then never spills, whatever its size).
   */
  tempStore?: 'file' | 'memory';
  /**
   * When a commit counts as done: `'full'` (the default) survives a power cut, `'normal'` is faster
   * but a power cut or an operating-system crash can lose the last commits. See {@link SqliteDurability}.
   */
  durability?: SqliteDurability;
  /**
   * When the write-ahead log is copied into the database file: `'auto'` (the default, SQLite's own,
   * inside the commit that takes the log past 1000 pages) or `'idle'` (once writes pause, with a
   * bound). See {@link SqliteCheckpoint}.
   */
  checkpoint?: SqliteCheckpoint;
}

/** Options of {@link sqliteStore} that adopt the host's connection. */
export interface SqliteDatabaseOptions {
  /**
   * The host's better-sqlite3 connection. The store uses it as it is (journal mode, `synchronous` and
   * `secure_delete` stay the host's) and never closes it. What the store sets on a file it opens, and
   * recommends here: `journal_mode = WAL`, `synchronous = FULL` (commits survive a power cut) and
   * `secure_delete = ON` (erased values are overwritten, not left in free space).
   */
  database: Database.Database;
  /** Not with `database`: the connection is already open. */
  file?: never;
  /** Sets the connection's busy timeout; left as the host set it when omitted. */
  busyTimeoutMs?: number;
}

/** Options of {@link sqliteStore}: a file to open, or the host's own connection. */
export type SqliteStoreOptions = SqliteFileOptions | SqliteDatabaseOptions;

const DEFAULT_BUSY_TIMEOUT_MS = 5000;
const DEFAULT_MMAP_BYTES = 256 * 1024 * 1024;
const DEFAULT_CACHE_KIB = 16 * 1024;
const SYNCHRONOUS: Record<SqliteDurability, string> = { full: 'FULL', normal: 'NORMAL' };
const DEFAULT_IDLE_MS = 1000;
const DEFAULT_MIN_PAGES = 1000;
const DEFAULT_MAX_PAGES = 10_000;

/** The idle checkpoint's settings, `null` for SQLite's own. */
function idleSettings(checkpoint: SqliteCheckpoint | undefined): IdleCheckpointSettings | null {
  if (checkpoint === undefined || checkpoint === 'auto') return null;
  const given = checkpoint === 'idle' ? {} : checkpoint;
  if (typeof given !== 'object' || given === null) {
    throw new ValidationError([
      { path: ['checkpoint'], code: 'invalid_option', message: "checkpoint must be 'auto', 'idle' or an object" },
    ]);
  }
  const count = (value: number | undefined, fallback: number, least: number) => {
    if (value !== undefined && !Number.isFinite(value)) {
      throw new ValidationError([
        { path: ['checkpoint'], code: 'invalid_option', message: 'checkpoint settings must be finite numbers' },
      ]);
    }
    return Math.max(least, Math.trunc(value ?? fallback));
  };
  const minPages = count(given.minPages, DEFAULT_MIN_PAGES, 1);
  return {
    idleMs: count(given.idleMs, DEFAULT_IDLE_MS, 0),
    minPages,
    maxPages: count(given.maxPages, DEFAULT_MAX_PAGES, minPages),
  };
}

const TRAITS: StoreTraits = Object.freeze({
  multiProcess: true,
  jsonColumns: false,
  migrationLock: true,
  aggregatePaging: true,
  aggregateSeries: true,
});

/** Runs a synchronous driver call, turning its errors into Clientele's. */
function guarded<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw translateError(error);
  }
}

/**
 * Opens (or adopts) a SQLite database as a Clientele store.
 *
 * - Writes outside a transaction are atomic one by one; reads outside a transaction see committed
 *   data only (a file database reads through a second, read-only connection and never waits for the
 *   writer; an in-memory or host database reads after the writer's lock is free).
 * - Transactions (`BEGIN IMMEDIATE`) run one at a time per database file in this process, in call
 *   order; across processes SQLite's write lock serialises them, waiting up to the busy timeout.
 * - `increment` and `consume` are single guarded `UPDATE ... RETURNING` statements: of racers, those
 *   whose write would break the guard (or no longer match) change nothing, and no update is lost.
 * - Inside `transaction(fn)`, use the session `fn` receives: a write through the store itself waits
 *   for the transaction to end, which never comes.
 * - A file it opens commits durably by default (`durability: 'full'`: a commit survives a power cut)
 *   and zeroes deleted content (`secure_delete`). `afterErasure()` checkpoints the write-ahead log
 *   and truncates it to zero bytes, so after `crm.privacy.eraseCustomer` neither the database nor its
 *   `-wal` file holds the erased values. A connection reading an older snapshot (or another
 *   process's writer) keeps the checkpoint from finishing: it tries again for up to the busy timeout,
 *   then rejects with `STORE_UNAVAILABLE`, the erasure committed all the same.
 */
export function sqliteStore(options: SqliteStoreOptions): Store {
  const owned = typeof options.file === 'string';
  const durability = owned ? (options as SqliteFileOptions).durability : undefined;
  const idle = owned ? idleSettings((options as SqliteFileOptions).checkpoint) : null;
  if (durability !== undefined && !Object.hasOwn(SYNCHRONOUS, durability)) {
    throw new ValidationError([
      {
        path: ['durability'],
        code: 'invalid_option',
        message: `durability must be one of ${Object.keys(SYNCHRONOUS).join(', ')}`,
      },
    ]);
  }
  const tempStore = owned ? (options as SqliteFileOptions).tempStore : undefined;
  if (tempStore !== undefined && tempStore !== 'file' && tempStore !== 'memory') {
    throw new ValidationError([
      { path: ['tempStore'], code: 'invalid_option', message: 'tempStore must be one of file, memory' },
    ]);
  }
  let db: Database.Database;
  try {
    db = owned ? new Database(options.file) : options.database!;
  } catch (error) {
    // better-sqlite3 reports some open failures (a missing directory) as plain TypeErrors.
    const translated = translateError(error);
    throw isClienteleError(translated)
      ? translated
      : new StoreUnavailableError(`cannot open ${options.file}: ${(error as Error).message}`, { cause: error });
  }
  let reader: Connection | null = null;
  let readerDb: Database.Database | null = null;
  try {
    if (owned) {
      const timeout = Math.max(0, Math.trunc(options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS));
      // The timeout first: switching to WAL briefly needs the lock another process may hold.
      db.pragma(`busy_timeout = ${timeout}`);
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${SYNCHRONOUS[durability ?? 'full']}`);
      // Deleted and overwritten content is zeroed, so an erased value does not linger in free space.
      db.pragma('secure_delete = ON');
      const tuning = [
        `mmap_size = ${Math.max(0, Math.trunc(options.mmapBytes ?? DEFAULT_MMAP_BYTES))}`,
        `cache_size = ${-Math.max(0, Math.trunc(options.cacheKiB ?? DEFAULT_CACHE_KIB))}`,
      ];
      for (const pragma of tuning) db.pragma(pragma);
      if (tempStore === 'memory') db.pragma('temp_store = MEMORY');
      if (isFileDatabase(db)) {
        // WAL readers see the last committed state and take no lock the writer needs.
        readerDb = new Database(options.file!, { readonly: true, fileMustExist: true });
        readerDb.pragma(`busy_timeout = ${timeout}`);
        for (const pragma of tuning) readerDb.pragma(pragma);
        reader = new Connection(readerDb);
      }
    } else if (options.busyTimeoutMs !== undefined) {
      db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs))}`);
    }
  } catch (error) {
    if (readerDb?.open) readerDb.close();
    if (owned && db.open) db.close();
    throw translateError(error);
  }

  const writer = new Connection(db);
  const lock = acquireWriteLock(db);
  const { mutex } = lock;
  const open: SessionState = { active: true, closedMessage: 'the store is closed' };
  const checkpointer: IdleCheckpointer | null =
    idle && isFileDatabase(db) ? idleCheckpointer(db, mutex, idle, () => open.active) : null;
  /** Passes a write's result through, noting the write for the idle checkpoint. */
  const wrote = checkpointer
    ? <T>(result: T): T => {
        checkpointer.wrote();
        return result;
      }
    : <T>(result: T): T => result;
  const writes = new ConnectionSession(writer, open);
  // Without a reader connection, a read must wait until no transaction is open on the one connection,
  // or it would see that transaction's uncommitted writes.
  const reads = reader ? new ConnectionSession(reader, open) : null;

  function checkOpen(): void {
    if (!open.active) throw new InvalidStateError(open.closedMessage);
  }

  function begin(): void {
    guarded(() => writer.run(sqliteDialect.beginWrite, []));
  }

  function rollbackQuietly(): void {
    // SQLite may already have rolled back on its own (a full disk, an I/O error).
    if (db.open && db.inTransaction) {
      try {
        writer.run('ROLLBACK', []);
      } catch {
        // The original error matters more than a failed rollback.
      }
    }
  }

  /** The writer as `runMigrations` uses it, inside the migration's transaction. */
  const migrationConnection: MigrationConnection = {
    all: async (text, params) => writer.all(text, params),
    run: async (text, params) => {
      if (params.length === 0) writer.exec(text);
      else writer.run(text, params);
    },
  };

  const base: StoreBase = {
    kind: 'sqlite',
    traits: TRAITS,
    insert: (c, row) => mutex.run(() => wrote(writes.insert(c, row))),
    get: reads ? (c, key) => reads.get(c, key) : (c, key) => mutex.run(() => writes.get(c, key)),
    getBy: reads
      ? (c, index, values) => reads.getBy(c, index, values)
      : (c, index, values) => mutex.run(() => writes.getBy(c, index, values)),
    find: reads ? (c, query) => reads.find(c, query) : (c, query) => mutex.run(() => writes.find(c, query)),
    count: reads ? (c, where) => reads.count(c, where) : (c, where) => mutex.run(() => writes.count(c, where)),
    update: (c, key, patch, options) => mutex.run(() => wrote(writes.update(c, key, patch, options))),
    delete: (c, key, options) => mutex.run(() => wrote(writes.delete(c, key, options))),
    increment: (c, key, fieldName, delta, guard) =>
      mutex.run(() => wrote(writes.increment(c, key, fieldName, delta, guard))),
    consume: (c, key, when, set) => mutex.run(() => wrote(writes.consume(c, key, when, set))),

    transaction<T>(fn: (tx: AdapterSession) => Promise<T>): Promise<T> {
      return mutex.run(async () => {
        checkOpen();
        begin();
        const state: SessionState = {
          active: true,
          closedMessage: 'the transaction is over; its session can no longer be used',
        };
        try {
          const result = await fn(new ConnectionSession(writer, state));
          state.active = false;
          // A batch failed partway and the caller went on: what it wrote must not be kept.
          if (state.failure !== undefined) throw state.failure;
          guarded(() => writer.run('COMMIT', []));
          return wrote(result);
        } catch (error) {
          state.active = false;
          rollbackQuietly();
          throw error;
        }
      });
    },

    migrate(migrations) {
      return mutex.run(async () => {
        checkOpen();
        // BEGIN IMMEDIATE holds SQLite's write lock for the whole run, so a second process migrating
        // the same file waits here and then finds the migrations recorded.
        begin();
        try {
          const result = await runMigrations(sqliteDialect, migrationConnection, migrations).catch((error: unknown) => {
            throw translateError(error);
          });
          guarded(() => writer.run('COMMIT', []));
          return wrote(result);
        } catch (error) {
          rollbackQuietly();
          throw error;
        }
      });
    },

    async afterErasure() {
      checkOpen();
      if (!isFileDatabase(db)) return;
      // As long as a statement would wait for another process's lock, and at least one attempt.
      const budget = Number(db.pragma('busy_timeout', { simple: true }));
      return truncateWal(db, mutex, budget, checkOpen);
    },

    async close() {
      if (!open.active) return;
      await mutex.run(() => {
        if (!open.active) return;
        open.active = false;
        checkpointer?.stop();
        reader?.close();
        if (owned) writer.close();
        lock.release();
      });
    },
  };
  // The push-downs: a join for linked reads, grouped aggregates, multi-row inserts, and batches of
  // guarded updates and deletes that return no rows.
  return defineStore(base, {
    getLinked: reads
      ? (c, key, link) => reads.getLinked(c, key, link)
      : (c, key, link) => mutex.run(() => writes.getLinked(c, key, link)),
    aggregate: reads
      ? (c, query) => reads.aggregate(c, query)
      : (c, query) => mutex.run(() => writes.aggregate(c, query)),
    insertMany: (c, rows) => mutex.run(() => wrote(writes.insertMany(c, rows))),
    consumeMany: (c, batch) => mutex.run(() => wrote(writes.consumeMany(c, batch))),
    deleteMany: (c, keys) => mutex.run(() => wrote(writes.deleteMany(c, keys))),
  });
}
