/**
 * Whether a voucher applies to a basket and what it takes off, why it does not, what its entries say
 * its state is, and what a return does to it. Pure: the till's list of usable vouchers, the checkout
 * and a web POS offline all decide with these functions.
 */
import {
  type ClienteleError,
  InvalidStateError,
  NotFoundError,
  ValidationError,
  divideRounded,
  isClienteleError,
} from '@clientele/core/module';
import type { VoucherEntryKind } from './collections.js';
import type { VoucherTerms, VoucherValue } from './voucher-templates.js';

/** Voucher states. */
export const VOUCHER_STATUSES = ['active', 'held', 'redeemed', 'expired', 'cancelled'] as const;
/** A voucher's state. */
export type VoucherStatus = (typeof VOUCHER_STATUSES)[number];

/**
 * Why a voucher cannot be used, as a cashier screen translates it. Each maps to one error code:
 * `malformed_code`, `check_character`, `wrong_store`, `below_minimum_spend`, `no_eligible_items`,
 * `another_customer`, `member_only`, `not_stackable`, `amount_mismatch` are `VALIDATION_FAILED`;
 * `unknown_code` is `NOT_FOUND`; `redeemed`, `held`, `expired`, `not_yet_valid`, `cancelled` are
 * `INVALID_STATE`.
 */
export const VOUCHER_REASONS = [
  'malformed_code',
  'check_character',
  'unknown_code',
  'redeemed',
  'held',
  'expired',
  'not_yet_valid',
  'cancelled',
  'wrong_store',
  'below_minimum_spend',
  'no_eligible_items',
  'another_customer',
  'member_only',
  'not_stackable',
  'amount_mismatch',
] as const;
/** Why a voucher cannot be used. */
export type VoucherReason = (typeof VOUCHER_REASONS)[number];

const STATE_REASONS: ReadonlySet<VoucherReason> = new Set([
  'redeemed',
  'held',
  'expired',
  'not_yet_valid',
  'cancelled',
]);

const MESSAGES: Record<VoucherReason, string> = {
  malformed_code: 'the voucher code was mistyped',
  check_character: 'the check character does not match: the code was mistyped',
  unknown_code: 'no voucher has this code',
  redeemed: 'the voucher has been used',
  held: 'the voucher is held at another till',
  expired: 'the voucher has expired',
  not_yet_valid: 'the voucher is not valid yet',
  cancelled: 'the voucher was cancelled',
  wrong_store: 'the voucher is not taken at this store',
  below_minimum_spend: 'the basket is under the voucher’s minimum spend',
  no_eligible_items: 'nothing in the basket is of a category the voucher applies to',
  another_customer: 'the voucher belongs to another customer',
  member_only: 'the voucher belongs to a member: record the sale for that member',
  not_stackable: 'the voucher cannot be combined with other vouchers',
  amount_mismatch: 'the voucher payment is not what the voucher takes off this basket',
};

/**
 * The typed error for a refusal: `details.reason` always names it (and, for `VALIDATION_FAILED`,
 * so does the issue's `code`), `path` the input at fault.
 */
export function voucherRefusal(
  reason: VoucherReason,
  path: ReadonlyArray<string | number>,
  details: Record<string, unknown> = {},
  message = MESSAGES[reason],
): ClienteleError {
  if (reason === 'unknown_code')
    return new NotFoundError('voucher', details['code'] ?? '', { path, reason, ...details });
  if (STATE_REASONS.has(reason)) return new InvalidStateError(message, { path, reason, ...details });
  const e = new ValidationError([{ path, code: reason, message }]);
  Object.assign(e.details as Record<string, unknown>, details, { reason });
  return e;
}

/**
 * The reason a cashier screen shows for a refused voucher or card operation: `details.reason`, or
 * the first validation issue's code. `null` for errors that are not refusals of this kind.
 */
export function refusalReason(error: unknown): string | null {
  if (!isClienteleError(error)) return null;
  const reason = error.details['reason'];
  if (typeof reason === 'string') return reason;
  const issues = (error as { issues?: ReadonlyArray<{ code: string }> }).issues;
  return issues?.[0]?.code ?? null;
}

/** What a voucher takes off `eligible` minor units of goods. */
export function discountOf(value: VoucherValue, eligible: number): number {
  if (eligible <= 0) return 0;
  if (value.kind === 'amount') return Math.min(value.amount, eligible);
  return Math.min(value.max, divideRounded(eligible * value.percent, 100, 'floor'));
}

/** One line of a basket as the voucher rules read it: its category and what it costs (minor units). */
export interface VoucherLine {
  category: string;
  amount: number;
}

/** Whether a line counts towards a voucher. */
export function appliesToLine(
  terms: Pick<VoucherTerms, 'categories' | 'excludeCategories'>,
  category: string,
): boolean {
  if (terms.excludeCategories.includes(category)) return false;
  return terms.categories === null || terms.categories.includes(category);
}

/** The part of a basket a voucher applies to. */
export function eligibleAmount(
  terms: Pick<VoucherTerms, 'categories' | 'excludeCategories'>,
  lines: readonly VoucherLine[],
): number {
  let sum = 0;
  for (const l of lines) if (appliesToLine(terms, l.category)) sum += l.amount;
  return sum;
}

/** A voucher as the rules see it. */
export interface VoucherFacts {
  customerId: string | null;
  status: VoucherStatus;
  terms: VoucherTerms;
  validFrom: Date;
  validUntil: Date;
  /** Where it is held, while it is. */
  hold?: { storeId: string | null; terminalId: string | null; until: Date | null } | null;
}

/** Where and for whom a voucher would be used. */
export interface VoucherUse {
  at: Date;
  storeId: string;
  /** The terminal asking (a held voucher may be used only at the till holding it). */
  terminalId?: string | null;
  /** The buyer (null: an anonymous sale). */
  customerId: string | null;
  lines: readonly VoucherLine[];
  /** Other vouchers used in the same sale (stacking needs every one of them to allow it). */
  others?: ReadonlyArray<{ stackable: boolean }>;
}

/** Whether a voucher applies, what it takes off, and every reason it does not. */
export interface VoucherCheck {
  applies: boolean;
  /** What it takes off the basket (0 when it does not apply). */
  discount: number;
  /** The part of the basket it applies to. */
  eligible: number;
  reasons: VoucherReason[];
}

/** Checks a voucher against a basket at a store, for a buyer, at an instant. */
export function checkVoucher(v: VoucherFacts, use: VoucherUse): VoucherCheck {
  const reasons: VoucherReason[] = [];
  const t = use.at.getTime();
  if (v.status === 'held') {
    const h = v.hold;
    const mine =
      h &&
      h.storeId === use.storeId &&
      (use.terminalId ?? null) === h.terminalId &&
      (h.until === null || h.until.getTime() > t);
    if (!mine) reasons.push('held');
  } else if (v.status !== 'active')
    reasons.push(v.status === 'redeemed' ? 'redeemed' : v.status === 'expired' ? 'expired' : 'cancelled');
  if (v.status === 'active' || v.status === 'held') {
    if (t >= v.validUntil.getTime()) reasons.push('expired');
    else if (t < v.validFrom.getTime()) reasons.push('not_yet_valid');
  }
  if (v.customerId !== null) {
    if (use.customerId === null) reasons.push('member_only');
    else if (use.customerId !== v.customerId) reasons.push('another_customer');
  }
  if (v.terms.stores !== null && !v.terms.stores.includes(use.storeId)) reasons.push('wrong_store');
  const eligible = eligibleAmount(v.terms, use.lines);
  if (eligible === 0) reasons.push('no_eligible_items');
  else if (eligible < v.terms.minSpend) reasons.push('below_minimum_spend');
  const others = use.others ?? [];
  if (others.length > 0 && (!v.terms.stackable || others.some((o) => !o.stackable))) reasons.push('not_stackable');
  const applies = reasons.length === 0;
  return { applies, discount: applies ? discountOf(v.terms.value, eligible) : 0, eligible, reasons };
}

const NEXT: Record<VoucherEntryKind, VoucherStatus | null> = {
  issued: 'active',
  held: 'held',
  released: 'active',
  redeemed: 'redeemed',
  restored: 'active',
  'charged-back': null,
  expired: 'expired',
  cancelled: 'cancelled',
};

/** A voucher's state from its entries, in `seq` order (what the cached row must always say). */
export function voucherStatusOf(entries: ReadonlyArray<{ kind: string }>): VoucherStatus | null {
  let status: VoucherStatus | null = null;
  for (const e of entries) status = NEXT[e.kind as VoucherEntryKind] ?? status;
  return status;
}

/** What a return or a void does to a voucher that paid for the sale. */
export interface ReturnOutcome {
  /** `restore`: the voucher comes back; `expire`: it would, but its time is over; `none`: it stays used. */
  action: 'restore' | 'expire' | 'none';
  /** Money not to pay out of this refund because the voucher paid for it (minor units). */
  refundDeduction: number;
}

/**
 * Works out a return against a redeemed voucher: a full return (or a void) restores it while it is
 * valid; a partial return that leaves the eligible goods under the minimum spend follows the
 * template's rule. `refund` is this return's refund; a void has none to deduct from.
 */
export function returnOutcome(input: {
  terms: VoucherTerms;
  /** What the voucher took off the sale, and what has been charged back of it already. */
  discount: number;
  chargedBack: number;
  /** The eligible goods the customer keeps after this return. */
  remaining: number;
  /** Whether nothing of the sale is left (or it was voided). */
  whole: boolean;
  refund: number;
  stillValid: boolean;
}): ReturnOutcome {
  const open = Math.max(0, input.discount - input.chargedBack);
  const deduct = Math.min(open, Math.max(0, input.refund));
  if (input.whole) return { action: input.stillValid ? 'restore' : 'expire', refundDeduction: deduct };
  const below = input.remaining === 0 || input.remaining < input.terms.minSpend;
  if (!below) return { action: 'none', refundDeduction: 0 };
  switch (input.terms.belowMinimumOnReturn) {
    case 'keep':
      return { action: 'none', refundDeduction: 0 };
    case 'deduct':
      return { action: 'none', refundDeduction: deduct };
    case 'restore':
      return { action: input.stillValid ? 'restore' : 'expire', refundDeduction: deduct };
  }
}
