import { describe, expect, it } from 'vitest';
import { normaliseWhere } from '@clientele/core/adapter';
import type { Where } from '@clientele/core/module';
import {
  ParamList,
  keysetCondition,
  postgresDialect,
  sqliteDialect,
  tableShape,
  whereConditions,
} from '@clientele/sql';
import type { Dialect } from '@clientele/sql';
import { cards } from './fixtures.js';

function build(dialect: Dialect, where: Where) {
  const params = new ParamList(dialect);
  const conditions = whereConditions(tableShape(dialect, cards), normaliseWhere(cards, where), params);
  return { conditions, params: params.values };
}

describe('whereConditions', () => {
  it('writes every operator with bound, encoded values (SQLite)', () => {
    const at = new Date(1_700_000_000_000);
    const { conditions, params } = build(sqliteDialect, {
      customerId: 'cus_1',
      balance: { gte: 10, lt: 500, ne: 99 },
      active: true,
      issuedAt: { gt: at },
      email: { isNull: false, startsWith: 'ann' },
    } as Where);
    expect(conditions).toEqual([
      '"customer_id" = ?',
      '"balance" >= ?',
      '"balance" < ?',
      '"balance" <> ?',
      '"active" = ?',
      '"issued_at" > ?',
      '"email" IS NOT NULL',
      'substr("email", 1, ?) = ?',
    ]);
    expect(params).toEqual(['cus_1', 10, 500, 99, 1, at.getTime(), 3, 'ann']);
  });

  it('tests null only with IS [NOT] NULL and matches nothing for an empty list', () => {
    const { conditions, params } = build(sqliteDialect, {
      email: null,
      meta: { isNull: true },
      customerId: { in: [] },
    } as Where);
    expect(conditions).toEqual(['"email" IS NULL', '"meta" IS NULL', '1 = 0']);
    expect(params).toEqual([]);
    expect(build(sqliteDialect, { email: { ne: null } } as Where).conditions).toEqual(['"email" IS NOT NULL']);
  });

  it('counts a prefix in code points, as SQLite substr does', () => {
    const { params } = build(sqliteDialect, { email: { startsWith: '😀张' } } as Where);
    expect(params).toEqual([2, '😀张']);
  });

  it('numbers PostgreSQL parameters and compares text in binary order', () => {
    const { conditions, params } = build(postgresDialect, {
      customerId: { in: ['a', 'b'] },
      email: { startsWith: 'x' },
      balance: { lte: 3 },
      active: false,
    } as Where);
    expect(conditions).toEqual([
      '"customer_id" COLLATE "C" IN ($1, $2)',
      '("email" COLLATE "C" >= $3 AND "email" COLLATE "C" < $4 AND starts_with("email", $3))',
      '"balance" <= $5',
      '"active" = $6',
    ]);
    expect(params).toEqual(['a', 'b', 'x', 'y', 3, false]);
  });

  it('bounds a PostgreSQL prefix by the next code point, so an index can seek to it', () => {
    expect(build(postgresDialect, { email: { startsWith: '张' } } as Where).params).toEqual(['张', '弡']);
    // After U+D7FF comes U+E000: surrogates are not code points of stored text.
    expect(build(postgresDialect, { email: { startsWith: 'a\ud7ff' } } as Where).params).toEqual([
      'a\ud7ff',
      'a\ue000',
    ]);
    // An emoji is one code point, not two UTF-16 units.
    expect(build(postgresDialect, { email: { startsWith: '🧧' } } as Where).params).toEqual(['🧧', '🧨']);
    // No bound after U+10FFFF, nor for the empty prefix: starts_with alone.
    expect(build(postgresDialect, { email: { startsWith: 'a\u{10ffff}' } } as Where).conditions).toEqual([
      'starts_with("email", $1)',
    ]);
    expect(build(postgresDialect, { email: { startsWith: '' } } as Where).conditions).toEqual([
      'starts_with("email", $1)',
    ]);
  });
});

describe('keysetCondition', () => {
  const order = [
    { field: 'balance', desc: true },
    { field: 'customerId', desc: false },
    { field: 'id', desc: false },
  ];

  it('expands mixed directions into nested strict comparisons after a seekable bound (SQLite)', () => {
    const params = new ParamList(sqliteDialect);
    const text = keysetCondition(tableShape(sqliteDialect, cards), order, [50, 'cus_2', 'k9'], params);
    expect(text).toBe(
      '"balance" <= ? AND ("balance" < ? OR ("balance" = ? AND ("customer_id" > ? OR ("customer_id" = ? AND ' +
        '("id" > ?)))))',
    );
    expect(params.values).toEqual([50, 50, 50, 'cus_2', 'cus_2', 'k9']);
  });

  it('numbers parameters in text order and collates strings on PostgreSQL', () => {
    const params = new ParamList(postgresDialect);
    const text = keysetCondition(
      tableShape(postgresDialect, cards),
      [
        { field: 'issuedAt', desc: false },
        { field: 'id', desc: true },
      ],
      [new Date(5), 'k'],
      params,
    );
    expect(text).toBe('"issued_at" >= $1 AND ("issued_at" > $2 OR ("issued_at" = $3 AND ("id" COLLATE "C" < $4)))');
    expect(params.values).toEqual([new Date(5), new Date(5), new Date(5), 'k']);
  });

  it('is a single comparison for a single term', () => {
    const params = new ParamList(sqliteDialect);
    expect(keysetCondition(tableShape(sqliteDialect, cards), [{ field: 'id', desc: false }], ['k'], params)).toBe(
      '"id" > ?',
    );
  });
});
