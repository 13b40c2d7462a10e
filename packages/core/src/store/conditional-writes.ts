/**
 * Many row writes at once (a nightly sweep rewriting the rows that are still as it read them, the
 * members leaving a segment): the checks every path shares, and the fallbacks (one `consume` or
 * `delete` per row) `defineStore` uses where the adapter has no push-down.
 */
import { ValidationError } from '../errors.js';
import { allOrNothing, type TransactionalSession } from './bulk.js';
import type { ConditionalWrite } from './port.js';
import type { CollectionSpec } from './schema.js';

/** Refuses a batch that names one row twice: the writes of a batch are independent of each other. */
export function checkConditionalWrites(collection: CollectionSpec, writes: readonly ConditionalWrite[]): void {
  checkDistinct(
    collection,
    writes.map((w) => w.key),
    'writes',
  );
}

/** Refuses a list of keys that names one row twice. */
export function checkDistinct(collection: CollectionSpec, keys: readonly string[], what: string): void {
  const seen = new Set<string>();
  keys.forEach((key, i) => {
    if (typeof key !== 'string')
      throw new ValidationError([
        { path: [collection.name, what, i], code: 'invalid_type', message: 'a key is a string' },
      ]);
    if (seen.has(key))
      throw new ValidationError([
        { path: [collection.name, what, i], code: 'duplicate_key', message: `${key} is named twice in one batch` },
      ]);
    seen.add(key);
  });
}

/**
 * The fallback of `consumeMany`: one `consume` per write, all in one transaction where the session has
 * them; returns the keys of the rows written, in order. Input is checked by the caller.
 */
export async function consumeManyByConsumes<C extends CollectionSpec>(
  session: TransactionalSession,
  collection: C,
  writes: readonly ConditionalWrite<C>[],
): Promise<string[]> {
  return allOrNothing(session, async (tx) => {
    const applied: string[] = [];
    for (const w of writes) if ((await tx.consume(collection, w.key, w.when, w.set)) !== undefined) applied.push(w.key);
    return applied;
  });
}

/**
 * The fallback of `deleteMany`: one `delete` per key, all in one transaction where the session has them. Input is
 * checked by the caller.
 */
export async function deleteManyByDeletes<C extends CollectionSpec>(
  session: TransactionalSession,
  collection: C,
  keys: readonly string[],
): Promise<string[]> {
  return allOrNothing(session, async (tx) => {
    const deleted: string[] = [];
    for (const key of keys) if (await tx.delete(collection, key)) deleted.push(key);
    return deleted;
  });
}
