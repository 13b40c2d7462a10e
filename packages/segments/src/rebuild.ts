/**
 * The rebuild: statistics, scores, classes and memberships recomputed from the purchase records in
 * one pass over the customers, in bounded chunks (one transaction each, the host's event loop free
 * between them), with progress and cancellation. Memory holds a few numbers per customer, never the
 * purchases.
 */
import { z } from 'zod';
import {
  aggregate,
  customersCollection,
  insertMany,
  parseInput,
  purchasesCollection,
  scan,
  type AggregateRow,
  type CommandContext,
  type CommandOptions,
  type JsonValue,
  type Kernel,
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
import { percentile, statsFromVisits, type VisitGroup } from './customer-stats.js';
import type { ConditionRegistry } from './definition.js';
import { keyAccountScore } from './key-account-score.js';
import { largeThreshold, quintiles, rfmGroupOf, quintileScore, valueClassOf, valueThresholds, volumeClassOf, type ScoreThresholds } from './scores.js';
import { GROUP_PAGE, THRESHOLDS_ID, activeSegments, composeRow, loadThresholds, scoresDigestOf, sealRow, matchCustomers, memberId, memberIds, projectCustomer } from './stats-store.js';
import { refreshBaskets } from './baskets.js';

/** The parts of a rebuild. */
export const REBUILD_PARTS = ['stats', 'baskets', 'membership'] as const;
/** A part of a rebuild: `stats` (statistics, scores, classes, churn, credit ratings), `baskets` (category spend and bought-together pairs from purchase lines), `membership`. */
export type RebuildPart = (typeof REBUILD_PARTS)[number];

/** Progress of a rebuild, reported after every chunk. */
export interface RebuildProgress {
  part: RebuildPart | 'scores';
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

/** Per-customer figures the rebuild keeps between its passes, column by column. */
class Columns {
  ids: string[] = [];
  last: number[] = [];
  fv: number[] = [];
  mv: number[] = [];
  typicalGap: number[] = [];
  own: boolean[] = [];
  /** The stored hash of the threshold-dependent fields, after the stats pass. */
  scores: number[] = [];
}

type CustomerRow = RowOf<typeof customersCollection>;

async function visitsInRange(session: StoreSession, from: string | null, to: string | null): Promise<Map<string, VisitGroup[]>> {
  const map = new Map<string, VisitGroup[]>();
  const range: Record<string, string> = {};
  if (from !== null) range['gt'] = from;
  if (to !== null) range['lte'] = to;
  let after: [string, Date] | null = null;
  for (;;) {
    const page: AggregateRow[] = await aggregate(session, purchasesCollection, {
      where: { customerId: Object.keys(range).length ? range : { isNull: false }, status: 'completed' },
      groupBy: ['customerId', 'occurredAt'],
      measures: { n: { fn: 'count' }, total: { fn: 'sum', field: 'total' }, refunded: { fn: 'sum', field: 'refundedTotal' } },
      limit: GROUP_PAGE,
      ...(after ? { after } : {}),
    });
    for (const g of page) {
      const id = g['customerId'] as string;
      let list = map.get(id);
      if (!list) map.set(id, (list = []));
      list.push({ at: g['occurredAt'] as Date, count: g['n'] as number, total: g['total'] as number, refunded: g['refunded'] as number });
    }
    if (page.length < GROUP_PAGE) return map;
    const lastGroup: AggregateRow = page[page.length - 1]!;
    after = [lastGroup['customerId'] as string, lastGroup['occurredAt'] as Date];
  }
}

/** The stored digests of the statistics rows in a range of customers (read from their covering index). */
async function storedInRange(session: StoreSession, from: string | null, to: string | null): Promise<Map<string, Record<string, unknown>>> {
  const range: Record<string, string> = {};
  if (from !== null) range['gt'] = from;
  if (to !== null) range['lte'] = to;
  const measures = { digest: { fn: 'min', field: 'digest' }, scoresDigest: { fn: 'min', field: 'scoresDigest' } } as const;
  const out = new Map<string, Record<string, unknown>>();
  let after: string | null = null;
  for (;;) {
    const page: AggregateRow[] = await aggregate(session, customerStatsCollection, {
      ...(Object.keys(range).length ? { where: { customerId: range } } : {}),
      groupBy: ['customerId'],
      measures,
      limit: GROUP_PAGE,
      ...(after !== null ? { after: [after] } : {}),
    });
    for (const g of page) out.set(g['customerId'] as string, g);
    if (page.length < GROUP_PAGE) return out;
    after = page[page.length - 1]!['customerId'] as string;
  }
}

/** Credit ratings of the accounts in a range of customers, now. */
async function ratingsInRange(session: StoreSession, from: string | null, to: string | null, now: Date, config: ResolvedSegmentsConfig): Promise<Map<string, string | null>> {
  const range: Record<string, string> = {};
  if (from !== null) range['gt'] = from;
  if (to !== null) range['lte'] = to;
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
  const buyers: number[] = [];
  for (let i = 0; i < cols.ids.length; i++) if (!Number.isNaN(cols.last[i]!)) buyers.push(i);
  const sortedAsc = (values: number[]) => Float64Array.from(values).sort();
  const r = quintiles(sortedAsc(buyers.map((i) => cols.last[i]!)));
  const f = quintiles(sortedAsc(buyers.map((i) => cols.fv[i]!)));
  const mAsc = sortedAsc(buyers.map((i) => cols.mv[i]!));
  const m = quintiles(mAsc);
  const mDesc = mAsc.slice().reverse();
  const gaps = sortedAsc(buyers.filter((i) => cols.own[i] && !Number.isNaN(cols.typicalGap[i]!)).map((i) => cols.typicalGap[i]!));
  return {
    asOf: asOf.toISOString(),
    windowDays: config.rfm.windowDays,
    r,
    f,
    m,
    value: valueThresholds(mDesc, config.classes.aShare, config.classes.bShare),
    largeMin: largeThreshold(mDesc, config.classes.largeTopShare),
    populationGapHours: stablePopulationHours(roundUpToDay(percentile(gaps, config.churn.percentile, true)), previous?.populationGapHours ?? null),
    buyers: buyers.length,
  };
}

/** Builds the rebuild of a module instance. */
export function createRebuild(kernel: Kernel, config: ResolvedSegmentsConfig, registry: ConditionRegistry) {
  const internal = <T>(name: string, run: (ctx: CommandContext, input: T) => Promise<unknown>) =>
    kernel.command({ name, input: z.custom<T>(() => true), permission: 'segments.rebuild', idempotency: 'optional', run: run as (ctx: CommandContext, input: unknown) => Promise<unknown> });

  /** One chunk of the stats pass: the next `limit` active buying customers after `after`. */
  const statsChunk = internal<{ after: string | null; limit: number; asOf: Date; thresholds: ScoreThresholds | null }>('segments.rebuild-stats', async (ctx, input) => {
    const { tx } = ctx;
    const page: AggregateRow[] = await aggregate(tx, customersCollection, {
      where: { status: 'active', isCustomer: true },
      groupBy: ['id'],
      measures: { kind: { fn: 'min', field: 'kind' }, region: { fn: 'min', field: 'region' }, industry: { fn: 'min', field: 'industry' }, sizeClass: { fn: 'min', field: 'sizeClass' }, homeStoreId: { fn: 'min', field: 'homeStoreId' } },
      limit: input.limit,
      ...(input.after !== null ? { after: [input.after] } : {}),
    });
    const final = page.length < input.limit;
    const upper = final ? null : (page[page.length - 1]!['id'] as string);
    const range: Record<string, string> = {};
    if (input.after !== null) range['gt'] = input.after;
    if (upper !== null) range['lte'] = upper;
    const visits = page.length ? await visitsInRange(tx, input.after, upper) : new Map<string, VisitGroup[]>();
    // What is stored, without reading whole rows: the digest and the fields that depend on thresholds.
    const existing = await storedInRange(tx, input.after, upper);
    const ratings = await ratingsInRange(tx, input.after, upper, input.asOf, config);
    const keys = new Map<string, RowOf<typeof keyAccountsCollection>>();
    for await (const k of scan(tx, keyAccountsCollection, Object.keys(range).length ? { where: { customerId: range } } : {})) keys.set(k.customerId, k);

    const cols = new Columns();
    const inserts: StatsRow[] = [];
    let written = 0;
    for (const g of page) {
      const customer = projectCustomer(g as unknown as CustomerRow);
      const prev = existing.get(customer.id);
      existing.delete(customer.id);
      const figures = statsFromVisits(visits.get(customer.id) ?? [], input.asOf, { windowDays: config.rfm.windowDays, maxGaps: config.churn.maxGaps });
      const creditRating = ratings.has(customer.id) ? ratings.get(customer.id)! : null;
      let keyAccount = false;
      const key = keys.get(customer.id);
      if (key) {
        const s = keyAccountScore(figures.windowSpend, key, creditRating, config.keyAccounts);
        keyAccount = s.isKey;
        if (s.score !== key.score || s.isKey !== key.isKey) {
          await tx.update(keyAccountsCollection, key.customerId, { score: s.score, isKey: s.isKey, assessedAt: ctx.now });
          if (s.isKey !== key.isKey) {
            if (s.isKey) await ctx.emit('key-account.designated', { customerId: key.customerId, score: s.score, representativeId: key.representativeId }, { customerId: key.customerId });
            else await ctx.emit('key-account.dropped', { customerId: key.customerId, score: s.score }, { customerId: key.customerId });
          }
        }
      }
      const row = composeRow(customer, figures, { categories: {}, creditRating, keyAccount }, input.thresholds, config, input.asOf);
      sealRow(row);
      const unchanged = prev !== undefined && prev['digest'] === row.digest && prev['scoresDigest'] === row.scoresDigest;
      if (!prev) inserts.push(row);
      else if (!unchanged) {
        // Every derived field, not only what changed: one statement text for every update, prepared
        // once. Category spend is the baskets part's and stays as it is.
        const { customerId: _id, categories: _c, topCategory: _t, ...derived } = row;
        await tx.update(customerStatsCollection, customer.id, derived);
        written++;
      }
      cols.ids.push(customer.id);
      cols.last.push(figures.lastPurchaseAt ? figures.lastPurchaseAt.getTime() : Number.NaN);
      cols.fv.push(figures.windowVisits);
      cols.mv.push(figures.windowSpend);
      cols.typicalGap.push(figures.typicalGapHours ?? Number.NaN);
      cols.own.push(figures.gaps.length >= config.churn.minGaps);
      cols.scores.push(row.scoresDigest);
    }
    if (inserts.length) await insertMany(tx, customerStatsCollection, inserts);
    // Rows of customers in this range who are no longer active buyers (merged, erased).
    let removed = 0;
    for (const gone of existing.keys()) {
      await tx.delete(customerStatsCollection, gone);
      removed++;
    }
    return { cols, next: final ? null : upper, written: written + inserts.length, removed };
  });

  const saveThresholds = internal<{ thresholds: ScoreThresholds }>('segments.rebuild-thresholds', async (ctx, input) => {
    const prev = await ctx.tx.get(segmentStateCollection, THRESHOLDS_ID);
    const data = input.thresholds as unknown as JsonValue;
    if (prev) await ctx.tx.update(segmentStateCollection, THRESHOLDS_ID, { data, updatedAt: ctx.now });
    else await ctx.tx.insert(segmentStateCollection, { id: THRESHOLDS_ID, data, updatedAt: ctx.now });
  });

  const patchChunk = internal<{ patches: Array<[string, Partial<StatsRow>]>; asOf: Date }>('segments.rebuild-scores', async (ctx, input) => {
    for (const [id, patch] of input.patches) await ctx.tx.update(customerStatsCollection, id, { ...patch, updatedAt: input.asOf });
  });

  const applyMembership = internal<{ segmentId: string; joins: string[]; leaves: string[] }>('segments.apply-membership', async (ctx, input) => {
    if (input.joins.length) {
      await insertMany(
        ctx.tx,
        segmentMembersCollection,
        input.joins.map((customerId) => ({ id: memberId(input.segmentId, customerId), segmentId: input.segmentId, customerId, since: ctx.now })),
      );
    }
    for (const customerId of input.leaves) await ctx.tx.delete(segmentMembersCollection, memberId(input.segmentId, customerId));
    for (const customerId of input.joins) await ctx.emit('segment.joined', { segmentId: input.segmentId, customerId }, { customerId });
    for (const customerId of input.leaves) await ctx.emit('segment.left', { segmentId: input.segmentId, customerId }, { customerId });
  });

  const finish = internal<{ result: Omit<RebuildResult, 'thresholds'> }>('segments.rebuild-finish', async (ctx, input) => {
    const r = input.result;
    ctx.audit({ type: 'segments', id: 'rebuild' }, { customers: r.customers, written: r.written, removed: r.removed, joined: r.joined, left: r.left, cancelled: r.cancelled });
    await ctx.emit('segments.rebuilt', { customers: r.customers, joined: r.joined, left: r.left, parts: r.parts, cancelled: r.cancelled });
  });

  /**
   * Scores of one customer from the columns under new thresholds: a patch of every threshold-dependent
   * field when their hash differs from the stored one (one statement text per shape), else null.
   */
  function rescore(cols: Columns, i: number, t: ScoreThresholds): Partial<StatsRow> | null {
    const last = cols.last[i]!;
    if (Number.isNaN(last) || !t.r || !t.f || !t.m) return null;
    const r = quintileScore(last, t.r);
    const f = quintileScore(cols.fv[i]!, t.f);
    const m = quintileScore(cols.mv[i]!, t.m);
    const next: Partial<StatsRow> = { rScore: r, fScore: f, mScore: m, rfmGroup: rfmGroupOf({ r, f, m }, config.rfm.groups), valueClass: valueClassOf(cols.mv[i]!, t.value), volumeClass: volumeClassOf(cols.mv[i]!, t.largeMin) };
    if (!cols.own[i]) {
      const hours = populationHours(t, config);
      Object.assign(next, { churnThresholdHours: hours, churnBasis: hours === null ? null : 'population', overdueAt: hours === null ? null : new Date(last + hours * 3_600_000) });
    }
    const digest = scoresDigestOf({ churnBasis: cols.own[i] ? 'own' : null, churnThresholdHours: null, ...next } as StatsRow);
    return digest === cols.scores[i] ? null : { ...next, scoresDigest: digest };
  }

  async function membershipPass(asOf: Date, options: CommandOptions, progress: (done: number, total: number) => void, cancelled: () => boolean, chunk: number) {
    let joined = 0;
    let left = 0;
    const segments = await activeSegments(kernel.store, registry);
    const active = new Set(segments.map((s) => s.id));
    // Members of segments that were deactivated or removed leave them.
    const held = await aggregate(kernel.store, segmentMembersCollection, { groupBy: ['segmentId'], measures: { n: { fn: 'count' } } });
    const stale = held.map((g) => g['segmentId'] as string).filter((id) => !active.has(id));
    const total = segments.length + stale.length;
    let done = 0;
    for (const s of [...segments.map((x) => ({ id: x.id, predicate: x.predicate })), ...stale.map((id) => ({ id, predicate: null }))]) {
      if (cancelled()) return { joined, left, cancelled: true };
      const want = s.predicate ? await matchCustomers(kernel.store, s.predicate, asOf) : new Set<string>();
      const leaves: string[] = [];
      for await (const customerId of memberIds(kernel.store, s.id)) {
        if (want.has(customerId)) want.delete(customerId);
        else leaves.push(customerId);
      }
      const joins = [...want].sort();
      for (let i = 0; i < Math.max(joins.length, leaves.length); i += chunk) {
        if (cancelled()) return { joined, left, cancelled: true };
        await applyMembership({ segmentId: s.id, joins: joins.slice(i, i + chunk), leaves: leaves.slice(i, i + chunk) }, options);
        await yieldToHost();
      }
      joined += joins.length;
      left += leaves.length;
      progress(++done, total);
    }
    return { joined, left, cancelled: false };
  }

  /** Runs a rebuild (see {@link rebuildSchema}). */
  return async function rebuild(input: RebuildInput, options: CommandOptions): Promise<RebuildResult> {
    const parsed = parseInput(rebuildSchema, input ?? {});
    const parts = REBUILD_PARTS.filter((p) => (parsed.parts ?? REBUILD_PARTS).includes(p));
    const chunk = parsed.chunkSize ?? config.chunkSize;
    const report = (part: RebuildProgress['part'], done: number, total: number) => parsed.onProgress?.({ part, done, total });
    const cancelled = () => parsed.signal?.aborted === true;
    const asOf = kernel.clock.now();
    const result: RebuildResult = { parts, customers: 0, written: 0, removed: 0, joined: 0, left: 0, pairs: 0, thresholds: await loadThresholds(kernel.store), cancelled: false };

    if (parts.includes('stats') && !result.cancelled) {
      const total = await kernel.store.count(customersCollection, { status: 'active', isCustomer: true });
      const cols = new Columns();
      let after: string | null = null;
      let done = 0;
      do {
        if (cancelled()) {
          result.cancelled = true;
          break;
        }
        const r = (await statsChunk({ after, limit: chunk, asOf, thresholds: result.thresholds }, options)) as { cols: Columns; next: string | null; written: number; removed: number };
        for (const k of Object.keys(cols) as Array<keyof Columns>) (cols[k] as unknown[]).push(...(r.cols[k] as unknown[]));
        result.written += r.written;
        result.removed += r.removed;
        done += r.cols.ids.length;
        after = r.next;
        report('stats', done, total);
        await yieldToHost();
      } while (after !== null);
      result.customers = cols.ids.length;
      if (!result.cancelled) {
        const t = thresholdsFrom(cols, config, asOf, result.thresholds);
        await saveThresholds({ thresholds: t }, options);
        result.thresholds = t;
        let patches: Array<[string, Partial<StatsRow>]> = [];
        for (let i = 0; i < cols.ids.length; i++) {
          const p = rescore(cols, i, t);
          if (p) patches.push([cols.ids[i]!, p]);
          if (patches.length >= chunk || (i === cols.ids.length - 1 && patches.length)) {
            if (cancelled()) {
              result.cancelled = true;
              break;
            }
            await patchChunk({ patches, asOf }, options);
            result.written += patches.length;
            patches = [];
            report('scores', i + 1, cols.ids.length);
            await yieldToHost();
          }
        }
      }
    }
    if (parts.includes('baskets') && !result.cancelled) {
      const r = await refreshBaskets(kernel, config, { chunk, asOf, options, progress: (d, t) => report('baskets', d, t), cancelled, yieldToHost });
      result.pairs = r.pairs;
      result.written += r.written;
      result.cancelled = r.cancelled;
    }
    if (parts.includes('membership') && !result.cancelled) {
      const r = await membershipPass(asOf, options, (d, t) => report('membership', d, t), cancelled, chunk);
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

