/**
 * Product rewards at the checkout, inside the sale's own transaction: core's `purchase.recorded`
 * spends every claim the sale pays with (a payment whose method is the reward method and whose
 * reference is the claim id), after checking it against the sale's lines; `purchase.returned` and
 * `purchase.voided` give back the units the rest of the sale no longer carries, with their points,
 * like any other points that paid for returned goods.
 */
import {
  InvalidStateError,
  invalid,
  mustGet,
  type JsonValue,
  type RefundCollector,
  type StoreSession,
} from '@clientele/core/module';
import { rewardClaimsCollection } from './collections.js';
import type { LoyaltyContext, LoyaltyHandler, LoyaltyRefundStep } from './context.js';
import { checkReward, rewardRefusalText, supportedUnits } from './rewards.js';
import type { LoyaltyRuntime } from './runtime.js';
import type { RewardClaim, RewardService } from './reward-service.js';
import { awardLinesOf, remainingLines } from './sale-earning.js';
import { recordedSale, saleLines } from './sale-reads.js';

/** Where reward claims are given back among the refund steps: after points, before vouchers. */
export const REWARD_REFUND_ORDER = 150;

/** The redeemed claims of a sale that still have units to give back. */
export async function openClaimsOf(session: StoreSession, purchaseId: string): Promise<RewardClaim[]> {
  return (await session.find(rewardClaimsCollection, { where: { purchaseId }, limit: 50 })).rows.filter(
    (c) => c.status === 'committed',
  );
}

/** The units of each open claim of a sale that the lines left after a return no longer carry. */
export function unitsToGiveBack(
  service: Pick<RewardService, 'rewardOf'>,
  claims: readonly RewardClaim[],
  lines: Parameters<typeof remainingLines>[0],
): Array<{ claim: RewardClaim; units: number }> {
  const left = remainingLines(lines);
  return claims.flatMap((claim) => {
    const open = claim.units - claim.reversedUnits;
    const carried = supportedUnits(service.rewardOf(claim), left, open);
    return carried < open ? [{ claim, units: open - carried }] : [];
  });
}

/** Registers the reward handlers of sales, returns and voids. `method` is the reward payment method. */
export function createRewardCheckout(runtime: LoyaltyRuntime, service: RewardService, method: string) {
  const { ledger } = runtime;

  async function onRecorded(ctx: LoyaltyContext, e: { purchaseId: string }): Promise<void> {
    const purchase = await recordedSale(ctx, e.purchaseId);
    if (!purchase) return;
    let rows: Awaited<ReturnType<typeof saleLines>> | null = null;
    const ref = { type: 'purchase', id: purchase.id };
    for (let i = 0; i < purchase.payments.length; i++) {
      const pay = purchase.payments[i]!;
      if (pay.method !== method) continue;
      const path = ['payments', i, 'reference'];
      if (purchase.customerId === null)
        throw invalid(['payments', i], 'reward_needs_member', 'a reward pays only for a member’s sale');
      if (!pay.reference)
        throw invalid(path, 'claim_required', `a ${method} payment names the reward claim it spends as its reference`);
      const claim = await mustGet(ctx.tx, rewardClaimsCollection, pay.reference, 'reward claim', {
        path,
        reason: 'unknown_claim',
      });
      if (claim.customerId !== purchase.customerId)
        throw invalid(path, 'another_customer', `reward claim ${claim.id} belongs to another customer`);
      if (claim.storeId !== purchase.storeId || claim.terminalId !== purchase.terminalId)
        throw invalid(
          path,
          'claim_elsewhere',
          `reward claim ${claim.id} was made at ${claim.storeId}/${claim.terminalId}, not at this till`,
        );
      const reward = service.rewardOf(claim);
      rows ??= await saleLines(ctx.tx, purchase.id);
      const check = checkReward(reward, remainingLines(awardLinesOf(rows)), claim.units);
      if (!check.ok) {
        const error = invalid(['payments', i], check.refusal!, rewardRefusalText(reward, check));
        Object.assign(error.details as Record<string, unknown>, { reason: check.refusal });
        throw error;
      }
      if (pay.amount !== check.value)
        throw invalid(
          ['payments', i, 'amount'],
          'value_mismatch',
          `reward claim ${claim.id} gives goods worth ${check.value} in this sale; the payment says ${pay.amount}`,
        );
      const lines = rows;
      const taken = await ctx.tx.consume(
        rewardClaimsCollection,
        claim.id,
        { status: 'held', expiresAt: { gt: ctx.now } },
        {
          status: 'committed',
          closedAt: ctx.now,
          purchaseId: purchase.id,
          value: check.value,
          free: check.free.map((f) => ({
            lineNo: lines[f.line]!.lineNo,
            units: f.units,
            value: f.value,
          })) as unknown as JsonValue,
        },
      );
      if (!taken) {
        const why = claim.status === 'held' ? 'expired' : claim.status;
        throw new InvalidStateError(`reward claim ${claim.id} is ${why}`, { path, reason: why });
      }
      const { entry } = await ledger.debit(ctx, {
        customerId: claim.customerId,
        kind: 'redeem',
        points: claim.points,
        mode: 'held',
        storeId: purchase.storeId,
        ref,
        details: { claimId: claim.id, rewardId: claim.rewardId, units: claim.units },
      });
      await ctx.tx.update(rewardClaimsCollection, claim.id, { entryId: entry!.id });
      const customerId = claim.customerId;
      await ctx.emit(
        'points.redeemed',
        { customerId, entryId: entry!.id, points: claim.points, value: check.value, ref },
        { customerId },
      );
      await ctx.emit(
        'reward.redeemed',
        {
          claimId: claim.id,
          customerId,
          rewardId: claim.rewardId,
          units: claim.units,
          points: claim.points,
          value: check.value,
          purchaseId: purchase.id,
          entryId: entry!.id,
        },
        { customerId },
      );
    }
  }

  /**
   * Gives back the units a return leaves without their goods (a void: every unit). The value of free
   * units whose points come back goes back as points; a part set brings no points, so its value is
   * kept back from the refund (the goods were not paid for in money).
   */
  async function undo(
    ctx: LoyaltyContext,
    purchaseId: string,
    returnId: string | null,
    refund: RefundCollector | null,
  ): Promise<void> {
    const claims = await openClaimsOf(ctx.tx, purchaseId);
    if (claims.length === 0) return;
    const lines = awardLinesOf(await saleLines(ctx.tx, purchaseId));
    const give =
      returnId === null
        ? claims.map((claim) => ({ claim, units: claim.units - claim.reversedUnits }))
        : unitsToGiveBack(service, claims, lines);
    for (const { claim, units } of give) {
      const out = await service.giveBack(ctx, claim, units, returnId);
      if (!refund || out.value <= 0) continue;
      if (out.points > 0)
        refund.settle({
          via: 'points',
          method,
          reference: claim.id,
          amount: Math.min(out.value, refund.left()),
          points: out.points,
        });
      else
        refund.deduct({
          source: 'loyalty.reward',
          amount: out.value,
          reason: `free units of ${claim.rewardId} paid with points, which come back only by whole sets`,
          facts: { rewardId: claim.rewardId },
        });
    }
  }

  const handlers: LoyaltyHandler[] = [{ event: 'purchase.recorded', run: onRecorded }];
  const refunds: LoyaltyRefundStep[] = [
    {
      order: REWARD_REFUND_ORDER,
      onReturn: (ctx, e, refund) => undo(ctx, e.purchaseId, e.returnId, refund),
      onVoid: (ctx, e) => undo(ctx, e.purchaseId, null, null),
    },
  ];
  return { handlers, refunds };
}
