/**
 * `@clientele/segments`: customer statistics kept current on every sale, RFM scores and groups, value
 * and volume classes, churn risk from each customer's own rhythm, credit for organisations buying on
 * account, key accounts, segments defined as data with policies, structure reports and
 * recommendations. The pure parts (definitions, scores, rules) run in a browser too.
 *
 * @packageDocumentation
 */
export {
  segments,
  defineSegmentSchema,
  type SegmentsApi,
  type SegmentsForModules,
  type Segment,
  type SegmentMember,
  type AtRiskCustomer,
  type AtRiskInput,
  type DistributionRow,
  type MatchOptions,
  type DefineSegmentInput,
  type CustomerStats,
} from './segments-module.js';
export { segmentsConfigSchema, type SegmentsConfig, type ResolvedSegmentsConfig } from './config.js';
export type {
  ListenedEvents,
  SatisfactionFigures,
  SegmentEvents,
  SegmentsContext,
  SegmentsEventMap,
  SegmentsHandler,
  SegmentsKernel,
} from './events.js';
export {
  COMPARISON_OPS,
  SEGMENT_FIELDS,
  BUILT_IN_CONDITIONS as BUILT_IN_SEGMENT_CONDITIONS,
  MAX_PUSHDOWN_TERMS,
  conditionSchema,
  compileCondition,
  DEFINITION_LIMITS,
  definitionInputSchema,
  definitionJsonIssue,
  conditionRegistry,
  defineConditionKind,
  evaluate as evaluatePredicate,
  needsCustomer,
  pushdownTerms,
  resolveValue,
  type ComparisonOp,
  type ConditionInput,
  type ConditionKind as SegmentConditionKind,
  type AnyConditionKind as AnySegmentConditionKind,
  type ConditionRegistry,
  type EvaluationTarget,
  type Predicate,
  type PredicateValue,
  type PushdownTerm,
  type RelativeDate,
  type SegmentField,
  type SegmentFieldKind,
} from './definition.js';
export {
  DEFAULT_RFM_GROUPS,
  PROSPECTS_GROUP,
  rfmGroupSchema,
  rfmMap,
  scoreCounts,
  emptyScores,
  scoreSpread,
  quintiles,
  quintileScore,
  rfmGroupOf,
  valueThresholds,
  valueClassOf,
  largeThreshold,
  volumeClassOf,
  scoreCustomer,
  type Quintiles,
  type RfmGroup,
  type RfmCell,
  type ScoreSpread,
  type ScoreThresholds,
  type ValueThresholds,
} from './scores.js';
export {
  statsFromVisits,
  churnThreshold,
  overdueAt,
  churnReason,
  satisfactionSignal,
  topCategories,
  type SatisfactionSettings,
  type SatisfactionSignal,
  type VisitGroup,
  type StatsSettings,
  type PurchaseFigures,
  type ChurnSettings,
  type ChurnThreshold,
} from './customer-stats.js';
export {
  checkCredit,
  allocate as allocatePayment,
  rateCredit,
  DEFAULT_RATING_RULES,
  type CreditCheck,
  type CreditDecision,
  type CreditMode,
  type ChargeState,
  type CreditRating,
  type RatingRules,
} from './credit-rules.js';
export { CreditLimitError, NoCreditAccountError } from './credit-error.js';
export {
  keyAccountScore,
  ratingShare,
  DEFAULT_KEY_ACCOUNT_RULES,
  BUILT_IN_KEY_ACCOUNT_FACTORS,
  UNRATED_SHARE,
  type KeyAccountFactors,
  type KeyAccountFactor,
  type KeyAccountFacts,
  type KeyAccountShares,
  type KeyAccountRules,
  type KeyAccountScore,
  type KeyAccountWeights,
} from './key-account-score.js';
export { mergePolicies, policySchema, type SegmentPolicy, type MergedPolicy } from './policy.js';
export { pairMetrics, PairCounter, nextCategories, type PairCounts, type NextCategory } from './bought-together.js';
export {
  customerStatsCollection,
  segmentStateCollection,
  segmentDefinitionsCollection,
  segmentMembersCollection,
  creditAccountsCollection,
  creditEntriesCollection,
  creditApprovalsCollection,
  keyAccountsCollection,
  basketPairsCollection,
  segmentCollections,
  segmentMigrations,
  type StatsRow,
} from './collections.js';
export {
  REBUILD_PARTS,
  rebuildSchema,
  type RebuildPart,
  type RebuildInput,
  type RebuildProgress,
  type RebuildResult,
} from './rebuild.js';
export {
  setAccountSchema,
  approveSchema,
  creditCheckSchema,
  paymentSchema as creditPaymentSchema,
  type CreditApi,
  type SetAccountInput,
  type ApproveCreditInput,
  type CreditPaymentInput,
  type CreditPaymentResult,
  type CreditAccount,
  type CreditEntry,
  type CreditApproval,
  type CreditStatus,
} from './credit-service.js';
export {
  assessSchema,
  visitSchema,
  type KeyAccount,
  type KeyAccountApi,
  type KeyAccountAssessment,
  type AssessInput,
  type VisitInput,
} from './key-account-service.js';
export {
  REPORT_DIMENSIONS,
  structureSchema,
  type SegmentsReports,
  type StructureInput,
  type StructureRow,
} from './report-service.js';
export {
  boughtTogetherSchema,
  type BoughtTogether,
  type BoughtTogetherInput,
  type NextCategoriesInput,
  type Recommendations,
} from './recommendation-service.js';
