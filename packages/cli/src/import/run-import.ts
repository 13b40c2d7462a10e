/**
 * `clientele import <kind> <file>`: reads the export as a stream, turns each record into an import row,
 * sends the rows to Clientele's bulk import a batch at a time, and writes the rejected rows beside the
 * input. Memory holds one batch, whatever the size of the file.
 */
import { readFileSync, statSync } from 'node:fs';
import { isClienteleError, type ImportResult, type ValidationIssue } from '@clientele/core';
import type { AnyModule, Clientele, ImportBatch } from '@clientele/core';
import { UsageError } from '../failure.js';
import { readEntryRuns } from './entries.js';
import { mappingFileSchema, type Mapping, type MappingFile } from './mapping.js';
import { progressReporter } from './progress.js';
import { formatOf, type InputFormat } from './records.js';
import { rejectsFileOf, rejectsWriter, type RejectLine } from './rejects.js';

/** What the importer brings in. */
export const IMPORT_KINDS = ['customers', 'organisations', 'sales', 'points', 'stored-value'] as const;
/** One of {@link IMPORT_KINDS}. */
export type ImportKind = (typeof IMPORT_KINDS)[number];

/** Options of {@link runImport}. */
export interface ImportOptions {
  kind: ImportKind;
  file: string;
  /** A mapping file (JSON); without one, CSV headers are row paths and JSON lines are rows. */
  map?: string | undefined;
  /** `utf-8` (default), `gbk`, or any encoding iconv-lite knows. */
  encoding?: string | undefined;
  /** Default: by the file's extension. */
  format?: InputFormat | undefined;
  /** Check every row against the store and write nothing to it (the rejects file is still written). */
  dryRun?: boolean | undefined;
  /** Rows per batch, one transaction each (default 1000). */
  batchSize?: number | undefined;
  /** Where progress goes (default: stderr); `null` for none. */
  progress?: NodeJS.WriteStream | null | undefined;
  /** Stops after the batch in flight when it aborts. */
  signal?: AbortSignal | undefined;
}

/** What an import did. */
export interface ImportSummary {
  /** Rows read (a sale over several CSV lines counts once). */
  rows: number;
  imported: number;
  skipped: number;
  rejected: number;
  /** The rejects file, when a row was rejected. */
  rejectsFile: string | null;
  /** Whether it stopped before the end of the file. */
  interrupted: boolean;
  dryRun: boolean;
}

interface Entry {
  line: number;
  row: Record<string, unknown>;
}

const ACTOR = { actor: { system: 'import' } } as const;

function readMapping(file: string | undefined): MappingFile | null {
  if (!file) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`mapping ${file}: ${(error as Error).message}`);
  }
  const parsed = mappingFileSchema.safeParse(raw);
  if (!parsed.success)
    throw new UsageError(
      `mapping ${file}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}

type Call = (rows: Array<Record<string, unknown>>) => Promise<ImportResult>;

/** What the importer calls of the loyalty module (kept structural: the module is an optional peer). */
interface LoyaltyImports {
  points(batch: ImportBatch<never>, options: typeof ACTOR): Promise<ImportResult>;
  checkPoints(batch: ImportBatch<never>, options: typeof ACTOR): Promise<ImportResult>;
  storedValue(batch: ImportBatch<never>, options: typeof ACTOR): Promise<ImportResult>;
  checkStoredValue(batch: ImportBatch<never>, options: typeof ACTOR): Promise<ImportResult>;
}

function callFor(crm: Clientele<AnyModule[]>, kind: ImportKind, dryRun: boolean): Call {
  const batch = (rows: Array<Record<string, unknown>>) => ({ rows }) as unknown as ImportBatch<never>;
  if (kind === 'points' || kind === 'stored-value') {
    const imports = (crm as unknown as { loyalty?: { imports: LoyaltyImports } }).loyalty?.imports;
    if (!imports) throw new UsageError(`import ${kind}: the configuration installs no loyalty module`);
    if (kind === 'stored-value')
      return dryRun
        ? (rows) => imports.checkStoredValue(batch(rows), ACTOR)
        : (rows) => imports.storedValue(batch(rows), ACTOR);
    return dryRun ? (rows) => imports.checkPoints(batch(rows), ACTOR) : (rows) => imports.points(batch(rows), ACTOR);
  }
  if (kind === 'sales')
    return dryRun
      ? (rows) => crm.imports.checkSales(batch(rows), ACTOR)
      : (rows) => crm.imports.sales(batch(rows), ACTOR);
  return dryRun
    ? (rows) => crm.imports.checkCustomers(batch(rows), ACTOR)
    : (rows) => crm.imports.customers(batch(rows), ACTOR);
}

/** Imports `options.file` into `crm`. */
export async function runImport(crm: Clientele<AnyModule[]>, options: ImportOptions): Promise<ImportSummary> {
  const dryRun = options.dryRun === true;
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 5000)
    throw new UsageError('--batch must be a whole number from 1 to 5000');
  let totalBytes: number;
  try {
    totalBytes = statSync(options.file).size;
  } catch {
    throw new UsageError(`cannot read ${options.file}: no such file`);
  }
  const mappingFile = readMapping(options.map);
  const format = options.format ?? formatOf(options.file);
  const encoding = options.encoding ?? 'utf-8';
  let mapping: Mapping | null = null;
  const rejects = rejectsWriter(rejectsFileOf(options.file));
  const progress = progressReporter(options.progress ?? process.stderr, totalBytes, options.progress !== null);
  const call = callFor(crm, options.kind, dryRun);
  const summary: ImportSummary = {
    rows: 0,
    imported: 0,
    skipped: 0,
    rejected: 0,
    rejectsFile: null,
    interrupted: false,
    dryRun,
  };
  let bytes = 0;

  const columnOf = (path: ReadonlyArray<string | number>) =>
    (mapping?.headerOf(path) ?? null) || path.map(String).join('.');
  const rejectRow = async (line: number, issues: readonly Pick<ValidationIssue, 'path' | 'code' | 'message'>[]) => {
    summary.rejected++;
    await rejects.write(
      issues.map((i): RejectLine => ({ line, column: columnOf(i.path), code: i.code, reason: i.message })),
    );
  };

  /** Sends one batch; a batch the store refuses as a whole is split to find the rows at fault. */
  const send = async (entries: Entry[]): Promise<void> => {
    let pending = entries;
    while (pending.length) {
      try {
        const result = await call(pending.map((e) => e.row));
        summary.imported += result.imported;
        summary.skipped += result.skipped;
        for (const r of result.rejected) await rejectRow(pending[r.index]!.line, r.issues);
        return;
      } catch (error) {
        if (!isClienteleError(error) || error.code === 'STORE_UNAVAILABLE') throw error;
        const issues = (error as { issues?: ValidationIssue[] }).issues;
        const byRow = new Map<number, ValidationIssue[]>();
        if (
          error.code === 'VALIDATION_FAILED' &&
          issues?.every((i) => i.path[0] === 'rows' && typeof i.path[1] === 'number')
        )
          for (const i of issues) {
            const n = i.path[1] as number;
            byRow.set(n, [...(byRow.get(n) ?? []), { ...i, path: i.path.slice(2) }]);
          }
        if (byRow.size) {
          // Rows that are not plain JSON: rejected with their issues, the rest sent again.
          for (const [n, list] of [...byRow].sort((a, b) => a[0] - b[0])) await rejectRow(pending[n]!.line, list);
          pending = pending.filter((_, n) => !byRow.has(n));
          continue;
        }
        if (pending.length === 1) {
          await rejectRow(pending[0]!.line, [{ path: error.path, code: error.code, message: error.message }]);
          return;
        }
        // A row clashed with what the store holds (a receipt recorded before): each row on its own finds it.
        for (const e of pending) await send([e]);
        return;
      }
    }
  };

  let batch: Entry[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const sending = batch;
    batch = [];
    await send(sending);
    progress.update(summary.rows, bytes);
  };

  try {
    reading: for await (const entries of readEntryRuns({
      file: options.file,
      format,
      encoding,
      kind: options.kind,
      mapping: mappingFile,
      onBytes: (b) => void (bytes = b),
      onMapping: (m) => void (mapping = m),
    }))
      for (const entry of entries) {
        if (options.signal?.aborted) {
          summary.interrupted = true;
          break reading;
        }
        summary.rows++;
        if (entry.unreadable)
          await rejectRow(entry.line, [{ path: [], code: entry.unreadable.code, message: entry.unreadable.reason }]);
        else {
          if (batch.length >= batchSize) await flush();
          batch.push(entry);
        }
      }
    if (!summary.interrupted) await flush();
    progress.done();
  } finally {
    await rejects.close();
  }
  summary.rejectsFile = summary.rejected ? rejects.file : null;
  return summary;
}
