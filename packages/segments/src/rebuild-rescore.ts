/**
 * The rescoring of a rebuild, after the population's thresholds: one sweep over the customers in key
 * order writes the rows the stats pass held back (changed figures of unchanged customers, written
 * once with their final scores) and the rows whose scores alone moved with the thresholds.
 */
import type { PatchOf } from '@clientele/core/module';
import { customerStatsCollection, type StatsRow } from './collections.js';
import type { ResolvedSegmentsConfig } from './config.js';
import { overdueTime, type PurchaseFigures } from './customer-stats.js';
import type { Columns } from './rebuild-columns.js';
import { yieldToHost, type ChangedCustomers, type RebuildRun } from './rebuild-run.js';
import { populationHours } from './rebuild-thresholds.js';
import { quintileScore, rfmGroupOf, valueClassOf, volumeClassOf, type ScoreThresholds } from './scores.js';
import { deriveFields, scoresDigestOf } from './stats-store.js';
import type { SegmentsRuntime } from './runtime.js';
import { UnitPipeline, unitsAtOnce } from './unit-pipeline.js';

/**
 * Changed rows of unchanged customers held back by the stats pass (at most this many), to be written
 * once after the thresholds, with their final scores, in the same sweep as the rows whose scores alone
 * moved: a nightly rebuild then writes each row once, in key order.
 */
export const MAX_DEFERRED = 50_000;

/** A row the stats pass held back: the customer's place in the columns, and what the row derives from. */
export interface DeferredRow {
  at: number;
  id: string;
  figures: PurchaseFigures;
  creditRating: string | null;
  keyAccount: boolean;
  /** The new figures' hash. */
  digest: number;
}

/** A write of the sweep (a `consumeMany` write): applied only if the row's hashes are still `when`. */
interface SweepWrite {
  key: string;
  when: { digest: number; scoresDigest: number };
  set: PatchOf<typeof customerStatsCollection>;
}

/** The scored fields of a customer who never bought, but for the group. */
const UNSCORED = {
  rScore: null,
  fScore: null,
  mScore: null,
  valueClass: null,
  volumeClass: null,
  churnBasis: null,
  churnThresholdHours: null,
} as const;

/** Value classes as small numbers, for the key of a combination of scores. */
const VALUE_CLASS_CODES = { A: 0, B: 1, C: 2 } as const;

/**
 * Scores of customers from the columns under new thresholds: for the customer at `i`, a patch of
 * every threshold-dependent field when their hash differs from the stored one (one statement text
 * per shape), else null. Few combinations of scores exist (RFM scores, value and volume classes, own
 * or population churn), so the hash of each is computed once.
 */
export function rescorer(
  t: ScoreThresholds,
  config: ResolvedSegmentsConfig,
): (cols: Columns, i: number) => Partial<StatsRow> | null {
  const hours = populationHours(t, config);
  const hashes = new Map<number, number>();
  const prospects = config.rfm.prospectsGroup;
  const prospectsDigest = scoresDigestOf({ ...UNSCORED, rfmGroup: prospects });
  return (cols, i) => {
    const last = cols.last[i]!;
    // A customer who never bought is a prospect under any thresholds (rows from before the group get it here).
    if (Number.isNaN(last))
      return cols.scores[i] === prospectsDigest ? null : { rfmGroup: prospects, scoresDigest: prospectsDigest };
    if (!t.r || !t.f || !t.m) return null;
    const r = quintileScore(last, t.r);
    const f = quintileScore(cols.fv[i]!, t.f);
    const m = quintileScore(cols.mv[i]!, t.m);
    const own = cols.own[i] === 1;
    const valueClass = valueClassOf(cols.mv[i]!, t.value);
    const volumeClass = volumeClassOf(cols.mv[i]!, t.largeMin);
    const basis = own ? 'own' : hours === null ? null : 'population';
    const key =
      (((r * 8 + f) * 8 + m) * 4 + VALUE_CLASS_CODES[valueClass]) * 4 +
      (volumeClass === 'large' ? 2 : 0) +
      (own ? 1 : 0);
    let rfmGroup: string | null | undefined;
    let digest = hashes.get(key);
    if (digest === undefined) {
      rfmGroup = rfmGroupOf({ r, f, m }, config.rfm.groups);
      digest = scoresDigestOf({
        rScore: r,
        fScore: f,
        mScore: m,
        rfmGroup,
        valueClass,
        volumeClass,
        churnBasis: basis,
        churnThresholdHours: own ? null : hours,
      });
      hashes.set(key, digest);
    }
    if (digest === cols.scores[i]) return null;
    rfmGroup ??= rfmGroupOf({ r, f, m }, config.rfm.groups);
    const patch: Partial<StatsRow> = {
      rScore: r,
      fScore: f,
      mScore: m,
      rfmGroup,
      valueClass,
      volumeClass,
      scoresDigest: digest,
    };
    if (!own)
      Object.assign(patch, {
        churnThresholdHours: hours,
        churnBasis: basis,
        overdueAt: hours === null ? null : new Date(overdueTime(last, hours)),
      });
    return patch;
  };
}

/** Builds the rescoring sweep of a module instance (its write step is registered once, with the module). */
export function createRescoreSweep(runtime: SegmentsRuntime) {
  const { kernel, config } = runtime;
  /**
   * Writes of the sweep, each applied only if the row is still as the stats pass left it (its two
   * hashes): a row a sale rewrote meanwhile is newer, and a row removed stays removed. Returns how
   * many were applied.
   */
  const writeChunk = kernel.unitOfWork<SweepWrite[], number>({
    name: 'segments.rebuild-scores',
    permission: 'segments.rebuild',
    // A few statements where the store can (PostgreSQL: one per kind of write), else one per row.
    run: async (ctx, writes) => (await ctx.tx.consumeMany(customerStatsCollection, writes)).length,
  });

  /**
   * The sweep under thresholds `t` over the columns of a stats pass (whose `deferred` rows are in
   * column order). Rows whose scores moved are added to `changed`. Returns the rows written, or null
   * when cancelled.
   */
  return async function sweep(
    run: RebuildRun,
    cols: Columns,
    deferred: readonly DeferredRow[],
    t: ScoreThresholds,
    changed: ChangedCustomers,
  ): Promise<number | null> {
    const rescore = rescorer(t, config);
    let written = 0;
    // Chunks are disjoint customers: on a server the next chunk's writes go while the last one commits.
    const units = new UnitPipeline<number>(unitsAtOnce(kernel.store), (n) => (written += n));
    let writes: SweepWrite[] = [];
    let next = 0;
    const stored = (i: number) => ({ digest: cols.digest[i]!, scoresDigest: cols.scores[i]! });
    for (let i = 0; i < cols.length; i++) {
      if (next < deferred.length && deferred[next]!.at === i) {
        const d = deferred[next++]!;
        const set = deriveFields(
          d.figures,
          { creditRating: d.creditRating, keyAccount: d.keyAccount },
          t,
          config,
          run.asOf,
        );
        set.digest = d.digest;
        set.scoresDigest = scoresDigestOf(set);
        writes.push({ key: d.id, when: stored(i), set });
      } else {
        const p = rescore(cols, i);
        if (p) {
          p.updatedAt = run.asOf;
          const id = cols.ids!.at(i);
          writes.push({ key: id, when: stored(i), set: p });
          changed.add(id);
        }
      }
      if (writes.length >= run.chunk || (i === cols.length - 1 && writes.length)) {
        if (run.cancelled()) {
          await units.drain();
          return null;
        }
        const chunk = writes;
        writes = [];
        await units.send(() => writeChunk(chunk, run.actor));
        run.report('scores', i + 1, cols.length);
        await yieldToHost();
      }
    }
    await units.drain();
    return written;
  };
}
