import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { identifyClash, migrationStatements, postgresDialect, sqliteDialect } from '@clientele/sql';
import { cards } from './fixtures.js';

describe('identifyClash', () => {
  it('tells the primary key from a unique index by columns (SQLite)', () => {
    expect(identifyClash(sqliteDialect, cards, { columns: ['id'] })).toEqual({ reason: 'primary_key' });
    expect(identifyClash(sqliteDialect, cards, { columns: ['email'] })).toEqual({
      reason: 'unique',
      index: 'by_email',
    });
    expect(identifyClash(sqliteDialect, cards, { columns: ['other'] })).toEqual({ reason: 'unique' });
  });

  it('tells them apart by constraint name (PostgreSQL)', () => {
    expect(identifyClash(postgresDialect, cards, { constraint: 'cards_pkey' })).toEqual({ reason: 'primary_key' });
    expect(identifyClash(postgresDialect, cards, { constraint: 'cards__by_email' })).toEqual({
      reason: 'unique',
      index: 'by_email',
    });
  });
});

describe('migrationStatements', () => {
  it('records migrations with the dialect’s timestamp encoding', () => {
    const at = new Date(1_700_000_000_000);
    expect(migrationStatements(sqliteDialect).recordApplied('core/0001', at).params).toEqual([
      'core/0001',
      at.getTime(),
    ]);
    expect(migrationStatements(postgresDialect).recordApplied('core/0001', at)).toEqual({
      text: 'INSERT INTO "clientele_migrations" ("id", "applied_at") VALUES ($1, $2)',
      params: ['core/0001', at],
    });
    expect(migrationStatements(postgresDialect).createTable).toContain('"applied_at" timestamptz NOT NULL');
    expect(migrationStatements(sqliteDialect).listColumns('cards')).toEqual({
      text: 'SELECT "name" FROM pragma_table_info(?)',
      params: ['cards'],
    });
  });

  it('writes upserts per dialect', () => {
    expect(sqliteDialect.onConflict(['"id"'], ['"n"'])).toBe('ON CONFLICT ("id") DO UPDATE SET "n" = excluded."n"');
    expect(postgresDialect.onConflict(['"id"'], [])).toBe('ON CONFLICT ("id") DO NOTHING');
  });
});

describe('package purity', () => {
  it('imports no Node built-in and no driver, so it runs in a browser', () => {
    const dir = fileURLToPath(new URL('../src/', import.meta.url));
    const imports = readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => [...readFileSync(dir + f, 'utf8').matchAll(/from\s+'([^']+)'/g)].map((m) => m[1]!));
    expect(imports.length).toBeGreaterThan(10);
    const foreign = imports.filter((s) => !s.startsWith('./') && s !== '@clientele/core/adapter');
    expect(foreign).toEqual([]);
  });
});
