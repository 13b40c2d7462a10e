/**
 * What an adapter author hands the kit: a factory of fresh stores, an optional raw probe of the
 * database, and the capability-dependent tests to skip.
 */
import type { Store } from '@clientele/core/adapter';
import type { ConformanceTestId } from './test-ids.js';

/**
 * Reads the database directly, without going through the adapter, so the kit can check what was
 * really stored and not only what the adapter says.
 *
 * The probe rule: `rawRow` returns the row as the database holds it, keyed by whatever column names
 * the adapter chose (`customerId` may be `customer_id`). The kit only asks whether some value of the
 * raw row equals an expected value exactly: text must be a JavaScript string with the very same code
 * points, an integer must be a `number` (or a `bigint`) with the very same value. Timestamps, booleans
 * and JSON are the adapter's business and are not inspected. The kit never calls the probe while one of
 * its transactions is open.
 */
export interface StoreProbe {
  /**
   * The raw row of `collection` whose primary key is `key`, or `undefined` when the database holds no
   * such row.
   *
   * @param collection - The collection's declared name (e.g. `testkit_customers`); map it to the
   *   adapter's table name if the adapter adds a prefix.
   * @param key - The primary key value.
   */
  rawRow(collection: string, key: string): Promise<Record<string, unknown> | undefined>;
  /**
   * How many rows the database holds for `collection`.
   *
   * @param collection - The collection's declared name.
   */
  rawCount(collection: string): Promise<number>;
}

/** Options of {@link runStoreConformance}. */
export interface ConformanceOptions {
  /**
   * Returns a fresh, empty store. The kit calls it once per test, runs `migrate` with its own test
   * collections, and closes the store when the test ends.
   */
  create(): Promise<Store>;
  /**
   * Builds a raw probe of the database behind `store` (see {@link StoreProbe} for the rule). Without
   * one, the kit checks only through the adapter.
   */
  probe?: (store: Store) => StoreProbe;
  /**
   * Tests to skip. Only ids whose capability the store declares `false` may be listed (those are
   * skipped anyway); any other id makes `runStoreConformance` throw, and a listed id whose capability
   * the store declares `true` fails its test.
   */
  skip?: readonly ConformanceTestId[];
  /** Timeout of each test in milliseconds. Default 30,000 (the concurrency tests launch real racers). */
  timeoutMs?: number;
}
