/**
 * What modules read of core, in one place: the active customer behind an id, a sale's lines, a
 * store's calendar. Modules call these instead of reading core's collections and copying its rules
 * (how merges are followed, how lines are ordered).
 */
import { InvalidStateError } from '../errors.js';
import type { StoreSession } from '../store/port.js';
import { mustGet } from '../store/must-get.js';
import type { RowOf } from '../store/schema.js';
import type { StoreSettings } from '../runtime/module.js';
import { customersCollection } from './customer-collections.js';
import type { CustomerRow } from './customer-record.js';
import { storesCollection } from './organisation-collections.js';
import { purchaseLinesCollection } from './purchase-collections.js';

/** How far merges are followed: a chain longer than this is a data error, not a customer. */
const MAX_MERGE_HOPS = 16;

/** Options of {@link resolveActiveCustomer}. */
export interface ResolveCustomerOptions {
  /** The input field that held the id, for the error's path (default `['customerId']`). */
  path?: Array<string | number>;
  /**
   * Follow a merged customer to the record it was merged into (default `true`); with `false` a merged
   * customer is refused with `INVALID_STATE` naming the survivor in `mergedInto`.
   */
  followMerges?: boolean;
}

/**
 * The active customer behind an id: `NOT_FOUND` when there is none, `INVALID_STATE` (with `status`)
 * when it is erased or closed, or merged and merges are not followed.
 */
export async function resolveActiveCustomer(
  session: StoreSession,
  id: string,
  options: ResolveCustomerOptions = {},
): Promise<CustomerRow> {
  const path = options.path ?? ['customerId'];
  let row = await mustGet(session, customersCollection, id, 'customer', { path });
  if (options.followMerges !== false) {
    for (let hops = 0; row.status === 'merged' && row.mergedInto && hops < MAX_MERGE_HOPS; hops++)
      row = await mustGet(session, customersCollection, row.mergedInto, 'customer', { path });
  }
  if (row.status !== 'active') {
    const merged = row.mergedInto ? ` (merged into ${row.mergedInto})` : '';
    throw new InvalidStateError(`customer ${id} is ${row.status}${merged}`, {
      customerId: id,
      status: row.status,
      mergedInto: row.mergedInto,
      path,
    });
  }
  return row;
}

/** A sale line as stored. */
export type SaleLineRow = RowOf<typeof purchaseLinesCollection>;

/** A sale's lines in line order (a sale holds at most 1,000). */
export async function saleLines(session: StoreSession, purchaseId: string): Promise<SaleLineRow[]> {
  return (
    await session.find(purchaseLinesCollection, { where: { purchaseId }, orderBy: [{ field: 'lineNo' }], limit: 1000 })
  ).rows;
}

/** A store's time zone, opening hours and holidays; `NOT_FOUND` naming `path` (default `['storeId']`). */
export async function storeCalendar(
  session: StoreSession,
  storeId: string,
  path: Array<string | number> = ['storeId'],
): Promise<StoreSettings> {
  const store = await mustGet(session, storesCollection, storeId, 'store', { path });
  return { id: store.id, timeZone: store.timeZone, openingHours: store.openingHours, holidays: store.holidays };
}
