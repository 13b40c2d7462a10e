#!/usr/bin/env node
/** The `clientele` executable: runs the command line, and stops cleanly on SIGINT or SIGTERM. */
import { EXIT } from './exit-codes.js';
import { main } from './main.js';

const stop = new AbortController();
for (const name of ['SIGINT', 'SIGTERM'] as const)
  process.on(name, () => {
    // The first signal lets the batch in flight finish; a second one stops at once.
    if (stop.signal.aborted) process.exit(EXIT.interrupted);
    stop.abort();
  });

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }, stop.signal).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`clientele: unexpected failure: ${String(error)}\n`);
    process.exitCode = EXIT.failed;
  },
);
