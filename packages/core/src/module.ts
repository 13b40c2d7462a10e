/**
 * `@clientele/core/module`: what an author of a module needs. `defineModule` and the kernel a
 * module's setup receives, the declarations of commands, queries, units of work, event handlers and
 * refund steps, the reads of core's records (`resolveActiveCustomer`, `saleLines`, `storeCalendar`,
 * `mustGet`) and core's collections, the store session a command reads and writes through, and the
 * schemas and helpers that keep a module's input checks like core's.
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
export { randomBytes } from './ids.js';
export { encodeJson, decodeJson, canonicalJson, fingerprint } from './json-codec.js';
export { DEFAULT_JSON_LIMITS, plainJsonIssue, type JsonLimits } from './plain-json.js';
export * from './store/schema.js';
export * from './store/port.js';
export { scan } from './store/bulk.js';
export { mustGet } from './store/must-get.js';
export { compareValues, compareStrings } from './store/query.js';
export {
  resolveActiveCustomer,
  saleLines,
  storeCalendar,
  type ResolveCustomerOptions,
  type SaleLineRow,
} from './model/core-reads.js';
export { nameKey, completenessOf, type CustomerRow, type ProfileFields } from './model/customer-record.js';
export {
  formatMoney,
  minorDigits,
  divideRounded,
  currencySchema,
  moneySchema,
  type Money,
  type RoundingMode,
} from './money.js';
export type { ResultPage } from './model/customer-service.js';
export {
  parseInput,
  type PageInput,
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
  actorSchema,
  grants,
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
export { REFUND_ORDER } from './runtime/refunds.js';
export {
  countEn,
  type TimelineFacts,
  type TimelineLocale,
  type TimelineSay,
  type TimelineText,
  type TimelineTexts,
} from './model/timeline-text.js';
export { limitNameFor, usedToday, type Authorisation } from './runtime/authority.js';
export { nextSequence } from './runtime/kernel.js';
export {
  auditLog,
  outbox as outboxCollection,
  outboxCursors,
  idempotencyKeys,
  sequences,
  timeline as timelineCollection,
} from './runtime/collections.js';
export * from './model/business-calendar.js';
export { openingHoursSchema } from './model/opening-hours.js';
export { storesCollection, rolesCollection, staffCollection } from './model/organisation-collections.js';
export {
  customersCollection,
  customerHistoryCollection,
  customerMergesCollection,
} from './model/customer-collections.js';
export { luhnCheckDigit, isValidCardNumber, cardNumberFor } from './model/card-number.js';
export { cardTypesCollection, cardsCollection } from './model/card-collections.js';
export { interactionsCollection } from './model/interaction-service.js';
export {
  purchasesCollection,
  purchaseLinesCollection,
  purchaseReturnsCollection,
} from './model/purchase-collections.js';
export { toMilli, lineGross, refundFor, settleRefund, type SettledTender } from './model/purchase-math.js';
export { quantitySchema } from './model/sale-line.js';
export { ERASED, scrubJson } from './model/privacy-service.js';
export { personalValueMatcher, type PersonalValueMatcher } from './model/personal-values.js';
export { importKeysCollection } from './model/import-collections.js';
export {
  IMPORT_PERMISSION,
  IMPORT_BATCH_MAX,
  importBatchSchema,
  existingKeys,
  importKey,
  importedKeys,
  newRows,
  parseRows,
  reject as rejectImportRow,
  type ImportBatch,
  type ImportRejection,
  type ImportResult,
  type Parsed as ParsedImportRow,
} from './model/import-rows.js';
