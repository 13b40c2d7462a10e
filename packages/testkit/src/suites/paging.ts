/** Keyset paging: exact orderings, stable under concurrent inserts, and the limits of a page. */
import type { CollectionSpec, FindQuery, Page, RowOf, Store } from '@clientele/core/adapter';
import { expect } from 'vitest';
import { expectCode } from '../assertions.js';
import { compareByTerms, sortedIds } from '../expected-order.js';
import type { Term } from '../expected-order.js';
import { customers, newCustomer, newSale, sales } from '../fixtures.js';
import type { Suite } from '../harness.js';

/** Enough for every test here; a store that never ends a walk fails instead of hanging. */
const MAX_PAGES = 500;

/** Follows `next` from the first page to the last; `between` runs after each page. */
async function walk<C extends CollectionSpec>(
  store: Store,
  collection: C,
  query: Omit<FindQuery<C>, 'after'>,
  between: (page: Page<RowOf<C>>, index: number) => Promise<void> = async () => {},
): Promise<Array<Page<RowOf<C>>>> {
  const pages: Array<Page<RowOf<C>>> = [];
  let after: string | null = null;
  do {
    const page: Page<RowOf<C>> = await store.find(collection, { ...query, after } as FindQuery<C>);
    pages.push(page);
    expect(pages.length, 'paging never ends').toBeLessThan(MAX_PAGES);
    await between(page, pages.length - 1);
    after = page.next;
  } while (after !== null);
  return pages;
}

function idsOf(pages: ReadonlyArray<Page<Record<string, unknown>>>): string[] {
  return pages.flatMap((p) => p.rows.map((r) => r['id'] as string));
}

/** Every original id exactly once, no id twice, and each row after the one before it. */
function expectEachOnceInOrder(
  pages: ReadonlyArray<Page<Record<string, unknown>>>,
  originals: readonly string[],
  terms: readonly Term[],
  what: string,
): void {
  const rows = pages.flatMap((p) => p.rows);
  const seen = new Map<string, number>();
  for (const r of rows) seen.set(r['id'] as string, (seen.get(r['id'] as string) ?? 0) + 1);
  const twice = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
  expect(twice, `${what}: rows visited more than once`).toEqual([]);
  const missed = originals.filter((id) => !seen.has(id));
  expect(missed, `${what}: original rows never visited`).toEqual([]);
  for (let i = 1; i < rows.length; i++) {
    expect(
      compareByTerms(rows[i - 1]!, rows[i]!, terms),
      `${what}: ${String(rows[i]!['id'])} came after ${String(rows[i - 1]!['id'])} out of order`,
    ).toBeLessThan(0);
  }
}

/** Tests of keyset paging, orderings and page limits. */
export const pagingSuite = {
  title: 'paging',
  tests: {
    async 'paging.visits-each-once-under-inserts'({ store }) {
      // Ids s-010 .. s-300 leave room for new keys before, between and after them.
      const originals: string[] = [];
      for (let n = 1; n <= 30; n++) {
        const id = `s-${String(n * 10).padStart(3, '0')}`;
        originals.push(id);
        await store.insert(sales, newSale(n, { id, kind: ['a', 'b', 'c'][n % 3]!, amount: (n * 37) % 11 }));
      }

      let added = 0;
      const byKey = await walk(store, sales, { limit: 4 }, async (page) => {
        const last = page.rows[page.rows.length - 1]?.id ?? 's-';
        added += 1;
        // Before every key, right after the cursor, and after every key.
        await store.insert(sales, newSale(1000 + added, { id: `s-000-${String(added).padStart(2, '0')}` }));
        await store.insert(sales, newSale(2000 + added, { id: `${last}-${String(added).padStart(2, '0')}` }));
        await store.insert(sales, newSale(3000 + added, { id: `s-999-${String(added).padStart(2, '0')}` }));
      });
      expectEachOnceInOrder(byKey, originals, [], 'paging by primary key under inserts');
      expect(
        idsOf(byKey).some((id) => id.startsWith('s-000-')),
        'rows inserted before the cursor are never visited',
      ).toBe(false);

      // Again over a two-field ordering with a filter; new rows land before and after the cursor.
      const terms: Term[] = [
        ['kind', 'asc'],
        ['amount', 'desc'],
      ];
      const where = { kind: { in: ['a', 'b', 'c'] } };
      const before = await store.find(sales, { where, limit: 10_000 });
      let extra = 0;
      const byOrder = await walk(
        store,
        sales,
        { where, orderBy: [{ field: 'kind' }, { field: 'amount', direction: 'desc' }], limit: 3 },
        async (page) => {
          const last = page.rows[page.rows.length - 1];
          extra += 1;
          await store.insert(sales, newSale(4000 + extra, { id: `t-${extra}`, kind: 'a', amount: 1_000_000 + extra }));
          await store.insert(sales, newSale(5000 + extra, { id: `u-${extra}`, kind: 'c', amount: -extra }));
          if (last)
            await store.insert(
              sales,
              newSale(6000 + extra, { id: `v-${extra}`, kind: last.kind, amount: last.amount }),
            );
        },
      );
      expectEachOnceInOrder(
        byOrder,
        before.rows.map((r) => r.id),
        terms,
        'paging by kind, amount desc under inserts',
      );
    },

    async 'paging.mixed-order'({ store }) {
      const tiers = ['gold', 'silver', 'bronze'];
      const names = ['王芳', '张伟', 'Anna', 'anna', 'Émile', '🧧 Li', 'Zoe', 'zoë'];
      const rows = [];
      for (let n = 1; n <= 25; n++) {
        rows.push(
          await store.insert(
            customers,
            newCustomer(n, {
              tier: tiers[n % 3]!,
              points: (n * 7) % 5,
              name: names[n % names.length]!,
              active: n % 4 !== 0,
              joinedAt: new Date(Date.UTC(2024, 0, 1) + (n % 6) * 1000),
            }),
          ),
        );
      }
      type Customer = RowOf<typeof customers>;
      const all = (): boolean => true;
      const cases: Array<{
        what: string;
        orderBy: Array<{ field: keyof Customer & string; direction?: 'asc' | 'desc' }>;
        where?: FindQuery<typeof customers>['where'];
        keep: (r: Customer) => boolean;
      }> = [
        {
          what: 'tier asc, points desc',
          orderBy: [{ field: 'tier' }, { field: 'points', direction: 'desc' }],
          keep: all,
        },
        {
          what: 'points desc, name asc',
          orderBy: [
            { field: 'points', direction: 'desc' },
            { field: 'name', direction: 'asc' },
          ],
          keep: all,
        },
        {
          what: 'joinedAt desc over active rows',
          orderBy: [{ field: 'joinedAt', direction: 'desc' }],
          where: { active: true },
          keep: (r) => r.active,
        },
        {
          what: 'active, tier desc, points',
          orderBy: [{ field: 'active' }, { field: 'tier', direction: 'desc' }, { field: 'points' }],
          keep: all,
        },
        { what: 'id desc', orderBy: [{ field: 'id', direction: 'desc' }], keep: all },
        {
          what: 'name asc over points >= 2',
          orderBy: [{ field: 'name' }],
          where: { points: { gte: 2 } },
          keep: (r) => r.points >= 2,
        },
      ];
      for (const c of cases) {
        const terms: Term[] = c.orderBy.map((o) => [o.field, o.direction ?? 'asc']);
        const matching = rows.filter(c.keep);
        const expected = sortedIds(matching, terms);
        const query = { orderBy: c.orderBy, ...(c.where ? { where: c.where } : {}) };
        const whole = await store.find(customers, { ...query, limit: 100 });
        expect(
          whole.rows.map((r) => r.id),
          `${c.what}: one page`,
        ).toEqual(expected);
        expect(whole.next, `${c.what}: a page holding everything has next null`).toBeNull();
        for (const limit of [1, 4, 7]) {
          const pages = await walk(store, customers, { ...query, limit });
          expect(idsOf(pages), `${c.what}: pages of ${limit}`).toEqual(expected);
          expect(
            pages.slice(0, -1).every((p) => p.rows.length === limit && p.next !== null),
            `${c.what}: every page but the last is full and has a cursor`,
          ).toBe(true);
        }
      }
    },

    async 'paging.limits'({ store }) {
      for (let n = 1; n <= 105; n++) await store.insert(sales, newSale(n, { kind: n <= 10 ? 'ten' : 'rest' }));
      const first = await store.find(sales);
      expect(first.rows.length, 'the default page size is 100').toBe(100);
      expect(first.next, 'a cursor follows a full default page').not.toBeNull();
      const second = await store.find(sales, { after: first.next });
      expect(
        second.rows.map((r) => r.id),
        'the rest after the default page',
      ).toEqual(['sale-101', 'sale-102', 'sale-103', 'sale-104', 'sale-105']);
      expect(second.next, 'the last page has next null').toBeNull();

      const p1 = await store.find(sales, { where: { kind: 'ten' }, limit: 5 });
      const p2 = await store.find(sales, { where: { kind: 'ten' }, limit: 5, after: p1.next });
      expect(p2.rows.length, 'the second of two exactly full pages').toBe(5);
      expect(p2.next, 'a last page that is exactly full has next null').toBeNull();

      const none = await store.find(sales, { where: { kind: 'nothing' } });
      expect(none, 'an empty result').toEqual({ rows: [], next: null });

      for (const limit of [0, -1, 1.5, 10_001]) {
        await expectCode(store.find(sales, { limit }), 'VALIDATION_FAILED', `find with limit ${limit}`);
      }
      expect((await store.find(sales, { limit: 10_000 })).rows.length, 'the largest allowed limit').toBe(105);
      await expectCode(
        store.find(sales, { after: '%%not a cursor%%' }),
        'VALIDATION_FAILED',
        'find with a malformed cursor',
      );
    },
  },
} satisfies Suite;
