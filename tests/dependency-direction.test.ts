/**
 * The layering holds: domain modules and adapters import core, core imports none of them, modules and
 * adapters do not import each other, transports import core and the modules they serve (never an
 * adapter), and no source file takes part in an import cycle. Adapters (and the SQL layer and the
 * conformance kit) reach core through its entry for adapter authors, `@clientele/core/adapter`, and
 * modules through `@clientele/core/module`: what they need of core is there, and the application's
 * entry stays free of it.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../', import.meta.url));
const packagesDir = join(root, 'packages');

/** What each layer may import of the others (besides itself). */
const LAYERS: Record<string, 'core' | 'sql' | 'adapter' | 'module' | 'kit' | 'transport' | 'app'> = {
  core: 'core',
  sql: 'sql',
  sqlite: 'adapter',
  postgres: 'adapter',
  mysql: 'adapter',
  loyalty: 'module',
  complaints: 'module',
  segments: 'module',
  testkit: 'kit',
  http: 'transport',
  till: 'transport',
  cli: 'app',
};
/** The entry of core each layer imports. */
const CORE_ENTRY: Record<string, string> = {
  sql: '@clientele/core/adapter',
  adapter: '@clientele/core/adapter',
  kit: '@clientele/core/adapter',
  module: '@clientele/core/module',
};
const MAY_IMPORT: Record<string, readonly string[]> = {
  core: [],
  sql: ['core'],
  adapter: ['core', 'sql'],
  module: ['core'],
  kit: ['core'],
  transport: ['core', 'module'],
  // The command line wires a whole application: adapters by store URL, the SQL layer for migration plans, relays.
  app: ['core', 'sql', 'adapter', 'module', 'transport'],
};

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** Every module specifier a file imports or re-exports (type-only ones included: they couple too). */
function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s+'([^']+)'/g)) found.push(m[1]!);
  for (const m of text.matchAll(/(?:^|\n)\s*import\s+'([^']+)'/g)) found.push(m[1]!);
  for (const m of text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) found.push(m[1]!);
  return found;
}

const packages = Object.keys(LAYERS).filter((p) =>
  statSync(join(packagesDir, p, 'src'), { throwIfNoEntry: false })?.isDirectory(),
);
const filesOf = new Map(packages.map((p) => [p, sourceFiles(join(packagesDir, p, 'src'))]));

describe('dependency direction', () => {
  it('finds every package of the layering', () => {
    expect(packages.sort()).toEqual(Object.keys(LAYERS).sort());
  });

  it('lets each package import only the layers below it', () => {
    const wrong: string[] = [];
    for (const [pkg, files] of filesOf) {
      const allowed = MAY_IMPORT[LAYERS[pkg]!]!;
      for (const file of files) {
        for (const spec of specifiers(file)) {
          const m = /^@clientele\/([a-z-]+)/.exec(spec);
          if (!m || m[1] === pkg) continue;
          const target = LAYERS[m[1]!];
          if (!target || !allowed.includes(target)) wrong.push(`${relative(root, file)} imports ${spec}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('imports core through the entry for its kind of package', () => {
    const wrong: string[] = [];
    for (const [pkg, files] of filesOf) {
      const entry = CORE_ENTRY[LAYERS[pkg]!];
      if (!entry) continue;
      for (const file of files)
        for (const spec of specifiers(file))
          if (spec.startsWith('@clientele/core') && spec !== entry)
            wrong.push(`${relative(root, file)} imports ${spec}`);
    }
    expect(wrong).toEqual([]);
  });

  it('has no import cycle between the files of any package', () => {
    const cycles: string[] = [];
    for (const files of filesOf.values()) {
      const known = new Set(files);
      const edges = new Map<string, string[]>();
      for (const file of files) {
        const targets = specifiers(file)
          .filter((s) => s.startsWith('.'))
          .map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')))
          .filter((t) => known.has(t));
        edges.set(file, targets);
      }
      const state = new Map<string, 'open' | 'done'>();
      const stack: string[] = [];
      const visit = (file: string): void => {
        state.set(file, 'open');
        stack.push(file);
        for (const next of edges.get(file) ?? []) {
          if (state.get(next) === 'open')
            cycles.push([...stack.slice(stack.indexOf(next)), next].map((f) => relative(root, f)).join(' -> '));
          else if (!state.has(next)) visit(next);
        }
        stack.pop();
        state.set(file, 'done');
      };
      for (const file of files) if (!state.has(file)) visit(file);
    }
    expect(cycles).toEqual([]);
  });
});
