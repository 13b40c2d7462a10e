/**
 * Erasing a customer keeps their statistics row under the bare id, as their purchases stay: every
 * report that sums money adds up the same before and after, and after a rebuild; the erased customer
 * leaves every segment and every list that names customers to staff (at risk, key accounts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { StructureInput } from '@clientele/segments';
import { DAY, STORE_KINDS, SYSTEM, buy, member, openSegChain, type SegCrm } from './helpers.js';

const ALL_TIME: StructureInput['by'][] = [
  'kind',
  'region',
  'industry',
  'sizeClass',
  'valueClass',
  'volumeClass',
  'rfmGroup',
  'store',
];

/** Every report of the module that sums money or counts customers, except the one by segment. */
async function reports(crm: SegCrm, from: Date, to: Date) {
  const out: Record<string, unknown> = {};
  for (const by of ALL_TIME) out[by] = await crm.segments.reports.structure({ by });
  for (const by of ['kind', 'region', 'industry', 'store'] as const)
    out[`${by} in the period`] = await crm.segments.reports.structure({ by, from, to });
  out['periods'] = await crm.segments.reports.structure({ by: 'period', periods: [{ label: 'all', from, to }] });
  for (const by of ['rfmGroup', 'valueClass', 'volumeClass'] as const)
    out[`distribution ${by}`] = await crm.segments.distribution(by);
  return out;
}

function total(rows: unknown): { customers: number; revenue: number } {
  return (rows as Array<{ customers: number; revenue: number }>).reduce(
    (t, r) => ({ customers: t.customers + r.customers, revenue: t.revenue + r.revenue }),
    { customers: 0, revenue: 0 },
  );
}

describe.each(STORE_KINDS)('erasure and the statistics on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it(
    'keep every report’s totals and rows while the erased customer leaves segments, at-risk and key-account ' + 'lists',
    async () => {
      const { crm, clock } = await openSegChain(await kind.open(), { keyAccounts: { volumeFullAt: 1_000_000 } });
      const from = clock.now();
      const a = await member(crm, 'Regular A');
      const b = await member(crm, 'Member B', { homeStoreId: 'S02' });
      const hotel = (
        await crm.customers.register(
          {
            kind: 'organisation',
            legalName: 'Grand Hotel 华东',
            region: 'East',
            industry: 'hotels',
            sizeClass: 'large',
            homeStoreId: 'S02',
          },
          SYSTEM,
        )
      ).id;
      // A duplicate record, merged into the hotel: erased with it, it stays merged and has no row.
      const duplicate = (
        await crm.customers.register({ kind: 'organisation', legalName: 'Grand Hotel', region: 'East' }, SYSTEM)
      ).id;
      await crm.customers.merge({ survivorId: hotel, mergedId: duplicate, reason: 'same hotel' }, SYSTEM);
      for (let i = 0; i < 4; i++) {
        await buy(crm, a, 3_000);
        await buy(crm, hotel, 200_000, { storeId: 'S02' });
        clock.advance(3 * DAY);
      }
      await buy(crm, b, 50_000, { storeId: 'S02' });
      await buy(crm, null, 7_000);
      await crm.segments.define(
        { id: 'big', name: 'Big spenders', definition: { condition: 'spent-at-least', args: { amount: 40_000 } } },
        SYSTEM,
      );
      await crm.segments.keyAccounts.assess(
        {
          customerId: hotel,
          contractMonths: 24,
          growthPotential: 4,
          strategicImportance: 5,
          representativeId: 'E-MANAGER',
          visitEveryDays: 1,
        },
        SYSTEM,
      );
      clock.advance(30 * DAY);
      await crm.segments.rebuild({}, SYSTEM);
      const to = new Date(clock.now().getTime() + 1);

      const before = await reports(crm, from, to);
      const hotelStats = await crm.segments.stats(hotel, SYSTEM);
      expect(hotelStats.spend).toBe(800_000);
      expect(total(before['region']).revenue).toBe(800_000 + 12_000 + 50_000);
      expect(total(before['store in the period']).revenue, 'anonymous sales count in the period reports').toBe(
        800_000 + 12_000 + 50_000 + 7_000,
      );
      // The hotel is in the lists that name customers to staff, and in the segment.
      expect((await crm.segments.atRisk(SYSTEM)).map((r) => r.customerId)).toContain(hotel);
      expect((await crm.segments.keyAccounts.due(to, SYSTEM)).map((k) => k.customerId)).toEqual([hotel]);
      expect(await crm.segments.segmentsOf(hotel, SYSTEM)).toEqual(['big']);
      const bySegment = await crm.segments.reports.structure({ by: 'segment' });
      expect(bySegment.map((r) => [r.key, r.customers, r.revenue])).toEqual([['big', 2, 850_000]]);

      const erased = await crm.privacy.eraseCustomer({ customerId: hotel, reason: 'asked to be forgotten' }, SYSTEM);
      expect(erased.customerIds).toEqual([hotel, duplicate]);

      // Every report is as it was, row by row: the hotel's money and its region, industry and classes stay.
      expect(await reports(crm, from, to)).toEqual(before);
      expect(await crm.segments.stats(hotel, SYSTEM)).toMatchObject({
        erased: true,
        spend: 800_000,
        visits: 4,
        region: 'East',
        rfmGroup: hotelStats.rfmGroup,
        keyAccount: false,
        atRisk: false,
      });
      // It is named in no list and is in no segment; the segment report counts members, so it loses it.
      expect((await crm.segments.atRisk(SYSTEM)).map((r) => r.customerId)).not.toContain(hotel);
      expect(await crm.segments.keyAccounts.due(to, SYSTEM)).toEqual([]);
      expect(await crm.segments.segmentsOf(hotel, SYSTEM)).toEqual([]);
      expect(await crm.segments.members('big', SYSTEM)).toMatchObject({ items: [{ customerId: b }] });
      expect(await crm.segments.match({ condition: 'spent-at-least', args: { amount: 40_000 } }, SYSTEM)).toEqual([b]);
      expect(
        await crm.segments.match({ condition: 'spent-at-least', args: { amount: 40_000 } }, { mode: 'scan' }, SYSTEM),
      ).toEqual([b]);
      expect((await crm.segments.policyFor(hotel, SYSTEM)).segmentIds).toEqual([]);
      expect(
        (await crm.segments.reports.structure({ by: 'segment' })).map((r) => [r.key, r.customers, r.revenue]),
      ).toEqual([['big', 1, 50_000]]);

      // A rebuild (from scratch and again) keeps the erased row, its figures and its absence from segments.
      const rebuilt = await crm.segments.rebuild({}, SYSTEM);
      expect(rebuilt.customers).toBe(3);
      expect(rebuilt.removed).toBe(0);
      expect(await reports(crm, from, to)).toEqual(before);
      expect(await crm.segments.segmentsOf(hotel, SYSTEM)).toEqual([]);
      expect((await crm.segments.atRisk(SYSTEM)).map((r) => r.customerId)).not.toContain(hotel);
      await crm.close();
    },
  );
});
