/**
 * The till's decisions that need no I/O: whether a failure means central is out of reach (send again
 * later) or refused the operation (a person must settle it), whether an offline allowance covers a
 * sale's points, and the offline quote from the cache, explained as central explains it.
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

/**
 * Checks that an allowance covers `points` at `now`; refuses with `INSUFFICIENT_BALANCE` (reason
 * `offline_allowance_exceeded`, or `no_offline_allowance` when there is none or it has lapsed).
 */
export function checkAllowance(allowance: LocalAllowance | null, points: number, now: Date): LocalAllowance {
  const lapsed = allowance !== null && Date.parse(allowance.expiresAt) <= now.getTime();
  if (!allowance || lapsed)
    throw new ClienteleError(
      'INSUFFICIENT_BALANCE',
      `no offline allowance${lapsed ? ' in time' : ''} for this card at this terminal: no points can be spent offline`,
      { reason: 'no_offline_allowance', requested: points, allowed: 0, path: ['points'] },
    );
  if (allowance.points < points)
    throw new ClienteleError(
      'INSUFFICIENT_BALANCE',
      `only ${allowance.points} points may be spent offline at this terminal, the sale asks for ${points}`,
      { reason: 'offline_allowance_exceeded', requested: points, allowed: allowance.points, path: ['points'] },
    );
  return allowance;
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
