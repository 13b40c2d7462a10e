/**
 * Refunding the sale of a stored-value card: a card brought back to the shop unused or partly used
 * gives back what is left of the money paid for it, by the tenders it was paid with, and is closed
 * (what goes back is worked out in `card-sale-refund.ts`). The command checks the clerk's `refund`
 * authority for the money before it moves anything.
 */
import { NotFoundError, storesCollection, type JsonValue } from '@clientele/core/module';
import { cardSaleRefundSchema, planCardSaleRefund } from './card-sale-refund.js';
import { storedValueCardsCollection, storedValueEntriesCollection } from './collections.js';
import type { LoyaltyRuntime } from './runtime.js';
import {
  cardRefusal,
  loadCard,
  loadProduct,
  postCardEntry,
  requireUsable,
  toCard,
  type CardEntry,
  type CardSaleRefund,
} from './stored-value-service.js';

/** Builds the command that refunds a card's sale. */
export function createCardSaleRefund(runtime: LoyaltyRuntime) {
  const { kernel } = runtime;
  const refundSale = kernel.command({
    name: 'loyalty.stored-value.refund-sale',
    input: cardSaleRefundSchema,
    permission: 'sales.return',
    idempotency: 'required',
    moves: {
      gives: ['money'],
      limits: ['refund'],
      measure: 'the money paid for the card that is left on it',
    },
    async run(ctx, input): Promise<CardSaleRefund> {
      const path = ['cardNumber'];
      const card = await loadCard(ctx.tx, input.cardNumber, path);
      const { product } = await loadProduct(ctx.tx, card.productId, path);
      if (!(await ctx.tx.get(storesCollection, input.storeId)))
        throw new NotFoundError('store', input.storeId, { path: ['storeId'], reason: 'unknown_store' });
      if (card.status === 'closed')
        throw cardRefusal('state', 'closed', `card ${card.number} was refunded and closed already`, path);
      requireUsable(card, product, input.storeId, ctx.now, path);
      if (card.available !== card.balance)
        throw cardRefusal(
          'state',
          'authorized',
          `card ${card.number} has ${card.balance - card.available} reserved by open authorisations: capture or ` +
            'cancel them first',
          path,
        );
      const entries: CardEntry[] = [];
      let after: string | null = null;
      do {
        const page: { rows: CardEntry[]; next: string | null } = await ctx.tx.find(storedValueEntriesCollection, {
          where: { cardNumber: card.number },
          orderBy: [{ field: 'seq' }],
          limit: 500,
          after,
        });
        entries.push(...page.rows);
        after = page.next;
      } while (after);
      const plan = planCardSaleRefund(entries, card.balance);
      const { approvedBy } = await ctx.requireAuthority('refund', plan.amount, input.approvedBy);
      const ref = { type: 'card-sale-refund', id: ctx.id('svc') };
      let current = card;
      if (plan.amount > 0) {
        ctx.moved('money', plan.amount);
        current = (
          await postCardEntry(ctx, current, {
            kind: 'cash-out',
            amount: -plan.amount,
            storeId: input.storeId,
            ref,
            details: { tenders: plan.tenders as unknown as JsonValue },
            path,
          })
        ).card;
      }
      if (plan.forfeited > 0)
        current = (
          await postCardEntry(ctx, current, {
            kind: 'forfeit',
            amount: -plan.forfeited,
            storeId: input.storeId,
            ref,
            details: { reason: 'bonus left on a card whose sale was refunded' },
            path,
          })
        ).card;
      const closed = await ctx.tx.consume(
        storedValueCardsCollection,
        card.number,
        { status: 'active' },
        { status: 'closed' },
      );
      if (!closed) throw cardRefusal('state', current.status, `card ${card.number} is ${current.status}`, path);
      ctx.audit(
        { type: 'stored-value-card', id: card.number, customerId: card.customerId },
        {
          amount: plan.amount,
          forfeited: plan.forfeited,
          storeId: input.storeId,
          reason: input.reason,
          ...(approvedBy ? { approvedBy } : {}),
        },
      );
      if (card.customerId)
        await ctx.addTimeline({
          customerId: card.customerId,
          source: 'loyalty',
          kind: 'stored-value-refunded',
          facts: { number: card.number, amount: plan.amount, currency: kernel.currency },
          storeId: input.storeId,
          ref,
        });
      await ctx.emit(
        'stored-value.closed',
        {
          cardNumber: card.number,
          customerId: card.customerId,
          storeId: input.storeId,
          amount: plan.amount,
          forfeited: plan.forfeited,
          tenders: plan.tenders,
        },
        { customerId: card.customerId },
      );
      return { card: toCard(closed), ...plan };
    },
  });
  return { refundSale };
}
