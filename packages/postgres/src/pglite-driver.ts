/**
 * The PGlite driver: one in-process PostgreSQL with one connection. PGlite queues every query behind
 * a running transaction, so transactions run one at a time and calls outside one never see its writes.
 */
import type { PGliteDatabase, PGliteResult, PGliteTransaction } from './clients.js';
import type { Connection, Driver, QueryOutcome } from './driver.js';

function outcome(result: PGliteResult): QueryOutcome {
  const rows = result.rows as Record<string, unknown>[];
  return { rows, rowCount: result.affectedRows ?? rows.length };
}

function connectionOf(target: PGliteDatabase | PGliteTransaction): Connection {
  return {
    async query(text, params) {
      return outcome(await target.query(text, params.length ? (params as unknown[]) : undefined));
    },
  };
}

/** A driver over the host's PGlite instance, which the store never closes. */
export function pgliteDriver(db: PGliteDatabase): Driver {
  const direct = connectionOf(db);
  return {
    multiProcess: false,
    serial: true,
    run: (fn) => fn(direct),
    transaction: (begin, fn) =>
      db.transaction(async (tx) => {
        const connection = connectionOf(tx);
        // PGlite has sent its own BEGIN; the rest of the opening statements follow it.
        for (const statement of begin.slice(1)) await connection.query(statement, []);
        return fn(connection);
      }),
    async close() {},
  };
}
