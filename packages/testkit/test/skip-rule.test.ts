import { memoryStore } from '@clientele/core';
import { CONFORMANCE_TESTS, conformanceTestIds, runStoreConformance } from '@clientele/testkit';
import type { ConformanceTestId } from '@clientele/testkit';
import { describe, expect, it } from 'vitest';
import { runConformanceTest } from '../src/run-test.js';
import { suites, testBodies } from '../src/suites.js';
import { checkSkipList } from '../src/test-ids.js';
import { pushdownStore } from './adapters.js';

const create = async () => memoryStore();

describe('the skip rule', () => {
  it('refuses, at registration, to skip a test that depends on no capability', () => {
    expect(() => runStoreConformance('broken', { create, skip: ['crud.insert-get'] })).toThrow(TypeError);
    expect(() =>
      runStoreConformance('broken', { create, skip: ['version.eight-contenders', 'pushdown.insert-many'] }),
    ).toThrow(/'version\.eight-contenders' does not depend on a capability/);
  });

  it('accepts ids that depend on a capability', () => {
    expect(() => checkSkipList(['pushdown.aggregate-equals-fallback', 'pushdown.insert-many'])).not.toThrow();
  });

  it('refuses an unknown id', () => {
    expect(() => runStoreConformance('broken', { create, skip: ['crud.everything' as ConformanceTestId] })).toThrow(
      /'crud\.everything' is not a conformance test id/,
    );
  });

  it('fails a listed test whose capability the store declares true', async () => {
    const run = runConformanceTest(
      'pushdown.insert-many',
      { create: async () => pushdownStore(), skip: ['pushdown.insert-many'] },
      () => {
        throw new Error('must not skip');
      },
    );
    await expect(run).rejects.toThrow(/declares capabilities\.insertMany: true/);
  });

  it('skips a test whose capability the store declares false, without running it', async () => {
    const notes: string[] = [];
    let closed = 0;
    const store = async () => {
      const s = memoryStore();
      return { ...s, close: async () => void (closed += 1) };
    };
    await runConformanceTest('pushdown.aggregate-equals-fallback', { create: store }, (note) => void notes.push(note));
    await runConformanceTest(
      'pushdown.insert-many',
      { create: store, skip: ['pushdown.insert-many'] },
      (note) => void notes.push(note),
    );
    expect(notes).toEqual([
      'memory declares capabilities.aggregate: false',
      'memory declares capabilities.insertMany: false',
    ]);
    expect(closed, 'the store is closed after a skip').toBe(2);
  });

  it('has exactly one body per id, in order, and a capability only where a flag exists', () => {
    expect(Object.keys(testBodies).sort()).toEqual([...conformanceTestIds].sort());
    expect(
      suites.flatMap((suite) => Object.keys(suite.tests)),
      'registration follows the documented order',
    ).toEqual(conformanceTestIds);
    const flags = Object.keys(memoryStore().capabilities);
    for (const id of conformanceTestIds) {
      const { capability } = CONFORMANCE_TESTS[id];
      if (capability !== null) expect(flags).toContain(capability);
    }
  });
});
