/**
 * Stored-value cards at the checkout, inside the sale's own transaction. A sale pays with a card by
 * a payment whose method is the stored-value method and whose reference is either an authorisation
 * id (`svp_...`, made with `storedValue.authorize`, with the PIN when the card has one: captured for
 * the payment's amount, the rest released) or, for a card without a PIN, the card number itself
 * (spent at once). Returns give the card its share of each refund; a void gives back all of it.
 */
import {
  cardNumberSchema,
  invalid,
  parseInput,
  purchasesCollection,
  refundFor,
  purchaseReturnsCollection,
  REFUND_ORDER,
  type RefundCollector,
} from '@clientele/core/module';
import { storedValuePaymentsCollection } from './collections.js';
import type { LoyaltyContext, LoyaltyHandler, LoyaltyRefundStep } from './context.js';
import { recordedSale } from './sale-reads.js';
import {
  cardRefusal,
  loadCard,
  loadProduct,
  requireUsable,
  postCardEntry,
  type StoredValueService,
} from './stored-value-service.js';

/**
 * What each card that paid for a sale gets back when part of it is undone (pure, so the return and
 * the till's preview of it decide alike): its share of the refund as the sale was paid, cumulative
 * so that returning everything gives each card exactly what it paid less what was refunded to it
 * already, never more than what the return pays once deductions are kept back (`payable`), and on
 * the return that completes the sale (or a void, `amount` null) all that each card has left.
 */
export function cardShares(
  payments: ReadonlyArray<{ captured: number; refunded: number }>,
  sale: { total: number; refundedBefore: number; amount: number | null; payable: number },
): number[] {
  const voiding = sale.amount === null;
  const amount = sale.amount ?? 0;
  const completes = voiding || sale.refundedBefore + amount >= sale.total;
  let payable = sale.payable;
  return payments.map((p) => {
    const open = p.captured - p.refunded;
    if (voiding) return open;
    const share = Math.max(
      0,
      Math.min(open, payable, completes ? open : refundFor(p.captured, sale.total, sale.refundedBefore, amount)),
    );
    payable -= share;
    return share;
  });
}

/** Registers the stored-value handlers of sales, returns and voids. `method` is the stored-value payment method. */
export function createStoredValueCheckout(service: StoredValueService, method: string) {
  async function onRecorded(ctx: LoyaltyContext, e: { purchaseId: string }): Promise<void> {
    const purchase = await recordedSale(ctx, e.purchaseId);
    if (!purchase) return;
    const ref = { type: 'purchase', id: purchase.id };
    for (let i = 0; i < purchase.payments.length; i++) {
      const pay = purchase.payments[i]!;
      if (pay.method !== method) continue;
      const path = ['payments', i, 'reference'];
      if (!pay.reference)
        throw invalid(
          path,
          'card_required',
          `a ${method} payment names the card number or its authorisation as its reference`,
        );
      // An allowance's id is refused there: a sale pays with what was drawn from it.
      if (pay.reference.startsWith('svp_') || pay.reference.startsWith('svl_')) {
        const { payment, card } = await service.captureInto(ctx, {
          paymentId: pay.reference,
          amount: pay.amount,
          ref,
          storeId: purchase.storeId,
          purchaseId: purchase.id,
          path,
        });
        await ctx.emit(
          'stored-value.spent',
          {
            paymentId: payment.id,
            cardNumber: card.number,
            customerId: card.customerId,
            storeId: purchase.storeId,
            amount: pay.amount,
            ref,
          },
          { customerId: card.customerId },
        );
        continue;
      }
      const number = parseInput(cardNumberSchema, pay.reference, path);
      const card = await loadCard(ctx.tx, number, path);
      const { product } = await loadProduct(ctx.tx, card.productId, path);
      requireUsable(card, product, purchase.storeId, ctx.now, path);
      if (card.lockedAt !== null)
        throw cardRefusal('state', 'locked', `card ${card.number} is locked after wrong PINs`, path);
      if (product.pin === 'required' || card.pinHash !== null)
        throw cardRefusal(
          'input',
          'pin_required',
          `card ${card.number} has a PIN: authorise the amount with it and pay with the authorisation`,
          path,
        );
      const id = ctx.id('svp');
      const { card: after } = await postCardEntry(ctx, card, {
        kind: 'spend',
        amount: -pay.amount,
        storeId: purchase.storeId,
        paymentId: id,
        ref,
        path: ['payments', i, 'amount'],
      });
      await ctx.tx.insert(storedValuePaymentsCollection, {
        id,
        cardNumber: card.number,
        customerId: card.customerId,
        status: 'captured',
        amount: pay.amount,
        captured: pay.amount,
        refunded: 0,
        storeId: purchase.storeId,
        terminalId: purchase.terminalId,
        createdAt: ctx.now,
        expiresAt: null,
        closedAt: ctx.now,
        purchaseId: purchase.id,
        refType: 'purchase',
        refId: purchase.id,
      });
      await ctx.emit(
        'stored-value.spent',
        {
          paymentId: id,
          cardNumber: after.number,
          customerId: after.customerId,
          storeId: purchase.storeId,
          amount: pay.amount,
          ref,
        },
        { customerId: after.customerId },
      );
    }
  }

  /** Refunds each card its share: cumulative and proportional, so returning everything refunds exactly what it paid. */
  async function refundShares(
    ctx: LoyaltyContext,
    purchaseId: string,
    returnId: string | null,
    amount: number,
    refund: RefundCollector | null,
  ): Promise<void> {
    const payments = (
      await ctx.tx.find(storedValuePaymentsCollection, { where: { purchaseId }, limit: 50 })
    ).rows.filter((p) => p.status === 'captured');
    if (payments.length === 0) return;
    const purchase = await ctx.tx.get(purchasesCollection, purchaseId);
    if (!purchase) return;
    // The refund happens where the goods come back.
    const storeId = returnId
      ? ((await ctx.tx.get(purchaseReturnsCollection, returnId))?.storeId ?? purchase.storeId)
      : purchase.storeId;
    const ref = returnId ? { type: 'return', id: returnId } : { type: 'purchase', id: purchaseId };
    // A card gets its share of the refund as the sale was paid, never more than the return pays once
    // deductions (points already spent, a voucher no longer earned) are kept back; the return that
    // completes the sale gives each card what it has left of that.
    const payable = refund ? refund.left() : 0;
    // The sale's refunded total already counts this return.
    const shares = cardShares(payments, {
      total: purchase.total,
      refundedBefore: purchase.refundedTotal - (returnId === null ? 0 : amount),
      amount: returnId === null ? null : amount,
      payable,
    });
    for (const [i, p] of payments.entries()) {
      const out = await service.refundInto(ctx, p, shares[i]!, ref, storeId, ['purchaseId']);
      if (out) refund?.settle({ via: 'card', method, reference: out.card.number, amount: out.amount });
    }
  }

  const handlers: LoyaltyHandler[] = [{ event: 'purchase.recorded', run: onRecorded }];
  const refunds: LoyaltyRefundStep[] = [
    {
      order: REFUND_ORDER.cards,
      onReturn: (ctx, e, refund) => refundShares(ctx, e.purchaseId, e.returnId, e.amount, refund),
      onVoid: (ctx, e) => refundShares(ctx, e.purchaseId, null, 0, null),
    },
  ];
  return { handlers, refunds };
}
