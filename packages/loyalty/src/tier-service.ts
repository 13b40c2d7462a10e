/**
 * Tier progress and moves. Monthly totals per member (points earned and net spend, in the program's
 * time zone) are kept in the same transaction as the sale or return that changes them; a member moves
 * up as soon as the window's total qualifies, and down only at a review date (`runDue`).
 */
import { isClienteleError, type StoreSession } from '@clientele/core/module';
import { accountsCollection, tierActivityCollection } from './collections.js';
import type { Ledger } from './ledger.js';
import { localTime } from './local-time.js';
import { levelRank, nextReview, qualifiedLevel, windowMonths, type TiersConfig } from './tiers.js';
import type { LoyaltyContext } from './context.js';

/** Builds the tier service for a program's tier configuration (null: the program has no tiers). */
export function createTierService(tiers: TiersConfig | null, timeZone: string, ledger: Ledger) {
  /** Adds to a member's monthly totals (negative after returns). */
  async function record(
    ctx: LoyaltyContext,
    customerId: string,
    at: Date,
    points: number,
    spend: number,
  ): Promise<void> {
    if (!tiers || (points === 0 && spend === 0)) return;
    const month = localTime(at, timeZone).date.slice(0, 7);
    const id = `${customerId}:${month}`;
    if (!(await ctx.tx.get(tierActivityCollection, id))) {
      try {
        await ctx.tx.insert(tierActivityCollection, { id, customerId, month, points, spend });
        return;
      } catch (error) {
        // Another transaction started the month first: add to it.
        if (!isClienteleError(error, 'CONFLICT')) throw error;
      }
    }
    if (points) await ctx.tx.increment(tierActivityCollection, id, 'points', points);
    if (spend) await ctx.tx.increment(tierActivityCollection, id, 'spend', spend);
  }

  /** The member's qualifying total in the window that contains `at`. */
  async function progress(session: StoreSession, customerId: string, at: Date): Promise<number> {
    if (!tiers) return 0;
    const { from, to } = windowMonths(tiers, localTime(at, timeZone).date);
    const rows = (
      await session.find(tierActivityCollection, { where: { customerId, month: { gte: from, lte: to } }, limit: 100 })
    ).rows;
    return rows.reduce((s, r) => s + (tiers.basis === 'points' ? r.points : r.spend), 0);
  }

  async function move(
    ctx: LoyaltyContext,
    customerId: string,
    from: string | null,
    to: string,
    reason: 'qualified' | 'review',
    at: Date = ctx.now,
  ): Promise<void> {
    const direction = levelRank(tiers!, to) > levelRank(tiers!, from) ? 'up' : 'down';
    const lowest = tiers!.levels[0]!.code === to;
    await ctx.tx.update(accountsCollection, customerId, {
      tier: to,
      tierSince: at,
      tierReviewAt: lowest ? null : nextReview(tiers!, at, timeZone),
      updatedAt: ctx.now,
    });
    await ctx.addTimeline({
      customerId,
      source: 'loyalty',
      kind: 'tier-changed',
      facts: { from, to, direction },
    });
    await ctx.emit('tier.changed', { customerId, from, to, direction, reason }, { customerId });
  }

  /** Moves the member up at once when the window's total reaches a higher tier. */
  async function upgrade(ctx: LoyaltyContext, customerId: string): Promise<string | null> {
    if (!tiers) return null;
    const account = await ledger.account(ctx, customerId);
    const level = qualifiedLevel(tiers, await progress(ctx.tx, customerId, ctx.now));
    if (levelRank(tiers, level) <= levelRank(tiers, account.tier)) return null;
    await move(ctx, customerId, account.tier, level, 'qualified');
    return level;
  }

  /** At a review date: keeps, lowers or raises the tier to what the window qualifies for. */
  async function review(ctx: LoyaltyContext, customerId: string, at: Date = ctx.now): Promise<string | null> {
    if (!tiers) return null;
    const account = await ledger.account(ctx, customerId);
    if (account.tierReviewAt === null || account.tierReviewAt.getTime() > at.getTime()) return null;
    const level = qualifiedLevel(tiers, await progress(ctx.tx, customerId, at));
    if (level === account.tier) {
      await ctx.tx.update(accountsCollection, customerId, {
        tierReviewAt: level === tiers.levels[0]!.code ? null : nextReview(tiers, at, timeZone),
        updatedAt: ctx.now,
      });
      return null;
    }
    await move(
      ctx,
      customerId,
      account.tier,
      level,
      levelRank(tiers, level) > levelRank(tiers, account.tier) ? 'qualified' : 'review',
      at,
    );
    return level;
  }

  return { record, progress, upgrade, review, config: tiers };
}

/** The tier service. */
export type TierService = ReturnType<typeof createTierService>;
