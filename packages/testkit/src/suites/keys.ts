/** Primary keys and unique indexes: clashes are typed conflicts, and freed values can be taken again. */
import { expect } from 'vitest';
import { expectConflict, rejection } from '../assertions.js';
import {
  MAX_KEY_LENGTH,
  accounts,
  cards,
  customers,
  newAccount,
  newCard,
  newCustomer,
  newSale,
  sales,
} from '../fixtures.js';
import type { Suite } from '../harness.js';
import { expectRawCount, expectStored, expectStoredWithout } from '../probe-checks.js';

const PHONE_INDEX = 'testkit_customers_phone';
const NUMBER_INDEX = 'testkit_cards_number';

/** Tests of primary-key and unique-index clashes and of freed unique values. */
export const keysSuite = {
  title: 'keys',
  tests: {
    async 'primary-key.conflict'(h) {
      const { store } = h;
      const first = await store.insert(customers, newCustomer(1, { name: '刘洋' }));
      await expectConflict(
        store.insert(customers, newCustomer(1, { code: 'C-other', name: 'second' })),
        'primary_key',
        'insert with a taken primary key',
      );
      expect(await store.get(customers, first.id), 'the first row is untouched').toEqual(first);
      expect(await store.count(customers), 'no second row').toBe(1);

      await store.insert(sales, newSale(1));
      await expectConflict(
        store.insert(sales, newSale(1, { amount: 1 })),
        'primary_key',
        'insert with a taken primary key (unversioned)',
      );
      expect(await store.get(sales, 'sale-001'), 'the first sale is untouched').toEqual(newSale(1));

      await expectRawCount(h, customers, 1);
      await expectStored(h, customers, first.id, ['刘洋']);
      await expectStoredWithout(h, customers, first.id, ['second', 'C-other']);
    },

    async 'primary-key.longest'(h) {
      const { store } = h;
      const n = MAX_KEY_LENGTH;
      // In code point order; one byte, three and four a character in UTF-8, and a trailing space that counts.
      const keys = ['k'.repeat(n - 1), `${'k'.repeat(n - 1)} `, 'k'.repeat(n), '键'.repeat(n), '🧧'.repeat(n)];
      for (const [i, id] of [...keys].reverse().entries())
        await store.insert(customers, newCustomer(i + 1, { id, name: `顾客 ${i}` }));
      for (const [i, id] of keys.entries()) {
        expect((await store.get(customers, id))?.id, `key ${i} is kept exactly`).toBe(id);
        await store.insert(accounts, { ...newAccount(i + 1, 10), id, customerId: id });
      }
      expect(await store.count(customers), 'no two keys were taken for one').toBe(keys.length);
      const pages: string[] = [];
      let after: string | null | undefined;
      do {
        const page = await store.find(customers, { limit: 2, ...(after ? { after } : {}) });
        pages.push(...page.rows.map((r) => r.id));
        after = page.next;
      } while (after);
      expect(pages, 'paged in code point order').toEqual(keys);
      for (const id of keys) {
        expect((await store.update(customers, id, { points: 7 })).id, 'updated by the long key').toBe(id);
        const spent = await store.increment(accounts, id, 'balance', -4, { min: 0 });
        expect(spent.applied && spent.row.balance, 'incremented by the long key').toBe(6);
        expect(
          (await store.find(accounts, { where: { customerId: id } })).rows.map((r) => r.id),
          'found by a customer key as long',
        ).toEqual([id]);
      }
      await expectStored(h, customers, keys[4]!, [keys[4]!]);
      expect(await store.delete(customers, keys[1]!), 'deleted by the long key').toBe(true);
      expect(await store.get(customers, keys[1]!), 'only that key is gone').toBeUndefined();
      expect((await store.get(customers, keys[0]!))?.points, 'its neighbour without the space stays').toBe(7);
      await expectRawCount(h, customers, keys.length - 1);
    },

    async 'unique.conflict'(h) {
      const { store } = h;
      const a = await store.insert(customers, newCustomer(1, { code: 'C-1' }));
      await expectConflict(
        store.insert(customers, newCustomer(2, { code: 'C-1' })),
        'unique',
        'insert with a taken unique code',
      );
      expect(await store.get(customers, 'cust-002'), 'the clashing row was not stored').toBeUndefined();

      const c = await store.insert(customers, newCustomer(3, { code: 'C-3' }));
      await expectConflict(store.update(customers, c.id, { code: 'C-1' }), 'unique', 'update onto a taken unique code');
      expect(await store.get(customers, c.id), 'the updated row is untouched').toEqual(c);

      // Writing a row's own unique value again is not a clash.
      const same = await store.update(customers, a.id, { code: 'C-1', points: 5 });
      expect(same, 'a row may keep its own unique value').toEqual({ ...a, points: 5, version: 2 });

      await store.insert(cards, newCard('card-1', 'cust-001', 'prog-a', null));
      await store.insert(cards, newCard('card-2', 'cust-001', 'prog-b', null));
      await store.insert(cards, newCard('card-3', 'cust-002', 'prog-a', null));
      await expectConflict(
        store.insert(cards, newCard('card-4', 'cust-001', 'prog-a', null)),
        'unique',
        'insert with a taken composite key',
      );
      await expectConflict(
        store.update(cards, 'card-3', { customerId: 'cust-001' }),
        'unique',
        'update onto a taken composite key',
      );
      expect(await store.get(cards, 'card-3'), 'the card is untouched').toEqual(
        newCard('card-3', 'cust-002', 'prog-a', null),
      );
      expect(await store.count(cards), 'no clashing card stored').toBe(3);
      await expectRawCount(h, cards, 3);
      await expectRawCount(h, customers, 2);
    },

    async 'unique.nullable-many-nulls'(h) {
      const { store } = h;
      for (let n = 1; n <= 5; n++) await store.insert(customers, newCustomer(n, { phone: null }));
      expect(await store.count(customers, { phone: { isNull: true } }), 'five rows share a null unique value').toBe(5);
      expect(
        await store.getBy(customers, PHONE_INDEX, { phone: null }),
        'getBy with a null value finds nothing',
      ).toBeUndefined();

      await store.insert(customers, newCustomer(6, { phone: '13900000006' }));
      await expectConflict(
        store.insert(customers, newCustomer(7, { phone: '13900000006' })),
        'unique',
        'a repeated non-null value still clashes',
      );
      await store.update(customers, 'cust-006', { phone: null });
      expect(await store.count(customers, { phone: { isNull: true } }), 'a value set to null joins the nulls').toBe(6);

      for (let n = 1; n <= 4; n++) await store.insert(cards, newCard(`card-${n}`, `cust-00${n}`, 'prog-a', null));
      expect(await store.count(cards), 'cards with null numbers').toBe(4);
      await store.update(cards, 'card-1', { number: 'N-1' });
      await expectConflict(
        store.update(cards, 'card-2', { number: 'N-1' }),
        'unique',
        'update onto a taken card number',
      );
      expect((await store.getBy(cards, NUMBER_INDEX, { number: 'N-1' }))?.id, 'getBy on a nullable unique index').toBe(
        'card-1',
      );
      await expectRawCount(h, customers, 6);
    },

    async 'unique.released-on-change'({ store }) {
      await store.insert(customers, newCustomer(1, { code: 'A', phone: 'P-1' }));
      await store.update(customers, 'cust-001', { code: 'B' });
      await store.insert(customers, newCustomer(2, { code: 'A' }));
      expect((await store.get(customers, 'cust-002'))?.code, 'a code freed by update can be taken').toBe('A');

      await store.delete(customers, 'cust-002');
      await store.insert(customers, newCustomer(3, { code: 'A' }));
      expect((await store.get(customers, 'cust-003'))?.code, 'a code freed by delete can be taken').toBe('A');

      await store.update(customers, 'cust-001', { phone: null });
      await store.insert(customers, newCustomer(4, { code: 'D', phone: 'P-1' }));
      expect((await store.get(customers, 'cust-004'))?.phone, 'a value freed by set-to-null can be taken').toBe('P-1');

      // A rolled-back change frees nothing and takes nothing.
      const boom = new Error('roll back the code change');
      const error = await rejection(
        store.transaction(async (tx) => {
          await tx.update(customers, 'cust-001', { code: 'Z' });
          throw boom;
        }),
        'transaction that throws',
      );
      expect(error, 'the transaction rethrows the callback error').toBe(boom);
      await expectConflict(
        store.insert(customers, newCustomer(5, { code: 'B' })),
        'unique',
        'the code kept after rollback',
      );
      await store.insert(customers, newCustomer(6, { code: 'Z' }));
      expect(
        (await store.getBy(customers, 'testkit_customers_code', { code: 'Z' }))?.id,
        'a code taken only in a rolled-back transaction is free',
      ).toBe('cust-006');
      expect(
        (await store.getBy(customers, 'testkit_customers_code', { code: 'B' }))?.id,
        'the code held before the rollback',
      ).toBe('cust-001');
    },
  },
} satisfies Suite;
