/**
 * The wrong-input generator itself: a plan that nests a node thousands of times nests it, and one whose
 * node holds the 5 MB text leaves it as it is, so that no generated input is too large to write out
 * (each level's copy shares the text, and JSON writes it once per level).
 */
import { describe, expect, it } from 'vitest';
import { materialize, poisonValue, type Plan } from './support/wrong-values.js';

/** How many times `value` holds itself along `key`. */
function depthAlong(value: unknown, key: string): number {
  let depth = 0;
  let v = value as Record<string, unknown> | undefined;
  while (v !== null && typeof v === 'object' && key in v) {
    v = v[key] as Record<string, unknown> | undefined;
    depth++;
  }
  return depth;
}

// Nodes of the base in the generator's order: the root, then `a`, `t`, then `a.b`.
const base = { arbitrary: { a: { b: 1 }, t: 'x' } };
const hugeAtT = { kind: 'poison', at: 2, poison: 'huge-text' } as const;
const recurseRoot = { kind: 'recurse', at: 0, via: 0 } as const;

describe('wrong-input plans', () => {
  it('nest a node in itself thousands of times', () => {
    const value = materialize({ base, mutations: [recurseRoot] } satisfies Plan, []);
    expect(depthAlong(value, 'a')).toBeGreaterThan(2000);
  });

  it('leave a node holding the huge text as it is, so that its JSON stays one copy of the text', () => {
    const poisoned = materialize({ base, mutations: [hugeAtT] } satisfies Plan, []) as Record<string, unknown>;
    expect(poisoned['t']).toBe(poisonValue('huge-text'));
    const value = materialize({ base, mutations: [hugeAtT, recurseRoot] } satisfies Plan, []);
    expect(depthAlong(value, 'a')).toBe(1);
    expect(JSON.stringify(value).length).toBeLessThan((poisonValue('huge-text') as string).length + 100);
  });
});
