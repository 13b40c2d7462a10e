/**
 * Many row writes at once (a nightly sweep rewriting the rows that are still as it read them, the
 * members leaving a segment): a few statements where the store pushes them down, one `consume` or
 * `delete` per row elsewhere.
 */
import { ValidationError } from '../errors.js';
import { allOrNothing, type TransactionalSession } from './bulk.js';
import type { ConditionalWrite } from './port.js';
import type { CollectionSpec } from './schema.js';

/** Refuses a batch that names one row twice: the writes of a batch are independent of each other. */
export function checkConditionalWrites(collection: CollectionSpec, writes: readonly ConditionalWrite[]): void {
  checkDistinct(collection, writes.map((w) => w.key), 'writes');
}

/** Refuses a list of keys that names one row twice. */
export function checkDistinct(collection: CollectionSpec, keys: readonly string[], what: string): void {
  const seen = new Set<string>();
  keys.forEach((key, i) => {
    if (typeof key !== 'string') throw new ValidationError([{ path: [collection.name, what, i], code: 'invalid_type', message: 'a key is a string' }]);
    if (seen.has(key)) throw new ValidationError([{ path: [collection.name, what, i], code: 'duplicate_key', message: `${key} is named twice in one batch` }]);
    seen.add(key);
  });
}

/**
 * Applies each write's `set` to its row if the row matches its `when`, as `consume` does; returns the
 * keys of the rows written, in order. Inside a transaction all of them commit or roll back with it;
 * outside one, a store that pushes them down writes them in a transaction of its own.
 */
export async function consumeMany<C extends CollectionSpec>(
  session: TransactionalSession,
  collection: C,
  writes: readonly ConditionalWrite<C>[],
): Promise<string[]> {
  checkConditionalWrites(collection, writes as readonly ConditionalWrite[]);
  if (writes.length === 0) return [];
  if (session.consumeMany) return session.consumeMany(collection, writes);
  return allOrNothing(session, async (tx) => {
    const applied: string[] = [];
    for (const w of writes) if ((await tx.consume(collection, w.key, w.when, w.set)) !== undefined) applied.push(w.key);
    return applied;
  });
}

/**
 * Deletes the rows with these keys; returns the keys of the rows deleted, in order. All or none, as
 * {@link consumeMany}.
 */
export async function deleteMany<C extends CollectionSpec>(
  session: TransactionalSession,
  collection: C,
  keys: readonly string[],
): Promise<string[]> {
  checkDistinct(collection, keys, 'keys');
  if (keys.length === 0) return [];
  if (session.deleteMany) return session.deleteMany(collection, keys);
  return allOrNothing(session, async (tx) => {
    const deleted: string[] = [];
    for (const key of keys) if (await tx.delete(collection, key)) deleted.push(key);
    return deleted;
  });
}
