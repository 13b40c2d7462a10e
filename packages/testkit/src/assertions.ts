/** Assertions on typed store errors, with messages that say what the adapter did instead. */
import { isClienteleError } from '@clientele/core/adapter';
import type { ConflictReason, ErrorCode } from '@clientele/core/adapter';
import { expect } from 'vitest';

/** A short description of whatever was thrown, for failure messages. */
export function describeError(error: unknown): string {
  if (isClienteleError(error))
    return `ClienteleError ${error.code} (${JSON.stringify(error.details['reason'] ?? null)}): ${error.message}`;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return `a non-error value: ${String(error)}`;
}

/** Awaits `promise`, which must reject, and returns what it rejected with. */
export async function rejection(promise: Promise<unknown>, what: string): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error(`${what}: expected a rejection, but the call resolved`);
}

/** `promise` must reject with a Clientele error of `code`. */
export async function expectCode(promise: Promise<unknown>, code: ErrorCode, what: string): Promise<void> {
  const error = await rejection(promise, what);
  expect(isClienteleError(error, code), `${what}: expected ${code}, got ${describeError(error)}`).toBe(true);
}

/** `error` must be a `ConflictError` (code `CONFLICT`) with `reason`. */
export function assertConflict(error: unknown, reason: ConflictReason, what: string): void {
  expect(
    isClienteleError(error, 'CONFLICT'),
    `${what}: expected CONFLICT (${reason}), got ${describeError(error)}`,
  ).toBe(true);
  if (isClienteleError(error)) {
    expect(error.details['reason'], `${what}: expected conflict reason ${reason}, got ${describeError(error)}`).toBe(
      reason,
    );
  }
}

/** `promise` must reject with a `ConflictError` with `reason`. */
export async function expectConflict(promise: Promise<unknown>, reason: ConflictReason, what: string): Promise<void> {
  assertConflict(await rejection(promise, what), reason, what);
}
