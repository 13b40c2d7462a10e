/** Values every store must keep exactly: Unicode text, safe integers, millisecond timestamps, booleans, JSON. */
import type { JsonValue, Page, RowOf } from '@clientele/core/adapter';
import { expect } from 'vitest';
import { byCodePoint } from '../expected-order.js';
import { accounts, customers, newAccount, newCustomer, newSale, sales } from '../fixtures.js';
import type { Suite } from '../harness.js';
import { expectStored } from '../probe-checks.js';

const MAX = Number.MAX_SAFE_INTEGER;
const CODE_INDEX = 'testkit_customers_code';

const ids = (rows: ReadonlyArray<{ id: string }>): string[] => rows.map((r) => r.id);

/** Tests of exact text, integers, timestamps, booleans and JSON. */
export const valuesSuite = {
  title: 'values',
  tests: {
    async 'text.unicode'(h) {
      const { store } = h;
      const decomposed = 'Zoe\u0308'; // e + combining diaeresis
      const precomposed = 'Zo\u00eb'; // ë as one code point: looks the same, is different text
      const long = '龙'.repeat(5000);
      const rows = [
        newCustomer(1, { name: '张伟', code: decomposed }),
        newCustomer(2, { name: '王芳', code: precomposed }),
        newCustomer(3, { name: '🧧 恭喜发财', code: 'vip-a', note: long }),
        newCustomer(4, { name: '👨\u200d👩\u200d👧 一家人', code: 'VIP-A', note: '' }),
        newCustomer(5, { name: '𠮷野家', code: 'שלום עולם', note: 'trailing spaces   ' }),
        newCustomer(6, {
          name: `it's "quoted" \\ back\nslash\ttab`,
          code: "'); DROP TABLE testkit_customers; --",
          note: '\u00a0non-breaking\u3000ideographic space',
        }),
      ];
      for (const row of rows) await store.insert(customers, row);

      for (const row of rows) {
        const got = await store.get(customers, row.id);
        expect(got?.name, `name of ${row.id} round-trips exactly`).toBe(row.name);
        expect(got?.code, `code of ${row.id} round-trips exactly (no normalisation, no case folding)`).toBe(row.code);
        expect(got?.note, `note of ${row.id} round-trips exactly`).toBe(row.note);
      }
      expect((await store.get(customers, 'cust-003'))?.note?.length, 'long text is not truncated').toBe(5000);
      expect((await store.get(customers, 'cust-004'))?.note, 'the empty string is not null').toBe('');

      expect((await store.getBy(customers, CODE_INDEX, { code: decomposed }))?.id, 'getBy the decomposed code').toBe(
        'cust-001',
      );
      expect((await store.getBy(customers, CODE_INDEX, { code: precomposed }))?.id, 'getBy the precomposed code').toBe(
        'cust-002',
      );
      expect((await store.getBy(customers, CODE_INDEX, { code: 'VIP-A' }))?.id, 'getBy is case-sensitive').toBe(
        'cust-004',
      );
      expect(ids((await store.find(customers, { where: { name: '张伟' } })).rows), 'eq on a Chinese name').toEqual([
        'cust-001',
      ]);
      expect(
        ids((await store.find(customers, { where: { name: { in: ['王芳', '张伟'] } } })).rows),
        'in on Chinese names',
      ).toEqual(['cust-001', 'cust-002']);
      expect(
        ids((await store.find(customers, { where: { name: { startsWith: '🧧' } } })).rows),
        'startsWith an emoji',
      ).toEqual(['cust-003']);
      expect(
        ids((await store.find(customers, { where: { code: { startsWith: 'Zoe' } } })).rows),
        'startsWith sees the combining mark as its own character',
      ).toEqual(['cust-001']);
      expect(await store.count(customers, { code: 'vip-a' }), 'eq is case-sensitive').toBe(1);
      expect(await store.count(customers, { note: '' }), 'eq on the empty string').toBe(1);
      expect(await store.count(customers, { note: 'trailing spaces' }), 'trailing spaces are significant').toBe(0);

      await store.update(customers, 'cust-002', { name: '王芳芳 🧧' });
      expect((await store.get(customers, 'cust-002'))?.name, 'updated Chinese text').toBe('王芳芳 🧧');

      await expectStored(h, customers, 'cust-001', ['张伟', decomposed]);
      await expectStored(h, customers, 'cust-002', ['王芳芳 🧧', precomposed]);
      await expectStored(h, customers, 'cust-003', ['🧧 恭喜发财', long]);
      await expectStored(h, customers, 'cust-004', ['👨\u200d👩\u200d👧 一家人', '']);
      await expectStored(h, customers, 'cust-005', ['𠮷野家', 'trailing spaces   ']);
    },

    async 'text.code-point-order'({ store }) {
      // Binary order: 'B' < 'a', 'a b' < 'aa', CJK < fullwidth 'ｚ' (U+FF5A) < 🧧 (U+1F9E7) < 𠮷 (U+20BB7).
      // UTF-16 comparison (JavaScript's <) would put the emoji before 'ｚ'; locale collations reorder the rest.
      const names = ['王', 'aa', '🧧', 'B', 'é', 'ｚ', 'a b', '𠮷', 'Ω', 'Z', '张', 'a', 'A'];
      for (const [i, name] of names.entries()) await store.insert(customers, newCustomer(i + 1, { name }));
      const expected = [...names].sort(byCodePoint);
      expect(
        expected.indexOf('ｚ') < expected.indexOf('🧧') && expected.indexOf('🧧') < expected.indexOf('𠮷'),
        'the kit\u2019s own expectation',
      ).toBe(true);

      const asc = await store.find(customers, { orderBy: [{ field: 'name' }] });
      expect(
        asc.rows.map((r) => r.name),
        'ascending by code point',
      ).toEqual(expected);
      const desc = await store.find(customers, { orderBy: [{ field: 'name', direction: 'desc' }] });
      expect(
        desc.rows.map((r) => r.name),
        'descending by code point',
      ).toEqual([...expected].reverse());

      const paged: string[] = [];
      let after: string | null = null;
      do {
        const page: Page<RowOf<typeof customers>> = await store.find(customers, {
          orderBy: [{ field: 'name' }],
          limit: 2,
          after,
        });
        paged.push(...page.rows.map((r) => r.name));
        after = page.next;
      } while (after !== null && paged.length <= names.length);
      expect(paged, 'cursors across the emoji and CJK boundary').toEqual(expected);

      const above = await store.find(customers, { where: { name: { gt: 'ｚ' } }, orderBy: [{ field: 'name' }] });
      expect(
        above.rows.map((r) => r.name),
        'gt compares by code point',
      ).toEqual(['🧧', '𠮷']);
      const below = await store.find(customers, { where: { name: { lt: '🧧' } } });
      expect(below.rows.length, 'lt compares by code point').toBe(names.length - 2);
      const [range] = await store.aggregate(customers, {
        measures: { lo: { fn: 'min', field: 'name' }, hi: { fn: 'max', field: 'name' } },
      });
      expect(range, 'min and max of text by code point').toEqual({ lo: 'A', hi: '𠮷' });
    },

    async 'integer.max-safe'(h) {
      const { store } = h;
      const amounts: Array<[string, number]> = [
        ['i1', MAX],
        ['i2', -MAX],
        ['i3', MAX - 1],
        ['i4', -(MAX - 1)],
        ['i5', 7],
      ];
      for (const [id, amount] of amounts)
        await store.insert(
          sales,
          newSale(1, { id, amount, discount: amount === 7 ? null : -amount, kind: amount > 0 ? 'up' : 'down' }),
        );
      for (const [id, amount] of amounts) {
        const got = await store.get(sales, id);
        expect(got?.amount, `${id} round-trips exactly`).toBe(amount);
        expect(got?.discount, `${id} nullable integer round-trips exactly`).toBe(amount === 7 ? null : -amount);
      }
      expect(
        ids((await store.find(sales, { where: { amount: MAX } })).rows),
        'eq 2^53 - 1 is not confused with 2^53 - 2',
      ).toEqual(['i1']);
      expect(ids((await store.find(sales, { where: { amount: { gt: MAX - 1 } } })).rows), 'gt 2^53 - 2').toEqual([
        'i1',
      ]);
      expect(
        ids((await store.find(sales, { where: { amount: { lte: -(MAX - 1) } } })).rows),
        'lte -(2^53 - 2)',
      ).toEqual(['i2', 'i4']);
      expect(ids((await store.find(sales, { orderBy: [{ field: 'amount' }] })).rows), 'order by amount').toEqual([
        'i2',
        'i4',
        'i5',
        'i3',
        'i1',
      ]);

      // Every partial sum stays safe, so an exact store and a careful scan agree on the total.
      const [all] = await store.aggregate(sales, {
        measures: {
          total: { fn: 'sum', field: 'amount' },
          lo: { fn: 'min', field: 'amount' },
          hi: { fn: 'max', field: 'amount' },
          n: { fn: 'count' },
        },
      });
      expect(all, 'sum, min and max over 2^53 - 1 and -(2^53 - 1)').toEqual({ total: 7, lo: -MAX, hi: MAX, n: 5 });
      await store.insert(sales, newSale(2, { id: 'j1', amount: MAX - 10, kind: 'edge' }));
      await store.insert(sales, newSale(3, { id: 'j2', amount: 10, kind: 'edge' }));
      const [edge] = await store.aggregate(sales, {
        where: { kind: 'edge' },
        measures: { total: { fn: 'sum', field: 'amount' } },
      });
      expect(edge, 'a sum of exactly 2^53 - 1').toEqual({ total: MAX });

      await store.insert(accounts, newAccount(1, MAX - 1));
      const up = await store.increment(accounts, 'acct-001', 'balance', 1);
      expect(up.applied && up.row.balance, 'increment up to 2^53 - 1').toBe(MAX);
      let beyond: boolean;
      try {
        beyond = (await store.increment(accounts, 'acct-001', 'balance', 1)).applied;
      } catch {
        beyond = false;
      }
      expect(beyond, 'increment past 2^53 - 1 is refused (applied: false or an error)').toBe(false);
      expect((await store.get(accounts, 'acct-001'))?.balance, 'the balance stays at 2^53 - 1').toBe(MAX);
      await store.insert(accounts, newAccount(2, -MAX));
      expect((await store.get(accounts, 'acct-002'))?.balance, '-(2^53 - 1) as a balance').toBe(-MAX);

      await expectStored(h, sales, 'i1', [MAX, -MAX]);
      await expectStored(h, sales, 'i2', [-MAX, MAX]);
      await expectStored(h, accounts, 'acct-001', [MAX]);
    },

    async 'timestamp.millisecond'({ store }) {
      const instants = [
        '1900-01-01T00:00:00.001Z',
        '1969-12-31T23:59:59.999Z',
        '1970-01-01T00:00:00.000Z',
        '2024-02-29T23:59:59.998Z',
        '2024-02-29T23:59:59.999Z',
        '2024-03-01T00:00:00.000Z',
        '2024-03-10T02:30:00.123Z',
        '2024-10-27T01:30:00.456Z',
        '2999-12-31T23:59:59.999Z',
      ];
      const shuffled = [4, 0, 8, 2, 6, 1, 5, 3, 7];
      for (const i of shuffled) await store.insert(sales, newSale(i + 1, { at: new Date(instants[i]!) }));
      for (const [i, iso] of instants.entries()) {
        const got = await store.get(sales, newSale(i + 1).id);
        expect(got?.at, `${iso} comes back as a Date`).toBeInstanceOf(Date);
        expect(got?.at.toISOString(), `${iso} round-trips to the millisecond`).toBe(iso);
      }
      const ordered = await store.find(sales, { orderBy: [{ field: 'at' }] });
      expect(
        ordered.rows.map((r) => r.at.toISOString()),
        'order by timestamp',
      ).toEqual(instants);
      const desc = await store.find(sales, { orderBy: [{ field: 'at', direction: 'desc' }], limit: 3 });
      expect(
        desc.rows.map((r) => r.at.toISOString()),
        'descending by timestamp',
      ).toEqual(instants.slice(-3).reverse());

      const leap = new Date('2024-02-29T23:59:59.999Z');
      expect(
        (await store.find(sales, { where: { at: leap } })).rows.map((r) => r.at.toISOString()),
        'eq to the millisecond',
      ).toEqual([leap.toISOString()]);
      expect(
        await store.count(sales, {
          at: { gt: new Date('2024-02-29T23:59:59.998Z'), lt: new Date('2024-03-01T00:00:00.000Z') },
        }),
        'a one-millisecond window',
      ).toBe(1);
      expect(await store.count(sales, { at: { lt: new Date(0) } }), 'before the epoch').toBe(2);
      expect(await store.count(sales, { at: { gte: new Date(0), lte: new Date(0) } }), 'exactly the epoch').toBe(1);

      await store.insert(customers, newCustomer(1, { lastVisitAt: new Date('2024-06-01T12:34:56.789Z') }));
      expect((await store.get(customers, 'cust-001'))?.lastVisitAt?.toISOString(), 'a nullable timestamp').toBe(
        '2024-06-01T12:34:56.789Z',
      );
      await store.update(customers, 'cust-001', { lastVisitAt: null, joinedAt: new Date('2030-01-01T00:00:00.007Z') });
      const updated = await store.get(customers, 'cust-001');
      expect(updated?.lastVisitAt, 'a timestamp set to null').toBeNull();
      expect(updated?.joinedAt.toISOString(), 'an updated timestamp').toBe('2030-01-01T00:00:00.007Z');
    },

    async 'boolean.roundtrip'({ store }) {
      for (let n = 1; n <= 5; n++) await store.insert(customers, newCustomer(n, { active: n % 2 === 1 }));
      for (let n = 1; n <= 5; n++) {
        const got = await store.get(customers, newCustomer(n).id);
        expect(got?.active, `cust ${n} comes back as a boolean`).toBe(n % 2 === 1);
      }
      expect(await store.count(customers, { active: true }), 'eq true').toBe(3);
      expect(await store.count(customers, { active: false }), 'eq false').toBe(2);
      expect(await store.count(customers, { active: { ne: true } }), 'ne true').toBe(2);
      await store.update(customers, 'cust-001', { active: false });
      expect((await store.get(customers, 'cust-001'))?.active, 'an updated boolean').toBe(false);
      const ordered = await store.find(customers, { orderBy: [{ field: 'active' }] });
      expect(
        ordered.rows.map((r) => r.active),
        'false orders before true',
      ).toEqual([false, false, false, true, true]);
      const consumed = await store.consume(customers, 'cust-003', { active: true }, { active: false });
      expect(consumed?.active, 'consume on a boolean condition').toBe(false);
    },

    async 'json.roundtrip'({ store }) {
      const payloads: JsonValue[] = [
        {
          nested: { deep: { list: [1, 'two', { three: 3 }], empty: {}, none: null } },
          emptyList: [],
          名字: '张伟',
          emoji: '🧧 红包',
          // A double with every digit: it must come back exactly, not as Math.PI's neighbour.
          // biome-ignore lint/suspicious/noApproximativeNumericConstant: the literal is the point of the test.
          numbers: [0, -1.5, 0.1, 1e-7, 12345678901234, MAX, -MAX, 3.141592653589793],
          flags: [true, false, null],
          quoted: 'he said "hi" \\ \n\t',
          looksLikeADate: '2024-01-01T00:00:00.000Z',
          dateTag: { $date: '2024-01-01T00:00:00.000Z' },
        },
        [1, [2, [3, []]], { a: null }, '🧧'],
        'just a string',
        '{"not":"parsed"}',
        42,
        0,
        -2.5,
        true,
        false,
        '',
        {},
        [],
      ];
      for (const [i, payload] of payloads.entries()) await store.insert(sales, newSale(i + 1, { payload }));
      for (const [i, payload] of payloads.entries()) {
        const got = await store.get(sales, newSale(i + 1).id);
        expect(
          got?.payload,
          `payload ${i} (${JSON.stringify(payload).slice(0, 40)}) round-trips exactly`,
        ).toStrictEqual(payload);
      }
      expect(await store.count(sales, { payload: { isNull: false } }), 'falsy JSON values are not null').toBe(
        payloads.length,
      );

      await store.update(sales, 'sale-001', { payload: { replaced: ['再见', 2] } });
      expect((await store.get(sales, 'sale-001'))?.payload, 'an updated JSON value').toStrictEqual({
        replaced: ['再见', 2],
      });
      await store.update(sales, 'sale-001', { payload: null });
      expect((await store.get(sales, 'sale-001'))?.payload, 'JSON set to null').toBeNull();
      const page = await store.find(sales, { where: { id: { in: ['sale-002', 'sale-003'] } } });
      expect(
        page.rows.map((r) => r.payload),
        'JSON read through find',
      ).toStrictEqual([payloads[1], payloads[2]]);
    },
  },
} satisfies Suite;
