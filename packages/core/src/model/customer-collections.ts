/** Collections of the customer record: profiles, their history, and merges. */
import { defineCollection, field, nullable, type JsonValue } from '../store/schema.js';

/**
 * One row per party (individual member, organisation, supplier). Kind-specific fields live in
 * `profile`; the fields reports and lookups filter on are columns of their own.
 */
export const customersCollection = defineCollection({
  name: 'customers',
  primaryKey: 'id',
  versioned: true,
  fields: {
    id: field.string(),
    kind: field.string(),
    isCustomer: field.boolean(),
    isSupplier: field.boolean(),
    status: field.string(),
    mergedInto: nullable(field.string()),
    displayName: field.string(),
    /** Normalised name for duplicate search ('' when erased). */
    nameKey: field.string(),
    phone: nullable(field.string()),
    email: nullable(field.string()),
    taxId: nullable(field.string()),
    region: nullable(field.string()),
    industry: nullable(field.string()),
    sizeClass: nullable(field.string()),
    homeStoreId: nullable(field.string()),
    profile: field.json<Record<string, JsonValue>>(),
    tags: field.json<string[]>(),
    consent: field.json<Record<string, boolean>>(),
    attributes: field.json<Record<string, JsonValue>>(),
    completeness: field.integer(),
    missing: field.json<string[]>(),
    lastVerifiedAt: nullable(field.timestamp()),
    createdAt: field.timestamp(),
    updatedAt: field.timestamp(),
  },
  indexes: [
    { name: 'customers_phone', fields: ['phone'] },
    { name: 'customers_email', fields: ['email'] },
    { name: 'customers_tax_id', fields: ['taxId'] },
    { name: 'customers_store_name', fields: ['homeStoreId', 'nameKey'] },
    { name: 'customers_status_completeness', fields: ['status', 'completeness'] },
    { name: 'customers_region', fields: ['region'] },
  ],
  customerKey: 'id',
  personal: ['displayName', 'nameKey', 'phone', 'email', 'taxId', 'profile', 'attributes', 'tags'],
  // Kind, region, industry, size and home store stay with the bare id: reports group by them.
  plain: ['kind', 'status', 'mergedInto', 'region', 'industry', 'sizeClass', 'homeStoreId', 'consent', 'missing'],
});

/** Every change to a customer: who, when, and each field's before and after. */
export const customerHistoryCollection = defineCollection({
  name: 'customer_history',
  primaryKey: 'id',
  fields: {
    id: field.string(),
    customerId: field.string(),
    at: field.timestamp(),
    actor: field.json<JsonValue>(),
    command: field.string(),
    changes: field.json<Array<{ field: string; before: JsonValue; after: JsonValue }>>(),
  },
  indexes: [{ name: 'customer_history_customer_at', fields: ['customerId', 'at'] }],
  customerKey: 'customerId',
  scrub: ['changes'],
  plain: ['actor', 'command'],
});

/** Audited merges of duplicate records. */
export const customerMergesCollection = defineCollection({
  name: 'customer_merges',
  primaryKey: 'id',
  fields: {
    id: field.string(),
    survivorId: field.string(),
    mergedId: field.string(),
    at: field.timestamp(),
    actor: field.json<JsonValue>(),
    reason: field.string(),
    moved: field.json<Record<string, number>>(),
  },
  indexes: [
    { name: 'customer_merges_survivor', fields: ['survivorId'] },
    { name: 'customer_merges_merged', fields: ['mergedId'] },
  ],
  customerKey: 'survivorId',
  scrub: ['reason'],
  plain: ['mergedId', 'actor', 'moved'],
});
