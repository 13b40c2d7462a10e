/** What a bulk import has brought in: one row per record of the old system, keyed by its id there. */
import { defineCollection, field, nullable } from '../store/schema.js';

/**
 * The old system's id of each imported record (`<kind>:<sourceId>`) and the record it became, so an
 * import run again after a crash brings in only what is missing, and later rows (sales, balances) find
 * the customer an earlier file created.
 */
export const importKeysCollection = defineCollection({
  name: 'import_keys',
  primaryKey: 'id',
  fields: {
    /** `<kind>:<sourceId>`, e.g. `customer:M000123`. */
    id: field.string(),
    kind: field.string(),
    sourceId: field.string(),
    /** The record the row became (a customer id, a purchase id, a ledger entry id). */
    targetId: field.string(),
    /** The customer it belongs to, for erasure. */
    customerId: nullable(field.string()),
    importedAt: field.timestamp(),
  },
  indexes: [{ name: 'import_keys_customer', fields: ['customerId'] }],
  customerKey: 'customerId',
  plain: ['kind', 'sourceId', 'targetId'],
});
