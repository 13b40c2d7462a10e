/**
 * Points given or taken by people: manual adjustments, goodwill (service recovery, called by the
 * complaints module), and direct redemptions. Each needs a permission; adjustments and goodwill also
 * need monetary authority for the points' value (goodwill: the `goodwill-points` limit, or
 * `compensation` when the role sets none), and every one is audited.
 */
import { codeSchema, idSchema, shortTextSchema } from '@clientele/core/module';
import * as z from 'zod';
import { expiryOf } from './expiry.js';
import { GOODWILL_LIMITS } from './grant-authority.js';
import { activeMember, storeTimeZone } from './member-context.js';
import { valueOfPoints } from './points-math.js';
import type { LoyaltyRuntime } from './runtime.js';
import type { LoyaltyContext } from './context.js';

const points = z.number().int('points are whole').max(1_000_000_000).min(-1_000_000_000);
const refSchema = z.object({ type: codeSchema, id: idSchema }).strict();

/** Input of `adjust`. */
export const adjustSchema = z
  .object({
    customerId: idSchema,
    /** Points to add (positive) or take (negative). */
    points: points.refine((p) => p !== 0, 'an adjustment moves at least one point'),
    /** Why: required, kept with the entry and audited. */
    reason: shortTextSchema,
    storeId: codeSchema.optional(),
    /** A member of staff whose authority covers the value when the actor's does not. */
    approvedBy: codeSchema.optional(),
  })
  .strict();

/** Input of `grantGoodwill`. */
export const grantGoodwillSchema = z
  .object({
    customerId: idSchema,
    points: points.positive('goodwill grants are positive'),
    reason: shortTextSchema,
    /** What it is for, e.g. `{ type: 'case', id }` from the complaints module. */
    ref: refSchema.optional(),
    storeId: codeSchema.optional(),
    approvedBy: codeSchema.optional(),
  })
  .strict();

/** Input of `redeem`. */
export const redeemSchema = z
  .object({
    customerId: idSchema,
    points: points.positive('redemptions are positive'),
    /** What the points paid for. */
    ref: refSchema,
    storeId: codeSchema.optional(),
    reason: shortTextSchema.optional(),
  })
  .strict();

/** Input of `loyalty.adjust`. */
export type AdjustInput = z.input<typeof adjustSchema>;
/** Input of `loyalty.grantGoodwill`. */
export type GrantGoodwillInput = z.input<typeof grantGoodwillSchema>;
/** Input of `loyalty.redeem`. */
export type RedeemInput = z.input<typeof redeemSchema>;

/** What a grant, an adjustment or a redemption returns. */
export interface PointsResult {
  /** The ledger entry. */
  entryId: string;
  points: number;
  /** Available balance after it. */
  balance: number;
}

/** What `loyalty.redeem` returns: the entry, and the points' money value. */
export interface RedemptionResult extends PointsResult {
  /** The money value of the points redeemed, minor units. */
  value: number;
}

/** Builds the adjustment service. */
export function createAdjustments(runtime: LoyaltyRuntime) {
  const { kernel, ledger } = runtime;
  const cfg = runtime.program.config;

  async function where(ctx: LoyaltyContext, customerId: string, storeId: string | undefined) {
    const member = await activeMember(ctx.tx, customerId);
    const store = storeId ?? null;
    const timeZone = store ? await storeTimeZone(ctx.tx, store) : cfg.timeZone;
    return { member, store, timeZone };
  }

  const adjust = kernel.command({
    name: 'loyalty.adjust',
    input: adjustSchema,
    permission: 'loyalty.adjust',
    idempotency: 'required',
    moves: {
      gives: ['points'],
      limits: ['points-adjustment'],
      measure: 'the money value of the points added or taken',
    },
    async run(ctx, input): Promise<PointsResult> {
      const { member, store, timeZone } = await where(ctx, input.customerId, input.storeId);
      const { approvedBy } = await ctx.requireAuthority(
        'points-adjustment',
        valueOfPoints(Math.abs(input.points), cfg.pointValue),
        input.approvedBy,
      );
      const posting = {
        customerId: member.id,
        kind: 'adjustment' as const,
        storeId: store,
        reason: input.reason,
        details: approvedBy ? { approvedBy } : {},
      };
      const entry =
        input.points > 0
          ? (
              await ledger.credit(ctx, {
                ...posting,
                points: input.points,
                expiry: expiryOf(cfg.expiry, ctx.now, timeZone),
              })
            ).entry
          : (await ledger.debit(ctx, { ...posting, points: -input.points, mode: 'guarded' })).entry!;
      ctx.audit(
        { type: 'points-entry', id: entry.id, customerId: member.id },
        { points: input.points, ...(approvedBy ? { approvedBy } : {}) },
      );
      await ctx.addTimeline({
        customerId: member.id,
        source: 'loyalty',
        kind: 'points-adjusted',
        facts: { points: input.points },
        storeId: store,
        ref: { type: 'points-entry', id: entry.id },
      });
      await ctx.emit(
        'points.adjusted',
        { customerId: member.id, entryId: entry.id, points: input.points },
        { customerId: member.id },
      );
      return { entryId: entry.id, points: input.points, balance: entry.balanceAfter };
    },
  });

  const grantGoodwill = kernel.command({
    name: 'loyalty.grant-goodwill',
    input: grantGoodwillSchema,
    permission: 'loyalty.goodwill',
    idempotency: 'required',
    moves: { gives: ['points'], limits: GOODWILL_LIMITS, measure: 'the money value of the points granted' },
    async run(ctx, input): Promise<PointsResult> {
      const { member, store, timeZone } = await where(ctx, input.customerId, input.storeId);
      const { approvedBy } = await ctx.requireAuthority(
        GOODWILL_LIMITS,
        valueOfPoints(input.points, cfg.pointValue),
        input.approvedBy,
      );
      const ref = input.ref ?? null;
      const { entry } = await ledger.credit(ctx, {
        customerId: member.id,
        kind: 'goodwill',
        points: input.points,
        storeId: store,
        ref,
        reason: input.reason,
        expiry: expiryOf(cfg.expiry, ctx.now, timeZone),
        details: approvedBy ? { approvedBy } : {},
      });
      ctx.audit(
        { type: 'points-entry', id: entry.id, customerId: member.id },
        {
          points: input.points,
          ...(ref ? { refType: ref.type, refId: ref.id } : {}),
          ...(approvedBy ? { approvedBy } : {}),
        },
      );
      await ctx.addTimeline({
        customerId: member.id,
        source: 'loyalty',
        kind: 'points-goodwill',
        facts: { points: input.points },
        storeId: store,
        ref,
      });
      await ctx.emit(
        'points.goodwill-granted',
        { customerId: member.id, entryId: entry.id, points: input.points, ref },
        { customerId: member.id },
      );
      return { entryId: entry.id, points: input.points, balance: entry.balanceAfter };
    },
  });

  const redeem = kernel.command({
    name: 'loyalty.redeem',
    input: redeemSchema,
    permission: 'loyalty.redeem',
    idempotency: 'required',
    async run(ctx, input): Promise<PointsResult & { value: number }> {
      const { member, store } = await where(ctx, input.customerId, input.storeId);
      const { entry } = await ledger.debit(ctx, {
        customerId: member.id,
        kind: 'redeem',
        points: input.points,
        mode: 'guarded',
        storeId: store,
        ref: input.ref,
        reason: input.reason ?? null,
      });
      const value = valueOfPoints(input.points, cfg.pointValue);
      ctx.audit(
        { type: 'points-entry', id: entry!.id, customerId: member.id },
        { points: input.points, refType: input.ref.type, refId: input.ref.id },
      );
      await ctx.emit(
        'points.redeemed',
        { customerId: member.id, entryId: entry!.id, points: input.points, value, ref: input.ref },
        { customerId: member.id },
      );
      return { entryId: entry!.id, points: input.points, value, balance: entry!.balanceAfter };
    },
  });

  return { adjust, grantGoodwill, redeem };
}
