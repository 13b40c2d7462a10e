/**
 * The till's decisions that need no I/O: whether a failure means central is out of reach (send again
 * later) or refused the operation (a person must settle it), whether an offline allowance covers a
 * sale's points or stored value, and the offline quote from the cache, explained as central explains it.
 */
import { ClienteleError, isClienteleError } from '@clientele/core';
import {
  explainQuote,
  quote,
  type Basket,
  type CompiledProgram,
  type Quote,
  type QuoteContext,
} from '@clientele/loyalty';

/**
 * Whether an error means central could not be asked (unreachable, too slow, failing, or still
 * busy with the same request): the operation stays queued and is sent again with the same key.
 */
export function isTransient(error: unknown): boolean {
  if (!isClienteleError(error)) return true;
  if (error.code === 'STORE_UNAVAILABLE') return true;
  // The same key still running on central: the first request will finish; ask again.
  return error.code === 'CONFLICT' && error.details['reason'] === 'in_flight';
}

/** The code and reason a refusal is filed under in the reconciliation list. */
export function refusalOf(error: unknown): { code: string; reason: string | null; message: string } {
  if (!isClienteleError(error)) return { code: 'INTERNAL', reason: null, message: String(error) };
  const d = error.details;
  const issues = d['issues'] as Array<{ code?: string }> | undefined;
  const reason = (d['reason'] ?? d['status'] ?? issues?.[0]?.code ?? null) as string | null;
  return { code: error.code, reason: reason === null ? null : String(reason), message: error.message };
}

/** An offline allowance as the till tracks it: what is left of it here. */
export interface LocalAllowance {
  id: string;
  customerId: string;
  /** Points left to spend offline at this terminal. */
  points: number;
  expiresAt: string;
}

/** Stored value of one card central reserved for this terminal to spend offline: what is left of it here. */
export interface LocalCardAllowance {
  id: string;
  /** The stored-value card. */
  cardNumber: string;
  /** What may still be spent of it offline at this terminal (minor units). */
  amount: number;
  expiresAt: string;
}

/**
 * Refuses with `INSUFFICIENT_BALANCE` what an allowance does not cover at `now`: reason
 * `no_offline_allowance` when there is none or it has lapsed, `offline_allowance_exceeded` past it.
 */
function requireWithin(
  left: { amount: number; expiresAt: string } | null,
  requested: number,
  now: Date,
  words: { what: string; only: (left: number) => string; path: string[] },
): void {
  const lapsed = left !== null && Date.parse(left.expiresAt) <= now.getTime();
  if (!left || lapsed)
    throw new ClienteleError(
      'INSUFFICIENT_BALANCE',
      `no offline allowance${lapsed ? ' in time' : ''} for this card at this terminal: ` +
        `no ${words.what} can be spent offline`,
      { reason: 'no_offline_allowance', requested, allowed: 0, path: words.path },
    );
  if (left.amount < requested)
    throw new ClienteleError(
      'INSUFFICIENT_BALANCE',
      `${words.only(left.amount)} may be spent offline at this terminal, the sale asks for ${requested}`,
      { reason: 'offline_allowance_exceeded', requested, allowed: left.amount, path: words.path },
    );
}

/**
 * Checks that an allowance covers `points` at `now`; refuses with `INSUFFICIENT_BALANCE` (reason
 * `offline_allowance_exceeded`, or `no_offline_allowance` when there is none or it has lapsed).
 */
export function checkAllowance(allowance: LocalAllowance | null, points: number, now: Date): LocalAllowance {
  requireWithin(allowance && { amount: allowance.points, expiresAt: allowance.expiresAt }, points, now, {
    what: 'points',
    only: (left) => `only ${left} points`,
    path: ['points'],
  });
  return allowance!;
}

/**
 * Checks that a stored-value allowance covers `amount` at `now`; refuses as {@link checkAllowance}
 * does, with the path `storedValue.amount`.
 */
export function checkCardAllowance(
  allowance: LocalCardAllowance | null,
  amount: number,
  now: Date,
): LocalCardAllowance {
  requireWithin(allowance, amount, now, {
    what: 'stored value',
    only: (left) => `only ${left} of card ${allowance!.cardNumber}`,
    path: ['storedValue', 'amount'],
  });
  return allowance!;
}

/** A voucher central holds for this terminal, as the till keeps it. */
export interface HeldVoucher {
  code: string;
  display: string;
  holdId: string;
  heldUntil: string;
}

/**
 * Checks that a voucher may be redeemed offline: central holds it for this terminal until after
 * `now`. Refuses with `INVALID_STATE`, reason `voucher_not_held_here`: a single-use voucher not held
 * here could be redeemed at another till at the same time.
 */
export function checkVoucherHeld(held: HeldVoucher | null, code: string, now: Date): HeldVoucher {
  if (!held || Date.parse(held.heldUntil) <= now.getTime())
    throw new ClienteleError(
      'INVALID_STATE',
      `voucher ${code} is not held for this terminal${held ? ' any more' : ''}: it cannot be redeemed offline`,
      { reason: 'voucher_not_held_here', path: ['voucher', 'code'] },
    );
  return held;
}

/**
 * The quote of a basket from the cached context, as at `at`: the same pure function central runs,
 * so the points and their explanation are what central gives for the same context. Counters of caps
 * and budgets are as of when the context was cached.
 */
export function offlineQuote(
  program: CompiledProgram,
  basket: Basket,
  context: Record<string, unknown> | null,
  at: Date,
  storeId: string,
  timeZone: string,
): { quote: Quote; explanation: string[] } {
  const base: QuoteContext = context
    ? { ...(context as QuoteContext), at }
    : { at, storeId, timeZone, customerId: null };
  const q = quote(program, basket, base);
  return { quote: q, explanation: explainQuote(q, program.money) };
}
