/** Turns better-sqlite3's errors into Clientele's typed errors, so no raw driver error reaches a caller. */
import { ConflictError, InvalidStateError, StoreUnavailableError, isClienteleError } from '@clientele/core/adapter';
import type { CollectionSpec } from '@clientele/core/adapter';
import { identifyClash, sqliteDialect } from '@clientele/sql';

/** What the failing call was about, for the error's details. */
export interface ErrorContext {
  collection?: CollectionSpec;
  key?: string;
}

const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR|FULL|CORRUPT|NOTADB|PERM|NOMEM|READONLY|AUTH|PROTOCOL)/;
const SCHEMA = /no such table|no such column|has no column named/;

function clashColumns(message: string): string[] {
  // "UNIQUE constraint failed: customers.email, customers.store_id"
  const at = message.indexOf(':');
  if (at < 0) return [];
  return message
    .slice(at + 1)
    .split(',')
    .map((part) => part.trim())
    .map((part) => part.slice(part.lastIndexOf('.') + 1))
    .filter((part) => part.length > 0);
}

function tableOf(message: string): string | undefined {
  const match = /:\s*([^.\s,]+)\./.exec(message);
  return match?.[1];
}

/** The Clientele error for `error`; errors that are not the driver's pass through unchanged. */
export function translateError(error: unknown, context: ErrorContext = {}): unknown {
  if (isClienteleError(error) || !(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) {
    if (error instanceof TypeError && /database connection is not open/.test(error.message)) {
      return new StoreUnavailableError('the database connection is closed', { cause: error });
    }
    return error;
  }
  const collection = context.collection;
  if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') {
    const name = collection?.name ?? tableOf(error.message);
    const clash = collection
      ? identifyClash(sqliteDialect, collection, { columns: clashColumns(error.message) })
      : { reason: code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ? ('primary_key' as const) : ('unique' as const) };
    const details: Record<string, unknown> = { collection: name };
    if (clash.reason === 'primary_key') {
      if (context.key !== undefined) details['key'] = context.key;
      return new ConflictError('primary_key', `${name}: the primary key is already taken`, details, { cause: error });
    }
    if (clash.index !== undefined) details['index'] = clash.index;
    else details['columns'] = clashColumns(error.message);
    return new ConflictError('unique', `${name}: ${clashColumns(error.message).join(', ')} already taken`, details, {
      cause: error,
    });
  }
  if (UNAVAILABLE.test(code)) {
    const busy = code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
    return new StoreUnavailableError(
      busy
        ? 'the database is busy (another writer held it past the timeout)'
        : `the database is unavailable: ${error.message}`,
      {
        cause: error,
      },
    );
  }
  if (SCHEMA.test(error.message)) {
    const details: Record<string, unknown> = collection ? { collection: collection.name } : {};
    return new InvalidStateError(
      `the database schema is behind the code (${error.message}); run migrate() first`,
      details,
    );
  }
  if (code.startsWith('SQLITE_CONSTRAINT')) {
    return new InvalidStateError(
      `a stored row breaks a constraint: ${error.message}`,
      collection ? { collection: collection.name } : {},
    );
  }
  return new StoreUnavailableError(`the database failed: ${error.message}`, { cause: error });
}
