/**
 * `@clientele/testkit`: the conformance suite every Clientele storage adapter runs. Hand
 * {@link runStoreConformance} a factory of fresh stores and, ideally, a raw {@link StoreProbe} of the
 * database; it registers vitest tests that check the whole storage port, including real races.
 *
 * @packageDocumentation
 */
export { runStoreConformance } from './run-conformance.js';
export type { ConformanceOptions, StoreProbe } from './options.js';
export { CONFORMANCE_TESTS, conformanceTestIds } from './test-ids.js';
export type { CapabilityName, ConformanceTestId, ConformanceTestInfo } from './test-ids.js';
export { conformanceCollectionNames, MAX_KEY_LENGTH } from './fixtures.js';
