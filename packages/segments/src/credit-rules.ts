/**
 * Credit for organisations buying on account, as pure rules: what a sale on account may do when it
 * would pass the limit, how payments settle the oldest charges first, and the A-D rating from the
 * payment history.
 */
import { millisecondsInDay } from 'date-fns/constants';

/** What happens when a sale on account would take the balance past the limit. */
export type CreditMode = 'block' | 'warn' | 'approve';

/** The outcome of a credit check. */
export type CreditDecision = 'ok' | 'warn' | 'approval-required' | 'blocked';

/** The check of one amount against an account. */
export interface CreditCheck {
  decision: CreditDecision;
  limit: number;
  outstanding: number;
  /** Outstanding after the sale. */
  after: number;
  /** Credit left before the sale (never negative). */
  available: number;
  /** By how much the sale would pass the limit (0 within it). */
  excess: number;
}

/** Checks a sale of `amount` on account against the limit. */
export function checkCredit(
  account: { limit: number; outstanding: number; mode: CreditMode; onHold: boolean },
  amount: number,
): CreditCheck {
  const after = account.outstanding + amount;
  const excess = account.onHold ? amount : Math.max(0, after - account.limit);
  const base = {
    limit: account.limit,
    outstanding: account.outstanding,
    after,
    available: Math.max(0, account.limit - account.outstanding),
    excess,
  };
  if (excess === 0) return { decision: 'ok', ...base };
  if (account.onHold) return { decision: 'blocked', ...base };
  return {
    decision: account.mode === 'block' ? 'blocked' : account.mode === 'warn' ? 'warn' : 'approval-required',
    ...base,
  };
}

/** An open or settled charge (a sale on account). */
export interface ChargeState {
  id: string;
  amount: number;
  /** Settled so far by payments and credit notes. */
  settled: number;
  at: Date;
  dueAt: Date;
  /** When it was settled in full. */
  settledAt: Date | null;
}

/** How an amount settles charges, oldest first: the amount taken from each. */
export function allocate(
  open: readonly ChargeState[],
  amount: number,
): Array<{ id: string; take: number; full: boolean }> {
  const out: Array<{ id: string; take: number; full: boolean }> = [];
  let left = amount;
  const ordered = [...open].sort(
    (a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a.at.getTime() - b.at.getTime() || (a.id < b.id ? -1 : 1),
  );
  for (const c of ordered) {
    if (left <= 0) break;
    const due = c.amount - c.settled;
    if (due <= 0) continue;
    const take = Math.min(due, left);
    out.push({ id: c.id, take, full: take === due });
    left -= take;
  }
  return out;
}

/** Thresholds of the A-D rating. */
export interface RatingRules {
  /** Least on-time share (of settled charges) and most days overdue now, per rating; D is the rest. */
  A: { onTime: number; maxDaysOverdue: number };
  B: { onTime: number; maxDaysOverdue: number };
  C: { onTime: number; maxDaysOverdue: number };
}

/** The default rating rules. */
export const DEFAULT_RATING_RULES: RatingRules = {
  A: { onTime: 0.95, maxDaysOverdue: 0 },
  B: { onTime: 0.8, maxDaysOverdue: 30 },
  C: { onTime: 0.5, maxDaysOverdue: 90 },
};

/** A payment history in figures, and the rating it earns. */
export interface CreditRating {
  /** `null` until there is a history (a settled charge or one overdue). */
  rating: 'A' | 'B' | 'C' | 'D' | null;
  /** Share of settled charges settled by their due date (1 with none settled). */
  onTimeShare: number;
  settledCharges: number;
  /** Days the oldest unpaid charge is past due (0 when none is). */
  daysOverdue: number;
  /** Unpaid amount past due. */
  overdueAmount: number;
}

/** Rates a payment history at `now`. */
export function rateCredit(
  charges: readonly ChargeState[],
  now: Date,
  rules: RatingRules = DEFAULT_RATING_RULES,
): CreditRating {
  let settled = 0;
  let onTime = 0;
  let daysOverdue = 0;
  let overdueAmount = 0;
  for (const c of charges) {
    if (c.settledAt !== null) {
      settled++;
      if (c.settledAt.getTime() <= c.dueAt.getTime()) onTime++;
    } else if (c.dueAt.getTime() < now.getTime() && c.amount > c.settled) {
      daysOverdue = Math.max(daysOverdue, Math.floor((now.getTime() - c.dueAt.getTime()) / millisecondsInDay));
      overdueAmount += c.amount - c.settled;
    }
  }
  const onTimeShare = settled ? onTime / settled : 1;
  let rating: CreditRating['rating'] = null;
  if (settled > 0 || overdueAmount > 0) {
    rating = 'D';
    for (const r of ['A', 'B', 'C'] as const) {
      if (onTimeShare >= rules[r].onTime && daysOverdue <= rules[r].maxDaysOverdue) {
        rating = r;
        break;
      }
    }
  }
  return { rating, onTimeShare, settledCharges: settled, daysOverdue, overdueAmount };
}
