import { describe, expect, it } from 'vitest';
import { ValidationError } from '@clientele/core';
import { aggregateStatement, collectionStatements, postgresDialect, sqliteDialect } from '@clientele/sql';
import { cards } from './fixtures.js';

describe('aggregateStatement', () => {
  const measures = {
    n: { fn: 'count' },
    total: { fn: 'sum', field: 'balance' },
    first: { fn: 'min', field: 'issuedAt' },
    lastEmail: { fn: 'max', field: 'email' },
  } as const;

  it('groups with count, sum (0 for no rows), min and max (SQLite)', () => {
    const st = aggregateStatement(collectionStatements(sqliteDialect, cards), {
      where: { active: true },
      groupBy: ['customerId'],
      measures,
    });
    expect(st.text).toBe(
      'SELECT "customer_id" AS "g0", count(*) AS "m0", coalesce(sum("balance"), 0) AS "m1", min("issued_at") ' +
        'AS "m2", max("email") AS "m3" FROM "cards" WHERE "active" = ? GROUP BY "customer_id"',
    );
    expect(st.params).toEqual([1]);
  });

  it('collates string measures in binary order on PostgreSQL', () => {
    const st = aggregateStatement(collectionStatements(postgresDialect, cards), { groupBy: ['active'], measures });
    expect(st.text).toBe(
      'SELECT "active" AS "g0", count(*) AS "m0", coalesce(sum("balance"), 0) AS "m1", min("issued_at") AS ' +
        '"m2", max("email" COLLATE "C") AS "m3" FROM "cards" GROUP BY "active"',
    );
  });

  it('decodes driver values and sorts groups as core does (nulls first, then binary order)', () => {
    const st = aggregateStatement(collectionStatements(sqliteDialect, cards), { groupBy: ['email'], measures });
    const rows = st.decode([
      { g0: 'b', m0: 2, m1: 10, m2: 5, m3: 'b' },
      { g0: '😀', m0: 1, m1: 0, m2: 6, m3: '😀' },
      { g0: '\uffff', m0: 1, m1: 0, m2: 6, m3: '\uffff' },
      { g0: null, m0: 3, m1: 7, m2: 1, m3: null },
    ]);
    expect(rows.map((r) => r['email'])).toEqual([null, 'b', '\uffff', '😀']);
    expect(rows[0]).toEqual({ email: null, n: 3, total: 7, first: new Date(1), lastEmail: null });
  });

  it('turns PostgreSQL bigint and numeric text into numbers', () => {
    const st = aggregateStatement(collectionStatements(postgresDialect, cards), {
      measures: { n: { fn: 'count' }, total: { fn: 'sum', field: 'balance' } },
    });
    expect(st.decode([{ m0: '0', m1: '0' }])).toEqual([{ n: 0, total: 0 }]);
    expect(st.decode([{ m0: '4', m1: '9007199254740991' }])).toEqual([{ n: 4, total: Number.MAX_SAFE_INTEGER }]);
  });

  it('refuses what the fallback refuses', () => {
    const s = collectionStatements(sqliteDialect, cards);
    expect(() => aggregateStatement(s, { groupBy: ['meta'], measures: { n: { fn: 'count' } } })).toThrow(
      ValidationError,
    );
    expect(() => aggregateStatement(s, { measures: { t: { fn: 'sum', field: 'email' } } })).toThrow(ValidationError);
  });
});
