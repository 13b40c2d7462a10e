/**
 * The push-downs as MariaDB runs them: a series `GROUP_CONCAT` cut short at its limit is noticed and
 * computed again by scanning, never returned short; pages of groups with a null group first, without
 * `NULLS FIRST`; a batch of conditional writes and of deletes all or nothing inside a transaction.
 */
import mysql from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { aggregateByScan } from '@clientele/core/adapter';
import { mysqlStore } from '@clientele/mysql';
import { account, accounts, migrations, notes, rejection } from './fixtures.js';
import { MYSQL_URL, serverPool, withServer } from './server.js';

withServer(() => {
  const server = serverPool();

  describe('series and pages of groups', { timeout: 30_000 }, () => {
    it('gives a whole series even when GROUP_CONCAT cuts it at its limit', async () => {
      // One connection, whose GROUP_CONCAT limit is lowered after the store has set it up.
      const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 1 });
      try {
        const store = mysqlStore({ pool, database: server.database('series') });
        await store.migrate(migrations);
        await store.insertMany(
          accounts,
          Array.from({ length: 40 }, (_, i) => account(`s${i}`, 1_000_000 + i, { customerId: `cus_${i % 2}` })),
        );
        const query = {
          groupBy: ['customerId'],
          measures: { n: { fn: 'count' }, balances: { fn: 'series', field: 'balance' } },
        } as const;
        const expected = await aggregateByScan(store, accounts, query);
        expect(expected.map((g) => (g['balances'] as number[]).length)).toEqual([20, 20]);
        expect(await store.aggregate(accounts, query)).toStrictEqual(expected);
        await pool.query('SET SESSION group_concat_max_len = 16');
        // Cut to two values a group by the server, with a mere warning: the store notices and scans.
        const [cut] = await pool.query<mysql.RowDataPacket[]>(
          `SELECT GROUP_CONCAT(balance) AS s FROM \`${store.database}\`.accounts GROUP BY customer_id`,
        );
        expect(String(cut[0]!['s']).split(',').length).toBeLessThan(20);
        expect(await store.aggregate(accounts, query)).toStrictEqual(expected);
      } finally {
        await pool.end();
      }
    });

    it('pages groups with the null group first, in SQL, without NULLS FIRST', async () => {
      const store = mysqlStore({ pool: server.pool, database: server.database('paging') });
      await store.migrate(migrations);
      await store.insertMany(accounts, [
        account('a', 1, { note: 'b' }),
        account('b', 2, { note: 'a' }),
        account('c', 3),
        account('d', 4),
      ]);
      const query = { groupBy: ['note'], measures: { n: { fn: 'count' } }, limit: 2 } as const;
      expect(await store.aggregate(accounts, query)).toStrictEqual([
        { note: null, n: 2 },
        { note: 'a', n: 1 },
      ]);
      expect(await store.aggregate(accounts, { ...query, after: ['a'] })).toStrictEqual([{ note: 'b', n: 1 }]);
    });
  });

  describe('batches inside a transaction', { timeout: 30_000 }, () => {
    it('takes a batch of conditional writes back whole when one clashes, and the transaction goes on', async () => {
      const store = mysqlStore({ pool: server.pool, database: server.database('batch') });
      await store.migrate(migrations);
      await store.insertMany(
        accounts,
        Array.from({ length: 2500 }, (_, i) => account(`r${i}`, i)),
      );
      await store.insertMany(notes, [
        { id: 'n1', code: 'taken', text: 'one', data: null },
        { id: 'n2', code: 'c2', text: 'two', data: null },
      ]);
      await store.transaction(async (tx) => {
        // The first write applies, the second clashes on the unique code: the batch goes back whole.
        const clash = [
          { key: 'n2', when: { text: 'two' }, set: { text: 'changed' } },
          { key: 'n1', when: { text: 'one' }, set: { code: 'c2' } },
        ];
        expect(await rejection(tx.consumeMany(notes, clash))).toMatchObject({ code: 'CONFLICT', reason: 'unique' });
        expect((await tx.get(notes, 'n2'))?.text).toBe('two');
        const writes = Array.from({ length: 100 }, (_, i) => ({
          key: `r${i}`,
          when: { balance: i },
          set: { note: 'seen' },
        }));
        expect(await tx.consumeMany(accounts, writes)).toHaveLength(100);
        // A locking read says which keys exist; the missing one is left out.
        expect(await tx.deleteMany(accounts, ['r0', 'missing', 'r2499'])).toEqual(['r0', 'r2499']);
      });
      expect(await store.count(accounts)).toBe(2498);
      expect(await store.count(accounts, { note: 'seen' })).toBe(99);
      expect((await store.get(accounts, 'r5'))?.version).toBe(2);
    });
  });
});
