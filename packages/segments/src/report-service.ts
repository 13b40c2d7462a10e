/**
 * Structure reports: customers and revenue by kind, region, industry, size, value and volume class,
 * RFM group, segment, store or period, with shares. Totals come from the store's grouped aggregates.
 */
import * as z from 'zod';
import {
  instantSchema,
  type AggregateRow,
  parseInput,
  purchasesCollection,
  scan,
  shortTextSchema,
  type StoreSession,
} from '@clientele/core/module';
import { customerStatsCollection, segmentMembersCollection } from './collections.js';
import { GROUP_PAGE } from './stats-store.js';
import type { SegmentsRuntime } from './runtime.js';

/** Dimensions of a structure report. */
export const REPORT_DIMENSIONS = [
  'kind',
  'region',
  'industry',
  'sizeClass',
  'valueClass',
  'volumeClass',
  'rfmGroup',
  'store',
  'segment',
  'period',
] as const;

/** Input of `reports.structure`. */
export const structureSchema = z
  .object({
    by: z.enum(REPORT_DIMENSIONS),
    /** Count only purchases from this instant (with `to`: a period); without, all-time figures of the statistics. */
    from: instantSchema.optional(),
    to: instantSchema.optional(),
    /** For `by: 'period'`: the periods to compare, each `[from, to)`. */
    periods: z
      .array(z.object({ label: shortTextSchema, from: instantSchema, to: instantSchema }).strict())
      .min(1)
      .max(120)
      .optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.by === 'period' && !v.periods)
      ctx.addIssue({ code: 'custom', path: ['periods'], message: 'by period needs periods' });
    if ((v.from === undefined) !== (v.to === undefined))
      ctx.addIssue({ code: 'custom', path: [v.from === undefined ? 'from' : 'to'], message: 'give both from and to' });
    if (v.from && v.to && v.from.getTime() >= v.to.getTime())
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'to must be after from' });
  });
/** Input of `reports.structure`. */
export type StructureInput = z.input<typeof structureSchema>;

/** One line of a structure report. `key` null: customers without a value (or anonymous sales). */
export interface StructureRow {
  key: string | null;
  customers: number;
  revenue: number;
  customerShare: number;
  revenueShare: number;
}

const STATS_FIELD: Record<string, string> = {
  kind: 'kind',
  region: 'region',
  industry: 'industry',
  sizeClass: 'sizeClass',
  valueClass: 'valueClass',
  volumeClass: 'volumeClass',
  rfmGroup: 'rfmGroup',
  store: 'homeStoreId',
};

/** `crm.segments.reports`: how the customer base is made up (totals: no reader needed). */
export interface SegmentsReports {
  /**
   * Customers and revenue by kind, industry, region, size, store, segment, RFM group, value or volume
   * class, or period, each with its share: all-time figures of the statistics, or of a period's
   * purchases.
   */
  structure(input: StructureInput): Promise<StructureRow[]>;
}

/** Builds the report service. */
export function createReportService(runtime: SegmentsRuntime): SegmentsReports {
  const { kernel } = runtime;
  async function purchaseGroups(
    session: StoreSession,
    from: Date,
    to: Date,
    groupBy: ['customerId'] | ['storeId', 'customerId'],
    visit: (g: Record<string, unknown>) => void | Promise<void>,
  ): Promise<void> {
    let after: string[] | null = null;
    for (;;) {
      const page: AggregateRow[] = await session.aggregate(purchasesCollection, {
        where: { status: 'completed', occurredAt: { gte: from, lt: to }, customerId: { isNull: false } },
        groupBy,
        measures: { total: { fn: 'sum', field: 'total' }, refunded: { fn: 'sum', field: 'refundedTotal' } },
        limit: GROUP_PAGE,
        ...(after ? { after } : {}),
      });
      for (const g of page) await visit(g);
      if (page.length < GROUP_PAGE) return;
      const last: AggregateRow = page[page.length - 1]!;
      after = groupBy.map((f: string) => last[f] as string);
    }
  }

  async function anonymous(from: Date, to: Date, groupBy: 'storeId' | null): Promise<Map<string | null, number>> {
    const rows = await kernel.store.aggregate(purchasesCollection, {
      where: { status: 'completed', occurredAt: { gte: from, lt: to }, customerId: { isNull: true } },
      ...(groupBy ? { groupBy: [groupBy] } : {}),
      measures: { total: { fn: 'sum', field: 'total' }, refunded: { fn: 'sum', field: 'refundedTotal' } },
    });
    return new Map(
      rows.map((g) => [groupBy ? (g[groupBy] as string) : null, (g['total'] as number) - (g['refunded'] as number)]),
    );
  }

  function finish(acc: Map<string | null, { customers: number; revenue: number }>): StructureRow[] {
    let customers = 0;
    let revenue = 0;
    for (const v of acc.values()) {
      customers += v.customers;
      revenue += v.revenue;
    }
    return [...acc.entries()]
      .map(([key, v]) => ({
        key,
        customers: v.customers,
        revenue: v.revenue,
        customerShare: customers ? v.customers / customers : 0,
        revenueShare: revenue ? v.revenue / revenue : 0,
      }))
      .sort((a, b) => b.revenue - a.revenue || b.customers - a.customers || String(a.key).localeCompare(String(b.key)));
  }

  /** Customers and revenue by a dimension, with their shares of the totals, largest revenue first. */
  async function structure(input: StructureInput): Promise<StructureRow[]> {
    const q = parseInput(structureSchema, input);
    const acc = new Map<string | null, { customers: number; revenue: number }>();
    const add = (key: string | null, customers: number, revenue: number) => {
      const v = acc.get(key) ?? { customers: 0, revenue: 0 };
      v.customers += customers;
      v.revenue += revenue;
      acc.set(key, v);
    };
    if (q.by === 'period') {
      for (const p of q.periods!) {
        let customers = 0;
        let revenue = 0;
        await purchaseGroups(kernel.store, p.from, p.to, ['customerId'], (g) => {
          customers++;
          revenue += (g['total'] as number) - (g['refunded'] as number);
        });
        for (const v of (await anonymous(p.from, p.to, null)).values()) revenue += v;
        add(p.label, customers, revenue);
      }
      // Periods keep the order given.
      const rows = finish(acc);
      return q.periods!.map((p) => rows.find((r) => r.key === p.label)!);
    }
    if (q.by === 'segment') {
      const members = await kernel.store.aggregate(segmentMembersCollection, {
        groupBy: ['segmentId'],
        measures: { n: { fn: 'count' } },
      });
      for (const m of members) {
        const segmentId = m['segmentId'] as string;
        let revenue = 0;
        let batch: string[] = [];
        const flush = async () => {
          if (batch.length === 0) return;
          if (q.from && q.to) {
            const ids = new Set(batch);
            // A segment's revenue in a period: its members' purchases in the period.
            const page: AggregateRow[] = await kernel.store.aggregate(purchasesCollection, {
              where: { status: 'completed', occurredAt: { gte: q.from, lt: q.to }, customerId: { in: [...ids] } },
              measures: { total: { fn: 'sum', field: 'total' }, refunded: { fn: 'sum', field: 'refundedTotal' } },
            });
            revenue += (page[0]!['total'] as number) - (page[0]!['refunded'] as number);
          } else {
            const page: AggregateRow[] = await kernel.store.aggregate(customerStatsCollection, {
              where: { customerId: { in: batch } },
              measures: { spend: { fn: 'sum', field: 'spend' } },
            });
            revenue += page[0]!['spend'] as number;
          }
          batch = [];
        };
        for await (const row of scan(kernel.store, segmentMembersCollection, { where: { segmentId } }, 1000)) {
          batch.push(row.customerId);
          if (batch.length >= 500) await flush();
        }
        await flush();
        add(segmentId, m['n'] as number, revenue);
      }
      return finish(acc);
    }
    const field = STATS_FIELD[q.by]!;
    if (!q.from || !q.to) {
      const groups = await kernel.store.aggregate(customerStatsCollection, {
        groupBy: [field as 'kind'],
        measures: { customers: { fn: 'count' }, revenue: { fn: 'sum', field: 'spend' } },
      });
      for (const g of groups)
        add((g[field] as string | null) ?? null, g['customers'] as number, g['revenue'] as number);
      return finish(acc);
    }
    if (q.by === 'store') {
      await purchaseGroups(kernel.store, q.from, q.to, ['storeId', 'customerId'], (g) =>
        add(g['storeId'] as string, 1, (g['total'] as number) - (g['refunded'] as number)),
      );
      for (const [store, revenue] of await anonymous(q.from, q.to, 'storeId')) add(store, 0, revenue);
      return finish(acc);
    }
    let batch: Array<{ id: string; revenue: number }> = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const page = await kernel.store.find(customerStatsCollection, {
        where: { customerId: { in: batch.map((b) => b.id) } },
        limit: batch.length,
      });
      const keyOf = new Map(
        page.rows.map((r) => [r.customerId, (r as unknown as Record<string, string | null>)[field] ?? null]),
      );
      for (const b of batch) add(keyOf.get(b.id) ?? null, 1, b.revenue);
      batch = [];
    };
    await purchaseGroups(kernel.store, q.from, q.to, ['customerId'], async (g) => {
      batch.push({ id: g['customerId'] as string, revenue: (g['total'] as number) - (g['refunded'] as number) });
      if (batch.length >= 1000) await flush();
    });
    await flush();
    for (const revenue of (await anonymous(q.from, q.to, null)).values()) if (revenue) add(null, 0, revenue);
    return finish(acc);
  }

  return { structure };
}
