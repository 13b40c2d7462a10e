import { describe, expect, it } from 'vitest';
import { ConflictError, InvalidStateError, NotFoundError, ValidationError } from '@clientele/core';
import { encodeCursor } from '@clientele/core/adapter';
import { collectionStatements, postgresDialect, sqliteDialect } from '@clientele/sql';
import type { Dialect } from '@clientele/sql';
import { cards, newCard } from './fixtures.js';

const SELECT =
  '"id", "customer_id" AS "customerId", "balance", "active", "issued_at" AS "issuedAt", "email", "meta", "version"';

describe('collectionStatements (SQLite)', () => {
  const s = collectionStatements(sqliteDialect, cards);

  it('is built once per dialect and collection', () => {
    expect(collectionStatements(sqliteDialect, cards)).toBe(s);
    expect(collectionStatements(postgresDialect, cards)).not.toBe(s);
  });

  it('inserts every column with version 1 and returns a copy of the stored row', () => {
    const meta = { tags: ['vip'], n: 1 };
    const row = newCard('c1', { meta, email: 'a@b' });
    const st = s.insert(row);
    expect(st.text).toBe(
      'INSERT INTO "cards" ("id", "customer_id", "balance", "active", "issued_at", "email", "meta", ' +
        '"version") VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    expect(st.params).toEqual(['c1', 'cus_1', 100, 1, 1_700_000_000_000, 'a@b', '{"tags":["vip"],"n":1}', 1]);
    expect(st.row).toEqual({ ...row, version: 1 });
    expect(st.row['meta']).not.toBe(meta);
    expect(st.row['issuedAt']).not.toBe(row.issuedAt);
  });

  it('checks rows before writing anything', () => {
    expect(() => s.insert(newCard('c1', { balance: 1.5 }))).toThrow(ValidationError);
    expect(() => s.insert({ ...newCard('c1'), nope: 1 })).toThrow(ValidationError);
    expect(() => s.update('c1', { id: 'c2' })).toThrow(ValidationError);
  });

  it('gets by primary key and by a unique index, and never matches a null key', () => {
    expect(s.get('c1')).toEqual({ text: `SELECT ${SELECT} FROM "cards" WHERE "id" = ?`, params: ['c1'] });
    expect(s.getBy('by_email', { email: 'a@b' })).toEqual({
      text: `SELECT ${SELECT} FROM "cards" WHERE "email" = ?`,
      params: ['a@b'],
    });
    expect(s.getBy('by_email', { email: null })).toBeUndefined();
    expect(() => s.getBy('by_customer', { customerId: 'x' })).toThrow(InvalidStateError);
  });

  it('finds with the primary key as last order term, a keyset bound and LIMIT n + 1', () => {
    const first = s.find({ where: { active: true }, orderBy: [{ field: 'balance', direction: 'desc' }], limit: 2 });
    expect(first.text).toBe(
      `SELECT ${SELECT} FROM "cards" WHERE "active" = ? ORDER BY "balance" DESC, "id" ASC LIMIT ?`,
    );
    expect(first.params).toEqual([1, 3]);

    const raw = (id: string, balance: number) => ({
      ...newCard(id, { balance }),
      active: 1,
      issuedAt: 1_700_000_000_000,
      version: 1,
    });
    const page = s.page([raw('a', 9), raw('b', 7), raw('c', 7)], first);
    expect(page.rows.map((r) => r['id'])).toEqual(['a', 'b']);
    expect(page.rows[0]!['active']).toBe(true);
    expect(page.rows[0]!['issuedAt']).toEqual(new Date(1_700_000_000_000));
    expect(page.next).toBe(encodeCursor(page.rows[1]!, first.resolved.order));

    const second = s.find({
      where: { active: true },
      orderBy: [{ field: 'balance', direction: 'desc' }],
      limit: 2,
      after: page.next,
    });
    expect(second.text).toBe(
      `SELECT ${SELECT} FROM "cards" WHERE "active" = ? AND ("balance" <= ? AND ("balance" < ? OR ("balance" ` +
        `= ? AND ("id" > ?)))) ORDER BY "balance" DESC, "id" ASC LIMIT ?`,
    );
    expect(second.params).toEqual([1, 7, 7, 7, 'b', 3]);
    expect(s.page([raw('c', 7)], second).next).toBeNull();
  });

  it('counts with the same filter', () => {
    expect(s.count({ balance: { gt: 5 }, email: null })).toEqual({
      text: 'SELECT count(*) AS "n" FROM "cards" WHERE "balance" > ? AND "email" IS NULL',
      params: [5],
    });
  });

  it('updates with a version bump, an optional version check, RETURNING, and reuses the text', () => {
    const a = s.update('c1', { balance: 5, email: 'x@y' }, { expectVersion: 3 });
    expect(a.text).toBe(
      `UPDATE "cards" SET "balance" = ?, "email" = ?, "version" = "version" + 1 WHERE "id" = ? AND "version" ` +
        `= ? RETURNING ${SELECT}`,
    );
    expect(a.params).toEqual([5, 'x@y', 'c1', 3]);
    const b = s.update('c2', { balance: 6, email: null }, { expectVersion: 4 });
    expect(b.text).toBe(a.text);
    expect(b.params).toEqual([6, null, 'c2', 4]);
    const c = s.update('c3', { balance: 7, email: undefined });
    expect(c.text).toBe(
      `UPDATE "cards" SET "balance" = ?, "version" = "version" + 1 WHERE "id" = ? RETURNING ${SELECT}`,
    );
    expect(c.params).toEqual([7, 'c3']);
  });

  it('deletes with an optional version check', () => {
    expect(s.delete('c1', { expectVersion: 2 })).toEqual({
      text: 'DELETE FROM "cards" WHERE "id" = ? AND "version" = ?',
      params: ['c1', 2],
    });
  });

  it('increments in one guarded statement that keeps the value a safe integer', () => {
    const st = s.increment('c1', 'balance', -30, { min: 0 });
    expect(st.text).toBe(
      `UPDATE "cards" SET "balance" = "balance" + ?, "version" = "version" + 1 WHERE "id" = ? AND "balance" + ` +
        `? BETWEEN ? AND ? RETURNING ${SELECT}`,
    );
    expect(st.params).toEqual([-30, 'c1', -30, 0, Number.MAX_SAFE_INTEGER]);
    expect(s.increment('c1', 'balance', 1).params).toEqual([
      1,
      'c1',
      1,
      -Number.MAX_SAFE_INTEGER,
      Number.MAX_SAFE_INTEGER,
    ]);
    expect(s.increment('c1', 'balance', 1, { min: -5, max: 2 ** 60 }).params.slice(3)).toEqual([
      -5,
      Number.MAX_SAFE_INTEGER,
    ]);
  });

  it('refuses to increment what is not a plain integer field', () => {
    expect(() => s.increment('c1', 'email', 1)).toThrow(InvalidStateError);
    expect(() => s.increment('c1', 'version', 1)).toThrow(InvalidStateError);
    expect(() => s.increment('c1', 'balance', 0.5)).toThrow(InvalidStateError);
  });

  it('consumes only when the row matches', () => {
    const st = s.consume('c1', { active: true, balance: { gt: 0 } }, { active: false });
    expect(st.text).toBe(
      `UPDATE "cards" SET "active" = ?, "version" = "version" + 1 WHERE "id" = ? AND "active" = ? AND ` +
        `"balance" > ? RETURNING ${SELECT}`,
    );
    expect(st.params).toEqual([0, 'c1', 1, 0]);
  });

  it('explains a missed write: gone, or changed by someone else', () => {
    expect(s.missedWrite('c1', undefined)).toBeInstanceOf(NotFoundError);
    const conflict = s.missedWrite('c1', { ...newCard('c1'), version: 5 }, { expectVersion: 4 });
    expect(conflict).toBeInstanceOf(ConflictError);
    expect((conflict as ConflictError).reason).toBe('version');
    expect((conflict as ConflictError).details).toMatchObject({ expected: 4, actual: 5 });
  });

  it('explains a missed increment: not applied, gone, or null', () => {
    const row = { ...newCard('c1'), version: 1 };
    expect(s.missedIncrement('c1', 'balance', row)).toEqual({ applied: false, row });
    expect(() => s.missedIncrement('c1', 'balance', undefined)).toThrow(NotFoundError);
    expect(() => s.missedIncrement('c1', 'balance', { ...row, balance: null })).toThrow(InvalidStateError);
  });
});

describe('insertMany', () => {
  const tiny: Dialect = { ...sqliteDialect, maxParameters: 8 * 3 };

  it('chunks under the parameter limit, a small remainder in one statement, a larger one in powers of two', () => {
    const rows = Array.from({ length: 10 }, (_, i) => newCard(`c${i}`));
    const statements = collectionStatements(tiny, cards).insertMany(rows);
    // 24 parameters / 8 columns = 3 rows per statement: 3 + 3 + 3, then 1.
    expect(statements.map((st) => st.params.length / 8)).toEqual([3, 3, 3, 1]);
    expect(
      statements[0]!.text.endsWith(
        'VALUES (?, ?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
    ).toBe(true);
    expect(statements.flatMap((st) => st.params.filter((_, i) => i % 8 === 0))).toEqual(rows.map((r) => r.id));
    expect(statements.every((st) => st.params.length <= tiny.maxParameters)).toBe(true);

    // A sale's lines: one statement, so the batch is all or nothing without a savepoint.
    const sale = collectionStatements(sqliteDialect, cards).insertMany(
      Array.from({ length: 13 }, (_, i) => newCard(`d${i}`)),
    );
    expect(sale.map((st) => st.params.length / 8)).toEqual([13]);
    const big = collectionStatements(sqliteDialect, cards).insertMany(
      Array.from({ length: 37 }, (_, i) => newCard(`e${i}`)),
    );
    expect(big.map((st) => st.params.length / 8)).toEqual([32, 4, 1]);
  });

  it('numbers PostgreSQL parameters across rows', () => {
    const [st] = collectionStatements(postgresDialect, cards).insertMany([newCard('a'), newCard('b')]);
    expect(st!.text).toContain('VALUES ($1, $2, $3, $4, $5, $6, $7, $8), ($9, $10, $11, $12, $13, $14, $15, $16)');
  });

  it('checks every row before building any statement', () => {
    expect(() => collectionStatements(tiny, cards).insertMany([newCard('a'), newCard('b', { balance: 'x' })])).toThrow(
      ValidationError,
    );
  });
});

describe('collectionStatements (PostgreSQL)', () => {
  const s = collectionStatements(postgresDialect, cards);

  it('numbers parameters and keeps native values', () => {
    const at = new Date(5);
    const st = s.insert(newCard('c1', { issuedAt: at, active: false, meta: ['x'] }));
    expect(st.text).toContain('VALUES ($1, $2, $3, $4, $5, $6, $7, $8)');
    expect(st.params).toEqual(['c1', 'cus_1', 100, false, at, null, '["x"]', 1]);
  });

  it('orders and compares text in binary order', () => {
    const st = s.find({
      orderBy: [{ field: 'customerId' }],
      after: encodeCursor({ customerId: 'b', id: 'k' }, [{ field: 'customerId' }, { field: 'id' }]),
    });
    expect(st.text).toBe(
      `SELECT ${SELECT} FROM "cards" WHERE ("customer_id" COLLATE "C" >= $1 AND ("customer_id" COLLATE "C" > ` +
        `$2 OR ("customer_id" COLLATE "C" = $3 AND ("id" COLLATE "C" > $4)))) ORDER BY "customer_id" ` +
        `COLLATE "C" ASC, "id" COLLATE "C" ASC LIMIT $5`,
    );
    expect(st.params).toEqual(['b', 'b', 'b', 'k', 101]);
  });

  it('writes the guarded increment and version-checked update with $n markers', () => {
    expect(s.increment('c1', 'balance', 5, { max: 10 }).text).toBe(
      `UPDATE "cards" SET "balance" = "balance" + $1, "version" = "version" + 1 WHERE "id" = $2 AND "balance" ` +
        `+ $3 BETWEEN $4 AND $5 RETURNING ${SELECT}`,
    );
    expect(s.update('c1', { email: 'e' }, { expectVersion: 1 }).text).toBe(
      `UPDATE "cards" SET "email" = $1, "version" = "version" + 1 WHERE "id" = $2 AND "version" = $3 ` +
        `RETURNING ${SELECT}`,
    );
  });

  it('decodes bigint text back into numbers', () => {
    const row = s.decodeRow({
      id: 'c1',
      customerId: 'x',
      balance: '9007199254740991',
      active: true,
      issuedAt: new Date(5),
      email: null,
      meta: { a: 1 },
      version: '2',
    });
    expect(row['balance']).toBe(Number.MAX_SAFE_INTEGER);
    expect(row['version']).toBe(2);
    expect(row['meta']).toEqual({ a: 1 });
  });
});
