/**
 * `@clientele/loyalty`: the earning rules engine, the points ledger, holds at the till, tiers,
 * vouchers and stored-value cards.
 *
 * - `loyalty(programConfig)` is the module for `createClientele` (`crm.loyalty`, with
 *   `crm.loyalty.vouchers` and `crm.loyalty.storedValue`).
 * - `compileProgram(config)` with `quote(program, basket, context)` quotes without a store: pure,
 *   synchronous, and safe to bundle for a browser (a web POS quotes offline).
 *
 * @packageDocumentation
 */
export { loyalty, loyaltyMigrations, type LoyaltyApi, type LoyaltyOptions } from './loyalty-module.js';
export {
  pointsImportRowSchema,
  type PointsImportRow,
  type LoyaltyImportsApi,
} from './opening-balances.js';
export {
  storedValueImportRowSchema,
  type StoredValueImportRow,
  type StoredValueImportsApi,
} from './stored-value-import.js';
export type { LoyaltyEvents, EntryRef } from './events.js';
export { InsufficientBalanceError, InsufficientFundsError } from './errors.js';

// The program.
export {
  programSchema,
  parseProgram,
  createRegistry,
  capsSchema,
  budgetSchema,
  ACTIVITY_TYPES,
  BASE_DEDUCTIONS,
  type BaseDeduction,
  type ProgramInput,
  type ProgramConfig,
  type RuleInput,
  type RuleConfig,
  type ActivityInput,
  type ActivityConfig,
  type ConditionsConfig,
  type KindRegistry,
  type KindOptions,
} from './program.js';
export {
  compileProgram,
  compileConfig,
  factorLabel,
  RULE_REASONS,
  type RuleReason,
  type RuleWhy,
  type CompiledProgram,
  type CompiledRule,
  type Caps,
  type LineIndex,
} from './compiled-program.js';
export {
  BUILT_IN_BASKET_CONDITIONS,
  defineCondition,
  type BasketConditionKind,
  type CompiledCondition,
  type LineTest,
  type BasketTest,
  type MatchedTest,
  type CompileEnv,
} from './conditions.js';
export {
  BUILT_IN_RULE_KINDS,
  defineRuleKind,
  type RuleKind,
  type RuleLine,
  type CompiledAction,
  type LineAction,
  type MultiplierAction,
  type BasketAction,
  type ArgsProblem,
} from './rule-kinds.js';
export { expiryPolicySchema, expiryOf, describeExpiry, type ExpiryPolicy, type Expiry } from './expiry.js';
export { tiersSchema, qualifiedLevel, levelRank, windowMonths, nextReview, type TiersConfig } from './tiers.js';
export {
  payloadFieldSchema,
  usageLimitSchema,
  payloadSchemaOf,
  limitOf,
  type ActivityType,
  type PayloadField,
} from './activities.js';

// The quote.
export {
  quote,
  evaluateProgram,
  explainQuote,
  LineTrace,
  RuleTrace,
  type Quote,
  type LineAward,
  type LimitTrace,
  type CounterUse,
} from './quote.js';
export {
  basketSchema,
  basketLineSchema,
  basketVoucherSchema,
  labelSchema,
  priceBasket,
  grossOf,
  type Basket,
  type BasketLine,
  type BasketVoucher,
  type PricedLine,
  type PricedVoucher,
} from './basket.js';
export {
  REWARD_KINDS,
  REWARD_REFUSALS,
  rewardSchema,
  compileRewards,
  checkReward,
  rewardCost,
  supportedUnits,
  type RewardKind,
  type RewardConfig,
  type CompiledReward,
  type RewardCheck,
  type RewardRefusal,
  type FreeUnits,
  type ConditionKinds,
} from './rewards.js';
export {
  quoteContextSchema,
  contextFacts,
  factorSchema,
  CHANNELS,
  type QuoteContext,
  type QuoteFacts,
  type Channel,
} from './quote-context.js';
export type { LocalTime } from './local-time.js';
export { valueOfPoints, pointsForValue, type PointsRounding, type PointValue } from './points-math.js';

// Storage and the ledger (for modules and tools built on this package).
export {
  loyaltyCollections,
  accountsCollection,
  entriesCollection,
  lotsCollection,
  lotMovesCollection,
  holdsCollection,
  awardsCollection,
  countersCollection,
  tierActivityCollection,
  programsCollection,
  voucherTemplatesCollection,
  vouchersCollection,
  voucherEntriesCollection,
  storedValueProductsCollection,
  storedValueCardsCollection,
  storedValueEntriesCollection,
  storedValuePaymentsCollection,
  rewardClaimsCollection,
  REWARD_CLAIM_STATUSES,
  rewardCollections,
  pointsCollections,
  voucherCollections,
  storedValueCollections,
  ENTRY_KINDS,
  VOUCHER_ENTRY_KINDS,
  STORED_VALUE_ENTRY_KINDS,
  type EntryKind,
  type VoucherEntryKind,
  type StoredValueEntryKind,
} from './collections.js';
export {
  createLedger,
  isInsufficient,
  type Ledger,
  type LedgerSettings,
  type LedgerEntry,
  type Lot,
  type AccountRow,
  type Posting,
  type DebitMode,
  type LotTake,
} from './ledger.js';
export type {
  Balance,
  ReturnPreview,
  StatementLine,
  StoreLiability,
  Statement,
  StatementInput,
  ExpirySchedule,
  PointsLiability,
  LiabilityInput,
  SaleAward,
  TierProgress,
  MemberContext,
  ContextForInput,
  PreviewReturnInput,
} from './account-queries.js';
export type { Hold, ReserveInput, CancelHoldInput, CommitHoldInput, CommittedHold } from './holds.js';
export {
  grantAllowanceSchema,
  drawAllowanceSchema,
  isAllowance,
  ALLOWANCE_PREFIX,
  type AllowancesApi,
  type GrantAllowanceInput,
  type DrawAllowanceInput,
} from './offline-allowances.js';
export { MAX_ALLOWANCE_MINUTES } from './allowance-minutes.js';
export {
  grantCardAllowanceSchema,
  drawCardAllowanceSchema,
  type CardAllowancesApi,
  type GrantCardAllowanceInput,
  type DrawCardAllowanceInput,
} from './stored-value-allowance-inputs.js';
export type { ActivityResult, RecordActivityInput } from './activity-earning.js';
export type { PointsResult, RedemptionResult, AdjustInput, GrantGoodwillInput, RedeemInput } from './adjustments.js';
export type { SegmentsReader } from './member-context.js';
export type { LoyaltyContext, LoyaltyEventMap, LoyaltyHandler, LoyaltyRefundStep } from './context.js';

// Vouchers: pure rules (a web POS checks a code and a basket offline) and the service's types.
export {
  voucherCodeSchema,
  generateCode,
  checkCharacter,
  normaliseCode,
  formatCode,
  isValidCode,
  CODE_ALPHABET,
  CODE_LENGTH,
  CODE_RANDOM_CHARS,
} from './voucher-codes.js';
export {
  voucherTemplateSchema,
  voucherValueSchema,
  validitySchema,
  termsOf,
  faceValueOf,
  validityOf,
  RETURN_RULES,
  type VoucherTemplateInput,
  type VoucherTemplate,
  type VoucherTerms,
  type VoucherValue,
  type Validity,
  type ReturnRule,
} from './voucher-templates.js';
export {
  checkVoucher,
  discountOf,
  eligibleAmount,
  appliesToLine,
  voucherStatusOf,
  returnOutcome,
  voucherRefusal,
  refusalReason,
  VOUCHER_REASONS,
  VOUCHER_STATUSES,
  type VoucherReason,
  type VoucherStatus,
  type VoucherFacts,
  type VoucherUse,
  type VoucherLine,
  type VoucherCheck,
  type ReturnOutcome,
} from './voucher-rules.js';
export {
  VOUCHER_SOURCES,
  type Voucher,
  type VoucherSource,
  type VoucherEntry,
  type VoucherTemplateRecord,
  type EligibleVoucher,
  type VoucherApi,
  type VoucherConversion,
  type VoucherHold,
  type VoucherEligibility,
  type IssueVoucherInput,
  type ConvertPointsInput,
  type ReserveVoucherInput,
  type EligibleVouchersInput,
  type RetireTemplateInput,
  type CancelVoucherInput,
  type CancelVoucherHoldInput,
  type CustomerVouchersInput,
} from './voucher-service.js';

// Stored-value cards.
export {
  cardProductSchema,
  bonusFor,
  valueProblem,
  generateCardNumber,
  cardExpiry,
  breakageOf,
  CARD_NUMBER_LENGTH,
  type CardProduct,
  type CardProductInput,
} from './stored-value-products.js';
export { pinSchema, DEFAULT_PIN_ITERATIONS, PIN_TRIES } from './pin-hash.js';
export { CARD_ALLOWANCE_PREFIX, isCardAllowance } from './stored-value-service.js';
export type {
  StoredValueCard,
  CardEntry,
  CardPayment,
  CardProductRecord,
  StoredValueApi,
  SellCardInput,
  AuthorizeInput,
  SpendInput,
  TopUpInput,
  CaptureInput,
  CancelAuthorizationInput,
  CardRefundInput,
  TransferInput,
  ReportLostStoredValueCardInput,
  UnlockCardInput,
  ReplaceStoredValueCardInput,
  SetPinInput,
  TopUpResult,
  CardPaymentResult,
  CardRefundResult,
  CardSaleRefund,
  TransferResult,
  CardReplacement,
  CardStatement,
} from './stored-value-service.js';
export type { CardLiability, CardLiabilityRow, CardLiabilityInput } from './liability-report.js';
export {
  planCardSaleRefund,
  cardSaleRefundSchema,
  type CardSaleRefundInput,
  type CardSaleRefundPlan,
  type CardRefundTender,
  type CardTender,
} from './card-sale-refund.js';

// Product rewards claimed with points.
export type {
  RewardClaim,
  RewardsApi,
  RewardReversal,
  ClaimRewardInput,
  CancelRewardClaimInput,
  ReverseRewardInput,
} from './reward-service.js';
