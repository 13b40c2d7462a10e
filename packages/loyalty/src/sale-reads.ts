/**
 * The sale a `purchase.recorded` handler works on, read once per transaction: points, vouchers and
 * stored value each handle the same event in the sale's transaction, and nothing changes the sale's
 * row between them.
 */
import { purchasesCollection, type RowOf } from '@clientele/core/module';
import type { LoyaltyContext } from './context.js';

type PurchaseRow = RowOf<typeof purchasesCollection>;

const seen = new WeakMap<object, Map<string, PurchaseRow>>();

/** The recorded sale `purchaseId`, from this transaction's first read of it. */
export async function recordedSale(ctx: LoyaltyContext, purchaseId: string): Promise<PurchaseRow | undefined> {
  let rows = seen.get(ctx.tx);
  const hit = rows?.get(purchaseId);
  if (hit) return hit;
  const row = await ctx.tx.get(purchasesCollection, purchaseId);
  if (!row) return undefined;
  if (!rows) {
    rows = new Map();
    seen.set(ctx.tx, rows);
  }
  rows.set(purchaseId, row);
  return row;
}

/** A sale's lines in line order. */
export { saleLines } from '@clientele/core/module';
