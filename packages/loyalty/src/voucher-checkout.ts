/**
 * Vouchers at the checkout, inside the sale's own transaction: core's `purchase.recorded` redeems
 * every voucher the sale is paid with (a payment whose method is the voucher method and whose
 * reference is the code), `purchase.returned` and `purchase.voided` give vouchers back or charge
 * them against the refund. So a voucher is used exactly when its sale is written, or not at all, and
 * a retried sale (same idempotency key) is answered from the first result without touching it again.
 */
import {
  ConflictError,
  formatMoney,
  invalid,
  parseInput,
  type purchaseLinesCollection,
  purchasesCollection,
  REFUND_ORDER,
  refundFor,
  type RefundCollector,
  type RowOf,
  type StoreSession,
} from '@clientele/core/module';
import { vouchersCollection } from './collections.js';
import type { LoyaltyContext, LoyaltyHandler, LoyaltyRefundStep } from './context.js';
import { recordedSale, saleLines } from './sale-reads.js';
import { formatCode, voucherCodeSchema } from './voucher-codes.js';
import {
  checkVoucher,
  eligibleAmount,
  returnOutcome,
  voucherRefusal,
  type ReturnOutcome,
  type VoucherLine,
} from './voucher-rules.js';
import { factsOf, moveVoucher, stateRefusal, type VoucherRow } from './voucher-service.js';
import type { VoucherTerms } from './voucher-templates.js';

type LineRow = RowOf<typeof purchaseLinesCollection>;

const termsOf = (row: VoucherRow) => row.terms as unknown as VoucherTerms;

/** What is left of each line after its returns (and `alsoReturned`, thousandths by line number, for a preview). */
export function remainingOf(rows: readonly LineRow[], alsoReturned?: ReadonlyMap<number, number>): VoucherLine[] {
  return rows.map((l) => ({
    category: l.category,
    amount: l.amount - refundFor(l.amount, l.quantityMilli, 0, l.returnedMilli + (alsoReturned?.get(l.lineNo) ?? 0)),
  }));
}

/** The vouchers that paid for a sale and are still spent on it. */
export async function redeemedFor(session: StoreSession, purchaseId: string): Promise<VoucherRow[]> {
  return (await session.find(vouchersCollection, { where: { purchaseId }, limit: 50 })).rows.filter(
    (r) => r.status === 'redeemed',
  );
}

/**
 * What undoing a sale, wholly or in part, does to each voucher that paid for it: pure, so the return
 * itself and the till's preview of it decide alike. `refund` is what is left of the refund for
 * vouchers to keep back (after the points' share); each voucher takes from what the ones before left.
 */
export function voucherOutcomes(
  redeemed: readonly VoucherRow[],
  sale: { remaining: readonly VoucherLine[]; whole: boolean; refund: number; at: Date },
): Array<{ row: VoucherRow; outcome: ReturnOutcome }> {
  let left = sale.refund;
  return redeemed.map((row) => {
    const terms = termsOf(row);
    const outcome = returnOutcome({
      terms,
      discount: row.discount,
      chargedBack: row.chargedBack,
      remaining: eligibleAmount(terms, sale.remaining),
      whole: sale.whole,
      refund: left,
      stillValid: sale.at.getTime() < row.validUntil.getTime(),
    });
    left -= outcome.refundDeduction;
    return { row, outcome };
  });
}

/** Registers the voucher handlers of sales, returns and voids. `method` is the voucher payment method. */
export function createVoucherCheckout(method: string) {
  async function onRecorded(ctx: LoyaltyContext, e: { purchaseId: string }): Promise<void> {
    const purchase = await recordedSale(ctx, e.purchaseId);
    if (!purchase) return;
    let loaded: Array<{ row: VoucherRow; amount: number; index: number; path: Array<string | number> }> | null = null;
    for (let i = 0; i < purchase.payments.length; i++) {
      const pay = purchase.payments[i]!;
      if (pay.method !== method) continue;
      const path = ['payments', i, 'reference'];
      if (!pay.reference)
        throw invalid(path, 'code_required', `a ${method} payment names the voucher code as its reference`);
      const code = parseInput(voucherCodeSchema, pay.reference, path);
      const row = await ctx.tx.getBy(vouchersCollection, 'loyalty_vouchers_code', { code });
      if (!row) throw voucherRefusal('unknown_code', path, { code: formatCode(code) });
      loaded ??= [];
      if (loaded.some((l) => l.row.id === row.id))
        throw invalid(path, 'duplicate_voucher', `voucher ${formatCode(code)} pays twice`);
      loaded.push({ row, amount: pay.amount, index: i, path });
    }
    if (!loaded) return;
    // A voucher for every category applies to the whole sale: its lines need reading only for one that is not.
    const everything = loaded.every(
      (l) => termsOf(l.row).categories === null && termsOf(l.row).excludeCategories.length === 0,
    );
    const lines = everything
      ? [{ category: '', amount: purchase.total }]
      : (await saleLines(ctx.tx, purchase.id)).map((l) => ({ category: l.category, amount: l.amount }));
    const ref = { type: 'purchase', id: purchase.id };
    for (const item of loaded) {
      const others = loaded.filter((o) => o !== item).map((o) => ({ stackable: termsOf(o.row).stackable }));
      const check = checkVoucher(factsOf(item.row), {
        at: ctx.now,
        storeId: purchase.storeId,
        terminalId: purchase.terminalId,
        customerId: purchase.customerId,
        lines,
        others,
      });
      const display = formatCode(item.row.code);
      if (!check.applies)
        throw voucherRefusal(check.reasons[0]!, item.path, {
          code: display,
          voucherId: item.row.id,
          reasons: check.reasons,
          eligible: check.eligible,
          minSpend: termsOf(item.row).minSpend,
        });
      // A payment may take less than the voucher could (stacked vouchers share a basket), never more.
      if (item.amount > check.discount) {
        throw voucherRefusal(
          'amount_mismatch',
          ['payments', item.index, 'amount'],
          { code: display, discount: check.discount },
          `voucher ${display} takes at most ${formatMoney(check.discount, purchase.currency)} off this ` +
            `basket; the payment says ${formatMoney(item.amount, purchase.currency)}`,
        );
      }
      const next = await moveVoucher(ctx, item.row, {
        kind: 'redeemed',
        status: 'redeemed',
        set: {
          purchaseId: purchase.id,
          discount: item.amount,
          chargedBack: 0,
          holdId: null,
          heldUntil: null,
          heldStoreId: null,
          heldTerminalId: null,
        },
        amount: item.amount,
        storeId: purchase.storeId,
        ref,
        details: {
          receiptNo: purchase.receiptNo,
          terminalId: purchase.terminalId,
          ...(item.row.holdId ? { holdId: item.row.holdId } : {}),
        },
      });
      // Another till took it between the read and the write: nothing was written; say what it is now.
      if (!next) stateRefusal((await ctx.tx.get(vouchersCollection, item.row.id))!, item.path, ctx.now);
      await ctx.emit(
        'voucher.redeemed',
        {
          voucherId: item.row.id,
          customerId: item.row.customerId,
          purchaseId: purchase.id,
          storeId: purchase.storeId,
          discount: item.amount,
        },
        { customerId: item.row.customerId },
      );
    }
  }

  async function apply(
    ctx: LoyaltyContext,
    row: VoucherRow,
    outcome: ReturnOutcome,
    ids: { purchaseId: string; returnId: string | null },
    refund: RefundCollector | null,
  ): Promise<void> {
    const ref = ids.returnId ? { type: 'return', id: ids.returnId } : { type: 'purchase', id: ids.purchaseId };
    const lost = () =>
      new ConflictError(
        'serialization',
        `voucher ${formatCode(row.code)} changed while the return was written; send it again`,
      );
    let current = row;
    if (outcome.refundDeduction > 0) {
      const next = await moveVoucher(ctx, current, {
        kind: 'charged-back',
        status: 'redeemed',
        set: { chargedBack: current.chargedBack + outcome.refundDeduction },
        amount: outcome.refundDeduction,
        ref,
        details: { purchaseId: ids.purchaseId },
      });
      if (!next) throw lost();
      current = next;
      refund?.deduct({
        source: 'loyalty.voucher',
        amount: outcome.refundDeduction,
        reason: `the ${row.templateId} voucher's discount, which what is left of the sale no longer earns`,
        facts: { templateId: row.templateId },
      });
      await ctx.emit(
        'voucher.charged-back',
        {
          voucherId: row.id,
          customerId: row.customerId,
          purchaseId: ids.purchaseId,
          returnId: ids.returnId,
          amount: outcome.refundDeduction,
        },
        { customerId: row.customerId },
      );
    }
    if (outcome.action === 'none') return;
    const restore = outcome.action === 'restore';
    const next = await moveVoucher(ctx, current, {
      kind: restore ? 'restored' : 'expired',
      status: restore ? 'active' : 'expired',
      set: { purchaseId: null, discount: 0, chargedBack: 0 },
      amount: restore ? current.discount : 0,
      ref,
      details: { purchaseId: ids.purchaseId, ...(restore ? {} : { reason: 'its sale was undone after it expired' }) },
    });
    if (!next) throw lost();
    if (restore) refund?.settle({ via: 'voucher', method, reference: row.code, amount: current.discount });
    if (restore)
      await ctx.emit(
        'voucher.restored',
        {
          voucherId: row.id,
          customerId: row.customerId,
          purchaseId: ids.purchaseId,
          returnId: ids.returnId,
          amount: current.discount,
        },
        { customerId: row.customerId },
      );
    else
      await ctx.emit(
        'voucher.expired',
        { voucherId: row.id, customerId: row.customerId },
        { customerId: row.customerId },
      );
  }

  async function undo(
    ctx: LoyaltyContext,
    purchaseId: string,
    returnId: string | null,
    refund: RefundCollector | null,
  ): Promise<void> {
    const redeemed = await redeemedFor(ctx.tx, purchaseId);
    if (redeemed.length === 0) return;
    const purchase = await ctx.tx.get(purchasesCollection, purchaseId);
    if (!purchase) return;
    const outcomes = voucherOutcomes(redeemed, {
      remaining: remainingOf(await saleLines(ctx.tx, purchaseId)),
      whole: returnId === null || purchase.refundedTotal >= purchase.total,
      // What earlier handlers (points already spent) kept back is not there to charge again.
      refund: refund ? refund.afterDeductions() : 0,
      at: ctx.now,
    });
    for (const { row, outcome } of outcomes) await apply(ctx, row, outcome, { purchaseId, returnId }, refund);
  }

  const handlers: LoyaltyHandler[] = [{ event: 'purchase.recorded', run: onRecorded }];
  const refunds: LoyaltyRefundStep[] = [
    {
      order: REFUND_ORDER.vouchers,
      onReturn: (ctx, e, refund) => undo(ctx, e.purchaseId, e.returnId, refund),
      onVoid: (ctx, e) => undo(ctx, e.purchaseId, null, null),
    },
  ];
  return { handlers, refunds };
}
