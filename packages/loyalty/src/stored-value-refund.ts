/**
 * Refunding the sale of a stored-value card: a card brought back to the shop unused or partly used
 * gives back what is left of the money paid for it, by the tenders it was paid with, and is closed.
 * The money paid for a card is its sale, its top-ups and money moved onto it from another card;
 * bonuses are spent first, so a bonus still on the card is what is forfeited, never the customer's
 * money. The plan is pure; the command checks the clerk's `refund` authority for the money before it
 * moves anything.
 */
import {
  NotFoundError,
  cardNumberSchema,
  codeSchema,
  shortTextSchema,
  storesCollection,
  type JsonValue,
} from '@clientele/core/module';
import { z } from 'zod';
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
  type StoredValueCard,
} from './stored-value-service.js';

/** How money was paid onto a card, as its entry keeps it (`details.tender`). */
export interface CardTender {
  method: string;
  reference: string | null;
}

/** A tender of a card's refund: how much goes back by which method. */
export interface CardRefundTender extends CardTender {
  amount: number;
}

/** What refunding a card's sale gives back. */
export interface CardSaleRefundPlan {
  /** The money paid back. */
  amount: number;
  /** A bonus left on the card, which does not go back. */
  forfeited: number;
  /** The money by tender: the latest payments onto the card first, each never more than it paid. */
  tenders: CardRefundTender[];
}

/** Entry kinds that put the customer's money on a card. */
const PAID_IN = new Set(['load', 'top-up', 'transfer-in']);
/** A payment onto a card that names no tender was made in cash. */
const CASH: CardTender = { method: 'cash', reference: null };

/** The tender an entry names, or cash. */
export function tenderOf(entry: Pick<CardEntry, 'details'>): CardTender {
  const t = (entry.details as { tender?: { method?: unknown; reference?: unknown } } | null)?.tender;
  return typeof t?.method === 'string'
    ? { method: t.method, reference: typeof t.reference === 'string' ? t.reference : null }
    : CASH;
}

/**
 * Works out a card sale's refund from the card's entries (in `seq` order) and its balance: the money
 * paid in, never more than the balance, goes back by the latest payments' tenders first.
 */
export function planCardSaleRefund(
  entries: ReadonlyArray<Pick<CardEntry, 'kind' | 'amount' | 'details'>>,
  balance: number,
): CardSaleRefundPlan {
  const paid = entries.filter((e) => PAID_IN.has(e.kind) && e.amount > 0);
  const paidIn = paid.reduce((s, e) => s + e.amount, 0);
  const amount = Math.max(0, Math.min(balance, paidIn));
  const tenders: CardRefundTender[] = [];
  let left = amount;
  for (let i = paid.length - 1; i >= 0 && left > 0; i--) {
    const e = paid[i]!;
    const take = Math.min(left, e.amount);
    const t = tenderOf(e);
    const same = tenders.find((x) => x.method === t.method && x.reference === t.reference);
    if (same) same.amount += take;
    else tenders.push({ ...t, amount: take });
    left -= take;
  }
  return { amount, forfeited: Math.max(0, balance - amount), tenders };
}

/** Input of `storedValue.refundSale`. */
export const cardSaleRefundSchema = z
  .object({
    cardNumber: cardNumberSchema,
    /** The store taking the card back: one that takes the card's product. */
    storeId: codeSchema,
    reason: shortTextSchema,
    /** A member of staff whose refund authority covers the amount when the actor's does not. */
    approvedBy: codeSchema.optional(),
  })
  .strict();
/** Input of `storedValue.refundSale`. */
export type CardSaleRefundInput = z.input<typeof cardSaleRefundSchema>;

/** What `storedValue.refundSale` returns: the closed card, the money back by tender, and what was forfeited. */
export interface CardSaleRefund extends CardSaleRefundPlan {
  card: StoredValueCard;
}

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
          summary: `Card ${card.number} taken back: ${plan.amount} (minor units) paid back, the card is closed`,
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
