/**
 * The collections the complaints module owns. Rows that belong to a customer name them in
 * `customerId`, so export, erasure and merge work on them without code of their own.
 */
import { defineCollection, field, nullable, type JsonValue, type Migration, type RowOf } from '@clientele/core/module';

/** A contact for a case without a customer record (an anonymous shopper who left a phone number). */
export type CaseContact = { name?: string; phone?: string; email?: string };

/** The ruling of an after-sales case. */
export type StoredRuling = { decision: string; reason: string | null; ruledBy: JsonValue; at: string };

/** The supervised execution task of a case. Times are ISO-8601. */
export type StoredTask = {
  ownerStaffId: string;
  description: string;
  dueAt: string;
  startedAt: string;
  doneAt: string | null;
  doneNote: string | null;
  /** When the task's lateness escalated the case (it escalates once). */
  lateNotedAt: string | null;
};

/** Cases: complaints, after-sales requests, suggestions and praise. */
export const casesCollection = defineCollection({
  name: 'complaint_cases',
  primaryKey: 'id',
  versioned: true,
  fields: {
    id: field.string(),
    caseNo: field.string(),
    kind: field.string(),
    /** For after-sales: `repair`, `return` or `exchange`. */
    request: nullable(field.string()),
    track: field.string(),
    channel: field.string(),
    status: field.string(),
    customerId: nullable(field.string()),
    contact: nullable(field.json<CaseContact>()),
    storeId: field.string(),
    purchaseId: nullable(field.string()),
    category: field.string(),
    severity: field.string(),
    serviceLevel: nullable(field.string()),
    description: field.string(),
    /** References to files kept elsewhere (photos, receipts). */
    attachments: field.json<string[]>(),
    ladder: field.string(),
    level: field.integer(),
    stintId: field.string(),
    levelEnteredAt: field.timestamp(),
    /** The current level's clocks, as set on entering it (moved by pauses). */
    acknowledgeBy: field.timestamp(),
    /**
     * For a response-only level (`responseOnly`), which has no resolve clock, this holds the acknowledge due
     * time (the column allows no null); reads show null.
     */
    resolveBy: field.timestamp(),
    /** The current level's agreement sets an acknowledge limit and no resolve limit (null on older rows: false). */
    responseOnly: nullable(field.boolean()),
    /** The configuration's calendar the current level's clocks count in; null: the store's own. */
    slaCalendar: nullable(field.string()),
    levelAcknowledgedAt: nullable(field.timestamp()),
    /** Pending clocks: null once met or once their miss was acted on. */
    ackDueAt: nullable(field.timestamp()),
    resolveDueAt: nullable(field.timestamp()),
    taskDueAt: nullable(field.timestamp()),
    /** The earliest pending clock; what `runDue` looks for. Null while paused or settled. */
    dueAt: nullable(field.timestamp()),
    dueKind: nullable(field.string()),
    /** Set while the case waits on the customer: the clocks stand still. */
    pausedAt: nullable(field.timestamp()),
    /**
     * Business milliseconds the clocks stood still before the current pause: pauses, and the time a reopened
     * case had been resolved or closed (null on older rows: none recorded).
     */
    pausedBusinessMs: nullable(field.integer()),
    /** Business milliseconds from opening to the first acknowledgement, paused time left out. */
    firstResponseBusinessMs: nullable(field.integer()),
    /** A clock was missed at the top of the ladder, where nothing is left to escalate to. */
    overdue: field.boolean(),
    escalations: field.integer(),
    handlerStaffId: nullable(field.string()),
    acknowledgedAt: nullable(field.timestamp()),
    resolvedAt: nullable(field.timestamp()),
    closedAt: nullable(field.timestamp()),
    rootCause: nullable(field.string()),
    resolution: nullable(field.string()),
    /**
     * How a closed case ended: `resolved` (a remedy carried out and verified), `rejected` (an after-sales
     * ruling refused the request), or, with nothing owed, `answered` or `unfounded`; null while open.
     */
    outcome: nullable(field.string()),
    /** Why a case closed as `answered` or `unfounded`. */
    outcomeReason: nullable(field.string()),
    ruling: nullable(field.json<StoredRuling>()),
    task: nullable(field.json<StoredTask>()),
    /** Minor units given in executed remedies. */
    remedyCost: field.integer(),
    reopenCount: field.integer(),
    /** What opened the case, when not a person: `{ type: 'survey-response', id }`. */
    source: nullable(field.json<{ type: string; id: string }>()),
    openedBy: field.json<JsonValue>(),
    createdAt: field.timestamp(),
    updatedAt: field.timestamp(),
  },
  indexes: [
    { name: 'complaint_cases_no', fields: ['caseNo'], unique: true },
    { name: 'complaint_cases_due', fields: ['dueAt'] },
    { name: 'complaint_cases_customer', fields: ['customerId', 'createdAt'] },
    { name: 'complaint_cases_store', fields: ['storeId', 'createdAt'] },
    { name: 'complaint_cases_status', fields: ['status', 'closedAt'] },
    { name: 'complaint_cases_cause', fields: ['rootCause', 'closedAt'] },
    { name: 'complaint_cases_category', fields: ['category', 'closedAt'] },
    { name: 'complaint_cases_purchase', fields: ['purchaseId'] },
  ],
  customerKey: 'customerId',
  personal: ['contact'],
  // The customer's words, staff's findings and file names (a photo named after a phone number).
  scrub: ['description', 'attachments', 'resolution', 'outcomeReason', 'ruling', 'task'],
  plain: [
    'slaCalendar',
    'outcome',
    'caseNo',
    'kind',
    'request',
    'track',
    'channel',
    'status',
    'storeId',
    'purchaseId',
    'category',
    'severity',
    'serviceLevel',
    'ladder',
    'stintId',
    'dueKind',
    'handlerStaffId',
    'rootCause',
    'source',
    'openedBy',
  ],
});

/** Products or purchase lines a case concerns. */
export const caseItemsCollection = defineCollection({
  name: 'complaint_case_items',
  primaryKey: 'id',
  fields: {
    id: field.string(),
    caseId: field.string(),
    customerId: nullable(field.string()),
    seq: field.integer(),
    sku: field.string(),
    name: nullable(field.string()),
    category: nullable(field.string()),
    purchaseId: nullable(field.string()),
    lineNo: nullable(field.integer()),
    /** Thousandths of a unit (weighed goods). */
    quantityMilli: nullable(field.integer()),
  },
  indexes: [
    { name: 'complaint_case_items_case', fields: ['caseId', 'seq'], unique: true },
    { name: 'complaint_case_items_sku', fields: ['sku'] },
  ],
  customerKey: 'customerId',
  plain: ['caseId', 'sku', 'name', 'category', 'purchaseId'],
});

/** Who did what to a case, when. Append-only. */
export const caseHistoryCollection = defineCollection({
  name: 'complaint_history',
  primaryKey: 'id',
  fields: {
    id: field.string(),
    caseId: field.string(),
    customerId: nullable(field.string()),
    at: field.timestamp(),
    actor: field.json<JsonValue>(),
    action: field.string(),
    fromStatus: nullable(field.string()),
    toStatus: field.string(),
    fromLevel: nullable(field.integer()),
    toLevel: field.integer(),
    note: nullable(field.string()),
    data: field.json<JsonValue>(),
  },
  indexes: [{ name: 'complaint_history_case', fields: ['caseId', 'at'] }],
  customerKey: 'customerId',
  scrub: ['note', 'data'],
  plain: ['caseId', 'actor', 'action', 'fromStatus', 'toStatus'],
});

/** One stay of a case at one level, with that level's clocks: what the SLA report counts. */
export const stintsCollection = defineCollection({
  name: 'complaint_stints',
  primaryKey: 'id',
  fields: {
    id: field.string(),
    caseId: field.string(),
    storeId: field.string(),
    ladder: field.string(),
    level: field.integer(),
    levelId: field.string(),
    severity: field.string(),
    /**
     * Why the case came to this level: `opened`, `acknowledge-missed`, `resolve-missed`, `execution-late`, `authority`,
     * `appeal`, `reopened`, `manual`.
     */
    reason: field.string(),
    enteredAt: field.timestamp(),
    acknowledgeBy: field.timestamp(),
    acknowledgedAt: nullable(field.timestamp()),
    /** For a response-only stay (`responseOnly`) the acknowledge due time: it has no resolve clock. */
    resolveBy: field.timestamp(),
    resolvedAt: nullable(field.timestamp()),
    leftAt: nullable(field.timestamp()),
    /** The stay's agreement has no resolve limit (null on older rows: false). */
    responseOnly: nullable(field.boolean()),
    /** The configuration's calendar the stay's clocks count in; null: the store's own. */
    calendar: nullable(field.string()),
  },
  indexes: [
    { name: 'complaint_stints_case', fields: ['caseId', 'enteredAt'] },
    { name: 'complaint_stints_store', fields: ['storeId', 'enteredAt'] },
    { name: 'complaint_stints_entered', fields: ['enteredAt'] },
  ],
  plain: ['caseId', 'storeId', 'ladder', 'levelId', 'severity', 'reason', 'calendar'],
});

/** Remedies proposed on cases, their approval and their execution. */
export const remediesCollection = defineCollection({
  name: 'complaint_remedies',
  primaryKey: 'id',
  versioned: true,
  fields: {
    id: field.string(),
    caseId: field.string(),
    customerId: nullable(field.string()),
    seq: field.integer(),
    type: field.string(),
    /** Minor units (the voucher's face value, the goods exchanged, the repair's cost). */
    amount: field.integer(),
    points: nullable(field.integer()),
    templateId: nullable(field.string()),
    note: nullable(field.string()),
    /** The role-limit action checked, and the value checked against it. */
    action: field.string(),
    value: field.integer(),
    /** `approved`, `awaiting-approval`, `declined`, `withdrawn`, `issuing`, `executed`, `failed`. */
    status: field.string(),
    requestedBy: field.json<JsonValue>(),
    requestedAt: field.timestamp(),
    requestedLevel: field.integer(),
    /** The level the request went to when it was above the requester's authority. */
    approvalLevel: nullable(field.integer()),
    /** Who approved beyond the requester's own limit (null: within it). */
    approvedBy: nullable(field.string()),
    approvedAt: nullable(field.timestamp()),
    issueKey: nullable(field.string()),
    /** What the loyalty module returned (points entry, voucher id and code). */
    result: nullable(field.json<JsonValue>()),
    executedAt: nullable(field.timestamp()),
    failure: nullable(field.json<JsonValue>()),
    updatedAt: field.timestamp(),
  },
  indexes: [
    { name: 'complaint_remedies_case', fields: ['caseId', 'seq'], unique: true },
    { name: 'complaint_remedies_status', fields: ['status', 'updatedAt'] },
    { name: 'complaint_remedies_type', fields: ['type', 'executedAt'] },
  ],
  customerKey: 'customerId',
  // What the loyalty module answered and why an issue failed may quote the customer.
  scrub: ['note', 'result', 'failure'],
  plain: ['caseId', 'type', 'templateId', 'action', 'status', 'requestedBy', 'approvedBy', 'issueKey'],
});

/** Corrective actions: what the store changes so a cause does not come back. */
export const actionsCollection = defineCollection({
  name: 'complaint_actions',
  primaryKey: 'id',
  versioned: true,
  fields: {
    id: field.string(),
    caseId: nullable(field.string()),
    storeId: field.string(),
    cause: field.string(),
    description: field.string(),
    ownerStaffId: field.string(),
    ladder: field.string(),
    level: field.integer(),
    dueAt: field.timestamp(),
    /** The pending due time `runDue` looks for; null once done or cancelled. */
    pendingDueAt: nullable(field.timestamp()),
    /** `open`, `done`, `verified`, `cancelled`. */
    status: field.string(),
    escalations: field.integer(),
    overdue: field.boolean(),
    createdBy: field.json<JsonValue>(),
    createdAt: field.timestamp(),
    doneAt: nullable(field.timestamp()),
    doneNote: nullable(field.string()),
    verifiedAt: nullable(field.timestamp()),
    verifiedBy: nullable(field.string()),
    updatedAt: field.timestamp(),
  },
  indexes: [
    { name: 'complaint_actions_due', fields: ['pendingDueAt'] },
    { name: 'complaint_actions_store', fields: ['storeId', 'createdAt'] },
    { name: 'complaint_actions_case', fields: ['caseId'] },
    { name: 'complaint_actions_cause', fields: ['cause', 'createdAt'] },
  ],
  // Staff's words about a store's process, kept with no customer: erasure searches them for the person.
  scrub: ['description', 'doneNote'],
  plain: ['caseId', 'storeId', 'cause', 'ownerStaffId', 'ladder', 'status', 'createdBy', 'verifiedBy'],
});

/** Survey invitations: one per sampled purchase or closed case, answered at most once. */
export const invitationsCollection = defineCollection({
  name: 'survey_invitations',
  primaryKey: 'id',
  versioned: true,
  fields: {
    id: field.string(),
    questionnaireId: field.string(),
    customerId: nullable(field.string()),
    storeId: field.string(),
    trigger: field.string(),
    refType: field.string(),
    refId: field.string(),
    /** `open`, `answered`, `expired`. */
    status: field.string(),
    createdAt: field.timestamp(),
    expiresAt: field.timestamp(),
    respondedAt: nullable(field.timestamp()),
    responseId: nullable(field.string()),
  },
  indexes: [
    { name: 'survey_invitations_ref', fields: ['questionnaireId', 'refType', 'refId'], unique: true },
    { name: 'survey_invitations_customer', fields: ['customerId', 'createdAt'] },
    { name: 'survey_invitations_status', fields: ['status', 'expiresAt'] },
  ],
  customerKey: 'customerId',
  plain: ['questionnaireId', 'storeId', 'trigger', 'refType', 'refId', 'status', 'responseId'],
});

/** Survey responses as given. */
export const responsesCollection = defineCollection({
  name: 'survey_responses',
  primaryKey: 'id',
  fields: {
    id: field.string(),
    invitationId: nullable(field.string()),
    questionnaireId: field.string(),
    customerId: nullable(field.string()),
    storeId: field.string(),
    at: field.timestamp(),
    answers: field.json<Record<string, number>>(),
    /** The customer's segments when answering, for scores per segment. */
    segments: field.json<string[]>(),
    comment: nullable(field.string()),
    lowScore: field.boolean(),
    caseId: nullable(field.string()),
  },
  indexes: [
    { name: 'survey_responses_at', fields: ['at'] },
    { name: 'survey_responses_store', fields: ['storeId', 'at'] },
    { name: 'survey_responses_customer', fields: ['customerId', 'at'] },
  ],
  customerKey: 'customerId',
  personal: ['comment'],
  // Answers are scores by question id; segments are segment ids.
  plain: ['invitationId', 'questionnaireId', 'storeId', 'answers', 'segments', 'caseId'],
});

/** One row per answered question, so scores aggregate in the database. */
export const answersCollection = defineCollection({
  name: 'survey_answers',
  primaryKey: 'id',
  fields: {
    id: field.string(),
    responseId: field.string(),
    questionnaireId: field.string(),
    customerId: nullable(field.string()),
    storeId: field.string(),
    at: field.timestamp(),
    questionId: field.string(),
    indicator: field.string(),
    indicatorGroup: field.string(),
    scale: field.string(),
    score: field.integer(),
    /** The score on a 0-1000 scale. */
    normalised: field.integer(),
    promoter: field.integer(),
    detractor: field.integer(),
  },
  indexes: [
    { name: 'survey_answers_at', fields: ['at'] },
    { name: 'survey_answers_store', fields: ['storeId', 'at'] },
    { name: 'survey_answers_response', fields: ['responseId'] },
  ],
  customerKey: 'customerId',
  plain: ['responseId', 'questionnaireId', 'storeId', 'questionId', 'indicator', 'indicatorGroup', 'scale'],
});

/** Every collection of the module. */
export const complaintsCollections = [
  casesCollection,
  caseItemsCollection,
  caseHistoryCollection,
  stintsCollection,
  remediesCollection,
  actionsCollection,
  invitationsCollection,
  responsesCollection,
  answersCollection,
] as const;

/** The module's migrations, in order. */
export const complaintsMigrations: readonly Migration[] = [
  {
    id: 'complaints/0001-initial',
    steps: complaintsCollections.map((collection) => ({ op: 'createCollection' as const, collection })),
  },
  {
    // Service-level calendars, response-only agreements, paused time, first response and closing outcomes.
    id: 'complaints/0002-service-level-clocks',
    steps: [
      ...(
        [
          'responseOnly',
          'slaCalendar',
          'pausedBusinessMs',
          'firstResponseBusinessMs',
          'outcome',
          'outcomeReason',
        ] as const
      ).map((f) => ({
        op: 'addField' as const,
        collection: casesCollection.name,
        field: f,
        spec: casesCollection.fields[f],
      })),
      ...(['responseOnly', 'calendar'] as const).map((f) => ({
        op: 'addField' as const,
        collection: stintsCollection.name,
        field: f,
        spec: stintsCollection.fields[f],
      })),
    ],
  },
];

/** A stored case row. */
export type CaseRow = RowOf<typeof casesCollection>;
/** A stored remedy. */
export type RemedyRow = RowOf<typeof remediesCollection>;
/** A stored history entry. */
export type HistoryRow = RowOf<typeof caseHistoryCollection>;
/** A stored level stint. */
export type StintRow = RowOf<typeof stintsCollection>;
/** A stored corrective action. */
export type ActionRow = RowOf<typeof actionsCollection>;
/** A stored survey invitation. */
export type InvitationRow = RowOf<typeof invitationsCollection>;
/** A stored survey response. */
export type ResponseRow = RowOf<typeof responsesCollection>;
/** A stored case item. */
export type CaseItemRow = RowOf<typeof caseItemsCollection>;
