/**
 * The rebuild: statistics, scores, classes and memberships recomputed from the purchase records in
 * one pass over the customers in key order, in bounded chunks (one transaction each, the host's event
 * loop free between them), with progress and cancellation. Each chunk reads its customers, one
 * summary per customer of their purchases (a grouped aggregate with a series of instants and filtered
 * sums, pushed down to SQL where the store can) and the stored rows' hashes, each in one statement.
 * Rows whose figures changed are written after the population's thresholds, in one sweep in key order
 * with the rows whose scores alone moved, so each is written once. Memory holds a few numbers per
 * customer in typed arrays, never the purchases.
 */
import { z } from 'zod';
import {
  actorSchema,
  compareStrings,
  customersCollection,
  idempotencyKeySchema,
  parseInput,
  purchasesCollection,
  scan,
  type AggregateRow,
  type CommandOptions,
  type JsonValue,
  type Kernel,
  type Measure,
  type PatchOf,
  type RowOf,
  type StoreSession,
} from '@clientele/core';
import {
  creditAccountsCollection,
  creditEntriesCollection,
  customerStatsCollection,
  keyAccountsCollection,
  segmentDefinitionsCollection,
  segmentMembersCollection,
  segmentStateCollection,
  type StatsRow,
} from './collections.js';
import type { ResolvedSegmentsConfig } from './config.js';
import { rateCredit, type ChargeState } from './credit-rules.js';
import { FigureScratch, overdueTime, percentileRank, statsFromSummary, windowStartOf, type PurchaseFigures } from './customer-stats.js';
import { evaluate, resolveValue, type ConditionRegistry, type Predicate, type PredicateValue } from './definition.js';
import { keyAccountScore } from './key-account-score.js';
import { largeThreshold, quintiles, quintilesOf, rfmGroupOf, quintileScore, selectNth, valueClassOf, valueThresholds, volumeClassOf, type ScoreThresholds } from './scores.js';
import { GROUP_PAGE, NOT_ERASED, THRESHOLDS_ID, activeSegments, composeRow, deriveFields, figuresDigestOf, idsWhere, loadThresholds, scoresDigestOf, sealRow, matchCustomers, memberId, memberIds, summaryFrom, summaryMeasures, type CompiledSegment, type CustomerProjection } from './stats-store.js';
import { createBasketRefresh } from './baskets.js';
import { Columns } from './rebuild-columns.js';
import type { SegmentsContext, SegmentsKernel } from './events.js';

/** The parts of a rebuild. */
export const REBUILD_PARTS = ['stats', 'baskets', 'membership'] as const;
/** A part of a rebuild: `stats` (statistics, scores, classes, churn, credit ratings), `baskets` (category spend and bought-together pairs from purchase lines), `membership`. */
export type RebuildPart = (typeof REBUILD_PARTS)[number];

/**
 * Progress of a rebuild, reported after every chunk. Besides the parts: `thresholds` (a first build,
 * with no stored thresholds yet, reads the purchases once to find them, so every row is written once
 * with its final scores) and `scores` (rows whose scores moved with the new thresholds).
 */
export interface RebuildProgress {
  part: RebuildPart | 'thresholds' | 'scores';
  done: number;
  total: number;
}

/** Input of `crm.segments.rebuild`. */
export const rebuildSchema = z
  .object({
    /** Parts to run, in this order: stats, baskets, membership (default all). */
    parts: z.array(z.enum(REBUILD_PARTS)).min(1).optional(),
    /** Customers per chunk (default from the config). */
    chunkSize: z.number().int().min(10).max(10_000).optional(),
    /** Called after every chunk. */
    onProgress: z.custom<(p: RebuildProgress) => void>((v) => typeof v === 'function').optional(),
    /** Stops the rebuild between chunks; what was done stays done. */
    signal: z.custom<AbortSignal>((v) => typeof v === 'object' && v !== null && 'aborted' in v).optional(),
  })
  .strict();
/** Input of `crm.segments.rebuild`. */
export type RebuildInput = z.input<typeof rebuildSchema>;

/** What a rebuild did. */
export interface RebuildResult {
  parts: RebuildPart[];
  /** Active buying customers with statistics. */
  customers: number;
  /** Statistics rows written (inserted or changed), and removed. */
  written: number;
  removed: number;
  /** Memberships gained and lost. */
  joined: number;
  left: number;
  /** Bought-together pairs stored. */
  pairs: number;
  thresholds: ScoreThresholds | null;
  cancelled: boolean;
}

const DAY_MS = 86_400_000;

/** Lets the host's event loop run between chunks (timers, I/O, other requests). */
function yieldToHost(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate;
  return new Promise((resolve) => (immediate ? immediate(resolve) : setTimeout(resolve, 0)));
}

/** The id in `segment_state` of the record of the last complete membership pass. */
const MEMBERSHIP_ID = 'membership';

/** What the last complete membership pass materialised: every active segment's version, as of an instant. */
interface MembershipRecord {
  asOf: string;
  segments: Record<string, number>;
}

/** Customers whose rows are evaluated per batch in an incremental membership pass. */
const CANDIDATE_BATCH = 1000;
/** Beyond this many changed rows, a membership pass evaluates every segment in full. */
const MAX_CHANGED = 200_000;

/**
 * Changed rows of unchanged customers held back by the stats pass (at most this many), to be written
 * once after the thresholds, with their final scores, in the same sweep as the rows whose scores alone
 * moved: a nightly rebuild then writes each row once, in key order.
 */
const MAX_DEFERRED = 50_000;

/** A row the stats pass held back: the customer's place in the columns, and what the row derives from. */
interface DeferredRow {
  at: number;
  id: string;
  figures: PurchaseFigures;
  creditRating: string | null;
  keyAccount: boolean;
  /** The new figures' hash. */
  digest: number;
}

/** The per-customer columns of a completed stats part, and the thresholds its rows were scored with. */
interface RebuiltColumns {
  cols: Columns;
  thresholds: ScoreThresholds;
}

/** A value held until its one use: `take` hands it over and lets it go, so it is not kept any longer. */
class Held<T> {
  constructor(private value: T | null) {}

  take(): T | null {
    const value = this.value;
    this.value = null;
    return value;
  }
}

/** A write of the sweep after the thresholds (a `consumeMany` write): applied only if the row's hashes are still `when`. */
interface SweepWrite {
  key: string;
  when: { digest: number; scoresDigest: number };
  set: PatchOf<typeof customerStatsCollection>;
}

/** Value classes as small numbers, for the key of a combination of scores. */
const VALUE_CLASS_CODES = { A: 0, B: 1, C: 2 } as const;

/** The customers whose statistics rows a rebuild wrote or removed, up to {@link MAX_CHANGED}. */
class ChangedCustomers {
  readonly ids = new Set<string>();
  overflow = false;

  add(id: string): void {
    if (this.overflow) return;
    this.ids.add(id);
    if (this.ids.size > MAX_CHANGED) {
      this.overflow = true;
      this.ids.clear();
    }
  }
}

/**
 * Whether a definition tests only fields a rebuild's statistics pass derives (not tags or attributes,
 * which live on the customer, nor categories, which the baskets part writes): only such a segment's
 * members change with nothing but its rows and the passing of time.
 */
function statsOnly(p: Predicate): boolean {
  if (p.type === 'and' || p.type === 'or') return p.items.every(statsOnly);
  return p.type === 'compare' && p.field !== 'topCategory';
}

/** Adds the statistics fields a predicate compares to `out`. */
function testedFields(p: Predicate, out: Set<string>): void {
  if (p.type === 'and' || p.type === 'or') for (const x of p.items) testedFields(x, out);
  else if (p.type === 'compare') out.add(p.field);
}

/** The comparisons with a relative date (`{ daysAgo }`, `{ daysAhead }`), whose boundary moves with time. */
function relativeAtoms(p: Predicate): Array<{ field: string; value: PredicateValue }> {
  if (p.type === 'and' || p.type === 'or') return p.items.flatMap(relativeAtoms);
  if (p.type !== 'compare') return [];
  const v = p.value;
  return v !== null && typeof v === 'object' && !(v instanceof Date) && !Array.isArray(v) ? [{ field: p.field, value: v }] : [];
}

/** A customer-id range `(from, to]` as a port condition (`null`: unbounded on that side). */
function idRange(from: string | null, to: string | null): Record<string, string> {
  const range: Record<string, string> = {};
  if (from !== null) range['gt'] = from;
  if (to !== null) range['lte'] = to;
  return range;
}

/**
 * The purchase summaries of the customers in a range who bought, ascending by customer: one grouped
 * aggregate per page of customers.
 */
async function summariesInRange(session: StoreSession, from: string | null, to: string | null, windowStart: number): Promise<AggregateRow[]> {
  const range = idRange(from, to);
  const measures = summaryMeasures(windowStart);
  const out: AggregateRow[] = [];
  let after: string | null = null;
  for (;;) {
    const page: AggregateRow[] = await session.aggregate(purchasesCollection, {
      where: { customerId: Object.keys(range).length ? range : { isNull: false }, status: 'completed' },
      groupBy: ['customerId'],
      measures,
      limit: GROUP_PAGE,
      ...(after !== null ? { after: [after] } : {}),
    });
    for (const g of page) out.push(g);
    if (page.length < GROUP_PAGE) return out;
    after = page[page.length - 1]!['customerId'] as string;
  }
}

/**
 * Walks groups sorted by `customerId` alongside customers in the same (code point) order: `take(id)`
 * returns the group of that customer, if any, and `passed` collects the groups of ids it went by.
 */
class SortedGroups {
  private i = 0;
  constructor(
    private readonly groups: readonly AggregateRow[],
    private readonly passed: string[] | null = null,
  ) {}

  take(id: string): AggregateRow | undefined {
    const groups = this.groups;
    while (this.i < groups.length) {
      const g = groups[this.i]!;
      const gid = g['customerId'] as string;
      if (gid === id) {
        this.i++;
        return g;
      }
      if (compareStrings(gid, id) > 0) return undefined;
      this.passed?.push(gid);
      this.i++;
    }
    return undefined;
  }

  /** The ids of the groups not taken yet (after the last customer). */
  rest(): string[] {
    const out = this.passed ?? [];
    while (this.i < this.groups.length) out.push(this.groups[this.i++]!['customerId'] as string);
    return out;
  }
}

/** The fields of a customer the statistics copy, as aggregate measures over one row each. */
const COPIED = {
  version: { fn: 'min', field: 'version' },
  kind: { fn: 'min', field: 'kind' },
  region: { fn: 'min', field: 'region' },
  industry: { fn: 'min', field: 'industry' },
  sizeClass: { fn: 'min', field: 'sizeClass' },
  homeStoreId: { fn: 'min', field: 'homeStoreId' },
  status: { fn: 'min', field: 'status' },
} as const;

/** The customers with a statistics row: buying customers, active or erased (whose figures stay in the totals). */
const ACTIVE_BUYERS = { status: { in: ['active', 'erased'] }, isCustomer: true } as const;

/**
 * The active buying customers in `(after, upper]` (`null`: unbounded), at most `limit`, ascending, with
 * the fields the statistics copy (`id` and {@link COPIED}), or only their versions.
 */
async function customersIn(session: StoreSession, after: string | null, upper: string | null, limit: number, fields: 'copied' | 'version'): Promise<AggregateRow[]> {
  // Grouped by the primary key, each group is one customer: the store reads the rows without grouping.
  return session.aggregate(customersCollection, {
    where: upper === null ? ACTIVE_BUYERS : { ...ACTIVE_BUYERS, id: { lte: upper } },
    groupBy: ['id'],
    measures: fields === 'copied' ? COPIED : { version: COPIED.version },
    limit,
    ...(after !== null ? { after: [after] } : {}),
  });
}

/**
 * How many active buying customers a range holds and the sum of their versions, from an index. Every
 * change of a customer through the store raises its version, and the rows' versions never exceed the
 * customers', so when both figures equal those of the stored rows of the range, no customer in it
 * changed, came or went since its row was derived.
 */
async function versionsInRange(session: StoreSession, after: string | null, upper: string): Promise<{ count: number; sum: number }> {
  const [g] = await session.aggregate(customersCollection, { where: { ...ACTIVE_BUYERS, id: idRange(after, upper) }, measures: { count: { fn: 'count' }, sum: { fn: 'sum', field: 'version' } } });
  return { count: g!['count'] as number, sum: g!['sum'] as number };
}

/**
 * The segments that have members but are not among `active`: the members whose segment id lies
 * between two active ones' (or before the first, or after the last), a range of the segment index
 * each, so the active segments' own members, most of the table, are not read.
 */
async function staleSegments(session: StoreSession, active: readonly string[]): Promise<string[]> {
  const bounds = [...active].sort(compareStrings);
  const out: string[] = [];
  for (let i = 0; i <= bounds.length; i++) {
    const range: Record<string, string> = {};
    if (i > 0) range['gt'] = bounds[i - 1]!;
    if (i < bounds.length) range['lt'] = bounds[i]!;
    const where = Object.keys(range).length ? { segmentId: range } : {};
    for (const g of await session.aggregate(segmentMembersCollection, { where, groupBy: ['segmentId'], measures: { n: { fn: 'count' } } })) out.push(g['segmentId'] as string);
  }
  return out;
}

/** The next page of stored statistics rows after `after`, ascending: their hashes and customer versions (read from their covering index). */
async function storedAfter(session: StoreSession, after: string | null, limit: number): Promise<AggregateRow[]> {
  return session.aggregate(customerStatsCollection, {
    groupBy: ['customerId'],
    measures: { digest: { fn: 'min', field: 'digest' }, scoresDigest: { fn: 'min', field: 'scoresDigest' }, customerVersion: { fn: 'min', field: 'customerVersion' } },
    limit,
    ...(after !== null ? { after: [after] } : {}),
  });
}

/** The record of the last complete membership pass, if it still stands. */
async function loadMembershipRecord(session: StoreSession): Promise<MembershipRecord | null> {
  const row = await session.get(segmentStateCollection, MEMBERSHIP_ID);
  return row ? (row.data as unknown as MembershipRecord) : null;
}

/** Credit ratings of the accounts in a range of customers, now. */
async function ratingsInRange(session: StoreSession, from: string | null, to: string | null, now: Date, config: ResolvedSegmentsConfig): Promise<Map<string, string | null>> {
  const range = idRange(from, to);
  const out = new Map<string, string | null>();
  for await (const account of scan(session, creditAccountsCollection, Object.keys(range).length ? { where: { customerId: range } } : {})) {
    out.set(account.customerId, (await ratingOf(session, account.customerId, now, config)).rating);
  }
  return out;
}

/** The charges of a customer, for the rating. */
export async function chargesOf(session: StoreSession, customerId: string): Promise<ChargeState[]> {
  const out: ChargeState[] = [];
  for await (const e of scan(session, creditEntriesCollection, { where: { customerId, kind: 'charge' } })) {
    out.push({ id: e.id, amount: e.amount, settled: e.settled, at: e.at, dueAt: e.dueAt ?? e.at, settledAt: e.settledAt });
  }
  return out;
}

/** A customer's credit rating now. */
export async function ratingOf(session: StoreSession, customerId: string, now: Date, config: ResolvedSegmentsConfig) {
  return rateCredit(await chargesOf(session, customerId), now, config.credit.rating);
}

/**
 * The population's rhythm moves slowly; every customer on it has a due date from it. Keep the last
 * value while the new one is within 10% of it, so a nightly rebuild does not rewrite every newcomer
 * for a shift of a day.
 */
function stablePopulationHours(next: number | null, previous: number | null): number | null {
  if (next === null || previous === null) return next;
  return Math.abs(next - previous) <= previous * 0.1 ? previous : next;
}

/** Whole days, so the population's rhythm does not move by the hour. */
function roundUpToDay(hours: number | null): number | null {
  return hours === null ? null : Math.ceil(hours / 24) * 24;
}

/** The churn threshold of a customer on the population's rhythm. */
function populationHours(t: ScoreThresholds, config: ResolvedSegmentsConfig): number | null {
  return t.populationGapHours === null ? null : Math.max(config.churn.minHours, t.populationGapHours);
}

/** The population's thresholds from the columns of a stats pass. */
export function thresholdsFrom(cols: Columns, config: ResolvedSegmentsConfig, asOf: Date, previous: ScoreThresholds | null = null): ScoreThresholds {
  let n = 0;
  let withGaps = 0;
  for (let i = 0; i < cols.length; i++) {
    if (Number.isNaN(cols.last[i]!)) continue;
    n++;
    if (cols.own[i] && !Number.isNaN(cols.typicalGap[i]!)) withGaps++;
  }
  // Typed arrays: sorted or selected in place, numerically, without boxing a million numbers.
  const last = new Float64Array(n);
  const visits = new Float64Array(n);
  const mAsc = new Float64Array(n);
  const gaps = new Float64Array(withGaps);
  for (let i = 0, b = 0, g = 0; i < cols.length; i++) {
    if (Number.isNaN(cols.last[i]!)) continue;
    last[b] = cols.last[i]!;
    visits[b] = cols.fv[i]!;
    mAsc[b++] = cols.mv[i]!;
    if (cols.own[i] && !Number.isNaN(cols.typicalGap[i]!)) gaps[g++] = cols.typicalGap[i]!;
  }
  // Selection where only ranks are needed; the spend is sorted, for the Pareto classes walk it in order.
  const r = quintilesOf(last);
  const f = quintilesOf(visits);
  const m = quintiles(mAsc.sort());
  const mDesc = mAsc.slice().reverse();
  let populationGap: number | null = null;
  if (gaps.length) {
    const rank = percentileRank(gaps.length, config.churn.percentile);
    selectNth(gaps, rank, 0, gaps.length - 1);
    populationGap = gaps[rank]!;
  }
  return {
    asOf: asOf.toISOString(),
    windowDays: config.rfm.windowDays,
    r,
    f,
    m,
    value: valueThresholds(mDesc, config.classes.aShare, config.classes.bShare),
    largeMin: largeThreshold(mDesc, config.classes.largeTopShare),
    populationGapHours: stablePopulationHours(roundUpToDay(populationGap), previous?.populationGapHours ?? null),
    buyers: n,
  };
}

const rebuildOptionsSchema = z.object({ actor: actorSchema, idempotencyKey: idempotencyKeySchema.optional() });

/** Builds the rebuild of a module instance. */
export function createRebuild(kernel: SegmentsKernel, config: ResolvedSegmentsConfig, registry: ConditionRegistry) {
  const internal = <T>(name: string, run: (ctx: SegmentsContext, input: T) => Promise<unknown>) =>
    kernel.command({ name, input: z.custom<T>(() => true), permission: 'segments.rebuild', idempotency: 'optional', run: run as (ctx: SegmentsContext, input: unknown) => Promise<unknown> });

  const refreshBaskets = createBasketRefresh(kernel, config);
  const settings = { windowDays: config.rfm.windowDays, maxGaps: config.churn.maxGaps };
  const NEVER_BOUGHT: readonly number[] = [];

  /** Reads a customer's group of {@link summaryMeasures} (none: never bought) into `scratch`. */
  function readSummary(scratch: FigureScratch, g: AggregateRow | undefined, asOf: Date): void {
    if (g === undefined) scratch.read(NEVER_BOUGHT, 0, 0, asOf, settings, config.churn);
    else {
      const s = summaryFrom(g);
      scratch.read(s.times, s.spend, s.windowSpend, asOf, settings, config.churn);
    }
  }

  /**
   * One chunk of the stats pass: the next `limit` stored rows after `after` (or, where customers came,
   * went or changed, the next `limit` active buying customers). When the customers of the range are
   * unchanged (their count and version sum equal the rows'), their fields are not read at all, and
   * only the rows whose hashes differ are rebuilt: new rows are written now, changed ones of unchanged
   * customers are left to the sweep after the thresholds (up to {@link MAX_DEFERRED}), the others
   * written now.
   */
  const statsChunk = internal<{ after: string | null; limit: number; asOf: Date; thresholds: ScoreThresholds | null; cols: Columns; changed: ChangedCustomers; deferred: DeferredRow[] }>('segments.rebuild-stats', async (ctx, input) => {
    const { tx } = ctx;
    const { cols, after, limit } = input;
    let stored = await storedAfter(tx, after, limit);
    let upper: string | null = stored.length === limit ? (stored[limit - 1]!['customerId'] as string) : null;
    let customers: AggregateRow[] | null = null;
    // Whether `customers` are the stored rows themselves (their `customerId` and `customerVersion`).
    let unchanged = false;
    if (upper !== null) {
      const versions = await versionsInRange(tx, after, upper);
      let sum = 0;
      for (const r of stored) sum += (r['customerVersion'] as number | null) ?? Number.NaN;
      // Unchanged: the customers are the stored rows', with the versions the rows were derived from.
      unchanged = versions.count === stored.length && versions.sum === sum;
      if (unchanged) customers = stored;
    }
    if (customers === null) {
      customers = await customersIn(tx, after, upper, limit, 'copied');
      // No more than `limit` customers per chunk, even where many came: the chunk ends at the last of them.
      if (customers.length === limit) {
        const last = customers[limit - 1]!['id'] as string;
        if (upper === null || compareStrings(last, upper) < 0) {
          upper = last;
          stored = stored.filter((r) => compareStrings(r['customerId'] as string, last) <= 0);
        }
      }
    }
    const range = idRange(after, upper);
    const summaries = new SortedGroups(customers.length ? await summariesInRange(tx, after, upper, windowStartOf(input.asOf, settings)) : []);
    // Stored rows the walk passes by belong to customers who are no longer active buyers.
    const existing = new SortedGroups(stored, []);
    const ratings = await ratingsInRange(tx, after, upper, input.asOf, config);
    const keys = new Map<string, RowOf<typeof keyAccountsCollection>>();
    for await (const k of scan(tx, keyAccountsCollection, Object.keys(range).length ? { where: { customerId: range } } : {})) keys.set(k.customerId, k);

    // Rows to write, and where their customers are in `cols` (whose hashes are then the written row's).
    const pending: Array<{ id: string; g: AggregateRow; figures: PurchaseFigures; creditRating: string | null; keyAccount: boolean; exists: boolean; digest: number; at: number }> = [];
    const scratch = new FigureScratch();
    const idField = unchanged ? 'customerId' : 'id';
    const versionField = unchanged ? 'customerVersion' : 'version';
    for (const g of customers) {
      const id = g[idField] as string;
      const prev = existing.take(id);
      const bought = summaries.take(id);
      readSummary(scratch, bought, input.asOf);
      const creditRating = ratings.has(id) ? ratings.get(id)! : null;
      let keyAccount = false;
      const key = keys.get(id);
      if (key) {
        const s = keyAccountScore(scratch.windowSpend, key, creditRating, config.keyAccounts);
        keyAccount = s.isKey;
        if (s.score !== key.score || s.isKey !== key.isKey) {
          await tx.update(keyAccountsCollection, key.customerId, { score: s.score, isKey: s.isKey, assessedAt: ctx.now });
          if (s.isKey !== key.isKey) {
            if (s.isKey) await ctx.emit('key-account.designated', { customerId: key.customerId, score: s.score, representativeId: key.representativeId }, { customerId: key.customerId });
            else await ctx.emit('key-account.dropped', { customerId: key.customerId, score: s.score }, { customerId: key.customerId });
          }
        }
      }
      // Most rows have not changed: compare their hashes before building a row to write. Scores that
      // moved with the thresholds alone are the rescoring's (against the stored scores' hash, kept here).
      const digest = figuresDigestOf(g[versionField] as number, scratch, { creditRating, keyAccount });
      const at = cols.push(id, scratch, config.churn.minGaps, prev ? (prev['digest'] as number) : 0, prev ? (prev['scoresDigest'] as number) : 0);
      // The figures themselves only for the rows to write.
      if (prev === undefined || prev['digest'] !== digest) pending.push({ id, g, figures: statsFromSummary(bought ? summaryFrom(bought) : null, input.asOf, settings), creditRating, keyAccount, exists: prev !== undefined, digest, at });
    }

    // Every derived field is written, not only what changed: one statement text per kind of write,
    // prepared once. Category spend is the baskets part's and stays as it is.
    const inserts: StatsRow[] = [];
    let written = 0;
    for (const p of pending) {
      const id = p.id;
      input.changed.add(id);
      if (!unchanged) {
        // Customers read with their fields (in a range where some came, went or changed): whole rows.
        const row = sealRow(composeRow(p.g as unknown as CustomerProjection, p.figures, { categories: {}, creditRating: p.creditRating, keyAccount: p.keyAccount }, input.thresholds, config, input.asOf));
        cols.digest[p.at] = row.digest;
        cols.scores[p.at] = row.scoresDigest;
        if (!p.exists) {
          inserts.push(row);
          continue;
        }
        const { customerId: _id, categories: _c, topCategory: _t, ...fields } = row;
        await tx.update(customerStatsCollection, id, fields);
      } else if (input.deferred.length < MAX_DEFERRED) {
        // Written once, after the thresholds, with the scores under them (the fields copied from the
        // customer are unchanged, as the customer is).
        input.deferred.push({ at: p.at, id, figures: p.figures, creditRating: p.creditRating, keyAccount: p.keyAccount, digest: p.digest });
        continue;
      } else {
        const fields = deriveFields(p.figures, { creditRating: p.creditRating, keyAccount: p.keyAccount }, input.thresholds, config, input.asOf);
        fields.digest = cols.digest[p.at] = p.digest;
        fields.scoresDigest = cols.scores[p.at] = scoresDigestOf(fields);
        await tx.update(customerStatsCollection, id, fields);
      }
      written++;
    }
    if (inserts.length) await tx.insertMany(customerStatsCollection, inserts);
    // Rows of customers in this range who no longer buy (merged, a supplier only).
    let removed = 0;
    for (const gone of existing.rest()) {
      input.changed.add(gone);
      await tx.delete(customerStatsCollection, gone);
      removed++;
    }
    return { customers: customers.length, next: upper, written: written + inserts.length, removed };
  });

  const saveThresholds = internal<{ thresholds: ScoreThresholds }>('segments.rebuild-thresholds', async (ctx, input) => {
    const prev = await ctx.tx.get(segmentStateCollection, THRESHOLDS_ID);
    const data = input.thresholds as unknown as JsonValue;
    if (prev) await ctx.tx.update(segmentStateCollection, THRESHOLDS_ID, { data, updatedAt: ctx.now });
    else await ctx.tx.insert(segmentStateCollection, { id: THRESHOLDS_ID, data, updatedAt: ctx.now });
  });

  const saveMembershipState = internal<{ record: MembershipRecord | null }>('segments.rebuild-membership-state', async (ctx, input) => {
    const prev = await ctx.tx.get(segmentStateCollection, MEMBERSHIP_ID);
    if (input.record === null) {
      if (prev) await ctx.tx.delete(segmentStateCollection, MEMBERSHIP_ID);
      return;
    }
    const data = input.record as unknown as JsonValue;
    if (prev) await ctx.tx.update(segmentStateCollection, MEMBERSHIP_ID, { data, updatedAt: ctx.now });
    else await ctx.tx.insert(segmentStateCollection, { id: MEMBERSHIP_ID, data, updatedAt: ctx.now });
  });

  /**
   * Writes of the sweep after the thresholds, each applied only if the row is still as the stats pass
   * left it (its two hashes): a row a sale rewrote meanwhile is newer, and a row removed stays removed.
   * Returns how many were applied.
   */
  const writeChunk = internal<{ writes: SweepWrite[] }>('segments.rebuild-scores', async (ctx, input) => {
    // A few statements where the store can (PostgreSQL: one per kind of write), else one per row.
    return (await ctx.tx.consumeMany(customerStatsCollection, input.writes)).length;
  });

  const applyMembership = internal<{ segmentId: string; joins: string[]; leaves: string[] }>('segments.apply-membership', async (ctx, input) => {
    if (input.joins.length) {
      await ctx.tx.insertMany(
        segmentMembersCollection,
        input.joins.map((customerId) => ({ id: memberId(input.segmentId, customerId), segmentId: input.segmentId, customerId, since: ctx.now })),
      );
    }
    if (input.leaves.length) await ctx.tx.deleteMany(segmentMembersCollection, input.leaves.map((customerId) => memberId(input.segmentId, customerId)));
    for (const customerId of input.joins) await ctx.emit('segment.joined', { segmentId: input.segmentId, customerId }, { customerId });
    for (const customerId of input.leaves) await ctx.emit('segment.left', { segmentId: input.segmentId, customerId }, { customerId });
  });

  const finish = internal<{ result: Omit<RebuildResult, 'thresholds'> }>('segments.rebuild-finish', async (ctx, input) => {
    const r = input.result;
    ctx.audit({ type: 'segments', id: 'rebuild' }, { customers: r.customers, written: r.written, removed: r.removed, joined: r.joined, left: r.left, cancelled: r.cancelled });
    await ctx.emit('segments.rebuilt', { customers: r.customers, joined: r.joined, left: r.left, parts: r.parts, cancelled: r.cancelled });
  });

  /**
   * Scores of customers from the columns under new thresholds: for the customer at `i`, a patch of
   * every threshold-dependent field when their hash differs from the stored one (one statement text
   * per shape), else null. Few combinations of scores exist (RFM scores, value and volume classes, own
   * or population churn), so the hash of each is computed once.
   */
  function rescorer(t: ScoreThresholds): (cols: Columns, i: number) => Partial<StatsRow> | null {
    const hours = populationHours(t, config);
    const hashes = new Map<number, number>();
    return (cols, i) => {
      const last = cols.last[i]!;
      if (Number.isNaN(last) || !t.r || !t.f || !t.m) return null;
      const r = quintileScore(last, t.r);
      const f = quintileScore(cols.fv[i]!, t.f);
      const m = quintileScore(cols.mv[i]!, t.m);
      const own = cols.own[i] === 1;
      const valueClass = valueClassOf(cols.mv[i]!, t.value);
      const volumeClass = volumeClassOf(cols.mv[i]!, t.largeMin);
      const basis = own ? 'own' : hours === null ? null : 'population';
      const key = (((r * 8 + f) * 8 + m) * 4 + VALUE_CLASS_CODES[valueClass]) * 4 + (volumeClass === 'large' ? 2 : 0) + (own ? 1 : 0);
      let rfmGroup: string | null | undefined;
      let digest = hashes.get(key);
      if (digest === undefined) {
        rfmGroup = rfmGroupOf({ r, f, m }, config.rfm.groups);
        digest = scoresDigestOf({ rScore: r, fScore: f, mScore: m, rfmGroup, valueClass, volumeClass, churnBasis: basis, churnThresholdHours: own ? null : hours });
        hashes.set(key, digest);
      }
      if (digest === cols.scores[i]) return null;
      rfmGroup ??= rfmGroupOf({ r, f, m }, config.rfm.groups);
      const patch: Partial<StatsRow> = { rScore: r, fScore: f, mScore: m, rfmGroup, valueClass, volumeClass, scoresDigest: digest };
      if (!own) Object.assign(patch, { churnThresholdHours: hours, churnBasis: basis, overdueAt: hours === null ? null : new Date(overdueTime(last, hours)) });
      return patch;
    };
  }

  /**
   * Each customer's value of a statistics field that is an instant, as the rows are after the stats
   * part (epoch milliseconds, NaN for null), where the columns hold it: `lastPurchaseAt`, and
   * `overdueAt` (the last purchase and the churn threshold, the customer's own or the population's).
   * Null for any other field.
   */
  function instantsOf(rebuilt: RebuiltColumns, field: string): Float64Array | null {
    const { cols, thresholds } = rebuilt;
    if (field === 'lastPurchaseAt') return cols.last.subarray(0, cols.length);
    if (field !== 'overdueAt') return null;
    const population = populationHours(thresholds, config);
    const out = new Float64Array(cols.length);
    for (let i = 0; i < cols.length; i++) {
      const hours = cols.own[i] === 1 ? cols.ownHours[i]! : population;
      out[i] = hours === null ? Number.NaN : overdueTime(cols.last[i]!, hours);
    }
    return out;
  }

  /** Joins and leaves of one segment, written in chunks with their events. */
  async function applyAll(segmentId: string, joins: string[], leaves: string[], options: CommandOptions, chunk: number, cancelled: () => boolean): Promise<boolean> {
    for (let i = 0; i < Math.max(joins.length, leaves.length); i += chunk) {
      if (cancelled()) return false;
      await applyMembership({ segmentId, joins: joins.slice(i, i + chunk), leaves: leaves.slice(i, i + chunk) }, options);
      await yieldToHost();
    }
    return true;
  }

  /**
   * Memberships of the incremental segments for the candidate customers: each candidate's row (the
   * fields the definitions test) and current memberships are read in batches and the definitions
   * evaluated in memory, as a full evaluation would for them.
   */
  async function candidateChanges(candidates: readonly string[], segments: readonly CompiledSegment[], asOf: Date): Promise<Map<string, { joins: string[]; leaves: string[] }>> {
    const out = new Map(segments.map((s) => [s.id, { joins: [] as string[], leaves: [] as string[] }]));
    const fields = new Set<string>();
    for (const s of segments) testedFields(s.predicate, fields);
    const flags = [...fields].filter((f) => customerStatsCollection.fields[f as keyof StatsRow]?.kind === 'boolean') as Array<keyof StatsRow & string>;
    const measures: Record<string, Measure> = { n: { fn: 'count' } };
    for (const f of fields) if (!flags.includes(f as never)) measures[f] = { fn: 'min', field: f };
    for (let i = 0; i < candidates.length; i += CANDIDATE_BATCH) {
      const batch = candidates.slice(i, i + CANDIDATE_BATCH);
      const rows = new Map<string, AggregateRow>();
      // Grouped by the primary key (and the boolean fields, which min cannot take): one group per row.
      // Erased customers' rows are not read: they are in no segment.
      for (const g of await kernel.store.aggregate(customerStatsCollection, { where: { customerId: { in: batch }, ...NOT_ERASED }, groupBy: ['customerId', ...flags], measures })) rows.set(g['customerId'] as string, g);
      const held = new Map<string, Set<string>>();
      for (const g of await kernel.store.aggregate(segmentMembersCollection, { where: { customerId: { in: batch } }, groupBy: ['customerId', 'segmentId'], measures: { n: { fn: 'count' } } })) {
        const id = g['customerId'] as string;
        let set = held.get(id);
        if (!set) held.set(id, (set = new Set()));
        set.add(g['segmentId'] as string);
      }
      for (const id of batch) {
        const row = rows.get(id);
        for (const s of segments) {
          const want = row !== undefined && evaluate(s.predicate, { stats: row }, asOf);
          const has = held.get(id)?.has(s.id) === true;
          if (want && !has) out.get(s.id)!.joins.push(id);
          else if (!want && has) out.get(s.id)!.leaves.push(id);
        }
      }
      await yieldToHost();
    }
    return out;
  }

  /**
   * The customers an incremental membership pass evaluates: those whose rows changed since the last
   * complete pass, and those a relative date may have moved in or out (a field between its boundary
   * then and now), found in the columns of this rebuild's stats part where they hold the field (taken
   * from `columns`, and so released, here), else from the rows.
   */
  async function candidatesOf(incremental: readonly CompiledSegment[], changed: ChangedCustomers, prior: MembershipRecord, asOf: Date, columns: Held<RebuiltColumns>): Promise<Set<string>> {
    const candidates = new Set(changed.ids);
    const rebuilt = columns.take();
    const then = new Date(prior.asOf);
    for (const s of incremental) {
      for (const atom of relativeAtoms(s.predicate)) {
        const a = resolveValue(atom.value, then) as Date;
        const b = resolveValue(atom.value, asOf) as Date;
        const range = a.getTime() <= b.getTime() ? { gte: a, lte: b } : { gte: b, lte: a };
        const instants = rebuilt ? instantsOf(rebuilt, atom.field) : null;
        if (instants) {
          const lo = range.gte.getTime();
          const hi = range.lte.getTime();
          for (let i = 0; i < instants.length; i++) if (instants[i]! >= lo && instants[i]! <= hi) candidates.add(rebuilt!.cols.ids!.at(i));
        } else for await (const ids of idsWhere(kernel.store, { [atom.field]: range })) for (const id of ids) candidates.add(id);
      }
    }
    return candidates;
  }

  /**
   * Brings memberships in line with the statistics at `asOf`. A segment is evaluated in full (pushed
   * down to SQL) unless the last complete pass materialised the same version of it and its definition
   * tests statistics fields only: then only the customers whose rows changed since (`changed`) and those
   * a relative date may have moved in or out (a field between its boundary then and now) are
   * evaluated, which gives the same members. Members of segments no longer active leave them.
   */
  async function membershipPass(
    asOf: Date,
    prior: MembershipRecord | null,
    changed: ChangedCustomers | null,
    columns: Held<RebuiltColumns>,
    options: CommandOptions,
    progress: (done: number, total: number) => void,
    cancelled: () => boolean,
    chunk: number,
  ) {
    let joined = 0;
    let left = 0;
    const segments = await activeSegments(kernel.store, registry);
    const active = new Set(segments.map((s) => s.id));
    // Members of segments that were deactivated or removed leave them.
    const stale = await staleSegments(kernel.store, [...active]);
    const incremental = prior !== null && changed !== null && !changed.overflow ? segments.filter((s) => prior.segments[s.id] === s.version && statsOnly(s.predicate)) : [];
    const full = segments.filter((s) => !incremental.includes(s));
    const total = segments.length + stale.length;
    let done = 0;
    if (!incremental.length) columns.take();

    if (incremental.length) {
      const candidates = await candidatesOf(incremental, changed!, prior!, asOf, columns);
      const changes = await candidateChanges([...candidates].sort(), incremental, asOf);
      for (const s of incremental) {
        const { joins, leaves } = changes.get(s.id)!;
        if (!(await applyAll(s.id, joins, leaves, options, chunk, cancelled))) return { joined, left, cancelled: true };
        joined += joins.length;
        left += leaves.length;
        progress(++done, total);
      }
    }
    for (const s of [...full.map((x) => ({ id: x.id, predicate: x.predicate })), ...stale.map((id) => ({ id, predicate: null }))]) {
      if (cancelled()) return { joined, left, cancelled: true };
      const want = s.predicate ? await matchCustomers(kernel.store, s.predicate, asOf) : new Set<string>();
      const leaves: string[] = [];
      for await (const ids of memberIds(kernel.store, s.id)) {
        for (const customerId of ids) {
          if (want.has(customerId)) want.delete(customerId);
          else leaves.push(customerId);
        }
      }
      const joins = [...want].sort();
      if (!(await applyAll(s.id, joins, leaves, options, chunk, cancelled))) return { joined, left, cancelled: true };
      joined += joins.length;
      left += leaves.length;
      progress(++done, total);
    }
    // Every active segment is now materialised as of `asOf`: the next pass may build on it.
    await saveMembershipState({ record: { asOf: asOf.toISOString(), segments: Object.fromEntries(segments.map((s) => [s.id, s.version])) } }, options);
    return { joined, left, cancelled: false };
  }


  /**
   * The population's thresholds from the figures of every active buying customer, read in chunks
   * without writing anything: what a first build needs before it writes the rows. `null` when
   * cancelled. The figures are dropped on return, before the rows are written.
   */
  async function firstThresholds(asOf: Date, expected: number, chunk: number, progress: (done: number) => void, cancelled: () => boolean): Promise<ScoreThresholds | null> {
    const cols = new Columns(expected, false);
    const scratch = new FigureScratch();
    const windowStart = windowStartOf(asOf, settings);
    let after: string | null = null;
    do {
      if (cancelled()) return null;
      const page = await customersIn(kernel.store, after, null, chunk, 'version');
      const upper = page.length < chunk ? null : (page[page.length - 1]!['id'] as string);
      const summaries = new SortedGroups(page.length ? await summariesInRange(kernel.store, after, upper, windowStart) : []);
      for (const g of page) {
        const id = g['id'] as string;
        readSummary(scratch, summaries.take(id), asOf);
        cols.push(id, scratch, config.churn.minGaps, 0, 0);
      }
      after = upper;
      progress(cols.length);
      await yieldToHost();
    } while (after !== null);
    return thresholdsFrom(cols, config, asOf);
  }

  /**
   * The `stats` part: statistics rows from the purchases (after the thresholds, on a first build),
   * then the population's thresholds, then the rows whose scores moved with them. Adds to `result`.
   * Returns the per-customer columns, as the rows now are, unless cancelled (they live no longer than
   * the rebuild).
   */
  async function statsPart(
    asOf: Date,
    chunk: number,
    result: RebuildResult,
    changed: ChangedCustomers,
    options: CommandOptions,
    report: (part: RebuildProgress['part'], done: number, total: number) => void,
    cancelled: () => boolean,
  ): Promise<RebuiltColumns | null> {
    const total = await kernel.store.count(customersCollection, ACTIVE_BUYERS);
    if (result.thresholds === null && total > 0) {
      // A first build: without thresholds every row would be written twice (figures, then scores).
      const first = await firstThresholds(asOf, total, chunk, (d) => report('thresholds', d, total), cancelled);
      if (first === null) result.cancelled = true;
      else result.thresholds = first;
    }
    const cols = new Columns(total, true);
    const deferred: DeferredRow[] = [];
    let after: string | null = null;
    let done = 0;
    do {
      if (cancelled() || result.cancelled) {
        result.cancelled = true;
        break;
      }
      // The chunk appends its customers' figures to `cols`; a chunk that fails fails the rebuild.
      const r = (await statsChunk({ after, limit: chunk, asOf, thresholds: result.thresholds, cols, changed, deferred }, options)) as { customers: number; next: string | null; written: number; removed: number };
      result.written += r.written;
      result.removed += r.removed;
      done += r.customers;
      after = r.next;
      report('stats', done, total);
      await yieldToHost();
    } while (after !== null);
    result.customers = cols.length;
    if (result.cancelled) return null;
    const t = thresholdsFrom(cols, config, asOf, result.thresholds);
    await saveThresholds({ thresholds: t }, options);
    result.thresholds = t;
    // One sweep in key order writes the deferred rows and the rows whose scores moved with the thresholds.
    const rescore = rescorer(t);
    let writes: SweepWrite[] = [];
    let next = 0;
    const stored = (i: number) => ({ digest: cols.digest[i]!, scoresDigest: cols.scores[i]! });
    for (let i = 0; i < cols.length; i++) {
      if (next < deferred.length && deferred[next]!.at === i) {
        const d = deferred[next++]!;
        const set = deriveFields(d.figures, { creditRating: d.creditRating, keyAccount: d.keyAccount }, t, config, asOf);
        set.digest = d.digest;
        set.scoresDigest = scoresDigestOf(set);
        writes.push({ key: d.id, when: stored(i), set });
      } else {
        const p = rescore(cols, i);
        if (p) {
          p.updatedAt = asOf;
          const id = cols.ids!.at(i);
          writes.push({ key: id, when: stored(i), set: p });
          changed.add(id);
        }
      }
      if (writes.length >= chunk || (i === cols.length - 1 && writes.length)) {
        if (cancelled()) {
          result.cancelled = true;
          return null;
        }
        result.written += (await writeChunk({ writes }, options)) as number;
        writes = [];
        report('scores', i + 1, cols.length);
        await yieldToHost();
      }
    }
    return { cols, thresholds: t };
  }

  /** Runs a rebuild (see {@link rebuildSchema}). */
  return async function rebuild(input: RebuildInput, rawOptions: CommandOptions): Promise<RebuildResult> {
    const parsed = parseInput(rebuildSchema, input ?? {});
    // Every step is a command of its own, run chunk after chunk: a key given for the whole rebuild would
    // clash with itself at the second step, so the steps go without one.
    const options: CommandOptions = { actor: parseInput(rebuildOptionsSchema, rawOptions, ['options']).actor };
    const parts = REBUILD_PARTS.filter((p) => (parsed.parts ?? REBUILD_PARTS).includes(p));
    const chunk = parsed.chunkSize ?? config.chunkSize;
    const report = (part: RebuildProgress['part'], done: number, total: number) => parsed.onProgress?.({ part, done, total });
    const cancelled = () => parsed.signal?.aborted === true;
    const asOf = kernel.clock.now();
    const result: RebuildResult = { parts, customers: 0, written: 0, removed: 0, joined: 0, left: 0, pairs: 0, thresholds: await loadThresholds(kernel.store), cancelled: false };
    // The last complete membership pass, withdrawn until this rebuild completes one: rows written now
    // (or by a rebuild that stops half-way) are reconciled only by a membership pass that knows of them.
    const prior = await loadMembershipRecord(kernel.store);
    if (prior !== null && (parts.includes('stats') || parts.includes('membership'))) await saveMembershipState({ record: null }, options);
    const changed = new ChangedCustomers();

    const columns = new Held(parts.includes('stats') && !result.cancelled ? await statsPart(asOf, chunk, result, changed, options, report, cancelled) : null);
    // The columns serve an incremental membership pass only: without one in view, they go now.
    if (!parts.includes('membership') || prior === null || changed.overflow) columns.take();
    if (parts.includes('baskets') && !result.cancelled) {
      const r = await refreshBaskets({ chunk, asOf, options, progress: (d, t) => report('baskets', d, t), cancelled, yieldToHost });
      result.pairs = r.pairs;
      result.written += r.written;
      result.cancelled = r.cancelled;
    }
    if (parts.includes('membership') && !result.cancelled) {
      const r = await membershipPass(asOf, prior, changed, columns, options, (d, t) => report('membership', d, t), cancelled, chunk);
      result.joined = r.joined;
      result.left = r.left;
      result.cancelled = r.cancelled;
    }
    if (!parts.includes('stats')) result.customers = await kernel.store.count(customerStatsCollection);
    const { thresholds: _t, ...summary } = result;
    await finish({ result: summary }, options);
    return result;
  };
}

