/**
 * Pure sale arithmetic in integer minor units: line amounts from thousandths of a unit, totals,
 * and refunds that add up exactly to the line amount however a line is returned in parts.
 */

/** Quantity (up to three decimals) as integer thousandths; `null` when it has more decimals. */
export function toMilli(quantity: number): number | null {
  const milli = Math.round(quantity * 1000);
  return Math.abs(milli - quantity * 1000) < 1e-6 ? milli : null;
}

/** Thousandths back to a quantity. */
export function fromMilli(milli: number): number {
  return milli / 1000;
}

/** `a * b / c` rounded half up, exact for any safe integers (BigInt inside). */
export function mulDivHalfUp(a: number, b: number, c: number): number {
  if (c <= 0) throw new RangeError('divisor must be positive');
  const n = BigInt(a) * BigInt(b);
  const d = BigInt(c);
  return Number((2n * n + d) / (2n * d));
}

/** A line's price before its discount: quantity × unit price, half up to the minor unit. */
export function lineGross(quantityMilli: number, unitPrice: number): number {
  return mulDivHalfUp(quantityMilli, unitPrice, 1000);
}

/** Totals of a sale's lines. */
export function saleTotals(lines: ReadonlyArray<{ gross: number; discount: number }>): {
  subtotal: number;
  discountTotal: number;
  total: number;
} {
  let subtotal = 0;
  let discountTotal = 0;
  for (const l of lines) {
    subtotal += l.gross;
    discountTotal += l.discount;
  }
  return { subtotal, discountTotal, total: subtotal - discountTotal };
}

/**
 * The refund for returning `nowMilli` more of a line of which `beforeMilli` was already returned:
 * the difference of the cumulative proportional amounts, so every way of returning the whole line
 * refunds exactly its amount.
 */
export function refundFor(amount: number, quantityMilli: number, beforeMilli: number, nowMilli: number): number {
  return mulDivHalfUp(amount, beforeMilli + nowMilli, quantityMilli) - mulDivHalfUp(amount, beforeMilli, quantityMilli);
}

/**
 * What a return pays once modules' deductions are taken off: deductions in the order they came, each
 * cut to what is left of the refund (the customer is never asked to pay in), and the rest.
 */
export function settleRefund<D extends { amount: number }>(
  amount: number,
  deductions: readonly D[],
): { deductions: D[]; payable: number } {
  let left = amount;
  const kept: D[] = [];
  for (const d of deductions) {
    const take = Math.min(d.amount, left);
    if (take <= 0) continue;
    kept.push(take === d.amount ? d : { ...d, amount: take });
    left -= take;
  }
  return { deductions: kept, payable: left };
}

/** A part of a refund a module gave back through its own tender (a card, points, a voucher). */
export interface SettledTender {
  via: 'card' | 'points' | 'voucher' | 'account';
  method: string;
  reference: string | null;
  amount: number;
  points?: number;
}

/** The money modules already gave back through their own tenders (vouchers come back as themselves). */
export function settledMoney(settled: readonly SettledTender[]): number {
  return settled.filter((t) => t.via !== 'voucher').reduce((s, t) => s + t.amount, 0);
}

/** What {@link allocateRefund} decides. */
export interface RefundAllocation<T> {
  /** Every tender, the settled ones first, then what the till pays, in the order of the sale's payments. */
  tenders: T[];
  /** Money back to the customer: cards, points and the till (vouchers come back as themselves). */
  payable: number;
  /** What the till pays. */
  dueAtTill: number;
}

/**
 * Splits what a return gives back across tenders. Modules have already given back through their own
 * tenders (`settled`); the rest of `want` (the refund less what was kept back) goes to the sale's other
 * payments in order, each never more than it paid less what earlier returns paid back at the till
 * (`tillBefore`), so a sale whose card was already refunded outside a return pays nothing on top. A
 * sale recorded without payments is paid back at the till as `cash`, up to its total.
 */
export function allocateRefund(input: {
  want: number;
  settled: readonly SettledTender[];
  payments: ReadonlyArray<{ method: string; amount: number; reference: string | null }>;
  /** Payment methods modules give back themselves: never paid at the till. */
  moduleMethods: ReadonlySet<string>;
  total: number;
  tillBefore: number;
}): RefundAllocation<
  | (SettledTender & { settled: boolean })
  | { via: 'till'; method: string; reference: string | null; amount: number; settled: false }
> {
  const moduleMoney = settledMoney(input.settled);
  let rest = Math.max(0, input.want - moduleMoney);
  const till = input.payments.length
    ? input.payments.filter((p) => !input.moduleMethods.has(p.method))
    : [{ method: 'cash', amount: input.total, reference: null }];
  const out: Array<
    | (SettledTender & { settled: boolean })
    | { via: 'till'; method: string; reference: string | null; amount: number; settled: false }
  > = input.settled.filter((t) => t.amount > 0).map((t) => ({ ...t, settled: true }));
  // Earlier returns used the till payments in this same order: skip what they paid back.
  let skip = input.tillBefore;
  let dueAtTill = 0;
  for (const p of till) {
    const used = Math.min(skip, p.amount);
    skip -= used;
    const take = Math.min(rest, p.amount - used);
    if (take <= 0) continue;
    out.push({ via: 'till', method: p.method, reference: p.reference, amount: take, settled: false });
    rest -= take;
    dueAtTill += take;
  }
  return { tenders: out, payable: moduleMoney + dueAtTill, dueAtTill };
}
