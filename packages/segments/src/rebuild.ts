/**
 * The rebuild: statistics, scores, classes and memberships recomputed from the purchase records in
 * one pass over the customers in key order, in bounded chunks (one unit of work each, the host's
 * event loop free between them), with progress and cancellation. The passes live apart: the stats
 * pass (`rebuild-stats.ts`), the population's thresholds (`rebuild-thresholds.ts`), the rescoring
 * sweep (`rebuild-rescore.ts`), the baskets part (`baskets.ts`) and the membership pass
 * (`rebuild-membership.ts`). Memory holds a few numbers per customer in typed arrays, never the
 * purchases.
 */
import * as z from 'zod';
import { actorSchema, idempotencyKeySchema, parseInput, type CommandOptions } from '@clientele/core/module';
import { customerStatsCollection } from './collections.js';
import { createBasketRefresh } from './baskets.js';
import { createMembershipPass, loadMembershipRecord } from './rebuild-membership.js';
import {
  ChangedCustomers,
  Held,
  REBUILD_PARTS,
  yieldToHost,
  type RebuildProgress,
  type RebuildResult,
  type RebuildRun,
} from './rebuild-run.js';
import { createStatsPass } from './rebuild-stats.js';
import { loadThresholds } from './stats-store.js';
import type { SegmentsRuntime } from './runtime.js';

export { REBUILD_PARTS, type RebuildPart, type RebuildProgress, type RebuildResult } from './rebuild-run.js';

/** Input of `crm.segments.rebuild`. */
export const rebuildSchema = z
  .object({
    /** Parts to run, in this order: stats, baskets, membership (default all). */
    parts: z.array(z.enum(REBUILD_PARTS)).min(1).optional(),
    /** Customers per chunk (default from the config). */
    chunkSize: z.number().int().min(10).max(10_000).optional(),
    /** Called after every chunk (or page of chunks read with nothing to write). */
    onProgress: z.custom<(p: RebuildProgress) => void>((v) => typeof v === 'function').optional(),
    /** Stops the rebuild between chunks (or pages); what was done stays done. */
    signal: z.custom<AbortSignal>((v) => typeof v === 'object' && v !== null && 'aborted' in v).optional(),
  })
  .strict();
/** Input of `crm.segments.rebuild`. */
export type RebuildInput = z.input<typeof rebuildSchema>;

const rebuildOptionsSchema = z.object({ actor: actorSchema, idempotencyKey: idempotencyKeySchema.optional() });

/** Builds the rebuild of a module instance; its steps are registered once, here. */
export function createRebuild(runtime: SegmentsRuntime) {
  const { kernel, config } = runtime;
  const statsPart = createStatsPass(runtime);
  const refreshBaskets = createBasketRefresh(runtime);
  const membership = createMembershipPass(runtime);

  const finish = kernel.unitOfWork<Omit<RebuildResult, 'thresholds'>, void>({
    name: 'segments.rebuild-finish',
    permission: 'segments.rebuild',
    async run(ctx, r) {
      ctx.audit(
        { type: 'segments', id: 'rebuild' },
        {
          customers: r.customers,
          written: r.written,
          removed: r.removed,
          joined: r.joined,
          left: r.left,
          cancelled: r.cancelled,
        },
      );
      await ctx.emit('segments.rebuilt', {
        customers: r.customers,
        joined: r.joined,
        left: r.left,
        parts: r.parts,
        cancelled: r.cancelled,
      });
    },
  });

  /** Runs a rebuild (see {@link rebuildSchema}). */
  return async function rebuild(input: RebuildInput, rawOptions: CommandOptions): Promise<RebuildResult> {
    const parsed = parseInput(rebuildSchema, input ?? {});
    // Every step is a unit of work of its own, run chunk after chunk, as the actor resolved once here;
    // an idempotency key given for the whole rebuild is accepted and has nothing to guard.
    const options = parseInput(rebuildOptionsSchema, rawOptions, ['options']);
    const parts = REBUILD_PARTS.filter((p) => (parsed.parts ?? REBUILD_PARTS).includes(p));
    const run: RebuildRun = {
      asOf: kernel.clock.now(),
      chunk: parsed.chunkSize ?? config.chunkSize,
      actor: await kernel.resolveActor(options.actor),
      report: (part, done, total) => parsed.onProgress?.({ part, done, total }),
      cancelled: () => parsed.signal?.aborted === true,
    };
    const result: RebuildResult = {
      parts,
      customers: 0,
      written: 0,
      removed: 0,
      joined: 0,
      left: 0,
      pairs: 0,
      thresholds: await loadThresholds(kernel.store),
      cancelled: false,
    };
    // The last complete membership pass, withdrawn until this rebuild completes one: rows written now
    // (or by a rebuild that stops half-way) are reconciled only by a membership pass that knows of them.
    const prior = await loadMembershipRecord(kernel.store);
    if (prior !== null && (parts.includes('stats') || parts.includes('membership')))
      await membership.withdrawRecord(run);
    const changed = new ChangedCustomers();

    const columns = new Held(
      parts.includes('stats') && !result.cancelled ? await statsPart(run, result, changed) : null,
    );
    // The columns serve an incremental membership pass only: without one in view, they go now.
    if (!parts.includes('membership') || prior === null || changed.overflow) columns.take();
    if (parts.includes('baskets') && !result.cancelled) {
      const r = await refreshBaskets({
        chunk: run.chunk,
        asOf: run.asOf,
        actor: run.actor,
        progress: (d, t) => run.report('baskets', d, t),
        cancelled: run.cancelled,
        yieldToHost,
      });
      result.pairs = r.pairs;
      result.written += r.written;
      result.cancelled = r.cancelled;
    }
    if (parts.includes('membership') && !result.cancelled) {
      const r = await membership.membershipPass(run, prior, changed, columns);
      result.joined = r.joined;
      result.left = r.left;
      result.cancelled = r.cancelled;
    }
    if (!parts.includes('stats')) result.customers = await kernel.store.count(customerStatsCollection);
    const { thresholds: _t, ...summary } = result;
    await finish(summary, run.actor);
    return result;
  };
}
