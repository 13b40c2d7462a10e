/**
 * Faults on a real MariaDB: a connection the server kills inside a transaction, a pool with no free
 * connection, a store closed with the host's pool. Each fault is a typed STORE_UNAVAILABLE that leaves
 * nothing half-written, the next call succeeds, and a sale sent again with its idempotency key after
 * such a fault is recorded once.
 */
import mysql from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { createClientele, isClienteleError, type Store } from '@clientele/core';
import { mysqlStore } from '@clientele/mysql';
import { account, accounts, migrations, rejection, vouchers } from './fixtures.js';
import { MYSQL_URL, serverPool, withServer } from './server.js';

withServer(() => {
  const server = serverPool();

  /** A pool of one connection, and a way to have the server kill it. */
  async function killable(): Promise<{ pool: mysql.Pool; kill(): Promise<void> }> {
    const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 1 });
    const [rows] = await pool.query<mysql.RowDataPacket[]>('SELECT CONNECTION_ID() AS id');
    const id = Number(rows[0]!['id']);
    return { pool, kill: async () => void (await server.pool.query(`KILL ${id}`)) };
  }

  describe('a connection killed by the server', { timeout: 30_000 }, () => {
    it('fails the transaction with STORE_UNAVAILABLE, runs it once, keeps none of it, then works', async () => {
      const { pool, kill } = await killable();
      try {
        const store = mysqlStore({ pool, database: server.database('kill') });
        await store.migrate(migrations);
        await store.insert(accounts, account('a', 100));
        let runs = 0;
        const error = await rejection(
          store.transaction(async (tx) => {
            runs++;
            await tx.increment(accounts, 'a', 'balance', -40, { min: 0 });
            await tx.insert(vouchers, { id: 'v1', status: 'sold', usedBy: 'a' });
            await kill();
            await tx.insert(vouchers, { id: 'v2', status: 'sold', usedBy: 'a' });
          }),
        );
        expect(isClienteleError(error, 'STORE_UNAVAILABLE')).toBe(true);
        // Not run again: whether a commit happened may not be known, so the caller retries with its key.
        expect(runs).toBe(1);
        expect(await store.get(accounts, 'a')).toMatchObject({ balance: 100, version: 1 });
        expect(await store.count(vouchers)).toBe(0);
        expect((await store.increment(accounts, 'a', 'balance', -40, { min: 0 })).row.balance).toBe(60);
      } finally {
        await pool.end();
      }
    });

    it('records a sale sent again with its idempotency key once, after its first commit was cut off', async () => {
      const { pool, kill } = await killable();
      try {
        const inner = mysqlStore({ pool, database: server.database('sale') });
        let cut = false;
        // The connection dies after the sale's statements, before its COMMIT reaches the server.
        const store: Store = {
          ...inner,
          transaction: (fn) =>
            inner.transaction(async (tx) => {
              const result = await fn(tx);
              if (cut) {
                cut = false;
                await kill();
              }
              return result;
            }),
        };
        const crm = createClientele({ store });
        await crm.migrate();
        await crm.stores.create(
          { id: 'S01', name: '人民路店', region: 'East', timeZone: 'Asia/Shanghai' },
          {
            actor: { system: 'setup' },
          },
        );
        cut = true;
        const sale = {
          storeId: 'S01',
          terminalId: 'T1',
          receiptNo: 'R-1',
          lines: [{ sku: 'RICE-5KG', category: 'grain', quantity: 1, unitPrice: 4990 }],
        };
        const options = { actor: { system: 'till' }, idempotencyKey: 'till-T1-R-1' };
        expect(await rejection(crm.purchases.record(sale, options))).toMatchObject({ code: 'STORE_UNAVAILABLE' });
        const recorded = await crm.purchases.record(sale, options);
        expect(await crm.purchases.record(sale, options)).toEqual(recorded);
        const [rows] = await server.pool.query<mysql.RowDataPacket[]>(
          `SELECT count(*) AS n FROM \`${inner.database}\`.purchases`,
        );
        expect(rows[0]!['n']).toBe(1);
      } finally {
        await pool.end();
      }
    });
  });

  describe('a duplicate key behind which the transaction was aborted', { timeout: 30_000 }, () => {
    /** A driver error as mysql2 makes it. */
    function serverError(errno: number, message: string): Error {
      return Object.assign(new Error(message), { errno, sqlMessage: message });
    }

    /**
     * A pool whose connections, once armed, answer the next insert into `vouchers` as a Galera node
     * does when another node's commit aborts the transaction mid-statement: the transaction is rolled
     * back, the insert reports the duplicate that commit wrote, the next statement the deadlock.
     */
    function abortingPool(): { pool: mysql.Pool; arm(): void } {
      const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 2 });
      let stage: 'idle' | 'armed' | 'aborted' = 'idle';
      const getConnection = pool.getConnection.bind(pool);
      const wrapped = Object.assign(Object.create(pool) as mysql.Pool, {
        async getConnection() {
          const c = await getConnection();
          const execute = c.execute.bind(c);
          const query = c.query.bind(c);
          const afterAbort = () => {
            stage = 'idle';
            throw serverError(1213, 'Deadlock found when trying to get lock; try restarting transaction');
          };
          return Object.assign(Object.create(c) as mysql.PoolConnection, {
            connection: c.connection,
            release: () => c.release(),
            destroy: () => c.destroy(),
            unprepare: (sql: string) => c.unprepare(sql),
            async execute(sql: string, values?: never[]) {
              if (stage === 'aborted') afterAbort();
              if (stage === 'armed' && /INSERT INTO .*vouchers/.test(sql)) {
                stage = 'aborted';
                await query('ROLLBACK');
                throw serverError(1062, "Duplicate entry 'v1' for key 'PRIMARY'");
              }
              return execute(sql, values);
            },
            async query(sql: string) {
              if (stage === 'aborted' && !/^ROLLBACK/.test(sql)) afterAbort();
              return query(sql);
            },
          });
        },
      });
      return { pool: wrapped, arm: () => (stage = 'armed') };
    }

    it('runs the transaction again whole when the next statement reports the abort', async () => {
      const { pool, arm } = abortingPool();
      try {
        const store = mysqlStore({ pool, database: server.database('galera_dup') });
        await store.migrate(migrations);
        await store.insert(accounts, account('a', 100));
        let runs = 0;
        arm();
        await store.transaction(async (tx) => {
          runs++;
          await tx.increment(accounts, 'a', 'balance', -40, { min: 0 });
          await tx.insert(vouchers, { id: 'v1', status: 'sold', usedBy: 'a' });
        });
        expect(runs).toBe(2);
        expect((await store.get(accounts, 'a'))!.balance).toBe(60);
        expect(await store.count(vouchers)).toBe(1);
      } finally {
        await pool.end();
      }
    });

    it('leaves a real duplicate a CONFLICT the transaction can go on after, run once', async () => {
      const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 1 });
      try {
        const store = mysqlStore({ pool, database: server.database('real_dup') });
        await store.migrate(migrations);
        await store.insert(vouchers, { id: 'v1', status: 'sold', usedBy: null });
        await store.insert(accounts, account('a', 100));
        let runs = 0;
        let clash: unknown;
        await store.transaction(async (tx) => {
          runs++;
          await tx.increment(accounts, 'a', 'balance', -40, { min: 0 });
          clash = await rejection(tx.insert(vouchers, { id: 'v1', status: 'sold', usedBy: 'a' }));
          await tx.insert(vouchers, { id: 'v2', status: 'sold', usedBy: 'a' });
        });
        expect(clash).toMatchObject({ code: 'CONFLICT', reason: 'primary_key' });
        expect(runs).toBe(1);
        expect((await store.get(accounts, 'a'))!.balance).toBe(60);
        expect(await store.count(vouchers)).toBe(2);
      } finally {
        await pool.end();
      }
    });
  });

  describe('a pool with no free connection, and close()', { timeout: 30_000 }, () => {
    it('waits up to acquireTimeoutMs, then fails with STORE_UNAVAILABLE; calls succeed once one is free', async () => {
      const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 1 });
      try {
        const store = mysqlStore({ pool, database: server.database('pool'), acquireTimeoutMs: 300 });
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
        const error = await rejection(store.get(accounts, 'a'));
        expect(isClienteleError(error, 'STORE_UNAVAILABLE')).toBe(true);
        expect((error as Error).message).toMatch(/within 300 ms/);
        release();
        await long;
        expect((await store.get(accounts, 'a'))!.balance).toBe(1);
        // close() leaves the host's pool open; the store refuses further calls.
        await store.close();
        expect(await rejection(store.get(accounts, 'a'))).toMatchObject({ code: 'INVALID_STATE' });
        const [rows] = await pool.query<mysql.RowDataPacket[]>('SELECT 1 AS one');
        expect(rows[0]!['one']).toBe(1);
      } finally {
        await pool.end();
      }
    });

    it('ends the pool it opened itself from a URI, and refuses bad options by their path', async () => {
      const database = server.database('own');
      const store = mysqlStore({ uri: MYSQL_URL, database, poolSize: 2 });
      await store.migrate(migrations);
      await store.insert(accounts, account('a', 5));
      await store.close();
      expect(await rejection(store.get(accounts, 'a'))).toMatchObject({ code: 'INVALID_STATE' });
      for (const [options, path] of [
        [{ pool: server.pool, uri: MYSQL_URL }, ['uri']],
        [{ pool: server.pool, database: 'Bad-Name' }, ['database']],
        [{ pool: server.pool, server: 'oracle' }, ['server']],
        [{ pool: server.pool, retry: { attempts: 0 } }, ['retry', 'attempts']],
        [{ uri: MYSQL_URL, poolSize: 0 }, ['poolSize']],
      ] as const) {
        let error: unknown;
        try {
          mysqlStore(options as never);
        } catch (e) {
          error = e;
        }
        expect(error).toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ path }] });
      }
    });
  });
});
