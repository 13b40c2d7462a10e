/**
 * When core merges a duplicate customer into a survivor, the duplicate's points move with transfer
 * entries on both ledgers (the duplicate's history stays on its own record), its lots move to the
 * survivor, its holds and held reward claims are released, and its tier progress is added to the
 * survivor's.
 */
import {
  accountsCollection,
  holdsCollection,
  lotsCollection,
  rewardClaimsCollection,
  tierActivityCollection,
} from './collections.js';
import type { Lot } from './ledger.js';
import type { LoyaltyRuntime } from './runtime.js';
import type { LoyaltyContext } from './context.js';

/** Collections the merge handles itself (core moves the module's other rows by their customer key). */
export const MERGE_HANDLED = [
  accountsCollection.name,
  'loyalty_entries',
  tierActivityCollection.name,
  holdsCollection.name,
  lotsCollection.name,
] as const;

/** Builds the merge handler. */
export function createCustomerMerge(runtime: LoyaltyRuntime) {
  const { ledger, tiers } = runtime;

  return async function mergeCustomer(
    ctx: LoyaltyContext,
    ids: { survivorId: string; mergedId: string },
  ): Promise<readonly string[]> {
    const { survivorId, mergedId } = ids;
    const from = await ctx.tx.get(accountsCollection, mergedId);
    if (from) {
      // Holds of the duplicate end first, so its whole balance is free to move.
      for (;;) {
        const page = await ctx.tx.find(holdsCollection, {
          where: { customerId: mergedId, status: 'active' },
          limit: 100,
        });
        if (page.rows.length === 0) break;
        for (const h of page.rows) {
          await ctx.tx.update(holdsCollection, h.id, { status: 'cancelled', closedAt: ctx.now });
          await ledger.hold(ctx, mergedId, h.points);
        }
      }
      // So do its reward claims still waiting for a sale.
      for (;;) {
        const page = await ctx.tx.find(rewardClaimsCollection, {
          where: { customerId: mergedId, status: 'held' },
          limit: 100,
        });
        if (page.rows.length === 0) break;
        for (const c of page.rows) {
          await ctx.tx.update(rewardClaimsCollection, c.id, { status: 'cancelled', closedAt: ctx.now });
          await ledger.hold(ctx, mergedId, c.points);
        }
      }
      const acc = (await ctx.tx.get(accountsCollection, mergedId))!;
      const lots: Lot[] = [];
      for (;;) {
        const page = await ctx.tx.find(lotsCollection, {
          where: { customerId: mergedId, status: { in: ['available', 'pending'] } },
          limit: 500,
        });
        if (page.rows.length === 0) break;
        for (const lot of page.rows) lots.push(await ctx.tx.update(lotsCollection, lot.id, { customerId: survivorId }));
      }
      const ref = { type: 'customer', id: mergedId };
      if (acc.balance !== 0 || acc.pending !== 0) {
        const details = {
          fromCustomerId: mergedId,
          toCustomerId: survivorId,
          lots: lots.map((l) => ({ lotId: l.id, points: l.remaining })),
        };
        await ledger.post(
          ctx,
          { customerId: mergedId, kind: 'transfer', ref: { type: 'customer', id: survivorId }, details },
          -acc.balance,
          -acc.pending,
          -acc.balance,
        );
        const survivor = await ledger.account(ctx, survivorId);
        if (acc.balance < 0) {
          // A debt moves too: it takes from the survivor's lots as a clawback would.
          await ledger.debit(ctx, {
            customerId: survivorId,
            kind: 'transfer',
            points: -acc.balance,
            mode: 'force',
            ref,
            details: { fromCustomerId: mergedId },
          });
          if (acc.pending)
            await ledger.post(ctx, { customerId: survivorId, kind: 'transfer', ref, details }, 0, acc.pending, 0);
        } else {
          const { entry } = await ledger.post(
            ctx,
            { customerId: survivorId, kind: 'transfer', ref, details },
            acc.balance,
            acc.pending,
            acc.balance,
          );
          // The moved lots first pay off a debt the survivor had.
          if (survivor.balance < 0) await ledger.payDebt(ctx, lots, -survivor.balance, entry.id);
        }
        await ctx.emit(
          'points.transferred',
          { fromCustomerId: mergedId, toCustomerId: survivorId, points: acc.balance, pendingPoints: acc.pending },
          { customerId: survivorId },
        );
      }
    }
    // Tier progress adds up month by month.
    for (;;) {
      const page = await ctx.tx.find(tierActivityCollection, { where: { customerId: mergedId }, limit: 200 });
      if (page.rows.length === 0) break;
      for (const row of page.rows) {
        const id = `${survivorId}:${row.month}`;
        const mine = await ctx.tx.get(tierActivityCollection, id);
        if (mine) {
          await ctx.tx.increment(tierActivityCollection, id, 'points', row.points);
          await ctx.tx.increment(tierActivityCollection, id, 'spend', row.spend);
        } else
          await ctx.tx.insert(tierActivityCollection, {
            id,
            customerId: survivorId,
            month: row.month,
            points: row.points,
            spend: row.spend,
          });
        await ctx.tx.delete(tierActivityCollection, row.id);
      }
    }
    if (tiers.config) await tiers.upgrade(ctx, survivorId);
    return MERGE_HANDLED;
  };
}
