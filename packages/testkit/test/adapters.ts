/**
 * Test adapters built on core's memory store: a conforming one that declares every push-down, a probe
 * that reads through the store, and a helper to break one operation at a time.
 */
import { memoryStore } from '@clientele/core';
import {
  aggregateByScan,
  consumeManyByConsumes,
  defineStore,
  deleteManyByDeletes,
  getLinkedByReads,
  insertManyByInserts,
} from '@clientele/core/adapter';
import type { Store } from '@clientele/core';
import type { CollectionSpec } from '@clientele/core/module';
import type { StoreProbe } from '@clientele/testkit';

/** A copy of `inner` with some members replaced. */
export function wrapStore(inner: Store, overrides: Partial<Store>): Store {
  return { ...inner, ...overrides };
}

/**
 * The memory store dressed as a full adapter, built as adapters are (`defineStore`): every push-down
 * declared, each implemented with core's fallback on the memory store (aggregate by scan, getLinked
 * as two reads, consumeMany, deleteMany and insertMany one row at a time in one transaction).
 */
export function pushdownStore(): Store {
  const inner = memoryStore({ name: 'memory+pushdowns' });
  return defineStore(
    { ...inner, traits: { multiProcess: false, jsonColumns: true, migrationLock: true } },
    {
      aggregate: (collection, query) => aggregateByScan(inner, collection, query),
      getLinked: (collection, key, link) => getLinkedByReads(inner, collection, key, link),
      consumeMany: (collection, writes) => consumeManyByConsumes(inner, collection, writes),
      deleteMany: (collection, keys) => deleteManyByDeletes(inner, collection, keys),
      insertMany: (collection, rows) => insertManyByInserts(inner, collection, rows),
    },
  );
}

/**
 * A probe that reads through a memory store. The memory store has no database underneath, so this is
 * not independent evidence; it proves the kit's probe checks accept a correct store.
 */
export function throughStoreProbe(store: Store): StoreProbe {
  const spec = (name: string) => ({ name }) as CollectionSpec;
  return {
    rawRow: async (collection, key) => (await store.get(spec(collection), key)) as Record<string, unknown> | undefined,
    rawCount: (collection) => store.count(spec(collection)),
  };
}
