/**
 * Product rewards at the till: a member claims free goods with points (the claim reserves the points,
 * like a hold, and is checked against the basket), the sale pays with the claim, and units of a
 * redeemed claim are given back when the goods it rests on come back (`reward-checkout.ts`) or by a
 * member of staff with `refund` authority (`rewards.reverse`). Claims past their time are released by
 * `runDue`.
 */
import {
  InvalidStateError,
  NotFoundError,
  codeSchema,
  idSchema,
  invalid,
  mustGet,
  refundFor,
  shortTextSchema,
  type CommandOptions,
  type JsonValue,
  type RowOf,
} from '@clientele/core/module';
import { addMinutes } from 'date-fns';
import * as z from 'zod';
import { basketSchema, priceBasket } from './basket.js';
import { entriesCollection, lotsCollection, rewardClaimsCollection } from './collections.js';
import type { LoyaltyContext } from './context.js';
import { activeMember, storeTimeZone } from './member-context.js';
import type { Expiry } from './expiry.js';
import {
  checkReward,
  compileRewards,
  rewardCost,
  rewardRefusalText,
  type CompiledReward,
  type RewardCheck,
  type RewardConfig,
} from './rewards.js';
import type { LoyaltyRuntime } from './runtime.js';
import type { CompiledProgram } from './compiled-program.js';

/** A claim as stored. */
export type RewardClaim = RowOf<typeof rewardClaimsCollection>;

/** Input of `rewards.claim`. */
export const claimRewardSchema = z
  .object({
    customerId: idSchema,
    /** A reward the program declares. */
    rewardId: codeSchema,
    /** Units claimed free. */
    units: z.number().int('units are whole').min(1).max(1000),
    storeId: codeSchema,
    terminalId: codeSchema,
    /** The basket as scanned: the claim is checked against it (and again against the sale). */
    basket: basketSchema,
    /** Minutes the claim holds its points (default and maximum: the program's `redemption.holdMinutes`). */
    minutes: z
      .number()
      .int()
      .positive()
      .max(24 * 60)
      .optional(),
  })
  .strict();
/** Input of `rewards.claim`. */
export type ClaimRewardInput = z.input<typeof claimRewardSchema>;

const cancelClaimSchema = z.object({ claimId: idSchema }).strict();
/** Input of `rewards.cancelClaim`. */
export type CancelRewardClaimInput = z.input<typeof cancelClaimSchema>;

const reverseSchema = z
  .object({
    claimId: idSchema,
    /** Units to give back (default: every unit not given back yet). */
    units: z.number().int('units are whole').min(1).max(1000).optional(),
    reason: shortTextSchema,
    /** A member of staff whose refund authority covers the goods' value when the actor's does not. */
    approvedBy: codeSchema.optional(),
  })
  .strict();
/** Input of `rewards.reverse`. */
export type ReverseRewardInput = z.input<typeof reverseSchema>;

/** What giving back units of a claim did. */
export interface RewardReversal {
  claim: RewardClaim;
  /** Units given back now. */
  units: number;
  /** Points that came back (a part set brings none). */
  points: number;
  /** What the units given back are worth (minor units). */
  value: number;
}

/**
 * `crm.loyalty.rewards`: product rewards claimed with points. `claim` checks a basket and reserves
 * the points until a sale pays with the claim (method `reward`, reference the claim id);
 * `cancelClaim` releases them; `reverse` gives back units of a redeemed claim outside a return.
 */
export interface RewardsApi {
  /** Claims units of a reward for a basket and reserves their points; refused when the basket does not carry it. */
  claim(input: ClaimRewardInput, options: CommandOptions): Promise<RewardClaim>;
  /** Releases a claim's points without a sale. */
  cancelClaim(input: CancelRewardClaimInput, options: CommandOptions): Promise<RewardClaim>;
  /**
   * Gives back units of a redeemed claim and their points outside a return (the free goods were not
   * handed over, say): needs `loyalty.rewards.reverse` and `refund` authority for the goods' value.
   */
  reverse(input: ReverseRewardInput, options: CommandOptions): Promise<RewardReversal>;
}

/** A claim's reward by the terms it was claimed under (the program may have changed since). */
export function rewardOfClaim(program: CompiledProgram, claim: Pick<RewardClaim, 'terms'>): CompiledReward {
  const terms = claim.terms as unknown as RewardConfig;
  return compileRewards([terms], program.registry, { money: program.money }).get(terms.id)!;
}

/**
 * What giving back `units` more of a claim brings back: the points of the sets no longer claimed (a
 * part set brings none) and the value of the units (in proportion, so every way of giving back all
 * units adds up to the claim's value).
 */
export function reversalOf(
  reward: CompiledReward,
  claim: Pick<RewardClaim, 'units' | 'reversedUnits' | 'value'>,
  units: number,
): { points: number; value: number } {
  const current = claim.units - claim.reversedUnits;
  return {
    points: rewardCost(reward, current) - rewardCost(reward, current - units),
    value: refundFor(claim.value, claim.units, claim.reversedUnits, units),
  };
}

/** The refusal of a claim the basket does not carry: `VALIDATION_FAILED`, `details.reason` naming why. */
function claimRefusal(reward: CompiledReward, check: RewardCheck, path: ReadonlyArray<string | number>) {
  const e = invalid(path, check.refusal!, rewardRefusalText(reward, check));
  Object.assign(e.details as Record<string, unknown>, {
    reason: check.refusal,
    available: check.available,
    bought: check.bought,
    needed: check.needed,
  });
  return e;
}

/** Builds the reward service. */
export function createRewardService(runtime: LoyaltyRuntime) {
  const { kernel, ledger, program } = runtime;
  const cfg = program.config;

  /** A claim's reward by the terms it was claimed under. */
  const rewardOf = (claim: RewardClaim): CompiledReward => rewardOfClaim(program, claim);

  /** The expiry of points given back: the latest of the lots the claim's points came from (or never). */
  async function restoreExpiry(ctx: LoyaltyContext, claim: RewardClaim): Promise<Expiry | null> {
    const entry = claim.entryId ? await ctx.tx.get(entriesCollection, claim.entryId) : undefined;
    let latest: Expiry | null = null;
    for (const t of (entry?.details as { lots?: Array<{ lotId: string }> } | undefined)?.lots ?? []) {
      const lot = await ctx.tx.get(lotsCollection, t.lotId);
      if (!lot) continue;
      if (lot.expiresAt === null) return null;
      if (!latest || latest.expiresAt.getTime() < lot.expiresAt.getTime())
        latest = { lastDay: lot.lastDay!, expiresAt: lot.expiresAt };
    }
    return latest;
  }

  /**
   * Gives back `units` of a redeemed claim: the points of the sets no longer claimed come back (a
   * `restore` entry), and the claim counts the units. Returns what came back.
   */
  async function giveBack(
    ctx: LoyaltyContext,
    claim: RewardClaim,
    units: number,
    returnId: string | null,
  ): Promise<RewardReversal> {
    const { points, value } = reversalOf(rewardOf(claim), claim, units);
    const ref = returnId ? { type: 'return', id: returnId } : { type: 'reward-claim', id: claim.id };
    let entryId: string | null = null;
    if (points > 0) {
      const { entry } = await ledger.credit(ctx, {
        customerId: claim.customerId,
        kind: 'restore',
        points,
        storeId: claim.storeId,
        ref,
        details: { claimId: claim.id, rewardId: claim.rewardId, units, purchaseId: claim.purchaseId },
        expiry: await restoreExpiry(ctx, claim),
      });
      entryId = entry.id;
    }
    const reversed = claim.reversedUnits + units;
    const after = await ctx.tx.update(
      rewardClaimsCollection,
      claim.id,
      {
        reversedUnits: reversed,
        restoredPoints: claim.restoredPoints + points,
        status: reversed >= claim.units ? 'reversed' : 'committed',
      },
      { expectVersion: claim.version },
    );
    const customerId = claim.customerId;
    if (entryId) {
      await ctx.emit(
        'points.restored',
        { customerId, entryId, points, purchaseId: claim.purchaseId!, returnId },
        { customerId },
      );
      await ctx.emit(
        'reward.reversed',
        {
          claimId: claim.id,
          customerId,
          rewardId: claim.rewardId,
          units,
          points,
          value,
          purchaseId: claim.purchaseId!,
          returnId,
          entryId,
        },
        { customerId },
      );
    }
    return { claim: after, units, points, value };
  }

  const claim = kernel.command({
    name: 'loyalty.rewards.claim',
    input: claimRewardSchema,
    permission: 'sales.record',
    idempotency: 'required',
    async run(ctx, input): Promise<RewardClaim> {
      await storeTimeZone(ctx.tx, input.storeId);
      await activeMember(ctx.tx, input.customerId);
      const reward = program.rewards.get(input.rewardId);
      if (!reward) throw new NotFoundError('reward', input.rewardId, { path: ['rewardId'], reason: 'unknown_reward' });
      if (input.minutes !== undefined && input.minutes > cfg.redemption.holdMinutes)
        throw invalid(['minutes'], 'too_long', `claims hold points for at most ${cfg.redemption.holdMinutes} minutes`);
      const check = checkReward(reward, priceBasket(input.basket, ['basket']).lines, input.units);
      if (!check.ok) throw claimRefusal(reward, check, check.refusal === 'too_few_units' ? ['units'] : ['basket']);
      await ledger.hold(ctx, input.customerId, -check.points);
      const terms = (cfg.rewards ?? []).find((r) => r.id === reward.id)!;
      const row = await ctx.tx.insert(rewardClaimsCollection, {
        id: ctx.id('lrc'),
        customerId: input.customerId,
        rewardId: reward.id,
        units: input.units,
        points: check.points,
        value: check.value,
        status: 'held',
        storeId: input.storeId,
        terminalId: input.terminalId,
        createdAt: ctx.now,
        expiresAt: addMinutes(ctx.now, input.minutes ?? cfg.redemption.holdMinutes),
        closedAt: null,
        purchaseId: null,
        entryId: null,
        reversedUnits: 0,
        restoredPoints: 0,
        free: [],
        terms: terms as unknown as JsonValue,
      });
      ctx.audit(
        { type: 'reward-claim', id: row.id, customerId: row.customerId },
        { rewardId: row.rewardId, units: row.units, points: row.points, value: row.value },
      );
      await ctx.emit(
        'reward.claimed',
        {
          claimId: row.id,
          customerId: row.customerId,
          rewardId: row.rewardId,
          units: row.units,
          points: row.points,
          value: row.value,
          expiresAt: row.expiresAt.toISOString(),
        },
        { customerId: row.customerId },
      );
      return row;
    },
  });

  /** Ends a held claim without a sale; null when it is no longer held (or not yet past its time). */
  async function release(
    ctx: LoyaltyContext,
    row: RewardClaim,
    reason: 'cancelled' | 'expired',
    at: Date = ctx.now,
  ): Promise<RewardClaim | null> {
    const when = reason === 'expired' ? { status: 'held', expiresAt: { lte: at } } : { status: 'held' };
    const closed = await ctx.tx.consume(rewardClaimsCollection, row.id, when, { status: reason, closedAt: ctx.now });
    if (!closed) return null;
    await ledger.hold(ctx, row.customerId, row.points);
    await ctx.emit(
      'reward.released',
      { claimId: row.id, customerId: row.customerId, points: row.points, reason },
      { customerId: row.customerId },
    );
    return closed;
  }

  const cancelClaim = kernel.command({
    name: 'loyalty.rewards.cancel-claim',
    input: cancelClaimSchema,
    permission: 'sales.record',
    idempotency: 'optional',
    async run(ctx, input): Promise<RewardClaim> {
      const row = await mustGet(ctx.tx, rewardClaimsCollection, input.claimId, 'reward claim', {
        path: ['claimId'],
        reason: 'unknown_claim',
      });
      if (row.status === 'cancelled' || row.status === 'expired') return row;
      const closed = await release(ctx, row, 'cancelled');
      if (!closed)
        throw new InvalidStateError(`reward claim ${row.id} is ${row.status}`, {
          path: ['claimId'],
          reason: row.status,
        });
      ctx.audit({ type: 'reward-claim', id: row.id, customerId: row.customerId }, { points: row.points });
      return closed;
    },
  });

  const reverse = kernel.command({
    name: 'loyalty.rewards.reverse',
    input: reverseSchema,
    permission: 'loyalty.rewards.reverse',
    idempotency: 'required',
    moves: {
      gives: ['points'],
      limits: ['refund'],
      measure: 'the value of the free goods the units given back paid for',
    },
    async run(ctx, input): Promise<RewardReversal> {
      const row = await mustGet(ctx.tx, rewardClaimsCollection, input.claimId, 'reward claim', {
        path: ['claimId'],
        reason: 'unknown_claim',
      });
      if (row.status !== 'committed')
        throw new InvalidStateError(`reward claim ${row.id} is ${row.status}: only units a sale paid for come back`, {
          path: ['claimId'],
          reason: row.status,
        });
      const open = row.units - row.reversedUnits;
      const units = input.units ?? open;
      if (units > open)
        throw invalid(['units'], 'above_claimed', `${open} units of claim ${row.id} are left to give back`);
      const value = refundFor(row.value, row.units, row.reversedUnits, units);
      const { approvedBy } = await ctx.requireAuthority('refund', value, input.approvedBy);
      const out = await giveBack(ctx, row, units, null);
      ctx.audit(
        { type: 'reward-claim', id: row.id, customerId: row.customerId },
        {
          units,
          points: out.points,
          value,
          reason: input.reason,
          ...(approvedBy ? { approvedBy } : {}),
        },
      );
      return out;
    },
  });

  /** Expires the held claims whose time has passed; returns how many. */
  async function expireDue(ctx: LoyaltyContext, ids: readonly string[], at: Date): Promise<number> {
    let n = 0;
    for (const id of ids) {
      const row = await ctx.tx.get(rewardClaimsCollection, id);
      if (row && (await release(ctx, row, 'expired', at))) n++;
    }
    return n;
  }

  const api: RewardsApi = { claim, cancelClaim, reverse };
  return { api, rewardOf, giveBack, expireDue };
}

/** The reward service's internals. */
export type RewardService = ReturnType<typeof createRewardService>;
