import { describe, expect, it } from 'vitest';
import {
  collectionStatements,
  createIndexSql,
  createTableSql,
  customerKeyIndexSql,
  migrationStatements,
  postgresDialect,
  postgresSchemaDialect,
  sqliteDialect,
  tableName,
} from '@clientele/sql';
import { cards, newCard } from './fixtures.js';

describe('a PostgreSQL dialect bound to a schema', () => {
  const shop = postgresSchemaDialect('shop_7');

  it('is one object per schema, so statements are built and cached once per schema', () => {
    expect(postgresSchemaDialect('shop_7')).toBe(shop);
    expect(postgresSchemaDialect('shop_8')).not.toBe(shop);
    expect(collectionStatements(shop, cards)).toBe(collectionStatements(postgresSchemaDialect('shop_7'), cards));
    expect(collectionStatements(shop, cards)).not.toBe(collectionStatements(postgresDialect, cards));
  });

  it('names every table with its schema, in data statements and in DDL', () => {
    expect(tableName(shop, 'cards')).toBe('"shop_7"."cards"');
    expect(tableName(postgresDialect, 'cards')).toBe('"cards"');
    expect(tableName(sqliteDialect, 'cards')).toBe('"cards"');
    const s = collectionStatements(shop, cards);
    expect(s.insert(newCard('c1')).text).toMatch(/^INSERT INTO "shop_7"\."cards" \(/);
    expect(s.get('c1').text).toMatch(/ FROM "shop_7"\."cards" WHERE "id" = \$1$/);
    expect(createTableSql(shop, cards)).toMatch(/^CREATE TABLE IF NOT EXISTS "shop_7"\."cards" \(/);
    // The index lives in its table's schema: only the table is qualified.
    expect(createIndexSql(shop, 'cards', cards.indexes[0]!)).toBe(
      'CREATE UNIQUE INDEX IF NOT EXISTS "cards__by_email" ON "shop_7"."cards" ("email")',
    );
    const m = migrationStatements(shop);
    expect(m.createTable).toMatch(/^CREATE TABLE IF NOT EXISTS "shop_7"\."clientele_migrations" /);
    expect(m.listColumns('cards').text).toContain("table_schema = 'shop_7'");
  });

  it('takes the migration lock per schema', () => {
    expect(shop.migrationLock).toEqual([
      `SELECT pg_advisory_xact_lock(hashtext('clientele_migrations'), hashtext('shop_7'))`,
    ]);
    expect(postgresDialect.migrationLock[0]).toContain('hashtext(current_schema())');
  });
});

describe('getBy with text no store keeps', () => {
  it('looks nothing up for U+0000 or a lone surrogate, on every dialect', () => {
    for (const dialect of [sqliteDialect, postgresDialect]) {
      const s = collectionStatements(dialect, cards);
      expect(s.getBy('by_email', { email: 'a\u0000b' })).toBeUndefined();
      expect(s.getBy('by_email', { email: 'a\ud800' })).toBeUndefined();
      expect(s.getBy('by_email', { email: 'a😀' })).toBeDefined();
    }
  });
});

describe('customerKeyIndexSql', () => {
  it('indexes a customer key no declared index leads with, and nothing else', async () => {
    const { defineCollection, field } = await import('@clientele/core/adapter');
    const owned = defineCollection({
      name: 'stamps',
      fields: { id: field.string(), customerId: field.string(), n: field.integer() },
      primaryKey: 'id',
      customerKey: 'customerId',
      indexes: [{ name: 'by_n', fields: ['n', 'customerId'] }],
    });
    expect(customerKeyIndexSql(postgresSchemaDialect('shop_7'), owned)).toBe(
      'CREATE INDEX IF NOT EXISTS "stamps__customer_key" ON "shop_7"."stamps" ("customer_id")',
    );
    // `cards` leads an index with customerId already; a collection keyed by the customer itself needs none.
    expect(customerKeyIndexSql(postgresDialect, { ...cards, customerKey: 'customerId' })).toBe(undefined);
    expect(customerKeyIndexSql(postgresDialect, { ...owned, customerKey: 'id' })).toBe(undefined);
    expect(customerKeyIndexSql(postgresDialect, { ...owned, customerKey: undefined } as never)).toBe(undefined);
  });
});
