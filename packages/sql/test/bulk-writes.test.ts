import { describe, expect, it } from 'vitest';
import {
  bulkDeleteStatement,
  bulkInsertStatement,
  bulkWriteStatement,
  collectionStatements,
  postgresDialect,
  postgresSchemaDialect,
  shapeOf,
  sqliteDialect,
} from '@clientele/sql';
import { cards, newCard } from './fixtures.js';

describe('bulk statements by column arrays', () => {
  const s = collectionStatements(postgresDialect, cards);

  it(
    'insert every row with one array per column, versioned rows at 1, clashes skipped and the stored keys ' +
      'returned',
    () => {
      const rows = [newCard('a'), newCard('b', { email: 'b@x', meta: { k: [1] } })];
      const st = bulkInsertStatement(s, rows);
      expect(st.text).toBe(
        'INSERT INTO "cards" ("id", "customer_id", "balance", "active", "issued_at", "email", "meta", ' +
          '"version") SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::boolean[], ' +
          '$5::timestamptz[], $6::text[], $7::json[], $8::bigint[]) ON CONFLICT DO NOTHING RETURNING "id" AS ' +
          '"k"',
      );
      expect(st.params).toEqual([
        ['a', 'b'],
        ['cus_1', 'cus_1'],
        [100, 100],
        [true, true],
        [rows[0]!.issuedAt, rows[1]!.issuedAt],
        [null, 'b@x'],
        [null, '{"k":[1]}'],
        [1, 1],
      ]);
      expect(bulkInsertStatement(s, rows, 1, 2).params[0], 'a slice of the rows').toEqual(['b']);
    },
  );

  it('write a group of one shape as one UPDATE ... FROM unnest, bumping the version', () => {
    const w = { key: 'a', when: { active: true }, set: { balance: 5 } };
    const shape = shapeOf(cards, w, new Set(['email']))!;
    const st = bulkWriteStatement(s, shape, [w, { ...w, key: 'b' }]);
    expect(st.text).toBe(
      'UPDATE "cards" AS t SET "balance" = v.s0, "version" = t."version" + 1 FROM unnest($1::text[], ' +
        '$2::bigint[], $3::boolean[]) AS v(k, s0, w0) WHERE t."id" = v.k AND t."active" = v.w0 RETURNING ' +
        't."id" AS "k", t."version" AS "version"',
    );
    expect(st.params).toEqual([
      ['a', 'b'],
      [5, 5],
      [true, true],
    ]);
    expect(
      shapeOf(cards, { key: 'a', when: {}, set: { email: 'x@y' } }, new Set(['email'])),
      'a unique field goes on its own',
    ).toBeNull();
  });

  it('delete by keys with one array, in the schema the dialect names', () => {
    expect(bulkDeleteStatement(s, ['a']).text).toBe(
      'DELETE FROM "cards" WHERE "id" = ANY($1::text[]) RETURNING "id" AS "k"',
    );
    expect(bulkDeleteStatement(collectionStatements(postgresSchemaDialect('shop_1'), cards), ['a']).text).toBe(
      'DELETE FROM "shop_1"."cards" WHERE "id" = ANY($1::text[]) RETURNING "id" AS "k"',
    );
  });

  it('refuse a dialect that binds no arrays', () => {
    expect(() => bulkDeleteStatement(collectionStatements(sqliteDialect, cards), ['a'])).toThrow(
      /binds no array parameters/,
    );
  });
});
