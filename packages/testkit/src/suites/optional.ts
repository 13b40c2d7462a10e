/**
 * Column projections, and the optional operations every store and every transaction session must
 * offer, pushed down or not: the checks that hold whatever the store declares.
 */
import { aggregateByScan, getLinkedByReads } from '@clientele/core/adapter';
import type { FindQuery, Link, Page, Store, StoreSession } from '@clientele/core/adapter';
import { expect } from 'vitest';
import { expectCode } from '../assertions.js';
import { accounts, customers, newAccount, newCustomer, newSale, newVoucher, sales, vouchers } from '../fixtures.js';
import type { Suite } from '../harness.js';

const OPTIONAL = ['aggregate', 'getLinked', 'consumeMany', 'deleteMany', 'insertMany'] as const;

/** Every page of `query`, following `next` (at most 100 pages). */
async function pages(
  session: StoreSession,
  query: FindQuery<typeof sales, keyof typeof sales.fields & string>,
): Promise<Array<Page<Record<string, unknown>>>> {
  const out: Array<Page<Record<string, unknown>>> = [];
  let after: string | null = null;
  do {
    const page: Page<Record<string, unknown>> = await session.find(sales, { ...query, after });
    out.push(page);
    expect(out.length, 'paging never ends').toBeLessThan(100);
    after = page.next;
  } while (after !== null);
  return out;
}

/** The row with only `fields`. */
function pick(row: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(fields.map((f) => [f, row[f]]));
}

/** Checks that `session` has every optional operation and that each gives what core's fallback gives. */
async function expectOptionalOperations(session: StoreSession, where: string, tag: string): Promise<void> {
  for (const name of OPTIONAL)
    expect(
      typeof session[name],
      `${where}.${name} is missing: every store has every optional operation (defineStore supplies the fallback)`,
    ).toBe('function');
  const rows = [1, 2, 3].map((n) => newSale(n, { id: `${tag}-sale-${n}`, customerId: `${tag}-cust`, amount: n * 10 }));
  expect(await session.insertMany(sales, rows), `${where}.insertMany returns how many rows it stored`).toBe(3);
  expect(await session.insertMany(sales, []), `${where}.insertMany of no rows`).toBe(0);
  expect(await session.count(sales, { customerId: `${tag}-cust` }), `${where}.insertMany stores every row`).toBe(3);

  const query = {
    where: { customerId: `${tag}-cust` },
    groupBy: ['kind'],
    measures: { n: { fn: 'count' }, total: { fn: 'sum', field: 'amount' } },
  } as const;
  expect(await session.aggregate(sales, query), `${where}.aggregate equals core's fallback`).toStrictEqual([
    { kind: 'sale', n: 3, total: 60 },
  ]);
  expect(await session.aggregate(sales, query), `${where}.aggregate equals aggregateByScan`).toStrictEqual(
    await aggregateByScan(session, sales, query),
  );

  await session.insert(customers, newCustomer(1, { id: `${tag}-cust`, code: `${tag}-code`, phone: null }));
  await session.insert(accounts, { ...newAccount(1, 5), id: `${tag}-acct`, customerId: `${tag}-cust` });
  const holder: Link<typeof accounts, typeof customers> = { field: 'customerId', target: customers };
  const linked = await session.getLinked(accounts, `${tag}-acct`, holder);
  expect(linked?.linked?.id, `${where}.getLinked finds the linked row`).toBe(`${tag}-cust`);
  expect(linked, `${where}.getLinked equals two reads`).toStrictEqual(
    await getLinkedByReads(session, accounts, `${tag}-acct`, holder),
  );
  expect(
    await session.getLinked(accounts, `${tag}-none`, holder),
    `${where}.getLinked of a missing row`,
  ).toBeUndefined();

  for (const n of [1, 2])
    await session.insert(vouchers, { ...newVoucher(n), id: `${tag}-vch-${n}`, code: `${tag}-code-${n}` });
  const taken = await session.consumeMany(vouchers, [
    { key: `${tag}-vch-1`, when: { status: 'active' }, set: { status: 'redeemed' } },
    { key: `${tag}-vch-2`, when: { status: 'redeemed' }, set: { status: 'void' } },
  ]);
  expect(taken, `${where}.consumeMany writes only the rows whose condition holds`).toEqual([`${tag}-vch-1`]);
  expect((await session.get(vouchers, `${tag}-vch-2`))?.status, `${where}.consumeMany leaves the others`).toBe(
    'active',
  );

  expect(
    await session.deleteMany(sales, [`${tag}-sale-2`, `${tag}-sale-9`, `${tag}-sale-1`]),
    `${where}.deleteMany returns the keys deleted, in order`,
  ).toEqual([`${tag}-sale-2`, `${tag}-sale-1`]);
  expect(await session.count(sales, { customerId: `${tag}-cust` }), `${where}.deleteMany deletes exactly those`).toBe(
    1,
  );
}

/** Tests of projections and of the optional operations on every session. */
export const optionalSuite = {
  title: 'projections and optional operations',
  tests: {
    async 'find.select'({ store }) {
      for (let n = 1; n <= 23; n++) {
        await store.insert(
          sales,
          newSale(n, {
            amount: (n * 37) % 11,
            discount: n % 3 ? null : n,
            label: n % 2 ? '张伟 🧧' : `é ${n}`,
            payload: n % 4 ? null : { n, 名: ['a', n] },
          }),
        );
      }
      const order = [{ field: 'amount', direction: 'desc' }] as const;
      const whole = await pages(store, { orderBy: order, limit: 4 });
      const wholeRows = whole.flatMap((p) => p.rows);
      expect(wholeRows.length, 'every row, unprojected').toBe(23);
      for (const select of [['label', 'payload'], ['id'], ['discount', 'at', 'customerId']] as const) {
        // Ordered by a field not selected: the cursor still has what it needs.
        const projected = await pages(store, { orderBy: order, limit: 4, select });
        const rows = projected.flatMap((p) => p.rows);
        expect(projected.length, `select ${select.join(', ')}: as many pages as without it`).toBe(whole.length);
        expect(
          rows,
          `select ${select.join(', ')}: the same rows in the same order, only the selected fields`,
        ).toStrictEqual(wholeRows.map((r) => pick(r, select)));
        for (const row of rows)
          expect(Object.keys(row).sort(), 'a projected row holds exactly the selected fields, nulls included').toEqual(
            [...select].sort(),
          );
      }
      const filtered = await store.find(sales, {
        where: { amount: { gte: 5 }, discount: { isNull: true } },
        select: ['id'],
        limit: 100,
      });
      const expected = wholeRows
        .filter((r) => (r['amount'] as number) >= 5 && r['discount'] === null)
        .map((r) => r['id'])
        .sort();
      expect(filtered.rows.map((r) => r.id).sort(), 'a filter on fields not selected').toEqual(expected);

      await store.insert(
        customers,
        newCustomer(1, {
          lastVisitAt: new Date(Date.UTC(1969, 11, 31, 23, 59, 59, 999)),
          profile: { 备注: [true, null] },
        }),
      );
      const [customer] = (await store.find(customers, { select: ['active', 'lastVisitAt', 'profile', 'version'] }))
        .rows;
      expect(customer, 'projected booleans, timestamps, JSON and the version decode as whole rows do').toStrictEqual({
        active: true,
        lastVisitAt: new Date(Date.UTC(1969, 11, 31, 23, 59, 59, 999)),
        profile: { 备注: [true, null] },
        version: 1,
      });

      await store.transaction(async (tx) => {
        await tx.update(customers, 'cust-001', { name: '王芳' });
        const { rows } = await tx.find(customers, { where: { id: 'cust-001' }, select: ['name', 'version'] });
        expect(rows, 'a projection inside a transaction sees its own writes').toStrictEqual([
          { name: '王芳', version: 2 },
        ]);
      });

      await expectCode(store.find(sales, { select: [] }), 'VALIDATION_FAILED', 'an empty select');
      await expectCode(
        store.find(sales, { select: ['nothing' as 'id'] }),
        'VALIDATION_FAILED',
        'a select of an unknown field',
      );
      await expectCode(store.find(sales, { select: ['id', 'id'] }), 'VALIDATION_FAILED', 'a field selected twice');
    },

    async 'optional.on-every-session'({ store }) {
      await expectOptionalOperations(store, 'store', 'outside');
      await store.transaction((tx) => expectOptionalOperations(tx, 'transaction session', 'inside'));
      expect(
        await store.count(sales, { customerId: 'inside-cust' }),
        'the transaction committed its optional writes',
      ).toBe(1);
      await store
        .transaction(async (tx) => {
          await tx.insertMany(sales, [newSale(90, { id: 'rolled-back' })]);
          await tx.deleteMany(sales, ['outside-sale-3']);
          throw new Error('rolled back');
        })
        .catch(() => undefined);
      expect(await store.get(sales, 'rolled-back'), 'a rolled-back insertMany leaves nothing').toBeUndefined();
      expect(await store.get(sales, 'outside-sale-3'), 'a rolled-back deleteMany deletes nothing').toBeDefined();
      // A clash inside a transaction undoes the whole insertMany and leaves the transaction usable, as a
      // bulk import relies on when it writes first and reads only after a clash.
      await store.transaction(async (tx) => {
        await expectCode(
          tx.insertMany(sales, [newSale(91, { id: 'before-clash' }), newSale(92, { id: 'outside-sale-3' })]),
          'CONFLICT',
          'an insertMany inside a transaction holding a taken key',
        );
        expect(await tx.get(sales, 'before-clash'), 'a clashing insertMany stores none of its rows').toBeUndefined();
        await tx.insert(sales, newSale(93, { id: 'after-clash' }));
      });
      expect(
        await store.get(sales, 'after-clash'),
        'the transaction goes on after a clashing insertMany',
      ).toBeDefined();
      expect(await store.get(sales, 'before-clash'), 'and commits none of its rows').toBeUndefined();
    },
  },
} satisfies Suite;

/** For a store, whether every optional operation exists on it (a quick check, without data). */
export function missingOptional(store: Store): string[] {
  return OPTIONAL.filter((name) => typeof store[name] !== 'function');
}
