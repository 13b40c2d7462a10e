/**
 * The `stats` part of a rebuild: statistics rows from the purchases, in one pass over the customers in
 * key order, in bounded chunks (one unit of work each where a chunk writes). Each chunk reads its
 * customers, one summary per customer of their purchases and the stored rows' hashes, each in one
 * statement, and writes only the rows whose hashes differ. Then the population's thresholds, and the sweep that writes
 * the rows held
 * back and those whose scores moved (see `rebuild-rescore.ts`).
 */
import {
  compareStrings,
  customersCollection,
  type AggregateRow,
  type JsonValue,
  type StoreSession,
} from '@clientele/core/module';
import { customerStatsCollection, segmentStateCollection, type StatsRow } from './collections.js';
import { ratingsInRange } from './credit-service.js';
import { FigureScratch, statsFromSummary, windowStartOf, type PurchaseFigures } from './customer-stats.js';
import { AccountHolders } from './account-holders.js';
import {
  keyAccountsInRange,
  reassessKeyAccount,
  recordReassessment,
  type KeyAccount,
  type KeyAccountReassessment,
} from './key-account-service.js';
import { Columns } from './rebuild-columns.js';
import {
  ACTIVE_BUYERS,
  SortedGroups,
  customersIn,
  idRange,
  readSummary,
  storedAfter,
  summariesInRange,
  summarySettings,
  versionsInRange,
} from './rebuild-reads.js';
import { ReadAhead } from './read-ahead.js';
import { MAX_DEFERRED, createRescoreSweep, type DeferredRow } from './rebuild-rescore.js';
import {
  yieldToHost,
  type ChangedCustomers,
  type RebuildResult,
  type RebuildRun,
  type RebuiltColumns,
} from './rebuild-run.js';
import { firstThresholds, thresholdsFrom } from './rebuild-thresholds.js';
import type { ScoreThresholds } from './scores.js';
import {
  THRESHOLDS_ID,
  composeRow,
  deriveFields,
  figuresDigestOf,
  rebuiltFields,
  scoresDigestOf,
  sealRow,
  summaryFrom,
  type CustomerProjection,
} from './stats-store.js';
import type { SegmentsRuntime } from './runtime.js';

/** Where one chunk of the stats pass starts, and what its reads need. */
interface ReadInput {
  after: string | null;
  limit: number;
  asOf: Date;
  /** Where credit and key accounts are, so that a range without any does not read for them. */
  holders: AccountHolders;
}

/** What one chunk of the stats pass is given. */
interface ChunkInput extends ReadInput {
  thresholds: ScoreThresholds | null;
  /** How many more rows the sweep may take (see {@link MAX_DEFERRED}). */
  room: number;
}

/** What one chunk read: its stored rows, its customers (or the stored rows again), and the range's other reads. */
interface ChunkReads {
  stored: AggregateRow[];
  /** The chunk's last customer id (null: the chunk runs to the end). */
  upper: string | null;
  customers: AggregateRow[];
  /** Whether `customers` are the stored rows, their customers unchanged since the rows were derived. */
  unchanged: boolean;
  groups: AggregateRow[];
  ratings: ReadonlyMap<string, string | null>;
  keys: ReadonlyMap<string, KeyAccount>;
}

/** A row a chunk writes (or leaves to the sweep), and where its customer is in the chunk's columns. */
interface PendingRow {
  id: string;
  g: AggregateRow;
  figures: PurchaseFigures;
  creditRating: string | null;
  keyAccount: boolean;
  exists: boolean;
  digest: number;
  at: number;
}

/**
 * What a chunk found, before it writes anything: its customers' figures (in columns of its own, with
 * the hashes of their stored rows), the rows to write, the rows to remove, the key accounts whose
 * score moved, and the rows left to the sweep.
 */
interface ChunkPlan {
  customers: number;
  /** Where the next chunk starts (null: the pass is done). */
  next: string | null;
  /** Whether the customers are unchanged since their rows were derived (their fields were not read). */
  unchanged: boolean;
  /** The chunk's customers' figures (the pass's {@link ChunkBuffers}, valid until the next chunk). */
  cols: Columns;
  /** Rows to write now: new rows and rows of changed customers, whole; changed rows beyond the sweep's room. */
  writes: PendingRow[];
  /** Changed rows of unchanged customers, left to the sweep (`at`: in the chunk's columns). */
  deferred: DeferredRow[];
  /** Stored rows of customers in the range who no longer buy. */
  gone: string[];
  keyChanges: KeyAccountReassessment[];
}

/**
 * What every chunk of a pass fills again, allocated once per pass: typed arrays cost far more to
 * allocate than to fill. The chunk's columns are valid until the next chunk.
 */
interface ChunkBuffers {
  cols: Columns;
  scratch: FigureScratch;
}

/**
 * On a database server, a page the stats pass reads outside any transaction is this many chunks long,
 * up to {@link MAX_READ_PAGE} customers: on most nights no chunk writes, and fewer, longer reads cost a
 * server far less per customer. An embedded database reads one chunk at a time (longer pages cost it
 * more memory traffic than they save, and its synchronous reads would hold the event loop longer).
 */
const CHUNKS_PER_READ_PAGE = 5;
const MAX_READ_PAGE = 10_000;
/** On a database server, how many pages beyond the one in use are read ahead (see `read-ahead.ts`). */
const READ_AHEAD_PAGES = 2;

/** What a range without credit accounts or key accounts holds of them. */
const NO_RATINGS: ReadonlyMap<string, string | null> = new Map();
const NO_KEY_ACCOUNTS: ReadonlyMap<string, KeyAccount> = new Map();

/** Whether a chunk's plan writes anything. */
const writesSomething = (plan: ChunkPlan) =>
  plan.writes.length > 0 || plan.gone.length > 0 || plan.keyChanges.length > 0;

/** Builds the stats part of a module instance (its steps are registered once, with the module). */
export function createStatsPass(runtime: SegmentsRuntime) {
  const { kernel, config } = runtime;
  const settings = summarySettings(config);
  const sweep = createRescoreSweep(runtime);

  /**
   * Reads one chunk of the stats pass: the next `limit` stored rows after `after` (or, where customers
   * came, went or changed, the next `limit` active buying customers), and the range's summaries,
   * credit ratings and key accounts. When the customers of the range are unchanged (their count and
   * version sum equal the rows'), their fields are not read at all. `ends` is told where the chunk ends
   * as soon as its stored rows are in, so that the next chunk's reads can be sent.
   */
  async function readChunk(
    session: StoreSession,
    input: ReadInput,
    ends?: (upper: string | null) => void,
  ): Promise<ChunkReads> {
    const { after, limit } = input;
    const windowStart = windowStartOf(input.asOf, settings);
    let stored = await storedAfter(session, after, limit);
    let upper: string | null = stored.length === limit ? (stored[limit - 1]!['customerId'] as string) : null;
    // Where the chunk ends as far as its stored rows tell (it ends sooner where many customers came).
    ends?.(upper);
    // The range's reads, sent at once (on a pool, each on a connection of its own, so a chunk waits for
    // the slowest read rather than for all in turn). Should the range shrink below, what they read
    // beyond its end is passed over: the walk looks up only the chunk's customers.
    const reads = (to: string | null) =>
      Promise.all([
        summariesInRange(session, after, to, windowStart),
        input.holders.inRange('credit', after, to)
          ? ratingsInRange(session, idRange(after, to), input.asOf, config)
          : NO_RATINGS,
        input.holders.inRange('key', after, to) ? keyAccountsInRange(session, idRange(after, to)) : NO_KEY_ACCOUNTS,
      ]);
    let prefetched: ReturnType<typeof reads> | null = null;
    let customers: AggregateRow[] | null = null;
    // Whether `customers` are the stored rows themselves (their `customerId` and `customerVersion`).
    let unchanged = false;
    if (upper !== null) {
      prefetched = reads(upper);
      // A failed read is reported by the await below, not as an unhandled rejection meanwhile.
      prefetched.catch(() => undefined);
      const versions = await versionsInRange(session, after, upper);
      let sum = 0;
      for (const r of stored) sum += (r['customerVersion'] as number | null) ?? Number.NaN;
      // Unchanged: the customers are the stored rows', with the versions the rows were derived from.
      unchanged = versions.count === stored.length && versions.sum === sum;
      if (unchanged) customers = stored;
    }
    if (customers === null) {
      customers = await customersIn(session, after, upper, limit, 'copied');
      // No more than `limit` customers per chunk, even where many came: the chunk ends at the last of them.
      if (customers.length === limit) {
        const last = customers[limit - 1]!['id'] as string;
        if (upper === null || compareStrings(last, upper) < 0) {
          upper = last;
          stored = stored.filter((r) => compareStrings(r['customerId'] as string, last) <= 0);
        }
      }
    }
    const [groups, ratings, keys] = await (prefetched ?? reads(upper));
    return { stored, upper, customers, unchanged, groups, ratings, keys };
  }

  /**
   * Works out what one chunk would write from what {@link readChunk} read: only the rows whose hashes
   * differ are rebuilt; of unchanged customers, those are left to the sweep after the thresholds (up
   * to its room), the others written by the chunk. Key accounts in the range are scored again on the way.
   */
  function planChunk(reads: ChunkReads, input: ChunkInput, { cols, scratch }: ChunkBuffers): ChunkPlan {
    const { customers, stored, unchanged, ratings, keys } = reads;
    const summaries = new SortedGroups(reads.groups);
    // Stored rows the walk passes by belong to customers who are no longer active buyers.
    const existing = new SortedGroups(stored, []);
    cols.clear();
    const pending: PendingRow[] = [];
    const keyChanges: KeyAccountReassessment[] = [];
    const idField = unchanged ? 'customerId' : 'id';
    const versionField = unchanged ? 'customerVersion' : 'version';
    for (const g of customers) {
      const id = g[idField] as string;
      const prev = existing.take(id);
      const bought = summaries.take(id);
      readSummary(scratch, bought, input.asOf, config, settings);
      const creditRating = ratings.has(id) ? ratings.get(id)! : null;
      let keyAccount = false;
      const key = keys.get(id);
      if (key) {
        const k = reassessKeyAccount(key, scratch.windowSpend, creditRating, config);
        keyAccount = k.isKey;
        if (k.change) keyChanges.push(k.change);
      }
      // Most rows have not changed: compare their hashes before building a row to write. Scores that
      // moved with the thresholds alone are the rescoring's (against the stored scores' hash, kept here).
      const digest = figuresDigestOf(g[versionField] as number, scratch, { creditRating, keyAccount });
      const at = cols.push(
        id,
        scratch,
        config.churn.minGaps,
        prev ? (prev['digest'] as number) : 0,
        prev ? (prev['scoresDigest'] as number) : 0,
      );
      // The figures themselves only for the rows to write.
      if (prev === undefined || prev['digest'] !== digest)
        pending.push({
          id,
          g,
          figures: statsFromSummary(bought ? summaryFrom(bought) : null, input.asOf, settings),
          creditRating,
          keyAccount,
          exists: prev !== undefined,
          digest,
          at,
        });
    }
    // Changed rows of unchanged customers are written once, after the thresholds, with the scores under
    // them (the fields copied from the customer are unchanged, as the customer is), as far as the sweep has room.
    const kept = unchanged ? pending.slice(0, Math.max(0, input.room)) : [];
    const deferred = kept.map(
      (p): DeferredRow => ({
        at: p.at,
        id: p.id,
        figures: p.figures,
        creditRating: p.creditRating,
        keyAccount: p.keyAccount,
        digest: p.digest,
      }),
    );
    return {
      customers: customers.length,
      next: reads.upper,
      unchanged,
      cols,
      writes: pending.slice(kept.length),
      deferred,
      gone: existing.rest(),
      keyChanges,
    };
  }

  /**
   * One chunk of the stats pass that writes: its plan made and carried out in one unit of work, so
   * what it read is what it writes over. Every derived field is written, not only what changed: one
   * statement text per kind of write, prepared once. Category spend is the baskets part's and stays
   * as it is. Returns the plan, with the hashes of the written rows in its columns.
   */
  const statsChunk = kernel.unitOfWork<
    { input: ChunkInput; buffers: ChunkBuffers },
    { plan: ChunkPlan; written: number; removed: number }
  >({
    name: 'segments.rebuild-stats',
    permission: 'segments.rebuild',
    async run(ctx, { input, buffers }) {
      const { tx } = ctx;
      const plan = planChunk(await readChunk(tx, input), input, buffers);
      const { cols } = plan;
      for (const change of plan.keyChanges) await recordReassessment(ctx, change);
      const inserts: StatsRow[] = [];
      let written = 0;
      for (const p of plan.writes) {
        if (!plan.unchanged) {
          // Customers read with their fields (in a range where some came, went or changed): whole rows.
          const row = sealRow(
            composeRow(
              p.g as unknown as CustomerProjection,
              p.figures,
              { categories: {}, creditRating: p.creditRating, keyAccount: p.keyAccount },
              input.thresholds,
              config,
              input.asOf,
            ),
          );
          cols.digest[p.at] = row.digest;
          cols.scores[p.at] = row.scoresDigest;
          if (!p.exists) {
            inserts.push(row);
            continue;
          }
          await tx.update(customerStatsCollection, p.id, rebuiltFields(row));
        } else {
          const fields = deriveFields(
            p.figures,
            { creditRating: p.creditRating, keyAccount: p.keyAccount },
            input.thresholds,
            config,
            input.asOf,
          );
          fields.digest = cols.digest[p.at] = p.digest;
          fields.scoresDigest = cols.scores[p.at] = scoresDigestOf(fields);
          await tx.update(customerStatsCollection, p.id, fields);
        }
        written++;
      }
      if (inserts.length) await tx.insertMany(customerStatsCollection, inserts);
      for (const gone of plan.gone) await tx.delete(customerStatsCollection, gone);
      return { plan, written: written + inserts.length, removed: plan.gone.length };
    },
  });

  /**
   * One chunk of the stats pass. When the last one wrote nothing (as on most nights, where changed
   * rows wait for the sweep), the chunk is first read outside any transaction (`first`: its reads, sent
   * already): if it has nothing to write either, that is all, with no transaction to commit; else it
   * runs as a unit of work, which reads it again. Its customers' figures are appended to `cols`, its
   * rows left to the sweep to `deferred`, the customers whose rows it changed to `changed`. Returns null,
   * having changed nothing, when a page read first was longer than one unit of work may write
   * (`input.limit` beyond the run's chunk) and has rows to write: the caller runs it again as units of work.
   */
  async function runChunk(
    run: RebuildRun,
    input: ChunkInput,
    first: Promise<ChunkReads> | null,
    buffers: ChunkBuffers,
    cols: Columns,
    deferred: DeferredRow[],
    changed: ChangedCustomers,
  ) {
    let done: { plan: ChunkPlan; written: number; removed: number } | null = null;
    if (first !== null) {
      const reads = await first;
      const plan = planChunk(reads, input, buffers);
      if (!writesSomething(plan)) done = { plan, written: 0, removed: 0 };
      // A page read longer than a unit of work may be is written in units of work of their own length.
      else if (input.limit > run.chunk) return null;
    }
    done ??= await statsChunk({ input, buffers }, run.actor);
    const { plan } = done;
    const base = cols.append(plan.cols);
    for (const d of plan.deferred) deferred.push({ ...d, at: d.at + base });
    for (const d of plan.deferred) changed.add(d.id);
    for (const p of plan.writes) changed.add(p.id);
    for (const id of plan.gone) changed.add(id);
    return {
      customers: plan.customers,
      next: plan.next,
      written: done.written,
      removed: done.removed,
      wrote: writesSomething(plan),
    };
  }

  const saveThresholds = kernel.unitOfWork<ScoreThresholds, void>({
    name: 'segments.rebuild-thresholds',
    permission: 'segments.rebuild',
    async run(ctx, thresholds) {
      const prev = await ctx.tx.get(segmentStateCollection, THRESHOLDS_ID);
      const data = thresholds as unknown as JsonValue;
      if (prev) await ctx.tx.update(segmentStateCollection, THRESHOLDS_ID, { data, updatedAt: ctx.now });
      else await ctx.tx.insert(segmentStateCollection, { id: THRESHOLDS_ID, data, updatedAt: ctx.now });
    },
  });

  /**
   * The `stats` part: statistics rows from the purchases (after the thresholds, on a first build),
   * then the population's thresholds, then the rows whose scores moved with them. Adds to `result`.
   * Returns the per-customer columns, as the rows now are, unless cancelled (they live no longer than
   * the rebuild).
   */
  return async function statsPart(
    run: RebuildRun,
    result: RebuildResult,
    changed: ChangedCustomers,
  ): Promise<RebuiltColumns | null> {
    const { asOf, chunk } = run;
    const total = await kernel.store.count(customersCollection, ACTIVE_BUYERS);
    if (result.thresholds === null && total > 0) {
      // A first build: without thresholds every row would be written twice (figures, then scores).
      const first = await firstThresholds(
        kernel,
        config,
        asOf,
        total,
        chunk,
        (d) => run.report('thresholds', d, total),
        run.cancelled,
      );
      if (first === null) result.cancelled = true;
      else result.thresholds = first;
    }
    const holders = await AccountHolders.read(kernel.store);
    const cols = new Columns(total, true);
    // Pages read outside any transaction may be longer than a unit of work: fewer, larger statements.
    const server = kernel.store.capabilities.server === true;
    const readPage = server ? Math.max(chunk, Math.min(CHUNKS_PER_READ_PAGE * chunk, MAX_READ_PAGE)) : chunk;
    const buffers: ChunkBuffers = { cols: new Columns(readPage, true), scratch: new FigureScratch() };
    const deferred: DeferredRow[] = [];
    let after: string | null = null;
    let done = 0;
    let readFirst = true;
    const readOutside = (from: string | null, ends: (upper: string | null) => void) =>
      readChunk(kernel.store, { after: from, limit: readPage, asOf, holders }, ends);
    // On a server, the next pages' reads run there while this chunk is worked out here (an embedded
    // database would only read sooner), as long as chunks write nothing: a chunk that writes reads
    // again in its unit of work.
    const ahead = new ReadAhead(readOutside, server ? READ_AHEAD_PAGES : 0);
    for (;;) {
      if (run.cancelled() || result.cancelled) {
        result.cancelled = true;
        break;
      }
      if (!readFirst) ahead.stop();
      const first = readFirst ? ahead.next(after) : null;
      // A chunk that fails fails the rebuild; what earlier chunks wrote stays.
      const r = await runChunk(
        run,
        {
          after,
          limit: first !== null ? readPage : chunk,
          asOf,
          thresholds: result.thresholds,
          room: MAX_DEFERRED - deferred.length,
          holders,
        },
        first,
        buffers,
        cols,
        deferred,
        changed,
      );
      // null: the page read first has rows to write; the same customers again, as units of work.
      readFirst = r !== null && !r.wrote;
      if (r === null) continue;
      result.written += r.written;
      result.removed += r.removed;
      done += r.customers;
      after = r.next;
      run.report('stats', done, total);
      if (after === null) break;
      await yieldToHost();
    }
    result.customers = cols.length;
    if (result.cancelled) return null;
    const t = thresholdsFrom(cols, config, asOf, result.thresholds);
    await saveThresholds(t, run.actor);
    result.thresholds = t;
    // One sweep in key order writes the deferred rows and the rows whose scores moved with the thresholds.
    const written = await sweep(run, cols, deferred, t, changed);
    if (written === null) {
      result.cancelled = true;
      return null;
    }
    result.written += written;
    return { cols, thresholds: t };
  };
}
