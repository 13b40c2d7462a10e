/**
 * Reads of many rows come from SQLite as one packed text rather than a value at a time, once a
 * statement has returned many rows: they must give exactly what the row-by-row read gives (text of
 * every kind, nulls, large and negative integers, timestamps before 1970, JSON), in the same order,
 * and what the memory store gives.
 */
import { describe, expect, it } from 'vitest';
import { memoryStore } from '@clientele/core';
import type { Store } from '@clientele/core';
import type { AggregateQuery, FindQuery } from '@clientele/core/module';
import { openStore } from './helpers.js';
import { customer, customers, migrations } from './fixtures/schema.js';

/** Text that a JSON text must carry exactly: quotes, escapes, control characters and line separators, astral planes. */
const AWKWARD = [
  'plain',
  'say "hi"',
  'back\\slash',
  'line\nbreak\ttab\rreturn',
  '\u0001\u001f\u007f',
  'sep\u2028\u2029',
  '张伟',
  '😀👨‍👩‍👧',
  '\uffff',
  '</script>',
  '',
  '[1,2]',
  'null',
];
const POINTS = [0, -1, 1, 2 ** 53 - 1, -(2 ** 53 - 1), 123_456_789_012];

/** 700 customers: more than a packed read's threshold, with every awkward value many times. */
function dataset() {
  return Array.from({ length: 700 }, (_, i) =>
    customer(`c${String(i).padStart(4, '0')}`, {
      name: AWKWARD[i % AWKWARD.length]!,
      email: i % 3 === 0 ? null : `${AWKWARD[(i * 7) % AWKWARD.length]}@${i}`,
      storeCode: ['S1', 'S2', 'S3'][i % 3]!,
      points: POINTS[i % POINTS.length]!,
      vip: i % 2 === 0,
      joinedAt: new Date((i % 5) * -86_400_000 * 400 + i),
      profile: i % 4 === 0 ? null : { text: AWKWARD[i % AWKWARD.length]!, n: i / 8, nested: [null, true, 'x'] },
    }),
  );
}

async function both(): Promise<{ sqlite: Store; memory: Store }> {
  const sqlite = await openStore();
  const memory = memoryStore();
  await memory.migrate(migrations);
  for (const store of [sqlite, memory]) await store.insertMany!(customers, dataset());
  return { sqlite, memory };
}

/** Every row of a query, read in pages of `limit`. */
async function readAll(store: Store, query: FindQuery<typeof customers, never>, limit: number) {
  const rows: unknown[] = [];
  let after: string | null = null;
  do {
    const page: { rows: unknown[]; next: string | null } = await store.find(customers, { ...query, limit, after });
    rows.push(...page.rows);
    after = page.next;
  } while (after !== null);
  return rows;
}

describe('sqliteStore packed reads', () => {
  it('a long page is row for row what short pages give, in order, and what the memory store gives', async () => {
    const { sqlite, memory } = await both();
    const queries: Array<FindQuery<typeof customers, never>> = [
      {},
      { orderBy: [{ field: 'name', direction: 'desc' }] },
      { orderBy: [{ field: 'points' }, { field: 'joinedAt', direction: 'desc' }], where: { vip: true } },
      { orderBy: [{ field: 'storeCode' }, { field: 'name' }], where: { points: { gte: 0 } } },
    ];
    for (const query of queries) {
      // The first read of a statement is row by row; once it has returned many rows, it is read packed.
      const first = await readAll(sqlite, query, 1000);
      const long = await readAll(sqlite, query, 1000);
      expect(long.length).toBeGreaterThan(256);
      expect(long, JSON.stringify(query)).toEqual(first);
      expect(long).toEqual(await readAll(sqlite, query, 10));
      expect(long).toEqual(await readAll(memory, query, 1000));
    }
    // A long page that stops short of the end, and the projection of a few columns.
    await sqlite.find(customers, { limit: 300, select: ['id', 'name', 'points'] });
    const first = await sqlite.find(customers, { limit: 300, select: ['id', 'name', 'points'] });
    expect(first.rows).toHaveLength(300);
    expect(first.rows).toEqual((await memory.find(customers, { limit: 300, select: ['id', 'name', 'points'] })).rows);
    await sqlite.find(customers, { limit: 1000, after: first.next, select: ['id'] });
    const rest = await sqlite.find(customers, { limit: 1000, after: first.next, select: ['id'] });
    expect(rest.rows.map((r) => r.id)).toEqual(
      dataset()
        .slice(300)
        .map((c) => c.id),
    );
  });

  it('a long page of groups is what short pages of groups give, and what the memory store gives', async () => {
    const { sqlite, memory } = await both();
    const query: AggregateQuery<typeof customers> = {
      groupBy: ['storeCode', 'id'],
      measures: {
        n: { fn: 'count' },
        total: { fn: 'sum', field: 'points', where: { points: { gte: -1, lte: 123_456_789_012 } } },
        times: { fn: 'series', field: 'joinedAt' },
        first: { fn: 'min', field: 'joinedAt' },
        lastEmail: { fn: 'max', field: 'email' },
        name: { fn: 'min', field: 'name' },
      },
    };
    const firstRead = await sqlite.aggregate(customers, { ...query, limit: 1000 });
    const long = await sqlite.aggregate(customers, { ...query, limit: 1000 });
    expect(long).toEqual(firstRead);
    expect(long).toHaveLength(700);
    expect(long).toEqual(await memory.aggregate(customers, { ...query, limit: 1000 }));
    const short: unknown[] = [];
    let after: Array<string | number | boolean | Date | null> | undefined;
    for (;;) {
      const page = await sqlite.aggregate(customers, { ...query, limit: 50, ...(after ? { after } : {}) });
      short.push(...page);
      if (page.length < 50) break;
      const last = page[page.length - 1]!;
      after = [last['storeCode'] as string, last['id'] as string];
    }
    expect(long).toEqual(short);
  });
});
