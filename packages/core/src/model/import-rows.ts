/**
 * The rows of a bulk import, validated with the schemas of the one-at-a-time commands, and the shared
 * helpers every import uses: a batch's input, its result, and checking rows one by one so a bad row is
 * reported while the good ones go in.
 */
import * as z from 'zod';
import { isClienteleError, type ValidationError, type ValidationIssue } from '../errors.js';
import type { StoreSession } from '../store/port.js';
import {
  cardNumberSchema,
  codeSchema,
  idSchema,
  instantSchema,
  jsonObjectSchema,
  parseInput,
  refusesProtoKeys,
  shortTextSchema,
} from '../validation.js';
import { issueCardSchema } from './card-service.js';
import { registerCustomerSchema } from './customer-schemas.js';
import { importKeysCollection } from './import-collections.js';
import { recordSaleSchema, returnSchema } from './purchase-service.js';

/** The permission every import needs: imports are a system act (`{ system: 'import' }` passes it). */
export const IMPORT_PERMISSION = 'data.import';

/** At most this many rows in one batch (one transaction). */
export const IMPORT_BATCH_MAX = 5000;

/** A card that comes in with its holder: `cards.issue`'s input with a number always given, and when it was issued. */
export const importCardSchema = issueCardSchema
  .omit({ customerId: true })
  .extend({ number: cardNumberSchema, issuedAt: instantSchema.optional() })
  .strict();

/** One customer of the old system: `customers.register`'s input, the old id, and the cards they hold. */
export const customerImportRowSchema = z
  .object({
    /** The customer's id in the old system: the row's idempotency key. */
    sourceId: idSchema,
    /** When the old system registered them (default: the import's instant). */
    registeredAt: instantSchema.optional(),
    customer: registerCustomerSchema,
    cards: z.array(importCardSchema).max(10).optional(),
  })
  .strict();
/** One customer row of `crm.imports.customers`. */
export type CustomerImportRow = z.input<typeof customerImportRowSchema>;

/** A return made in the old system against an imported sale. */
export const importReturnSchema = z
  .object({
    at: instantSchema,
    /** The store that took the goods back (default: the sale's). */
    storeId: codeSchema.optional(),
    lines: returnSchema.shape.lines,
    reason: shortTextSchema,
  })
  .strict();

/** One sale of the old system: `purchases.record`'s input (with `occurredAt`), its buyer's old id, its returns. */
export const saleImportRowSchema = z
  .object({
    /** The sale's id in the old system: the row's idempotency key. */
    sourceId: idSchema,
    /** The buyer's id in the old system, imported before as a customer (or give `sale.customerId` or `cardNumber`). */
    customerSourceId: idSchema.optional(),
    sale: recordSaleSchema,
    returns: z.array(importReturnSchema).max(100).optional(),
  })
  .strict();
/** One sale row of `crm.imports.sales`. */
export type SaleImportRow = z.input<typeof saleImportRowSchema>;

/**
 * The input of an import command: a batch of rows, each checked on its own. Rows are plain JSON objects
 * (instants as ISO-8601 text), as read from a file: a row that is not (a control character, a value
 * JSON cannot hold) fails the whole batch with its path, `['rows', i, ...]`.
 */
export const importBatchSchema = refusesProtoKeys(
  z
    .object({
      rows: z.array(jsonObjectSchema()).min(1).max(IMPORT_BATCH_MAX),
    })
    .strict(),
);
/** A batch of rows for an import command or check. */
export interface ImportBatch<R> {
  /** At most {@link IMPORT_BATCH_MAX} rows; each is validated on its own. */
  rows: readonly R[];
}

/** A row that was not imported, with what is wrong with it. */
export interface ImportRejection {
  /** The row's position in the batch, from 0. */
  index: number;
  /** The row's old-system id, when it had a readable one. */
  sourceId: string | null;
  /** Each problem, with its path in the row (`['customer', 'phone']`) and its code. */
  issues: ValidationIssue[];
}

/** What one batch did (or, for a check, would do). */
export interface ImportResult {
  /** Rows written (for a check: rows that would be). */
  imported: number;
  /** Rows whose old-system id was imported before: left as they are. */
  skipped: number;
  /** Rows refused, with their problems; nothing of them was written. */
  rejected: ImportRejection[];
}

/** A row that passed its schema, with its place in the batch. */
export interface Parsed<T> {
  index: number;
  row: T;
}

const compiledSchemas = new WeakMap<z.ZodType, z.ZodType>();

/**
 * `schema` compiled by zod into generated code, once: it parses a good row several times faster, and
 * a row it does not pass goes to the runtime parser, which words the issues, so the results are the
 * same. Where code cannot be generated (a schema it cannot model, a policy against `new Function`),
 * it is the schema itself.
 */
export function compiledOf<S extends z.ZodType>(schema: S): S {
  let compiled = compiledSchemas.get(schema);
  if (!compiled) {
    compiled = z.compile(schema);
    compiledSchemas.set(schema, compiled);
  }
  return compiled as S;
}

/** Parses each row with `schema`, compiled (a batch runs it thousands of times); rows that fail go to `rejected`. */
export function parseRows<S extends z.ZodType>(
  schema: S,
  rows: readonly unknown[],
  rejected: ImportRejection[],
): Array<Parsed<z.output<S>>> {
  const out: Array<Parsed<z.output<S>>> = [];
  const compiled = compiledOf(schema);
  rows.forEach((raw, index) => {
    try {
      out.push({ index, row: parseInput(compiled, raw) });
    } catch (error) {
      if (!isClienteleError(error, 'VALIDATION_FAILED')) throw error;
      const id = (raw as { sourceId?: unknown } | null)?.sourceId;
      rejected.push({
        index,
        sourceId: typeof id === 'string' ? id : null,
        issues: [...(error as ValidationError).issues],
      });
    }
  });
  return out;
}

/** Rejects a parsed row with one issue. */
export function reject(
  rejected: ImportRejection[],
  p: Parsed<{ sourceId: string }>,
  path: Array<string | number>,
  code: string,
  message: string,
): void {
  const known = rejected.find((r) => r.index === p.index);
  if (known) known.issues.push({ path, code, message });
  else rejected.push({ index: p.index, sourceId: p.row.sourceId, issues: [{ path, code, message }] });
}

/** The import key of an old-system record. */
export const importKey = (kind: string, sourceId: string) => `${kind}:${sourceId}`;

/** The targets of the keys that were imported before, by key. */
export async function importedKeys(session: StoreSession, keys: readonly string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const unique = [...new Set(keys)];
  for (let i = 0; i < unique.length; i += IMPORT_BATCH_MAX) {
    const page = await session.find(importKeysCollection, {
      where: { id: { in: unique.slice(i, i + IMPORT_BATCH_MAX) } },
      select: ['id', 'targetId'],
      limit: IMPORT_BATCH_MAX,
    });
    for (const r of page.rows) found.set(r.id, r.targetId);
  }
  return found;
}

/** Which of these primary keys exist in `collection`. */
export async function existingKeys(
  session: StoreSession,
  collection: Parameters<StoreSession['find']>[0],
  field: string,
  keys: Iterable<string>,
): Promise<Set<string>> {
  const unique = [...new Set(keys)];
  const found = new Set<string>();
  for (let i = 0; i < unique.length; i += IMPORT_BATCH_MAX) {
    const page = await session.find(collection, {
      where: { [field]: { in: unique.slice(i, i + IMPORT_BATCH_MAX) } },
      select: [field],
      limit: IMPORT_BATCH_MAX,
    } as never);
    for (const r of page.rows as Array<Record<string, string>>) found.add(r[field]!);
  }
  return found;
}

/** Leaves out rows whose key is in `known` (counted as skipped) and rows whose key comes twice (rejected). */
export function newRows<T extends { sourceId: string }>(
  parsed: Array<Parsed<T>>,
  kind: string,
  known: ReadonlyMap<string, string>,
  rejected: ImportRejection[],
): { fresh: Array<Parsed<T>>; skipped: number } {
  const seen = new Set<string>();
  const fresh: Array<Parsed<T>> = [];
  let skipped = 0;
  for (const p of parsed) {
    const key = importKey(kind, p.row.sourceId);
    if (known.has(key)) skipped++;
    else if (seen.has(key))
      reject(rejected, p, ['sourceId'], 'duplicate', `${p.row.sourceId} comes twice in the batch`);
    else {
      seen.add(key);
      fresh.push(p);
    }
  }
  return { fresh, skipped };
}
