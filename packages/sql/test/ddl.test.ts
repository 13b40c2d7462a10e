import { describe, expect, it } from 'vitest';
import { InvalidStateError } from '@clientele/core';
import { defineCollection, field, nullable } from '@clientele/core/module';
import {
  columnName,
  createIndexSql,
  createTableSql,
  indexName,
  migrationStepSql,
  postgresDialect,
  sqliteDialect,
} from '@clientele/sql';
import { cards } from './fixtures.js';

describe('naming', () => {
  it('maps camelCase fields to snake_case columns', () => {
    expect(columnName('customerId')).toBe('customer_id');
    expect(columnName('rfm3Score')).toBe('rfm3_score');
    expect(columnName('id')).toBe('id');
  });

  it('prefixes index names with the table and keeps them within the identifier limit', () => {
    expect(indexName(sqliteDialect, 'cards', { name: 'by_email' })).toBe('cards__by_email');
    const long = indexName(postgresDialect, 'a'.repeat(40), { name: 'b'.repeat(40) });
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).not.toBe(indexName(postgresDialect, 'a'.repeat(40), { name: `${'b'.repeat(39)}c` }));
  });
});

describe('createTableSql', () => {
  it('declares SQLite columns with NOT NULL for non-nullable fields and the primary key', () => {
    expect(createTableSql(sqliteDialect, cards)).toBe(
      'CREATE TABLE IF NOT EXISTS "cards" ("id" TEXT NOT NULL, "customer_id" TEXT NOT NULL, "balance" INTEGER ' +
        'NOT NULL, ' +
        '"active" INTEGER NOT NULL, "issued_at" INTEGER NOT NULL, "email" TEXT, "meta" TEXT, "version" ' +
        'INTEGER NOT NULL, PRIMARY KEY ("id"))',
    );
  });

  it('uses binary-collated text, bigint, timestamptz and json on PostgreSQL', () => {
    expect(createTableSql(postgresDialect, cards)).toBe(
      'CREATE TABLE IF NOT EXISTS "cards" ("id" text COLLATE "C" NOT NULL, "customer_id" text COLLATE "C" NOT ' +
        'NULL, "balance" bigint NOT NULL, ' +
        '"active" boolean NOT NULL, "issued_at" timestamptz NOT NULL, "email" text COLLATE "C", "meta" json, ' +
        '"version" bigint NOT NULL, PRIMARY KEY ("id"))',
    );
  });

  it('creates unique and secondary indexes only if missing', () => {
    expect(createIndexSql(sqliteDialect, 'cards', cards.indexes[0]!)).toBe(
      'CREATE UNIQUE INDEX IF NOT EXISTS "cards__by_email" ON "cards" ("email")',
    );
    expect(createIndexSql(postgresDialect, 'cards', cards.indexes[1]!)).toBe(
      'CREATE INDEX IF NOT EXISTS "cards__by_customer" ON "cards" ("customer_id", "issued_at")',
    );
  });
});

describe('tables rewritten in bulk', () => {
  const nightly = defineCollection({
    name: 'nightly_figures',
    primaryKey: 'id',
    fields: { id: field.string(), figure: field.integer() },
    rewrittenInBulk: true,
  });
  const settings = 'autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02';

  it('get autovacuum settings of their own on PostgreSQL, when created and when their step runs again', () => {
    expect(createTableSql(postgresDialect, nightly)).toMatch(new RegExp(`\\) WITH \\(${settings}\\)$`));
    const again = migrationStepSql(
      postgresDialect,
      { op: 'createCollection', collection: nightly },
      new Set(['id', 'figure']),
    );
    expect(again).toEqual([`ALTER TABLE "nightly_figures" SET (${settings})`]);
    expect(createTableSql(postgresDialect, cards)).not.toContain('WITH');
  });

  it('are plain tables where no old row versions are kept', () => {
    expect(createTableSql(sqliteDialect, nightly)).not.toContain('WITH');
    expect(
      migrationStepSql(sqliteDialect, { op: 'createCollection', collection: nightly }, new Set(['id', 'figure'])),
    ).toEqual([]);
  });
});

describe('migrationStepSql', () => {
  const step = { op: 'createCollection', collection: cards } as const;

  it('creates a missing table with its indexes', () => {
    const sql = migrationStepSql(sqliteDialect, step, new Set());
    expect(sql[0]).toMatch(/^CREATE TABLE IF NOT EXISTS "cards"/);
    expect(sql.slice(1)).toEqual([
      'CREATE UNIQUE INDEX IF NOT EXISTS "cards__by_email" ON "cards" ("email")',
      'CREATE INDEX IF NOT EXISTS "cards__by_customer" ON "cards" ("customer_id", "issued_at")',
    ]);
  });

  it('adds only the columns an existing table lacks, as nullable', () => {
    const existing = new Set(['id', 'customer_id', 'balance', 'active', 'issued_at', 'version']);
    const sql = migrationStepSql(sqliteDialect, step, existing);
    expect(sql.filter((s) => s.startsWith('ALTER'))).toEqual([
      'ALTER TABLE "cards" ADD COLUMN "email" TEXT',
      'ALTER TABLE "cards" ADD COLUMN "meta" TEXT',
    ]);
  });

  it('adds a field once, with IF NOT EXISTS where the dialect has it', () => {
    const addField = {
      op: 'addField',
      collection: 'cards',
      field: 'pointsBalance',
      spec: nullable(field.integer()),
    } as const;
    expect(migrationStepSql(sqliteDialect, addField, new Set(['id', 'points_balance']))).toEqual([]);
    expect(migrationStepSql(sqliteDialect, addField, new Set(['id']))).toEqual([
      'ALTER TABLE "cards" ADD COLUMN "points_balance" INTEGER',
    ]);
    expect(migrationStepSql(postgresDialect, addField, new Set(['id']))).toEqual([
      'ALTER TABLE "cards" ADD COLUMN IF NOT EXISTS "points_balance" bigint',
    ]);
  });

  it('refuses to add a field that existing rows could not satisfy', () => {
    const addField = { op: 'addField', collection: 'cards', field: 'pointsBalance', spec: field.integer() } as const;
    expect(() => migrationStepSql(sqliteDialect, addField, new Set(['id']))).toThrow(InvalidStateError);
  });

  it('refuses to change a collection that does not exist', () => {
    const addIndex = { op: 'addIndex', collection: 'nope', index: { name: 'by_x', fields: ['x'] } } as const;
    expect(() => migrationStepSql(sqliteDialect, addIndex, new Set())).toThrow(InvalidStateError);
  });

  it('names every column of a collection declared with camelCase fields in snake_case', () => {
    const c = defineCollection({
      name: 'visits',
      fields: { visitId: field.string(), storeCode: field.string() },
      primaryKey: 'visitId',
    });
    expect(createTableSql(sqliteDialect, c)).toContain('PRIMARY KEY ("visit_id")');
  });
});
