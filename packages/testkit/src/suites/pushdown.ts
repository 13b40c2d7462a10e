/**
 * Optional push-downs. A store that declares one must give exactly what core's fallback gives on the
 * same data, so modules may use either without noticing.
 */
import { aggregateByScan, getLinkedByReads } from '@clientele/core/adapter';
import type {
  AggregateQuery,
  AggregateRow,
  CollectionSpec,
  ConditionalWrite,
  Link,
  NewRowOf,
  ScalarValue,
  Store,
  StoreSession,
} from '@clientele/core/adapter';
import { expect } from 'vitest';
import { expectCode, expectConflict } from '../assertions.js';
import {
  accounts,
  cards,
  customers,
  newAccount,
  newCard,
  newCustomer,
  newSale,
  newVoucher,
  sales,
  sales as salesCollection,
  vouchers,
} from '../fixtures.js';
import type { Suite } from '../harness.js';
import { expectNotStored, expectRawCount, expectStored } from '../probe-checks.js';
import { millisecondsInDay, millisecondsInHour } from 'date-fns/constants';

const MAX = Number.MAX_SAFE_INTEGER;

/** Sales with null group keys, a nullable measure that is all-null in one group, CJK labels, big integers. */
async function seedSales(store: Store): Promise<Array<NewRowOf<typeof sales>>> {
  const rows: Array<NewRowOf<typeof sales>> = [];
  const kinds = ['sale', 'refund', 'void'];
  const stores = ['store-1', 'store-2', null];
  const labels = ['张', '王', 'apple', 'Zebra', '🧧', 'é'];
  for (let n = 1; n <= 40; n++) {
    const kind = kinds[n % 3]!;
    rows.push(
      newSale(n, {
        kind,
        storeId: stores[n % 4 === 0 ? 2 : n % 2]!,
        amount: kind === 'refund' ? -n * 125 : n * 250,
        discount: kind === 'void' ? null : n % 5 === 0 ? null : n * 3,
        label: labels[n % labels.length]!,
        at: new Date(Date.UTC(2024, 0, 1) + ((n * 7919) % 1000) * millisecondsInHour + n),
      }),
    );
  }
  rows.push(
    newSale(41, { kind: 'big', amount: MAX - 1000, discount: 0 }),
    newSale(42, { kind: 'big', amount: 1000, discount: 0 }),
  );
  for (const row of rows) await store.insert(sales, row);
  return rows;
}

/** Tests of the optional push-downs against core's fallbacks. */
/**
 * Pages through `query` with the store's own `aggregate`, `limit` groups at a time, each page equal
 * to core's fallback page; returns the pages put together.
 */
async function pageThrough(
  store: Store,
  collection: typeof sales,
  query: AggregateQuery<typeof sales>,
  limit: number,
  what: string,
): Promise<AggregateRow[]> {
  const pages: AggregateRow[] = [];
  let after: ScalarValue[] | undefined;
  for (let guard = 0; guard < 100; guard++) {
    const q = { ...query, limit, ...(after ? { after } : {}) };
    const page = await store.aggregate(collection, q);
    expect(page, `${what}: page after ${JSON.stringify(after)} with limit ${limit}`).toStrictEqual(
      await aggregateByScan(store, collection, q),
    );
    pages.push(...page);
    if (page.length < limit) break;
    const last = page[page.length - 1]!;
    after = (query.groupBy ?? []).map((f) => (last[f] as ScalarValue | undefined) ?? null);
  }
  return pages;
}

export const pushdownSuite = {
  title: 'push-downs',
  tests: {
    async 'pushdown.aggregate-equals-fallback'({ store }) {
      const pushed = store.aggregate.bind(store);
      const rows = await seedSales(store);

      const queries: Array<[string, AggregateQuery<typeof sales>]> = [
        [
          'all rows',
          {
            measures: {
              n: { fn: 'count' },
              total: { fn: 'sum', field: 'amount' },
              lo: { fn: 'min', field: 'amount' },
              hi: { fn: 'max', field: 'amount' },
            },
          },
        ],
        [
          'grouped by kind, nullable measures',
          {
            groupBy: ['kind'],
            measures: {
              n: { fn: 'count' },
              discounts: { fn: 'sum', field: 'discount' },
              minDiscount: { fn: 'min', field: 'discount' },
              first: { fn: 'min', field: 'at' },
              last: { fn: 'max', field: 'at' },
            },
          },
        ],
        [
          'grouped by a nullable key and kind',
          { groupBy: ['storeId', 'kind'], measures: { n: { fn: 'count' }, total: { fn: 'sum', field: 'amount' } } },
        ],
        [
          'text min and max by code point',
          { groupBy: ['storeId'], measures: { lo: { fn: 'min', field: 'label' }, hi: { fn: 'max', field: 'label' } } },
        ],
        [
          'filtered and grouped',
          {
            where: { amount: { gt: 0 }, storeId: { isNull: false } },
            groupBy: ['customerId'],
            measures: { n: { fn: 'count' }, total: { fn: 'sum', field: 'amount' } },
          },
        ],
        ['grouped by a timestamp', { where: { kind: 'void' }, groupBy: ['at'], measures: { n: { fn: 'count' } } }],
        [
          'a sum of exactly 2^53 - 1',
          { where: { kind: 'big' }, measures: { total: { fn: 'sum', field: 'amount' }, n: { fn: 'count' } } },
        ],
        [
          'no matching rows, no groups',
          {
            where: { kind: 'nothing' },
            measures: {
              n: { fn: 'count' },
              total: { fn: 'sum', field: 'amount' },
              lo: { fn: 'min', field: 'amount' },
              hi: { fn: 'max', field: 'label' },
            },
          },
        ],
        [
          'no matching rows, grouped',
          { where: { kind: 'nothing' }, groupBy: ['kind'], measures: { n: { fn: 'count' } } },
        ],
      ];
      for (const [what, query] of queries) {
        const expected = await aggregateByScan(store, sales, query);
        const actual = await pushed(sales, query);
        expect(actual, `aggregate push-down: ${what}`).toStrictEqual(expected);
      }

      // The fallback is core's; pin a few results independently so both cannot be wrong together.
      const [all] = await pushed(sales, queries[0]![1]);
      const total = rows.reduce((sum, r) => sum + r.amount, 0);
      expect(all, 'all rows, computed by the kit').toEqual({
        n: 42,
        total,
        lo: Math.min(...rows.map((r) => r.amount)),
        hi: MAX - 1000,
      });
      expect(await pushed(sales, queries[6]![1]), 'a sum of exactly 2^53 - 1').toStrictEqual([{ total: MAX, n: 2 }]);
      expect(await pushed(sales, queries[7]![1]), 'no rows and no groups: one row of zeros and nulls').toStrictEqual([
        { n: 0, total: 0, lo: null, hi: null },
      ]);
      expect(await pushed(sales, queries[8]![1]), 'no rows, grouped: no groups').toStrictEqual([]);
      const voids = await pushed(sales, {
        where: { kind: 'void' },
        measures: { discounts: { fn: 'sum', field: 'discount' }, lo: { fn: 'min', field: 'discount' } },
      });
      expect(voids, 'a measure over only nulls: sum 0, min null').toStrictEqual([{ discounts: 0, lo: null }]);
      const byStore = await pushed(sales, { groupBy: ['storeId'], measures: { n: { fn: 'count' } } });
      expect(
        byStore.map((g) => g['storeId']),
        'groups sorted by key, null first',
      ).toEqual([null, 'store-1', 'store-2']);

      await store.insert(customers, newCustomer(1));
      expect(await pushed(cards, { measures: { n: { fn: 'count' } } }), 'an empty collection').toStrictEqual([
        { n: 0 },
      ]);
      expect(
        await pushed(customers, { groupBy: ['active'], measures: { n: { fn: 'count' } } }),
        'grouped by a boolean',
      ).toStrictEqual(
        await aggregateByScan(store, customers, { groupBy: ['active'], measures: { n: { fn: 'count' } } }),
      );
    },

    async 'pushdown.aggregate-paging'({ store }) {
      const pushed = store.aggregate.bind(store);
      await seedSales(store);
      const measures = {
        n: { fn: 'count' },
        total: { fn: 'sum', field: 'amount' },
        last: { fn: 'max', field: 'at' },
      } as const;
      const shapes: Array<[string, AggregateQuery<typeof sales>]> = [
        ['by customer and kind', { groupBy: ['customerId', 'kind'], measures }],
        ['by label (code point order)', { groupBy: ['label'], measures }],
        [
          'by customer and timestamp, filtered',
          { where: { amount: { gt: 0 } }, groupBy: ['customerId', 'at'], measures },
        ],
        [
          'by a nullable key, nulls only on the first page',
          { where: { storeId: { isNull: false } }, groupBy: ['storeId'], measures },
        ],
      ];
      for (const [what, query] of shapes) {
        const whole = await aggregateByScan(store, sales, query);
        for (const limit of [1, 3, 10_000]) {
          expect(
            await pageThrough(store, sales, query, limit, what),
            `${what}: pages of ${limit} put together`,
          ).toStrictEqual(whole);
        }
      }
      const byStore = await pushed(sales, { groupBy: ['storeId'], measures: { n: { fn: 'count' } }, limit: 2 });
      expect(
        byStore.map((g) => g['storeId']),
        'the null group comes first on the first page',
      ).toEqual([null, 'store-1']);
      expect(
        await pushed(sales, { groupBy: ['storeId'], measures: { n: { fn: 'count' } }, after: ['store-1'] }),
        'after a key, null groups never return',
      ).toStrictEqual(
        await aggregateByScan(store, sales, {
          groupBy: ['storeId'],
          measures: { n: { fn: 'count' } },
          after: ['store-1'],
        }),
      );
      await expectCode(
        pushed(sales, { measures: { n: { fn: 'count' } }, limit: 5 }),
        'VALIDATION_FAILED',
        'paging without groupBy',
      );
      await expectCode(
        pushed(sales, { groupBy: ['kind'], measures: { n: { fn: 'count' } }, after: [null] }),
        'VALIDATION_FAILED',
        'a null after value',
      );
      await expectCode(
        pushed(sales, { groupBy: ['kind'], measures: { n: { fn: 'count' } }, limit: 0 }),
        'VALIDATION_FAILED',
        'a zero limit',
      );
    },

    async 'pushdown.aggregate-series'({ store }) {
      const pushed = store.aggregate.bind(store);
      const rows = await seedSales(store);
      // A sale before 1970 (a negative timestamp) among one customer's others.
      const early = newSale(43, {
        customerId: 'cust-001',
        kind: 'old',
        amount: -7,
        at: new Date(-3 * millisecondsInDay + 5),
      });
      await store.insert(sales, early);
      rows.push(early);
      const cutoff = new Date(Date.UTC(2024, 0, 20));
      const measures = {
        n: { fn: 'count' },
        times: { fn: 'series', field: 'at' },
        amounts: { fn: 'series', field: 'amount' },
        discounts: { fn: 'series', field: 'discount' },
        sales: { fn: 'count', where: { amount: { gt: 0 } } },
        lateTotal: { fn: 'sum', field: 'amount', where: { at: { gte: cutoff } } },
        net: { fn: 'sum', field: 'amount', minus: 'discount' },
        lateNet: { fn: 'sum', field: 'amount', minus: 'discount', where: { at: { gte: cutoff } } },
        lateTimes: { fn: 'series', field: 'at', where: { at: { gte: cutoff } } },
        firstLabel: { fn: 'min', field: 'label', where: { kind: { in: ['sale', 'refund'] } } },
        lastDiscounted: { fn: 'max', field: 'at', where: { discount: { isNull: false } } },
        everything: { fn: 'count', where: {} },
      } as const;
      const queries: Array<[string, AggregateQuery<typeof sales>]> = [
        ['all rows', { measures }],
        ['grouped by customer', { groupBy: ['customerId'], measures }],
        [
          'grouped by a nullable key and kind, filtered',
          { where: { kind: { ne: 'big' } }, groupBy: ['storeId', 'kind'], measures },
        ],
        ['grouped by the primary key', { groupBy: ['id'], measures }],
        [
          'grouped by the primary key and another field',
          { where: { amount: { lt: 0 } }, groupBy: ['kind', 'id'], measures },
        ],
        [
          'a label prefix in a measure filter',
          {
            groupBy: ['storeId'],
            measures: {
              z: { fn: 'count', where: { label: { startsWith: '张' } } },
              zTimes: { fn: 'series', field: 'at', where: { label: { startsWith: '张' } } },
            },
          },
        ],
        ['no matching rows, no groups', { where: { kind: 'nothing' }, measures }],
        ['no matching rows, grouped', { where: { kind: 'nothing' }, groupBy: ['kind'], measures }],
      ];
      for (const [what, query] of queries) {
        expect(await pushed(sales, query), `extended measures: ${what}`).toStrictEqual(
          await aggregateByScan(store, sales, query),
        );
      }
      for (const [what, query] of [queries[1]!, queries[3]!]) {
        for (const limit of [1, 4, 10_000]) {
          expect(
            await pageThrough(store, sales, query, limit, what),
            `${what}: pages of ${limit} put together`,
          ).toStrictEqual(await pushed(sales, query));
        }
      }

      // Pinned independently of core, so the fallback and the push-down cannot be wrong together.
      const mine = rows.filter((r) => r.customerId === 'cust-001');
      const [one] = await pushed(sales, { where: { customerId: 'cust-001' }, measures });
      expect(one!['times'], 'a series of timestamps: epoch milliseconds, ascending').toEqual(
        mine.map((r) => r.at.getTime()).sort((a, b) => a - b),
      );
      expect(one!['amounts'], 'a series of integers, negative ones included').toEqual(
        mine.map((r) => r.amount).sort((a, b) => a - b),
      );
      expect(one!['discounts'], 'a series leaves nulls out').toEqual(
        mine.flatMap((r) => (r.discount === null ? [] : [r.discount])).sort((a, b) => a - b),
      );
      expect(one!['sales'], 'a count with its own filter').toBe(mine.filter((r) => r.amount > 0).length);
      expect(one!['lateTotal'], 'a sum with its own filter').toBe(
        mine.filter((r) => r.at >= cutoff).reduce((t, r) => t + r.amount, 0),
      );
      expect(one!['net'], 'a net sum: each amount less its discount, a null discount as 0').toBe(
        mine.reduce((t, r) => t + r.amount - (r.discount ?? 0), 0),
      );
      expect(one!['lateNet'], 'a net sum with its own filter').toBe(
        mine.filter((r) => r.at >= cutoff).reduce((t, r) => t + r.amount - (r.discount ?? 0), 0),
      );
      const [big] = await pushed(sales, {
        where: { kind: 'big' },
        measures: { amounts: { fn: 'series', field: 'amount' } },
      });
      expect(big, 'a series holds 2^53 - 1001 exactly').toStrictEqual({ amounts: [1000, MAX - 1000] });
      const [none] = await pushed(sales, {
        where: { kind: 'nothing' },
        measures: { times: { fn: 'series', field: 'at' }, n: { fn: 'count', where: { amount: { gt: 0 } } } },
      });
      expect(none, 'no rows: an empty series and a zero count').toStrictEqual({ times: [], n: 0 });

      await expectCode(
        pushed(sales, { measures: { labels: { fn: 'series', field: 'label' } } }),
        'VALIDATION_FAILED',
        'a series of text',
      );
      await expectCode(
        pushed(sales, { measures: { n: { fn: 'max', field: 'amount', minus: 'discount' } } }),
        'VALIDATION_FAILED',
        'a max that subtracts',
      );
      await expectCode(
        pushed(sales, { measures: { n: { fn: 'sum', field: 'amount', minus: 'label' } } }),
        'VALIDATION_FAILED',
        'a sum less a text field',
      );
      await expectCode(
        pushed(sales, { measures: { n: { fn: 'count', where: { nothing: 1 } as never } } }),
        'VALIDATION_FAILED',
        'a measure filter on an unknown field',
      );
    },

    async 'pushdown.get-linked'({ store }) {
      const holder: Link<typeof accounts, typeof customers> = { field: 'customerId', target: customers };
      const redeemer: Link<typeof vouchers, typeof customers> = { field: 'redeemedBy', target: customers };
      /**
       * The push-down's answer (core's getLinked uses it), checked against the two reads it stands for on the same
       * session.
       */
      async function both<C extends CollectionSpec>(
        session: StoreSession,
        c: C,
        key: string,
        link: Link<C, typeof customers>,
        what: string,
      ) {
        const pushed = await session.getLinked(c, key, link);
        expect(pushed, `${what}: getLinked equals a get of the row, then of the row it links to`).toStrictEqual(
          await getLinkedByReads(session, c, key, link),
        );
        return pushed;
      }

      const wang = await store.insert(
        customers,
        newCustomer(1, { name: '王芳 🧧', profile: { 备注: ['a', 1] }, lastVisitAt: new Date(Date.UTC(2024, 5, 1)) }),
      );
      await store.insert(customers, newCustomer(2, { phone: '+86 139 0000 0000' }));
      const account = await store.insert(accounts, newAccount(1, MAX));
      const orphan = await store.insert(accounts, { ...newAccount(9, 0), customerId: 'cust-404' });
      await store.insert(accounts, { ...newAccount(3, 5), id: 'acct-张-🧧', customerId: 'cust-002' });

      expect(await both(store, accounts, account.id, holder, 'a linked row'), 'the row and its holder').toStrictEqual({
        row: account,
        linked: wang,
      });
      expect(
        await both(store, accounts, orphan.id, holder, 'a link to no row'),
        'a link naming no row links nothing',
      ).toStrictEqual({ row: orphan, linked: undefined });
      expect(
        (await both(store, accounts, 'acct-张-🧧', holder, 'a key in Chinese and emoji'))?.linked?.phone,
        'a key in Chinese and emoji',
      ).toBe('+86 139 0000 0000');
      expect(await both(store, accounts, 'acct-404', holder, 'no such row'), 'no such row').toBeUndefined();

      const unused = await store.insert(vouchers, newVoucher(1));
      const used = await store.insert(vouchers, {
        ...newVoucher(2),
        status: 'redeemed',
        redeemedBy: 'cust-002',
        redeemedAt: new Date(Date.UTC(2024, 0, 2)),
      });
      expect(
        await both(store, vouchers, unused.id, redeemer, 'a null link'),
        'a null link links nothing',
      ).toStrictEqual({ row: unused, linked: undefined });
      expect(
        (await both(store, vouchers, used.id, redeemer, 'a nullable link'))?.linked?.id,
        'a nullable link that is set',
      ).toBe('cust-002');

      await store.transaction(async (tx) => {
        await tx.update(customers, 'cust-001', { tier: 'gold' });
        await tx.insert(customers, newCustomer(5));
        await tx.update(accounts, orphan.id, { customerId: 'cust-005' });
        expect(
          (await both(tx, accounts, account.id, holder, 'inside a transaction'))?.linked?.tier,
          'a transaction reads its own write of the linked row',
        ).toBe('gold');
        expect(
          (await both(tx, accounts, orphan.id, holder, 'a link changed inside a transaction'))?.linked?.id,
          'a transaction follows its own new link',
        ).toBe('cust-005');
      });
      expect(
        (await store.getLinked(accounts, orphan.id, holder))?.linked?.version,
        'core getLinked after the commit',
      ).toBe(1);

      await expectCode(
        store.getLinked(accounts, account.id, { field: 'balance', target: customers } as never),
        'VALIDATION_FAILED',
        'a link through an integer field',
      );
      await expectCode(
        store.getLinked(accounts, account.id, { field: 'nothing', target: customers } as never),
        'VALIDATION_FAILED',
        'a link through an unknown field',
      );
    },

    async 'pushdown.consume-many'(h) {
      const { store } = h;
      const many = store.consumeMany.bind(store);
      const at = new Date(Date.UTC(2024, 2, 3, 4, 5, 6, 7));
      for (let n = 1; n <= 6; n++) await store.insert(vouchers, newVoucher(n));
      await store.update(vouchers, 'vch-002', { status: 'redeemed', redeemedBy: 'cust-9', redeemedAt: at });
      const take = (n: number, by: string): ConditionalWrite<typeof vouchers> => ({
        key: `vch-00${n}`,
        when: { status: 'active' },
        set: { status: 'redeemed', redeemedBy: by, redeemedAt: at },
      });
      expect(await many(vouchers, []), 'an empty batch').toEqual([]);

      const applied = await many(vouchers, [
        take(1, '张伟 🧧'),
        take(2, 'late'),
        take(7, 'nobody'),
        // Conditions other than plain equality, and a write of a uniquely indexed field, take the store's other path.
        {
          key: 'vch-003',
          when: { status: { in: ['active', 'held'] }, redeemedBy: { isNull: true } },
          set: { redeemedBy: 'cust-3' },
        },
        { key: 'vch-004', when: { code: 'V-004' }, set: { code: 'V-004-B' } },
        { key: 'vch-005', when: { status: 'active', code: 'V-005' }, set: { status: 'cancelled', redeemedAt: null } },
      ]);
      expect(
        applied,
        'the keys written, in the order of the writes; not the used voucher, not the missing one',
      ).toEqual(['vch-001', 'vch-003', 'vch-004', 'vch-005']);
      expect(
        await store.get(vouchers, 'vch-001'),
        'a written row, text and instant exact, version bumped',
      ).toStrictEqual({
        id: 'vch-001',
        code: 'V-001',
        status: 'redeemed',
        redeemedBy: '张伟 🧧',
        redeemedAt: at,
        version: 2,
      });
      expect(await store.get(vouchers, 'vch-002'), 'a row that no longer matched is as it was').toMatchObject({
        redeemedBy: 'cust-9',
        version: 2,
      });
      expect(await store.get(vouchers, 'vch-003'), 'a write under an in condition').toMatchObject({
        status: 'active',
        redeemedBy: 'cust-3',
        version: 2,
      });
      expect((await store.get(vouchers, 'vch-004'))?.code, 'a write of a unique field').toBe('V-004-B');
      expect(await store.get(vouchers, 'vch-005'), 'a write of null').toMatchObject({
        status: 'cancelled',
        redeemedAt: null,
      });
      expect(await store.get(vouchers, 'vch-006'), 'a row no write named').toMatchObject({
        status: 'active',
        version: 1,
      });
      await expectStored(h, vouchers, 'vch-001', ['张伟 🧧']);

      // The same batch again: every row moved on, so nothing is written.
      expect(await many(vouchers, [take(1, 'again')]), 'a write whose condition no longer holds').toEqual([]);
      // A batch with a bad write or one row named twice is refused whole.
      await expectCode(
        many(vouchers, [take(6, 'x'), { key: 'vch-005', when: { status: 'cancelled' }, set: { nothing: 1 } as never }]),
        'VALIDATION_FAILED',
        'a batch with a write of an unknown field',
      );
      await expectCode(
        many(vouchers, [take(6, 'x'), take(6, 'y')]),
        'VALIDATION_FAILED',
        'a batch naming one row twice',
      );
      await expectConflict(
        many(vouchers, [take(6, 'x'), { key: 'vch-005', when: { status: 'cancelled' }, set: { code: 'V-001' } }]),
        'unique',
        'a batch whose write clashes on a unique index',
      );
      expect(await store.get(vouchers, 'vch-006'), 'nothing of the refused batches is written').toMatchObject({
        status: 'active',
        redeemedBy: null,
        version: 1,
      });

      // Inside a transaction: written with it, gone with its rollback; core's consumeMany takes the push-down.
      await store
        .transaction(async (tx) => {
          expect(await tx.consumeMany(vouchers, [take(6, 'tx')]), 'inside a transaction').toEqual(['vch-006']);
          expect((await tx.get(vouchers, 'vch-006'))?.redeemedBy, 'the transaction reads its own write').toBe('tx');
          throw new Error('rolled back');
        })
        .catch(() => undefined);
      expect(await store.get(vouchers, 'vch-006'), 'a rolled-back batch leaves nothing').toMatchObject({
        status: 'active',
        version: 1,
      });

      // More writes than one statement carries: every one applied exactly once.
      const sales = Array.from({ length: 5_050 }, (_, i) => newSale(1000 + i, { amount: i }));
      await store.insertMany(salesCollection, sales);
      const keys = await many(
        salesCollection,
        sales.map((row, i) => ({
          key: row.id,
          when: { amount: i },
          set: { amount: i + 1, label: i % 2 ? '王' : 'é' },
        })),
      );
      expect(keys.length, 'every one of 5,050 writes').toBe(5_050);
      expect(await store.count(salesCollection, { label: '王' }), 'half of them with one label').toBe(2_525);
      expect((await store.get(salesCollection, sales[5_049]!.id))?.amount, 'the last write').toBe(5_050);
    },

    async 'pushdown.delete-many'(h) {
      const { store } = h;
      const many = store.deleteMany.bind(store);
      for (let n = 1; n <= 6; n++)
        await store.insert(customers, newCustomer(n, { name: n === 2 ? '张伟 🧧' : `Customer ${n}` }));
      await store.insert(customers, { ...newCustomer(7), id: '客户-🧧' });
      expect(await many(customers, []), 'an empty list').toEqual([]);
      expect(
        await many(customers, ['cust-004', 'cust-404', 'cust-002', '客户-🧧']),
        'the keys deleted, in the order given; not the missing one',
      ).toEqual(['cust-004', 'cust-002', '客户-🧧']);
      expect(await store.count(customers), 'the others stay').toBe(4);
      await expectNotStored(h, customers, 'cust-002');
      await expectCode(many(customers, ['cust-001', 'cust-001']), 'VALIDATION_FAILED', 'a list naming one row twice');
      expect(await store.get(customers, 'cust-001'), 'nothing of a refused list is deleted').toBeDefined();

      // Inside a transaction: gone for it at once, back with its rollback.
      await store
        .transaction(async (tx) => {
          expect(await tx.deleteMany(customers, ['cust-001', 'cust-003']), 'inside a transaction').toEqual([
            'cust-001',
            'cust-003',
          ]);
          expect(await tx.get(customers, 'cust-001'), 'the transaction sees its own delete').toBeUndefined();
          throw new Error('rolled back');
        })
        .catch(() => undefined);
      expect(await store.count(customers), 'a rolled-back list deletes nothing').toBe(4);

      // More keys than one statement carries.
      const sales = Array.from({ length: 5_050 }, (_, i) => newSale(2000 + i));
      await store.insertMany(salesCollection, sales);
      expect(
        (
          await many(
            salesCollection,
            sales.map((r) => r.id),
          )
        ).length,
        'every one of 5,050 keys',
      ).toBe(5_050);
      expect(await store.count(salesCollection), 'no sale left').toBe(0);
    },

    async 'pushdown.insert-many'(h) {
      const { store } = h;
      const bulk = store.insertMany.bind(store);
      expect(await bulk(sales, []), 'an empty batch').toBe(0);

      const batch = Array.from({ length: 250 }, (_, i) =>
        newSale(i + 1, {
          label: i % 2 ? '张伟' : '🧧',
          amount: i === 7 ? MAX : i === 8 ? -MAX : i,
          payload: i % 3 ? null : { i, 名: ['a', 1] },
          storeId: i % 4 ? 's' : null,
        }),
      );
      expect(await bulk(sales, batch), 'insertMany returns how many rows it stored').toBe(250);
      expect(await store.count(sales), 'every row is stored').toBe(250);
      for (const i of [0, 7, 8, 249]) {
        expect(await store.get(sales, batch[i]!.id), `row ${i} reads back exactly`).toStrictEqual(batch[i]);
      }
      await expectRawCount(h, sales, 250);
      await expectStored(h, sales, batch[7]!.id, [MAX, '张伟']);

      const clashOnKey = Array.from({ length: 10 }, (_, i) => newSale(300 + i));
      clashOnKey[6] = newSale(5);
      await expectConflict(bulk(sales, clashOnKey), 'primary_key', 'a batch holding a taken primary key');
      expect(await store.count(sales), 'a batch with a clash stores nothing').toBe(250);
      expect(await store.get(sales, 'sale-300'), 'rows before the clash are not stored').toBeUndefined();
      await expectNotStored(h, sales, 'sale-300');
      await expectRawCount(h, sales, 250);

      await store.insert(cards, newCard('card-0', 'cust-0', 'prog', 'N-0'));
      const clashInside = [
        newCard('card-1', 'cust-1', 'prog', 'N-1'),
        newCard('card-2', 'cust-2', 'prog', 'N-2'),
        newCard('card-3', 'cust-3', 'prog', 'N-1'),
      ];
      await expectConflict(bulk(cards, clashInside), 'unique', 'a batch clashing with itself on a unique index');
      await expectConflict(
        bulk(cards, [newCard('card-4', 'cust-4', 'prog', 'N-0')]),
        'unique',
        'a batch clashing with a stored unique value',
      );
      expect(await store.count(cards), 'no card from the failed batches').toBe(1);

      const invalid = [newSale(400), { ...newSale(401), amount: 1.5 }];
      await expectCode(bulk(sales, invalid as never), 'VALIDATION_FAILED', 'a batch with an invalid row');
      expect(await store.get(sales, 'sale-400'), 'the valid row of an invalid batch is not stored').toBeUndefined();

      const versioned = [newCustomer(1), newCustomer(2)];
      expect(await bulk(customers, versioned), 'a versioned batch').toBe(2);
      expect(await store.get(customers, 'cust-002'), 'bulk-inserted versioned rows start at version 1').toStrictEqual({
        ...newCustomer(2),
        version: 1,
      });
      expect(
        await store.count(sales, { id: { in: ['sale-400', 'sale-401'] } }),
        'nothing of the invalid batch is stored',
      ).toBe(0);
    },
  },
} satisfies Suite;
