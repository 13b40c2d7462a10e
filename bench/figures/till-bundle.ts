/**
 * `till.bundle`: the gzipped size (KiB) of the web till's script: the page of `examples/web-till`
 * (`@clientele/till`, the HTTP client, the PostgreSQL store and PGlite's JavaScript, with core,
 * loyalty and zod), bundled for the browser as its server serves it, minified. Its baseline is
 * `@clientele/core` bundled alone the same way. PGlite's WebAssembly and data files are not in the
 * script: their gzipped sizes are reported beside it (fetched once, then kept by the page's service
 * worker). The sizes do not depend on the machine, so a quick run measures them too.
 */
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { bundlePage, pgliteAssets } from '../../examples/web-till/src/bundle.js';
import type { Figure, FigureResult } from '../figure.js';
import { round } from '../stats.js';

/** A tablet on a slow line should load the till's script in seconds. */
const TARGET_KIB = 200;

const kib = (bytes: number) => round(bytes / 1024, 1);
const sizes = (code: Uint8Array) => ({ raw: kib(code.length), gzipped: kib(gzipSync(code, { level: 9 }).length) });

async function bundled(entry: string): Promise<Uint8Array> {
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
  return out.outputFiles[0]!.contents;
}

export const tillBundle: Figure = {
  id: 'till.bundle',
  title: "the web till's script, gzipped (KiB)",
  async run({ log }): Promise<FigureResult> {
    const page = sizes(await bundlePage());
    const tillAlone = sizes(await bundled('../../packages/till/src/index.ts'));
    const core = sizes(await bundled('../../packages/core/src/index.ts'));
    const assets = Object.fromEntries(pgliteAssets().map((a) => [a.name, sizes(a.body).gzipped]));
    log(`web till script ${page.raw} KiB minified, ${page.gzipped} KiB gzipped`);
    log(`@clientele/till alone ${tillAlone.gzipped} KiB gzipped; core alone ${core.gzipped} KiB gzipped`);
    log(
      `PGlite's files, gzipped: ${Object.entries(assets)
        .map(([name, size]) => `${name} ${size} KiB`)
        .join(', ')}`,
    );
    return {
      id: 'till.bundle',
      unit: 'KiB gzipped',
      clientele: page.gzipped,
      baseline: core.gzipped,
      ratio: round(page.gzipped / core.gzipped, 3),
      higherIsBetter: false,
      target: `< ${TARGET_KIB} KiB`,
      met: page.gzipped < TARGET_KIB,
      extra: {
        scriptMinifiedKiB: page.raw,
        tillAloneGzippedKiB: tillAlone.gzipped,
        coreMinifiedKiB: core.raw,
        pgliteWasmGzippedKiB: assets['pglite.wasm']!,
        initdbWasmGzippedKiB: assets['initdb.wasm']!,
        pgliteDataGzippedKiB: assets['pglite.data']!,
      },
      note:
        "examples/web-till's page script (the till, the HTTP client, the PostgreSQL store, PGlite's JavaScript, " +
        'core, loyalty, zod), bundled for the browser as its server does (esbuild, minified, ESM), gzip level 9; ' +
        "PGlite's .wasm and .data files are fetched beside it and not counted (see extra); " +
        'baseline: @clientele/core bundled alone',
    };
  },
};
