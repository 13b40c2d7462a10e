/** Registers the whole conformance suite as vitest `describe`/`it` blocks. */
import { describe, it } from 'vitest';
import type { ConformanceOptions } from './options.js';
import { runConformanceTest } from './run-test.js';
import { suites } from './suites.js';
import { checkSkipList } from './test-ids.js';
import type { ConformanceTestId } from './test-ids.js';

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Registers every conformance test for one store adapter. Call it at the top level of a vitest test
 * file; it adds one `describe` block named after `name`, with one test per {@link ConformanceTestId}.
 *
 * Each test gets a fresh store from `options.create()`, migrates the kit's own collections into it,
 * checks through the adapter and, when `options.probe` is given, through the raw database, then closes
 * the store. Tests that depend on a capability the store declares `false` are reported as skipped.
 *
 * @param name - Shown in the test report, e.g. `'sqlite'`.
 * @param options - The store factory, optional probe, skip list and timeout.
 * @throws TypeError when `options.skip` names an unknown id or an id that depends on no capability.
 *
 * @example
 * ```ts
 * import { memoryStore } from '@clientele/core/adapter';
 * import { runStoreConformance } from '@clientele/testkit';
 *
 * runStoreConformance('memory', { create: async () => memoryStore() });
 * ```
 */
export function runStoreConformance(name: string, options: ConformanceOptions): void {
  checkSkipList(options.skip ?? []);
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  describe(`${name} store conformance`, () => {
    for (const suite of suites) {
      describe(suite.title, () => {
        for (const id of Object.keys(suite.tests) as ConformanceTestId[]) {
          it(id, (context) => runConformanceTest(id, options, (note) => context.skip(note)), timeout);
        }
      });
    }
  });
}
