/**
 * The import's reading thread: decodes, parses and maps the export (see `entries.ts`) while the main
 * thread writes, and sends the entries over in chunks. It sends a chunk only while it holds credit (a
 * shared counter the main thread raises as it takes chunks), so a fast reader never holds more than a
 * few chunks in memory.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readEntries, type EntryOptions } from './entries.js';
import type { FromReader, ReaderData } from './entry-source.js';

async function read(port: NonNullable<typeof parentPort>, data: ReaderData): Promise<void> {
  const credit = new Int32Array(data.credit);
  const send = (message: FromReader) => port.postMessage(message);
  try {
    for await (const chunk of readEntries(data.options as EntryOptions)) {
      // Blocking is fine here: this thread has nothing else to do until the main thread takes a chunk.
      for (let c = Atomics.load(credit, 0); c <= 0; c = Atomics.load(credit, 0)) Atomics.wait(credit, 0, c);
      Atomics.sub(credit, 0, 1);
      send({ chunk });
    }
    send({ end: true });
  } catch (error) {
    const e = error as Error;
    send({ error: { name: e.name, message: e.message } });
  }
  port.close();
}

if (parentPort) void read(parentPort, workerData as ReaderData);
