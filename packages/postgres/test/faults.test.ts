/**
 * Faults on a real server: a connection the server terminates inside a transaction, a pool with no
 * free connection, a statement past its timeout. Each fails the call with a typed STORE_UNAVAILABLE,
 * leaves nothing half-written, and the next call succeeds.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { isClienteleError } from '@clientele/core';
import { postgresStore } from '@clientele/postgres';
import { account, accounts, migrations, rejection, vouchers } from './fixtures.js';
import { PG_URL, serverPool, withServer } from './server.js';

withServer(() => {
  const server = serverPool();

  /** A pool whose connections carry a name of their own, so they can be found in pg_stat_activity. */
  function namedPool(max: number): { pool: pg.Pool; name: string; end(): Promise<void> } {
    const name = `clientele_fault_${Math.random().toString(36).slice(2, 10)}`;
    const pool = new pg.Pool({ connectionString: PG_URL, max, application_name: name });
    pool.on('error', () => undefined);
    return { pool, name, end: () => pool.end() };
  }

  describe('a connection terminated by the server', { timeout: 30_000 }, () => {
    it(
      'fails the transaction with STORE_UNAVAILABLE, keeps none of its writes, and the next call runs on a ' +
        'fresh connection',
      async () => {
        const { pool, name, end } = namedPool(2);
        try {
          const store = postgresStore({ pool, schema: server.schema('kill') });
          await store.migrate(migrations);
          await store.insert(accounts, account('a', 100));
          let runs = 0;
          const error = await rejection(
            store.transaction(async (tx) => {
              runs++;
              await tx.increment(accounts, 'a', 'balance', -40, { min: 0 });
              await tx.insert(vouchers, { id: 'v1', status: 'sold', usedBy: 'a' });
              const killed = await server.pool.query(
                `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1 AND ` +
                  `state = 'idle in transaction'`,
                [name],
              );
              expect(killed.rows).toEqual([{ ok: true }]);
              await tx.insert(vouchers, { id: 'v2', status: 'sold', usedBy: 'a' });
            }),
          );
          expect(isClienteleError(error, 'STORE_UNAVAILABLE')).toBe(true);
          // Not run again: the commit may not be known, so it is for the caller (with its idempotency key) to retry.
          expect(runs).toBe(1);
          expect(await store.get(accounts, 'a')).toMatchObject({ balance: 100, version: 1 });
          expect(await store.count(vouchers)).toBe(0);
          // The next calls work, on a connection the pool opened anew.
          await store.transaction(async (tx) => {
            await tx.increment(accounts, 'a', 'balance', -40, { min: 0 });
            await tx.insert(vouchers, { id: 'v1', status: 'sold', usedBy: 'a' });
          });
          expect((await store.get(accounts, 'a'))!.balance).toBe(60);
          const live = await server.pool.query(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1`,
            [name],
          );
          expect(live.rows[0].n).toBeGreaterThanOrEqual(1);
        } finally {
          await end();
        }
      },
    );

    it(
      'fails a call outside a transaction whose connection was terminated while idle in the pool, then ' + 'recovers',
      async () => {
        const { pool, name, end } = namedPool(1);
        try {
          const store = postgresStore({ pool, schema: server.schema('idle') });
          await store.migrate(migrations);
          await store.insert(accounts, account('a', 1));
          await server.pool.query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`,
            [name],
          );
          // The pool may notice the closed socket first (and discard it) or hand it out once: either way
          // the caller sees a row or a typed error, never a raw driver error, and then the store works.
          const first = await store.get(accounts, 'a').catch((e: unknown) => e);
          if (first instanceof Error) expect(isClienteleError(first, 'STORE_UNAVAILABLE')).toBe(true);
          else expect(first).toMatchObject({ balance: 1 });
          expect((await store.get(accounts, 'a'))!.balance).toBe(1);
        } finally {
          await end();
        }
      },
    );
  });

  describe('a pool with no free connection', { timeout: 30_000 }, () => {
    it(
      'waits up to acquireTimeoutMs, then fails with STORE_UNAVAILABLE; calls succeed once a connection is ' + 'free',
      async () => {
        const { pool, end } = namedPool(1);
        try {
          const store = postgresStore({ pool, schema: server.schema('pool'), acquireTimeoutMs: 300 });
          await store.migrate(migrations);
          let release!: () => void;
          const gate = new Promise<void>((r) => (release = r));
          let holding!: () => void;
          const held = new Promise<void>((r) => (holding = r));
          const long = store.transaction(async (tx) => {
            await tx.insert(accounts, account('a', 1));
            holding();
            await gate;
          });
          await held;
          const started = Date.now();
          const error = await rejection(store.get(accounts, 'a'));
          const waited = Date.now() - started;
          expect(isClienteleError(error, 'STORE_UNAVAILABLE')).toBe(true);
          expect((error as Error).message).toMatch(/within 300 ms/);
          expect(waited).toBeGreaterThanOrEqual(280);
          expect(waited).toBeLessThan(5000);
          release();
          await long;
          expect((await store.get(accounts, 'a'))!.balance).toBe(1);
        } finally {
          await end();
        }
      },
    );
  });

  describe('a statement timeout', { timeout: 30_000 }, () => {
    it('cancels a statement stuck behind a lock with STORE_UNAVAILABLE and changes nothing', async () => {
      // The timeout is set on the connections of a host's pool, so that pool is one of this test's own.
      const host = namedPool(2);
      for (const owned of [false, true]) {
        const schema = server.schema('slow');
        const setup = postgresStore({ pool: server.pool, schema });
        await setup.migrate(migrations);
        await setup.insert(accounts, account('a', 5));
        const store = owned
          ? postgresStore({ connectionString: PG_URL, schema, statementTimeoutMs: 200, poolSize: 2 })
          : postgresStore({ pool: host.pool, schema, statementTimeoutMs: 200 });
        // Another session holds the row; the store's update waits for it past its timeout.
        const blocker = await server.pool.connect();
        try {
          await blocker.query('BEGIN');
          await blocker.query(`SELECT * FROM "${schema}".accounts WHERE id = 'a' FOR UPDATE`);
          const started = Date.now();
          const error = await rejection(store.update(accounts, 'a', { balance: 6 }));
          expect(isClienteleError(error, 'STORE_UNAVAILABLE')).toBe(true);
          expect((error as Error).message).toMatch(/statement timeout/);
          expect(Date.now() - started).toBeLessThan(5000);
          const inTx = await rejection(store.transaction((tx) => tx.update(accounts, 'a', { balance: 7 })));
          expect(inTx).toMatchObject({ code: 'STORE_UNAVAILABLE' });
        } finally {
          await blocker.query('ROLLBACK');
          blocker.release();
        }
        expect(await store.get(accounts, 'a')).toMatchObject({ balance: 5, version: 1 });
        expect((await store.update(accounts, 'a', { balance: 8 })).balance).toBe(8);
        await store.close();
      }
      // The host's pool is left open, its connections carrying the timeout the store was given.
      expect((await host.pool.query('SHOW statement_timeout')).rows[0].statement_timeout).toBe('200ms');
      await host.end();
    });
  });
});
