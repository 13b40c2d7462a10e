/**
 * Many conditional writes at once (a nightly sweep rewriting the rows that are still as it read
 * them): a few statements where the store pushes them down, one `consume` per write elsewhere.
 */
import { ValidationError } from '../errors.js';
import type { ConditionalWrite, StoreSession } from './port.js';
import type { CollectionSpec } from './schema.js';

/** Refuses a batch that names one row twice: the writes of a batch are independent of each other. */
export function checkConditionalWrites(collection: CollectionSpec, writes: readonly ConditionalWrite[]): void {
  const seen = new Set<string>();
  writes.forEach((w, i) => {
    if (seen.has(w.key)) throw new ValidationError([{ path: [collection.name, 'writes', i, 'key'], code: 'duplicate_key', message: `${w.key} is written twice in one batch` }]);
    seen.add(w.key);
  });
}

/**
 * Applies each write's `set` to its row if the row matches its `when`, as `consume` does; returns the
 * keys of the rows written, in order. Inside a transaction all of them commit or roll back with it;
 * outside one, a store that pushes them down writes them in a transaction of its own.
 */
export async function consumeMany<C extends CollectionSpec>(
  session: StoreSession & { transaction?: (fn: (tx: StoreSession) => Promise<unknown>) => Promise<unknown> },
  collection: C,
  writes: readonly ConditionalWrite<C>[],
): Promise<string[]> {
  checkConditionalWrites(collection, writes as readonly ConditionalWrite[]);
  if (writes.length === 0) return [];
  if (session.consumeMany) return session.consumeMany(collection, writes);
  const run = async (tx: StoreSession) => {
    const applied: string[] = [];
    for (const w of writes) if ((await tx.consume(collection, w.key, w.when, w.set)) !== undefined) applied.push(w.key);
    return applied;
  };
  return session.transaction ? ((await session.transaction(run)) as string[]) : run(session);
}
