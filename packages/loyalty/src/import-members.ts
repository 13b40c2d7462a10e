/**
 * What the loyalty module's imports share: the import keys a batch looks up, the members its rows
 * name (by the old system's id, imported before, or by id), and the dry-run check of a batch.
 */
import {
  IMPORT_PERMISSION,
  customersCollection,
  importBatchSchema,
  importKey,
  parseInput,
  type ImportBatch,
  type ImportResult,
  type Kernel,
  type ParsedImportRow,
  type QueryOptions,
  type StoreSession,
} from '@clientele/core/module';

/** A row that may name a member, by the old system's id or by id. */
export interface MemberRow {
  sourceId: string;
  customerSourceId?: string | undefined;
  customerId?: string | undefined;
}

/** The import keys of a batch's rows (`<kind>:<sourceId>`) and of the members they name by old-system id. */
export function batchKeys(parsed: ReadonlyArray<ParsedImportRow<MemberRow>>, kind: string): string[] {
  return [
    ...parsed.map((p) => importKey(kind, p.row.sourceId)),
    ...parsed.flatMap((p) => (p.row.customerSourceId ? [importKey('customer', p.row.customerSourceId)] : [])),
  ];
}

/**
 * Resolves the members rows name: by old-system id through the import keys `known` (imported before),
 * by id when the customer exists and is active. The resolver returns `undefined` for one not found.
 */
export async function memberResolver(
  session: StoreSession,
  rows: ReadonlyArray<ParsedImportRow<MemberRow>>,
  known: ReadonlyMap<string, string>,
): Promise<(row: MemberRow) => string | undefined> {
  const direct = [...new Set(rows.flatMap((p) => (p.row.customerId ? [p.row.customerId] : [])))];
  const members = new Set(
    direct.length
      ? (
          await session.find(customersCollection, {
            where: { id: { in: direct }, status: 'active' },
            select: ['id'],
            limit: Math.min(10_000, direct.length),
          })
        ).rows.map((r) => r.id)
      : [],
  );
  return (row) =>
    row.customerSourceId !== undefined
      ? known.get(importKey('customer', row.customerSourceId))
      : row.customerId !== undefined && members.has(row.customerId)
        ? row.customerId
        : undefined;
}

/** The dry run of an import: its plan against the store, outside any transaction; writes nothing. */
export function importCheck<R>(
  kernel: Kernel,
  name: string,
  plan: (session: StoreSession, rows: readonly unknown[], now: Date) => Promise<{ result: ImportResult }>,
): (batch: ImportBatch<R>, options: QueryOptions) => Promise<ImportResult> {
  return kernel.query({
    name,
    permission: IMPORT_PERMISSION,
    run: async (batch: ImportBatch<R>) =>
      (await plan(kernel.store, parseInput(importBatchSchema, batch).rows, kernel.clock.now())).result,
  });
}
