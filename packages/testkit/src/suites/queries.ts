/** Filters: every operator, SQL null semantics, and refusal of queries the port does not allow. */
import type { Store, Where } from '@clientele/core/adapter';
import { expect } from 'vitest';
import { expectCode } from '../assertions.js';
import { customers, newCustomer } from '../fixtures.js';
import type { Suite } from '../harness.js';

type CustomerWhere = Where<typeof customers>;

const at = (iso: string): Date => new Date(iso);

/** Six customers whose values exercise every operator (CJK, emoji, LIKE wildcards, milliseconds). */
async function seed(store: Store): Promise<void> {
  const rows = [
    newCustomer(1, {
      name: '张伟',
      tier: 'gold',
      points: 100,
      phone: '13800000001',
      note: '10% off',
      active: true,
      joinedAt: at('2024-01-01T00:00:00.000Z'),
      profile: { vip: true },
    }),
    newCustomer(2, {
      name: '王芳',
      tier: 'silver',
      points: 50,
      phone: null,
      note: '100 points',
      active: true,
      joinedAt: at('2024-01-01T00:00:00.001Z'),
    }),
    newCustomer(3, {
      name: 'Ana',
      tier: 'bronze',
      points: 0,
      phone: '13800000003',
      note: null,
      active: false,
      joinedAt: at('2023-12-31T23:59:59.999Z'),
    }),
    newCustomer(4, {
      name: 'ana',
      tier: 'gold',
      points: -5,
      phone: null,
      note: 'a_b',
      active: true,
      joinedAt: at('2024-03-01T12:00:00.000Z'),
      profile: [],
    }),
    newCustomer(5, {
      name: 'Émile',
      tier: 'silver',
      points: 100,
      phone: '+4412',
      note: 'aXb',
      active: false,
      joinedAt: at('2024-01-01T00:00:00.000Z'),
    }),
    newCustomer(6, {
      name: '🧧 Lucky',
      tier: 'gold',
      points: 888,
      phone: null,
      note: null,
      active: true,
      joinedAt: at('2025-02-10T08:00:00.000Z'),
    }),
  ];
  for (const row of rows) await store.insert(customers, row);
}

/** `find` and `count` must both give exactly `expected` (ids by number). */
async function expectMatches(
  store: Store,
  where: CustomerWhere,
  expected: readonly number[],
  what: string,
): Promise<void> {
  const ids = expected.map((n) => `cust-${String(n).padStart(3, '0')}`);
  const page = await store.find(customers, { where, limit: 100 });
  expect(page.rows.map((r) => r.id).sort(), `find where ${what}`).toEqual([...ids].sort());
  expect(await store.count(customers, where), `count where ${what}`).toBe(ids.length);
}

/** Tests of filter operators, null semantics and invalid queries. */
export const queriesSuite = {
  title: 'queries',
  tests: {
    async 'filter.operators'({ store }) {
      await seed(store);
      const cases: Array<[string, CustomerWhere, number[]]> = [
        ['a bare value (eq)', { tier: 'gold' }, [1, 4, 6]],
        ['eq', { tier: { eq: 'silver' } }, [2, 5]],
        ['eq on CJK text', { name: '王芳' }, [2]],
        ['eq on emoji text', { name: { eq: '🧧 Lucky' } }, [6]],
        ['ne', { tier: { ne: 'gold' } }, [2, 3, 5]],
        ['gt', { points: { gt: 50 } }, [1, 5, 6]],
        ['gte', { points: { gte: 50 } }, [1, 2, 5, 6]],
        ['lt', { points: { lt: 0 } }, [4]],
        ['lte', { points: { lte: 0 } }, [3, 4]],
        ['a range in one condition', { points: { gte: 0, lt: 100 } }, [2, 3]],
        ['in', { tier: { in: ['silver', 'bronze'] } }, [2, 3, 5]],
        ['in on integers', { points: { in: [0, 888, 12345] } }, [3, 6]],
        ['in with an empty list', { tier: { in: [] } }, []],
        ['startsWith', { name: { startsWith: 'a' } }, [4]],
        ['startsWith is case-sensitive', { name: { startsWith: 'A' } }, [3]],
        ['startsWith on CJK', { name: { startsWith: '张' } }, [1]],
        ['startsWith takes % literally', { note: { startsWith: '10%' } }, [1]],
        ['startsWith takes _ literally', { note: { startsWith: 'a_' } }, [4]],
        ['startsWith the whole value', { note: { startsWith: 'aXb' } }, [5]],
        ['startsWith the empty string', { note: { startsWith: '' } }, [1, 2, 4, 5]],
        ['eq on a boolean', { active: false }, [3, 5]],
        ['eq on a timestamp', { joinedAt: at('2024-01-01T00:00:00.000Z') }, [1, 5]],
        ['gt on a timestamp, by the millisecond', { joinedAt: { gt: at('2024-01-01T00:00:00.000Z') } }, [2, 4, 6]],
        ['lt on a timestamp, by the millisecond', { joinedAt: { lt: at('2024-01-01T00:00:00.000Z') } }, [3]],
        [
          'in on timestamps',
          { joinedAt: { in: [at('2023-12-31T23:59:59.999Z'), at('2025-02-10T08:00:00.000Z')] } },
          [3, 6],
        ],
        ['gt on text compares code points', { name: { gt: 'z' } }, [1, 2, 5, 6]],
        ['two fields (AND)', { tier: 'gold', active: true, points: { gt: 0 } }, [1, 6]],
        ['no conditions', {}, [1, 2, 3, 4, 5, 6]],
      ];
      for (const [what, where, expected] of cases) await expectMatches(store, where, expected, what);
    },

    async 'filter.null-semantics'({ store }) {
      await seed(store);
      const cases: Array<[string, CustomerWhere, number[]]> = [
        ['isNull true', { phone: { isNull: true } }, [2, 4, 6]],
        ['isNull false', { phone: { isNull: false } }, [1, 3, 5]],
        ['isNull on a JSON field', { profile: { isNull: true } }, [2, 3, 5, 6]],
        ['isNull false on a JSON field (an empty array is not null)', { profile: { isNull: false } }, [1, 4]],
        ['a bare null matches nulls', { phone: null }, [2, 4, 6]],
        ['eq null matches nulls', { note: { eq: null } }, [3, 6]],
        ['ne null matches non-nulls', { note: { ne: null } }, [1, 2, 4, 5]],
        ['ne never matches null', { phone: { ne: '13800000001' } }, [3, 5]],
        ['gt never matches null', { note: { gt: '' } }, [1, 2, 4, 5]],
        ['lt never matches null', { phone: { lt: '\u{10FFFF}' } }, [1, 3, 5]],
        ['in never matches null', { phone: { in: ['13800000001', '+4412'] } }, [1, 5]],
        ['startsWith never matches null', { phone: { startsWith: '' } }, [1, 3, 5]],
        ['isNull with another operator', { note: { isNull: false, startsWith: 'a' } }, [4, 5]],
      ];
      for (const [what, where, expected] of cases) await expectMatches(store, where, expected, what);
    },

    async 'filter.rejects-invalid'({ store }) {
      await seed(store);
      const bad: Array<[string, () => Promise<unknown>]> = [
        ['find on an unknown field', () => store.find(customers, { where: { shoeSize: 42 } as never })],
        ['count on an unknown field', () => store.count(customers, { shoeSize: 42 } as never)],
        ['eq on a JSON field', () => store.find(customers, { where: { profile: { eq: 'x' } } as never })],
        [
          'startsWith on an integer field',
          () => store.find(customers, { where: { points: { startsWith: '1' } } as never }),
        ],
        ['gt null', () => store.find(customers, { where: { points: { gt: null } } as never })],
        ['a value of the wrong kind', () => store.find(customers, { where: { points: 'many' } as never })],
        ['ordering by a nullable field', () => store.find(customers, { orderBy: [{ field: 'phone' }] })],
        ['ordering by a JSON field', () => store.find(customers, { orderBy: [{ field: 'profile' }] })],
        ['ordering by an unknown field', () => store.find(customers, { orderBy: [{ field: 'shoeSize' as never }] })],
      ];
      for (const [what, call] of bad) await expectCode(call(), 'VALIDATION_FAILED', what);
    },
  },
} satisfies Suite;
