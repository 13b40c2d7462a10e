/**
 * Giving a sale back: the order of modules' refund steps and the collector through which a return's
 * steps charge part of the refund back or give it back through their own tenders (the types are in
 * `module.ts`). Kept out of the generic command context: only a return has a refund.
 */
import { InvalidStateError } from '../errors.js';
import { settleRefund, settledMoney, type SettledTender } from '../model/purchase-math.js';
import type { RefundCollector, RefundDeduction } from './module.js';

/**
 * The places of the built-in steps. Charges and in-kind tenders come first (points already spent,
 * a voucher's discount no longer earned, points and vouchers given back as themselves), then money
 * tenders, which take what is left: cards, then a sale on account. A module of your own picks a
 * number between them.
 */
export const REFUND_ORDER = { points: 100, vouchers: 200, cards: 300, account: 400 } as const;

/** Orders the steps of every module; the sort is stable, so equal orders keep module order. */
export function orderRefundSteps<S extends { readonly order: number }>(steps: readonly S[]): S[] {
  return [...steps].sort((a, b) => a.order - b.order);
}

/** A collector for a return of `amount`. */
export function createRefundCollector(amount: number): RefundCollector {
  const deductions: RefundDeduction[] = [];
  const tenders: SettledTender[] = [];
  const afterDeductions = () => settleRefund(amount, deductions).payable;
  return {
    amount,
    deduct(deduction) {
      // A module's own bug, not the caller's input: fail the command rather than refund wrongly.
      if (!Number.isSafeInteger(deduction.amount) || deduction.amount < 0) {
        throw new InvalidStateError(
          `refund deduction of ${deduction.source} must be a whole number of minor units, not ${deduction.amount}`,
        );
      }
      if (deduction.amount > 0) deductions.push({ ...deduction });
    },
    settle(tender) {
      if (!Number.isSafeInteger(tender.amount) || tender.amount < 0)
        throw new InvalidStateError(
          `a refund through ${tender.method} must be a whole number of minor units, not ${tender.amount}`,
        );
      if (tender.amount > 0) tenders.push({ ...tender });
    },
    deductions: () => deductions.slice(),
    tenders: () => tenders.slice(),
    afterDeductions,
    left: () => afterDeductions() - settledMoney(tenders),
  };
}
