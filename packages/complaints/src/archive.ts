/**
 * The memory of cases: listing and searching cases, their history, the SLA report (acknowledged and
 * resolved within time per level, store and period, and the time spent at each level) and the
 * Pareto ranking of causes by frequency and cost. Queries only: nothing here writes.
 */
import {
  codeSchema,
  idSchema,
  instantSchema,
  parseInput,
  scan,
  type BusinessCalendar,
  type ResultPage,
  type Where,
} from '@clientele/core/module';
import * as z from 'zod';
import { calendarOf, loadCase, type ComplaintsRuntime } from './case-engine.js';
import { listCasesSchema, type ListCasesInput } from './case-schemas.js';
import { toCase, type Case } from './case-view.js';
import {
  caseHistoryCollection,
  caseItemsCollection,
  casesCollection,
  remediesCollection,
  stintsCollection,
  type HistoryRow,
} from './collections.js';
import { REMEDY_TYPES } from './remedies.js';
import { pareto, slaRows, type ParetoRow, type SlaRow } from './report-math.js';
import { businessTimeBetween, slaCalendar } from './sla-clock.js';

/** An entry of a case's history. */
export type CaseHistoryEntry = HistoryRow;

const periodFields = {
  from: instantSchema,
  to: instantSchema,
  storeId: codeSchema.optional(),
};
const ordered = (q: { from: Date; to: Date }) => q.from.getTime() < q.to.getTime();
const orderedMessage = { message: 'the period ends after it starts', path: ['to'] };

/** Input of `archive.search`: every filter is optional; they combine with AND. */
export const archiveSearchSchema = z
  .object({
    sku: codeSchema.optional(),
    category: codeSchema.optional(),
    storeId: codeSchema.optional(),
    cause: codeSchema.optional(),
    /** Cases where a remedy of this type was carried out. */
    remedy: z.enum(REMEDY_TYPES).optional(),
    kind: z.enum(['complaint', 'after-sales', 'suggestion', 'praise']).optional(),
    /** Closed on or after. */
    from: instantSchema.optional(),
    /** Closed before. */
    to: instantSchema.optional(),
    limit: z.number().int().min(1).max(200).default(50),
    after: z.string().min(1).max(2000).nullish(),
  })
  .strict();

/** Input of `reports.sla`. */
export const slaReportSchema = z.object(periodFields).strict().refine(ordered, orderedMessage);
/** Input of `reports.causes`. */
export const causeReportSchema = z
  .object({ ...periodFields, by: z.enum(['cases', 'cost']).default('cases') })
  .strict()
  .refine(ordered, orderedMessage);

/** Filters of `archive.search`. */
export type ArchiveSearchInput = z.input<typeof archiveSearchSchema>;
/** Input of `reports.sla`: a period, and a store. */
export type SlaReportInput = z.input<typeof slaReportSchema>;
/** Input of `reports.causes`: a period, a store, and whether to rank by cases or by cost. */
export type CauseReportInput = z.input<typeof causeReportSchema>;

/** The SLA report. */
export interface SlaReport {
  from: Date;
  to: Date;
  /** One row per store, ladder and level; stays that began in the period. */
  rows: SlaRow[];
}

/** The cause ranking. */
export interface CauseReport {
  from: Date;
  to: Date;
  by: 'cases' | 'cost';
  /** Closed cases in the period with a root cause. */
  cases: number;
  /** Minor units paid out in remedies on them. */
  cost: number;
  rows: ParetoRow[];
}

/** Builds the queries. */
export function createArchive(runtime: ComplaintsRuntime) {
  const { kernel, config } = runtime;
  const store = kernel.store;

  async function list(input: ListCasesInput = {}): Promise<ResultPage<Case>> {
    const q = parseInput(listCasesSchema, input);
    const where: Where<typeof casesCollection> = {};
    if (q.status === 'open') where.status = { ne: 'closed' };
    if (q.status === 'closed') where.status = 'closed';
    if (q.storeId) where.storeId = q.storeId;
    if (q.customerId) where.customerId = q.customerId;
    const page = await store.find(casesCollection, {
      where,
      orderBy: [{ field: 'createdAt', direction: 'desc' }],
      limit: q.limit,
      after: q.after ?? null,
    });
    const items: Case[] = [];
    const now = kernel.clock.now();
    for (const row of page.rows) items.push(await toCase(store, config, row, now));
    return { items, next: page.next };
  }

  async function history(caseId: string): Promise<CaseHistoryEntry[]> {
    const id = parseInput(idSchema, caseId, ['caseId']);
    await loadCase(store, id);
    const out: CaseHistoryEntry[] = [];
    for await (const row of scan(store, caseHistoryCollection, { where: { caseId: id }, orderBy: [{ field: 'at' }] }))
      out.push(row);
    return out;
  }

  /** Ids of cases matching a filter on a child collection, or null when there is no such filter. */
  async function idsFrom<T>(rows: AsyncIterable<T>, pick: (row: T) => string): Promise<Set<string>> {
    const ids = new Set<string>();
    for await (const row of rows) ids.add(pick(row));
    return ids;
  }

  /** Closed cases by product, category, store, cause, remedy and period, newest first. */
  async function search(input: ArchiveSearchInput = {}): Promise<ResultPage<Case>> {
    const q = parseInput(archiveSearchSchema, input);
    let ids: Set<string> | null = null;
    const narrow = (next: Set<string>) => {
      ids = ids === null ? next : new Set([...ids].filter((id) => next.has(id)));
    };
    if (q.sku) narrow(await idsFrom(scan(store, caseItemsCollection, { where: { sku: q.sku } }), (r) => r.caseId));
    if (q.remedy)
      narrow(
        await idsFrom(
          scan(store, remediesCollection, { where: { type: q.remedy, status: 'executed' } }),
          (r) => r.caseId,
        ),
      );
    const where: Where<typeof casesCollection> = { status: 'closed' };
    if (q.from || q.to) where.closedAt = { ...(q.from ? { gte: q.from } : {}), ...(q.to ? { lt: q.to } : {}) };
    if (q.storeId) where.storeId = q.storeId;
    if (q.category) where.category = q.category;
    if (q.cause) where.rootCause = q.cause;
    if (q.kind) where.kind = q.kind;
    const chosen = ids as Set<string> | null;
    if (chosen) where.id = { in: [...chosen].sort() };
    const page = await store.find(casesCollection, {
      where,
      orderBy: [{ field: 'createdAt', direction: 'desc' }],
      limit: q.limit,
      after: q.after ?? null,
    });
    const items: Case[] = [];
    const now = kernel.clock.now();
    for (const row of page.rows) items.push(await toCase(store, config, row, now));
    return { items, next: page.next };
  }

  /**
   * Share of cases acknowledged and resolved within their time limits, per store, ladder level and
   * period (stays at a level that began in the period), with the business time spent at each level.
   */
  async function sla(input: SlaReportInput): Promise<SlaReport> {
    const q = parseInput(slaReportSchema, input);
    const now = kernel.clock.now();
    const where: Where<typeof stintsCollection> = { enteredAt: { gte: q.from, lt: q.to } };
    if (q.storeId) where.storeId = q.storeId;
    const stints = [];
    for await (const s of scan(store, stintsCollection, { where }))
      stints.push({ ...s, resolveBy: s.responseOnly ? null : s.resolveBy });
    const calendars = new Map<string, BusinessCalendar>();
    // A stay counts in the calendar its clocks did: a named one (while configured), else its store's.
    const calendarOfStint = async (s: { storeId: string; calendar: string | null }) => {
      const named = s.calendar !== null && Object.hasOwn(config.calendars, s.calendar);
      const key = named ? `calendar:${s.calendar}` : `store:${s.storeId}`;
      if (!calendars.has(key))
        calendars.set(key, named ? slaCalendar(config.calendars[s.calendar!]!) : await calendarOf(store, s.storeId));
      return key;
    };
    const keys = new Map<string, string>();
    for (const s of stints) keys.set(s.id, await calendarOfStint(s));
    const rows = slaRows(stints, now, (s) =>
      businessTimeBetween(calendars.get(keys.get(s.id)!)!, s.enteredAt, s.leftAt ?? now),
    );
    return { from: q.from, to: q.to, rows };
  }

  /** Root causes of cases closed in the period ranked by frequency or cost, with cumulative shares (Pareto). */
  async function causes(input: CauseReportInput): Promise<CauseReport> {
    const q = parseInput(causeReportSchema, input);
    const where: Where<typeof casesCollection> = {
      status: 'closed',
      closedAt: { gte: q.from, lt: q.to },
      rootCause: { isNull: false },
    };
    if (q.storeId) where.storeId = q.storeId;
    const groups = await store.aggregate(casesCollection, {
      where,
      groupBy: ['rootCause'],
      measures: { cases: { fn: 'count' }, cost: { fn: 'sum', field: 'remedyCost' } },
    });
    const totals = groups
      .filter((g) => g['rootCause'] !== null)
      .map((g) => ({ cause: String(g['rootCause']), cases: Number(g['cases']), cost: Number(g['cost']) }));
    return {
      from: q.from,
      to: q.to,
      by: q.by,
      cases: totals.reduce((s, t) => s + t.cases, 0),
      cost: totals.reduce((s, t) => s + t.cost, 0),
      rows: pareto(totals, q.by),
    };
  }

  return { list, history, search, sla, causes };
}
