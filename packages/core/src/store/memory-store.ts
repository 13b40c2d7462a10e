/**
 * The in-memory store: for unit tests and examples. It keeps the port's full semantics
 * (unique indexes, versions, guarded increments, rollback, keyset paging) but nothing survives the process.
 */
import { ConflictError, InvalidStateError, NotFoundError } from '../errors.js';
import {
  defineStore,
  type AdapterSession,
  type BaseOperations,
  type StoreBase,
  type StoreTraits,
} from './define-store.js';
import { Mutex } from './mutex.js';
import type {
  FindQuery,
  IncrementGuard,
  IncrementResult,
  Migration,
  MigrationResult,
  Page,
  Projected,
  Store,
  Where,
  WriteOptions,
} from './port.js';
import {
  checkRow,
  compareRows,
  encodeCursor,
  isAfterCursor,
  matches,
  normaliseWhere,
  projectRow,
  resolveFind,
} from './query.js';
import type { AnyRow, CollectionSpec, IndexSpec, NewRowOf, PatchOf, RowOf } from './schema.js';

interface Table {
  spec: CollectionSpec;
  rows: Map<string, AnyRow>;
  /** unique index name → (encoded values → primary key) */
  unique: Map<string, Map<string, string>>;
}

type Undo = () => void;

const clone = <T>(v: T): T => structuredClone(v);

function uniqueKey(index: IndexSpec, row: AnyRow): string | null {
  const parts: unknown[] = [];
  for (const f of index.fields) {
    const v = row[f];
    if (v === null || v === undefined) return null;
    parts.push(v instanceof Date ? { d: v.getTime() } : v);
  }
  return JSON.stringify(parts);
}

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /** Name shown in logs. Default `memory`. */
  name?: string;
}

/** Creates an empty in-memory store. */
export function memoryStore(options: MemoryStoreOptions = {}): Store {
  const tables = new Map<string, Table>();
  const applied: string[] = [];
  const mutex = new Mutex();
  let closed = false;

  // No push-downs: every optional operation is core's fallback, which is what the memory store would do anyway.
  const traits: StoreTraits = { multiProcess: false, jsonColumns: true, migrationLock: true };

  function table(spec: CollectionSpec): Table {
    if (closed) throw new InvalidStateError('the store is closed');
    const t = tables.get(spec.name);
    if (!t)
      throw new InvalidStateError(`collection ${spec.name} does not exist; run migrate() first`, {
        collection: spec.name,
      });
    return t;
  }

  function ensureTable(spec: CollectionSpec): void {
    const existing = tables.get(spec.name);
    if (existing) {
      // Later migrations may add fields and indexes; keep the widest declaration.
      existing.spec = {
        ...existing.spec,
        fields: { ...existing.spec.fields, ...spec.fields },
        indexes: mergeIndexes(existing.spec.indexes, spec.indexes),
      };
      for (const index of spec.indexes) addUnique(existing, index);
      return;
    }
    const t: Table = { spec, rows: new Map(), unique: new Map() };
    for (const index of spec.indexes) addUnique(t, index);
    tables.set(spec.name, t);
  }

  function mergeIndexes(a: readonly IndexSpec[], b: readonly IndexSpec[]): IndexSpec[] {
    const names = new Set(a.map((i) => i.name));
    return [...a, ...b.filter((i) => !names.has(i.name))];
  }

  function addUnique(t: Table, index: IndexSpec): void {
    if (!index.unique || t.unique.has(index.name)) return;
    const map = new Map<string, string>();
    for (const [pk, row] of t.rows) {
      const k = uniqueKey(index, row);
      if (k === null) continue;
      if (map.has(k))
        throw new ConflictError('unique', `cannot add unique index ${index.name}: duplicates exist`, {
          collection: t.spec.name,
          index: index.name,
        });
      map.set(k, pk);
    }
    t.unique.set(index.name, map);
  }

  /** One session per transaction (or per single autocommit operation); `undo` is null outside transactions. */
  function session(undo: Undo[] | null): BaseOperations {
    const log = (fn: Undo) => undo?.push(fn);

    function putRow(t: Table, pk: string, next: AnyRow, prev: AnyRow | undefined): void {
      // Check all unique indexes before touching any, so a clash leaves no trace.
      const changes: Array<{ map: Map<string, string>; oldKey: string | null; newKey: string | null }> = [];
      for (const index of t.spec.indexes) {
        if (!index.unique) continue;
        const map = t.unique.get(index.name)!;
        const oldKey = prev ? uniqueKey(index, prev) : null;
        const newKey = uniqueKey(index, next);
        if (newKey !== null && newKey !== oldKey) {
          const holder = map.get(newKey);
          if (holder !== undefined && holder !== pk) {
            throw new ConflictError('unique', `${t.spec.name}: ${index.fields.join(', ')} already taken`, {
              collection: t.spec.name,
              index: index.name,
            });
          }
        }
        changes.push({ map, oldKey, newKey });
      }
      for (const { map, oldKey, newKey } of changes) {
        if (oldKey !== null && oldKey !== newKey) map.delete(oldKey);
        if (newKey !== null) map.set(newKey, pk);
      }
      t.rows.set(pk, next);
      log(() => {
        for (const { map, oldKey, newKey } of changes) {
          if (newKey !== null) map.delete(newKey);
          if (oldKey !== null) map.set(oldKey, pk);
        }
        if (prev) t.rows.set(pk, prev);
        else t.rows.delete(pk);
      });
    }

    function removeRow(t: Table, pk: string, prev: AnyRow): void {
      const keys: Array<{ map: Map<string, string>; key: string }> = [];
      for (const index of t.spec.indexes) {
        if (!index.unique) continue;
        const key = uniqueKey(index, prev);
        if (key !== null) keys.push({ map: t.unique.get(index.name)!, key });
      }
      for (const { map, key } of keys) map.delete(key);
      t.rows.delete(pk);
      log(() => {
        for (const { map, key } of keys) map.set(key, pk);
        t.rows.set(pk, prev);
      });
    }

    function patchRow(t: Table, pk: string, prev: AnyRow, patch: AnyRow): AnyRow {
      const next: AnyRow = { ...prev };
      for (const [k, v] of Object.entries(patch)) if (v !== undefined) next[k] = clone(v);
      if (t.spec.versioned) next['version'] = (prev['version'] as number) + 1;
      putRow(t, pk, next, prev);
      return next;
    }

    const s: BaseOperations = {
      async insert<C extends CollectionSpec>(c: C, row: NewRowOf<C>): Promise<RowOf<C>> {
        const t = table(c);
        checkRow(t.spec, row as AnyRow, 'insert');
        const pk = (row as AnyRow)[t.spec.primaryKey] as string;
        if (t.rows.has(pk))
          throw new ConflictError('primary_key', `${t.spec.name}: ${pk} already exists`, {
            collection: t.spec.name,
            key: pk,
          });
        const stored: AnyRow = {};
        for (const name of Object.keys(t.spec.fields)) stored[name] = clone((row as AnyRow)[name] ?? null);
        if (t.spec.versioned) stored['version'] = 1;
        putRow(t, pk, stored, undefined);
        return clone(stored) as RowOf<C>;
      },

      async get<C extends CollectionSpec>(c: C, key: string): Promise<RowOf<C> | undefined> {
        const row = table(c).rows.get(key);
        return row ? (clone(row) as RowOf<C>) : undefined;
      },

      async getBy<C extends CollectionSpec>(
        c: C,
        indexName: string,
        values: Partial<RowOf<C>>,
      ): Promise<RowOf<C> | undefined> {
        const t = table(c);
        const index = t.spec.indexes.find((i) => i.name === indexName && i.unique);
        if (!index) throw new InvalidStateError(`${t.spec.name} has no unique index ${indexName}`);
        const key = uniqueKey(index, values as AnyRow);
        if (key === null) return undefined;
        const pk = t.unique.get(index.name)!.get(key);
        const row = pk === undefined ? undefined : t.rows.get(pk);
        return row ? (clone(row) as RowOf<C>) : undefined;
      },

      async find<C extends CollectionSpec, K extends keyof RowOf<C> & string = never>(
        c: C,
        query?: FindQuery<C, K>,
      ): Promise<Page<Projected<C, K>>> {
        const t = table(c);
        const q = resolveFind(t.spec, query as unknown as FindQuery<CollectionSpec, string>);
        const hits: AnyRow[] = [];
        for (const row of t.rows.values()) {
          if (!matches(row, q.where)) continue;
          if (q.after && !isAfterCursor(row, q.after, q.order)) continue;
          hits.push(row);
        }
        hits.sort((a, b) => compareRows(a, b, q.order));
        const rows = hits.slice(0, q.limit);
        const next = hits.length > q.limit ? encodeCursor(rows[rows.length - 1]!, q.order) : null;
        return { rows: rows.map((row) => clone(projectRow(row, q.select))) as Projected<C, K>[], next };
      },

      async count<C extends CollectionSpec>(c: C, where?: Where<C>): Promise<number> {
        const t = table(c);
        const w = normaliseWhere(t.spec, where as Where);
        let n = 0;
        for (const row of t.rows.values()) if (matches(row, w)) n++;
        return n;
      },

      async update<C extends CollectionSpec>(
        c: C,
        key: string,
        patch: PatchOf<C>,
        options?: WriteOptions,
      ): Promise<RowOf<C>> {
        const t = table(c);
        checkRow(t.spec, patch as AnyRow, 'patch');
        const prev = t.rows.get(key);
        if (!prev) throw new NotFoundError(t.spec.name, key);
        checkVersion(t, key, prev, options);
        return clone(patchRow(t, key, prev, patch as AnyRow)) as RowOf<C>;
      },

      async delete<C extends CollectionSpec>(c: C, key: string, options?: WriteOptions): Promise<boolean> {
        const t = table(c);
        const prev = t.rows.get(key);
        if (!prev) return false;
        checkVersion(t, key, prev, options);
        removeRow(t, key, prev);
        return true;
      },

      async increment<C extends CollectionSpec>(
        c: C,
        key: string,
        fieldName: string,
        delta: number,
        guard?: IncrementGuard,
      ): Promise<IncrementResult<RowOf<C>>> {
        const t = table(c);
        const spec = t.spec.fields[fieldName];
        if (spec?.kind !== 'integer' || fieldName === t.spec.primaryKey)
          throw new InvalidStateError(`${t.spec.name}.${fieldName} is not an integer field`);
        if (!Number.isSafeInteger(delta)) throw new InvalidStateError('delta must be a safe integer');
        const prev = t.rows.get(key);
        if (!prev) throw new NotFoundError(t.spec.name, key);
        const current = prev[fieldName] as number | null;
        if (current === null) throw new InvalidStateError(`${t.spec.name}.${fieldName} is null`);
        const value = current + delta;
        if (
          !Number.isSafeInteger(value) ||
          (guard?.min !== undefined && value < guard.min) ||
          (guard?.max !== undefined && value > guard.max)
        ) {
          return { applied: false, row: clone(prev) as RowOf<C> };
        }
        return { applied: true, row: clone(patchRow(t, key, prev, { [fieldName]: value })) as RowOf<C> };
      },

      async consume<C extends CollectionSpec>(
        c: C,
        key: string,
        when: Where<C>,
        set: PatchOf<C>,
      ): Promise<RowOf<C> | undefined> {
        const t = table(c);
        checkRow(t.spec, set as AnyRow, 'patch');
        const w = normaliseWhere(t.spec, when as Where);
        const prev = t.rows.get(key);
        if (!prev || !matches(prev, w)) return undefined;
        return clone(patchRow(t, key, prev, set as AnyRow)) as RowOf<C>;
      },
    };
    return s;
  }

  function checkVersion(t: Table, key: string, row: AnyRow, options?: WriteOptions): void {
    if (options?.expectVersion === undefined) return;
    if (!t.spec.versioned) throw new InvalidStateError(`${t.spec.name} is not versioned`);
    if (row['version'] !== options.expectVersion) {
      throw new ConflictError('version', `${t.spec.name}: ${key} was changed by someone else`, {
        collection: t.spec.name,
        key,
        expected: options.expectVersion,
        actual: row['version'],
      });
    }
  }

  function rollback(undo: Undo[]): void {
    for (let i = undo.length - 1; i >= 0; i--) undo[i]!();
  }

  /** Runs one operation atomically: a failed operation undoes its own partial work. */
  function autocommit<K extends keyof BaseOperations>(name: K) {
    return (async (...args: unknown[]) =>
      mutex.run(async () => {
        const undo: Undo[] = [];
        try {
          return await (session(undo)[name] as (...a: unknown[]) => Promise<unknown>)(...args);
        } catch (error) {
          rollback(undo);
          throw error;
        }
      })) as unknown as BaseOperations[K];
  }

  const base: StoreBase = {
    kind: options.name ?? 'memory',
    traits,
    insert: autocommit('insert'),
    get: autocommit('get'),
    getBy: autocommit('getBy'),
    find: autocommit('find'),
    count: autocommit('count'),
    update: autocommit('update'),
    delete: autocommit('delete'),
    increment: autocommit('increment'),
    consume: autocommit('consume'),

    async transaction<T>(fn: (tx: AdapterSession) => Promise<T>): Promise<T> {
      return mutex.run(async () => {
        const undo: Undo[] = [];
        const tx = session(undo);
        try {
          return (await fn(tx)) as T;
        } catch (error) {
          rollback(undo);
          throw error;
        }
      });
    },

    async migrate(migrations: readonly Migration[]): Promise<MigrationResult> {
      return mutex.run(async () => {
        const result: MigrationResult = { applied: [], skipped: [] };
        for (const m of migrations) {
          if (applied.includes(m.id)) {
            result.skipped.push(m.id);
            continue;
          }
          // A migration applies whole or not at all: remember each table's state to put it back.
          const saved = new Map<string, Table | undefined>();
          const remember = (name: string) => {
            if (saved.has(name)) return;
            const t = tables.get(name);
            saved.set(
              name,
              t && {
                spec: t.spec,
                rows: new Map([...t.rows].map(([k, r]) => [k, { ...r }])),
                unique: new Map(t.unique),
              },
            );
          };
          try {
            for (const step of m.steps) {
              if (step.op === 'createCollection') {
                remember(step.collection.name);
                ensureTable(step.collection);
                continue;
              }
              const t = tables.get(step.collection);
              if (!t) throw new InvalidStateError(`migration ${m.id}: unknown collection ${step.collection}`);
              remember(step.collection);
              if (step.op === 'addField') {
                if (t.spec.fields[step.field]) continue;
                // Existing rows get null, so a field added later must allow it (as in SQL stores).
                if (!step.spec.nullable)
                  throw new InvalidStateError(
                    `migration ${m.id}: added field ${step.collection}.${step.field} must be nullable`,
                  );
                t.spec = { ...t.spec, fields: { ...t.spec.fields, [step.field]: step.spec } };
                for (const row of t.rows.values()) row[step.field] = null;
              } else {
                addUnique(t, step.index);
                t.spec = { ...t.spec, indexes: mergeIndexes(t.spec.indexes, [step.index]) };
              }
            }
          } catch (error) {
            for (const [name, t] of saved) {
              if (t) tables.set(name, t);
              else tables.delete(name);
            }
            throw error;
          }
          applied.push(m.id);
          result.applied.push(m.id);
        }
        return result;
      });
    },

    async close() {
      closed = true;
    },
  };
  return defineStore(base);
}
