/**
 * The fallbacks of the aggregate and bulk-insert push-downs, and the scan they stream with. `defineStore`
 * answers a store's `aggregate` and `insertMany` with them where the adapter has no push-down.
 */
import { ValidationError, isClienteleError } from '../errors.js';
import type {
  AggregateQuery,
  AggregateRow,
  FindQuery,
  Measure,
  Page,
  Projected,
  ScalarValue,
  StoreSession,
  Where,
} from './port.js';
import { PAGE_LIMITS, compareValues, isValidValue, matches, normaliseWhere, type NormalisedWhere } from './query.js';
import type { AnyRow, CollectionSpec, NewRowOf, RowOf } from './schema.js';

/**
 * Visits every matching row in pages of `pageSize`, in primary-key order (or the given order); with a
 * `select`, each row holds only those fields.
 */
export async function* scan<C extends CollectionSpec, K extends keyof RowOf<C> & string = never>(
  session: StoreSession,
  collection: C,
  query: Omit<FindQuery<C, K>, 'after' | 'limit'> = {},
  pageSize = 1000,
): AsyncGenerator<Projected<C, K>> {
  let after: string | null = null;
  do {
    const page: Page<Projected<C, K>> = await session.find(collection, { ...query, limit: pageSize, after });
    for (const row of page.rows) yield row;
    after = page.next;
  } while (after);
}

/** Checks an aggregate query against the collection (both paths use it, so both refuse the same input). */
export function checkAggregate(collection: CollectionSpec, query: AggregateQuery): void {
  const issues: Array<{ path: Array<string | number>; code: string; message: string }> = [];
  (query.groupBy ?? []).forEach((f, i) => {
    const spec = collection.fields[f];
    if (!spec || spec.kind === 'json')
      issues.push({ path: [collection.name, 'groupBy', i], code: 'invalid_query', message: `cannot group by ${f}` });
  });
  if (query.limit !== undefined || query.after !== undefined) {
    const groupBy = query.groupBy ?? [];
    if (groupBy.length === 0)
      issues.push({
        path: [collection.name, query.after !== undefined ? 'after' : 'limit'],
        code: 'invalid_query',
        message: 'paging needs groupBy',
      });
    if (
      query.limit !== undefined &&
      (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > PAGE_LIMITS.max)
    ) {
      issues.push({
        path: [collection.name, 'limit'],
        code: 'invalid_query',
        message: `limit must be an integer from 1 to ${PAGE_LIMITS.max}`,
      });
    }
    if (query.after !== undefined) {
      if (!Array.isArray(query.after) || query.after.length !== groupBy.length)
        issues.push({
          path: [collection.name, 'after'],
          code: 'invalid_query',
          message: 'after needs one value per group-by field',
        });
      else
        query.after.forEach((v, i) => {
          const spec = collection.fields[groupBy[i]!];
          if (spec && (v === null || !isValidValue(spec, v)))
            issues.push({
              path: [collection.name, 'after', i],
              code: 'invalid_query',
              message: `not a non-null ${spec.kind}`,
            });
        });
    }
  }
  const names = Object.keys(query.measures);
  if (names.length === 0)
    issues.push({
      path: [collection.name, 'measures'],
      code: 'invalid_query',
      message: 'at least one measure is needed',
    });
  for (const name of names) {
    const m = query.measures[name]!;
    if ((query.groupBy ?? []).includes(name))
      issues.push({
        path: [collection.name, 'measures', name],
        code: 'invalid_query',
        message: `measure ${name} shadows a group-by field`,
      });
    if (m.where !== undefined) {
      try {
        normaliseWhere(collection, m.where as Where);
      } catch (error) {
        if (!isClienteleError(error, 'VALIDATION_FAILED')) throw error;
        // The filter's own paths, under the measure that carries it.
        for (const issue of (error as ValidationError).issues)
          issues.push({ ...issue, path: [collection.name, 'measures', name, ...issue.path.slice(1)] });
      }
    }
    if (m.fn === 'count') continue;
    const spec = m.field === undefined ? undefined : collection.fields[m.field];
    const kinds =
      m.fn === 'sum' ? ['integer'] : m.fn === 'series' ? ['integer', 'timestamp'] : ['integer', 'timestamp', 'string'];
    if (!spec || !kinds.includes(spec.kind))
      issues.push({
        path: [collection.name, 'measures', name],
        code: 'invalid_query',
        message: `${m.fn} cannot apply to ${String(m.field)}`,
      });
    if (m.minus !== undefined && (m.fn !== 'sum' || collection.fields[m.minus]?.kind !== 'integer'))
      issues.push({
        path: [collection.name, 'measures', name, 'minus'],
        code: 'invalid_query',
        message: `only a sum may subtract, and only an integer field: not ${String(m.minus)}`,
      });
  }
  if (issues.length) throw new ValidationError(issues);
}

/** A measure's value over no rows. */
function emptyMeasure(m: Measure): ScalarValue | number[] {
  return m.fn === 'count' || m.fn === 'sum' ? 0 : m.fn === 'series' ? [] : null;
}

/** The streaming fallback of `aggregate`; exported so a conformance kit can compare both. */
export async function aggregateByScan<C extends CollectionSpec>(
  session: StoreSession,
  collection: C,
  query: AggregateQuery<C>,
): Promise<AggregateRow[]> {
  checkAggregate(collection, query as AggregateQuery);
  const groupBy = (query.groupBy ?? []) as string[];
  const measures: Array<[string, Measure, NormalisedWhere | null]> = Object.entries(query.measures).map(([name, m]) => [
    name,
    m as Measure,
    m.where === undefined ? null : normaliseWhere(collection, m.where as Where),
  ]);
  const groups = new Map<string, AggregateRow>();
  const where = normaliseWhere(collection, query.where as Where);
  for await (const row of scan(session, collection, { where: query.where } as FindQuery<C>)) {
    if (!matches(row as AnyRow, where)) continue;
    const keyValues = groupBy.map((f) => (row as AnyRow)[f] ?? null);
    const key = JSON.stringify(keyValues.map((v) => (v instanceof Date ? v.getTime() : v)));
    let g = groups.get(key);
    if (!g) {
      g = {};
      groupBy.forEach((f, i) => (g![f] = keyValues[i] as ScalarValue));
      for (const [name, m] of measures) g[name] = emptyMeasure(m);
      groups.set(key, g);
    }
    for (const [name, m, only] of measures) {
      if (only !== null && !matches(row as AnyRow, only)) continue;
      if (m.fn === 'count') {
        g[name] = (g[name] as number) + 1;
        continue;
      }
      if (m.minus !== undefined) {
        // A net sum: each row's field less its `minus` field, a null counting as 0.
        const r = row as AnyRow;
        g[name] = (g[name] as number) + (((r[m.field!] as number | null) ?? 0) - ((r[m.minus] as number | null) ?? 0));
        continue;
      }
      const v = (row as AnyRow)[m.field!] as ScalarValue;
      if (v === null || v === undefined) continue;
      const cur = g[name] ?? null;
      if (m.fn === 'series') (cur as number[]).push(v instanceof Date ? v.getTime() : (v as number));
      else if (m.fn === 'sum') g[name] = (cur as number) + (v as number);
      else if (cur === null || (m.fn === 'min' ? compareValues(v, cur) < 0 : compareValues(v, cur) > 0)) g[name] = v;
    }
  }
  for (const g of groups.values())
    for (const [name, m] of measures) if (m.fn === 'series') (g[name] as number[]).sort((a, b) => a - b);
  if (groupBy.length === 0 && groups.size === 0) {
    const g: AggregateRow = {};
    for (const [name, m] of measures) g[name] = emptyMeasure(m);
    return [g];
  }
  let sorted = sortGroups([...groups.values()], groupBy);
  if (query.after !== undefined) {
    const after = query.after;
    sorted = sorted.filter((g) => {
      for (let i = 0; i < groupBy.length; i++) {
        const v = (g[groupBy[i]!] as ScalarValue | undefined) ?? null;
        // Null keys sort first, so they are never after a (non-null) position.
        if (v === null) return false;
        const c = compareValues(v, after[i]);
        if (c !== 0) return c > 0;
      }
      return false;
    });
  }
  return query.limit === undefined ? sorted : sorted.slice(0, query.limit);
}

/** Sorts aggregate groups by their group-by values, nulls first; adapters use it to return a stable order. */
export function sortGroups(rows: AggregateRow[], groupBy: readonly string[]): AggregateRow[] {
  return rows.sort((a, b) => {
    for (const f of groupBy) {
      // Group-by values are scalars; only measures may be series.
      const x = (a[f] as ScalarValue | undefined) ?? null;
      const y = (b[f] as ScalarValue | undefined) ?? null;
      if (x === null || y === null) {
        if (x !== y) return x === null ? -1 : 1;
        continue;
      }
      const c = compareValues(x, y);
      if (c !== 0) return c;
    }
    return 0;
  });
}

/**
 * The fallback of `insertMany`: one insert per row, in one transaction where the session has them.
 * Inside a caller's transaction, which goes on after a failed write, the rows it inserted before one
 * failed are deleted again, so it is all or nothing there too.
 */
export async function insertManyByInserts<C extends CollectionSpec>(
  session: TransactionalSession,
  collection: C,
  rows: readonly NewRowOf<C>[],
): Promise<number> {
  return allOrNothing(session, async (tx) => {
    let stored = 0;
    try {
      for (; stored < rows.length; stored++) await tx.insert(collection, rows[stored]!);
    } catch (error) {
      await undoInserts(tx, collection, rows.slice(0, stored));
      throw error;
    }
    return rows.length;
  });
}

/** Deletes rows this transaction inserted; a store that can no longer write here rolls it all back anyway. */
async function undoInserts<C extends CollectionSpec>(
  tx: StoreSession,
  collection: C,
  rows: readonly NewRowOf<C>[],
): Promise<void> {
  try {
    for (const row of rows) await tx.delete(collection, (row as AnyRow)[collection.primaryKey] as string);
  } catch {
    // The failure that is rethrown is the insert's; this one only says the transaction is lost as a whole.
  }
}

/** A session that can open a transaction (a store) or join its own (a transaction's session). */
export type TransactionalSession = StoreSession & {
  transaction?: (fn: (tx: StoreSession) => Promise<unknown>) => Promise<unknown>;
};

/**
 * Runs a fallback's row-by-row work in one transaction where the session has them, so it is all or nothing like the
 * push-down.
 */
export async function allOrNothing<T>(session: TransactionalSession, fn: (tx: StoreSession) => Promise<T>): Promise<T> {
  return session.transaction ? ((await session.transaction(fn)) as T) : fn(session);
}
