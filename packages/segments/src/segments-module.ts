/**
 * `segments(config)`: the module that keeps customer statistics current on every sale, scores and
 * classifies customers, materialises segment memberships, and answers other modules' questions about
 * a customer's segments and policy.
 */
import * as z from 'zod';
import {
  mustGet,
  codeSchema,
  defineModule,
  idSchema,
  invalid,
  longTextSchema,
  pageSchema,
  parseInput,
  REFUND_ORDER,
  purchaseLinesCollection,
  scan,
  shortTextSchema,
  type CommandOptions,
  type CoreEvents,
  type PageInput,
  type QueryOptions,
  type RefundStep,
  type ResultPage,
  type RowOf,
  type StoreSession,
} from '@clientele/core/module';
import {
  creditAccountsCollection,
  customerStatsCollection,
  keyAccountsCollection,
  segmentCollections,
  segmentDefinitionsCollection,
  segmentMembersCollection,
  segmentMigrations,
  type StatsRow,
} from './collections.js';
import { resolveConfig, type SegmentsConfig } from './config.js';
import { createCreditService, type CreditApi } from './credit-service.js';
import { churnReason, satisfactionSignal, topCategories, type SatisfactionSignal } from './customer-stats.js';
import { compileCondition, conditionRegistry, definitionInputSchema, type ConditionInput } from './definition.js';
import type { ListenedEvents, SegmentEvents, SegmentsContext, SegmentsEventMap, SegmentsHandler } from './events.js';
import { createKeyAccountService, type KeyAccountApi } from './key-account-service.js';
import { mergePolicies, policySchema, type MergedPolicy, type SegmentPolicy } from './policy.js';
import { createRebuild, type RebuildInput, type RebuildResult } from './rebuild.js';
import { createRecommendationService, type Recommendations } from './recommendation-service.js';
import { createReportService, type SegmentsReports } from './report-service.js';
import { NOT_ERASED, matchCustomers, refreshCustomer, satisfactionFields } from './stats-store.js';
import type { SegmentsRuntime } from './runtime.js';
import { SEGMENTS_TIMELINE_TEXTS } from './timeline-text.js';

/** A stored segment. */
export type Segment = Omit<RowOf<typeof segmentDefinitionsCollection>, 'definition' | 'policy'> & {
  definition: ConditionInput;
  policy: SegmentPolicy;
};

/** Input of `crm.segments.define`. */
export const defineSegmentSchema = z
  .object({
    id: codeSchema,
    name: shortTextSchema,
    description: longTextSchema.nullish(),
    /** The conditions (see `docs/segments.md`); checked against the fields and condition kinds. */
    definition: definitionInputSchema,
    policy: policySchema.default({}),
    /** Higher wins where policies cannot be combined (the service level). */
    priority: z.number().int().min(-1000).max(1000).default(0),
    active: z.boolean().default(true),
    /** Refuse the change if the segment changed since this version was read. */
    expectVersion: z.number().int().min(1).optional(),
  })
  .strict();
/** Input of `crm.segments.define`. */
export type DefineSegmentInput = z.input<typeof defineSegmentSchema>;

/** A customer's statistics with what they mean now. */
export interface CustomerStats extends StatsRow {
  topCategories: Array<{ category: string; spend: number }>;
  /** Overdue by their own rhythm (or the population's): a churn risk. */
  atRisk: boolean;
  /** Why, in words ("usually every 6 days, now 23"), when at risk; with the satisfaction signal when there is one. */
  churnReason: string | null;
  /** What the customer's survey answers say: satisfaction `falling` or `low` (settings `churn.satisfaction`). */
  satisfactionSignal: SatisfactionSignal | null;
}

/** A member of a segment, and since when. */
export interface SegmentMember {
  customerId: string;
  since: Date;
}

/** A customer overdue by their own rhythm, from `segments.atRisk`. */
export interface AtRiskCustomer {
  customerId: string;
  /** When their next visit was due. */
  overdueAt: Date;
  /** Why, in words ("usually every 6 days, now 23"), with the satisfaction signal when there is one. */
  reason: string;
  /** What the customer's survey answers say: satisfaction `falling` or `low`, or null. */
  satisfactionSignal: SatisfactionSignal | null;
  rfmGroup: string | null;
  valueClass: string | null;
}

/** How many customers (and how much spend) one RFM group, value class or volume class holds. */
export interface DistributionRow {
  /** The group or class (`null`: customers without one). */
  key: string | null;
  customers: number;
  /** Their spend in the statistics window, minor units. */
  windowSpend: number;
}

/** Options of `segments.match`. */
export interface MatchOptions {
  /**
   * `pushdown` (default) filters in the store; `scan` evaluates every statistics row in memory. Both give
   * the same ids.
   */
  mode?: 'pushdown' | 'scan';
}

/** Options of `segments.atRisk`. */
export interface AtRiskInput {
  /** At most this many customers (default 100, at most 10,000). */
  limit?: number;
}

/**
 * `crm.segments.forModules`: the reads other modules make (loyalty's member context, complaints'
 * service levels and survey segments), through the session the caller gives, `ctx.tx` inside a
 * command. They check no reader and audit nothing, because the command or query that calls them was
 * authorised already; staff-facing reads go through `segmentsOf` and `policyFor` with `{ actor }`.
 */
export interface SegmentsForModules {
  /** The ids of the segments a customer is in, read through `session`. */
  segmentsOf(customerId: string, session: StoreSession): Promise<string[]>;
  /** The merged policy of a customer's segments, read through `session`. */
  policyFor(customerId: string, session: StoreSession): Promise<MergedPolicy>;
}

/**
 * `crm.segments`: segments defined as data and kept materialised, customer statistics with scores and
 * churn risk, and the credit accounts, key accounts, structure reports and recommendations built on
 * them. Defining a segment needs `segments.manage`; reads of customers need `segments.read`.
 */
export interface SegmentsApi {
  /** Creates or changes a segment definition (checked: unknown fields or mismatched values are refused). */
  define(input: DefineSegmentInput, options: CommandOptions): Promise<Segment>;
  /** A segment by id (a definition: no reader needed). */
  get(segmentId: string): Promise<Segment>;
  /** Every segment, highest priority first (definitions: no reader needed). */
  list(): Promise<Segment[]>;
  /**
   * The ids of the customers a definition (a {@link ConditionInput}, checked as `define` checks it)
   * selects now, sorted; nothing is stored.
   */
  match(definition: unknown, options: QueryOptions): Promise<string[]>;
  /** The ids of the customers a definition selects now, sorted, filtered in the store or in memory. */
  match(definition: unknown, match: MatchOptions | undefined, options: QueryOptions): Promise<string[]>;
  /** A segment's materialised members. */
  members(segmentId: string, options: QueryOptions): Promise<ResultPage<SegmentMember>>;
  /** A page of a segment's materialised members. */
  members(segmentId: string, page: PageInput | undefined, options: QueryOptions): Promise<ResultPage<SegmentMember>>;
  /** The ids of the segments a customer is in. */
  segmentsOf(customerId: string, options: QueryOptions): Promise<string[]>;
  /** The merged policy of a customer's segments (see `mergePolicies`). */
  policyFor(customerId: string, options: QueryOptions): Promise<MergedPolicy>;
  /** A customer's statistics, scores and churn risk. */
  stats(customerId: string, options: QueryOptions): Promise<CustomerStats>;
  /** Customers at churn risk now, longest overdue first, with the reason (erased customers never). */
  atRisk(options: QueryOptions): Promise<AtRiskCustomer[]>;
  /** At most `limit` customers at churn risk now, longest overdue first, with the reason. */
  atRisk(input: AtRiskInput | undefined, options: QueryOptions): Promise<AtRiskCustomer[]>;
  /** Customers per RFM group, value class or volume class (totals: no reader needed). */
  distribution(by: 'rfmGroup' | 'valueClass' | 'volumeClass'): Promise<DistributionRow[]>;
  /** The reads other modules make through their own transaction. */
  forModules: SegmentsForModules;
  /**
   * Recomputes statistics, scores, basket figures and memberships from the purchase records, in
   * chunks, with progress and cancellation; memberships that change emit `segment.joined`/`segment.left`.
   */
  rebuild(input: RebuildInput, options: CommandOptions): Promise<RebuildResult>;
  /** Credit accounts of organisations. */
  credit: CreditApi;
  /** Key accounts, their representatives and visits. */
  keyAccounts: KeyAccountApi;
  /** Structure reports. */
  reports: SegmentsReports;
  /** Bought-together pairs and likely next categories. */
  recommendations: Recommendations;
}

const SYSTEM: CommandOptions = { actor: { system: 'segments' } };
/** The permission of reads of customers' statistics, memberships and recommendations. */
const READ = 'segments.read';

/** A module-to-module read names the session it reads through; without one it is a programming error. */
function sessionOf(session: StoreSession): StoreSession {
  if (
    typeof session !== 'object' ||
    session === null ||
    typeof (session as Partial<StoreSession>).find !== 'function'
  ) {
    throw invalid(['session'], 'required', "forModules reads go through the caller's session (ctx.tx in a command)");
  }
  return session;
}

function toSegment(row: RowOf<typeof segmentDefinitionsCollection>): Segment {
  return { ...row, definition: row.definition as unknown as ConditionInput, policy: row.policy as SegmentPolicy };
}

async function categoriesOfSale(
  session: StoreSession,
  purchaseId: string,
  sign: 1 | -1,
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for await (const l of scan(session, purchaseLinesCollection, { where: { purchaseId } }))
    out[l.category] = (out[l.category] ?? 0) + sign * l.amount;
  return out;
}

/** Builds the module's API and handlers on a kernel; `segments(config)` calls it in `setup`. */
function createSegmentsApi(runtime: SegmentsRuntime) {
  const { kernel, config, registry } = runtime;
  const credit = createCreditService(runtime);
  const keyAccounts = createKeyAccountService(runtime);
  const rebuild = createRebuild(runtime);
  const reports = createReportService(runtime);
  const recommendations = createRecommendationService(runtime);

  const define = kernel.command({
    name: 'segments.define',
    input: defineSegmentSchema,
    permission: 'segments.manage',
    idempotency: 'optional',
    async run(ctx, input) {
      compileCondition(input.definition, registry, ['definition']);
      const prev = await ctx.tx.get(segmentDefinitionsCollection, input.id);
      const fields = {
        name: input.name,
        description: input.description ?? null,
        definition: input.definition as never,
        policy: input.policy as never,
        priority: input.priority,
        active: input.active,
        updatedAt: ctx.now,
      };
      const row = prev
        ? await ctx.tx.update(
            segmentDefinitionsCollection,
            input.id,
            fields,
            input.expectVersion !== undefined ? { expectVersion: input.expectVersion } : {},
          )
        : await ctx.tx.insert(segmentDefinitionsCollection, { id: input.id, createdAt: ctx.now, ...fields });
      ctx.audit({ type: 'segment', id: row.id }, { version: row.version, active: row.active });
      await ctx.emit('segment.defined', { segmentId: row.id, version: row.version });
      return toSegment(row);
    },
  });

  async function get(segmentId: string): Promise<Segment> {
    const id = parseInput(codeSchema, segmentId, ['segmentId']);
    const row = await mustGet(kernel.store, segmentDefinitionsCollection, id, 'segment', { path: ['segmentId'] });
    return toSegment(row);
  }

  async function list(): Promise<Segment[]> {
    const out: Segment[] = [];
    for await (const row of scan(kernel.store, segmentDefinitionsCollection)) out.push(toSegment(row));
    return out.sort((a, b) => b.priority - a.priority || (a.id < b.id ? -1 : 1));
  }

  /**
   * The customers a definition selects now, without storing anything: `pushdown` (default) filters in
   * the store, `scan` evaluates every statistics row in memory. Both give the same ids, sorted.
   */
  async function match(definition: unknown, options: MatchOptions = {}): Promise<string[]> {
    const predicate = compileCondition(definition, registry, ['definition']);
    const mode = parseInput(z.enum(['pushdown', 'scan']).default('pushdown'), options.mode, ['mode']);
    return [...(await matchCustomers(kernel.store, predicate, kernel.clock.now(), mode))].sort();
  }

  async function members(segmentId: string, page: PageInput = {}): Promise<ResultPage<SegmentMember>> {
    const id = parseInput(codeSchema, segmentId, ['segmentId']);
    const q = parseInput(pageSchema, page);
    const result = await kernel.store.find(segmentMembersCollection, {
      where: { segmentId: id },
      limit: q.limit,
      after: q.after ?? null,
    });
    return { items: result.rows.map((r) => ({ customerId: r.customerId, since: r.since })), next: result.next };
  }

  async function segmentsOf(customerId: string, session?: StoreSession): Promise<string[]> {
    const id = parseInput(idSchema, customerId, ['customerId']);
    const out: string[] = [];
    for await (const m of scan(session ?? kernel.store, segmentMembersCollection, { where: { customerId: id } }))
      out.push(m.segmentId);
    return out.sort();
  }

  async function policyFor(customerId: string, session?: StoreSession): Promise<MergedPolicy> {
    const s = session ?? kernel.store;
    const ids = await segmentsOf(customerId, s);
    const segments: Array<{ id: string; priority: number; policy: SegmentPolicy }> = [];
    for (const id of ids) {
      const row = await s.get(segmentDefinitionsCollection, id);
      if (row?.active) segments.push({ id, priority: row.priority, policy: row.policy as SegmentPolicy });
    }
    return mergePolicies(segments);
  }

  async function statsOf(customerId: string): Promise<CustomerStats> {
    const id = parseInput(idSchema, customerId, ['customerId']);
    const row = await mustGet(kernel.store, customerStatsCollection, id, 'customer statistics', {
      path: ['customerId'],
    });
    const now = kernel.clock.now();
    const atRisk = row.erased !== true && row.overdueAt !== null && row.overdueAt.getTime() < now.getTime();
    return {
      ...row,
      topCategories: topCategories(row.categories),
      atRisk,
      churnReason: atRisk ? churnReason(row, now, config.churn.satisfaction) : null,
      satisfactionSignal: satisfactionSignal(row, config.churn.satisfaction),
    };
  }

  /** Customers overdue by their own rhythm now, longest overdue first, with the reason (erased customers never). */
  async function atRisk(options: AtRiskInput = {}): Promise<AtRiskCustomer[]> {
    const limit = parseInput(z.number().int().min(1).max(10_000).default(100), options.limit, ['limit']);
    const now = kernel.clock.now();
    const out: AtRiskCustomer[] = [];
    for await (const row of scan(
      kernel.store,
      customerStatsCollection,
      { where: { overdueAt: { lt: now }, ...NOT_ERASED } },
      2000,
    )) {
      out.push({
        customerId: row.customerId,
        overdueAt: row.overdueAt!,
        reason: churnReason(row, now, config.churn.satisfaction)!,
        satisfactionSignal: satisfactionSignal(row, config.churn.satisfaction),
        rfmGroup: row.rfmGroup,
        valueClass: row.valueClass,
      });
    }
    return out
      .sort((a, b) => a.overdueAt.getTime() - b.overdueAt.getTime() || (a.customerId < b.customerId ? -1 : 1))
      .slice(0, limit);
  }

  /** How many customers (and how much spend) each RFM group, value class or volume class holds. */
  async function distribution(by: 'rfmGroup' | 'valueClass' | 'volumeClass'): Promise<DistributionRow[]> {
    const field = parseInput(z.enum(['rfmGroup', 'valueClass', 'volumeClass']), by, ['by']);
    const groups = await reports.structure({ by: field });
    const spend = new Map<string | null, number>();
    for (const g of await kernel.store.aggregate(customerStatsCollection, {
      groupBy: [field],
      measures: { s: { fn: 'sum', field: 'windowSpend' } },
    }))
      spend.set((g[field] as string | null) ?? null, g['s'] as number);
    return groups.map((g) => ({ key: g.key, customers: g.customers, windowSpend: spend.get(g.key) ?? 0 }));
  }

  const api: SegmentsApi = {
    define,
    get,
    list,
    match: kernel.query({ name: 'segments.match', permission: READ, reads: (ids) => ids, run: match }),
    members: kernel.query({
      name: 'segments.members',
      permission: READ,
      reads: (page) => page.items.map((m) => m.customerId),
      run: members,
    }),
    segmentsOf: kernel.query({
      name: 'segments.segmentsOf',
      permission: READ,
      reads: (_ids, [customerId]) => [customerId],
      run: (customerId: string) => segmentsOf(customerId),
    }),
    policyFor: kernel.query({
      name: 'segments.policyFor',
      permission: READ,
      reads: (_policy, [customerId]) => [customerId],
      run: (customerId: string) => policyFor(customerId),
    }),
    stats: kernel.query({
      name: 'segments.stats',
      permission: READ,
      reads: (stats) => [stats.customerId],
      run: statsOf,
    }),
    atRisk: kernel.query({
      name: 'segments.atRisk',
      permission: READ,
      reads: (list) => list.map((r) => r.customerId),
      run: atRisk,
    }),
    distribution,
    forModules: {
      segmentsOf: async (customerId: string, session: StoreSession): Promise<string[]> =>
        segmentsOf(customerId, sessionOf(session)),
      policyFor: async (customerId: string, session: StoreSession): Promise<MergedPolicy> =>
        policyFor(customerId, sessionOf(session)),
    },
    rebuild: (input: RebuildInput, options: CommandOptions) => rebuild(input, options),
    credit: credit.api,
    keyAccounts: keyAccounts.api,
    reports,
    recommendations,
  };

  async function onPurchase(ctx: SegmentsContext, p: CoreEvents['purchase.recorded']): Promise<void> {
    // The credit check first: a refused sale on account throws before anything else is done.
    await credit.onSale(ctx, p.purchaseId);
    if (p.customerId)
      await refreshCustomer(ctx, p.customerId, config, registry, {
        categories: await categoriesOfSale(ctx.tx, p.purchaseId, 1),
      });
  }

  /**
   * An erased customer keeps their statistics row, marked, so every report adds up the same, and
   * leaves every segment; their key-account assessment (staff's judgement of them, a visit schedule)
   * is deleted, so no list names them to staff.
   */
  async function onErased(ctx: SegmentsContext, p: CoreEvents['customer.erased']): Promise<void> {
    const key = await ctx.tx.get(keyAccountsCollection, p.customerId);
    if (key) {
      await ctx.tx.delete(keyAccountsCollection, p.customerId);
      if (key.isKey)
        await ctx.emit(
          'key-account.dropped',
          { customerId: p.customerId, score: key.score },
          { customerId: p.customerId },
        );
    }
    await refreshCustomer(ctx, p.customerId, config, registry, key ? { keyAccount: false } : {});
  }

  async function mergeCustomer(
    ctx: SegmentsContext,
    ids: { survivorId: string; mergedId: string },
  ): Promise<readonly string[]> {
    const { tx } = ctx;
    const merged = await tx.get(customerStatsCollection, ids.mergedId);
    const survivor = await tx.get(customerStatsCollection, ids.survivorId);
    if (merged && survivor) {
      const categories = { ...survivor.categories };
      for (const [c, v] of Object.entries(merged.categories)) categories[c] = (categories[c] ?? 0) + v;
      await tx.update(customerStatsCollection, ids.survivorId, { categories });
    }
    if (merged) await tx.delete(customerStatsCollection, ids.mergedId);
    for await (const m of scan(tx, segmentMembersCollection, { where: { customerId: ids.mergedId } })) {
      await tx.delete(segmentMembersCollection, m.id);
      await ctx.emit(
        'segment.left',
        { segmentId: m.segmentId, customerId: ids.mergedId },
        { customerId: ids.mergedId },
      );
    }
    const account = await tx.get(creditAccountsCollection, ids.mergedId);
    if (account) {
      const own = await tx.get(creditAccountsCollection, ids.survivorId);
      if (own) await tx.increment(creditAccountsCollection, ids.survivorId, 'outstanding', account.outstanding);
      else {
        const { version: _v, ...rest } = account;
        await tx.insert(creditAccountsCollection, { ...rest, customerId: ids.survivorId, updatedAt: ctx.now });
      }
      await tx.delete(creditAccountsCollection, ids.mergedId);
    }
    const key = await tx.get(keyAccountsCollection, ids.mergedId);
    if (key) {
      if (!(await tx.get(keyAccountsCollection, ids.survivorId))) {
        const { version: _v, ...rest } = key;
        await tx.insert(keyAccountsCollection, { ...rest, customerId: ids.survivorId });
      }
      await tx.delete(keyAccountsCollection, ids.mergedId);
    }
    return [
      customerStatsCollection.name,
      segmentMembersCollection.name,
      creditAccountsCollection.name,
      keyAccountsCollection.name,
    ];
  }

  const refresh = (ctx: SegmentsContext, p: { customerId: string }) =>
    refreshCustomer(ctx, p.customerId, config, registry).then(() => undefined);
  const handlers: SegmentsHandler[] = [
    { event: 'purchase.recorded', run: onPurchase },
    {
      // The survey module reports a customer's satisfaction after each of their answers, in the answer's transaction.
      event: 'survey.answered',
      async run(ctx, p) {
        if (p.customerId && p.satisfaction)
          await refreshCustomer(ctx, p.customerId, config, registry, {
            satisfaction: satisfactionFields(p.satisfaction),
          });
      },
    },
    { event: 'customer.registered', run: refresh },
    { event: 'customer.updated', run: refresh },
    { event: 'customer.erased', run: onErased },
    {
      event: 'customer.merged',
      async run(ctx, p) {
        await refreshCustomer(ctx, p.survivorId, config, registry);
        await refreshCustomer(ctx, p.mergedId, config, registry);
      },
    },
  ];
  // A sale on account is given back to the account, from what the other tenders left; the member's
  // figures are refreshed once the refund is settled.
  const refunds: RefundStep<SegmentsEventMap>[] = [
    {
      order: REFUND_ORDER.account,
      async onReturn(ctx, p, refund) {
        await credit.onReversal(ctx, p.purchaseId, refund);
        if (p.customerId) await refreshCustomer(ctx, p.customerId, config, registry);
      },
      async onVoid(ctx, p) {
        await credit.onReversal(ctx, p.purchaseId, null);
        if (p.customerId)
          await refreshCustomer(ctx, p.customerId, config, registry, {
            categories: await categoriesOfSale(ctx.tx, p.purchaseId, -1),
          });
      },
    },
  ];

  return {
    api,
    handlers,
    refunds,
    mergeCustomer,
    timelineTexts: SEGMENTS_TIMELINE_TEXTS,
    runDue: async (now: Date) => ({ keyAccountVisitsDue: await keyAccounts.runDue(now, SYSTEM) }),
  };
}

/**
 * The segments module: `createClientele({ modules: [segments(config)] })` mounts it as `crm.segments`.
 * Bad settings are a `ValidationError` at once, naming the path under `config`.
 */
export function segments(config?: SegmentsConfig) {
  const resolved = resolveConfig(config);
  const registry = conditionRegistry(resolved.conditions);
  // Check the configured RFM groups and condition kinds once, where they are written.
  if (new Set(resolved.rfm.groups.map((g) => g.id)).size !== resolved.rfm.groups.length)
    throw invalid(['config', 'rfm', 'groups'], 'duplicate_group', 'RFM group ids must be unique');
  return defineModule<'segments', SegmentsApi, SegmentEvents, ListenedEvents>({
    name: 'segments',
    collections: segmentCollections,
    migrations: segmentMigrations,
    setup(kernel) {
      const built = createSegmentsApi({ kernel, config: resolved, registry });
      // Sales on account are given back to the account, never paid at the till.
      return {
        api: built.api,
        handlers: built.handlers,
        refunds: built.refunds,
        runDue: built.runDue,
        mergeCustomer: built.mergeCustomer,
        tenders: [resolved.credit.method],
      };
    },
  });
}
