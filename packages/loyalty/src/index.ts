/**
 * `@clientele/loyalty`: the earning rules engine, the points ledger, holds at the till, and tiers.
 *
 * - `loyalty(programConfig)` is the module for `createClientele` (`crm.loyalty`).
 * - `compileProgram(config)` with `quote(program, basket, context)` quotes without a store: pure,
 *   synchronous, and safe to bundle for a browser (a web POS quotes offline).
 *
 * @packageDocumentation
 */
export { loyalty, loyaltyMigrations, type LoyaltyApi, type LoyaltyOptions } from './loyalty-module.js';
export type { LoyaltyEvents, EntryRef } from './events.js';
export { InsufficientBalanceError } from './errors.js';

// The program.
export {
  programSchema,
  parseProgram,
  createRegistry,
  capsSchema,
  budgetSchema,
  ACTIVITY_TYPES,
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
export { compileProgram, compileConfig, factorLabel, type CompiledProgram, type CompiledRule, type Caps, type LineIndex } from './compiled-program.js';
export { BUILT_IN_CONDITIONS, defineCondition, type ConditionKind, type CompiledCondition, type LineTest, type BasketTest, type MatchedTest, type CompileEnv } from './conditions.js';
export { BUILT_IN_RULE_KINDS, defineRuleKind, type RuleKind, type RuleLine, type CompiledAction, type LineAction, type MultiplierAction, type BasketAction, type ArgsProblem } from './rule-kinds.js';
export { expiryPolicySchema, expiryOf, describeExpiry, type ExpiryPolicy, type Expiry } from './expiry.js';
export { tiersSchema, qualifiedLevel, levelRank, windowMonths, nextReview, type TiersConfig } from './tiers.js';
export { payloadFieldSchema, usageLimitSchema, payloadSchemaOf, limitOf, type ActivityType, type PayloadField } from './activities.js';

// The quote.
export { quote, evaluate, explainQuote, LineTrace, RuleTrace, type Quote, type LineAward, type LimitTrace, type CounterUse } from './quote.js';
export { basketSchema, basketLineSchema, labelSchema, priceBasket, grossOf, type Basket, type BasketLine, type PricedLine } from './basket.js';
export { quoteContextSchema, contextFacts, factorSchema, CHANNELS, type QuoteContext, type QuoteFacts, type Channel } from './quote-context.js';
export { counterKeys, dayCapKey, customerCapKey, budgetKey, isMemberCounter } from './counter-keys.js';
export { localTime, periodKey, PERIODS, type LocalTime, type Period } from './local-time.js';
export { divide, mulDiv, valueOfPoints, pointsForValue, type PointsRounding, type PointValue } from './points-math.js';
export { moneyFormatter } from './money-format.js';

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
  ENTRY_KINDS,
  type EntryKind,
} from './collections.js';
export { createLedger, isInsufficient, type Ledger, type LedgerSettings, type LedgerEntry, type Lot, type AccountRow, type Posting, type DebitMode, type LotTake } from './ledger.js';
export type { Balance, StatementLine, StoreLiability } from './account-queries.js';
export type { Hold } from './holds.js';
export type { ActivityResult } from './activity-earning.js';
export type { PointsResult } from './adjustments.js';
export type { SegmentsReader } from './member-context.js';
export { remainingLines, planReturn, type AwardLine, type Award, type ReturnPlan, type ContextSnapshot } from './sale-earning.js';
