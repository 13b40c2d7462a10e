/**
 * The kit must catch real adapter bugs. Each mutant below is the memory store with one operation done
 * the naive way; the named conformance tests must fail against it (and pass against the real store,
 * which memory.test.ts shows).
 */
import { ConflictError, NotFoundError, memoryStore } from '@clientele/core';
import { aggregateByScan, defineStore, getLinkedByReads, matches, normaliseWhere } from '@clientele/core/adapter';
import type { Store } from '@clientele/core';
import type { AnyRow, CollectionSpec, TransactionSession } from '@clientele/core/module';
import type { AdapterSession } from '@clientele/core/adapter';
import { describe, expect, it } from 'vitest';
import type { ConformanceTestId } from '@clientele/testkit';
import { runConformanceTest } from '../src/run-test.js';
import { pushdownStore, throughStoreProbe, wrapStore } from './adapters.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const noSkip = (note: string): never => {
  throw new Error(`unexpected skip: ${note}`);
};

async function fails(
  id: ConformanceTestId,
  create: () => Store,
  probe?: (s: Store) => ReturnType<typeof throughStoreProbe>,
): Promise<unknown> {
  try {
    await runConformanceTest(id, { create: async () => create(), ...(probe ? { probe } : {}) }, noSkip);
  } catch (error) {
    return error;
  }
  throw new Error(`${id} passed against a broken store`);
}

/** update and delete that ignore expectVersion. */
function ignoresVersion(): Store {
  const inner = memoryStore();
  return wrapStore(inner, {
    update: (c, key, patch) => inner.update(c, key, patch),
    delete: (c, key) => inner.delete(c, key),
  });
}

/** increment as read, then write: the classic lost update. */
function readThenWriteIncrement(): Store {
  const inner = memoryStore();
  return wrapStore(inner, {
    async increment(c, key, fieldName, delta, guard) {
      const row = (await inner.get(c, key)) as AnyRow | undefined;
      if (!row) throw new NotFoundError(c.name, key);
      await tick();
      const value = (row[fieldName] as number) + delta;
      if ((guard?.min !== undefined && value < guard.min) || (guard?.max !== undefined && value > guard.max))
        return { applied: false, row } as never;
      return { applied: true, row: await inner.update(c, key, { [fieldName]: value } as never) } as never;
    },
  });
}

/** consume as check, then write. */
function checkThenWriteConsume(): Store {
  const inner = memoryStore();
  return wrapStore(inner, {
    async consume(c, key, when, set) {
      const row = await inner.get(c, key);
      if (!row || !matches(row as AnyRow, normaliseWhere(c, when as never))) return undefined;
      await tick();
      return inner.update(c, key, set);
    },
  });
}

/** A transaction that runs the callback on the store itself: nothing is undone. */
function noRollback(): Store {
  const inner = memoryStore();
  const session = { ...inner } as unknown as TransactionSession;
  session.transaction = (fn) => fn(session);
  return wrapStore(inner, { transaction: (fn) => fn(session) as never });
}

/** Paging by offset instead of keyset: rows inserted before the cursor shift every later page. */
function offsetPaging(): Store {
  const inner = memoryStore();
  return wrapStore(inner, {
    async find(c, query) {
      const offset = query?.after ? Number(query.after) : 0;
      const limit = query?.limit ?? 100;
      const all = await inner.find(c, { ...query, after: null, limit: 10_000 });
      const rows = all.rows.slice(offset, offset + limit);
      return { rows, next: offset + limit < all.rows.length ? String(offset + limit) : null };
    },
  });
}

/** Text normalised to NFC on the way in, as some drivers and collations do. */
function normalisesText(): Store {
  const inner = memoryStore();
  const nfc = (row: object) =>
    Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'string' ? v.normalize('NFC') : v]));
  return wrapStore(inner, { insert: (c, row) => inner.insert(c, nfc(row) as never) });
}

/** Integers squeezed through a 32-bit column. */
function thirtyTwoBitIntegers(): Store {
  const inner = memoryStore();
  const squeeze = (row: object) =>
    Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'number' ? v | 0 : v]));
  return wrapStore(inner, { insert: (c, row) => inner.insert(c, squeeze(row) as never) });
}

/**
 * Writes inside a transaction go straight to the table and are compensated on failure; outside readers see them
 * meanwhile.
 */
function dirtyTransactions(): Store {
  const inner = memoryStore();
  return wrapStore(inner, {
    async transaction(fn) {
      const undo: Array<() => Promise<unknown>> = [];
      const tx = {
        ...inner,
        async insert(c: CollectionSpec, row: never) {
          const stored = await inner.insert(c, row);
          undo.push(() => inner.delete(c, (stored as AnyRow)[c.primaryKey] as string));
          return stored;
        },
        async update(c: CollectionSpec, key: string, patch: never, options?: never) {
          const before = (await inner.get(c, key)) as AnyRow | undefined;
          const after = await inner.update(c, key, patch, options);
          if (before) {
            const { [c.primaryKey]: _key, version: _version, ...old } = before;
            undo.push(() => inner.update(c, key, old as never));
          }
          return after;
        },
      } as unknown as TransactionSession;
      tx.transaction = (inner2) => inner2(tx);
      try {
        return await fn(tx);
      } catch (error) {
        for (const step of undo.reverse()) await step();
        throw error;
      }
    },
  });
}

/** Soft delete: the adapter hides deleted rows but the database still holds them. Only a probe sees it. */
const softInner = new WeakMap<Store, Store>();
function softDelete(): Store {
  const inner = memoryStore();
  const hidden = new Set<string>();
  const tag = (c: CollectionSpec, key: string) => `${c.name}/${key}`;
  const visible = (c: CollectionSpec, row: unknown) =>
    row !== undefined && !hidden.has(tag(c, (row as AnyRow)[c.primaryKey] as string));
  const store = wrapStore(inner, {
    get: async (c, key) => {
      const row = await inner.get(c, key);
      return visible(c, row) ? row : undefined;
    },
    getBy: async (c, index, values) => {
      const row = await inner.getBy(c, index, values);
      return visible(c, row) ? row : undefined;
    },
    find: async (c, query) => {
      const page = await inner.find(c, query);
      return { ...page, rows: page.rows.filter((r) => visible(c, r)) };
    },
    count: async (c, where) =>
      (await inner.find(c, { ...(where ? { where } : {}), limit: 10_000 })).rows.filter((r) => visible(c, r)).length,
    delete: async (c, key) => {
      if (!visible(c, await inner.get(c, key))) return false;
      hidden.add(tag(c, key));
      return true;
    },
  });
  softInner.set(store, inner);
  return store;
}

/** A push-down that orders groups nulls-last, unlike the fallback. */
function nullsLastAggregate(): Store {
  const inner = pushdownStore();
  return wrapStore(inner, {
    aggregate: async (c, query) => {
      const rows = await aggregateByScan(inner, c, query);
      const key = query.groupBy?.[0];
      return key === undefined
        ? rows
        : [...rows.filter((r) => r[key] !== null), ...rows.filter((r) => r[key] === null)];
    },
  });
}

/** The extended measures pushed down, but a net sum that forgets what it subtracts. */
function seriesStore(broken: boolean): Store {
  const inner = memoryStore({ name: 'memory+series' });
  const traits = { multiProcess: false, jsonColumns: true, migrationLock: true, aggregateSeries: true };
  return defineStore(
    { ...inner, traits },
    {
      aggregate: (c, query) =>
        aggregateByScan(
          inner,
          c,
          broken
            ? {
                ...query,
                measures: Object.fromEntries(Object.entries(query.measures).map(([n, { minus: _m, ...m }]) => [n, m])),
              }
            : query,
        ),
    },
  );
}
const netSumIgnoringMinus = () => seriesStore(true);

/** A bulk insert that stops at the first clash but keeps what it wrote. */
function partialInsertMany(): Store {
  const inner = pushdownStore();
  return wrapStore(inner, {
    insertMany: async (c, rows) => {
      for (const row of rows) await inner.insert(c, row);
      return rows.length;
    },
  });
}

/** A linked read written as an inner join: a row whose link names no row goes missing. */
function innerJoinGetLinked(): Store {
  const inner = pushdownStore();
  return wrapStore(inner, {
    getLinked: async (c, key, link) => {
      const found = await getLinkedByReads(inner, c, key, link);
      return found?.linked === undefined ? undefined : found;
    },
  });
}

/** Conditional writes that write every row named, whatever its state. */
function unconditionalConsumeMany(): Store {
  const inner = pushdownStore();
  return wrapStore(inner, {
    consumeMany: async (c, writes) => {
      const written: string[] = [];
      for (const w of writes)
        if (await inner.get(c, w.key)) written.push((await inner.update(c, w.key, w.set)) && w.key);
      return written;
    },
  });
}

/** Deletes by key that report every key named, deleted or not. */
function overReportingDeleteMany(): Store {
  const inner = pushdownStore();
  return wrapStore(inner, {
    deleteMany: async (c, keys) => {
      for (const key of keys) await inner.delete(c, key);
      return [...keys];
    },
  });
}

/** A unique clash reported as a raw driver error. */
function rawDriverErrors(): Store {
  const inner = memoryStore();
  const raw = (error: unknown) => {
    throw error instanceof ConflictError ? new Error('SQLITE_CONSTRAINT_UNIQUE: UNIQUE constraint failed') : error;
  };
  return wrapStore(inner, {
    insert: (c, row) => inner.insert(c, row).catch(raw),
    update: (c, key, patch, options) => inner.update(c, key, patch, options).catch(raw),
  });
}

/** A store written by hand, without defineStore, that leaves the optional operations out: no fallbacks. */
function noFallbacks(): Store {
  const { aggregate: _a, getLinked: _g, consumeMany: _c, deleteMany: _d, insertMany: _i, ...bare } = memoryStore();
  return bare as Store;
}

/** Optional operations on the store but not on its transaction sessions (each copied onto the store by hand). */
function bareTransactionSessions(): Store {
  const inner = memoryStore();
  return wrapStore(inner, {
    transaction: (fn) =>
      inner.transaction((tx) => {
        const { aggregate: _a, getLinked: _g, consumeMany: _c, deleteMany: _d, insertMany: _i, ...bare } = tx;
        const session = bare as TransactionSession;
        session.transaction = (f) => f(session);
        return fn(session);
      }),
  });
}

/** A bulk insert pushed down correctly on the store, but dropping the last row on its transaction sessions. */
function insertManyWrongInTransactions(): Store {
  const inner = memoryStore();
  return defineStore(
    {
      ...inner,
      traits: { multiProcess: false, jsonColumns: true, migrationLock: true },
      transaction: <T>(fn: (session: AdapterSession) => Promise<T>) =>
        inner.transaction((tx) =>
          fn({ ...tx, insertMany: (c, rows) => tx.insertMany(c, rows.slice(0, -1)).then(() => rows.length) }),
        ),
    },
    { insertMany: (c, rows) => inner.insertMany(c, rows) },
  );
}

/** A find that ignores the projection and returns whole rows. */
function findIgnoringSelect(): Store {
  const inner = memoryStore();
  return wrapStore(inner, {
    find: ((c: CollectionSpec, query?: { select?: unknown }) => {
      const { select: _select, ...whole } = query ?? {};
      return inner.find(c, whole);
    }) as Store['find'],
  });
}

/** A projection that leaves out the selected fields whose value is null, as a sparse document store might. */
function projectionDroppingNulls(): Store {
  const inner = memoryStore();
  return wrapStore(inner, {
    find: (async (c: CollectionSpec, query?: object) => {
      const page = await inner.find(c, query);
      return {
        ...page,
        rows: page.rows.map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null))),
      };
    }) as Store['find'],
  });
}

describe('the kit catches broken adapters', () => {
  const cases: Array<[string, () => Store, ConformanceTestId[]]> = [
    ['update ignoring expectVersion', ignoresVersion, ['version.conflict', 'version.eight-contenders']],
    [
      'read-then-write increment',
      readThenWriteIncrement,
      ['increment.race-never-overspends', 'increment.no-lost-update'],
    ],
    ['check-then-write consume', checkThenWriteConsume, ['consume.once-among-eight']],
    [
      'transactions without rollback',
      noRollback,
      [
        'transaction.rollback',
        'transaction.conflict-rolls-back',
        'transaction.nested-joins',
        'unique.released-on-change',
      ],
    ],
    ['dirty transactions', dirtyTransactions, ['transaction.no-dirty-reads']],
    ['offset paging', offsetPaging, ['paging.visits-each-once-under-inserts']],
    ['NFC-normalising text', normalisesText, ['text.unicode']],
    ['32-bit integers', thirtyTwoBitIntegers, ['integer.max-safe']],
    [
      'raw driver errors',
      rawDriverErrors,
      ['unique.conflict', 'primary-key.conflict', 'crud.failed-write-changes-nothing'],
    ],
    ['a nulls-last aggregate push-down', nullsLastAggregate, ['pushdown.aggregate-equals-fallback']],
    ['a partial insertMany', partialInsertMany, ['pushdown.insert-many']],
    ['a net sum that forgets what it subtracts', netSumIgnoringMinus, ['pushdown.aggregate-series']],
    ['an inner-join getLinked', innerJoinGetLinked, ['pushdown.get-linked']],
    ['an unconditional consumeMany', unconditionalConsumeMany, ['pushdown.consume-many']],
    ['an over-reporting deleteMany', overReportingDeleteMany, ['pushdown.delete-many']],
    ['a store without fallbacks', noFallbacks, ['capabilities.declared', 'optional.on-every-session']],
    ['transaction sessions without the optional operations', bareTransactionSessions, ['optional.on-every-session']],
    ['an insertMany push-down wrong inside transactions', insertManyWrongInTransactions, ['optional.on-every-session']],
    ['a find ignoring select', findIgnoringSelect, ['find.select']],
    ['a projection dropping nulls', projectionDroppingNulls, ['find.select']],
  ];
  for (const [what, create, ids] of cases) {
    for (const id of ids) {
      it(`${what}: ${id} fails`, async () => {
        const error = await fails(id, create);
        // A crash in the mutant's own wiring would prove nothing; the kit must have rejected its behaviour.
        expect(error).not.toBeInstanceOf(TypeError);
      });
    }
  }

  it('soft delete passes without a probe and fails with one', async () => {
    await expect(
      runConformanceTest('crud.update-delete', { create: async () => softDelete() }, noSkip),
    ).resolves.toBeUndefined();
    const error = await fails('crud.update-delete', softDelete, (store) => throughStoreProbe(softInner.get(store)!));
    expect(String(error)).toMatch(/probe: the database still holds row testkit_customers\/cust-001/);
  });

  it('the mutants differ from the memory store only where broken', async () => {
    // Sanity: the same tests pass when nothing is broken, so a failure above is the mutant's.
    for (const id of [
      'version.eight-contenders',
      'paging.visits-each-once-under-inserts',
      'transaction.no-dirty-reads',
      'find.select',
      'optional.on-every-session',
      'capabilities.declared',
    ] as const) {
      await runConformanceTest(id, { create: async () => memoryStore() }, noSkip);
    }
    for (const id of [
      'pushdown.aggregate-equals-fallback',
      'pushdown.insert-many',
      'pushdown.get-linked',
      'pushdown.consume-many',
      'pushdown.delete-many',
      'optional.on-every-session',
    ] as const) {
      await runConformanceTest(id, { create: async () => pushdownStore() }, noSkip);
    }
    await runConformanceTest('pushdown.aggregate-series', { create: async () => seriesStore(false) }, noSkip);
  });
});
