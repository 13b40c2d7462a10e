/**
 * Checks through the adapter author's raw probe. Each is a no-op without a probe. The rule (see
 * `StoreProbe`): some value of the raw row must equal the expected text or integer exactly.
 */
import type { CollectionSpec } from '@clientele/core/adapter';
import { expect } from 'vitest';
import type { Harness } from './harness.js';

/** Whether a raw row holds `expected` as one of its values (text exactly; integers as number or bigint). */
export function rawRowHolds(raw: Record<string, unknown>, expected: string | number): boolean {
  return Object.values(raw).some((value) => {
    if (typeof expected === 'string') return value === expected;
    if (typeof value === 'bigint') return Number.isInteger(expected) && value === BigInt(expected);
    return value === expected;
  });
}

function show(raw: Record<string, unknown>): string {
  return JSON.stringify(raw, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

/** The raw row exists and holds each of `values`. */
export async function expectStored(
  h: Harness,
  collection: CollectionSpec,
  key: string,
  values: ReadonlyArray<string | number>,
): Promise<void> {
  if (!h.probe) return;
  const raw = await h.probe.rawRow(collection.name, key);
  expect(raw, `probe: the database holds no row ${collection.name}/${key}`).toBeDefined();
  for (const value of values) {
    expect(
      rawRowHolds(raw!, value),
      `probe: raw row ${collection.name}/${key} holds no value equal to ${JSON.stringify(value)}: ${show(raw!)}`,
    ).toBe(true);
  }
}

/** The raw row exists and holds none of `values` (e.g. a rolled-back change). */
export async function expectStoredWithout(
  h: Harness,
  collection: CollectionSpec,
  key: string,
  values: ReadonlyArray<string | number>,
): Promise<void> {
  if (!h.probe) return;
  const raw = await h.probe.rawRow(collection.name, key);
  expect(raw, `probe: the database holds no row ${collection.name}/${key}`).toBeDefined();
  for (const value of values) {
    expect(
      rawRowHolds(raw!, value),
      `probe: raw row ${collection.name}/${key} still holds ${JSON.stringify(value)}: ${show(raw!)}`,
    ).toBe(false);
  }
}

/** The database holds no row with this key. */
export async function expectNotStored(h: Harness, collection: CollectionSpec, key: string): Promise<void> {
  if (!h.probe) return;
  const raw = await h.probe.rawRow(collection.name, key);
  expect(raw, `probe: the database still holds row ${collection.name}/${key}`).toBeUndefined();
}

/** The database holds exactly `count` rows of the collection. */
export async function expectRawCount(h: Harness, collection: CollectionSpec, count: number): Promise<void> {
  if (!h.probe) return;
  expect(await h.probe.rawCount(collection.name), `probe: raw row count of ${collection.name}`).toBe(count);
}
