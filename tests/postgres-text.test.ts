/**
 * Text that reaches SQL is data, never part of a statement, and every store keeps it alike: quotes,
 * backslashes, SQL fragments, emoji, combining marks and 4,000-character texts come back exactly; text
 * no store can keep the same way (U+0000, which PostgreSQL refuses, and lone UTF-16 surrogates, which
 * UTF-8 drivers replace) is refused by every store with VALIDATION_FAILED and changes nothing.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { isClienteleError } from '@clientele/core';
import { defineCollection, field, nullable } from '@clientele/core/module';
import { CLERK, SYSTEM, openChain, snapshot } from './support/chain.js';
import { STORE_KINDS } from './support/stores.js';

const SQLISH = `O'Brien "Bob" \\ '); DROP TABLE customers; -- $1 %_ \``;
const EMOJI = '👨‍👩‍👧 张伟 🧧 Zoë Zoe\u0308 𠮷';

const texts = defineCollection({
  name: 'test_texts',
  fields: { id: field.string(), code: field.string(), body: field.string(), data: nullable(field.json()) },
  primaryKey: 'id',
  indexes: [{ name: 'test_texts_code', fields: ['code'], unique: true }],
});

describe.each(STORE_KINDS)('text that reaches SQL, on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it('stores and reads back quotes, SQL fragments, emoji and long text exactly through the commands', async () => {
    const { crm } = await openChain(await kind.open());
    const c = await crm.customers.register({ kind: 'individual', name: `${SQLISH} ${EMOJI}`.slice(0, 200) }, CLERK);
    expect(await crm.customers.get(c.id, SYSTEM)).toMatchObject({ name: `${SQLISH} ${EMOJI}`.slice(0, 200) });
    const long = `${`${EMOJI}\n${SQLISH}\t`.repeat(80).slice(0, 3990)}终`;
    const logged = await crm.interactions.log(
      { customerId: c.id, channel: 'phone', kind: 'inquiry', summary: long },
      CLERK,
    );
    expect(logged.summary).toBe(long);
    expect((await crm.interactions.list(c.id, SYSTEM)).items.map((i) => i.summary)).toEqual([long]);
    // The customers table is still there and whole: the fragment was data.
    expect((await crm.customers.get(c.id, SYSTEM)).id).toBe(c.id);
  });

  it('refuses U+0000 and lone surrogates with VALIDATION_FAILED on every store, changing nothing', async () => {
    const { crm } = await openChain(await kind.open());
    const c = await crm.customers.register({ kind: 'individual', name: '李雷' }, CLERK);
    const before = await snapshot(crm);
    for (const summary of ['before\u0000after', 'half a pair \ud83e here', 'trailing \udc00']) {
      const error = await crm.interactions
        .log({ customerId: c.id, channel: 'phone', kind: 'inquiry', summary }, CLERK)
        .catch((e: unknown) => e);
      expect(isClienteleError(error, 'VALIDATION_FAILED')).toBe(true);
    }
    expect(await snapshot(crm)).toEqual(before);
  });

  it('gives the same answers at the port: exact round trips, refused values, lookups that find nothing', async () => {
    const store = await kind.open();
    await store.migrate([{ id: 'test/texts', steps: [{ op: 'createCollection', collection: texts }] }]);
    const rows = [
      { id: 'q', code: SQLISH, body: SQLISH.repeat(500), data: { [SQLISH]: EMOJI, list: [SQLISH, EMOJI] } },
      { id: 'e', code: EMOJI, body: EMOJI, data: EMOJI },
      { id: 'x'.repeat(200), code: 'long-key', body: '', data: null },
    ];
    for (const row of rows) await store.insert(texts, row);
    for (const row of rows) expect(await store.get(texts, row.id)).toEqual(row);
    expect((await store.getBy(texts, 'test_texts_code', { code: SQLISH }))?.id).toBe('q');
    expect((await store.find(texts, { where: { code: { startsWith: 'O\'Brien "' } } })).rows.map((r) => r.id)).toEqual([
      'q',
    ]);
    expect(await store.count(texts, { body: { in: [EMOJI, ''] } })).toBe(2);

    const refused = [
      () => store.insert(texts, { id: 'n1', code: 'a\u0000', body: 'b', data: null }),
      () => store.insert(texts, { id: 'n2', code: 'c', body: 'b', data: { 'k\u0000': 1 } }),
      () => store.insert(texts, { id: 'n3', code: 'c', body: 'b', data: ['\ud800'] }),
      () => store.update(texts, 'q', { body: 'x\u0000y' }),
      () => store.find(texts, { where: { code: 'a\u0000' } }),
      () => store.count(texts, { code: { startsWith: '\u0000' } }),
    ];
    for (const call of refused) {
      const error = await call().catch((e: unknown) => e);
      expect(isClienteleError(error, 'VALIDATION_FAILED')).toBe(true);
    }
    // A key or unique value no store can hold matches nothing, as a missing one does.
    expect(await store.get(texts, 'q\u0000')).toBeUndefined();
    expect(await store.getBy(texts, 'test_texts_code', { code: `${SQLISH}\u0000` })).toBeUndefined();
    expect(await store.delete(texts, 'q\ud800')).toBe(false);
    expect(await store.consume(texts, 'q\u0000', { code: SQLISH }, { body: 'taken' })).toBeUndefined();
    expect(await store.count(texts)).toBe(3);
    expect(await store.get(texts, 'q')).toEqual(rows[0]);
  });
});
