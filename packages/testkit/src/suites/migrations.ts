/** Migrations: idempotent, versioned by id, serialised, and harmless when one fails. */
import { expect } from 'vitest';
import { expectConflict, rejection } from '../assertions.js';
import {
  customers,
  customersWithNickname,
  fixtureMigrations,
  newCustomer,
  newSale,
  nicknameMigration,
  notes,
  notesMigration,
  sales,
  uniqueLabelMigration,
} from '../fixtures.js';
import type { Suite } from '../harness.js';
import { expectStored } from '../probe-checks.js';

const fixtureIds = fixtureMigrations.map((m) => m.id);

/** Tests of repeated, later, concurrent and failing migrations. */
export const migrationsSuite = {
  title: 'migrations',
  tests: {
    async 'migrate.idempotent'(h) {
      const { store } = h;
      const first = await store.insert(customers, newCustomer(1, { name: '杨过' }));
      await store.insert(sales, newSale(1));

      expect(await store.migrate(fixtureMigrations), 'migrating again applies nothing').toEqual({
        applied: [],
        skipped: fixtureIds,
      });
      expect(await store.get(customers, first.id), 'data survives a repeated migrate').toEqual(first);
      expect(await store.count(sales), 'data survives a repeated migrate').toBe(1);

      const later = await store.migrate([...fixtureMigrations, nicknameMigration, notesMigration]);
      expect(later, 'only the new migrations apply, in order').toEqual({
        applied: [nicknameMigration.id, notesMigration.id],
        skipped: fixtureIds,
      });
      expect(await store.get(customersWithNickname, first.id), 'an added field is null on existing rows').toEqual({
        ...first,
        nickname: null,
      });

      const second = { ...newCustomer(2), nickname: '小龙女' };
      expect(await store.insert(customersWithNickname, second), 'a row with the added field').toEqual({
        ...second,
        version: 1,
      });
      expect(
        (await store.find(customersWithNickname, { where: { nickname: '小龙女' } })).rows.map((r) => r.id),
        'filter on the added field',
      ).toEqual([second.id]);
      expect(
        (await store.getBy(customersWithNickname, 'testkit_customers_nickname', { nickname: '小龙女' }))?.id,
        'getBy on the added unique index',
      ).toBe(second.id);
      await expectConflict(
        store.insert(customersWithNickname, { ...newCustomer(3), nickname: '小龙女' }),
        'unique',
        'the added unique index is enforced',
      );
      const renamed = await store.update(customersWithNickname, first.id, { nickname: '过儿' });
      expect(renamed, 'update of the added field').toEqual({ ...first, nickname: '过儿', version: 2 });

      await store.insert(notes, { id: 'note-1', body: '第一条' });
      expect(await store.get(notes, 'note-1'), 'a collection created by a later migration').toEqual({
        id: 'note-1',
        body: '第一条',
      });

      expect(
        await store.migrate([...fixtureMigrations, nicknameMigration, notesMigration]),
        'and again nothing',
      ).toEqual({
        applied: [],
        skipped: [...fixtureIds, nicknameMigration.id, notesMigration.id],
      });
      expect(await store.count(customers), 'rows after all migrations').toBe(2);
      await expectStored(h, customers, second.id, ['小龙女']);
      await expectStored(h, customers, first.id, ['过儿', '杨过']);
    },

    async 'migrate.concurrent-once'({ store }) {
      await store.insert(customers, newCustomer(1));
      const all = [...fixtureMigrations, nicknameMigration, notesMigration];
      const results = await Promise.all([store.migrate(all), store.migrate(all), store.migrate(all)]);
      for (const id of [nicknameMigration.id, notesMigration.id]) {
        expect(results.filter((r) => r.applied.includes(id)).length, `${id} is applied by exactly one call`).toBe(1);
        expect(results.filter((r) => r.skipped.includes(id)).length, `${id} is skipped by the others`).toBe(2);
      }
      for (const r of results)
        expect(r.skipped, 'fixture migrations were applied before').toEqual(expect.arrayContaining(fixtureIds));
      await store.insert(notes, { id: 'note-1', body: 'after concurrent migrations' });
      expect(await store.count(notes), 'the new collection works').toBe(1);
      expect((await store.get(customersWithNickname, 'cust-001'))?.nickname, 'the added field works').toBeNull();
    },

    async 'migrate.failed-rolls-back'({ store }) {
      await store.insert(sales, newSale(1, { label: 'same' }));
      await store.insert(sales, newSale(2, { label: 'same' }));
      const all = [...fixtureMigrations, uniqueLabelMigration];
      await rejection(store.migrate(all), 'a unique index over duplicate values');

      // The collection still works, and the index is not half there.
      await store.insert(sales, newSale(3, { label: 'same' }));
      expect(await store.count(sales, { label: 'same' }), 'writes after a failed migration').toBe(3);
      await store.update(sales, 'sale-003', { label: 'unique now' });
      expect((await store.get(sales, 'sale-003'))?.label, 'updates after a failed migration').toBe('unique now');

      await store.delete(sales, 'sale-002');
      await store.delete(sales, 'sale-003');
      const retried = await store.migrate(all);
      expect(retried, 'the failed migration was not recorded, so it applies once the data is fixed').toEqual({
        applied: [uniqueLabelMigration.id],
        skipped: fixtureIds,
      });
      await expectConflict(
        store.insert(sales, newSale(4, { label: 'same' })),
        'unique',
        'the index applied on retry is enforced',
      );
    },
  },
} satisfies Suite;
