/**
 * `purgeErased()` rewrites the tables (each gets a new file), keeps their data, refuses what it cannot
 * do, and says whether it could checkpoint. That no erased value is left in the files after a real
 * erasure is tested with the whole system, reading the files themselves (tests/erasure-postgres-purge).
 */
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresStore } from '@clientele/postgres';
import type { PostgresStore } from '@clientele/postgres';
import { account, accounts, migrations, notes } from './fixtures.js';
import { PG_URL, serverPool, withServer } from './server.js';

const SECRET = '欧阳明月 13588889999';

/** Rows whose old versions hold SECRET: one changed, one deleted, one note changed. */
async function erasedRows(store: PostgresStore): Promise<void> {
  await store.migrate(migrations);
  await store.insert(accounts, account('a1', 5, { owner: SECRET, note: `call ${SECRET}` }));
  for (let i = 2; i < 20; i++) await store.insert(accounts, account(`a${i}`, i));
  await store.insert(notes, { id: 'n1', code: 'N1', text: `about ${SECRET}`, data: { phone: SECRET } });
  await store.insert(accounts, account('gone', 0, { owner: SECRET }));
  await store.update(accounts, 'a1', { owner: '[erased]', note: null });
  await store.update(notes, 'n1', { text: '[erased]', data: null });
  await store.delete(accounts, 'gone');
}

type Query = (text: string, params?: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;

/** Each table's file number in the schema. */
async function fileNodes(query: Query, schema: string): Promise<Record<string, string>> {
  const { rows } = await query(
    `SELECT c.relname AS name, pg_relation_filenode(c.oid)::text AS node FROM pg_class c JOIN pg_namespace n ` +
      `ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY 1`,
    [schema],
  );
  return Object.fromEntries(rows.map((r) => [r['name'], r['node']]));
}

withServer(() => {
  const server = serverPool();
  const query: Query = (text, params) => server.pool.query(text, params);

  describe('purgeErased on the server', { timeout: 60_000 }, () => {
    it('rewrites every table of the schema, keeping its data, and checkpoints', async () => {
      const schema = server.schema('purge');
      const store = postgresStore({ pool: server.pool, schema, statementTimeoutMs: 60_000 });
      await erasedRows(store);
      const before = await fileNodes(query, schema);

      const result = await store.purgeErased();
      expect(result).toEqual({ tables: Object.keys(before).sort(), checkpoint: true });
      expect(result.tables).toEqual(expect.arrayContaining(['accounts', 'notes', 'vouchers']));
      const after = await fileNodes(query, schema);
      for (const table of Object.keys(before)) expect(after[table], table).not.toBe(before[table]);
      // The data is whole, and the store goes on.
      expect(await store.count(accounts)).toBe(19);
      expect((await store.get(accounts, 'a1'))?.owner).toBe('[erased]');
      await store.insert(accounts, account('later', 1));
      await store.close();
    });

    it(
      'rewrites only the tables of the collections given, and refuses collections with no table, changing ' + 'nothing',
      async () => {
        const schema = server.schema('purge');
        const store = postgresStore({ pool: server.pool, schema });
        await erasedRows(store);
        const before = await fileNodes(query, schema);
        expect(await store.purgeErased({ collections: ['accounts'] })).toMatchObject({ tables: ['accounts'] });
        const after = await fileNodes(query, schema);
        expect(after['accounts']).not.toBe(before['accounts']);
        expect(after['notes']).toBe(before['notes']);

        await expect(store.purgeErased({ collections: ['accounts', 'nope'] })).rejects.toMatchObject({
          code: 'VALIDATION_FAILED',
          path: ['collections', 1],
        });
        await expect(store.purgeErased({ collections: [] })).rejects.toMatchObject({
          code: 'VALIDATION_FAILED',
          path: ['collections'],
        });
        await expect(store.purgeErased({ collections: ['Bad Name'] })).rejects.toMatchObject({
          code: 'VALIDATION_FAILED',
          path: ['collections', 0],
        });
        await expect(store.purgeErased({ tables: ['accounts'] } as never)).rejects.toMatchObject({
          code: 'VALIDATION_FAILED',
          path: ['tables'],
        });
        expect(await fileNodes(query, schema)).toEqual(after);
        await store.close();
      },
    );

    describe('with roles that are not superusers', () => {
      const suffix = `${process.pid}_${Math.random().toString(36).slice(2, 7)}`;
      const owner = `clientele_purge_owner_${suffix}`;
      const stranger = `clientele_purge_other_${suffix}`;
      const pools: pg.Pool[] = [];
      const asRole = (role: string) => {
        const url = new URL(PG_URL);
        url.username = role;
        const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
        pool.on('error', () => undefined);
        pools.push(pool);
        return pool;
      };
      afterAll(async () => {
        for (const p of pools) await p.end();
        for (const role of [owner, stranger]) {
          const exists = await query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
          if (!exists.rows.length) continue;
          await query(`DROP OWNED BY "${role}" CASCADE`);
          await query(`DROP ROLE "${role}"`);
        }
      });

      it(
        'rewrites the tables of the role that owns them and reports that it may not checkpoint; refuses, ' +
          'naming them, tables it may not vacuum',
        async () => {
          await query(`CREATE ROLE "${owner}" LOGIN`);
          await query(`CREATE ROLE "${stranger}" LOGIN`);
          await query(
            `GRANT CREATE ON DATABASE ` +
              `"${(await query('SELECT current_database() AS db')).rows[0]!['db'] as string}" TO "${owner}"`,
          );
          const schema = server.schema('purge');
          await query(`CREATE SCHEMA "${schema}" AUTHORIZATION "${owner}"`);
          const store = postgresStore({ pool: asRole(owner), schema });
          await erasedRows(store);
          const before = await fileNodes(query, schema);

          const result = await store.purgeErased();
          expect(result.checkpoint).toBe(false);
          expect(result.checkpointRefused).toMatch(/permission|privilege|superuser|pg_checkpoint/i);
          expect(result.tables).toEqual(Object.keys(before).sort());
          const after = await fileNodes(query, schema);
          for (const table of Object.keys(before)) expect(after[table], table).not.toBe(before[table]);
          await store.close();

          await query(`GRANT USAGE ON SCHEMA "${schema}" TO "${stranger}"`);
          await query(`GRANT ALL ON ALL TABLES IN SCHEMA "${schema}" TO "${stranger}"`);
          const other = postgresStore({ pool: asRole(stranger), schema });
          const refused = await other.purgeErased({ collections: ['accounts', 'notes'] }).catch((e: unknown) => e);
          expect(refused).toMatchObject({ code: 'INVALID_STATE', details: { skipped: ['accounts', 'notes'] } });
          expect(await fileNodes(query, schema)).toEqual(after);
          await other.close();
        },
      );
    });
  });
});

describe('purgeErased on PGlite', { timeout: 60_000 }, () => {
  const booting = PGlite.create();
  afterAll(async () => (await booting).close());

  it('rewrites the tables and checkpoints in process', async () => {
    const pglite = await booting;
    const store = postgresStore({ pglite, schema: 'shop' });
    await erasedRows(store);
    const query: Query = (text, params) => pglite.query(text, params);
    const before = await fileNodes(query, 'shop');
    expect(await store.purgeErased()).toEqual({ tables: Object.keys(before).sort(), checkpoint: true });
    const after = await fileNodes(query, 'shop');
    for (const table of Object.keys(before)) expect(after[table], table).not.toBe(before[table]);
    expect(await store.count(accounts)).toBe(19);
  });
});
