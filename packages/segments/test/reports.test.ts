/** Structure reports and recommendations, on every store kind. */
import { afterAll, describe, expect, it } from 'vitest';
import { DAY, STORE_KINDS, SYSTEM, buy, member, openSegChain } from './helpers.js';

describe.each(STORE_KINDS)('reports and recommendations on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it('break customers and revenue down by kind, region, class, store, segment and period, with shares', async () => {
    const { crm, clock } = await openSegChain(await kind.open());
    const start = clock.now();
    const a = await member(crm, 'A');
    const b = await member(crm, 'B', { homeStoreId: 'S02' });
    const org = (
      await crm.customers.register(
        { kind: 'organisation', legalName: 'Hotel', region: 'East', industry: 'hotels' },
        SYSTEM,
      )
    ).id;
    await buy(crm, a, 10_000);
    await buy(crm, org, 60_000, { storeId: 'S02' });
    clock.advance(31 * DAY);
    const mid = clock.now();
    await buy(crm, b, 30_000, { storeId: 'S02' });
    await buy(crm, null, 5_000);
    await crm.segments.define(
      { id: 'big', name: 'Big', definition: { condition: 'spent-at-least', args: { amount: 30_000 } } },
      SYSTEM,
    );
    await crm.segments.rebuild({}, SYSTEM);

    const byKind = await crm.segments.reports.structure({ by: 'kind' });
    expect(byKind).toEqual([
      { key: 'organisation', customers: 1, revenue: 60_000, customerShare: 1 / 3, revenueShare: 0.6 },
      { key: 'individual', customers: 2, revenue: 40_000, customerShare: 2 / 3, revenueShare: 0.4 },
    ]);
    expect(await crm.segments.reports.structure({ by: 'region' })).toEqual([
      { key: 'East', customers: 1, revenue: 60_000, customerShare: 1 / 3, revenueShare: 0.6 },
      { key: null, customers: 2, revenue: 40_000, customerShare: 2 / 3, revenueShare: 0.4 },
    ]);
    const byClass = await crm.segments.reports.structure({ by: 'valueClass' });
    expect(byClass.map((r) => [r.key, r.customers, r.revenue])).toEqual([
      // 60,000 and 30,000 make 90% (the second starts below 80%): A; 10,000 starts at 90%: B.
      ['A', 2, 90_000],
      ['B', 1, 10_000],
    ]);
    // By store in a period: the purchases' stores, anonymous sales in revenue only.
    const end = new Date(clock.now().getTime() + 1);
    expect(
      (await crm.segments.reports.structure({ by: 'store', from: start, to: end })).map((r) => [
        r.key,
        r.customers,
        r.revenue,
      ]),
    ).toEqual([
      ['S02', 2, 90_000],
      ['S01', 1, 15_000],
    ]);
    expect(
      (await crm.segments.reports.structure({ by: 'kind', from: mid, to: end })).map((r) => [
        r.key,
        r.customers,
        r.revenue,
      ]),
    ).toEqual([
      ['individual', 1, 30_000],
      [null, 0, 5_000],
    ]);
    expect(
      (
        await crm.segments.reports.structure({
          by: 'period',
          periods: [
            { label: 'November', from: start, to: mid },
            { label: 'December', from: mid, to: end },
          ],
        })
      ).map((r) => [r.key, r.customers, r.revenue, r.revenueShare]),
    ).toEqual([
      ['November', 2, 70_000, 70_000 / 105_000],
      ['December', 1, 35_000, 35_000 / 105_000],
    ]);
    expect(
      (await crm.segments.reports.structure({ by: 'segment' })).map((r) => [r.key, r.customers, r.revenue]),
    ).toEqual([['big', 2, 90_000]]);
    await expect(crm.segments.reports.structure({ by: 'period' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      path: ['periods'],
    });
    await expect(crm.segments.reports.structure({ by: 'store', from: end, to: start })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      path: ['to'],
    });
    await crm.close();
  });

  it('find pairs bought together (support, confidence, lift) and a customer’s likely next categories', async () => {
    const { crm } = await openSegChain(await kind.open(), { recommendations: { minTogether: 1 } });
    const a = await member(crm, 'A');
    const b = await member(crm, 'B');
    const line = (sku: string, category: string) => ({ sku, category, quantity: 1, unitPrice: 500 });
    await buy(crm, a, 0, { lines: [line('MILK', 'dairy'), line('BREAD', 'bakery')] });
    await buy(crm, a, 0, { lines: [line('MILK', 'dairy'), line('BREAD', 'bakery'), line('EGGS', 'eggs')] });
    await buy(crm, b, 0, { lines: [line('MILK', 'dairy')] });
    await buy(crm, b, 0, { lines: [line('BREAD', 'bakery'), line('EGGS', 'eggs')] });
    const voided = await buy(crm, b, 0, { lines: [line('MILK', 'dairy'), line('EGGS', 'eggs')] });
    await crm.purchases.void(
      { purchaseId: voided.id, reason: 'test' },
      { actor: SYSTEM.actor, idempotencyKey: `void-${voided.id}` },
    );
    await buy(crm, null, 0, { lines: [line('EGGS', 'eggs')] });
    const r = await crm.segments.rebuild({}, SYSTEM);
    expect(r.pairs).toBeGreaterThan(0);

    const milk = await crm.segments.recommendations.boughtTogether({ level: 'item', of: 'MILK' });
    expect(milk.map((p) => p.b)).toEqual(['BREAD', 'EGGS']);
    expect(milk[0]).toMatchObject({ a: 'MILK', b: 'BREAD', together: 2 });
    // Five baskets count (the voided one does not): milk 3, bread 3, both 2.
    expect(milk[0]!.support).toBeCloseTo(2 / 5, 12);
    expect(milk[0]!.confidence).toBeCloseTo(2 / 3, 12);
    expect(milk[0]!.lift).toBeCloseTo(10 / 9, 12);
    const top = await crm.segments.recommendations.boughtTogether({ level: 'category', limit: 2 });
    // Both pairs: together 2 of 5 baskets, each category in 3: lift 10/9; ties in a stable order.
    expect(top.map((p) => [p.a, p.b].sort().join('+'))).toEqual(['bakery+dairy', 'bakery+eggs']);
    expect(top[0]!.lift).toBeCloseTo(2 / 3 / (3 / 5), 12);

    const stats = await crm.segments.stats(b, SYSTEM);
    expect(stats.categories, 'category spend without the voided sale').toEqual({ dairy: 500, bakery: 500, eggs: 500 });
    const next = await crm.segments.recommendations.nextCategories(a, { limit: 3 }, SYSTEM);
    // Own shares dairy 0.4, bakery 0.4, eggs 0.2; bakery also follows dairy (2/3) and eggs (2/3):
    // bakery (0.4 + 0.4·2/3 + 0.2·2/3) / 2 = 0.4; dairy (0.4 + 0.4·2/3 + 0.2·1/3) / 2 ≈ 0.3667.
    expect(next.map((n) => n.category)).toEqual(['bakery', 'dairy', 'eggs']);
    expect(next[0]!.score).toBeCloseTo(0.4, 12);
    expect(next[1]!.score).toBeCloseTo(0.2 + 0.4 / 3 + 0.2 / 6, 12);
    await crm.close();
  });
});
