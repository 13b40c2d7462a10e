/** The collections the segments module owns, and its migrations. */
import { defineCollection, field, nullable, type JsonValue, type Migration, type RowOf } from '@clientele/core/module';

/** What a rebuild reads of every stored statistics row: the hashes and the customer version, in key order. */
const STATS_CHECK_INDEX = {
  name: 'segment_customer_stats_check',
  fields: ['customerId', 'digest', 'scoresDigest', 'customerVersion'],
};

/**
 * One row per buying customer: statistics from purchases, scores and classes, and copies of the
 * customer fields that segments test (kind, region, ...), so a definition is one filter on one table.
 * An erased customer keeps their row under the bare id, as their purchases stay: reports add up the
 * same before and after; `erased` keeps them out of every segment and list of customers.
 */
export const customerStatsCollection = defineCollection({
  name: 'segment_customer_stats',
  primaryKey: 'customerId',
  // A nightly rebuild rewrites the rows of every customer whose figures moved.
  rewrittenInBulk: true,
  fields: {
    customerId: field.string(),
    kind: field.string(),
    region: nullable(field.string()),
    industry: nullable(field.string()),
    sizeClass: nullable(field.string()),
    homeStoreId: nullable(field.string()),
    /** The `version` of the customer row the copies above come from (null on rows older than the field). */
    customerVersion: nullable(field.integer()),
    firstPurchaseAt: nullable(field.timestamp()),
    lastPurchaseAt: nullable(field.timestamp()),
    visits: field.integer(),
    spend: field.integer(),
    avgBasket: field.integer(),
    windowVisits: field.integer(),
    windowSpend: field.integer(),
    gaps: field.json<number[]>(),
    typicalGapHours: nullable(field.integer()),
    churnThresholdHours: nullable(field.integer()),
    churnBasis: nullable(field.string()),
    overdueAt: nullable(field.timestamp()),
    categories: field.json<Record<string, number>>(),
    topCategory: nullable(field.string()),
    rScore: nullable(field.integer()),
    fScore: nullable(field.integer()),
    mScore: nullable(field.integer()),
    rfmGroup: nullable(field.string()),
    valueClass: nullable(field.string()),
    volumeClass: nullable(field.string()),
    creditRating: nullable(field.string()),
    keyAccount: field.boolean(),
    /**
     * A hash of the fields a rebuild derives from purchases and the customer's version, so it rewrites only rows that
     * changed.
     */
    digest: field.integer(),
    /**
     * A hash of the fields that depend on the population's thresholds (scores, classes, the population's churn
     * threshold).
     */
    scoresDigest: field.integer(),
    updatedAt: field.timestamp(),
    /** True when the customer was erased (copied from their status, as `kind` is); null otherwise. */
    erased: nullable(field.boolean()),
    /** The customer's satisfaction 0-100 from their latest survey answers (null: none recorded). */
    satisfaction: nullable(field.integer()),
    /** Its change in points per answer over those answers (null: fewer than two). */
    satisfactionTrend: nullable(field.integer()),
    /** Survey answers (responses) the customer gave in all. */
    satisfactionResponses: nullable(field.integer()),
    /** When the latest was given. */
    satisfactionAt: nullable(field.timestamp()),
  },
  // Lets a rebuild read what is stored from the index alone; no other index, since a rebuild writes many rows.
  indexes: [STATS_CHECK_INDEX],
  customerKey: 'customerId',
  // Copies of the customer's non-personal fields and figures from the purchases, which stay too.
  plain: [
    'kind',
    'region',
    'industry',
    'sizeClass',
    'homeStoreId',
    'gaps',
    'churnBasis',
    'categories',
    'topCategory',
    'rfmGroup',
    'valueClass',
    'volumeClass',
    'creditRating',
  ],
});
/** A statistics row. */
export type StatsRow = RowOf<typeof customerStatsCollection>;

/** Named values the module keeps: the thresholds of the last rebuild. */
export const segmentStateCollection = defineCollection({
  name: 'segment_state',
  primaryKey: 'id',
  versioned: true,
  fields: { id: field.string(), data: field.json<JsonValue>(), updatedAt: field.timestamp() },
  plain: ['data'],
});

/** Segment definitions: conditions and a policy, as data. */
export const segmentDefinitionsCollection = defineCollection({
  name: 'segment_definitions',
  primaryKey: 'id',
  versioned: true,
  fields: {
    id: field.string(),
    name: field.string(),
    description: nullable(field.string()),
    definition: field.json<JsonValue>(),
    policy: field.json<JsonValue>(),
    priority: field.integer(),
    active: field.boolean(),
    createdAt: field.timestamp(),
    updatedAt: field.timestamp(),
  },
  plain: ['name', 'description', 'definition', 'policy'],
});

/** Materialised membership: who is in which segment since when. */
export const segmentMembersCollection = defineCollection({
  name: 'segment_members',
  primaryKey: 'id',
  // A nightly rebuild adds and removes the memberships that changed.
  rewrittenInBulk: true,
  fields: { id: field.string(), segmentId: field.string(), customerId: field.string(), since: field.timestamp() },
  indexes: [
    { name: 'segment_members_segment', fields: ['segmentId', 'customerId'], unique: true },
    { name: 'segment_members_customer', fields: ['customerId'] },
  ],
  customerKey: 'customerId',
  plain: ['segmentId'],
});

/** Credit accounts of organisations: limit, terms, and the outstanding balance cached beside its ledger. */
export const creditAccountsCollection = defineCollection({
  name: 'segment_credit_accounts',
  primaryKey: 'customerId',
  versioned: true,
  fields: {
    customerId: field.string(),
    currency: field.string(),
    limit: field.integer(),
    termsDays: field.integer(),
    mode: field.string(),
    onHold: field.boolean(),
    /** The sum of the ledger's entries, written in the same transaction as each entry. */
    outstanding: field.integer(),
    createdAt: field.timestamp(),
    updatedAt: field.timestamp(),
  },
  customerKey: 'customerId',
  plain: ['currency', 'mode'],
});

/**
 * The credit ledger, append-only: charges (sales on account), payments and credit notes (returns and
 * voids), signed so that the balance is their sum. `settled`/`settledAt` of a charge record how
 * payments were allocated to it (oldest due first), for the rating.
 */
export const creditEntriesCollection = defineCollection({
  name: 'segment_credit_entries',
  primaryKey: 'id',
  fields: {
    id: field.string(),
    customerId: field.string(),
    kind: field.string(),
    amount: field.integer(),
    purchaseId: nullable(field.string()),
    reference: nullable(field.string()),
    at: field.timestamp(),
    dueAt: nullable(field.timestamp()),
    settled: field.integer(),
    settledAt: nullable(field.timestamp()),
  },
  indexes: [
    { name: 'segment_credit_entries_customer', fields: ['customerId', 'at'] },
    { name: 'segment_credit_entries_purchase', fields: ['purchaseId'] },
  ],
  customerKey: 'customerId',
  // A payment's reference is what staff typed (a bank transfer's reference may carry a name).
  scrub: ['reference'],
  plain: ['kind', 'purchaseId'],
});

/** Single-use approvals of a sale on account beyond the limit, given ahead by staff with authority. */
export const creditApprovalsCollection = defineCollection({
  name: 'segment_credit_approvals',
  primaryKey: 'id',
  versioned: true,
  fields: {
    id: field.string(),
    customerId: field.string(),
    maxAmount: field.integer(),
    approvedBy: field.string(),
    status: field.string(),
    expiresAt: field.timestamp(),
    usedFor: nullable(field.string()),
    createdAt: field.timestamp(),
  },
  indexes: [{ name: 'segment_credit_approvals_customer', fields: ['customerId', 'status'] }],
  customerKey: 'customerId',
  plain: ['approvedBy', 'status', 'usedFor'],
});

/** Key-account assessments: the staff's factors, the score, the representative and the visit schedule. */
export const keyAccountsCollection = defineCollection({
  name: 'segment_key_accounts',
  primaryKey: 'customerId',
  versioned: true,
  fields: {
    customerId: field.string(),
    contractMonths: field.integer(),
    growthPotential: field.integer(),
    strategicImportance: field.integer(),
    /** Staff's ratings 1-5 of the retailer's own rated factors, by factor id (null on rows older than the field). */
    ratings: nullable(field.json<Record<string, number>>()),
    score: field.integer(),
    isKey: field.boolean(),
    representativeId: nullable(field.string()),
    visitEveryDays: nullable(field.integer()),
    lastVisitAt: nullable(field.timestamp()),
    nextVisitAt: nullable(field.timestamp()),
    /** The `nextVisitAt` already announced as due, so `runDue` announces each visit once. */
    announcedFor: nullable(field.timestamp()),
    assessedAt: field.timestamp(),
  },
  indexes: [{ name: 'segment_key_accounts_next_visit', fields: ['isKey', 'nextVisitAt'] }],
  customerKey: 'customerId',
  // Ratings are the staff's numbers about an account, as growth potential and strategic importance are.
  plain: ['representativeId', 'ratings'],
});

/** Pairs bought together (items and categories), refreshed by a rebuild; metrics come from the counts. */
export const basketPairsCollection = defineCollection({
  name: 'segment_basket_pairs',
  primaryKey: 'id',
  fields: {
    id: field.string(),
    level: field.string(),
    a: field.string(),
    b: field.string(),
    together: field.integer(),
    aCount: field.integer(),
    bCount: field.integer(),
    baskets: field.integer(),
  },
  indexes: [{ name: 'segment_basket_pairs_a', fields: ['level', 'a'] }],
  plain: ['level', 'a', 'b'],
});

/** Every collection of the module. */
export const segmentCollections = [
  customerStatsCollection,
  segmentStateCollection,
  segmentDefinitionsCollection,
  segmentMembersCollection,
  creditAccountsCollection,
  creditEntriesCollection,
  creditApprovalsCollection,
  keyAccountsCollection,
  basketPairsCollection,
] as const;

/**
 * The module's migrations. The second adds covering indexes to core's purchases (a customer's visits,
 * read per sale and in a rebuild) and customers (the fields the statistics copy), so a rebuild reads
 * indexes, not tables: indexes only, which change no data and no behaviour of core.
 */
export const segmentMigrations: readonly Migration[] = [
  {
    id: 'segments/0001-initial',
    steps: segmentCollections.map((collection) => ({ op: 'createCollection' as const, collection })),
  },
  {
    id: 'segments/0002-covering-indexes',
    steps: [
      {
        op: 'addIndex',
        collection: 'purchases',
        index: {
          name: 'purchases_segments_visits',
          fields: ['customerId', 'occurredAt', 'status', 'total', 'refundedTotal'],
        },
      },
      {
        op: 'addIndex',
        collection: 'customers',
        index: {
          name: 'customers_segments_copy',
          fields: ['id', 'status', 'isCustomer', 'kind', 'region', 'industry', 'sizeClass', 'homeStoreId'],
        },
      },
    ],
  },
  {
    // A rebuild tells that a range of customers is unchanged from their versions alone (a count and a
    // sum from an index on customers), and compares each stored row's hashes and customer version.
    id: 'segments/0003-customer-versions',
    steps: [
      {
        op: 'addField',
        collection: customerStatsCollection.name,
        field: 'customerVersion',
        spec: customerStatsCollection.fields.customerVersion,
      },
      { op: 'addIndex', collection: customerStatsCollection.name, index: STATS_CHECK_INDEX },
      {
        op: 'addIndex',
        collection: 'customers',
        index: { name: 'customers_segments_version', fields: ['id', 'status', 'isCustomer', 'version'] },
      },
    ],
  },
  {
    // Erased customers keep their statistics row (their figures stay in the totals), marked.
    id: 'segments/0004-erased-stats',
    steps: [
      {
        op: 'addField',
        collection: customerStatsCollection.name,
        field: 'erased',
        spec: customerStatsCollection.fields.erased,
      },
    ],
  },
  {
    // Key-account factors of the retailer's own, rated by staff.
    id: 'segments/0005-key-account-ratings',
    steps: [
      {
        op: 'addField',
        collection: keyAccountsCollection.name,
        field: 'ratings',
        spec: keyAccountsCollection.fields.ratings,
      },
    ],
  },
  {
    // A customer's satisfaction from their survey answers, kept beside the figures from purchases.
    id: 'segments/0006-satisfaction',
    steps: (['satisfaction', 'satisfactionTrend', 'satisfactionResponses', 'satisfactionAt'] as const).map((f) => ({
      op: 'addField' as const,
      collection: customerStatsCollection.name,
      field: f,
      spec: customerStatsCollection.fields[f],
    })),
  },
];
