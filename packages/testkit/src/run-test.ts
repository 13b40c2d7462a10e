/**
 * Runs one conformance test against a fresh store: applies the capability and skip rules, migrates the
 * kit's collections, runs the body, and always closes the store.
 */
import { fixtureMigrations } from './fixtures.js';
import type { ConformanceOptions } from './options.js';
import { testBodies } from './suites.js';
import { CONFORMANCE_TESTS } from './test-ids.js';
import type { ConformanceTestId, ConformanceTestInfo } from './test-ids.js';

/**
 * Runs test `id`. `skip` is called (and must throw, as vitest's `context.skip` does, or return) when the
 * store lacks the test's capability.
 */
export async function runConformanceTest(
  id: ConformanceTestId,
  options: ConformanceOptions,
  skip: (note: string) => void,
): Promise<void> {
  const { capability }: ConformanceTestInfo = CONFORMANCE_TESTS[id];
  const listed = options.skip?.includes(id) ?? false;
  const store = await options.create();
  const run = async (): Promise<void> => {
    const declared = capability === null ? true : store.capabilities[capability] === true;
    if (!declared) {
      skip(`${store.kind} declares capabilities.${capability}: false`);
      return;
    }
    if (listed) {
      throw new Error(
        capability === null
          ? `${id} is in the skip list, but it depends on no capability: every store must pass it`
          : `${id} is in the skip list, but ${store.kind} declares capabilities.${capability}: true. ` +
              'A store that declares a capability must pass its tests; remove the id from skip or declare the ' +
              'capability false.',
      );
    }
    await store.migrate(fixtureMigrations);
    const probe = options.probe?.(store);
    await testBodies[id]({ store, probe });
  };
  let failed = false;
  let failure: unknown;
  try {
    await run();
  } catch (error) {
    failed = true;
    failure = error;
  }
  try {
    await store.close();
  } catch (error) {
    // A failure to close matters only when the test itself passed; otherwise it would hide the real cause.
    if (!failed) throw error;
  }
  if (failed) throw failure;
}
