/**
 * Reads an export as a stream of records, each with its line number: CSV (with a header line) or JSON
 * lines, in any encoding iconv-lite knows (UTF-8, GBK, ...). Nothing holds more than a few records.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Transform, finished, type Readable } from 'node:stream';
import { parse } from 'csv-parse';
import iconv from 'iconv-lite';
import { UsageError } from '../failure.js';

/** A format the importer reads. */
export type InputFormat = 'csv' | 'jsonl';

/** One record of the export: its cells by header (CSV) or its object (JSON lines), or why it is unreadable. */
export type InputRecord =
  | { line: number; kind: 'csv'; cells: Record<string, string> }
  | { line: number; kind: 'json'; value: Record<string, unknown> }
  | { line: number; kind: 'unreadable'; code: string; reason: string };

/** Options of {@link readRecords}. */
export interface ReadOptions {
  format: InputFormat;
  encoding: string;
  /** Told how many bytes of the file were read so far (for progress). */
  onBytes?: (bytes: number) => void;
  /** Told the CSV header, once read. */
  onHeaders?: (headers: string[]) => void;
}

/** The format of a file by its name: `.jsonl`/`.ndjson` are JSON lines, anything else CSV. */
export function formatOf(file: string): InputFormat {
  return /\.(jsonl|ndjson)$/i.test(file) ? 'jsonl' : 'csv';
}

/** The names of UTF-8, which the CSV parser decodes itself. */
const UTF8 = /^utf-?8$/i;

/** U+FFFD: what a decoder puts where the bytes were not text of the encoding. */
const REPLACEMENT = '\uFFFD';

function undecodable(encoding: string): { code: string; reason: string } {
  return { code: 'encoding', reason: `the line is not valid ${encoding} text` };
}

/**
 * Passes bytes through without a leading UTF-8 byte-order mark, as the decoding stream does with
 * `stripBOM` (the parser's own `bom` option would also take a UTF-16 mark as a change of encoding).
 */
function skipUtf8Bom(): Transform {
  let head: Buffer | null = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (head === null) return done(null, chunk);
      head = Buffer.concat([head, chunk]);
      if (head.length < 3) return done();
      const bytes = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? head.subarray(3) : head;
      head = null;
      done(null, bytes);
    },
    flush(done) {
      // A file shorter than a mark: its bytes as they are.
      if (head?.length) this.push(head);
      done();
    },
  });
}

/** Whether a cell holds U+FFFD: a loop over the cells, not an array of them per record. */
function holdsReplacement(cells: Record<string, string>): boolean {
  for (const header in cells) if (cells[header]!.includes(REPLACEMENT)) return true;
  return false;
}

/** The records of `file`, in order. */
export async function* readRecords(file: string, options: ReadOptions): AsyncGenerator<InputRecord> {
  for await (const run of readRecordRuns(file, options)) yield* run;
}

/**
 * The records of `file` in order, a run at a time: for CSV, every record parsed so far (those of a
 * chunk of the file); for JSON lines, one. The importer reads them so: one wait per chunk rather than
 * a wait, a promise and a result object per record through each stage.
 */
export async function* readRecordRuns(file: string, options: ReadOptions): AsyncGenerator<InputRecord[]> {
  if (!iconv.encodingExists(options.encoding)) throw new UsageError(`unknown encoding ${options.encoding}`);
  const raw = createReadStream(file);
  let bytes = 0;
  raw.on('data', (chunk) => {
    bytes += chunk.length;
    options.onBytes?.(bytes);
  });
  const opened = new Promise<void>((resolve, reject) => {
    raw.once('open', () => resolve());
    raw.once('error', (e) => reject(new UsageError(`cannot read ${file}: ${(e as Error).message}`)));
  });
  await opened;
  if (options.format === 'jsonl') {
    const text = raw.pipe(iconv.decodeStream(options.encoding, { stripBOM: true }));
    let line = 0;
    for await (const content of createInterface({ input: text, crlfDelay: Number.POSITIVE_INFINITY })) {
      line++;
      if (content.trim() === '') continue;
      if (content.includes(REPLACEMENT)) {
        yield [{ line, kind: 'unreadable', ...undecodable(options.encoding) }];
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(content);
      } catch (error) {
        yield [{ line, kind: 'unreadable', code: 'not_json', reason: `not JSON: ${(error as Error).message}` }];
        continue;
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        yield [{ line, kind: 'unreadable', code: 'not_an_object', reason: 'each line must be a JSON object' }];
      else yield [{ line, kind: 'json', value: value as Record<string, unknown> }];
    }
    return;
  }
  const parser = parse({
    columns: (header: string[]) => {
      const names = header.map((h) => h.trim());
      options.onHeaders?.(names);
      return names;
    },
    relax_column_count: true,
    skip_empty_lines: true,
  });
  // Each record is paired with its line as it is pushed, when the parser's running count (`info`) is at
  // that record: `info: true` copies the parser's state into every record, which took longer than the
  // parsing itself.
  // The pair is the record as yielded: no second object per record.
  const push = parser.push.bind(parser);
  parser.push = (cells: unknown) =>
    push(cells === null ? null : { line: (parser.info as { lines: number }).lines, kind: 'csv', cells });
  // The parser reads bytes and decodes each field as UTF-8 (a byte sequence that is not UTF-8 becomes
  // U+FFFD, as the decoder would make it): UTF-8 needs no decoding stream before it, which would turn
  // the bytes into text only for the parser to turn that text back into bytes.
  if (UTF8.test(options.encoding)) raw.pipe(skipUtf8Bom()).pipe(parser);
  else raw.pipe(iconv.decodeStream(options.encoding, { stripBOM: true })).pipe(parser);
  type CsvRecord = Extract<InputRecord, { kind: 'csv' }>;
  for await (const run of runsOf<CsvRecord | InputRecord>(parser))
    yield run.map((record) =>
      holdsReplacement((record as CsvRecord).cells)
        ? { line: record.line, kind: 'unreadable', ...undecodable(options.encoding) }
        : record,
    );
}

/**
 * What an object stream has ready, a run of items at a time, as its async iterator gives them one at
 * a time: its error is thrown, and a stream left early is destroyed.
 */
async function* runsOf<T>(stream: Readable): AsyncGenerator<T[]> {
  let wake: (() => void) | null = null;
  // `undefined` while it runs, `null` once it has ended, the error once it failed.
  let outcome: Error | null | undefined;
  const next = () => {
    const resolve = wake;
    wake = null;
    resolve?.();
  };
  stream.on('readable', next);
  const stop = finished(stream, { writable: false }, (error) => {
    outcome = error ?? null;
    next();
  });
  try {
    for (;;) {
      const run: T[] = [];
      for (let item: T | null; !stream.destroyed && (item = stream.read() as T | null) !== null; ) run.push(item);
      if (run.length) yield run;
      else if (outcome) throw outcome;
      else if (outcome === null) return;
      else await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    stop();
    stream.off('readable', next);
    if (outcome === undefined) stream.destroy();
  }
}
