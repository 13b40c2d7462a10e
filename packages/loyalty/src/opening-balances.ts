/**
 * Opening points balances from the system a retailer leaves: each row one lot of points with the date
 * it was earned and when it expires, credited to the ledger as an `opening` entry, a batch of rows in
 * one transaction, each row once by its old-system id.
 */
import {
  IMPORT_PERMISSION,
  codeSchema,
  dateSchema,
  idSchema,
  importBatchSchema,
  importKey,
  importKeysCollection,
  importedKeys,
  instantSchema,
  newRows,
  parseRows,
  rejectImportRow,
  type CommandOptions,
  type ImportBatch,
  type ImportRejection,
  type ImportResult,
  type ParsedImportRow,
  type QueryOptions,
  type StoreSession,
} from '@clientele/core/module';
import * as z from 'zod';
import { expiryOf, type Expiry } from './expiry.js';
import { batchKeys, importCheck, memberResolver } from './import-members.js';
import { endOfLocalDate } from './local-time.js';
import { storeTimeZone } from './member-context.js';
import { valueOfPoints } from './points-math.js';
import type { LoyaltyRuntime } from './runtime.js';
import type { StoredValueImportsApi } from './stored-value-import.js';

/** One lot of an opening balance. */
export const pointsImportRowSchema = z
  .object({
    /** The lot's id in the old system: the row's idempotency key. */
    sourceId: idSchema,
    /** The member's id in the old system, imported before as a customer (or give `customerId`). */
    customerSourceId: idSchema.optional(),
    customerId: idSchema.optional(),
    points: z.number().int().positive().max(1_000_000_000),
    /** When the points were earned: they are spent oldest first, and expire by it. */
    earnedAt: instantSchema,
    /** The last local day they can be used (default: by the program's expiry policy from `earnedAt`). */
    lastDay: dateSchema.nullish(),
    /** The store whose liability they are (default: chain-wide). */
    storeId: codeSchema.optional(),
  })
  .strict()
  .refine((r) => (r.customerSourceId === undefined) !== (r.customerId === undefined), {
    message: 'give the member as customerSourceId or customerId, one of them',
    path: ['customerSourceId'],
    params: { code: 'one_of' },
  });
/** One row of `crm.loyalty.imports.points`. */
export type PointsImportRow = z.input<typeof pointsImportRowSchema>;

/** `crm.loyalty.imports`: opening balances from the old system (points, and stored value). */
export interface LoyaltyImportsApi extends StoredValueImportsApi {
  /**
   * Opening points balances, a lot per row: credited as `opening` ledger entries (no event, no timeline
   * entry), each lot keeping its earn date and expiry. Refuses a row whose member was not imported or
   * whose points have already expired. Needs `data.import` and authority under the `import` limit for
   * the points' money value (a system actor has no limit).
   */
  points(batch: ImportBatch<PointsImportRow>, options: CommandOptions): Promise<ImportResult>;
  /** What `points` would do with the batch; writes nothing. */
  checkPoints(batch: ImportBatch<PointsImportRow>, options: QueryOptions): Promise<ImportResult>;
}

type Row = z.output<typeof pointsImportRowSchema>;

interface Planned {
  p: ParsedImportRow<Row>;
  customerId: string;
  expiry: Expiry | null;
}

/** Builds the opening-balance import. */
export function createOpeningBalances(runtime: LoyaltyRuntime): Omit<LoyaltyImportsApi, keyof StoredValueImportsApi> {
  const { kernel, ledger } = runtime;
  const cfg = runtime.program.config;

  async function plan(session: StoreSession, rows: readonly unknown[], now: Date) {
    const rejected: ImportRejection[] = [];
    const parsed = parseRows(pointsImportRowSchema, rows, rejected);
    const known = await importedKeys(session, batchKeys(parsed, 'points'));
    const { fresh, skipped } = newRows(parsed, 'points', known, rejected);
    const memberOf = await memberResolver(session, fresh, known);
    const zones = new Map<string, string | null>();
    const good: Planned[] = [];
    for (const p of fresh) {
      const customerId = memberOf(p.row);
      const before = rejected.length;
      if (!customerId) {
        const path = p.row.customerSourceId ? 'customerSourceId' : 'customerId';
        rejectImportRow(
          rejected,
          p,
          [path],
          'not_found',
          `member not found: ${p.row.customerSourceId ?? p.row.customerId}`,
        );
      }
      let zone = cfg.timeZone;
      if (p.row.storeId) {
        if (!zones.has(p.row.storeId))
          zones.set(p.row.storeId, await storeTimeZone(session, p.row.storeId).catch(() => null));
        const z = zones.get(p.row.storeId);
        if (z) zone = z;
        else rejectImportRow(rejected, p, ['storeId'], 'not_found', `store not found: ${p.row.storeId}`);
      }
      const expiry =
        p.row.lastDay === undefined
          ? expiryOf(cfg.expiry, p.row.earnedAt, zone)
          : p.row.lastDay === null
            ? null
            : { lastDay: p.row.lastDay, expiresAt: endOfLocalDate(p.row.lastDay, zone) };
      if (expiry && expiry.expiresAt <= now)
        rejectImportRow(rejected, p, ['lastDay'], 'expired', `the points expired after ${expiry.lastDay}`);
      if (rejected.length === before && customerId) good.push({ p, customerId, expiry });
    }
    rejected.sort((a, b) => a.index - b.index);
    return { good, result: { imported: good.length, skipped, rejected } };
  }

  const points = kernel.command({
    name: 'loyalty.import-points',
    input: importBatchSchema,
    permission: IMPORT_PERMISSION,
    idempotency: 'optional',
    moves: { gives: ['points'], limits: ['import'], measure: 'the money value of the points imported' },
    async run(ctx, input): Promise<ImportResult> {
      const { good, result } = await plan(ctx.tx, input.rows, ctx.now);
      const total = good.reduce((s, g) => s + g.p.row.points, 0);
      await ctx.requireAuthority('import', valueOfPoints(total, cfg.pointValue));
      const keys = [];
      for (const { p, customerId, expiry } of good) {
        const { entry } = await ledger.credit(ctx, {
          customerId,
          kind: 'opening',
          storeId: p.row.storeId ?? null,
          ref: { type: 'import', id: p.row.sourceId },
          reason: 'opening balance',
          details: { earnedAt: p.row.earnedAt.toISOString() },
          points: p.row.points,
          expiry,
          earnedAt: p.row.earnedAt,
        });
        keys.push({
          id: importKey('points', p.row.sourceId),
          kind: 'points',
          sourceId: p.row.sourceId,
          targetId: entry.id,
          customerId,
          importedAt: ctx.now,
        });
      }
      if (keys.length) await ctx.tx.insertMany(importKeysCollection, keys);
      ctx.audit(
        { type: 'import', id: 'points' },
        { imported: result.imported, skipped: result.skipped, points: total },
      );
      return result;
    },
  });

  return {
    points: points as unknown as LoyaltyImportsApi['points'],
    checkPoints: importCheck<PointsImportRow>(kernel, 'loyalty.imports.checkPoints', plan),
  };
}
