/** The collections the runtime itself owns: audit, outbox, idempotency, sequences, the timeline. */
import { defineCollection, field, nullable, type JsonValue } from '../store/schema.js';

/** Every command's outcome: who, when, what, on whom. */
export const auditLog = defineCollection({
  name: 'audit_log',
  primaryKey: 'id',
  fields: {
    id: field.string(),
    at: field.timestamp(),
    actor: field.json<JsonValue>(),
    command: field.string(),
    outcome: field.string(),
    errorCode: nullable(field.string()),
    customerId: nullable(field.string()),
    targetType: nullable(field.string()),
    targetId: nullable(field.string()),
    details: field.json<JsonValue>(),
  },
  indexes: [
    { name: 'audit_log_customer', fields: ['customerId', 'at'] },
    { name: 'audit_log_command', fields: ['command', 'at'] },
    { name: 'audit_log_at', fields: ['at'] },
  ],
  customerKey: 'customerId',
  scrub: ['details'],
  plain: ['actor', 'command', 'outcome', 'errorCode', 'targetType', 'targetId'],
});

/** Events written in the same transaction as the change that caused them, relayed later in `seq` order. */
export const outbox = defineCollection({
  name: 'outbox',
  primaryKey: 'id',
  fields: {
    id: field.string(),
    seq: field.integer(),
    type: field.string(),
    customerId: nullable(field.string()),
    payload: field.json<JsonValue>(),
    occurredAt: field.timestamp(),
  },
  indexes: [
    { name: 'outbox_seq', fields: ['seq'], unique: true },
    { name: 'outbox_customer', fields: ['customerId'] },
  ],
  customerKey: 'customerId',
  scrub: ['payload'],
  plain: ['type'],
});

/** How far each relay consumer has delivered. */
export const outboxCursors = defineCollection({
  name: 'outbox_cursors',
  primaryKey: 'id',
  versioned: true,
  fields: { id: field.string(), seq: field.integer(), updatedAt: field.timestamp() },
  plain: ['id'],
});

/** Stored results of commands sent with an idempotency key. */
export const idempotencyKeys = defineCollection({
  name: 'idempotency_keys',
  primaryKey: 'key',
  fields: {
    key: field.string(),
    command: field.string(),
    requestHash: field.string(),
    result: field.string(),
    customerId: nullable(field.string()),
    createdAt: field.timestamp(),
  },
  indexes: [{ name: 'idempotency_keys_customer', fields: ['customerId'] }],
  customerKey: 'customerId',
  // The result is replaced by a marker on erasure (a retry is then refused); the hash of the request
  // only tells a retry from another request and cannot be read back.
  personal: ['result'],
  plain: ['command', 'requestHash'],
});

/** Named counters (outbox order, card numbers). */
export const sequences = defineCollection({
  name: 'sequences',
  primaryKey: 'id',
  fields: { id: field.string(), value: field.integer() },
  plain: ['id'],
});

/** One entry per thing that happened to a customer, from every module, for `timeline()`. */
export const timeline = defineCollection({
  name: 'timeline',
  primaryKey: 'id',
  fields: {
    id: field.string(),
    customerId: field.string(),
    at: field.timestamp(),
    source: field.string(),
    kind: field.string(),
    summary: field.string(),
    storeId: nullable(field.string()),
    refType: nullable(field.string()),
    refId: nullable(field.string()),
    data: nullable(field.json<JsonValue>()),
  },
  indexes: [{ name: 'timeline_customer_at', fields: ['customerId', 'at'] }],
  customerKey: 'customerId',
  personal: ['summary'],
  scrub: ['data'],
  plain: ['source', 'kind', 'storeId', 'refType', 'refId'],
});

/** What each member of staff moved under each limit on each local day, for daily authority limits. */
export const authorityUsage = defineCollection({
  name: 'authority_usage',
  primaryKey: 'id',
  fields: {
    /** `staffId|limit|YYYY-MM-DD`. */
    id: field.string(),
    staffId: field.string(),
    limit: field.string(),
    /** The local date in the time zone of the staff member's store. */
    day: field.string(),
    /** Minor units moved under the limit that day. */
    total: field.integer(),
    updatedAt: field.timestamp(),
  },
  indexes: [{ name: 'authority_usage_staff_day', fields: ['staffId', 'day'] }],
  plain: ['staffId', 'limit', 'day'],
});

/** All runtime collections. */
export const runtimeCollections = [auditLog, outbox, outboxCursors, idempotencyKeys, sequences, timeline] as const;
