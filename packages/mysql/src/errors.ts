/**
 * Turns mysql2 errors into Clientele's typed errors, by the server's error number, so no raw driver
 * error reaches a caller.
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

/**
 * The fields mysql2 puts on an error: the server's number and SQLSTATE, or a Node error code; `fatal` when
 * the connection is gone.
 */
interface DriverError extends Error {
  code?: string;
  errno?: number;
  sqlState?: string;
  sqlMessage?: string;
  fatal?: boolean;
}

/** Server error numbers the store tells apart. */
export const ER = {
  DUP_ENTRY: 1062,
  DUP_ENTRY_WITH_KEY_NAME: 1586,
  LOCK_DEADLOCK: 1213,
  LOCK_WAIT_TIMEOUT: 1205,
  DATA_TOO_LONG: 1406,
  INCORRECT_STRING: 1366,
  NO_SUCH_TABLE: 1146,
  BAD_FIELD: 1054,
  BAD_DB: 1049,
  TOO_LONG_KEY: 1071,
  QUERY_INTERRUPTED: 1317,
  STATEMENT_TIMEOUT_MARIADB: 1969,
  STATEMENT_TIMEOUT_MYSQL: 3024,
} as const;

/** Error numbers of a connection that is gone: server shutdown, killed, gone away, lost, too many connections. */
const GONE = new Set([1040, 1053, 1203, 1927, 2006, 2013, 4031]);
/** Network failures mysql2 reports as Node errors. */
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
/** mysql2's messages for a connection that is closed. */
const CLOSED = /connection is in closed state|Can't add new command when connection is in closed state|Pool is closed/i;

/**
 * The cause of a conflict the adapter itself detects: inside a transaction, a versioned row that the
 * transaction read was changed by someone else before the transaction wrote it. Like a deadlock, the
 * whole transaction is run again.
 */
export class RowChangedSinceRead extends Error {
  constructor(collection: string, key: string, read: number, now: unknown) {
    super(`${collection}: ${key} was at version ${read} when this transaction read it and is now at ${String(now)}`);
    this.name = 'RowChangedSinceRead';
  }
}

function errnoOf(error: unknown): number | undefined {
  const n = (error as DriverError | null)?.errno;
  return typeof n === 'number' ? n : undefined;
}

/** Deadlock victim or lock wait timeout: the transaction lost a race and may succeed if run again. */
export function isRetryable(error: unknown): boolean {
  const n = errnoOf(error);
  return n === ER.LOCK_DEADLOCK || n === ER.LOCK_WAIT_TIMEOUT;
}

/**
 * Whether the connection that raised `error` cannot be used again: the server ended the session
 * (`KILL`, shutdown), or the socket failed. Such a connection is destroyed, not pooled.
 */
export function isConnectionLost(error: unknown): boolean {
  if (!(error instanceof Error) || isClienteleError(error)) return false;
  const e = error as DriverError;
  if (e.fatal === true) return true;
  const n = errnoOf(error);
  if (n !== undefined && GONE.has(n)) return true;
  return (
    (typeof e.code === 'string' && (NETWORK.has(e.code) || e.code.startsWith('PROTOCOL_'))) || CLOSED.test(e.message)
  );
}

/** Whether `error` is the server's duplicate-key refusal (a unique index or primary key already holds the value). */
export function isDuplicateEntry(error: unknown): boolean {
  const n = errnoOf(error);
  return n === ER.DUP_ENTRY || n === ER.DUP_ENTRY_WITH_KEY_NAME;
}

/** The name of the key a duplicate-entry message reports (MySQL 8 writes it `table.key`). */
function clashedKey(message: string): string | undefined {
  return /for key '(?:[^']*\.)?([^'.]+)'\s*$/.exec(message)?.[1];
}

/** The Clientele error for `error`; errors that are already Clientele's (or not errors) pass through. */
export function translateError(error: unknown, context: ErrorContext): unknown {
  if (isClienteleError(error) || !(error instanceof Error)) return error;
  const collection = context.collection;
  const scope: Record<string, unknown> = collection ? { collection: collection.name } : {};
  const n = errnoOf(error);
  if (isConnectionLost(error))
    return new StoreUnavailableError(`the database connection was lost: ${error.message}`, { cause: error });
  if (n === undefined) return error;
  const path = collection ? [collection.name] : [];
  switch (n) {
    case ER.DUP_ENTRY:
    case ER.DUP_ENTRY_WITH_KEY_NAME: {
      const key = clashedKey(error.message);
      const clash = collection
        ? identifyClash(context.dialect, collection, key === undefined ? {} : { constraint: key })
        : { reason: 'unique' as const };
      if (clash.reason === 'primary_key')
        return new ConflictError(
          'primary_key',
          `${collection?.name ?? 'a table'}: the primary key is already taken`,
          { ...scope, ...(context.key !== undefined ? { key: context.key } : {}) },
          { cause: error },
        );
      return new ConflictError(
        'unique',
        `${collection?.name ?? 'a table'}: ${clash.index ?? key ?? 'a unique key'} already taken`,
        clash.index !== undefined ? { ...scope, index: clash.index } : { ...scope, constraint: key },
        { cause: error },
      );
    }
    case ER.LOCK_DEADLOCK:
    case ER.LOCK_WAIT_TIMEOUT:
      return new ConflictError(
        'serialization',
        `${n === ER.LOCK_DEADLOCK ? 'a deadlock with a concurrent transaction' : 'a lock was not granted in time'}; ` +
          'run the operation again',
        { ...scope, errno: n },
        { cause: error },
      );
    case ER.DATA_TOO_LONG:
      // A key or an indexed text is bounded so its index fits InnoDB's key limit (see the dialect).
      return new ValidationError([
        {
          path,
          code: 'too_long',
          message: `a value is longer than its column of ${collection?.name ?? 'the table'} holds: ${error.message}`,
        },
      ]);
    case ER.INCORRECT_STRING:
      return new ValidationError([
        { path, code: 'unstorable_text', message: `text the column cannot store: ${error.message}` },
      ]);
    case ER.NO_SUCH_TABLE:
    case ER.BAD_FIELD:
    case ER.BAD_DB:
      return new InvalidStateError(
        `the database schema is behind the code (${error.message}); run migrate() first`,
        scope,
      );
    case ER.TOO_LONG_KEY:
      return new InvalidStateError(`an index is longer than InnoDB's key limit: ${error.message}`, scope);
    case ER.QUERY_INTERRUPTED:
    case ER.STATEMENT_TIMEOUT_MARIADB:
    case ER.STATEMENT_TIMEOUT_MYSQL:
      return new StoreUnavailableError(`the statement was interrupted: ${error.message}`, { cause: error });
    default:
      if (n >= 1000 && n < 2000 && /constraint|cannot be null/i.test(error.message))
        return new InvalidStateError(`a stored row breaks a constraint: ${error.message}`, scope);
      return new StoreUnavailableError(`the database failed: ${error.message}`, { cause: error });
  }
}
