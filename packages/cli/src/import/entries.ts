/**
 * The export's records as import rows, in chunks: each CSV line or JSON line mapped to a row (the
 * mapping file's, or the headers as row paths), the kind's defaults filled in, and a sale written over
 * several lines put together: the sale is held back until a line of another sale comes, so a chunk
 * never splits it.
 */
import { buildMapping, rowOf, type Mapping, type MappingFile } from './mapping.js';
import { readRecords, type InputFormat } from './records.js';

/** One record of the export as the importer sends it: a row, or why its line could not be read. */
export type Entry =
  | { line: number; row: Record<string, unknown>; unreadable?: undefined }
  | { line: number; row?: undefined; unreadable: { code: string; reason: string } };

/** Some entries in file order, with how far into the file the reading is. */
export interface EntryChunk {
  entries: Entry[];
  /** Bytes of the file read so far. */
  bytes: number;
  /** The CSV header, on the first chunk after it was read. */
  headers?: string[];
}

/** What {@link readEntries} reads, and how. */
export interface EntryOptions {
  file: string;
  format: InputFormat;
  encoding: string;
  /** The import's kind: sales put lines together, customers and organisations get their `kind`. */
  kind: string;
  mapping: MappingFile | null;
  /** Entries per chunk. */
  chunkSize: number;
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

/** The export's entries, `options.chunkSize` at a time (the last chunk may be shorter). */
export async function* readEntries(options: EntryOptions): AsyncGenerator<EntryChunk> {
  let mapping: Mapping | null = options.mapping ? buildMapping(options.mapping) : null;
  const kindOf = options.kind === 'customers' ? 'individual' : options.kind === 'organisations' ? 'organisation' : null;
  let bytes = 0;
  let headers: string[] | undefined;
  let chunk: Entry[] = [];
  // The last row waits for the next line: a sale may go on over it.
  let held: Entry | null = null;
  for await (const record of readRecords(options.file, {
    format: options.format,
    encoding: options.encoding,
    onBytes: (b) => void (bytes = b),
    onHeaders: (names) => {
      headers = names;
      mapping ??= buildMapping(null, names);
    },
  })) {
    if (record.kind === 'unreadable') {
      // Reported at once; a sale held for its further lines may still get them after it.
      chunk.push({ line: record.line, unreadable: { code: record.code, reason: record.reason } });
    } else {
      const row =
        record.kind === 'csv'
          ? rowOf(record.cells, mapping!)
          : mapping
            ? rowOf(record.value as Record<string, string>, mapping)
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
      if (held) chunk.push(held);
      held = { line: record.line, row };
    }
    if (chunk.length >= options.chunkSize) {
      yield { entries: chunk, bytes, ...(headers ? { headers } : {}) };
      headers = undefined;
      chunk = [];
    }
  }
  if (held) chunk.push(held);
  if (chunk.length || headers) yield { entries: chunk, bytes, ...(headers ? { headers } : {}) };
}
