/** The store's options, its schemas, and what it does where the server and PGlite differ from the port. */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { isClienteleError } from '@clientele/core';
import { defineCollection, field } from '@clientele/core/module';
import type { Store } from '@clientele/core';
import { postgresStore } from '@clientele/postgres';
import type { PgPool } from '@clientele/postgres';
import { account, accounts, migrations, notes, rejection } from './fixtures.js';
import { serverPool, withServer } from './server.js';

describe('options', () => {
  const pool = { connect: async () => ({}), end: async () => undefined, on: () => undefined } as unknown as PgPool;

  it.each([
    ['no source at all', {}, []],
    ['two sources', { pool, connectionString: 'postgres://x' }, ['connectionString']],
    ['a schema with capitals', { pool, schema: 'Shop' }, ['schema']],
    ['a schema with a quote', { pool, schema: 'a"; DROP SCHEMA public; --' }, ['schema']],
    ['an unknown isolation', { pool, isolation: 'chaos' }, ['isolation']],
    ['a negative acquire timeout', { pool, acquireTimeoutMs: -1 }, ['acquireTimeoutMs']],
    ['a fractional statement timeout', { pool, statementTimeoutMs: 1.5 }, ['statementTimeoutMs']],
    ['zero retry attempts', { pool, retry: { attempts: 0 } }, ['retry', 'attempts']],
    ['a pool that is not one', { pool: {} }, ['pool']],
    ['an empty connection string', { connectionString: '' }, ['connectionString']],
    ['a pool size of zero', { connectionString: 'postgres://x', poolSize: 0 }, ['poolSize']],
  ])('refuses %s with a typed error naming the option', (_, options, path) => {
    let error: unknown;
    try {
      postgresStore(options as never);
    } catch (e) {
      error = e;
    }
    expect(isClienteleError(error, 'VALIDATION_FAILED')).toBe(true);
    expect((error as { path: unknown }).path).toEqual(path);
  });

  it('fails with STORE_UNAVAILABLE, not a driver error, when the server cannot be reached', async () => {
    // Port 1 on the loopback refuses at once.
    const store = postgresStore({
      connectionString: 'postgres://postgres@127.0.0.1:1/none',
      schema: 'nowhere',
      acquireTimeoutMs: 5000,
    });
    try {
      const error = await rejection(store.get(accounts, 'a1'));
      expect(isClienteleError(error, 'STORE_UNAVAILABLE')).toBe(true);
      expect(await rejection(store.migrate(migrations))).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    } finally {
      await store.close();
    }
    expect(await rejection(store.get(accounts, 'a1'))).toMatchObject({ code: 'INVALID_STATE' });
  });
});

withServer(() => {
  const server = serverPool();

  describe('schemas on one server', { timeout: 30_000 }, () => {
    it('keeps each store in its own schema, whatever the connection search_path is', async () => {
      const [a, b] = [
        postgresStore({ pool: server.pool, schema: server.schema('iso') }),
        postgresStore({ pool: server.pool, schema: server.schema('iso') }),
      ];
      await a.migrate(migrations);
      await b.migrate(migrations);
      await a.insert(accounts, account('x', 10));
      expect(await b.get(accounts, 'x')).toBeUndefined();
      await b.insert(accounts, account('x', 20));
      expect((await a.get(accounts, 'x'))?.balance).toBe(10);
      // A connection with another search_path (a pool shared with other code) changes nothing.
      const client = await server.pool.connect();
      await client.query('SET search_path TO pg_catalog');
      client.release();
      expect((await b.get(accounts, 'x'))?.balance).toBe(20);
      expect(await a.count(accounts)).toBe(1);
    });

    it('migrates into the connection schema when none is named', async () => {
      const schema = server.schema('default');
      const pool = new pg.Pool({ connectionString: server.url, max: 2, options: `-c search_path=${schema}` });
      try {
        await pool.query(`CREATE SCHEMA ${schema}`);
        const store = postgresStore({ pool });
        expect(await store.migrate(migrations)).toEqual({ applied: ['pgtest/0001'], skipped: [] });
        await store.insert(accounts, account('d', 1));
        expect((await pool.query(`SELECT balance FROM "${schema}".accounts`)).rows).toEqual([{ balance: '1' }]);
      } finally {
        await pool.end();
      }
    });

    it(
      'indexes the customer key of every table a customer owns, so it can be searched and sharded by ' + 'customer',
      async () => {
        const schema = server.schema('keys');
        const stamps = defineCollection({
          name: 'stamps',
          fields: { id: field.string(), customerId: field.string(), n: field.integer() },
          primaryKey: 'id',
          customerKey: 'customerId',
          indexes: [],
        });
        const store = postgresStore({ pool: server.pool, schema });
        await store.migrate([
          ...migrations,
          { id: 'pgtest/stamps', steps: [{ op: 'createCollection', collection: stamps }] },
        ]);
        const indexes = await server.pool.query(
          `SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = $1 AND indexdef LIKE '%(customer_id%' ` +
            `ORDER BY tablename, indexname`,
          [schema],
        );
        // accounts declares its own customer index; stamps declared none and gets one.
        expect(indexes.rows.map((r) => r.tablename)).toEqual(['accounts', 'stamps']);
        expect(indexes.rows[1].indexdef).toContain('stamps__customer_key');
      },
    );

    it('reports a store that was never migrated as INVALID_STATE, asking for migrate()', async () => {
      const store = postgresStore({ pool: server.pool, schema: server.schema('bare') });
      const error = await rejection(store.get(accounts, 'a'));
      expect(error).toMatchObject({ code: 'INVALID_STATE' });
      expect((error as Error).message).toMatch(/migrate\(\)/);
    });
  });

  describe('values PostgreSQL treats differently', { timeout: 30_000 }, () => {
    let store: Store;
    it('keeps JSON exactly as written, key order included', async () => {
      store = postgresStore({ pool: server.pool, schema: server.schema('json') });
      await store.migrate(migrations);
      const data = { zeta: 1, alpha: { y: [3, 1], b: null }, 'long key': '🧧', a: 2 };
      await store.insert(notes, { id: 'n1', code: 'c1', text: 't', data });
      expect(JSON.stringify((await store.get(notes, 'n1'))?.data)).toBe(JSON.stringify(data));
    });

    it(
      'refuses a unique value too long for a b-tree index with a typed error and keeps the transaction ' + 'usable',
      async () => {
        // Random text does not compress: far beyond the 2,704-byte index entry limit.
        let long = '';
        for (let i = 0; i < 3000; i++) long += String.fromCodePoint(0x4e00 + ((i * 7919) % 20000));
        const error = await rejection(store.insert(notes, { id: 'n2', code: long, text: 't', data: null }));
        expect(error).toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ code: 'too_long_for_index' }] });
        expect(await store.get(notes, 'n2')).toBeUndefined();
        // The same text in a field without an index is stored exactly.
        await store.insert(notes, { id: 'n3', code: 'c3', text: long, data: null });
        expect((await store.get(notes, 'n3'))?.text).toBe(long);
      },
    );
  });
});
