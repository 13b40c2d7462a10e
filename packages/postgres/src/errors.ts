/**
 * Turns node-postgres and PGlite errors into Clientele's typed errors, by SQLSTATE code, so no raw
 * driver error reaches a caller.
 */
import {
  ConflictError,
  InvalidStateError,
  StoreUnavailableError,
  ValidationError,
  isClienteleError,
} from '@clientele/core/adapter';
import type { CollectionSpec } from '@clientele/core/adapter';
import { identifyClash } from '@clientele/sql';
import type { Dialect } from '@clientele/sql';

/** What the failing call was about, for the error's details. */
export interface ErrorContext {
  dialect: Dialect;
  collection?: CollectionSpec;
  key?: string;
}

/** The fields node-postgres and PGlite put on a server error. */
interface ServerError extends Error {
  code: string;
  constraint?: string;
  table?: string;
}

/** Network failures node-postgres reports as Node errors (no SQLSTATE). */
const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
/** node-postgres's messages for a connection that is gone. */
const CLOSED = /Connection terminated|not queryable|Client was closed|connection error|socket hang up/i;

/**
 * The cause of a conflict the adapter itself detects: inside a transaction, a versioned row that the
 * transaction read was changed by someone else before the transaction wrote it. Like a serialization
 * failure, the whole transaction is run again.
 */
export class RowChangedSinceRead extends Error {
  constructor(collection: string, key: string, read: number, now: unknown) {
    super(`${collection}: ${key} was at version ${read} when this transaction read it and is now at ${String(now)}`);
    this.name = 'RowChangedSinceRead';
  }
}

/** Whether `error` carries a SQLSTATE code from the server. */
export function isServerError(error: unknown): error is ServerError {
  return (
    error instanceof Error &&
    typeof (error as { code?: unknown }).code === 'string' &&
    /^[0-9A-Z]{5}$/.test((error as ServerError).code)
  );
}

/** Serialization failure or deadlock: the transaction lost a race and may succeed if run again. */
export function isRetryable(error: unknown): boolean {
  return isServerError(error) && (error.code === '40001' || error.code === '40P01');
}

/**
 * Whether the connection that raised `error` cannot be used again: the server ended the session
 * (`pg_terminate_backend`, shutdown), or the socket failed. Such a connection is destroyed, not pooled.
 */
export function isConnectionLost(error: unknown): boolean {
  if (!(error instanceof Error) || isClienteleError(error)) return false;
  if (isServerError(error))
    return error.code.startsWith('08') || error.code.startsWith('57P') || error.code === '53300';
  const code = (error as { code?: unknown }).code;
  return (typeof code === 'string' && NETWORK.has(code)) || CLOSED.test(error.message);
}

/** The Clientele error for `error`; errors that are already Clientele's (or not errors) pass through. */
export function translateError(error: unknown, context: ErrorContext): unknown {
  if (isClienteleError(error) || !(error instanceof Error)) return error;
  const collection = context.collection;
  const scope: Record<string, unknown> = collection ? { collection: collection.name } : {};
  if (!isServerError(error)) {
    if (isConnectionLost(error))
      return new StoreUnavailableError(`the database connection was lost: ${error.message}`, { cause: error });
    return error;
  }
  const code = error.code;
  if (code === '23505') {
    const clash = collection
      ? identifyClash(
          context.dialect,
          collection,
          error.constraint === undefined ? {} : { constraint: error.constraint },
        )
      : { reason: 'unique' as const };
    const name = collection?.name ?? error.table;
    if (clash.reason === 'primary_key') {
      return new ConflictError(
        'primary_key',
        `${name}: the primary key is already taken`,
        { ...scope, ...(context.key !== undefined ? { key: context.key } : {}) },
        { cause: error },
      );
    }
    const details =
      clash.index !== undefined ? { ...scope, index: clash.index } : { ...scope, constraint: error.constraint };
    return new ConflictError(
      'unique',
      `${name}: ${clash.index ?? error.constraint ?? 'a unique key'} already taken`,
      details,
      { cause: error },
    );
  }
  if (code === '40001' || code === '40P01') {
    const what =
      code === '40001' ? 'a concurrent transaction changed the same data' : 'a deadlock with a concurrent transaction';
    return new ConflictError(
      'serialization',
      `${what}; run the operation again`,
      { ...scope, sqlState: code },
      { cause: error },
    );
  }
  if (code === '57014')
    return new StoreUnavailableError('the statement ran past the statement timeout and was cancelled', {
      cause: error,
    });
  if (code === '55P03')
    return new StoreUnavailableError('a lock was not granted within the lock timeout', { cause: error });
  if (isConnectionLost(error))
    return new StoreUnavailableError(`the database connection was lost: ${error.message}`, { cause: error });
  if (code.startsWith('53'))
    return new StoreUnavailableError(`the database is out of resources: ${error.message}`, { cause: error });
  if (code === '42P01' || code === '42703' || code === '3F000') {
    return new InvalidStateError(
      `the database schema is behind the code (${error.message}); run migrate() first`,
      scope,
    );
  }
  if (code === '22021' || code === '22P05') {
    // The port refuses such text before it reaches SQL; a value that slips through still gets a typed error.
    return new ValidationError([
      {
        path: collection ? [collection.name] : [],
        code: 'unstorable_text',
        message: `text PostgreSQL cannot store: ${error.message}`,
      },
    ]);
  }
  if (code === '54000') {
    // A b-tree index entry is limited to about a third of a page (2,704 bytes after compression).
    return new ValidationError([
      {
        path: collection ? [collection.name] : [],
        code: 'too_long_for_index',
        message: `a value is too long for an index of ${collection?.name ?? 'the table'}: ${error.message}`,
      },
    ]);
  }
  if (code === '25P02') return new InvalidStateError('an earlier statement failed and aborted this transaction', scope);
  if (code.startsWith('23')) return new InvalidStateError(`a stored row breaks a constraint: ${error.message}`, scope);
  return new StoreUnavailableError(`the database failed: ${error.message}`, { cause: error });
}
