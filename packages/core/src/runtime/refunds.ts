/**
 * Giving a sale back: the steps modules declare for returns and voids, run by core in a fixed order,
 * and the collector through which a return's steps charge part of the refund back or give it back
 * through their own tenders. Kept out of the generic command context: only a return has a refund.
 */
import { InvalidStateError } from '../errors.js';
import type { CoreEvents } from '../events.js';
import { settleRefund, settledMoney, type SettledTender } from '../model/purchase-math.js';
import type { EventMap } from './events.js';
import type { CommandContext, RefundDeduction } from './module.js';

/**
 * The places of the built-in steps. Charges and in-kind tenders come first (points already spent,
 * a voucher's discount no longer earned, points and vouchers given back as themselves), then money
 * tenders, which take what is left: cards, then a sale on account. A module of your own picks a
 * number between them.
 */
export const REFUND_ORDER = { points: 100, vouchers: 200, cards: 300, account: 400 } as const;

/**
 * What a return's steps add to it, in the order the steps run. Core makes one per return and turns
 * it into the return's deductions and tenders after the last step.
 */
export interface RefundCollector {
  /** The refund of the returned lines before anything is kept back, minor units. */
  readonly amount: number;
  /**
   * Charges part of the refund back to the customer (points the returned goods earned and were
   * already spent, a voucher's discount the rest of the basket no longer earns). A zero amount adds nothing.
   */
  deduct(deduction: RefundDeduction): void;
  /**
   * Records that the step gave part of the refund back through its own tender (credited a card,
   * restored points, made a voucher active again); the till pays only the rest. A zero amount adds nothing.
   */
  settle(tender: SettledTender): void;
  /** The charges so far, in the order they were made. */
  deductions(): readonly RefundDeduction[];
  /** The tenders settled so far, in the order they were settled. */
  tenders(): readonly SettledTender[];
  /** The refund less the charges so far, each cut to what was left of it. */
  afterDeductions(): number;
  /** The money still to give back: the refund less the charges (each cut to what was left) and less money already settled. */
  left(): number;
}

/**
 * A module's part in giving a sale back, declared in its setup's `refunds`. Core runs the steps of
 * every module by `order` (lower first; equal orders in module order) inside the return's or void's
 * transaction, after the `purchase.returned` or `purchase.voided` event's handlers.
 */
export interface RefundStep<E extends EventMap = CoreEvents> {
  /** Where it runs among the others; see {@link REFUND_ORDER}. */
  readonly order: number;
  /** Some of a sale's lines came back: take back what they earned, and charge or settle through `refund`. */
  onReturn?(ctx: CommandContext<E>, event: CoreEvents['purchase.returned'], refund: RefundCollector): Promise<void>;
  /** A whole sale was voided: give back everything the module took for it. */
  onVoid?(ctx: CommandContext<E>, event: CoreEvents['purchase.voided']): Promise<void>;
}

/** Orders the steps of every module (a stable sort: equal orders keep module order). */
export function orderRefundSteps<S extends { readonly order: number }>(steps: readonly S[]): S[] {
  return steps.map((step, at) => ({ step, at })).sort((a, b) => a.step.order - b.step.order || a.at - b.at).map((s) => s.step);
}

/** A collector for a return of `amount`. */
export function createRefundCollector(amount: number): RefundCollector {
  const deductions: RefundDeduction[] = [];
  const tenders: SettledTender[] = [];
  return {
    amount,
    deduct(deduction) {
      // A module's own bug, not the caller's input: fail the command rather than refund wrongly.
      if (!Number.isSafeInteger(deduction.amount) || deduction.amount < 0) {
        throw new InvalidStateError(`refund deduction of ${deduction.source} must be a whole number of minor units, not ${deduction.amount}`);
      }
      if (deduction.amount > 0) deductions.push({ ...deduction });
    },
    settle(tender) {
      if (!Number.isSafeInteger(tender.amount) || tender.amount < 0) throw new InvalidStateError(`a refund through ${tender.method} must be a whole number of minor units, not ${tender.amount}`);
      if (tender.amount > 0) tenders.push({ ...tender });
    },
    deductions: () => deductions.slice(),
    tenders: () => tenders.slice(),
    afterDeductions: () => settleRefund(amount, deductions).payable,
    left: () => settleRefund(amount, deductions).payable - settledMoney(tenders),
  };
}
