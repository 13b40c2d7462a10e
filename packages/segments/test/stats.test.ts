import { afterAll, describe, expect, it } from 'vitest';
import { DAY, STORE_KINDS, SYSTEM, buy, freshKey, member, openSegChain } from './helpers.js';
import type { StatsRow } from '@clientele/segments';
import { auditLog, customersCollection } from '@clientele/core/module';
import { resolveConfig } from '../src/config.js';
import { statsFromSummary } from '../src/customer-stats.js';
import { composeRow, projectCustomer, sealRow, summaryOf } from '../src/stats-store.js';

const volatile = ({ updatedAt: _u, ...rest }: StatsRow) => rest;

describe.each(STORE_KINDS)('customer statistics on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it('are kept current on every sale, return and void, and equal a rebuild at the same instant', async () => {
    const { crm, clock } = await openSegChain(await kind.open(), { churn: { minGaps: 2 } });
    const a = await member(crm, '张伟');
    const b = await member(crm, 'Li', { homeStoreId: 'S02' });
    const first = await buy(crm, a, 10_000, { category: 'dairy' });
    clock.advance(6 * DAY);
    await buy(crm, a, 4_000, {
      lines: [
        { sku: 'BREAD', category: 'bakery', quantity: 2, unitPrice: 1_000 },
        { sku: 'MILK', category: 'dairy', quantity: 1, unitPrice: 2_000 },
      ],
    });
    await buy(crm, b, 2_500);
    clock.advance(6 * DAY);
    const third = await buy(crm, a, 3_000, { category: 'fruit' });
    await crm.purchases.return(
      { purchaseId: first.id, storeId: 'S01', lines: [{ lineNo: 1, quantity: 1 }], reason: 'sour' },
      { actor: SYSTEM.actor, idempotencyKey: freshKey('ret') },
    );
    await crm.purchases.void(
      { purchaseId: third.id, reason: 'rung up twice' },
      { actor: SYSTEM.actor, idempotencyKey: freshKey('void') },
    );
    clock.advance(DAY);

    const s = await crm.segments.stats(a, SYSTEM);
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
    const after = await crm.segments.stats(a, SYSTEM);
    // The rebuild scores with the new thresholds; what it derives from purchases is what each sale left.
    for (const f of [
      'visits',
      'spend',
      'avgBasket',
      'firstPurchaseAt',
      'lastPurchaseAt',
      'gaps',
      'typicalGapHours',
      'windowVisits',
      'windowSpend',
      'categories',
      'topCategory',
      'overdueAt',
      'churnBasis',
    ] as const) {
      expect(after[f], f).toEqual(before.a[f]);
    }
    // A sale scores with the stored thresholds; the next rebuild moves the thresholds, the one after finds nothing to
    // write.
    await buy(crm, b, 1_000);
    await crm.segments.rebuild({}, SYSTEM);
    expect((await crm.segments.rebuild({}, SYSTEM)).written).toBe(0);
    await crm.close();
  });

  it("rebuilt nightly as time passes, equal what each customer's purchases give, and leave a sale made " +
    'meanwhile as it wrote it', {
    timeout: 60_000,
  }, async () => {
    // Segments on relative dates (their members change with time alone) and on scores.
    const SEGMENTS = {
      'at-risk': { condition: 'churn-risk' },
      lapsed: { condition: 'inactive-for-days', args: { days: 320 } },
      champions: { condition: 'rfm-group', args: { groups: ['champions', 'loyal'] } },
    };
    // Shopping, a rebuild, then 300 days on (the window moves, thresholds and many rows change, in
    // full chunks and a partial last one) another rebuild.
    const shop = async (rebuildEarly: boolean) => {
      const { crm, clock } = await openSegChain(await kind.open());
      for (const [id, definition] of Object.entries(SEGMENTS))
        await crm.segments.define({ id, name: id, definition }, SYSTEM);
      const ids: string[] = [];
      for (let i = 0; i < 25; i++) ids.push(await member(crm, `N${i}`));
      for (let week = 0; week < 20; week++) {
        // Regulars every week (their own rhythm), others now and then, some never.
        for (let i = 0; i < ids.length; i++)
          if (i % 3 === 0 || (i % 3 === 1 && week % ((i % 7) + 2) === 0)) await buy(crm, ids[i]!, 500 + 137 * i);
        clock.advance(7 * DAY);
      }
      if (rebuildEarly) await crm.segments.rebuild({ chunkSize: 10 }, SYSTEM);
      clock.advance(300 * DAY);
      return { crm, clock, ids };
    };
    const { crm, clock, ids } = await shop(true);
    const buyer = ids[3]!;
    let sold = false;
    const sale: Array<Promise<unknown>> = [];
    const rebuilt = await crm.segments.rebuild(
      {
        chunkSize: 10,
        parts: ['stats', 'baskets'],
        // A sale for a customer whose row the sweep after the thresholds rewrites, before it does.
        onProgress: (p) => {
          if (p.part === 'stats' && p.done === p.total && !sold) {
            sold = true;
            sale.push(buy(crm, buyer, 1_000));
          }
        },
      },
      SYSTEM,
    );
    await Promise.all(sale);
    expect(rebuilt.written).toBeGreaterThan(10);
    // The thresholds are those a first build finds from the same purchases.
    const other = await shop(false);
    expect(rebuilt.thresholds).toEqual((await other.crm.segments.rebuild({ chunkSize: 10 }, SYSTEM)).thresholds);
    await other.crm.close();

    // Every row is what the customer's purchases give under the thresholds (as a sale would write it).
    const config = resolveConfig({});
    const now = clock.now();
    for (const id of ids) {
      const row = await crm.segments.stats(id, SYSTEM);
      const customer = (await crm.store.get(customersCollection, id))!;
      const figures = statsFromSummary(await summaryOf(crm.store, id, now, config), now, {
        windowDays: config.rfm.windowDays,
        maxGaps: config.churn.maxGaps,
      });
      const expected = sealRow(
        composeRow(
          projectCustomer(customer),
          figures,
          { categories: row.categories, creditRating: row.creditRating, keyAccount: row.keyAccount },
          id === buyer ? null : rebuilt.thresholds,
          config,
          now,
        ),
      );
      if (id === buyer) {
        // The sale's own update stands: the rebuild did not write its older figures over it.
        expect(row.visits).toBe(expected.visits);
        expect(row.digest).toBe(expected.digest);
      } else {
        const stored = Object.fromEntries(
          Object.keys(expected).map((k) => [k, row[k as keyof typeof row]]),
        ) as unknown as StatsRow;
        expect(volatile(stored), id).toEqual(volatile(expected));
      }
    }
    // Memberships from the rows as they are now, the sale's included: a sale whose transaction met a
    // membership pass's (read committed) could leave that customer's memberships to the next pass.
    await crm.segments.rebuild({ parts: ['membership'] }, SYSTEM);
    for (const [segment, definition] of Object.entries(SEGMENTS)) {
      const members = (await crm.segments.members(segment, { limit: 100 }, SYSTEM)).items
        .map((m) => m.customerId)
        .sort();
      expect(members, segment).toEqual([...(await crm.segments.match(definition, SYSTEM))].sort());
    }
    await crm.close();
  });

  it('move members on relative dates as time alone passes their boundaries, no row having changed', async () => {
    // Churn thresholds of at least 2000 hours (83⅓ days); the population's is the median customer's rhythm.
    const store = await kind.open();
    const { crm, clock } = await openSegChain(store, { churn: { minHours: 2000, percentile: 50 } });
    const SEGMENTS = {
      'at-risk': { condition: 'churn-risk' },
      lapsed: { condition: 'inactive-for-days', args: { days: 357 } },
    };
    for (const [id, definition] of Object.entries(SEGMENTS))
      await crm.segments.define({ id, name: id, definition }, SYSTEM);
    const t0 = clock.now().getTime();
    const at = (day: number) => clock.set(new Date(t0 + day * DAY));
    const group = async (name: string) => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push(await member(crm, `${name}${i}`));
      return ids;
    };
    const [daily, slow, once] = [await group('D'), await group('S'), await group('O')];
    // Daily buyers on days 0-3 (own threshold 2000 hours: overdue on day 86⅓, inactive from day 3);
    // slow ones every 90 days up to day 270 (own threshold 90 days: overdue on day 360); the others
    // once, on day 275 (the population's threshold, 2000 hours: overdue on day 358⅓).
    for (const day of [0, 1, 2, 3]) {
      at(day);
      for (const id of daily) await buy(crm, id, 1_000);
    }
    for (const day of [90, 180, 270]) {
      at(day);
      for (const id of slow) await buy(crm, id, 3_000);
    }
    at(0);
    for (const id of slow) await buy(crm, id, 3_000);
    at(275);
    for (const id of once) await buy(crm, id, 2_000);
    at(357);
    await crm.segments.rebuild({ chunkSize: 10 }, SYSTEM);
    const members = async (segment: string) =>
      (await crm.segments.members(segment, { limit: 100 }, SYSTEM)).items.map((m) => m.customerId).sort();
    expect(await members('at-risk')).toEqual([...daily].sort());
    expect(await members('lapsed')).toEqual([]);
    // Days 357 to 360½: the slow and the one-off buyers become overdue, the daily ones inactive for 357
    // days; every purchase stays in the window, so no row changes.
    at(360.5);
    const batches = () => store.count(auditLog, { command: 'segments.apply-membership-batch' });
    const before = await batches();
    const r = await crm.segments.rebuild({ chunkSize: 10 }, SYSTEM);
    expect(r.written).toBe(0);
    // The nine customers time moved are one batch: one unit of work decides and writes both segments.
    expect(r.joined).toBe(9);
    expect((await batches()) - before).toBe(1);
    for (const [segment, definition] of Object.entries(SEGMENTS))
      expect(await members(segment), segment).toEqual([...(await crm.segments.match(definition, SYSTEM))].sort());
    expect(await members('at-risk')).toEqual([...daily, ...slow, ...once].sort());
    expect(await members('lapsed')).toEqual([...daily].sort());
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
      {
        storeId: 'S01',
        terminalId: 'T9',
        receiptNo: 'OFFLINE-1',
        customerId: a,
        occurredAt: new Date(t0.getTime() + 5 * DAY),
        lines: [{ sku: 'X', category: 'grocery', quantity: 1, unitPrice: 500 }],
      },
      { actor: SYSTEM.actor, idempotencyKey: freshKey('offline') },
    );
    const s = await crm.segments.stats(a, SYSTEM);
    expect(s.gaps).toEqual([120, 240]);
    expect(s.visits).toBe(3);
    expect(s.firstPurchaseAt).toEqual(new Date(t0.getTime() + 5 * DAY));
    await crm.close();
  });

  it('rebuild in chunks with progress, can be cancelled between chunks, and drop customers who are gone', async () => {
    const { crm, clock } = await openSegChain(await kind.open());
    const ids: string[] = [];
    for (let i = 0; i < 55; i++) ids.push(await member(crm, `M${i}`));
    for (let i = 0; i < 55; i++) await buy(crm, ids[i]!, 1_000 * (i + 1));
    clock.advance(DAY);
    const progress: Array<[string, number, number]> = [];
    const r = await crm.segments.rebuild(
      { chunkSize: 10, parts: ['stats'], onProgress: (p) => progress.push([p.part, p.done, p.total]) },
      SYSTEM,
    );
    // Every sale updated its row already: nothing to write, so on a database server the pass reads
    // pages of five chunks; an embedded database reads a chunk at a time.
    const steps = crm.store.capabilities.server ? [50, 55] : [10, 20, 30, 40, 50, 55];
    expect(progress.filter((p) => p[0] === 'stats')).toEqual(steps.map((done) => ['stats', done, 55]));
    expect(r.thresholds?.buyers).toBe(55);
    expect((await crm.segments.stats(ids[54]!, SYSTEM)).mScore).toBe(5);
    expect((await crm.segments.stats(ids[0]!, SYSTEM)).mScore).toBe(1);

    const controller = new AbortController();
    const partial = await crm.segments.rebuild(
      { chunkSize: 10, onProgress: (p) => p.done >= 10 && controller.abort(), signal: controller.signal },
      SYSTEM,
    );
    expect(partial.cancelled).toBe(true);

    const before = await crm.segments.stats(ids[3]!, SYSTEM);
    await crm.privacy.eraseCustomer({ customerId: ids[3]!, reason: 'asked to be forgotten' }, SYSTEM);
    // An erased customer's row stays with their figures (their purchases stay), marked.
    expect(await crm.segments.stats(ids[3]!, SYSTEM)).toMatchObject({
      erased: true,
      spend: before.spend,
      visits: before.visits,
      mScore: before.mScore,
    });
    await crm.customers.merge({ survivorId: ids[1]!, mergedId: ids[2]!, reason: 'same person' }, SYSTEM);
    await expect(crm.segments.stats(ids[2]!, SYSTEM)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await crm.segments.stats(ids[1]!, SYSTEM)).visits).toBe(2);
    const again = await crm.segments.rebuild({}, SYSTEM);
    expect(again.customers, 'the erased customer is still counted, the merged one is not').toBe(54);
    expect(again.removed, 'the per-change updates already removed the merged one').toBe(0);
    expect(await crm.segments.stats(ids[3]!, SYSTEM)).toMatchObject({ erased: true, spend: before.spend });
    await crm.close();
  }, 30_000);
});
