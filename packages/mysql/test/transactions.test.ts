/**
 * Transactions on a real MariaDB: a lock wait that timed out runs the whole transaction again; a
 * transaction that keeps losing gives up with a typed CONFLICT having written nothing; a clash undoes
 * only its own write (and a batch all of its rows); first uses of a counter at once each get a number;
 * an update that writes a row's own values still applies, whatever the pool's FOUND_ROWS flag.
 */
import mysql from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { coreMigrations, defineCollection, field } from '@clientele/core/adapter';
import { nextSequence } from '@clientele/core/module';
import { mysqlStore } from '@clientele/mysql';
import { account, accounts, barrier, migrations, notes, rejection, vouchers } from './fixtures.js';
import { MYSQL_URL, serverPool, withServer } from './server.js';

withServer(() => {
  const server = serverPool();

  async function open(attempts = 10) {
    const database = server.database('tx');
    const store = mysqlStore({
      pool: server.pool,
      database,
      retry: { attempts, baseDelayMs: 1, maxDelayMs: 20 },
    });
    await store.migrate(migrations);
    return { store, database };
  }

  describe('races run again', { timeout: 30_000 }, () => {
    it('runs a transaction whose lock wait timed out again, whole, once the row is free', async () => {
      const database = server.database('wait');
      // Connections that give up a lock wait after one second (the server's default is fifty).
      const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 2 });
      pool.pool.on('connection', (c) => void c.query('SET SESSION innodb_lock_wait_timeout = 1'));
      const store = mysqlStore({ pool, database });
      await store.migrate(migrations);
      await store.insert(accounts, account('a', 100));
      const blocker = await server.pool.getConnection();
      try {
        await blocker.query('START TRANSACTION');
        await blocker.query(`SELECT * FROM \`${database}\`.accounts WHERE id = 'a' FOR UPDATE`);
        let runs = 0;
        const written = await store.transaction(async (tx) => {
          runs++;
          await tx.insert(vouchers, {
            id: `v${runs}`,
            status: 'sold',
            usedBy: 'a',
          });
          // The first run waits past its timeout; the second frees the row before it asks again.
          if (runs === 2) await blocker.query('ROLLBACK');
          return tx.increment(accounts, 'a', 'balance', -30, { min: 0 });
        });
        expect(runs).toBe(2);
        expect(written).toMatchObject({
          applied: true,
          row: { balance: 70, version: 2 },
        });
        // Nothing of the first run: its voucher went with it.
        expect((await store.find(vouchers)).rows.map((v) => v.id)).toEqual(['v2']);
      } finally {
        blocker.release();
        await store.close();
        await pool.end();
      }
    });

    it('gives up after the configured attempts with CONFLICT (serialization), having written nothing', async () => {
      const { store } = await open(1);
      await store.insert(accounts, account('a', 0));
      await store.insert(accounts, account('b', 0));
      const gate = barrier(2);
      const crossed = (first: string, second: string) =>
        store.transaction(async (tx) => {
          await tx.insert(vouchers, {
            id: `from-${first}`,
            status: 'x',
            usedBy: null,
          });
          await tx.increment(accounts, first, 'balance', 1);
          await gate.wait();
          await tx.increment(accounts, second, 'balance', 10);
        });
      const outcomes = await Promise.allSettled([crossed('a', 'b'), crossed('b', 'a')]);
      const failed = outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason);
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({
        code: 'CONFLICT',
        reason: 'serialization',
        details: { attempts: 1 },
      });
      expect(await store.count(vouchers)).toBe(1);
      const balances = [(await store.get(accounts, 'a'))!.balance, (await store.get(accounts, 'b'))!.balance];
      expect(balances.sort((x, y) => x - y)).toEqual([1, 10]);
    });
  });

  describe('counters and matched rows', { timeout: 30_000 }, () => {
    it('gives eight transactions that first use a counter at once the numbers 1 to 8, each once', async () => {
      const store = mysqlStore({
        pool: server.pool,
        database: server.database('seq'),
      });
      await store.migrate(coreMigrations);
      const gate = barrier(8);
      const taken = await Promise.all(
        Array.from({ length: 8 }, () =>
          store.transaction(async (tx) => {
            await gate.wait();
            return nextSequence(tx, 'receipts');
          }),
        ),
      );
      expect([...taken].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    });

    it('reports a counter row as stored after each increment, below one and past the unsigned id too', async () => {
      const { store } = await open();
      const counters = defineCollection({
        name: 'counters',
        fields: { id: field.string(), n: field.integer() },
        primaryKey: 'id',
        indexes: [],
      });
      await store.migrate([
        {
          id: 'mytest/counters',
          steps: [{ op: 'createCollection', collection: counters }],
        },
      ]);
      await store.insert(counters, { id: 'c', n: 5 });
      // Up, to zero, below zero and back, with a guard that keeps the value at 1 or more (the value the
      // server reports) and without (read back): each result is the row as a read finds it afterwards.
      for (const [delta, guard] of [
        [3, { min: 1 }],
        [-8, undefined],
        [-2, undefined],
        [7, { min: 1 }],
        [1, { min: 1 }],
      ] as const) {
        const r = await store.transaction((tx) => tx.increment(counters, 'c', 'n', delta, guard));
        expect(r.applied).toBe(true);
        expect(r.row).toEqual(await store.get(counters, 'c'));
      }
      expect((await store.get(counters, 'c'))!.n).toBe(6);
      // A guard the increment would break: not applied, the row as it is.
      expect(await store.transaction((tx) => tx.increment(counters, 'c', 'n', -6, { min: 1 }))).toEqual({
        applied: false,
        row: { id: 'c', n: 6 },
      });
      // Eight at once each get a number of their own.
      const gate = barrier(8);
      const taken = await Promise.all(
        Array.from({ length: 8 }, () =>
          store.transaction(async (tx) => {
            await gate.wait();
            return (await tx.increment(counters, 'c', 'n', 1, { min: 1 })).row.n;
          }),
        ),
      );
      expect([...taken].sort((a, b) => a - b)).toEqual([7, 8, 9, 10, 11, 12, 13, 14]);
    });

    it('applies an update that writes the values a row holds, on a pool counting changed rows too', async () => {
      const pool = mysql.createPool({
        uri: MYSQL_URL,
        connectionLimit: 2,
        flags: ['-FOUND_ROWS'],
      });
      try {
        const store = mysqlStore({ pool, database: server.database('found') });
        await store.migrate(migrations);
        await store.insert(vouchers, {
          id: 'v1',
          status: 'active',
          usedBy: null,
        });
        expect(await store.update(vouchers, 'v1', { status: 'active' })).toEqual({
          id: 'v1',
          status: 'active',
          usedBy: null,
        });
        expect(await store.consume(vouchers, 'v1', { status: 'active' }, { status: 'active' })).toMatchObject({
          id: 'v1',
        });
        expect(
          await store.consumeMany(vouchers, [{ key: 'v1', when: { status: 'active' }, set: { usedBy: null } }]),
        ).toEqual(['v1']);
      } finally {
        await pool.end();
      }
    });
  });

  describe('failures inside a transaction', { timeout: 30_000 }, () => {
    it('undoes only the clashing write, and a clashing batch whole: the transaction commits the rest', async () => {
      const { store } = await open();
      await store.insert(notes, {
        id: 'n1',
        code: 'taken',
        text: 'first',
        data: null,
      });
      await store.transaction(async (tx) => {
        await tx.insert(notes, {
          id: 'n2',
          code: 'free',
          text: 'kept',
          data: null,
        });
        expect(
          await rejection(
            tx.insert(notes, {
              id: 'n3',
              code: 'taken',
              text: 'clash',
              data: null,
            }),
          ),
        ).toMatchObject({ reason: 'unique', details: { index: 'notes_code' } });
        expect(
          await rejection(
            tx.insert(notes, {
              id: 'n1',
              code: 'other',
              text: 'clash',
              data: null,
            }),
          ),
        ).toMatchObject({ reason: 'primary_key' });
        expect(await rejection(tx.update(notes, 'n2', { code: 'taken' }))).toMatchObject({ reason: 'unique' });
        // 700 rows go in two statements; the clash in the second takes the first's rows out too.
        const batch = Array.from({ length: 700 }, (_, i) => ({
          id: `b${i}`,
          code: `c${i}`,
          text: 'x',
          data: null,
        }));
        batch[650] = { id: 'b650', code: 'taken', text: 'x', data: null };
        expect(await rejection(tx.insertMany(notes, batch))).toMatchObject({
          code: 'CONFLICT',
          reason: 'unique',
        });
        await tx.insert(notes, {
          id: 'n6',
          code: 'after',
          text: 'kept too',
          data: null,
        });
      });
      expect((await store.find(notes)).rows.map((r) => [r.id, r.code])).toEqual([
        ['n1', 'taken'],
        ['n2', 'free'],
        ['n6', 'after'],
      ]);
    });

    it('refuses a value too long for its indexed column with VALIDATION_FAILED, changing nothing', async () => {
      const { store } = await open();
      // `code` is in a unique index of its own: up to 768 characters; `text` is free text of any length.
      await store.insert(notes, {
        id: 'ok',
        code: '码'.repeat(768),
        text: '字'.repeat(100_000),
        data: null,
      });
      expect(
        await rejection(
          store.insert(notes, {
            id: 'long',
            code: '码'.repeat(769),
            text: '',
            data: null,
          }),
        ),
      ).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect((await store.get(notes, 'ok'))?.text).toHaveLength(100_000);
      expect(await store.count(notes)).toBe(1);
    });
  });
});
