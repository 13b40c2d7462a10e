/**
 * Clientele's benchmarks: each figure measured beside a hand-written baseline (raw driver calls or another library).
 *
 *   npm run bench                              every figure; writes bench/results.json
 *   npm run bench -- --only checkout.sqlite    some figures (comma-separated or repeated);
 *                                              their entries in bench/results.json are replaced,
 *                                              the others kept
 *   npm run bench -- --quick                   small data sets and few samples: a smoke run whose
 *                                              numbers mean little; writes bench/results.quick.json,
 *                                              never bench/results.json
 *
 * Figures: every `Figure` exported from a module in `bench/figures/` (`--help` lists their ids).
 * Data sets are built in temporary files or schemas and removed afterwards; the full data sets
 * take a while to build.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Figure, FigureResult } from './figure.js';
import { formatTable, writeResults } from './report.js';
import { removeAllTempDirs } from './temp.js';

/** Every figure exported by a module in `bench/figures/`, in file-name order: adding a figure is adding a file. */
async function loadFigures(): Promise<Figure[]> {
  const dir = fileURLToPath(new URL('./figures/', import.meta.url));
  const figures: Figure[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .sort()) {
    const exports = (await import(pathToFileURL(`${dir}${file}`).href)) as Record<string, unknown>;
    for (const value of Object.values(exports)) if (isFigure(value)) figures.push(value);
  }
  return figures;
}

function isFigure(value: unknown): value is Figure {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Figure).id === 'string' &&
    typeof (value as Figure).run === 'function'
  );
}

let FIGURES: readonly Figure[] = [];

/** A mistake in the command line. */
class UsageError extends Error {}

interface Args {
  quick: boolean;
  only: string[] | null;
}

function usage(): string {
  const figures = FIGURES.map((f) => f.id).join(', ');
  return `usage: npm run bench -- [--quick] [--only <figure>[,<figure>...]]\nfigures: ${figures}`;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { quick: false, only: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') args.quick = true;
    else if (arg === '--only' || arg.startsWith('--only=')) {
      const value = arg === '--only' ? argv[++i] : arg.slice('--only='.length);
      if (!value) throw new UsageError(`--only needs a figure id\n${usage()}`);
      args.only = [
        ...(args.only ?? []),
        ...value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ];
    } else if (arg === '--help' || arg === '-h') {
      console.log(usage());
      process.exit(0);
    } else throw new UsageError(`unknown argument ${arg}\n${usage()}`);
  }
  const unknown = (args.only ?? []).filter((id) => !FIGURES.some((f) => f.id === id));
  if (unknown.length) throw new UsageError(`unknown figure ${unknown.join(', ')}\n${usage()}`);
  return args;
}

async function main(): Promise<void> {
  FIGURES = await loadFigures();
  const args = parseArgs(process.argv.slice(2));
  const selected = FIGURES.filter((f) => args.only === null || args.only.includes(f.id));
  // A quick run is a smoke test: its numbers must never replace the committed figures.
  const resultsFile = fileURLToPath(new URL(args.quick ? './results.quick.json' : './results.json', import.meta.url));

  if (args.quick) console.log('quick mode: small data sets, figures are not representative');
  const results: FigureResult[] = [];
  for (const figure of selected) {
    console.log(`\n== ${figure.id}: ${figure.title}`);
    const began = Date.now();
    const result = await figure.run({ quick: args.quick, log: (message) => console.log(`  ${message}`) });
    console.log(`  done in ${((Date.now() - began) / 1000).toFixed(1)} s`);
    results.push(result);
  }

  console.log(`\n${formatTable(results)}\n`);
  for (const r of results) console.log(`${r.id}: target ${r.target} ${r.met ? 'is met' : 'is NOT met'}`);
  writeResults(
    resultsFile,
    results,
    FIGURES.map((f) => f.id),
  );
  console.log(`\nfigures written to bench/${args.quick ? 'results.quick.json' : 'results.json'}`);
}

// Never leave a multi-hundred-megabyte database in the temporary directory.
process.on('exit', removeAllTempDirs);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    removeAllTempDirs();
    process.exit(130);
  });
}

main().catch((error: unknown) => {
  // A mistyped argument needs the usage, not a stack trace.
  console.error(error instanceof UsageError ? error.message : error);
  process.exitCode = 1;
});
