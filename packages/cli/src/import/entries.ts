/**
 * The export's records as import rows: each CSV line or JSON line mapped to a row (the mapping file's,
 * or the headers as row paths), the kind's defaults filled in, and a sale written over several lines
 * put together: a row is held back until the next line shows it is complete, so no batch splits a sale.
 */
import { buildMapping, rowOf, type Mapping, type MappingFile } from './mapping.js';
import { readRecordRuns, type InputFormat } from './records.js';

/** One record of the export as the importer sends it: a row, or why its line could not be read. */
export type Entry =
  | { line: number; row: Record<string, unknown>; unreadable?: undefined }
  | { line: number; row?: undefined; unreadable: { code: string; reason: string } };

/** What {@link readEntries} and {@link readEntryRuns} read, and how. */
export interface EntryOptions {
  file: string;
  format: InputFormat;
  encoding: string;
  /** The import's kind: sales put lines together, customers and organisations get their `kind`. */
  kind: string;
  mapping: MappingFile | null;
  /** Told how many bytes of the file were read so far (for progress). */
  onBytes?: (bytes: number) => void;
  /** Told the mapping in use once it is known (from the file, or from the CSV header): it names columns. */
  onMapping?: (mapping: Mapping) => void;
}

/** Adds a further CSV line of a sale to the sale: its lines, and its returns. */
function mergeSale(into: Record<string, unknown>, more: Record<string, unknown>): void {
  const sale = (into['sale'] ??= {}) as Record<string, unknown>;
  const extra = (more['sale'] ?? {}) as Record<string, unknown>;
  const lines = Array.isArray(sale['lines']) ? sale['lines'] : (sale['lines'] = []);
  if (Array.isArray(extra['lines'])) lines.push(...extra['lines'].filter((l) => l !== undefined));
  if (Array.isArray(more['returns'])) {
    const returns = Array.isArray(into['returns']) ? into['returns'] : (into['returns'] = []);
    returns.push(...more['returns'].filter((r) => r !== undefined));
  }
}

/** The export's entries in file order (an unreadable line as soon as it is read, a row once complete). */
export async function* readEntries(options: EntryOptions): AsyncGenerator<Entry> {
  for await (const run of readEntryRuns(options)) yield* run;
}

/**
 * The export's entries in file order, a run at a time (those of a run of records, see
 * `readRecordRuns`), as {@link readEntries} gives them one at a time.
 */
export async function* readEntryRuns(options: EntryOptions): AsyncGenerator<Entry[]> {
  let mapping: Mapping | null = null;
  const use = (m: Mapping) => {
    mapping = m;
    options.onMapping?.(m);
  };
  if (options.mapping) use(buildMapping(options.mapping));
  const kindOf = options.kind === 'customers' ? 'individual' : options.kind === 'organisations' ? 'organisation' : null;
  // The last row waits for the next line: a sale may go on over it.
  let held: Entry | null = null;
  for await (const records of readRecordRuns(options.file, {
    format: options.format,
    encoding: options.encoding,
    ...(options.onBytes ? { onBytes: options.onBytes } : {}),
    onHeaders: (names) => {
      if (!mapping) use(buildMapping(null, names));
    },
  })) {
    const run: Entry[] = [];
    for (const record of records) {
      if (record.kind === 'unreadable') {
        // Reported at once; a sale held for its further lines may still get them after it.
        run.push({ line: record.line, unreadable: { code: record.code, reason: record.reason } });
        continue;
      }
      const m = mapping as Mapping | null;
      const row =
        record.kind === 'csv'
          ? rowOf(record.cells, m!)
          : m
            ? rowOf(record.value as Record<string, string>, m)
            : record.value;
      if (kindOf) {
        const customer = row['customer'];
        if (typeof customer === 'object' && customer !== null && !('kind' in customer))
          (customer as Record<string, unknown>)['kind'] = kindOf;
      }
      if (
        options.kind === 'sales' &&
        held?.row &&
        row['sourceId'] !== undefined &&
        held.row['sourceId'] === row['sourceId']
      ) {
        mergeSale(held.row, row);
        continue;
      }
      if (held) run.push(held);
      held = { line: record.line, row };
    }
    if (run.length) yield run;
  }
  if (held) yield [held];
}
