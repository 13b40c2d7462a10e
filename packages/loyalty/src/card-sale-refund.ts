/**
 * What refunding the sale of a stored-value card gives back, worked out from the card's entries
 * (pure): the money paid for the card (its sale, its top-ups and money moved onto it from another
 * card), never more than its balance, by the tenders it was paid with, the latest payment first.
 * Bonuses count as spent first, so what is forfeited is only a bonus still on the card.
 */
import { cardNumberSchema, codeSchema, shortTextSchema, type JsonValue } from '@clientele/core/module';
import * as z from 'zod';

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
export function tenderOf(entry: { details: JsonValue }): CardTender {
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
  entries: ReadonlyArray<{ kind: string; amount: number; details: JsonValue }>,
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
