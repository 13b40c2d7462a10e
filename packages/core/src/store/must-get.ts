/** Reading a row that must exist: the one way a missing key becomes `NOT_FOUND`. */
import { NotFoundError } from '../errors.js';
import type { StoreSession } from './port.js';
import type { CollectionSpec, RowOf } from './schema.js';

/**
 * The row of `collection` under `key`, or `NOT_FOUND` naming `what` ("case", "voucher template") and
 * the key; `details.path` names the input field that held it.
 */
export async function mustGet<C extends CollectionSpec>(
  session: Pick<StoreSession, 'get'>,
  collection: C,
  key: string,
  what: string,
  details: Record<string, unknown> = {},
): Promise<RowOf<C>> {
  const row = await session.get(collection, key);
  if (!row) throw new NotFoundError(what, key, details);
  return row;
}
