/**
 * Running again what lost a race: a transaction that InnoDB chose as a deadlock's victim (1213) or
 * whose lock wait timed out (1205), or that found a row it had read changed under it, is rolled back
 * whole and run again from the start, a bounded number of times, after a randomised, growing pause that
 * lets the racers drift apart (as on PostgreSQL).
 */
import { ConflictError, isClienteleError } from '@clientele/core/adapter';
import { RowChangedSinceRead, isRetryable } from './errors.js';

/** How often and how patiently a transaction that lost a race is run again. */
export interface RetryPolicy {
  /** Attempts in all, the first included (1: never run again). Default 10. */
  attempts?: number;
  /** The pause before the second attempt, in milliseconds; it doubles for each attempt after. Default 2. */
  baseDelayMs?: number;
  /** The longest pause, in milliseconds. Default 100. */
  maxDelayMs?: number;
}

/** A policy with every value filled in. */
export type ResolvedRetryPolicy = Required<RetryPolicy>;

/** The defaults: ten attempts over at most about half a second of pauses. */
export const DEFAULT_RETRY: ResolvedRetryPolicy = Object.freeze({ attempts: 10, baseDelayMs: 2, maxDelayMs: 100 });

/** Whether `error` (a driver error or one the session translated) means the attempt lost a race. */
export function lostRace(error: unknown): boolean {
  if (isRetryable(error)) return true;
  if (!isClienteleError(error, 'CONFLICT') || (error as ConflictError).reason !== 'serialization') return false;
  const cause = (error as ConflictError).cause;
  return isRetryable(cause) || cause instanceof RowChangedSinceRead;
}

/** The pause before attempt `attempt + 1`: "full jitter", a random time up to the capped exponential bound. */
export function retryDelay(policy: ResolvedRetryPolicy, attempt: number): number {
  return Math.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
}

/** The error for a transaction that lost every attempt. */
export function gaveUp(cause: unknown, attempts: number): ConflictError {
  return new ConflictError(
    'serialization',
    `the transaction kept clashing with concurrent ones and was given up after ${attempts} ` +
      `attempt${attempts === 1 ? '' : 's'}; nothing was written`,
    { attempts },
    { cause },
  );
}

/** Waits `ms` milliseconds. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
