/**
 * Where the importer's entries come from: a reading thread of their own for a large export (parsing and
 * mapping then run beside the writes, on a second core), the main thread for a small one (a thread's
 * start-up would cost more than it saves).
 */
import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { UsageError } from '../failure.js';
import { readEntries, type EntryChunk, type EntryOptions } from './entries.js';

/** Chunks the reading thread may send before the main thread takes one. */
export const IN_FLIGHT = 2;
/** From this size on (bytes) an export is read in a thread of its own. */
export const THREAD_FROM_BYTES = 1024 * 1024;

/** What the reading thread is given: what to read, and the credit counter it sends against. */
export interface ReaderData {
  options: EntryOptions;
  /** One 32-bit counter: how many more chunks the thread may send. */
  credit: SharedArrayBuffer;
}

/** What the reading thread sends. */
export type FromReader =
  | { chunk: EntryChunk; end?: undefined; error?: undefined }
  | { end: true; chunk?: undefined; error?: undefined }
  | { error: { name: string; message: string }; chunk?: undefined; end?: undefined };

/**
 * The reading thread, from the script beside this module in the form this module runs as: built `.js`
 * (or `.cjs`), or the `.ts` sources, which a thread loads through tsx as the process does (tsx's loader
 * does not carry over to threads by itself).
 */
function startReader(workerData: ReaderData): Worker {
  const ext = /\.([cm]?[jt]s)$/.exec(import.meta.url)?.[1] ?? 'js';
  const script = new URL(`./read-worker.${ext}`, import.meta.url);
  if (ext !== 'ts') return new Worker(script, { workerData });
  const tsx = import.meta.resolve('tsx/esm/api');
  const load = `import(${JSON.stringify(script.href)})`;
  const boot = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return ${load}; })`;
  // The sources' own export condition, so the thread loads the workspace's sources as the process does.
  return new Worker(boot, {
    eval: true,
    workerData,
    execArgv: [...process.execArgv, '--conditions=@clientele/source'],
  });
}

async function* fromThread(options: EntryOptions): AsyncGenerator<EntryChunk> {
  const credit = new Int32Array(new SharedArrayBuffer(4));
  credit[0] = IN_FLIGHT;
  const worker = startReader({ options, credit: credit.buffer as SharedArrayBuffer });
  const queue: FromReader[] = [];
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const nudge = () => {
    wake?.();
    wake = null;
  };
  worker.on('message', (m: FromReader) => {
    queue.push(m);
    nudge();
  });
  worker.on('error', (e) => {
    failure = e;
    nudge();
  });
  worker.on('exit', (code) => {
    // Its last message ('end' or an error) is queued before it exits; an exit without one is a failure.
    failure ??= new Error(`the import's reading thread stopped before the end (exit code ${code})`);
    nudge();
  });
  try {
    for (;;) {
      const next = queue.shift();
      if (!next) {
        if (failure) throw failure;
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      if (next.end) return;
      if (next.error) {
        throw next.error.name === 'UsageError' ? new UsageError(next.error.message) : new Error(next.error.message);
      }
      Atomics.add(credit, 0, 1);
      Atomics.notify(credit, 0);
      yield next.chunk;
    }
  } finally {
    await worker.terminate();
  }
}

/** The entries of `options.file`, read in a thread of its own when the file is large. */
export function entryChunks(options: EntryOptions): AsyncGenerator<EntryChunk> {
  let size = 0;
  try {
    size = statSync(options.file).size;
  } catch {
    // readEntries reports the file it cannot read.
  }
  return size >= THREAD_FROM_BYTES ? fromThread(options) : readEntries(options);
}
