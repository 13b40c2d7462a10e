/**
 * Push-down and fallback agree: random statistics rows and random definitions, matched by port
 * filters in the store (SQL on SQLite and PostgreSQL) and by evaluating every row in memory.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { NewRowOf } from '@clientele/core/module';
import {
  compileCondition,
  conditionRegistry,
  customerStatsCollection,
  evaluatePredicate,
  type ConditionInput,
} from '@clientele/segments';
import { STORE_KINDS, SYSTEM, openSegChain } from './helpers.js';

const NOW = new Date('2026-11-02T02:00:00Z');
const DAY = 86_400_000;
const REGIONS = ['East', 'West', '华东', null];
const GROUPS = ['champions', 'loyal', 'at-risk', 'lost', null];

const rowArb = (i: number) =>
  fc
    .record({
      kind: fc.constantFrom('individual', 'organisation', 'supplier'),
      region: fc.constantFrom(...REGIONS),
      lastDays: fc.option(fc.integer({ min: 0, max: 400 }), { nil: null }),
      visits: fc.integer({ min: 0, max: 30 }),
      spend: fc.integer({ min: -500, max: 200_000 }),
      rScore: fc.option(fc.integer({ min: 1, max: 5 }), { nil: null }),
      rfmGroup: fc.constantFrom(...GROUPS),
      keyAccount: fc.boolean(),
      category: fc.constantFrom('dairy', 'wine', 'bakery'),
      // Some rows are of erased customers: kept for the totals, matched by no definition.
      erased: fc.constantFrom(null, null, null, true),
      // Satisfaction from survey answers, null for customers who never answered.
      satisfaction: fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
      trend: fc.option(fc.integer({ min: -40, max: 40 }), { nil: null }),
    })
    .map(
      (r): NewRowOf<typeof customerStatsCollection> => ({
        customerId: `cus_${String(i).padStart(4, '0')}`,
        kind: r.kind,
        region: r.region,
        industry: null,
        sizeClass: null,
        homeStoreId: i % 2 ? 'S01' : 'S02',
        customerVersion: 1,
        firstPurchaseAt: r.lastDays === null ? null : new Date(NOW.getTime() - (r.lastDays + 30) * DAY),
        lastPurchaseAt: r.lastDays === null ? null : new Date(NOW.getTime() - r.lastDays * DAY),
        visits: r.visits,
        spend: r.spend,
        avgBasket: r.visits ? Math.round(r.spend / r.visits) : 0,
        windowVisits: r.visits,
        windowSpend: r.spend,
        gaps: [],
        typicalGapHours: null,
        churnThresholdHours: null,
        churnBasis: null,
        overdueAt: r.lastDays === null ? null : new Date(NOW.getTime() - (r.lastDays - 20) * DAY),
        categories: r.spend > 0 ? { [r.category]: r.spend } : {},
        topCategory: r.spend > 0 ? r.category : null,
        rScore: r.rScore,
        fScore: r.rScore,
        mScore: r.rScore,
        rfmGroup: r.rfmGroup,
        valueClass: r.spend > 100_000 ? 'A' : 'C',
        volumeClass: 'small',
        creditRating: null,
        keyAccount: r.keyAccount,
        digest: 0,
        scoresDigest: 0,
        updatedAt: NOW,
        erased: r.erased,
        satisfaction: r.satisfaction,
        satisfactionTrend: r.satisfaction === null ? null : r.trend,
        satisfactionResponses: r.satisfaction === null ? null : r.trend === null ? 1 : 2 + (i % 4),
        satisfactionAt: r.satisfaction === null ? null : new Date(NOW.getTime() - (i % 60) * DAY),
      }),
    );

const leaf: fc.Arbitrary<ConditionInput> = fc.oneof(
  fc.record({
    field: fc.constant('visits'),
    op: fc.constantFrom('eq', 'ne', 'gt', 'gte', 'lt', 'lte'),
    value: fc.integer({ min: 0, max: 30 }),
  }),
  fc
    .record({
      field: fc.constant('spend'),
      op: fc.constantFrom('gt', 'lte', 'between'),
      value: fc.integer({ min: -500, max: 200_000 }),
    })
    .map((c) => (c.op === 'between' ? { ...c, value: [c.value, c.value + 50_000] } : c)),
  fc
    .record({
      field: fc.constant('region'),
      op: fc.constantFrom('eq', 'ne', 'in', 'isNull'),
      value: fc.constantFrom('East', 'West', '华东'),
    })
    .map((c) =>
      c.op === 'in' ? { ...c, value: [c.value, 'West'] } : c.op === 'isNull' ? { ...c, value: c.value === 'East' } : c,
    ),
  fc.record({
    field: fc.constant('lastPurchaseAt'),
    op: fc.constantFrom('lt', 'gte'),
    value: fc.integer({ min: 0, max: 400 }).map((d) => ({ daysAgo: d })),
  }),
  fc
    .record({
      field: fc.constant('rScore'),
      op: fc.constantFrom('gte', 'isNull', 'in'),
      value: fc.integer({ min: 1, max: 5 }),
    })
    .map((c) => (c.op === 'isNull' ? { ...c, value: c.value > 3 } : c.op === 'in' ? { ...c, value: [c.value, 1] } : c)),
  fc.record({ field: fc.constant('keyAccount'), op: fc.constantFrom('eq', 'ne'), value: fc.boolean() }),
  fc.constantFrom<ConditionInput>(
    { condition: 'churn-risk' },
    { condition: 'rfm-group', args: { groups: ['champions', 'at-risk'] } },
    { condition: 'bought-category', args: { category: 'wine', minSpend: 1000 } },
    { condition: 'value-class', args: { classes: ['A'] } },
    { condition: 'satisfaction-falling' },
    { condition: 'satisfaction-falling', args: { by: 10, minResponses: 3 } },
    { condition: 'satisfaction-below', args: { score: 50 } },
    { field: 'satisfactionAt', op: 'gte', value: { daysAgo: 30 } },
  ),
) as fc.Arbitrary<ConditionInput>;

const definition: fc.Arbitrary<ConditionInput> = fc.letrec<{ node: ConditionInput }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('node'), { minLength: 1, maxLength: 3 }).map((all) => ({ all })),
    fc.array(tie('node'), { minLength: 1, maxLength: 3 }).map((any) => ({ any })),
  ),
})).node;

describe.each(STORE_KINDS)('push-down equals the in-memory fallback on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it('for random definitions over random statistics', async () => {
    const { crm, clock } = await openSegChain(await kind.open());
    clock.set(NOW);
    const rows = fc.sample(fc.tuple(...Array.from({ length: 120 }, (_, i) => rowArb(i))), { numRuns: 1, seed: 7 })[0]!;
    await crm.store.insertMany(customerStatsCollection, rows);
    const registry = conditionRegistry();
    let informative = 0;
    await fc.assert(
      fc.asyncProperty(definition, async (d) => {
        const pushed = await crm.segments.match(d, SYSTEM);
        const scanned = await crm.segments.match(d, { mode: 'scan' }, SYSTEM);
        const predicate = compileCondition(d, registry);
        const expected = rows
          .filter(
            (r) =>
              r.erased !== true && evaluatePredicate(predicate, { stats: r as never, categories: r.categories }, NOW),
          )
          .map((r) => r.customerId)
          .sort();
        if (expected.length > 0 && expected.length < rows.length) informative++;
        expect(pushed).toEqual(expected);
        expect(scanned).toEqual(expected);
      }),
      { numRuns: 60, seed: 20261102 },
    );
    expect(informative, 'most definitions select some rows and not all').toBeGreaterThan(30);
    await crm.close();
  });
});
