import { describe, expect, it } from 'vitest';
import { ValidationError } from '@clientele/core';
import { aggregateStatement, collectionStatements, postgresDialect, sqliteDialect } from '@clientele/sql';
import { cards } from './fixtures.js';

describe('aggregateStatement paging', () => {
  const measures = { n: { fn: 'count' } } as const;

  it('bounds the group keys after the position, orders nulls first where they can come, and limits (SQLite)', () => {
    const st = aggregateStatement(collectionStatements(sqliteDialect, cards), {
      where: { active: true },
      groupBy: ['customerId', 'email'],
      measures,
      after: ['c-1', 'a@b.cn'],
      limit: 50,
    });
    expect(st.text).toBe(
      'SELECT "customer_id" AS "g0", "email" AS "g1", count(*) AS "m0" FROM "cards" WHERE "active" = ? AND ' +
        '("customer_id" >= ? AND ("customer_id" > ? OR ("customer_id" = ? AND ("email" > ?)))) GROUP BY ' +
        '"customer_id", "email" ORDER BY "customer_id" ASC, "email" ASC NULLS FIRST LIMIT ?',
    );
    expect(st.params).toEqual([1, 'c-1', 'c-1', 'c-1', 'a@b.cn', 50]);
  });

  it('orders a nullable group key without NULLS FIRST when the filter excludes null (an index gives the order)', () => {
    const text = (where: Record<string, unknown>) =>
      aggregateStatement(collectionStatements(postgresDialect, cards), {
        where,
        groupBy: ['email'],
        measures,
        limit: 5,
      }).text;
    for (const where of [
      { email: { gt: 'a' } },
      { email: { isNull: false } },
      { email: 'a@b.cn' },
      { email: { in: ['x'] } },
    ])
      expect(text(where)).toMatch(/ORDER BY "email" COLLATE "C" ASC LIMIT/);
    for (const where of [{}, { email: { isNull: true } }, { email: { eq: null } }, { active: true }])
      expect(text(where)).toMatch(/ORDER BY "email" COLLATE "C" ASC NULLS FIRST LIMIT/);
  });

  it('numbers the parameters in text order and collates strings on PostgreSQL', () => {
    const st = aggregateStatement(collectionStatements(postgresDialect, cards), {
      where: { active: true },
      groupBy: ['email'],
      measures,
      after: ['x'],
      limit: 2,
    });
    expect(st.text).toBe(
      'SELECT "email" AS "g0", count(*) AS "m0" FROM "cards" WHERE "active" = $1 AND ("email" COLLATE "C" > ' +
        '$2) GROUP BY "email" ORDER BY "email" COLLATE "C" ASC NULLS FIRST LIMIT $3',
    );
    expect(st.params).toEqual([true, 'x', 2]);
  });

  it('leaves unpaged queries as they were', () => {
    const st = aggregateStatement(collectionStatements(sqliteDialect, cards), { groupBy: ['email'], measures });
    expect(st.text).not.toMatch(/ORDER BY|LIMIT/);
  });

  it('refuses paging without groupBy, a null position and a bad limit', () => {
    const s = collectionStatements(sqliteDialect, cards);
    expect(() => aggregateStatement(s, { measures, limit: 5 })).toThrow(ValidationError);
    expect(() => aggregateStatement(s, { groupBy: ['email'], measures, after: [null] })).toThrow(ValidationError);
    expect(() => aggregateStatement(s, { groupBy: ['email'], measures, after: ['a', 'b'] })).toThrow(ValidationError);
    expect(() => aggregateStatement(s, { groupBy: ['email'], measures, limit: 10_001 })).toThrow(ValidationError);
  });
});
