/** The rejects file beside the input: one line per problem of a rejected row (line, column, code, reason). */
import { createWriteStream, existsSync, rmSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { stringify } from 'csv-stringify/sync';

/** One problem of a rejected row. */
export interface RejectLine {
  /** The row's line in the input. */
  line: number;
  /** The column (CSV header) or row path at fault; empty for the row as a whole. */
  column: string;
  code: string;
  reason: string;
}

/** Where the rejects of `input` go. */
export const rejectsFileOf = (input: string) => `${input}.rejects.csv`;

/**
 * Writes rejects as they come. The file is made at the first reject; a rejects file left by an earlier run
 * is removed at the start, so the file always describes the last run.
 */
export function rejectsWriter(file: string) {
  if (existsSync(file)) rmSync(file);
  let out: WriteStream | null = null;
  let count = 0;
  let rows = 0;
  return {
    file,
    /** Problems written so far. */
    get count() {
      return count;
    },
    /** Rows rejected so far. */
    get rows() {
      return rows;
    },
    async write(problems: readonly RejectLine[]): Promise<void> {
      if (problems.length === 0) return;
      rows++;
      if (!out) {
        out = createWriteStream(file);
        out.write(stringify([['line', 'column', 'code', 'reason']]));
      }
      count += problems.length;
      const ok = out.write(stringify(problems.map((p) => [p.line, p.column, p.code, p.reason])));
      if (!ok) await once(out, 'drain');
    },
    async close(): Promise<void> {
      if (!out) return;
      const stream = out as WriteStream;
      await new Promise<void>((resolve, reject) => stream.end((e?: Error | null) => (e ? reject(e) : resolve())));
    },
  };
}
