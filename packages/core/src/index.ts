/**
 * `@clientele/core`: the customer model, the storage port, events, errors, and the in-memory store.
 *
 * @packageDocumentation
 */
export * from './errors.js';
export * from './clock.js';
export * from './ids.js';
export {
  encodeJson,
  decodeJson,
  canonicalJson,
  fingerprint,
  fingerprintMatches,
  legacyFingerprint,
} from './json-codec.js';
export { DEFAULT_JSON_LIMITS, plainJsonIssue, type JsonLimits } from './plain-json.js';
export { textProblem, jsonTextProblem, type TextKind, type TextProblem } from './text-rules.js';
export * from './store/schema.js';
export * from './store/port.js';
export { memoryStore, type MemoryStoreOptions } from './store/memory-store.js';
export { mustGet } from './store/must-get.js';
export {
  resolveActiveCustomer,
  saleLines,
  storeCalendar,
  type ResolveCustomerOptions,
  type SaleLineRow,
} from './model/core-reads.js';
export type { CustomerRow } from './model/customer-record.js';
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
export * from './money.js';
export {
  parseInput,
  toIssues,
  codeSchema,
  idSchema,
  minorUnitsSchema,
  shortTextSchema,
  longTextSchema,
  nameSchema,
  singleLineTextSchema,
  multiLineTextSchema,
  jsonValueSchema,
  jsonObjectSchema,
  phoneSchema,
  emailSchema,
  dateSchema,
  instantSchema,
  idempotencyKeySchema,
  pageSchema,
  cardNumberSchema,
} from './validation.js';
export type { CoreEvents } from './events.js';
export {
  createClientele,
  coreCollections,
  coreMigrations,
  type Clientele,
  type ClienteleOptions,
  type ClienteleEvents,
  type CoreApi,
  type AnyModule,
  type ModuleApis,
  type ModuleEvents,
} from './clientele.js';
export {
  actorSchema,
  grants,
  isPermitted,
  authorityLimit,
  actorRef,
  type Actor,
  type ActorRef,
  type ResolvedActor,
} from './runtime/actor.js';
export type { EventBus, EventMap, Listener } from './runtime/events.js';
export {
  defineModule,
  type Command,
  type CommandContext,
  type CommandInfo,
  type CommandOptions,
  type CommandSpec,
  type EventHandler,
  type EventHandlerEntry,
  type Kernel,
  type ModuleDefinition,
  type ModuleInstance,
  type NoEvents,
  type RefundCollector,
  type RefundDeduction,
  type RefundStep,
  type TimelineInput,
  type UnitOfWork,
  type UnitOfWorkSpec,
  type StoreSettings,
  type Query,
  type QueryArgs,
  type QueryInfo,
  type QueryOptions,
  type QuerySpec,
  type ValueKind,
  type ValueMove,
  VALUE_KINDS,
} from './runtime/module.js';
export { silentLogger, type Logger, type LogMethod } from './runtime/logger.js';
export { REFUND_ORDER } from './runtime/refunds.js';
export { limitNameFor, usedToday, type Authorisation } from './runtime/authority.js';
export { nextSequence } from './runtime/kernel.js';
export type { Outbox, OutboxEvent, RelayOptions } from './runtime/outbox.js';
export type { AuditEntry } from './runtime/audit.js';
export {
  auditLog,
  outbox as outboxCollection,
  outboxCursors,
  idempotencyKeys,
  sequences,
  timeline as timelineCollection,
} from './runtime/collections.js';
export * from './model/business-calendar.js';
export { storesCollection, rolesCollection, staffCollection } from './model/organisation-collections.js';
export type { RetailStore, Role, StaffMember, OrganisationService } from './model/organisation-service.js';
export * from './model/customer-schemas.js';
export {
  customersCollection,
  customerHistoryCollection,
  customerMergesCollection,
} from './model/customer-collections.js';
export { nameKey, completenessOf, diffFields, type FieldChange, type ProfileFields } from './model/customer-record.js';
export {
  editDistance,
  similarNames,
  duplicateReasons,
  type DuplicateReason,
  type DuplicateFacts,
} from './model/duplicates.js';
export type {
  CustomerService,
  ResultPage,
  HistoryEntry,
  DuplicateMatch,
  DuplicatePair,
  MergeRecord,
  ReviewItem,
} from './model/customer-service.js';
export { luhnCheckDigit, isValidCardNumber, cardNumberFor } from './model/card-number.js';
export { cardTypesCollection, cardsCollection } from './model/card-collections.js';
export type { Card, CardType, CardStatus, CardService } from './model/card-service.js';
export {
  interactionsCollection,
  INTERACTION_CHANNELS,
  logInteractionSchema,
  timelineQuerySchema,
  type Interaction,
  type TimelineEntry,
  type LogInteractionInput,
} from './model/interaction-service.js';
export {
  purchasesCollection,
  purchaseLinesCollection,
  purchaseReturnsCollection,
} from './model/purchase-collections.js';
export {
  toMilli,
  fromMilli,
  lineGross,
  saleTotals,
  refundFor,
  settleRefund,
  allocateRefund,
  settledMoney,
  type SettledTender,
  type RefundAllocation,
} from './model/purchase-math.js';
export {
  recordSaleSchema,
  returnSchema,
  saleLineSchema,
  paymentSchema,
  type Purchase,
  type PurchaseLine,
  type PurchaseReturn,
  type PurchaseService,
  type RecordSaleInput,
  type ReturnInput,
} from './model/purchase-service.js';
export type { StoredPayment, StoredReturnLine, StoredTender } from './model/purchase-collections.js';
export { ERASED, scrubJson, type CustomerExport, type ErasureResult } from './model/privacy-service.js';
export {
  personalValueMatcher,
  personalValueKind,
  nationalDigits,
  type PersonalValueMatcher,
  type PersonalValueKind,
} from './model/personal-values.js';
