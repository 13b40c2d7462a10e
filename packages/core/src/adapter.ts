/**
 * `@clientele/core/adapter`: what an author of a storage adapter needs. The storage port and the
 * collection declarations it stores, `defineStore` with the fallbacks it fills absent push-downs
 * with, the checks and ordering every adapter shares, the row codec, the errors a store throws, and
 * core's own collections and migrations to test a store with.
 *
 * @packageDocumentation
 */
export {
  ClienteleError,
  ValidationError,
  NotFoundError,
  ConflictError,
  PermissionError,
  AuthorityError,
  IdempotencyMismatchError,
  InvalidStateError,
  StoreUnavailableError,
  UnsupportedError,
  isClienteleError,
  invalid,
  type ErrorCode,
  type ValidationIssue,
  type ConflictReason,
} from './errors.js';
export * from './store/schema.js';
export * from './store/port.js';
export { memoryStore, type MemoryStoreOptions } from './store/memory-store.js';
export {
  scan,
  aggregateByScan,
  insertManyByInserts,
  sortGroups,
  checkAggregate,
  type TransactionalSession,
} from './store/bulk.js';
export { getLinkedByReads, checkLink } from './store/linked-get.js';
export {
  consumeManyByConsumes,
  deleteManyByDeletes,
  checkConditionalWrites,
  checkDistinct,
} from './store/conditional-writes.js';
export {
  defineStore,
  type AdapterSession,
  type BaseOperations,
  type OptionalOperation,
  type PushDowns,
  type StoreBase,
  type StoreTraits,
} from './store/define-store.js';
export { createRowCodec, type CodecOptions, type RowCodec } from './store/codec.js';
export { Mutex } from './store/mutex.js';
export {
  PAGE_LIMITS,
  checkRow,
  isValidValue,
  normaliseWhere,
  isStorableText,
  matches,
  compareValues,
  compareStrings,
  compareRows,
  resolveOrder,
  resolveFind,
  resolveSelect,
  projectRow,
  resolveLimit,
  encodeCursor,
  decodeCursor,
  isAfterCursor,
  type NormalisedWhere,
  type ResolvedFind,
} from './store/query.js';
export { coreCollections, coreMigrations } from './clientele.js';
