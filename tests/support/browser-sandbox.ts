/**
 * Runs a package as a browser would: bundled for the browser platform with no Node module and no
 * server driver in it, then loaded into a sandbox that holds only browser globals.
 */
import { build } from 'esbuild';
import vm from 'node:vm';
import { expect } from 'vitest';

/** What a browser page has, and nothing of Node's (no process, require, Buffer, module). */
function browserGlobals(): vm.Context {
  const context = vm.createContext({
    crypto: globalThis.crypto,
    TextEncoder,
    TextDecoder,
    Intl,
    console,
    setTimeout,
    clearTimeout,
    queueMicrotask,
    btoa,
    atob,
  });
  // A browser's structuredClone makes objects of the page's own realm; Node's would make Dates foreign
  // to the sandbox, where instanceof Date then fails (the memory store copies rows with it).
  vm.runInContext(
    `globalThis.structuredClone = function clone(v) {
      if (v instanceof Date) return new Date(v.getTime());
      if (Array.isArray(v)) return v.map(clone);
      if (v !== null && typeof v === 'object')
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clone(x)]));
      return v;
    };`,
    context,
  );
  return context;
}

/**
 * Bundles `entry` as an IIFE exposing `globalName`, checks that the bundle holds `mustInclude` (a
 * source path) and no `node:` module, better-sqlite3 or pg, and returns a browser-only sandbox with
 * the bundle loaded: run code in it with `vm.runInContext`.
 */
export async function loadInBrowser(entry: string, globalName: string, mustInclude: string): Promise<vm.Context> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName,
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
    conditions: ['@clientele/source'],
  });
  const inputs = Object.keys(result.metafile.inputs);
  expect(inputs.some((i) => i.includes(mustInclude))).toBe(true);
  expect(inputs.filter((i) => i.startsWith('node:') || /(^|\/)node_modules\/(better-sqlite3|pg)\//.test(i))).toEqual(
    [],
  );
  const code = result.outputFiles[0]!.text;
  expect(code).not.toMatch(/require\(["']node:/);
  const context = browserGlobals();
  vm.runInContext(code, context);
  return context;
}
