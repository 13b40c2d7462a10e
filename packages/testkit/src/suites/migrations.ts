/** Migrations: idempotent, versioned by id, serialised, and harmless when one fails. */
import { expect } from 'vitest';
import { expectConflict, rejection } from '../assertions.js';
import {
  addressNotesMigration,
  addresses,
  addressesMigration,
  addressesWithNotes,
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

    async 'migrate.index-over-many-texts'(h) {
      const { store } = h;
      expect(await store.migrate([...fixtureMigrations, addressesMigration]), 'an index over eight texts').toEqual({
        applied: [addressesMigration.id],
        skipped: fixtureIds,
      });
      const address = (n: number) => ({
        id: `addr-${n}`,
        country: '中国',
        province: '浙江省',
        city: n === 3 ? '宁波市' : '杭州市',
        district: '西湖区',
        street: `文三路 ${n} 号${'巷'.repeat(48)}`,
        building: `B${n}`,
        unit: '2 单元',
        room: String(1000 + n),
        floor: n,
        movedInAt: new Date(Date.UTC(2024, 0, n)),
      });
      for (const n of [2, 1, 3]) await store.insert(addresses, address(n));
      const { id: _, floor: __, movedInAt: ___, ...texts } = address(2);
      expect(
        (await store.find(addresses, { where: { ...texts, floor: 2 } })).rows,
        'found by every indexed field at once',
      ).toEqual([address(2)]);
      expect(
        (
          await store.find(addresses, { where: { city: '杭州市' }, orderBy: [{ field: 'street', direction: 'desc' }] })
        ).rows.map((r) => r.id),
        'ordered by an indexed text',
      ).toEqual(['addr-2', 'addr-1']);
      const door = { country: '中国', city: '杭州市', street: address(1).street, building: 'B1', room: '1001' };
      expect((await store.getBy(addresses, 'testkit_addresses_door', door))?.id, 'getBy over five texts').toBe(
        'addr-1',
      );
      await expectConflict(
        store.insert(addresses, { ...address(1), id: 'addr-9', unit: '9 单元', floor: 9 }),
        'unique',
        'the unique index over five texts is enforced',
      );

      const all = [...fixtureMigrations, addressesMigration, addressNotesMigration];
      expect(await store.migrate(all), 'free-text fields indexed later, with others').toEqual({
        applied: [addressNotesMigration.id],
        skipped: [...fixtureIds, addressesMigration.id],
      });
      const note = '一楼朝南，门口有棵桂花树。'.repeat(15);
      await store.update(addressesWithNotes, 'addr-1', { note, alias: '桂花树' });
      await store.update(addressesWithNotes, 'addr-2', { note: 'short', alias: '桂花树' });
      expect(
        (await store.find(addressesWithNotes, { where: { note, city: '杭州市' } })).rows.map((r) => r.id),
        'found by a long text through the later index',
      ).toEqual(['addr-1']);
      expect(
        (await store.getBy(addressesWithNotes, 'testkit_addresses_alias', { alias: '桂花树', note }))?.id,
        'getBy on the later unique index',
      ).toBe('addr-1');
      await expectConflict(
        store.update(addressesWithNotes, 'addr-3', { note: 'short', alias: '桂花树' }),
        'unique',
        'the later unique index is enforced',
      );
      expect(await store.migrate(all), 'and again nothing').toEqual({
        applied: [],
        skipped: [...fixtureIds, addressesMigration.id, addressNotesMigration.id],
      });
      expect(await store.get(addressesWithNotes, 'addr-1'), 'the row as written').toEqual({
        ...address(1),
        note,
        alias: '桂花树',
      });
      await expectStored(h, addresses, 'addr-1', [note, address(1).street]);
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
