/**
 * Typed errors. Callers switch on `code`, never on message text.
 *
 * @packageDocumentation
 */

/** The stable codes every Clientele error carries. */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'INSUFFICIENT_BALANCE'
  | 'PERMISSION_DENIED'
  | 'AUTHORITY_EXCEEDED'
  | 'IDEMPOTENCY_MISMATCH'
  | 'INVALID_STATE'
  | 'STORE_UNAVAILABLE'
  | 'UNSUPPORTED';

/** One problem found while validating input: where it is and what is wrong. */
export interface ValidationIssue {
  /** Path to the failing value, e.g. `['lines', 2, 'quantity']`. */
  readonly path: ReadonlyArray<string | number>;
  /** The zod issue code (or a Clientele one such as `unknown_card`). */
  readonly code: string;
  /** Human-readable explanation, for logs and developers. */
  readonly message: string;
}

const BRAND = Symbol.for('clientele.error');

/**
 * Base class of every error Clientele throws on purpose.
 *
 * A command that throws a `ClienteleError` has changed nothing.
 */
export class ClienteleError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** Structured facts about the failure (ids, limits, paths). */
  readonly details: Readonly<Record<string, unknown>>;
  /** Path of the input value at fault, e.g. `['lines', 2, 'quantity']`; empty when the input as a whole is at fault. */
  readonly path: ReadonlyArray<string | number>;
  /** @internal brand checked by {@link isClienteleError}; survives duplicate ESM/CJS copies. */
  readonly [BRAND] = true;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClienteleError';
    this.code = code;
    this.details = details;
    const path = details['path'];
    this.path = Array.isArray(path) ? (path as Array<string | number>) : [];
  }
}

/** Input failed validation; `issues` name each failing path. */
export class ValidationError extends ClienteleError {
  /** Every problem found, each with its path; `path` is the first one's. */
  readonly issues: readonly ValidationIssue[];

  constructor(issues: readonly ValidationIssue[], message?: string) {
    const first = issues[0];
    super(
      'VALIDATION_FAILED',
      message ?? issues.map((i) => `${i.path.length ? i.path.join('.') : '(input)'}: ${i.message}`).join('; '),
      { issues, path: first?.path ?? [] },
    );
    this.name = 'ValidationError';
    this.issues = issues;
  }
}

/** A record that the caller named does not exist. */
export class NotFoundError extends ClienteleError {
  /** Pass `details.path` to name the input field that held the unknown key. */
  constructor(what: string, key: unknown, details: Record<string, unknown> = {}) {
    super('NOT_FOUND', `${what} not found: ${String(key)}`, { what, key, ...details });
    this.name = 'NotFoundError';
  }
}

/** Why a write clashed with another one. */
export type ConflictReason = 'unique' | 'version' | 'primary_key' | 'serialization';

/** A unique key or a version clashed with a concurrent or earlier write. */
export class ConflictError extends ClienteleError {
  /** What clashed. */
  readonly reason: ConflictReason;
  constructor(
    reason: ConflictReason,
    message: string,
    details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super('CONFLICT', message, { reason, ...details }, options);
    this.name = 'ConflictError';
    this.reason = reason;
  }
}

/** The actor's role does not carry the permission the command needs. */
export class PermissionError extends ClienteleError {
  constructor(permission: string, actor: unknown) {
    super('PERMISSION_DENIED', `actor may not ${permission}`, { permission, actor });
    this.name = 'PermissionError';
  }
}

/** A monetary amount is above what the actor's role may settle alone. */
export class AuthorityError extends ClienteleError {
  constructor(action: string, amount: number, limit: number, actor: unknown) {
    super('AUTHORITY_EXCEEDED', `${action} of ${amount} exceeds the actor's limit of ${limit}`, {
      action,
      amount,
      limit,
      actor,
    });
    this.name = 'AuthorityError';
  }
}

/** The same idempotency key was used with different input. */
export class IdempotencyMismatchError extends ClienteleError {
  constructor(key: string, command: string) {
    super('IDEMPOTENCY_MISMATCH', `idempotency key ${key} was first used with other input`, { key, command });
    this.name = 'IdempotencyMismatchError';
  }
}

/** The record is in a state that does not allow the operation (a voided sale, a blocked card). */
export class InvalidStateError extends ClienteleError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('INVALID_STATE', message, details);
    this.name = 'InvalidStateError';
  }
}

/** The storage backend could not be reached or dropped the connection. */
export class StoreUnavailableError extends ClienteleError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STORE_UNAVAILABLE', message, {}, options);
    this.name = 'StoreUnavailableError';
  }
}

/** The store lacks a capability the call needs. */
export class UnsupportedError extends ClienteleError {
  constructor(message: string) {
    super('UNSUPPORTED', message);
    this.name = 'UnsupportedError';
  }
}

/**
 * True when `error` is a Clientele error (optionally with the given code).
 * Checks a brand rather than `instanceof`, so it works across duplicate package copies.
 */
export function isClienteleError(error: unknown, code?: ErrorCode): error is ClienteleError {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as Record<symbol, unknown>)[BRAND] === true &&
    (code === undefined || (error as ClienteleError).code === code)
  );
}

/**
 * Builds a one-issue {@link ValidationError} for checks zod cannot express (an unknown card, a return above the sold
 * quantity).
 */
export function invalid(path: ReadonlyArray<string | number>, code: string, message: string): ValidationError {
  return new ValidationError([{ path, code, message }]);
}
