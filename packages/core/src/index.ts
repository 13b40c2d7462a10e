/**
 * `@clientele/core`: what an application uses. `createClientele` wires a store, the clock and the
 * modules into one instance whose services (`crm.customers`, `crm.cards`, `crm.purchases`, ...) are
 * typed here, with their inputs, results, events and errors, and the in-memory store.
 *
 * Authors of storage adapters import from `@clientele/core/adapter`, authors of modules from
 * `@clientele/core/module`.
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
  type ErrorCode,
  type ValidationIssue,
  type ConflictReason,
} from './errors.js';
export * from './clock.js';
export { ulidGenerator, sequentialIds, type IdGenerator } from './ids.js';
export type { JsonLimits } from './plain-json.js';
export type { PageInput } from './validation.js';
export type { JsonValue } from './store/schema.js';
export type { Store, MigrationResult } from './store/port.js';
export { memoryStore, type MemoryStoreOptions } from './store/memory-store.js';
export { formatMoney, minorDigits, currencySchema, moneySchema, type Money } from './money.js';
export type { CoreEvents } from './events.js';
export {
  createClientele,
  type Clientele,
  type ClienteleOptions,
  type ClienteleEvents,
  type CoreApi,
  type AnyModule,
  type ModuleApis,
  type ModuleEvents,
} from './clientele.js';
export { actorSchema, type Actor, type ActorRef } from './runtime/actor.js';
export type { EventBus, EventMap, Listener } from './runtime/events.js';
export {
  VALUE_KINDS,
  type CommandInfo,
  type CommandOptions,
  type QueryInfo,
  type QueryOptions,
  type ValueKind,
  type ValueMove,
} from './runtime/module.js';
export { silentLogger, type Logger, type LogMethod } from './runtime/logger.js';
export type { Outbox, OutboxEvent, RelayOptions } from './runtime/outbox.js';
export type { AuditEntry, AuditService, AuditQueryInput } from './runtime/audit.js';
export * from './model/business-calendar.js';
export { openingHoursSchema } from './model/opening-hours.js';
export type {
  RetailStore,
  Role,
  StaffMember,
  OrganisationService,
  StoresService,
  RolesService,
  StaffService,
  AuthorityCheck,
  CreateStoreInput,
  UpdateStoreInput,
  ListStoresInput,
  DefineRoleInput,
  AddStaffInput,
  SetStaffActiveInput,
  ListStaffInput,
} from './model/organisation-service.js';
export * from './model/customer-schemas.js';
export type { FieldChange } from './model/customer-record.js';
export type { DuplicateReason } from './model/duplicates.js';
export type {
  CustomersService,
  CustomerService,
  VerifyCustomerInput,
  MergeCustomersInput,
  ReviewListInput,
  FindDuplicatesInput,
  ListMergesInput,
  ResultPage,
  HistoryEntry,
  DuplicateMatch,
  DuplicatePair,
  MergeRecord,
  ReviewItem,
} from './model/customer-service.js';
export { isValidCardNumber } from './model/card-number.js';
export type {
  Card,
  CardType,
  CardStatus,
  CardsService,
  CardService,
  CardLookup,
  DefineCardTypeInput,
  IssueCardInput,
  LinkCardInput,
  ReportLostCardInput,
  BlockCardInput,
  ReplaceCardInput,
  UnblockCardInput,
} from './model/card-service.js';
export {
  INTERACTION_CHANNELS,
  logInteractionSchema,
  timelineQuerySchema,
  type Interaction,
  type InteractionsService,
  type TimelineEntry,
  type TimelineQueryInput,
  type LogInteractionInput,
} from './model/interaction-service.js';
export {
  TIMELINE_LOCALES,
  renderTimelineSummary,
  type TimelineLocale,
  type TimelineFacts,
  type TimelineSay,
  type TimelineText,
  type TimelineTexts,
  type StoredTimelineEntry,
} from './model/timeline-text.js';
export {
  recordSaleSchema,
  returnSchema,
  paymentSchema,
  type Purchase,
  type PurchaseLine,
  type PurchaseReturn,
  type PurchasesService,
  type PurchaseService,
  type RecordSaleInput,
  type ReturnInput,
  type VoidInput,
} from './model/purchase-service.js';
export { saleLineSchema } from './model/sale-line.js';
export type { StoredPayment, StoredReturnLine, StoredTender } from './model/purchase-collections.js';
export {
  ERASED,
  scrubJson,
  type CustomerExport,
  type ErasureResult,
  type PrivacyService,
  type ExportCustomerInput,
  type EraseCustomerInput,
} from './model/privacy-service.js';
export type { ImportsService } from './model/import-service.js';
export {
  IMPORT_PERMISSION,
  IMPORT_BATCH_MAX,
  customerImportRowSchema,
  saleImportRowSchema,
  importCardSchema,
  importReturnSchema,
  type CustomerImportRow,
  type SaleImportRow,
  type ImportBatch,
  type ImportRejection,
  type ImportResult,
} from './model/import-rows.js';
export { personalValueMatcher, type PersonalValueMatcher } from './model/personal-values.js';
