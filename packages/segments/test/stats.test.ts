import { afterAll, describe, expect, it } from 'vitest';
import { DAY, STORE_KINDS, SYSTEM, buy, freshKey, member, openSegChain } from './helpers.js';
import type { StatsRow } from '@clientele/segments';

const volatile = ({ updatedAt: _u, ...rest }: StatsRow) => rest;

describe.each(STORE_KINDS)('customer statistics on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it('are kept current on every sale, return and void, and equal a rebuild at the same instant', async () => {
    const { crm, clock } = await openSegChain(await kind.open(), { churn: { minGaps: 2 } });
    const a = await member(crm, '张伟');
    const b = await member(crm, 'Li', { homeStoreId: 'S02' });
    const first = await buy(crm, a, 10_000, { category: 'dairy' });
    clock.advance(6 * DAY);
    await buy(crm, a, 4_000, { lines: [{ sku: 'BREAD', category: 'bakery', quantity: 2, unitPrice: 1_000 }, { sku: 'MILK', category: 'dairy', quantity: 1, unitPrice: 2_000 }] });
    await buy(crm, b, 2_500);
    clock.advance(6 * DAY);
    const third = await buy(crm, a, 3_000, { category: 'fruit' });
    await crm.purchases.return({ purchaseId: first.id, storeId: 'S01', lines: [{ lineNo: 1, quantity: 1 }], reason: 'sour' }, { actor: SYSTEM.actor, idempotencyKey: freshKey('ret') });
    await crm.purchases.void({ purchaseId: third.id, reason: 'rung up twice' }, { actor: SYSTEM.actor, idempotencyKey: freshKey('void') });
    clock.advance(DAY);

    const s = await crm.segments.stats(a);
    expect(s).toMatchObject({
      visits: 2,
      spend: 4_000,
      avgBasket: 2_000,
      firstPurchaseAt: first.occurredAt,
      gaps: [144],
      typicalGapHours: 144,
      categories: { dairy: 12_000, bakery: 2_000 },
      topCategory: 'dairy',
      homeStoreId: 'S01',
      kind: 'individual',
    });
    const before = { a: volatile(s) };
    const r = await crm.segments.rebuild({}, SYSTEM);
    expect(r.customers).toBe(2);
    const after = await crm.segments.stats(a);
    // The rebuild scores with the new thresholds; what it derives from purchases is what each sale left.
    for (const f of ['visits', 'spend', 'avgBasket', 'firstPurchaseAt', 'lastPurchaseAt', 'gaps', 'typicalGapHours', 'windowVisits', 'windowSpend', 'categories', 'topCategory', 'overdueAt', 'churnBasis'] as const) {
      expect(after[f], f).toEqual(before.a[f]);
    }
    // A sale scores with the stored thresholds; the next rebuild moves the thresholds, the one after finds nothing to write.
    await buy(crm, b, 1_000);
    await crm.segments.rebuild({}, SYSTEM);
    expect((await crm.segments.rebuild({}, SYSTEM)).written).toBe(0);
    await crm.close();
  });

  it('counts a back-dated sale in its place among the visits', async () => {
    const { crm, clock } = await openSegChain(await kind.open());
    const a = await member(crm, 'Late');
    const t0 = clock.now();
    clock.advance(10 * DAY);
    await buy(crm, a, 1_000);
    clock.advance(10 * DAY);
    await buy(crm, a, 1_000);
    await crm.purchases.record(
      { storeId: 'S01', terminalId: 'T9', receiptNo: 'OFFLINE-1', customerId: a, occurredAt: new Date(t0.getTime() + 5 * DAY), lines: [{ sku: 'X', category: 'grocery', quantity: 1, unitPrice: 500 }] },
      { actor: SYSTEM.actor, idempotencyKey: freshKey('offline') },
    );
    const s = await crm.segments.stats(a);
    expect(s.gaps).toEqual([120, 240]);
    expect(s.visits).toBe(3);
    expect(s.firstPurchaseAt).toEqual(new Date(t0.getTime() + 5 * DAY));
    await crm.close();
  });

  it('rebuild in chunks with progress, can be cancelled between chunks, and drop customers who are gone', async () => {
    const { crm, clock } = await openSegChain(await kind.open());
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) ids.push(await member(crm, `M${i}`));
    for (let i = 0; i < 25; i++) await buy(crm, ids[i]!, 1_000 * (i + 1));
    clock.advance(DAY);
    const progress: Array<[string, number, number]> = [];
    const r = await crm.segments.rebuild({ chunkSize: 10, parts: ['stats'], onProgress: (p) => progress.push([p.part, p.done, p.total]) }, SYSTEM);
    expect(progress.filter((p) => p[0] === 'stats')).toEqual([
      ['stats', 10, 25],
      ['stats', 20, 25],
      ['stats', 25, 25],
    ]);
    expect(r.thresholds?.buyers).toBe(25);
    expect((await crm.segments.stats(ids[24]!)).mScore).toBe(5);
    expect((await crm.segments.stats(ids[0]!)).mScore).toBe(1);

    const controller = new AbortController();
    const partial = await crm.segments.rebuild({ chunkSize: 10, onProgress: (p) => p.done >= 10 && controller.abort(), signal: controller.signal }, SYSTEM);
    expect(partial.cancelled).toBe(true);

    await crm.privacy.eraseCustomer({ customerId: ids[3]!, reason: 'asked to be forgotten' }, SYSTEM);
    await expect(crm.segments.stats(ids[3]!)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await crm.customers.merge({ survivorId: ids[1]!, mergedId: ids[2]!, reason: 'same person' }, SYSTEM);
    await expect(crm.segments.stats(ids[2]!)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await crm.segments.stats(ids[1]!)).visits).toBe(2);
    const again = await crm.segments.rebuild({}, SYSTEM);
    expect(again.customers).toBe(23);
    expect(again.removed, 'the per-change updates already removed them').toBe(0);
    await crm.close();
  });
});
