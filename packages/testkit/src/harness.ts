/**
 * What one conformance test body receives, and the shape of a suite: a titled group of bodies keyed by
 * test id.
 */
import type { Store } from '@clientele/core/adapter';
import type { StoreProbe } from './options.js';
import type { ConformanceTestId } from './test-ids.js';

/** A migrated, empty store and, when the adapter author gave one, a raw probe of its database. */
export interface Harness {
  readonly store: Store;
  readonly probe: StoreProbe | undefined;
}

/** The body of one conformance test; it throws (an assertion) when the store does not conform. */
export type ConformanceTest = (h: Harness) => Promise<void>;

/** A group of tests registered under one `describe`. */
export interface Suite {
  readonly title: string;
  readonly tests: Partial<Record<ConformanceTestId, ConformanceTest>>;
}
