/**
 * The PostgreSQL store runs the same conformance kit as every adapter: on the server (a fresh schema
 * per store, checked through a raw probe on the same pool) and on PGlite (in process, a schema each).
 * PGlite takes seconds to boot, so this file holds the PGlite-only checks too, on the same instance.
 */
import { PGlite } from '@electric-sql/pglite';
import { afterAll, describe, expect, it } from 'vitest';
import { runStoreConformance } from '@clientele/testkit';
import { postgresProbe, postgresStore } from '@clientele/postgres';
import type { Store } from '@clientele/core';
import { account, accounts, migrations } from './fixtures.js';
import { serverPool, withServer } from './server.js';

withServer(() => {
  const server = serverPool();
  const schemas = new WeakMap<Store, string>();
  runStoreConformance('postgres (server)', {
    async create() {
      const schema = server.schema('conf');
      const store = postgresStore({ pool: server.pool, schema });
      schemas.set(store, schema);
      return store;
    },
    probe: (store) => postgresProbe({ pool: server.pool, schema: schemas.get(store)! }),
  });
});

// Booted once for the file; every store and probe below waits for it.
const booting = PGlite.create();
afterAll(async () => (await booting).close());
let n = 0;
const pgliteSchemas = new WeakMap<Store, string>();
const pgliteOf = new WeakMap<Store, PGlite>();

runStoreConformance('postgres (PGlite)', {
  async create() {
    const pglite = await booting;
    const schema = `conf_${++n}`;
    const store = postgresStore({ pglite, schema });
    pgliteSchemas.set(store, schema);
    pgliteOf.set(store, pglite);
    return store;
  },
  probe: (store) => postgresProbe({ pglite: pgliteOf.get(store)!, schema: pgliteSchemas.get(store)! }),
  timeoutMs: 60_000,
});

describe('PGlite', () => {
  it('runs the same store in process, one transaction at a time, and says it is not shared by processes', async () => {
    const db = await booting;
    const store = postgresStore({ pglite: db, schema: 'shop' });
    expect(store.kind).toBe('pglite');
    expect(store.capabilities).toMatchObject({
      multiProcess: false,
      aggregate: true,
      insertMany: true,
      migrationLock: true,
      jsonColumns: true,
      aggregatePaging: true,
    });
    await store.migrate(migrations);
    await store.insert(accounts, account('p', 5));
    let inside!: () => void;
    const entered = new Promise<void>((r) => (inside = r));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const tx = store.transaction(async (t) => {
      await t.update(accounts, 'p', { balance: 6 });
      inside();
      await gate;
    });
    await entered;
    // A read outside waits for the transaction: it never sees the uncommitted 6 as committed early.
    let seen: number | undefined;
    const read = store.get(accounts, 'p').then((r) => (seen = r?.balance));
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toBeUndefined();
    release();
    await tx;
    await read;
    expect(seen).toBe(6);
    // Without a schema, tables go to the connection's (public) schema.
    const plain = postgresStore({ pglite: db });
    await plain.migrate(migrations);
    await plain.insert(accounts, account('q', 1));
    expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM public.accounts')).rows[0]?.n).toBe(1);
    await store.close();
    // The host's PGlite stays open.
    expect((await db.query<{ x: number }>('SELECT 1 AS x')).rows[0]?.x).toBe(1);
  }, 60_000);
});
