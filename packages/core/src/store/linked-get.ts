/**
 * A row read together with the row it links to (a card and its holder): one read where the store
 * pushes it down, two reads elsewhere, the same answer either way.
 */
import { ValidationError } from '../errors.js';
import type { Link, LinkedRows, StoreSession } from './port.js';
import type { CollectionSpec } from './schema.js';

/** Checks a link against the collection (both paths use it, so both refuse the same input). */
export function checkLink(
  collection: CollectionSpec,
  link: { readonly field: string; readonly target: CollectionSpec },
): void {
  const spec = collection.fields[link.field];
  if (spec === undefined || spec.kind !== 'string') {
    throw new ValidationError([
      {
        path: [collection.name, 'link', 'field'],
        code: 'invalid_query',
        message: `${link.field} is not a string field of ${collection.name}`,
      },
    ]);
  }
}

/**
 * `getLinked` as two reads on any session: the fallback every push-down must equal. `undefined` when
 * there is no such row, `linked: undefined` when the link field is null or names no row.
 */
export async function getLinkedByReads<C extends CollectionSpec, T extends CollectionSpec>(
  session: StoreSession,
  collection: C,
  key: string,
  link: Link<C, T>,
): Promise<LinkedRows<C, T> | undefined> {
  checkLink(collection, link);
  const row = await session.get(collection, key);
  if (row === undefined) return undefined;
  const ref = (row as Record<string, unknown>)[link.field];
  const linked = typeof ref === 'string' ? await session.get(link.target, ref) : undefined;
  return { row, linked };
}
