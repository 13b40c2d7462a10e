/**
 * `@clientele/core`: the customer model, the storage port, events, errors, and the in-memory store.
 *
 * @packageDocumentation
 */
export * from './errors.js';
export * from './clock.js';
export * from './ids.js';
export { encodeJson, decodeJson, canonicalJson, fingerprint } from './json-codec.js';
export * from './store/schema.js';
export * from './store/port.js';
export { memoryStore, type MemoryStoreOptions } from './store/memory-store.js';
export { scan, aggregate, aggregateByScan, insertMany, sortGroups, checkAggregate } from './store/bulk.js';
export { createRowCodec, type CodecOptions, type RowCodec } from './store/codec.js';
export { Mutex } from './store/mutex.js';
export {
  PAGE_LIMITS,
  checkRow,
  isValidValue,
  normaliseWhere,
  matches,
  compareValues,
  compareStrings,
  compareRows,
  resolveOrder,
  resolveFind,
  resolveLimit,
  encodeCursor,
  decodeCursor,
  isAfterCursor,
  type NormalisedWhere,
  type ResolvedFind,
} from './store/query.js';
