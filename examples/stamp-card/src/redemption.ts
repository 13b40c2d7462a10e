/** Redeeming a full card for a free item: a command that moves value, under the `stamp-reward` limit. */
import {
  ClienteleError,
  ConflictError,
  idSchema,
  mustGet,
  resolveActiveCustomer,
  storesCollection,
} from '@clientele/core/module';
import * as z from 'zod';
import { rewardsCollection, stampsCollection } from './collections.js';
import type { StampCardConfig } from './config.js';
import type { StampKernel } from './events.js';

/** Input of `crm.stamps.redeem`. */
export const redeemSchema = z
  .object({
    customerId: idSchema,
    /** The store that hands the free item over. */
    storeId: idSchema,
  })
  .strict();

/** What a redemption returns (and a retry with the same key returns again). */
export interface Reward {
  rewardId: string;
  customerId: string;
  stamps: number;
  /** The free item's price, minor units. */
  value: number;
}

/** Builds the `stamps.redeem` command. */
export function createRedemption(kernel: StampKernel, config: StampCardConfig) {
  const redeem = kernel.command({
    name: 'stamps.redeem',
    input: redeemSchema,
    permission: 'stamps.redeem',
    // A till retries after a timeout: the key makes the retry return this reward instead of a second one.
    idempotency: 'required',
    moves: {
      gives: ['goods'],
      limits: ['stamp-reward'],
      measure: "the free item's price",
      // Known from the configuration, so the kernel checks it before the body runs.
      amount: () => config.rewardValue,
    },
    async run(ctx, input): Promise<Reward> {
      const member = await resolveActiveCustomer(ctx.tx, input.customerId);
      await mustGet(ctx.tx, storesCollection, input.storeId, 'store', { path: ['storeId'] });
      const oldest = await ctx.tx.find(stampsCollection, {
        where: { customerId: member.id, status: 'live', expiresAt: { gt: ctx.now } },
        orderBy: [{ field: 'givenAt' }, { field: 'id' }],
        limit: config.stampsPerReward,
      });
      if (oldest.rows.length < config.stampsPerReward) {
        throw new ClienteleError(
          'INSUFFICIENT_BALANCE',
          `customer ${member.id} has ${oldest.rows.length} of ${config.stampsPerReward} stamps`,
          {
            customerId: member.id,
            stamps: oldest.rows.length,
            needed: config.stampsPerReward,
            path: ['customerId'],
          },
        );
      }
      const rewardId = ctx.id('rwd');
      for (const stamp of oldest.rows) {
        // Two tills redeeming the same card at once: only one takes each stamp, the other fails whole.
        const taken = await ctx.tx.consume(
          stampsCollection,
          stamp.id,
          { status: 'live' },
          { status: 'used', rewardId },
        );
        if (!taken)
          throw new ConflictError('version', `stamp ${stamp.id} was used by another redemption`, { stampId: stamp.id });
      }
      const reward: Reward = { rewardId, customerId: member.id, stamps: oldest.rows.length, value: config.rewardValue };
      await ctx.tx.insert(rewardsCollection, {
        id: rewardId,
        customerId: member.id,
        storeId: input.storeId,
        redeemedAt: ctx.now,
        stamps: reward.stamps,
        value: reward.value,
      });
      ctx.moved('goods', reward.value);
      ctx.audit(
        { type: 'stamp-reward', id: rewardId, customerId: member.id },
        { stamps: reward.stamps, value: reward.value },
      );
      await ctx.emit(
        'stamp.redeemed',
        { customerId: member.id, rewardId, stamps: reward.stamps, value: reward.value, storeId: input.storeId },
        { customerId: member.id },
      );
      await ctx.addTimeline({
        customerId: member.id,
        source: 'stamps',
        kind: 'reward',
        summary: `A free item for ${reward.stamps} stamps`,
        storeId: input.storeId,
        ref: { type: 'stamp-reward', id: rewardId },
      });
      return reward;
    },
  });
  return { redeem };
}
