/**
 * The `membership` part of a rebuild: memberships brought in line with the statistics. A segment is
 * evaluated in full (pushed down to SQL), or, when the last complete pass materialised the same
 * version of it and it tests statistics fields only, incrementally: only the customers whose rows
 * changed since and those a relative date may have moved in or out. The record of the last complete
 * pass is kept in `segment_state`.
 */
import { compareStrings, scan, type AggregateRow, type JsonValue, type StoreSession } from '@clientele/core/module';
import {
  customerStatsCollection,
  segmentMembersCollection,
  segmentStateCollection,
  type StatsRow,
} from './collections.js';
import type { ResolvedSegmentsConfig } from './config.js';
import { overdueTime } from './customer-stats.js';
import { evaluate, resolveValue, type Predicate, type PredicateValue } from './definition.js';
import { yieldToHost, type ChangedCustomers, type Held, type RebuildRun, type RebuiltColumns } from './rebuild-run.js';
import { populationHours } from './rebuild-thresholds.js';
import {
  NOT_ERASED,
  activeSegments,
  idsWhere,
  matchCustomers,
  memberId,
  memberIds,
  type CompiledSegment,
} from './stats-store.js';
import type { SegmentsContext } from './events.js';
import type { SegmentsRuntime } from './runtime.js';
import { UnitPipeline, unitsAtOnce } from './unit-pipeline.js';

/** The id in `segment_state` of the record of the last complete membership pass. */
const MEMBERSHIP_ID = 'membership';

/** What the last complete membership pass materialised: every active segment's version, as of an instant. */
export interface MembershipRecord {
  asOf: string;
  segments: Record<string, number>;
}

/** Rows per page of a projected read. */
const PAGE = 10_000;

/**
 * Whether a definition tests only fields a rebuild's statistics pass derives (not tags or attributes,
 * which live on the customer, nor categories, which the baskets part writes): only such a segment's
 * members change with nothing but its rows and the passing of time.
 */
export function statsOnly(p: Predicate): boolean {
  if (p.type === 'and' || p.type === 'or') return p.items.every(statsOnly);
  return p.type === 'compare' && p.field !== 'topCategory';
}

/** Adds the statistics fields a predicate compares to `out`. */
function testedFields(p: Predicate, out: Set<string>): void {
  if (p.type === 'and' || p.type === 'or') for (const x of p.items) testedFields(x, out);
  else if (p.type === 'compare') out.add(p.field);
}

/** The comparisons with a relative date (`{ daysAgo }`, `{ daysAhead }`), whose boundary moves with time. */
export function relativeAtoms(p: Predicate): Array<{ field: string; value: PredicateValue }> {
  if (p.type === 'and' || p.type === 'or') return p.items.flatMap(relativeAtoms);
  if (p.type !== 'compare') return [];
  const v = p.value;
  return v !== null && typeof v === 'object' && !(v instanceof Date) && !Array.isArray(v)
    ? [{ field: p.field, value: v }]
    : [];
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
    for (const g of await session.aggregate(segmentMembersCollection, {
      where,
      groupBy: ['segmentId'],
      measures: { n: { fn: 'count' } },
    }))
      out.push(g['segmentId'] as string);
  }
  return out;
}

/** The record of the last complete membership pass, if it still stands. */
export async function loadMembershipRecord(session: StoreSession): Promise<MembershipRecord | null> {
  const row = await session.get(segmentStateCollection, MEMBERSHIP_ID);
  return row ? (row.data as unknown as MembershipRecord) : null;
}

/**
 * Each customer's value of a statistics field that is an instant, as the rows are after the stats
 * part (epoch milliseconds, NaN for null), where the columns hold it: `lastPurchaseAt`, and
 * `overdueAt` (the last purchase and the churn threshold, the customer's own or the population's).
 * Null for any other field.
 */
export function instantsOf(
  rebuilt: RebuiltColumns,
  field: string,
  config: ResolvedSegmentsConfig,
): Float64Array | null {
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

/** A segment evaluated in memory from statistics rows: its id and definition (null: a segment no longer active). */
interface Evaluated {
  id: string;
  predicate: Predicate | null;
}

/**
 * Joins and leaves of `segments` for one batch of customers, from their rows (the fields the
 * definitions test) and memberships as `session` reads them now: a customer joins a segment whose
 * definition their row meets and leaves one it no longer meets. Erased customers' rows are not read:
 * they are in no segment.
 */
async function batchChanges(
  session: StoreSession,
  batch: readonly string[],
  segments: readonly Evaluated[],
  asOf: Date,
  out: Map<string, { joins: string[]; leaves: string[] }>,
): Promise<void> {
  const fields = new Set<string>();
  for (const s of segments) if (s.predicate) testedFields(s.predicate, fields);
  const select = ['customerId', ...[...fields].filter((f) => f !== 'customerId')] as Array<keyof StatsRow & string>;
  const rows = new Map<string, Partial<StatsRow>>();
  if (segments.some((s) => s.predicate !== null))
    for await (const row of scan(
      session,
      customerStatsCollection,
      { where: { customerId: { in: batch }, ...NOT_ERASED }, select },
      PAGE,
    ))
      rows.set(row.customerId, row);
  const held = new Map<string, Set<string>>();
  const members = { where: { customerId: { in: batch } }, select: ['customerId', 'segmentId'] as const };
  for await (const m of scan(session, segmentMembersCollection, members, PAGE)) {
    let set = held.get(m.customerId);
    if (!set) held.set(m.customerId, (set = new Set()));
    set.add(m.segmentId);
  }
  for (const id of batch) {
    const row = rows.get(id);
    for (const s of segments) {
      const want =
        row !== undefined && s.predicate !== null && evaluate(s.predicate, { stats: row as AggregateRow }, asOf);
      const has = held.get(id)?.has(s.id) === true;
      if (want && !has) out.get(s.id)!.joins.push(id);
      else if (!want && has) out.get(s.id)!.leaves.push(id);
    }
  }
}

/** What one unit of work of a full evaluation writes for one segment. */
interface MembershipWrites {
  segmentId: string;
  joins: string[];
  leaves: string[];
}

/** One unit of work of an incremental pass: a batch of candidate customers, decided for every segment. */
interface CandidateBatch {
  customers: string[];
  segments: readonly Evaluated[];
  asOf: Date;
}

/** Builds the membership part of a module instance (its steps are registered once, with the module). */
export function createMembershipPass(runtime: SegmentsRuntime) {
  const { kernel, config, registry } = runtime;
  /** Saves (or, with null, withdraws) the record of the last complete membership pass. */
  const saveMembershipState = kernel.unitOfWork<MembershipRecord | null, void>({
    name: 'segments.rebuild-membership-state',
    permission: 'segments.rebuild',
    async run(ctx, record) {
      const prev = await ctx.tx.get(segmentStateCollection, MEMBERSHIP_ID);
      if (record === null) {
        if (prev) await ctx.tx.delete(segmentStateCollection, MEMBERSHIP_ID);
        return;
      }
      const data = record as unknown as JsonValue;
      if (prev) await ctx.tx.update(segmentStateCollection, MEMBERSHIP_ID, { data, updatedAt: ctx.now });
      else await ctx.tx.insert(segmentStateCollection, { id: MEMBERSHIP_ID, data, updatedAt: ctx.now });
    },
  });

  /** Writes one segment's joins and leaves in the unit of work of `ctx`, with their events. */
  async function writeMembers(ctx: SegmentsContext, segmentId: string, joins: string[], leaves: string[]) {
    if (joins.length)
      await ctx.tx.insertMany(
        segmentMembersCollection,
        joins.map((customerId) => ({ id: memberId(segmentId, customerId), segmentId, customerId, since: ctx.now })),
      );
    if (leaves.length)
      await ctx.tx.deleteMany(
        segmentMembersCollection,
        leaves.map((customerId) => memberId(segmentId, customerId)),
      );
    for (const customerId of joins) await ctx.emit('segment.joined', { segmentId, customerId }, { customerId });
    for (const customerId of leaves) await ctx.emit('segment.left', { segmentId, customerId }, { customerId });
  }

  /** Joins and leaves of one segment that a full evaluation decided, in one transaction, with their events. */
  const applyMembership = kernel.unitOfWork<MembershipWrites, void>({
    name: 'segments.apply-membership',
    permission: 'segments.rebuild',
    run: (ctx, input) => writeMembers(ctx, input.segmentId, input.joins, input.leaves),
  });

  /**
   * A batch of candidates of an incremental pass, decided and written in one transaction: their rows
   * and memberships are read in it and every segment's definition evaluated on them, so a sale that
   * changed a row (and its memberships) before is not undone by an older answer. Returns how many
   * joined and left.
   */
  const applyCandidates = kernel.unitOfWork<CandidateBatch, { joined: number; left: number }>({
    name: 'segments.apply-membership-batch',
    permission: 'segments.rebuild',
    async run(ctx, input) {
      const decided = new Map(input.segments.map((s) => [s.id, { joins: [] as string[], leaves: [] as string[] }]));
      await batchChanges(ctx.tx, input.customers, input.segments, input.asOf, decided);
      const total = { joined: 0, left: 0 };
      for (const [segmentId, { joins, leaves }] of decided) {
        await writeMembers(ctx, segmentId, joins, leaves);
        total.joined += joins.length;
        total.left += leaves.length;
      }
      return total;
    },
  });

  /**
   * Joins and leaves of one segment that a full evaluation decided, written in chunks with their
   * events. Returns false when cancelled.
   */
  async function applyAll(run: RebuildRun, segmentId: string, joins: string[], leaves: string[]): Promise<boolean> {
    for (let i = 0; i < Math.max(joins.length, leaves.length); i += run.chunk) {
      if (run.cancelled()) return false;
      await applyMembership(
        { segmentId, joins: joins.slice(i, i + run.chunk), leaves: leaves.slice(i, i + run.chunk) },
        run.actor,
      );
      await yieldToHost();
    }
    return true;
  }

  /**
   * The customers an incremental membership pass evaluates: those whose rows changed since the last
   * complete pass, and those a relative date may have moved in or out (a field between its boundary
   * then and now), found in the columns of this rebuild's stats part where they hold the field (taken
   * from `columns`, and so released, here), else from the rows.
   */
  async function candidatesOf(
    incremental: readonly CompiledSegment[],
    changed: ChangedCustomers,
    prior: MembershipRecord,
    asOf: Date,
    columns: Held<RebuiltColumns>,
  ): Promise<Set<string>> {
    const candidates = new Set(changed.ids);
    const rebuilt = columns.take();
    const then = new Date(prior.asOf);
    for (const s of incremental) {
      for (const atom of relativeAtoms(s.predicate)) {
        const a = resolveValue(atom.value, then) as Date;
        const b = resolveValue(atom.value, asOf) as Date;
        const range = a.getTime() <= b.getTime() ? { gte: a, lte: b } : { gte: b, lte: a };
        const instants = rebuilt ? instantsOf(rebuilt, atom.field, config) : null;
        if (instants) {
          const lo = range.gte.getTime();
          const hi = range.lte.getTime();
          for (let i = 0; i < instants.length; i++)
            if (instants[i]! >= lo && instants[i]! <= hi) candidates.add(rebuilt!.cols.ids!.at(i));
        } else
          for await (const ids of idsWhere(kernel.store, { [atom.field]: range }))
            for (const id of ids) candidates.add(id);
      }
    }
    return candidates;
  }

  /**
   * Brings memberships in line with the statistics at `run.asOf`. A segment is evaluated in full
   * (pushed down to SQL) unless the last complete pass materialised the same version of it and its
   * definition tests statistics fields only: then only the customers whose rows changed since
   * (`changed`) and those a relative date may have moved in or out (a field between its boundary then
   * and now) are evaluated, which gives the same members. Members of segments no longer active leave them.
   */
  async function membershipPass(
    run: RebuildRun,
    prior: MembershipRecord | null,
    changed: ChangedCustomers | null,
    columns: Held<RebuiltColumns>,
  ): Promise<{ joined: number; left: number; cancelled: boolean }> {
    const { asOf } = run;
    const progress = (done: number, total: number) => run.report('membership', done, total);
    let joined = 0;
    let left = 0;
    const segments = await activeSegments(kernel.store, registry);
    const active = new Set(segments.map((s) => s.id));
    // Members of segments that were deactivated or removed leave them.
    const stale = await staleSegments(kernel.store, [...active]);
    const incremental =
      prior !== null && changed !== null && !changed.overflow
        ? segments.filter((s) => prior.segments[s.id] === s.version && statsOnly(s.predicate))
        : [];
    const full = segments.filter((s) => !incremental.includes(s));
    const total = segments.length + stale.length;
    let done = 0;
    if (!incremental.length) columns.take();

    if (incremental.length) {
      const candidates = [...(await candidatesOf(incremental, changed!, prior!, asOf, columns))].sort();
      // Each batch is read, decided and written in one unit of work: no read before it to read again.
      // Batches are disjoint customers: on a server the next batch reads while the last one writes.
      const units = new UnitPipeline<{ joined: number; left: number }>(unitsAtOnce(kernel.store), (applied) => {
        joined += applied.joined;
        left += applied.left;
      });
      for (let i = 0; i < candidates.length; i += run.chunk) {
        if (run.cancelled()) {
          await units.drain();
          return { joined, left, cancelled: true };
        }
        const customers = candidates.slice(i, i + run.chunk);
        await units.send(() => applyCandidates({ customers, segments: incremental, asOf }, run.actor));
        await yieldToHost();
      }
      await units.drain();
      done += incremental.length;
      progress(done, total);
    }
    for (const s of [
      ...full.map((x) => ({ id: x.id, predicate: x.predicate })),
      ...stale.map((id) => ({ id, predicate: null })),
    ]) {
      if (run.cancelled()) return { joined, left, cancelled: true };
      const want = s.predicate ? await matchCustomers(kernel.store, s.predicate, asOf) : new Set<string>();
      const leaves: string[] = [];
      for await (const ids of memberIds(kernel.store, s.id)) {
        for (const customerId of ids) {
          if (want.has(customerId)) want.delete(customerId);
          else leaves.push(customerId);
        }
      }
      const joins = [...want].sort();
      // Decided in full, by the database: not again per customer (a first build joins every customer).
      if (!(await applyAll(run, s.id, joins, leaves))) return { joined, left, cancelled: true };
      joined += joins.length;
      left += leaves.length;
      progress(++done, total);
    }
    // Every active segment is now materialised as of `asOf`: the next pass may build on it.
    await saveMembershipState(
      { asOf: asOf.toISOString(), segments: Object.fromEntries(segments.map((s) => [s.id, s.version])) },
      run.actor,
    );
    return { joined, left, cancelled: false };
  }

  return {
    membershipPass,
    /** Withdraws the record of the last complete pass, until a rebuild completes one again. */
    withdrawRecord: (run: RebuildRun) => saveMembershipState(null, run.actor),
  };
}
