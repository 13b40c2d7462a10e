/** Single-row reads and writes, validation, and the store's declared capabilities. */
import type { NewRowOf } from '@clientele/core/adapter';
import { expect } from 'vitest';
import { expectCode, expectConflict } from '../assertions.js';
import { cards, customers, newCard, newCustomer, newSale, sales } from '../fixtures.js';
import type { Suite } from '../harness.js';
import { expectNotStored, expectRawCount, expectStored } from '../probe-checks.js';
import { missingOptional } from './optional.js';

const CODE_INDEX = 'testkit_customers_code';
const HOLDER_INDEX = 'testkit_cards_holder';

const CAPABILITY_FLAGS = ['aggregate', 'insertMany', 'multiProcess', 'jsonColumns', 'migrationLock'] as const;

/** Tests of single-row reads and writes, validation and declared capabilities. */
export const crudSuite = {
  title: 'rows',
  tests: {
    async 'capabilities.declared'({ store }) {
      expect(typeof store.kind, 'store.kind').toBe('string');
      expect(store.kind.length, 'store.kind is empty').toBeGreaterThan(0);
      for (const flag of CAPABILITY_FLAGS) {
        expect(typeof store.capabilities[flag], `capabilities.${flag} must be a boolean`).toBe('boolean');
      }
      for (const flag of ['aggregatePaging', 'aggregateSeries', 'getLinked', 'consumeMany', 'deleteMany'] as const) {
        // Optional flags (added after the first adapters): when declared, booleans.
        if (store.capabilities[flag] !== undefined)
          expect(typeof store.capabilities[flag], `capabilities.${flag} must be a boolean`).toBe('boolean');
      }
      if (store.capabilities.aggregatePaging)
        expect(store.capabilities.aggregate, 'capabilities.aggregatePaging needs capabilities.aggregate').toBe(true);
      if (store.capabilities.aggregateSeries)
        expect(store.capabilities.aggregate, 'capabilities.aggregateSeries needs capabilities.aggregate').toBe(true);
      // Every optional operation exists whatever the flags say: defineStore supplies core's fallback.
      expect(missingOptional(store), 'optional operations missing from the store (build it with defineStore)').toEqual(
        [],
      );
    },

    async 'crud.insert-get'(h) {
      const { store } = h;
      const row = newCustomer(1, {
        name: '李娜',
        tier: 'gold',
        points: 1250,
        phone: '+86 138 0013 8000',
        note: 'first visit',
        profile: { channel: 'pos' },
      });
      const inserted = await store.insert(customers, row);
      expect(inserted, 'insert returns the stored row with version 1').toEqual({ ...row, version: 1 });
      const got = await store.get(customers, row.id);
      expect(got, 'get returns the row as inserted').toEqual({ ...row, version: 1 });
      expect(got!.joinedAt, 'timestamps come back as Date').toBeInstanceOf(Date);

      // Nullable fields may be left out of an insert: they are stored as null.
      const { phone: _phone, note: _note, lastVisitAt: _last, profile: _profile, ...required } = newCustomer(2);
      await store.insert(customers, required as NewRowOf<typeof customers>);
      const sparse = await store.get(customers, required.id);
      expect(sparse, 'omitted nullable fields read back as null').toEqual({
        ...required,
        phone: null,
        note: null,
        lastVisitAt: null,
        profile: null,
        version: 1,
      });

      expect(await store.get(customers, 'cust-missing'), 'get of a missing key').toBeUndefined();

      await expectStored(h, customers, row.id, [
        row.id,
        row.code,
        '李娜',
        'gold',
        1250,
        '+86 138 0013 8000',
        'first visit',
      ]);
      await expectStored(h, customers, required.id, [required.id, required.code]);
      await expectRawCount(h, customers, 2);
    },

    async 'crud.update-delete'(h) {
      const { store } = h;
      const row = newCustomer(1, { name: '周杰', points: 100, note: 'before' });
      await store.insert(customers, row);
      await store.insert(customers, newCustomer(2));

      const updated = await store.update(customers, row.id, { points: 150, note: null, name: '周杰伦' });
      expect(updated, 'update returns the patched row with version 2').toEqual({
        ...row,
        points: 150,
        note: null,
        name: '周杰伦',
        version: 2,
      });
      expect(await store.get(customers, row.id), 'get after update').toEqual(updated);
      expect(await store.get(customers, 'cust-002'), 'other rows are untouched').toEqual({
        ...newCustomer(2),
        version: 1,
      });
      await expectStored(h, customers, row.id, ['周杰伦', 150]);

      await expectCode(store.update(customers, 'cust-missing', { points: 1 }), 'NOT_FOUND', 'update of a missing row');
      expect(await store.get(customers, 'cust-missing'), 'update of a missing row creates nothing').toBeUndefined();

      // Unversioned collections update too, without a version field appearing.
      await store.insert(sales, newSale(1));
      expect(await store.update(sales, 'sale-001', { amount: 4200 }), 'update of an unversioned row').toEqual({
        ...newSale(1),
        amount: 4200,
      });

      expect(await store.delete(customers, row.id), 'delete of an existing row returns true').toBe(true);
      expect(await store.get(customers, row.id), 'get after delete').toBeUndefined();
      expect(await store.delete(customers, row.id), 'a second delete returns false').toBe(false);
      expect(await store.count(customers), 'count after delete').toBe(1);
      await expectNotStored(h, customers, row.id);
      await expectRawCount(h, customers, 1);
    },

    async 'crud.get-by-unique'(h) {
      const { store } = h;
      await store.insert(customers, newCustomer(1, { code: 'C-A' }));
      await store.insert(customers, newCustomer(2, { code: 'C-B' }));
      expect(await store.getBy(customers, CODE_INDEX, { code: 'C-B' }), 'getBy on a unique index').toEqual({
        ...newCustomer(2, { code: 'C-B' }),
        version: 1,
      });
      expect(await store.getBy(customers, CODE_INDEX, { code: 'C-Z' }), 'getBy with no match').toBeUndefined();

      await store.update(customers, 'cust-002', { code: 'C-C' });
      expect(
        await store.getBy(customers, CODE_INDEX, { code: 'C-B' }),
        'getBy with the value before an update',
      ).toBeUndefined();
      expect(
        (await store.getBy(customers, CODE_INDEX, { code: 'C-C' }))?.id,
        'getBy with the value after an update',
      ).toBe('cust-002');
      await store.delete(customers, 'cust-001');
      expect(await store.getBy(customers, CODE_INDEX, { code: 'C-A' }), 'getBy after delete').toBeUndefined();

      await store.insert(cards, newCard('card-1', 'cust-001', 'prog-a', null));
      await store.insert(cards, newCard('card-2', 'cust-001', 'prog-b', null));
      await store.insert(cards, newCard('card-3', 'cust-002', 'prog-a', null));
      expect(
        await store.getBy(cards, HOLDER_INDEX, { customerId: 'cust-001', programId: 'prog-b' }),
        'getBy on a composite unique index',
      ).toEqual(newCard('card-2', 'cust-001', 'prog-b', null));
      expect(
        await store.getBy(cards, HOLDER_INDEX, { customerId: 'cust-002', programId: 'prog-b' }),
        'getBy on a composite index with no match',
      ).toBeUndefined();
      await expectStored(h, cards, 'card-2', ['cust-001', 'prog-b']);
    },

    async 'crud.count'(h) {
      const { store } = h;
      expect(await store.count(cards), 'count of an empty collection').toBe(0);
      for (let n = 1; n <= 12; n++)
        await store.insert(
          sales,
          newSale(n, { kind: n % 3 === 0 ? 'refund' : 'sale', storeId: n % 2 === 0 ? 'store-1' : null }),
        );
      expect(await store.count(sales), 'count of all rows').toBe(12);
      expect(await store.count(sales, { kind: 'refund' }), 'count with eq').toBe(4);
      expect(await store.count(sales, { amount: { gte: 500, lt: 1000 } }), 'count with a range').toBe(5);
      expect(await store.count(sales, { kind: 'sale', storeId: 'store-1' }), 'count with two fields').toBe(4);
      expect(await store.count(sales, { kind: 'void' }), 'count with no match').toBe(0);
      await store.delete(sales, 'sale-003');
      expect(await store.count(sales, { kind: 'refund' }), 'count after delete').toBe(3);
      await expectRawCount(h, sales, 11);
    },

    async 'crud.returns-copies'({ store }) {
      const input = newCustomer(1, { profile: { tags: ['a'] }, lastVisitAt: new Date('2024-05-01T08:00:00.000Z') });
      const inserted = await store.insert(customers, input);
      (input.profile as { tags: string[] }).tags.push('mutated input');
      input.name = 'mutated input';
      (inserted.profile as { tags: string[] }).tags.push('mutated result');
      inserted.lastVisitAt!.setTime(0);

      const got = await store.get(customers, 'cust-001');
      expect(got!.profile, 'stored JSON is not shared with the input or the result').toEqual({ tags: ['a'] });
      expect(got!.name, 'stored text is not shared with the input').toBe('Customer 1');
      expect(got!.lastVisitAt!.toISOString(), 'stored Date is not shared with the result').toBe(
        '2024-05-01T08:00:00.000Z',
      );

      (got!.profile as { tags: string[] }).tags.length = 0;
      got!.joinedAt.setTime(0);
      const again = await store.get(customers, 'cust-001');
      expect(again!.profile, 'a row from get is a copy').toEqual({ tags: ['a'] });
      expect(again!.joinedAt.getTime(), 'a Date from get is a copy').toBe(newCustomer(1).joinedAt.getTime());
    },

    async 'crud.failed-write-changes-nothing'(h) {
      const { store } = h;
      const a = await store.insert(customers, newCustomer(1, { code: 'C-A', name: '陈静' }));
      const b = await store.insert(customers, newCustomer(2, { code: 'C-B' }));

      await expectConflict(
        store.update(customers, b.id, { code: 'C-A', name: 'clash' }),
        'unique',
        'update onto a taken code',
      );
      expect(await store.get(customers, b.id), 'a failed update changes nothing').toEqual(b);

      await expectCode(
        store.update(customers, a.id, { points: 1.5 } as never),
        'VALIDATION_FAILED',
        'update with a non-integer',
      );
      await expectConflict(
        store.update(customers, a.id, { name: 'stale' }, { expectVersion: 7 }),
        'version',
        'update with a stale version',
      );
      expect(await store.get(customers, a.id), 'failed updates change nothing').toEqual(a);

      await expectConflict(
        store.insert(customers, newCustomer(3, { code: 'C-A', name: 'never stored' })),
        'unique',
        'insert with a taken code',
      );
      expect(await store.get(customers, 'cust-003'), 'a failed insert leaves no row').toBeUndefined();
      expect(await store.count(customers), 'count after failed writes').toBe(2);
      await expectNotStored(h, customers, 'cust-003');
      await expectRawCount(h, customers, 2);
      await expectStored(h, customers, a.id, ['陈静', 'C-A']);
    },

    async 'validation.rejects-invalid-rows'(h) {
      const { store } = h;
      const bad: Array<[string, Record<string, unknown>]> = [
        ['a missing required field', { ...newCustomer(1), name: undefined }],
        ['text in an integer field', { ...newCustomer(2), points: '10' }],
        ['a fraction in an integer field', { ...newCustomer(3), points: 1.5 }],
        ['an unsafe integer', { ...newCustomer(4), points: 2 ** 53 }],
        ['null in a non-nullable field', { ...newCustomer(5), tier: null }],
        ['an unknown field', { ...newCustomer(6), shoeSize: 42 }],
        ['a managed version', { ...newCustomer(7), version: 5 }],
        ['an invalid Date', { ...newCustomer(8), joinedAt: new Date(Number.NaN) }],
        ['a string in a timestamp field', { ...newCustomer(9), joinedAt: '2024-01-01T00:00:00.000Z' }],
        ['a number in a boolean field', { ...newCustomer(10), active: 1 }],
        ['a non-JSON value in a JSON field', { ...newCustomer(11), profile: { at: new Date(0) } }],
      ];
      for (const [what, row] of bad) {
        await expectCode(store.insert(customers, row as never), 'VALIDATION_FAILED', `insert with ${what}`);
      }
      expect(await store.count(customers), 'rejected inserts store nothing').toBe(0);
      await expectRawCount(h, customers, 0);

      const good = await store.insert(customers, newCustomer(20));
      const badPatches: Array<[string, Record<string, unknown>]> = [
        ['a primary key change', { id: 'cust-999' }],
        ['a version', { version: 9 }],
        ['an unknown field', { shoeSize: 42 }],
        ['null in a non-nullable field', { name: null }],
        ['an unsafe integer', { points: -(2 ** 53) }],
      ];
      for (const [what, patch] of badPatches) {
        await expectCode(store.update(customers, good.id, patch as never), 'VALIDATION_FAILED', `update with ${what}`);
      }
      expect(await store.get(customers, good.id), 'rejected patches change nothing').toEqual(good);
      expect(await store.get(customers, 'cust-999'), 'no row under the attempted new key').toBeUndefined();
    },
  },
} satisfies Suite;
