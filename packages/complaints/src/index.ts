/**
 * `@clientele/complaints`: complaint and after-sales cases up a configurable ladder with authority
 * limits, service-level clocks in business hours, an archive with root causes and corrective
 * actions, and satisfaction surveys whose low scores open cases.
 *
 * The pure parts (the state machine, the business-hours arithmetic, the configuration schema, the
 * report arithmetic, the survey sampler) import nothing from Node and bundle for the browser.
 *
 * @packageDocumentation
 */
export { complaints, type ComplaintsApi, type ComplaintsArchive, type ComplaintsReports } from './module.js';
export {
  complaintsConfigSchema,
  levelSchema,
  questionnaireSchema,
  questionSchema,
  timeLimitSchema,
  serviceCalendarSchema,
  REOPEN_CLOCKS,
  parseComplaintsConfig,
  lowScoresOf,
  type ComplaintsConfig,
  type ComplaintsConfigInput,
  type Level,
  type LevelConfig,
  type Questionnaire,
  type TimeLimit,
  type ServiceCalendarInput,
  type ReopenClocks,
} from './config.js';
export {
  CASE_KINDS,
  CASE_CHANNELS,
  CASE_STATUSES,
  CASE_ACTIONS,
  AFTER_SALES_REQUESTS,
  RULING_DECISIONS,
  NOTHING_OWED_OUTCOMES,
  CLOSE_OUTCOMES,
  TRANSITIONS,
  trackOf,
  nextStatus,
  allowedActions,
  isResolved,
  type CaseKind,
  type CaseChannel,
  type CaseStatus,
  type CaseAction,
  type AfterSalesRequest,
  type RulingDecision,
  type NothingOwedOutcome,
  type CloseOutcome,
  type Track,
  type StepFacts,
  type StepResult,
  type TransitionStep,
} from './case-states.js';
export {
  DUE_AT_CLOSING,
  ALWAYS_OPEN,
  slaCalendar,
  SLA_HORIZON_DAYS,
  MAX_PLACEABLE_MINUTES,
  addBusinessTime,
  placeBusinessTime,
  openTimeWithinHorizon,
  weeklyOpenMinutes,
  addBusinessMinutesExact,
  businessTimeBetween,
  resumedDue,
  levelDeadlines,
  nextDue,
  type CaseClocks,
  type DueAtClosing,
  type DueKind,
  type LevelDeadlines,
} from './sla-clock.js';
export {
  caseSla,
  clockStatus,
  type CaseSla,
  type SlaClock,
  type SlaClockStatus,
  type SlaFacts,
  type SlaCalendar,
} from './sla-state.js';
export { ladderOf, ladderNamed, levelOf, isTop, limitsAt, limitsWithPath, mayActAt, approvalLevel } from './ladder.js';
export {
  REMEDY_TYPES,
  LOYALTY_REMEDIES,
  TASK_REMEDIES,
  DEFAULT_REMEDY_POLICIES,
  remedyInputSchema,
  remedyValue,
  describeRemedy,
  issueKey,
  type RemedyType,
  type RemedyInput,
  type RemedyPolicy,
  type LoyaltyRemedyApi,
  type LoyaltyCommand,
  type GoodwillRemedyInput,
  type VoucherRemedyInput,
  type SegmentsReadApi,
} from './remedies.js';
export {
  INDICATOR_GROUPS,
  DEFAULT_INDICATORS,
  SCALES,
  DEFAULT_LOW_SCORES,
  scaleRange,
  onScale,
  normalise,
  promoterClass,
  netPromoterScore,
  isLowScore,
  isSampled,
  type IndicatorGroup,
  type Scale,
  type LowScoreThresholds,
} from './questionnaires.js';
export {
  pareto,
  slaRows,
  clockOutcome,
  type LevelStint,
  type SlaRow,
  type ClockSummary,
  type ClockOutcome,
  type CauseTotal,
  type ParetoRow,
} from './report-math.js';
export type { ComplaintEvents } from './events.js';
export type { Case, CaseItem, Remedy } from './case-view.js';
export type { CaseService } from './case-service.js';
export type {
  CaseHistoryEntry,
  SlaReport,
  CauseReport,
  ArchiveSearchInput,
  SlaReportInput,
  CauseReportInput,
} from './archive.js';
export type {
  CorrectiveAction,
  CorrectiveActionApi,
  CreateActionInput,
  CompleteActionInput,
  VerifyActionInput,
  ListActionsInput,
} from './corrective-actions.js';
export type {
  OpenCaseInput,
  SettleAtCounterInput,
  CaseStepInput,
  ReasonedStepInput,
  ProposeInput,
  ApprovalInput,
  AnswerInput,
  RulingInput,
  ExecuteInput,
  CloseCaseInput,
  ListCasesInput,
} from './case-schemas.js';
export type {
  SurveyService,
  SurveyResponseResult,
  InviteInput,
  RespondInput,
  InvitationsInput,
  ScoresInput,
  SurveyInvitation,
  SurveyResponse,
  ScoreReport,
  ScoreRow,
  ScoreFigures,
  SatisfactionInput,
  CustomerSatisfaction,
} from './survey-service.js';
export {
  SATISFACTION_WINDOW,
  responseScore,
  leastSquaresSlope,
  satisfactionTrend,
  type SatisfactionPoint,
  type SatisfactionTrend,
} from './survey-satisfaction.js';
export type { IssueOutcome } from './remedy-workflow.js';
export {
  openCaseSchema,
  settleSchema,
  proposeSchema,
  ruleSchema,
  executeSchema,
  closeSchema,
  answerSchema,
  taskSchema,
  caseItemSchema,
} from './case-schemas.js';
export { archiveSearchSchema, slaReportSchema, causeReportSchema } from './archive.js';
export { createActionSchema } from './corrective-actions.js';
export { respondSchema, inviteSchema, scoresSchema } from './survey-service.js';
export {
  complaintsCollections,
  casesCollection,
  caseItemsCollection,
  caseHistoryCollection,
  stintsCollection,
  remediesCollection,
  actionsCollection,
  invitationsCollection,
  responsesCollection,
  answersCollection,
  type CaseRow,
  type CaseItemRow,
  type HistoryRow,
  type StintRow,
  type RemedyRow,
  type ActionRow,
  type InvitationRow,
  type ResponseRow,
  type CaseContact,
  type StoredRuling,
  type StoredTask,
} from './collections.js';
