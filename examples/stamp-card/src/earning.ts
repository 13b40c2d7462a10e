/** Giving stamps: a handler of `purchase.recorded`, run inside the sale's own transaction. */
import {
  resolveActiveCustomer,
  saleLines,
  type CoreEvents,
  type EventHandlerEntry,
  type StoreSession,
} from '@clientele/core/module';
import { stampsCollection } from './collections.js';
import type { StampCardConfig } from './config.js';
import type { StampContext, StampEventMap } from './events.js';
import { expiryOf, stampingLines } from './stamp-rules.js';

/** The member's stamps that still count at `now`. */
export function liveStamps(session: StoreSession, customerId: string, now: Date): Promise<number> {
  return session.count(stampsCollection, { customerId, status: 'live', expiresAt: { gt: now } });
}

/** Builds the handler that gives a member a stamp for each sale line of the configured category. */
export function createEarning(config: StampCardConfig) {
  async function onSale(ctx: StampContext, sale: CoreEvents['purchase.recorded']): Promise<void> {
    if (!sale.customerId) return; // an anonymous sale earns nothing
    // Core's rules, not a copy of them: the member behind the id, merges followed; the sale's lines in order.
    const member = await resolveActiveCustomer(ctx.tx, sale.customerId);
    const lines = stampingLines(await saleLines(ctx.tx, sale.purchaseId), config.category);
    if (lines.length === 0) return;
    // A till that replays a sale made offline dates it then: the stamps last from the sale, not from now.
    const givenAt = new Date(sale.occurredAt);
    const expiresAt = expiryOf(givenAt, config.expiryDays);
    for (const lineNo of lines) {
      await ctx.tx.insert(stampsCollection, {
        id: `${sale.purchaseId}:${lineNo}`,
        customerId: member.id,
        purchaseId: sale.purchaseId,
        storeId: sale.storeId,
        givenAt,
        expiresAt,
        status: 'live',
        rewardId: null,
      });
    }
    const live = await liveStamps(ctx.tx, member.id, ctx.now);
    await ctx.emit(
      'stamp.given',
      { customerId: member.id, purchaseId: sale.purchaseId, stamps: lines.length, live },
      { customerId: member.id },
    );
  }

  const handlers: EventHandlerEntry<StampEventMap>[] = [{ event: 'purchase.recorded', run: onSale }];
  return { handlers };
}
