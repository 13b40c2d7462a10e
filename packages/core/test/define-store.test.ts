import { describe, expect, it } from 'vitest';
import { memoryStore } from '@clientele/core';
import { defineCollection, field } from '@clientele/core/module';
import { defineStore, type AdapterSession } from '@clientele/core/adapter';

const notes = defineCollection({
  name: 'notes',
  fields: { id: field.string(), text: field.string() },
  primaryKey: 'id',
});
const migrations = [{ id: 'test/0001', steps: [{ op: 'createCollection', collection: notes }] }] as const;
const traits = { multiProcess: false, jsonColumns: true, migrationLock: true };

describe('defineStore', () => {
  it(
    'gives every optional operation to the store and its transaction sessions, and reports the ' + 'push-downs',
    async () => {
      const inner = memoryStore();
      const calls: string[] = [];
      const store = defineStore(
        {
          ...inner,
          traits,
          // The adapter's transaction session has the push-down too, running on the transaction.
          transaction: <T>(fn: (session: AdapterSession) => Promise<T>) =>
            inner.transaction((tx) =>
              fn({ ...tx, insertMany: (c, rows) => (calls.push('tx'), tx.insertMany(c, rows)) }),
            ),
        },
        { insertMany: (c, rows) => (calls.push('pushed'), inner.insertMany(c, rows)) },
      );
      expect(store.capabilities).toMatchObject({
        insertMany: true,
        getLinked: false,
        aggregate: false,
        aggregatePaging: false,
        consumeMany: false,
        deleteMany: false,
      });
      await store.migrate(migrations);
      expect(await store.insertMany(notes, [{ id: 'a', text: '张' }])).toBe(1);
      expect(await store.insertMany(notes, []), 'an empty batch never reaches the push-down').toBe(0);
      expect(calls).toEqual(['pushed']);
      await store.transaction(async (tx) => {
        expect(await tx.insertMany(notes, [{ id: 'b', text: 'b' }])).toBe(1);
        expect(await tx.deleteMany(notes, ['a', 'z']), 'the fallback, inside the transaction').toEqual(['a']);
        expect(await tx.transaction(async (inner2) => inner2.count(notes)), 'a nested transaction joins').toBe(1);
      });
      expect(calls, 'the transaction session took the push-down of the same name').toEqual(['pushed', 'tx']);
      await expect(store.deleteMany(notes, ['b', 'b'])).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    },
  );

  it('refuses a transaction session that lacks a push-down the store has', async () => {
    const inner = memoryStore();
    const store = defineStore(
      {
        ...inner,
        traits,
        transaction: <T>(fn: (session: AdapterSession) => Promise<T>) =>
          inner.transaction((tx) => {
            const { getLinked: _dropped, ...bare } = tx;
            return fn(bare);
          }),
      },
      { getLinked: (c, key, link) => inner.getLinked(c, key, link) },
    );
    await expect(store.transaction(async () => 1)).rejects.toThrow(/transaction session has no getLinked/);
  });

  it('refuses a push-down that is not a function', () => {
    expect(() => defineStore({ ...memoryStore(), traits }, { aggregate: 'yes' as never })).toThrow(TypeError);
  });
});
