/**
 * The SQLite store against the memory store (the reference semantics) on the same random data:
 * filters, mixed-direction orders, keyset paging and aggregates must give identical results.
 */
import { describe, expect, it } from 'vitest';
import { memoryStore } from '@clientele/core';
import { aggregateByScan } from '@clientele/core/adapter';
import type { Store } from '@clientele/core';
import type { AggregateQuery, FindQuery } from '@clientele/core/module';
import { openStore } from './helpers.js';
import { customer, customers, migrations } from './fixtures/schema.js';

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const NAMES = ['张伟', '王芳', 'anna', 'Anna', 'zoë', '😀', '\uffff', 'b', 'ba', ''];

function dataset(rand: () => number, points: readonly number[]) {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  return Array.from({ length: 120 }, (_, i) =>
    customer(`c${String(i).padStart(3, '0')}${pick(['', 'a', 'Z'])}`, {
      name: pick(NAMES),
      email: rand() < 0.3 ? null : `${pick(NAMES)}@${i}`,
      storeCode: pick(['S1', 'S2', 'S3']),
      points: pick(points),
      vip: rand() < 0.5,
      joinedAt: new Date(1_700_000_000_000 + pick([0, 1000, 86_400_000])),
      profile: rand() < 0.5 ? null : { i },
    }),
  );
}

async function pages(store: Store, query: FindQuery<typeof customers>, limit: number): Promise<string[][]> {
  const out: string[][] = [];
  let after: string | null = null;
  do {
    const page: { rows: Array<{ id: string }>; next: string | null } = await store.find(customers, {
      ...query,
      limit,
      after,
    });
    out.push(page.rows.map((r) => r.id));
    after = page.next;
  } while (after);
  return out;
}

async function both(seed: number, points: readonly number[]) {
  const rows = dataset(random(seed), points);
  const sqlite = await openStore('memory');
  const memory = memoryStore();
  await memory.migrate(migrations);
  for (const row of rows) {
    await sqlite.insert(customers, row);
    await memory.insert(customers, row);
  }
  return { sqlite, memory };
}

describe('parity with the memory store', () => {
  it('finds and pages identically for random filters and mixed-direction orders', async () => {
    const { sqlite, memory } = await both(7, [0, 1, 2, -3, 9007199254740991, -9007199254740991]);
    const rand = random(42);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
    const fields = ['name', 'storeCode', 'points', 'vip', 'joinedAt', 'id'] as const;
    const wheres: Array<FindQuery<typeof customers>['where']> = [
      undefined,
      { vip: true },
      { points: { gte: 0 } },
      { points: { lt: 2, ne: -3 } },
      { name: { gt: 'anna' } },
      { name: { lte: '😀', gte: 'Anna' } },
      { name: { startsWith: 'an' } },
      { email: { isNull: true } },
      { email: { ne: null }, storeCode: { in: ['S1', 'S3'] } },
      { joinedAt: { gt: new Date(1_700_000_000_000) } },
      { profile: { isNull: false }, vip: false },
      { id: { startsWith: 'c0' } },
    ];
    let compared = 0;
    for (let q = 0; q < 40; q++) {
      const terms = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => ({
        field: pick(fields),
        direction: pick(['asc', 'desc'] as const),
      }));
      const where = pick(wheres);
      const query: FindQuery<typeof customers> = where === undefined ? { orderBy: terms } : { where, orderBy: terms };
      const limit = pick([1, 3, 7, 50]);
      const expected = await pages(memory, query, limit);
      expect(await pages(sqlite, query, limit), JSON.stringify(query)).toEqual(expected);
      expect(await sqlite.count(customers, query.where)).toBe(await memory.count(customers, query.where));
      compared += expected.flat().length;
    }
    expect(compared).toBeGreaterThan(500);
  });

  it('pushes aggregates down with the same result as the streaming fallback', async () => {
    // Sums stay within the safe integers, as the port requires (beyond them a float fallback and an
    // exact int64 sum round differently).
    const { sqlite, memory } = await both(11, [0, 1, 2, -3, 1000, 2 ** 40]);
    const queries: Array<AggregateQuery<typeof customers>> = [
      { measures: { n: { fn: 'count' }, total: { fn: 'sum', field: 'points' } } },
      {
        groupBy: ['storeCode', 'vip'],
        measures: {
          n: { fn: 'count' },
          total: { fn: 'sum', field: 'points' },
          first: { fn: 'min', field: 'joinedAt' },
          last: { fn: 'max', field: 'joinedAt' },
          lowName: { fn: 'min', field: 'name' },
          highName: { fn: 'max', field: 'name' },
        },
      },
      // Group keys with nulls, and min/max over a nullable column.
      {
        groupBy: ['email'],
        where: { points: { gte: 0 } },
        measures: { n: { fn: 'count' }, low: { fn: 'min', field: 'email' } },
      },
      {
        groupBy: ['name'],
        where: { vip: true },
        measures: { high: { fn: 'max', field: 'points' }, low: { fn: 'min', field: 'points' } },
      },
      // Empty input: one row without groupBy (sum 0, min null), none with it.
      {
        where: { storeCode: 'nowhere' },
        measures: { n: { fn: 'count' }, total: { fn: 'sum', field: 'points' }, low: { fn: 'min', field: 'name' } },
      },
      { groupBy: ['storeCode'], where: { storeCode: 'nowhere' }, measures: { n: { fn: 'count' } } },
    ];
    for (const query of queries) {
      const pushed = await sqlite.aggregate(customers, query);
      expect(pushed, JSON.stringify(query)).toEqual(await aggregateByScan(sqlite, customers, query));
      expect(pushed).toEqual(await memory.aggregate(customers, query));
    }
    expect(await sqlite.aggregate(customers, queries[4]!)).toEqual([{ n: 0, total: 0, low: null }]);
    expect(await sqlite.aggregate(customers, queries[5]!)).toEqual([]);
  });
});
