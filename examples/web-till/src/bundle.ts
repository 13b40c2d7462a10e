/**
 * The web till's script: `page/till-page.ts` with what it imports (the till, the HTTP client,
 * the PostgreSQL store and PGlite's JavaScript), bundled for the browser by esbuild, minified. PGlite's
 * WebAssembly and data files are not in it: the script fetches them next to itself (see `pgliteAssets`).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The page's entry point. */
export const PAGE_ENTRY = fileURLToPath(new URL('../page/till-page.ts', import.meta.url));

/**
 * Bundles the page's script; answers its code. `leaveOut` names packages to keep out of it (as imports
 * left to the browser): the benchmark bundles the page without PGlite to weigh what Clientele ships.
 */
export async function bundlePage(options: { minify?: boolean; leaveOut?: string[] } = {}): Promise<Uint8Array> {
  const out = await build({
    entryPoints: [PAGE_ENTRY],
    bundle: true,
    minify: options.minify ?? true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@clientele/source'],
    // Imported only on Node (the store's `pg` for a connection string, PGlite's Node branch), never here.
    external: ['pg', 'node:*', ...(options.leaveOut ?? [])],
    write: false,
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.contents;
}

/** PGlite's files the script loads beside itself: name and contents. */
export function pgliteAssets(): Array<{ name: string; body: Buffer; type: string }> {
  const require = createRequire(import.meta.url);
  const dist = dirname(require.resolve('@electric-sql/pglite'));
  return [
    { name: 'pglite.wasm', type: 'application/wasm' },
    { name: 'initdb.wasm', type: 'application/wasm' },
    { name: 'pglite.data', type: 'application/octet-stream' },
  ].map((a) => ({ ...a, body: readFileSync(join(dist, a.name)) }));
}
