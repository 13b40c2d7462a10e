/** The suites in registration order, and the body of every conformance test by id. */
import type { ConformanceTest, Suite } from './harness.js';
import { concurrencySuite } from './suites/concurrency.js';
import { crudSuite } from './suites/crud.js';
import { keysSuite } from './suites/keys.js';
import { migrationsSuite } from './suites/migrations.js';
import { optionalSuite } from './suites/optional.js';
import { pagingSuite } from './suites/paging.js';
import { pushdownSuite } from './suites/pushdown.js';
import { queriesSuite } from './suites/queries.js';
import { transactionsSuite } from './suites/transactions.js';
import { valuesSuite } from './suites/values.js';
import type { ConformanceTestId } from './test-ids.js';

/** Each becomes one `describe` block. */
export const suites: readonly Suite[] = [
  crudSuite,
  keysSuite,
  concurrencySuite,
  transactionsSuite,
  pagingSuite,
  queriesSuite,
  valuesSuite,
  migrationsSuite,
  pushdownSuite,
  optionalSuite,
];

/** Typed as a full record, so an id without a body (or a body without an id) does not compile. */
export const testBodies: Record<ConformanceTestId, ConformanceTest> = {
  ...crudSuite.tests,
  ...keysSuite.tests,
  ...concurrencySuite.tests,
  ...transactionsSuite.tests,
  ...pagingSuite.tests,
  ...queriesSuite.tests,
  ...valuesSuite.tests,
  ...migrationsSuite.tests,
  ...pushdownSuite.tests,
  ...optionalSuite.tests,
};
