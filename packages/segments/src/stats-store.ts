/**
 * Reading and writing the statistics through the storage port: a customer's purchase summary (a
 * grouped aggregate with a series and filtered measures, pushed down where the store can), the stored
 * thresholds, compiled definitions, matching a definition (push-down filters or a scan) and
 * reconciling one customer's memberships.
 */
import {
  customersCollection,
  purchasesCollection,
  scan,
  type AggregateRow,
  type JsonValue,
  type RowOf,
  type Page,
  type StoreSession,
  type Where,
} from '@clientele/core/module';
import {
  customerStatsCollection,
  segmentDefinitionsCollection,
  segmentMembersCollection,
  segmentStateCollection,
  type StatsRow,
} from './collections.js';
import type { ResolvedSegmentsConfig } from './config.js';
import {
  churnThreshold,
  overdueAt,
  overdueTime,
  statsFromSummary,
  topCategories,
  windowStartOf,
  type FigureScratch,
  type PurchaseFigures,
  type PurchaseSummary,
} from './customer-stats.js';
import {
  compileCondition,
  evaluate,
  needsCustomer,
  pushdownTerms,
  type ConditionRegistry,
  type Predicate,
} from './definition.js';
import type { SegmentPolicy } from './policy.js';
import { scoreCustomer, type ScoreThresholds } from './scores.js';
import type { SatisfactionFigures, SegmentsContext } from './events.js';

/** The id of the stored thresholds in `segment_state`. */
export const THRESHOLDS_ID = 'thresholds';
/** Groups per page when reading aggregates. */
export const GROUP_PAGE = 10_000;

type CustomerRow = RowOf<typeof customersCollection>;

/** The customer fields copied into the statistics row. */
export interface CustomerProjection {
  id: string;
  /** The customer row's `version`: every change through the store raises it. */
  version: number;
  /** `active` or `erased` (an erased customer's row keeps their figures for the totals). */
  status: string;
  kind: string;
  region: string | null;
  industry: string | null;
  sizeClass: string | null;
  homeStoreId: string | null;
}

/** The thresholds of the last rebuild, or null before the first. */
export async function loadThresholds(session: StoreSession): Promise<ScoreThresholds | null> {
  const row = await session.get(segmentStateCollection, THRESHOLDS_ID);
  return row ? (row.data as unknown as ScoreThresholds) : null;
}

/**
 * The measures of a purchase summary (see {@link PurchaseSummary}): every purchase's instant as a
 * series, and net spend (totals less refunds) all time and from the window's start, in one pass over the purchases.
 */
export function summaryMeasures(windowStart: number) {
  const inWindow = { occurredAt: { gte: new Date(windowStart) } };
  return {
    times: { fn: 'series', field: 'occurredAt' },
    spend: { fn: 'sum', field: 'total', minus: 'refundedTotal' },
    windowSpend: { fn: 'sum', field: 'total', minus: 'refundedTotal', where: inWindow },
  } as const;
}

/** A purchase summary from a group of {@link summaryMeasures}. */
export function summaryFrom(g: AggregateRow): PurchaseSummary {
  return {
    times: g['times'] as number[],
    spend: g['spend'] as number,
    windowSpend: g['windowSpend'] as number,
  };
}

/** One customer's completed purchases as a summary as of `now`, or null when they never bought. */
export async function summaryOf(
  session: StoreSession,
  customerId: string,
  now: Date,
  config: ResolvedSegmentsConfig,
): Promise<PurchaseSummary | null> {
  const [g] = await session.aggregate(purchasesCollection, {
    where: { customerId, status: 'completed' },
    measures: summaryMeasures(windowStartOf(now, config.rfm)),
  });
  const summary = summaryFrom(g!);
  return summary.times.length ? summary : null;
}

/** The fields of a customer the statistics row copies. */
export function projectCustomer(
  c: Pick<CustomerRow, 'id' | 'version' | 'status' | 'kind' | 'region' | 'industry' | 'sizeClass' | 'homeStoreId'>,
): CustomerProjection {
  return {
    id: c.id,
    version: c.version,
    status: c.status,
    kind: c.kind,
    region: c.region,
    industry: c.industry,
    sizeClass: c.sizeClass,
    homeStoreId: c.homeStoreId,
  };
}

/** Whether a customer has a statistics row: a buying customer, active or erased (whose figures stay in the totals). */
export function keepsStatistics(c: Pick<CustomerRow, 'status' | 'isCustomer'>): boolean {
  return c.isCustomer && (c.status === 'active' || c.status === 'erased');
}

/** The filter that keeps erased customers' rows out of segments and lists of customers. */
export const NOT_ERASED = { erased: { isNull: true } } as const;

/** The satisfaction fields of a statistics row, which come from survey answers, not from purchases. */
export type SatisfactionFields = Pick<
  StatsRow,
  'satisfaction' | 'satisfactionTrend' | 'satisfactionResponses' | 'satisfactionAt'
>;

/** The satisfaction fields of a customer who answered no survey. */
export const NO_SATISFACTION: Readonly<SatisfactionFields> = Object.freeze({
  satisfaction: null,
  satisfactionTrend: null,
  satisfactionResponses: null,
  satisfactionAt: null,
});

/** The satisfaction fields from what the survey module reports (whole points; see {@link SatisfactionFigures}). */
export function satisfactionFields(s: SatisfactionFigures): SatisfactionFields {
  return {
    satisfaction: Math.round(s.level),
    satisfactionTrend: s.trend === null ? null : Math.round(s.trend),
    satisfactionResponses: s.responses,
    satisfactionAt: new Date(s.at),
  };
}

/** What besides the purchases goes into a statistics row. */
export interface RowExtras {
  categories: Record<string, number>;
  creditRating: string | null;
  keyAccount: boolean;
  /** Kept from the row as it was (default: none recorded). */
  satisfaction?: SatisfactionFields | undefined;
}

/**
 * The fields of a statistics row a rebuild derives from purchases, credit and key-account standing:
 * all but the customer's copied fields (and the version they are from) and the baskets part's
 * category spend. The digests are left at 0 for {@link sealRow} or the caller to set.
 */
export type DerivedFields = Omit<
  StatsRow,
  | 'customerId'
  | 'kind'
  | 'region'
  | 'industry'
  | 'sizeClass'
  | 'homeStoreId'
  | 'customerVersion'
  | 'erased'
  | 'categories'
  | 'topCategory'
  | keyof SatisfactionFields
>;

/** The derived fields of a row (see {@link DerivedFields}). Pure, so the rebuild and the per-sale update agree. */
export function deriveFields(
  figures: PurchaseFigures,
  extras: Pick<RowExtras, 'creditRating' | 'keyAccount'>,
  thresholds: ScoreThresholds | null,
  config: ResolvedSegmentsConfig,
  now: Date,
): DerivedFields {
  const churn = churnThreshold(figures.gaps, config.churn, thresholds?.populationGapHours ?? null);
  const scores = scoreCustomer(figures, thresholds, config.rfm.groups, config.rfm.prospectsGroup);
  return {
    firstPurchaseAt: figures.firstPurchaseAt,
    lastPurchaseAt: figures.lastPurchaseAt,
    visits: figures.visits,
    spend: figures.spend,
    avgBasket: figures.avgBasket,
    windowVisits: figures.windowVisits,
    windowSpend: figures.windowSpend,
    gaps: figures.gaps,
    typicalGapHours: figures.typicalGapHours,
    churnThresholdHours: figures.lastPurchaseAt && churn ? churn.hours : null,
    churnBasis: figures.lastPurchaseAt && churn ? churn.basis : null,
    overdueAt: overdueAt(figures.lastPurchaseAt, churn),
    rScore: scores.rScore,
    fScore: scores.fScore,
    mScore: scores.mScore,
    rfmGroup: scores.rfmGroup,
    valueClass: scores.valueClass,
    volumeClass: scores.volumeClass,
    creditRating: extras.creditRating,
    keyAccount: extras.keyAccount,
    digest: 0,
    scoresDigest: 0,
    updatedAt: now,
  };
}

/** Builds a statistics row from its parts. Pure, so the rebuild and the per-sale update agree. */
export function composeRow(
  customer: CustomerProjection,
  figures: PurchaseFigures,
  extras: RowExtras,
  thresholds: ScoreThresholds | null,
  config: ResolvedSegmentsConfig,
  now: Date,
): StatsRow {
  return {
    customerId: customer.id,
    kind: customer.kind,
    region: customer.region,
    industry: customer.industry,
    sizeClass: customer.sizeClass,
    homeStoreId: customer.homeStoreId,
    customerVersion: customer.version,
    erased: customer.status === 'erased' ? true : null,
    categories: extras.categories,
    topCategory: topCategories(extras.categories, 1)[0]?.category ?? null,
    ...(extras.satisfaction ?? NO_SATISFACTION),
    ...deriveFields(figures, extras, thresholds, config, now),
  };
}

/**
 * The fields of a composed row that a rebuild writes over a stored one: all but the key and what it
 * does not derive (the baskets part's category spend, the satisfaction from survey answers), which
 * stay as stored.
 */
export function rebuiltFields(row: StatsRow): Omit<StatsRow, CarriedField> {
  const {
    customerId: _id,
    categories: _c,
    topCategory: _t,
    satisfaction: _s,
    satisfactionTrend: _st,
    satisfactionResponses: _sr,
    satisfactionAt: _sa,
    ...fields
  } = row;
  return fields;
}

/** The fields of a statistics row a rebuild leaves as stored (see {@link rebuiltFields}). */
type CarriedField = 'customerId' | 'categories' | 'topCategory' | keyof SatisfactionFields;

/** The satisfaction fields of a stored row. */
function satisfactionOf(row: StatsRow): SatisfactionFields {
  return {
    satisfaction: row.satisfaction,
    satisfactionTrend: row.satisfactionTrend,
    satisfactionResponses: row.satisfactionResponses,
    satisfactionAt: row.satisfactionAt,
  };
}

/** Sets both digests of a composed row (see {@link digestOf} and {@link scoresDigestOf}). */
export function sealRow(row: StatsRow): StatsRow {
  row.digest = digestOf(row);
  row.scoresDigest = scoresDigestOf(row);
  return row;
}

/**
 * The fields a rebuild derives from purchases, credit and key-account standing, and the version of the
 * customer row the copied fields (kind, region, ...) come from: they change only with it, so a rebuild
 * can tell an unchanged row without reading the customer's fields.
 */
export const DIGESTED = [
  'customerVersion',
  'firstPurchaseAt',
  'lastPurchaseAt',
  'visits',
  'spend',
  'avgBasket',
  'windowVisits',
  'windowSpend',
  'gaps',
  'typicalGapHours',
  'creditRating',
  'keyAccount',
] as const satisfies ReadonlyArray<keyof StatsRow>;

/** The fields that depend on the population's thresholds (the churn ones only on the population's rhythm). */
export const SCORED = [
  'rScore',
  'fScore',
  'mScore',
  'rfmGroup',
  'valueClass',
  'volumeClass',
  'churnThresholdHours',
  'churnBasis',
  'overdueAt',
] as const satisfies ReadonlyArray<keyof StatsRow>;

/** The fields {@link scoresDigestOf} hashes. */
type ScoredFields = Pick<
  StatsRow,
  'rScore' | 'fScore' | 'mScore' | 'rfmGroup' | 'valueClass' | 'volumeClass' | 'churnBasis' | 'churnThresholdHours'
>;

/**
 * The threshold-dependent values of a row as a hash: scores, classes, and the churn threshold when it is the
 * population's.
 */
export function scoresDigestOf(s: ScoredFields): number {
  startHash();
  hashNumber(s.rScore);
  hashNumber(s.fScore);
  hashNumber(s.mScore);
  hashText(s.rfmGroup);
  hashText(s.valueClass);
  hashText(s.volumeClass);
  hashNumber(s.churnBasis === 'population' ? s.churnThresholdHours : -1);
  return hashResult();
}

/** The fields {@link digestOf} hashes: {@link DIGESTED} and the churn fields. */
type DigestedFields = Pick<StatsRow, (typeof DIGESTED)[number] | 'churnBasis' | 'churnThresholdHours' | 'overdueAt'>;

/**
 * A 53-bit hash of what a rebuild derives from purchases, the customer, credit and key-account
 * standing ({@link DIGESTED}, in that order), and the churn threshold when it is the customer's own.
 */
export function digestOf(row: DigestedFields): number {
  const own = row.churnBasis === 'own';
  return hashDerived(
    row.customerVersion,
    row.firstPurchaseAt?.getTime() ?? null,
    row.lastPurchaseAt?.getTime() ?? null,
    row.visits,
    row.spend,
    row.avgBasket,
    row.windowVisits,
    row.windowSpend,
    row.gaps,
    row.gaps.length,
    row.typicalGapHours,
    row.creditRating,
    row.keyAccount,
    own,
    row.churnThresholdHours,
    own ? (row.overdueAt?.getTime() ?? null) : null,
  );
}

/**
 * The {@link digestOf} of the row {@link composeRow} would build from a customer's figures, read into
 * a {@link FigureScratch}, without building the figures or the row (a rebuild hashes a million
 * customers and writes few of them). It depends on no thresholds (the churn threshold is hashed only
 * when it is the customer's own). Equal to `sealRow(composeRow(...)).digest` by construction: both
 * hash the same derived values with {@link hashDerived} (a test checks it).
 */
export function figuresDigestOf(
  customerVersion: number,
  f: FigureScratch,
  extras: Pick<RowExtras, 'creditRating' | 'keyAccount'>,
): number {
  const own = !Number.isNaN(f.last) && !Number.isNaN(f.ownHours);
  return hashDerived(
    customerVersion,
    Number.isNaN(f.first) ? null : f.first,
    Number.isNaN(f.last) ? null : f.last,
    f.visits,
    f.spend,
    f.avgBasket,
    f.windowVisits,
    f.windowSpend,
    f.gaps,
    f.gapCount,
    Number.isNaN(f.typicalGap) ? null : f.typicalGap,
    extras.creditRating,
    extras.keyAccount,
    own,
    f.ownHours,
    own ? overdueTime(f.last, f.ownHours) : null,
  );
}

/**
 * The hash of the derived fields ({@link DIGESTED}, in that order, then the churn threshold and the
 * overdue instant when the threshold is the customer's own, else -1 for both), as arguments (instants
 * as epoch milliseconds, as a `Date` hashes): named values and a hash per type, not a loop over
 * DIGESTED or an object built for it.
 */
function hashDerived(
  customerVersion: number | null,
  firstPurchaseAt: number | null,
  lastPurchaseAt: number | null,
  visits: number,
  spend: number,
  avgBasket: number,
  windowVisits: number,
  windowSpend: number,
  gaps: ArrayLike<number>,
  gapCount: number,
  typicalGapHours: number | null,
  creditRating: string | null,
  keyAccount: boolean,
  ownChurn: boolean,
  churnThresholdHours: number | null,
  overdueTime: number | null,
): number {
  startHash();
  hashNumber(customerVersion);
  hashNumber(firstPurchaseAt);
  hashNumber(lastPurchaseAt);
  hashNumber(visits);
  hashNumber(spend);
  hashNumber(avgBasket);
  hashNumber(windowVisits);
  hashNumber(windowSpend);
  hashNumbers(gaps, gapCount);
  hashNumber(typicalGapHours);
  hashText(creditRating);
  hashFlag(keyAccount);
  hashNumber(ownChurn ? churnThresholdHours : -1);
  hashNumber(ownChurn ? overdueTime : -1);
  return hashResult();
}

// The two lanes of the hash being computed; module state so the hot loop allocates nothing.
let laneA = 0;
let laneB = 0;

function mix(n: number): void {
  laneA = Math.imul(laneA ^ n, 0x01000193);
  laneB = Math.imul(laneB ^ n, 0x5bd1e995);
}

/** A safe integer in two 32-bit halves, so large values (epoch milliseconds) keep every bit. */
function mixNumber(n: number): void {
  mix(n | 0);
  mix(Math.floor(n / 0x100000000) | 0);
}

/**
 * Two 32-bit multiplicative lanes over a sequence of values (numbers, text, dates, booleans, number
 * arrays, null), as one safe integer: {@link startHash}, a `hash...` call for each value,
 * {@link hashResult}. Each value ends with a separator mix, so adjacent values cannot run together.
 */
function startHash(): void {
  laneA = 0x811c9dc5;
  laneB = 0x01000193;
}

const NULL_MARK = 0x7fffffff;
const END_MARK = 0x1f;

function hashNumber(v: number | null | undefined): void {
  if (v === null || v === undefined) mix(NULL_MARK);
  else mixNumber(v);
  mix(END_MARK);
}

function hashFlag(v: boolean): void {
  mix(v ? 0x5a5a5a5a : 0x3c3c3c3c);
  mix(END_MARK);
}

/** The first `n` numbers of `v`. */
function hashNumbers(v: ArrayLike<number>, n: number): void {
  mix(n);
  for (let i = 0; i < n; i++) mixNumber(v[i]!);
  mix(END_MARK);
}

function hashText(v: string | null | undefined): void {
  if (v === null || v === undefined) mix(NULL_MARK);
  else {
    mix(v.length);
    for (let i = 0; i < v.length; i++) mix(v.charCodeAt(i));
  }
  mix(END_MARK);
}

function hashResult(): number {
  return (laneB >>> 11) * 0x100000000 + (laneA >>> 0);
}

const COMPARED: ReadonlyArray<keyof StatsRow> = (
  Object.keys(customerStatsCollection.fields) as Array<keyof StatsRow>
).filter((f) => f !== 'updatedAt' && f !== 'customerId');

function same(a: unknown, b: unknown): boolean {
  if (a instanceof Date || b instanceof Date)
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  if (typeof a === 'object' && a !== null) return JSON.stringify(a) === JSON.stringify(b);
  return a === b;
}

/** The fields of `next` that differ from `prev` (without `updatedAt`), or null when none do. */
export function changedFields(prev: StatsRow, next: StatsRow): Partial<StatsRow> | null {
  let patch: Partial<StatsRow> | null = null;
  for (const f of COMPARED) {
    if (!same(prev[f], next[f])) (patch ??= {})[f] = next[f] as never;
  }
  return patch;
}

/** A definition as stored, compiled. */
export interface CompiledSegment {
  id: string;
  name: string;
  priority: number;
  policy: SegmentPolicy;
  predicate: Predicate;
  version: number;
}

const compiledCache = new WeakMap<ConditionRegistry, Map<string, { version: number; predicate: Predicate }>>();

/** Compiles a stored definition, once per version. */
export function compileStored(
  row: RowOf<typeof segmentDefinitionsCollection>,
  registry: ConditionRegistry,
): CompiledSegment {
  let cache = compiledCache.get(registry);
  if (!cache) compiledCache.set(registry, (cache = new Map()));
  let hit = cache.get(row.id);
  if (!hit || hit.version !== row.version) {
    hit = { version: row.version, predicate: compileCondition(row.definition, registry) };
    cache.set(row.id, hit);
  }
  return {
    id: row.id,
    name: row.name,
    priority: row.priority,
    policy: row.policy as SegmentPolicy,
    predicate: hit.predicate,
    version: row.version,
  };
}

/** Every active segment, compiled. */
export async function activeSegments(session: StoreSession, registry: ConditionRegistry): Promise<CompiledSegment[]> {
  const out: CompiledSegment[] = [];
  for await (const row of scan(session, segmentDefinitionsCollection, { where: { active: true } }))
    out.push(compileStored(row, registry));
  return out;
}

/** What a predicate is evaluated on for one customer. */
export function targetOf(row: StatsRow, customer: Pick<CustomerRow, 'tags' | 'attributes'> | null) {
  return {
    stats: row as unknown as Record<string, unknown>,
    tags: customer?.tags ?? [],
    attributes: (customer?.attributes ?? {}) as Record<string, JsonValue>,
    categories: row.categories,
  };
}

async function customersById(session: StoreSession, ids: readonly string[]): Promise<Map<string, CustomerRow>> {
  const map = new Map<string, CustomerRow>();
  for (let i = 0; i < ids.length; i += 1000) {
    const page = await session.find(customersCollection, {
      where: { id: { in: ids.slice(i, i + 1000) } },
      limit: 1000,
    });
    for (const c of page.rows) map.set(c.id, c);
  }
  return map;
}

/**
 * The customers a predicate selects at `now`. `pushdown` filters the statistics in the store (the
 * definition in disjunctive normal form, one port filter per term; tags, attributes and categories are
 * then checked in memory on the candidates); `scan` reads every row and evaluates in memory. Both give
 * the same set; a definition too wide for push-down is scanned.
 */
export async function matchCustomers(
  session: StoreSession,
  predicate: Predicate,
  now: Date,
  mode: 'pushdown' | 'scan' = 'pushdown',
): Promise<Set<string>> {
  const terms = mode === 'pushdown' ? pushdownTerms(predicate, now) : null;
  const out = new Set<string>();
  const withCustomer = needsCustomer(predicate);
  const run = async (
    where: Record<string, unknown> | undefined,
    test: (row: StatsRow, c: CustomerRow | null) => boolean,
  ) => {
    let batch: StatsRow[] = [];
    const flush = async () => {
      const customers = withCustomer
        ? await customersById(
            session,
            batch.map((r) => r.customerId),
          )
        : null;
      for (const r of batch)
        if (!out.has(r.customerId) && test(r, customers?.get(r.customerId) ?? null)) out.add(r.customerId);
      batch = [];
    };
    for await (const row of scan(
      session,
      customerStatsCollection,
      where ? { where: where as Where<typeof customerStatsCollection> } : {},
      2000,
    )) {
      if (out.has(row.customerId)) continue;
      batch.push(row);
      if (batch.length >= 2000) await flush();
    }
    await flush();
  };
  // Erased customers' rows count in the totals but match no definition.
  if (terms === null) {
    await run(undefined, (r, c) => r.erased !== true && evaluate(predicate, targetOf(r, c), now));
    return out;
  }
  for (const term of terms) {
    const where = { ...term.where, ...NOT_ERASED };
    if (term.residual.length === 0) {
      // Nothing left to check in memory: read only the ids, the store does the filtering.
      for await (const ids of idsWhere(session, where)) for (const id of ids) out.add(id);
      continue;
    }
    const residual = { type: 'and' as const, items: term.residual };
    await run(where, (r, c) => evaluate(residual, targetOf(r, c), now));
  }
  return out;
}

/** The ids of the statistics rows matching a filter, a page at a time, ascending (only the id column is read). */
export async function* idsWhere(session: StoreSession, where: Record<string, unknown>): AsyncGenerator<string[]> {
  let after: string | null = null;
  do {
    const page: Page<{ customerId: string }> = await session.find(customerStatsCollection, {
      where: where as Where<typeof customerStatsCollection>,
      select: ['customerId'],
      limit: GROUP_PAGE,
      after,
    });
    // One page at a time: a yield per id would cost a turn of the event loop's microtasks each.
    yield page.rows.map((r) => r.customerId);
    after = page.next;
  } while (after !== null);
}

/** The customer ids of a segment's materialised members, a page at a time, ascending (only that column is read). */
export async function* memberIds(session: StoreSession, segmentId: string): AsyncGenerator<string[]> {
  let after: string | null = null;
  do {
    // The segment's index leads with (segmentId, customerId), so the page comes off it in order.
    const page: Page<{ customerId: string }> = await session.find(segmentMembersCollection, {
      where: { segmentId },
      orderBy: [{ field: 'customerId' }],
      select: ['customerId'],
      limit: GROUP_PAGE,
      after,
    });
    yield page.rows.map((r) => r.customerId);
    after = page.next;
  } while (after !== null);
}

/** The id of a membership row. */
export function memberId(segmentId: string, customerId: string): string {
  return `${segmentId}|${customerId}`;
}

/**
 * Brings one customer's memberships in line with their statistics now (after a sale, a return, a
 * change of the customer, a payment): joins and leaves are written and emitted in the caller's transaction.
 */
export async function reconcileCustomer(
  ctx: SegmentsContext,
  row: StatsRow | null,
  customer: CustomerRow | null,
  registry: ConditionRegistry,
): Promise<{ joined: string[]; left: string[] }> {
  const customerId = row?.customerId ?? customer?.id;
  if (!customerId) return { joined: [], left: [] };
  // An erased customer is in no segment: their row is kept for the totals only.
  const member = row !== null && row.erased !== true;
  const segments = member ? await activeSegments(ctx.tx, registry) : [];
  const want = new Set(
    member ? segments.filter((s) => evaluate(s.predicate, targetOf(row, customer), ctx.now)).map((s) => s.id) : [],
  );
  const have = new Set<string>();
  for await (const m of scan(ctx.tx, segmentMembersCollection, { where: { customerId } })) have.add(m.segmentId);
  const joined = [...want].filter((s) => !have.has(s)).sort();
  const left = [...have].filter((s) => !want.has(s)).sort();
  for (const segmentId of joined) {
    await ctx.tx.insert(segmentMembersCollection, {
      id: memberId(segmentId, customerId),
      segmentId,
      customerId,
      since: ctx.now,
    });
    await ctx.emit('segment.joined', { segmentId, customerId }, { customerId });
  }
  for (const segmentId of left) {
    await ctx.tx.delete(segmentMembersCollection, memberId(segmentId, customerId));
    await ctx.emit('segment.left', { segmentId, customerId }, { customerId });
  }
  return { joined, left };
}

/**
 * Recomputes one customer's statistics from their purchases in the caller's transaction, with the
 * stored thresholds, and reconciles their memberships. A customer who no longer buys (merged, a
 * supplier only) loses the row and every membership; an erased one keeps the row, marked, and loses
 * every membership.
 */
export async function refreshCustomer(
  ctx: SegmentsContext,
  customerId: string,
  config: ResolvedSegmentsConfig,
  registry: ConditionRegistry,
  change: {
    categories?: Record<string, number>;
    creditRating?: string | null;
    keyAccount?: boolean;
    satisfaction?: SatisfactionFields;
  } = {},
): Promise<StatsRow | null> {
  const customer = await ctx.tx.get(customersCollection, customerId);
  const prev = await ctx.tx.get(customerStatsCollection, customerId);
  if (!customer || !keepsStatistics(customer)) {
    if (prev) await ctx.tx.delete(customerStatsCollection, customerId);
    await reconcileCustomer(ctx, null, customer ?? null, registry);
    return null;
  }
  const figures = statsFromSummary(await summaryOf(ctx.tx, customerId, ctx.now, config), ctx.now, {
    windowDays: config.rfm.windowDays,
    maxGaps: config.churn.maxGaps,
  });
  const categories = { ...(prev?.categories ?? {}) };
  for (const [c, v] of Object.entries(change.categories ?? {})) {
    const next = (categories[c] ?? 0) + v;
    if (next > 0) categories[c] = next;
    else delete categories[c];
  }
  const creditRating = change.creditRating !== undefined ? change.creditRating : (prev?.creditRating ?? null);
  const row = composeRow(
    projectCustomer(customer),
    figures,
    {
      categories,
      creditRating,
      keyAccount: change.keyAccount ?? prev?.keyAccount ?? false,
      satisfaction: change.satisfaction ?? (prev ? satisfactionOf(prev) : NO_SATISFACTION),
    },
    await loadThresholds(ctx.tx),
    config,
    ctx.now,
  );
  sealRow(row);
  if (!prev) await ctx.tx.insert(customerStatsCollection, row);
  else {
    const patch = changedFields(prev, row);
    if (patch) await ctx.tx.update(customerStatsCollection, customerId, { ...patch, updatedAt: ctx.now });
  }
  await reconcileCustomer(ctx, row, customer, registry);
  return row;
}
