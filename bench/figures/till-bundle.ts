/**
 * `till.bundle`: the gzipped size (KiB) of a web till's script: `@clientele/till` bundled for the
 * browser with what it imports (core, loyalty, zod), minified; its baseline is `@clientele/core`
 * bundled alone the same way. The size does not depend on the machine, so a quick run measures it too.
 */
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Figure, FigureResult } from '../figure.js';
import { round } from '../stats.js';

/** A tablet on a slow line should load the till's script in seconds. */
const TARGET_KIB = 200;

async function gzippedKiB(entry: string): Promise<{ raw: number; gzipped: number }> {
  const out = await build({
    entryPoints: [fileURLToPath(new URL(entry, import.meta.url))],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['@clientele/source'],
    write: false,
    logLevel: 'silent',
  });
  const code = out.outputFiles[0]!.contents;
  return { raw: round(code.length / 1024, 1), gzipped: round(gzipSync(code, { level: 9 }).length / 1024, 1) };
}

export const tillBundle: Figure = {
  id: 'till.bundle',
  title: "a web till's script, gzipped (KiB)",
  async run({ log }): Promise<FigureResult> {
    const till = await gzippedKiB('../../packages/till/src/index.ts');
    const core = await gzippedKiB('../../packages/core/src/index.ts');
    log(`till ${till.raw} KiB minified, ${till.gzipped} KiB gzipped; core alone ${core.gzipped} KiB gzipped`);
    return {
      id: 'till.bundle',
      unit: 'KiB gzipped',
      clientele: till.gzipped,
      baseline: core.gzipped,
      ratio: round(till.gzipped / core.gzipped, 3),
      higherIsBetter: false,
      target: `< ${TARGET_KIB} KiB`,
      met: till.gzipped < TARGET_KIB,
      extra: { tillMinifiedKiB: till.raw, coreMinifiedKiB: core.raw },
      note:
        '@clientele/till with core, loyalty and zod, bundled for the browser (esbuild, minified, ESM), gzip level 9; ' +
        'baseline: @clientele/core bundled alone',
    };
  },
};
