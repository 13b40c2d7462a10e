/**
 * The push-downs as PostgreSQL runs them, seen through the statements sent: bulk inserts as one
 * statement per chunk of rows, and pages of grouped aggregates in SQL, inside a transaction too.
 */
import { describe, expect, it } from 'vitest';
import { isClienteleError } from '@clientele/core';
import { aggregateByScan } from '@clientele/core/adapter';
import type { Store } from '@clientele/core';
import { postgresStore } from '@clientele/postgres';
import { account, accounts, migrations, rejection } from './fixtures.js';
import { recording, serverPool, withServer } from './server.js';

withServer(() => {
  const server = serverPool();

  async function open(label: string): Promise<{ store: Store; texts: string[] }> {
    const { pool, texts } = recording(server.pool);
    const store = postgresStore({ pool, schema: server.schema(label) });
    await store.migrate(migrations);
    texts.length = 0;
    return { store, texts };
  }

  describe('bulk insert', { timeout: 30_000 }, () => {
    it('sends one statement for a batch of any size up to 5,000 rows, the same text for every size', async () => {
      const { store, texts } = await open('bulk');
      await store.transaction(async (tx) => {
        expect(await tx.insertMany(accounts, [account('a1', 1)])).toBe(1);
        expect(
          await tx.insertMany(
            accounts,
            Array.from({ length: 5 }, (_, i) => account(`b${i}`, i)),
          ),
        ).toBe(5);
        expect(
          await tx.insertMany(
            accounts,
            Array.from({ length: 777 }, (_, i) => account(`c${i}`, i)),
          ),
        ).toBe(777);
      });
      const inserts = texts.filter((t) => t.startsWith('INSERT'));
      expect(inserts).toHaveLength(3);
      expect(new Set(inserts).size).toBe(1);
      expect(await store.count(accounts)).toBe(783);
      expect(await store.get(accounts, 'c776')).toEqual({ ...account('c776', 776), version: 1 });
      await store.close();
    });

    it(
      'splits a larger batch, and a clash in a later statement takes the rows of the earlier ones out ' + 'again',
      async () => {
        const { store, texts } = await open('bulkclash');
        await store.insert(accounts, account('taken', 1));
        const batch = Array.from({ length: 5003 }, (_, i) => account(`r${i}`, i));
        batch[5001] = account('taken', 2);
        const outcome = await store.transaction(async (tx) => {
          const error = await rejection(tx.insertMany(accounts, batch));
          // The transaction goes on without the batch, as after any clash.
          await tx.insert(accounts, account('after', 3));
          return error;
        });
        expect(isClienteleError(outcome, 'CONFLICT')).toBe(true);
        expect(outcome).toMatchObject({ reason: 'primary_key' });
        expect(texts.filter((t) => t.startsWith('INSERT') && t.includes('unnest'))).toHaveLength(2);
        expect(await store.count(accounts)).toBe(2);
        expect(await store.get(accounts, 'r0')).toBeUndefined();
        expect((await store.get(accounts, 'taken'))?.balance).toBe(1);

        // Outside a transaction, the same batch without the clash goes in whole.
        batch[5001] = account('r5001', 5001);
        expect(await store.insertMany(accounts, batch)).toBe(5003);
        expect(await store.count(accounts)).toBe(5005);
        await store.close();
      },
    );
  });

  describe('aggregate paging', { timeout: 30_000 }, () => {
    it('pages groups in SQL, through the store and through a transaction session alike', async () => {
      const { store, texts } = await open('paging');
      await store.insertMany(
        accounts,
        Array.from({ length: 30 }, (_, i) => account(`p${i}`, i, { customerId: `cus_${i % 7}` })),
      );
      const query = {
        groupBy: ['customerId'],
        measures: { n: { fn: 'count' }, total: { fn: 'sum', field: 'balance' } },
        limit: 3,
        after: ['cus_2'],
      } as const;
      const expected = await aggregateByScan(store, accounts, query);
      expect(expected.map((g) => g['customerId'])).toEqual(['cus_3', 'cus_4', 'cus_5']);

      expect(store.capabilities.aggregatePaging).toBe(true);
      texts.length = 0;
      expect(await store.aggregate(accounts, query)).toStrictEqual(expected);
      expect(texts).toHaveLength(1);
      // A column that cannot be null is ordered as its index is (nulls last), so the index gives each page.
      expect(texts[0]).toMatch(/GROUP BY .* ORDER BY "customer_id" COLLATE "C" ASC LIMIT \$\d+$/);

      // On a nullable column the null group still comes first.
      await store.insert(accounts, account('q1', 1, { note: 'b' }));
      await store.insert(accounts, account('q2', 2, { note: 'a' }));
      texts.length = 0;
      const byNote = await store.aggregate(accounts, { groupBy: ['note'], measures: { n: { fn: 'count' } }, limit: 2 });
      expect(texts[0]).toMatch(/ORDER BY "note" COLLATE "C" ASC NULLS FIRST LIMIT/);
      expect(byNote).toStrictEqual([
        { note: null, n: 30 },
        { note: 'a', n: 1 },
      ]);

      texts.length = 0;
      // The transaction session inherits the store's push-downs (defineStore builds both).
      const inside = await store.transaction(async (tx) => tx.aggregate(accounts, query));
      expect(inside).toStrictEqual(expected);
      // BEGIN, the one paged query, COMMIT: no scan of the rows.
      expect(texts).toHaveLength(3);
      expect(texts[1]).toMatch(/LIMIT \$\d+$/);
      await store.close();
    });
  });
});
