/**
 * The core package as the registry gets it: packed with `npm pack`, installed beside nothing but its
 * dependencies, and loaded by plain Node without the source condition. Its three entries resolve to
 * the built files in both module systems, each has what its readers import, an application's entry
 * holds none of the machinery for adapter and module authors, and the three share one copy of every
 * class (an error thrown through one entry is an instance of the class of another).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root } from './support/markdown.js';

const core = `${root}packages/core/`;
const scratch = `${root}tests/.pack-run/`;
const installed = `${scratch}node_modules/@clientele/core/`;

/** The newest modification time under `dir`, in milliseconds. */
function newest(dir: string): number {
  let latest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    latest = Math.max(latest, stat.isDirectory() ? newest(path) : stat.mtimeMs);
  }
  return latest;
}

/** Builds core unless its dist is newer than every source file (the lint step builds it before the tests). */
function ensureBuilt(): void {
  let built = 0;
  try {
    built = statSync(`${core}dist/module.d.ts`).mtimeMs;
  } catch {}
  const sources = Math.max(newest(`${core}src`), statSync(`${core}package.json`).mtimeMs);
  if (built < sources) execFileSync('npx', ['tsup'], { cwd: core, stdio: 'pipe' });
}

interface Loaded {
  resolved: Record<string, string>;
  keys: Record<string, string[]>;
  sameClasses: boolean;
}

const ENTRIES = ['@clientele/core', '@clientele/core/adapter', '@clientele/core/module'];

// Run by plain Node from the scratch directory: it resolves the packed copy, with Node's conditions only.
const probe = `
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const entries = ${JSON.stringify(ENTRIES)};
const resolved = {};
const keys = {};
const loaded = {};
for (const entry of entries) {
  const esm = await import(entry);
  const cjs = require(entry);
  resolved['esm ' + entry] = import.meta.resolve(entry);
  resolved['cjs ' + entry] = require.resolve(entry);
  keys['esm ' + entry] = Object.keys(esm).sort();
  keys['cjs ' + entry] = Object.keys(cjs).filter((k) => k !== '__esModule').sort();
  loaded[entry] = { esm, cjs };
}
const [app, adapter, mod] = entries.map((e) => loaded[e]);
const sameClasses = ['esm', 'cjs'].every(
  (kind) =>
    app[kind].ConflictError === adapter[kind].ConflictError &&
    app[kind].ConflictError === mod[kind].ConflictError &&
    new adapter[kind].StoreUnavailableError('down') instanceof app[kind].ClienteleError,
);
console.log(JSON.stringify({ resolved, keys, sameClasses }));
`;

// Type-checked as a consumer on Node's own resolution: the declarations of each entry are found.
const consumer = `
import { createClientele, type Clientele } from '@clientele/core';
import { defineStore, Mutex, type StoreBase } from '@clientele/core/adapter';
import { defineModule, type CommandContext } from '@clientele/core/module';
export type Types = [Clientele, StoreBase, CommandContext];
export type Functions = [typeof createClientele, typeof defineStore, typeof defineModule];
export const lock: Mutex = new Mutex();
`;

describe('the packed @clientele/core', () => {
  let files: string[] = [];
  let loaded: Loaded;

  beforeAll(() => {
    ensureBuilt();
    rmSync(scratch, { recursive: true, force: true });
    mkdirSync(installed, { recursive: true });
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: core, encoding: 'utf8' }),
    ) as Array<{ filename: string; files: Array<{ path: string }> }>;
    files = packed!.files.map((f) => f.path);
    execFileSync('tar', ['-xzf', `${scratch}${packed!.filename}`, '-C', installed, '--strip-components=1']);
    writeFileSync(`${scratch}package.json`, JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    writeFileSync(`${scratch}probe.mjs`, probe);
    loaded = JSON.parse(execFileSync(process.execPath, ['probe.mjs'], { cwd: scratch, encoding: 'utf8' }));
  }, 180_000);

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('ships the built files of every entry, with declarations for both module systems', () => {
    for (const entry of ['index', 'adapter', 'module'])
      for (const ext of ['js', 'cjs', 'd.ts', 'd.cts']) expect(files).toContain(`dist/${entry}.${ext}`);
  });

  it('resolves each entry to its built file, as ESM and as CommonJS', () => {
    for (const [entry, file] of [
      ['@clientele/core', 'index'],
      ['@clientele/core/adapter', 'adapter'],
      ['@clientele/core/module', 'module'],
    ]) {
      expect(loaded.resolved[`esm ${entry}`]).toMatch(
        new RegExp(`/tests/\\.pack-run/node_modules/@clientele/core/dist/${file}\\.js$`),
      );
      expect(loaded.resolved[`cjs ${entry}`]).toMatch(
        new RegExp(`/tests/\\.pack-run/node_modules/@clientele/core/dist/${file}\\.cjs$`),
      );
      expect(loaded.keys[`cjs ${entry}`]).toEqual(loaded.keys[`esm ${entry}`]);
    }
  });

  it('gives adapter authors the port machinery and module authors the kernel, and applications neither', () => {
    const app = loaded.keys['esm @clientele/core']!;
    const adapter = loaded.keys['esm @clientele/core/adapter']!;
    const mod = loaded.keys['esm @clientele/core/module']!;
    expect(app).toEqual(expect.arrayContaining(['createClientele', 'memoryStore', 'manualClock', 'ConflictError']));
    expect(adapter).toEqual(
      expect.arrayContaining([
        'defineStore',
        'Mutex',
        'aggregateByScan',
        'createRowCodec',
        'checkRow',
        'ConflictError',
      ]),
    );
    expect(mod).toEqual(
      expect.arrayContaining([
        'defineModule',
        'resolveActiveCustomer',
        'saleLines',
        'storeCalendar',
        'mustGet',
        'parseInput',
      ]),
    );
    for (const internal of ['Mutex', 'defineStore', 'aggregateByScan', 'defineModule', 'mustGet', 'parseInput', 'scan'])
      expect(app).not.toContain(internal);
  });

  it('shares one copy of each class between the entries', () => {
    expect(loaded.sameClasses).toBe(true);
  });

  it('type-checks a consumer of the three entries on Node resolution', () => {
    writeFileSync(`${scratch}consumer.mts`, consumer);
    const tsc = `${root}node_modules/typescript/bin/tsc`;
    const args = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck'];
    const run = (extra: string[]) =>
      execFileSync(process.execPath, [tsc, ...args, ...extra], { cwd: scratch, encoding: 'utf8' });
    expect(() => run(['consumer.mts'])).not.toThrow();
  }, 60_000);
});
