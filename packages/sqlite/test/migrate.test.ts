import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ConflictError } from '@clientele/core';
import { defineCollection, field, nullable } from '@clientele/core/module';
import type { Migration } from '@clientele/core/module';
import { sqliteStore } from '@clientele/sqlite';
import { tempFile, track } from './helpers.js';
import { customer, customers, migrations } from './fixtures/schema.js';

function columns(db: Database.Database, table: string): string[] {
  return (db.prepare('SELECT name FROM pragma_table_info(?)').all(table) as Array<{ name: string }>).map((r) => r.name);
}

function indexes(db: Database.Database, table: string): string[] {
  return (
    db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name")
      .all(table) as Array<{ name: string }>
  ).map((r) => r.name);
}

describe('migrate', () => {
  it('creates snake_case tables and indexes, and is a no-op the second time', async () => {
    const db = new Database(':memory:');
    const store = track(sqliteStore({ database: db }));
    expect(await store.migrate(migrations)).toEqual({
      applied: ['test/0001-customers', 'test/0002-vouchers'],
      skipped: [],
    });
    const before = db.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').all();
    expect(columns(db, 'customers')).toEqual([
      'id',
      'name',
      'email',
      'store_code',
      'points',
      'vip',
      'joined_at',
      'profile',
      'version',
    ]);
    expect(indexes(db, 'customers')).toEqual(['customers__by_email', 'customers__by_store']);

    expect(await store.migrate(migrations)).toEqual({
      applied: [],
      skipped: ['test/0001-customers', 'test/0002-vouchers'],
    });
    expect(db.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').all()).toEqual(before);
    expect((db.prepare('SELECT count(*) AS n FROM clientele_migrations').get() as { n: number }).n).toBe(2);
    db.close();
  });

  it('adds fields and indexes to existing data, and every step tolerates being already done', async () => {
    const file = tempFile();
    const store = track(sqliteStore({ file }));
    await store.migrate(migrations);
    await store.insert(customers, customer('c1'));

    const { version: _managed, ...fields } = customers.fields;
    const wider = defineCollection({
      name: 'customers',
      fields: { ...fields, nickname: nullable(field.string()) },
      primaryKey: 'id',
      versioned: true,
      indexes: [...customers.indexes, { name: 'by_nickname', fields: ['nickname'] }],
    });
    const later: Migration[] = [
      ...migrations,
      {
        id: 'test/0003-nickname',
        steps: [
          { op: 'addField', collection: 'customers', field: 'nickname', spec: nullable(field.string()) },
          // Already applied by hand elsewhere: must not fail.
          { op: 'addField', collection: 'customers', field: 'nickname', spec: nullable(field.string()) },
          { op: 'addIndex', collection: 'customers', index: { name: 'by_nickname', fields: ['nickname'] } },
          { op: 'addIndex', collection: 'customers', index: { name: 'by_nickname', fields: ['nickname'] } },
          { op: 'createCollection', collection: wider },
        ],
      },
    ];
    expect(await store.migrate(later)).toEqual({
      applied: ['test/0003-nickname'],
      skipped: ['test/0001-customers', 'test/0002-vouchers'],
    });
    expect(await store.get(wider, 'c1')).toMatchObject({ id: 'c1', nickname: null });
    await store.update(wider, 'c1', { nickname: '小明' });
    expect(await store.get(wider, 'c1')).toMatchObject({ nickname: '小明', version: 2 });
    const raw = new Database(file, { readonly: true });
    try {
      expect(indexes(raw, 'customers')).toEqual([
        'customers__by_email',
        'customers__by_nickname',
        'customers__by_store',
      ]);
      expect(columns(raw, 'customers').at(-1)).toBe('nickname');
    } finally {
      raw.close();
    }
  });

  it('applies a failing migration not at all, and records nothing for it', async () => {
    const db = new Database(':memory:');
    const store = track(sqliteStore({ database: db }));
    await store.migrate(migrations);
    await store.insert(customers, customer('a', { name: 'same' }));
    await store.insert(customers, customer('b', { name: 'same' }));
    const bad: Migration = {
      id: 'test/0003-bad',
      steps: [
        { op: 'addField', collection: 'customers', field: 'note', spec: nullable(field.string()) },
        { op: 'addIndex', collection: 'customers', index: { name: 'by_name', fields: ['name'], unique: true } },
      ],
    };
    const error = await store.migrate([...migrations, bad]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(columns(db, 'customers')).not.toContain('note');
    expect(db.prepare('SELECT id FROM clientele_migrations WHERE id = ?').get('test/0003-bad')).toBeUndefined();
    db.close();
  });
});
