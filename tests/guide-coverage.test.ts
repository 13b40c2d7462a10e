/**
 * Every command and query a host can call appears in a guide: a function reachable on a Clientele
 * with every module installed is named in some page of docs/ (as `crm.loyalty.quote(`, `loyalty.quote(`
 * or `` `loyalty.quote` ``), so a new call cannot ship that no guide mentions.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { memoryStore } from '@clientele/core';
import { openFullChain } from './support/full-chain.js';

const docs = fileURLToPath(new URL('../docs/', import.meta.url));

/** Every function reachable on `root` (nested service objects included), by its dotted path. */
function callablePaths(root: object): string[] {
  const out: string[] = [];
  const seen = new Set<object>();
  const walk = (value: object, path: string) => {
    if (seen.has(value)) return;
    seen.add(value);
    for (const key of Object.keys(value)) {
      // The store, clock, event hub and outbox are infrastructure with guides of their own.
      if (path === '' && ['store', 'clock', 'events', 'outbox'].includes(key)) continue;
      const child = (value as Record<string, unknown>)[key];
      const at = path ? `${path}.${key}` : key;
      if (typeof child === 'function') out.push(at);
      else if (child !== null && typeof child === 'object' && !Array.isArray(child)) walk(child, at);
    }
  };
  walk(root, '');
  return out.sort();
}

describe('guides', () => {
  it('name every command and query of core and the modules', async () => {
    const { crm } = await openFullChain(memoryStore());
    const text = readdirSync(docs)
      .filter((f) => f.endsWith('.md'))
      .map((f) => readFileSync(docs + f, 'utf8'))
      .join('\n');
    const paths = callablePaths(crm);
    expect(paths).toContain('customers.register');
    const unnamed = paths.filter((p) => !text.includes(`${p}(`) && !text.includes(`\`${p}\``));
    expect(unnamed).toEqual([]);
    await crm.close();
  });
});
