import { describe, expect, it } from 'vitest';
import { defineCollection, field, nullable } from '@clientele/core/module';
import {
  aggregateStatement,
  collectionStatements,
  createTableSql,
  mariadbDialect,
  migrationStatements,
  migrationStepSql,
  mysqlDatabaseDialect,
  mysqlDialect,
  textWidths,
} from '@clientele/sql';
import { cards, newCard } from './fixtures.js';

const places = defineCollection({
  name: 'places',
  fields: {
    id: field.string(),
    ownerId: field.string(),
    a: field.string(),
    b: field.string(),
    c: field.string(),
    d: field.string(),
    floor: field.integer(),
    note: nullable(field.string()),
  },
  primaryKey: 'id',
  customerKey: 'ownerId',
  indexes: [
    { name: 'by_abcd', fields: ['a', 'b', 'c', 'd', 'floor'] },
    { name: 'by_ab', fields: ['a', 'b'], unique: true },
  ],
});

describe('the MySQL dialects', () => {
  it('type each text column by what the collection declares, so every index fits 3,072 bytes', () => {
    const limits = mariadbDialect.keyLimits!;
    // Keys hold 255 characters; a field of an index its share of the key; other text any length.
    expect(Object.fromEntries(textWidths(limits, places))).toEqual({
      id: 255,
      ownerId: 255,
      a: 191, // (3,072 - 8) / 4 / 4, rounded down: the narrower of its two indexes
      b: 191,
      c: 191,
      d: 191,
      note: null,
    });
    const ddl = createTableSql(mariadbDialect, places);
    expect(ddl).toContain('`id` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL');
    expect(ddl).toContain('`a` VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL');
    expect(ddl).toContain('`note` LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin,');
    expect(ddl).toContain('`floor` BIGINT NOT NULL');
    // Indexes, the customer-key one too, go in the CREATE TABLE: one DDL statement per table.
    expect(ddl).toContain('UNIQUE INDEX `places__by_ab` (`a`, `b`)');
    expect(ddl).toContain('INDEX `places__customer_key` (`owner_id`)');
    expect(createTableSql(mysqlDialect, places)).toContain('COLLATE utf8mb4_0900_bin');
  });

  it('index later fields by a prefix (a plain index) or narrow them first (a unique one)', () => {
    const columns = new Map([
      ['id', { chars: 255, nullable: false }],
      ['note', { chars: 0xffffffff, nullable: true }],
      ['a', { chars: 190, nullable: false }],
    ]);
    const step = (unique: boolean) =>
      migrationStepSql(
        mariadbDialect,
        { op: 'addIndex', collection: 'places', index: { name: 'by_note', fields: ['note', 'a'], unique } },
        new Set(columns.keys()),
        { columns, indexes: new Set() },
      );
    expect(step(false)).toEqual(['CREATE INDEX IF NOT EXISTS `places__by_note` ON `places` (`note`(384), `a`)']);
    expect(step(true)).toEqual([
      'ALTER TABLE `places` MODIFY `note` VARCHAR(384) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NULL',
      'CREATE UNIQUE INDEX IF NOT EXISTS `places__by_note` ON `places` (`note`, `a`)',
    ]);
    // MySQL 8 has no CREATE INDEX IF NOT EXISTS: an index that exists is not created again.
    expect(
      migrationStepSql(
        mysqlDialect,
        { op: 'addIndex', collection: 'places', index: { name: 'by_note', fields: ['a'] } },
        new Set(columns.keys()),
        { columns, indexes: new Set(['places__by_note']) },
      ),
    ).toEqual([]);
  });

  it('bind a value once per marker, write no RETURNING and no NULLS FIRST, and name a bound database', () => {
    const shop = mysqlDatabaseDialect('mariadb', 'shop_7');
    expect(mysqlDatabaseDialect('mariadb', 'shop_7')).toBe(shop);
    const s = collectionStatements(shop, cards);
    const found = s.find({ where: { customerId: { startsWith: '客户' } } });
    expect(found.text).toContain('FROM `shop_7`.`cards` WHERE (`customer_id` >= ? AND `customer_id` < ? AND LEFT(');
    expect(found.text.split('?').length - 1).toBe(found.params.length);
    expect(s.update('c1', { balance: 1 }).text).not.toContain('RETURNING');
    expect(s.insert(newCard('c1')).text).not.toContain('RETURNING');
    const paged = aggregateStatement(s, {
      groupBy: ['email'],
      measures: { n: { fn: 'count' }, at: { fn: 'series', field: 'issuedAt' } },
      limit: 2,
    });
    expect(paged.text).toContain('GROUP_CONCAT(`issued_at`)');
    expect(paged.text).toMatch(/ORDER BY `email` ASC LIMIT \?$/);
    expect(shop.migrationLock).toEqual([
      "SELECT GET_LOCK(CONCAT('clientele_migrate_', MD5('shop_7')), 600) AS `locked`",
    ]);
    expect(migrationStatements(shop).createTable).toContain('`id` VARCHAR(255)');
  });
});
