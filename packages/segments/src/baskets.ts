/**
 * The baskets part of a rebuild, from purchase lines: each customer's spend per category, and the
 * item and category pairs bought together. Lines of voided sales do not count; returns do not change
 * category spend (it records what the customer chose to buy).
 */
import {
  purchaseLinesCollection,
  purchasesCollection,
  scan,
  type AggregateRow,
  type Page,
  type ResolvedActor,
  type StoreSession,
} from '@clientele/core/module';
import { basketPairsCollection, customerStatsCollection, type StatsRow } from './collections.js';
import { topCategories } from './customer-stats.js';
import { PairCounter, pairMetrics } from './bought-together.js';
import { GROUP_PAGE } from './stats-store.js';
import type { SegmentsContext } from './events.js';
import type { SegmentsRuntime } from './runtime.js';

/** Levels of bought-together pairs. */
export type PairLevel = 'item' | 'category';

async function voidedIds(session: StoreSession, where: Record<string, unknown> = {}): Promise<string[]> {
  const out: string[] = [];
  let after: string | null = null;
  do {
    // Only the id column: a projection, not a grouping.
    const page: Page<{ id: string }> = await session.find(purchasesCollection, {
      where: { ...where, status: 'voided' },
      select: ['id'],
      limit: GROUP_PAGE,
      after,
    });
    for (const row of page.rows) out.push(row.id);
    after = page.next;
  } while (after !== null);
  return out;
}

/** Gross spend per category of each customer in a range of ids, voided sales left out. */
export async function categoriesInRange(
  session: StoreSession,
  from: string | null,
  to: string | null,
): Promise<Map<string, Record<string, number>>> {
  const range: Record<string, string> = {};
  if (from !== null) range['gt'] = from;
  if (to !== null) range['lte'] = to;
  const customerId = Object.keys(range).length ? range : { isNull: false };
  const map = new Map<string, Record<string, number>>();
  const add = (id: string, category: string, amount: number) => {
    let c = map.get(id);
    if (!c) map.set(id, (c = {}));
    c[category] = (c[category] ?? 0) + amount;
  };
  let after: [string, string] | null = null;
  for (;;) {
    const page: AggregateRow[] = await session.aggregate(purchaseLinesCollection, {
      where: { customerId },
      groupBy: ['customerId', 'category'],
      measures: { amount: { fn: 'sum', field: 'amount' } },
      limit: GROUP_PAGE,
      ...(after ? { after } : {}),
    });
    for (const g of page) add(g['customerId'] as string, g['category'] as string, g['amount'] as number);
    if (page.length < GROUP_PAGE) break;
    const last: AggregateRow = page[page.length - 1]!;
    after = [last['customerId'] as string, last['category'] as string];
  }
  const voided = await voidedIds(session, { customerId });
  for (let i = 0; i < voided.length; i += 500) {
    for await (const l of scan(session, purchaseLinesCollection, {
      where: { purchaseId: { in: voided.slice(i, i + 500) } },
    }))
      if (l.customerId) add(l.customerId, l.category, -l.amount);
  }
  for (const c of map.values()) for (const [k, v] of Object.entries(c)) if (v <= 0) delete c[k];
  return map;
}

interface BasketSettings {
  chunk: number;
  asOf: Date;
  /** Who rebuilds, resolved once. */
  actor: ResolvedActor;
  progress(done: number, total: number): void;
  cancelled(): boolean;
  yieldToHost(): Promise<void>;
}

/** Builds the baskets part of a rebuild: its steps are registered once, with the module. */
export function createBasketRefresh(runtime: SegmentsRuntime) {
  const { kernel, config } = runtime;
  const internal = <I, O>(name: string, run: (ctx: SegmentsContext, input: I) => Promise<O>) =>
    kernel.unitOfWork<I, O>({ name, permission: 'segments.rebuild', run });

  const categoriesChunk = internal<
    { after: string | null; limit: number; asOf: Date },
    { next: string | null; done: number; written: number }
  >('segments.rebuild-categories', async (ctx, input) => {
    const { rows: page } = await ctx.tx.find(customerStatsCollection, {
      where: input.after !== null ? { customerId: { gt: input.after } } : {},
      select: ['customerId'],
      limit: input.limit,
    });
    if (page.length === 0) return { next: null, done: 0, written: 0 };
    const upper = page[page.length - 1]!.customerId;
    const spend = await categoriesInRange(ctx.tx, input.after, upper);
    const range: Record<string, string> = { lte: upper };
    if (input.after !== null) range['gt'] = input.after;
    let written = 0;
    for await (const row of scan(ctx.tx, customerStatsCollection, { where: { customerId: range } }, 5000)) {
      const categories = spend.get(row.customerId) ?? {};
      if (JSON.stringify(sorted(categories)) === JSON.stringify(sorted(row.categories))) continue;
      const patch: Partial<StatsRow> = {
        categories,
        topCategory: topCategories(categories, 1)[0]?.category ?? null,
        updatedAt: input.asOf,
      };
      await ctx.tx.update(customerStatsCollection, row.customerId, patch);
      written++;
    }
    return { next: page.length < input.limit ? null : upper, done: page.length, written };
  });

  const replacePairs = internal<{ rows: Array<Record<string, unknown>> }, void>(
    'segments.rebuild-pairs',
    async (ctx, input) => {
      const old: string[] = [];
      for await (const p of scan(ctx.tx, basketPairsCollection)) old.push(p.id);
      for (const id of old) await ctx.tx.delete(basketPairsCollection, id);
      await ctx.tx.insertMany(basketPairsCollection, input.rows as never);
    },
  );

  /** Runs the baskets part of a rebuild. */
  return async function refreshBaskets(
    s: BasketSettings,
  ): Promise<{ pairs: number; written: number; cancelled: boolean }> {
    let written = 0;
    const total = await kernel.store.count(customerStatsCollection);
    let after: string | null = null;
    let done = 0;
    do {
      if (s.cancelled()) return { pairs: 0, written, cancelled: true };
      const r = await categoriesChunk({ after, limit: s.chunk, asOf: s.asOf }, s.actor);
      written += r.written;
      done += r.done;
      after = r.next;
      s.progress(done, total);
      await s.yieldToHost();
    } while (after !== null);

    // Pairs: the most bought items, then every basket's items and categories.
    const store = kernel.store;
    const voided = new Set(await voidedIds(store));
    const frequency: Array<[string, number]> = [];
    let skuAfter: string | null = null;
    for (;;) {
      const page: AggregateRow[] = await store.aggregate(purchaseLinesCollection, {
        groupBy: ['sku'],
        measures: { n: { fn: 'count' } },
        limit: GROUP_PAGE,
        ...(skuAfter ? { after: [skuAfter] } : {}),
      });
      for (const g of page) frequency.push([g['sku'] as string, g['n'] as number]);
      if (page.length < GROUP_PAGE) break;
      skuAfter = page[page.length - 1]!['sku'] as string;
    }
    const kept = new Set(
      frequency
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .slice(0, config.recommendations.maxItems)
        .map(([sku]) => sku),
    );
    const items = new PairCounter();
    const categories = new PairCounter();
    let basket: { id: string; skus: string[]; cats: string[] } | null = null;
    const close = () => {
      if (basket && !voided.has(basket.id)) {
        items.add(basket.skus);
        categories.add(basket.cats);
      }
    };
    let lineAfter: [string, string, string] | null = null;
    for (;;) {
      if (s.cancelled()) return { pairs: 0, written, cancelled: true };
      const page: AggregateRow[] = await store.aggregate(purchaseLinesCollection, {
        groupBy: ['purchaseId', 'category', 'sku'],
        measures: { n: { fn: 'count' } },
        limit: GROUP_PAGE,
        ...(lineAfter ? { after: lineAfter } : {}),
      });
      for (const g of page) {
        const id = g['purchaseId'] as string;
        if (!basket || basket.id !== id) {
          close();
          basket = { id, skus: [], cats: [] };
        }
        const sku = g['sku'] as string;
        if (kept.has(sku)) basket.skus.push(sku);
        basket.cats.push(g['category'] as string);
      }
      if (page.length < GROUP_PAGE) break;
      const last: AggregateRow = page[page.length - 1]!;
      lineAfter = [last['purchaseId'] as string, last['category'] as string, last['sku'] as string];
      await s.yieldToHost();
    }
    close();
    const rows: Array<Record<string, unknown>> = [];
    for (const [level, counter] of [
      ['item', items],
      ['category', categories],
    ] as const) {
      const byA = new Map<string, ReturnType<PairCounter['directed']>>();
      for (const p of counter.directed(config.recommendations.minTogether)) {
        const list = byA.get(p.a) ?? [];
        list.push(p);
        byA.set(p.a, list);
      }
      for (const list of byA.values()) {
        list.sort(
          (x, y) =>
            pairMetrics(y).confidence - pairMetrics(x).confidence ||
            pairMetrics(y).lift - pairMetrics(x).lift ||
            (x.b < y.b ? -1 : 1),
        );
        for (const p of list.slice(0, config.recommendations.perAntecedent)) {
          rows.push({
            id: `${level}|${p.a}|${p.b}`,
            level,
            a: p.a,
            b: p.b,
            together: p.together,
            aCount: p.aCount,
            bCount: p.bCount,
            baskets: p.baskets,
          });
        }
      }
    }
    await replacePairs({ rows }, s.actor);
    return { pairs: rows.length, written, cancelled: false };
  };
}

function sorted(o: Record<string, number>): Array<[string, number]> {
  return Object.entries(o).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}
