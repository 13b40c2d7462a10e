/**
 * Test adapters built on core's memory store: a conforming one that declares every push-down, a probe
 * that reads through the store, and a helper to break one operation at a time.
 */
import { aggregateByScan, consumeMany, deleteMany, getLinkedByReads, memoryStore } from '@clientele/core';
import type { CollectionSpec, Store } from '@clientele/core';
import type { StoreProbe } from '@clientele/testkit';

/** A copy of `inner` with some members replaced. */
export function wrapStore(inner: Store, overrides: Partial<Store>): Store {
  return { ...inner, ...overrides };
}

/**
 * The memory store dressed as a full adapter: the push-downs declared, implemented with core's
 * fallbacks (aggregate by scan, insertMany in one transaction, getLinked as two reads, consumeMany
 * and deleteMany as one consume or delete per row in one transaction).
 */
export function pushdownStore(): Store {
  const inner = memoryStore({ name: 'memory+pushdowns' });
  return wrapStore(inner, {
    capabilities: { ...inner.capabilities, aggregate: true, insertMany: true, getLinked: true, consumeMany: true, deleteMany: true },
    consumeMany: (collection, writes) => consumeMany(inner, collection, writes),
    deleteMany: (collection, keys) => deleteMany(inner, collection, keys),
    aggregate: (collection, query) => aggregateByScan(inner, collection, query),
    getLinked: (collection, key, link) => getLinkedByReads(inner, collection, key, link),
    insertMany: (collection, rows) =>
      inner.transaction(async (tx) => {
        for (const row of rows) await tx.insert(collection, row);
        return rows.length;
      }),
  });
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
