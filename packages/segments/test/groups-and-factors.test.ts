/**
 * RFM groups for every customer (prospects for those who never bought, the map checked when the module
 * is made), the spread of scores in the stored thresholds, the date a return counts on, the refusal of a
 * sale on account without a credit account, and key-account factors of the retailer's own: on every
 * store kind.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { purchasesCollection } from '@clientele/core/module';
import {
  NoCreditAccountError,
  customerStatsCollection,
  keyAccountScore,
  segments,
  type KeyAccountRules,
} from '@clientele/segments';
import { churnReason, satisfactionSignal } from '../src/customer-stats.js';
import { composeRow, projectCustomer, rebuiltFields } from '../src/stats-store.js';
import { resolveConfig } from '../src/config.js';
import { statsFromVisits } from '../src/customer-stats.js';
import { DAY, STORE_KINDS, SYSTEM, buy, freshKey, member, openSegChain } from './helpers.js';
import type { SegCrm } from './helpers.js';

async function organisation(crm: SegCrm, name: string): Promise<string> {
  return (await crm.customers.register({ kind: 'organisation', legalName: name, region: 'East' }, SYSTEM)).id;
}

describe('module settings', () => {
  it('refuse an RFM map that leaves a combination of scores to no group, or takes the prospects’ id', () => {
    expect(() => segments({ rfm: { groups: [{ id: 'recent', name: 'Recent', r: [4, 5] }] } })).toThrow(
      expect.objectContaining({
        code: 'VALIDATION_FAILED',
        path: ['config', 'rfm', 'groups'],
        issues: [expect.objectContaining({ code: 'rfm_gap', message: expect.stringContaining('R1 F1 M1') })],
      }),
    );
    expect(() =>
      segments({
        rfm: {
          groups: [
            { id: 'recent', name: 'Recent', r: [4, 5] },
            { id: 'rest', name: 'Rest' },
          ],
        },
      }),
    ).not.toThrow();
    expect(() => segments({ rfm: { groups: [{ id: 'prospects', name: 'All' }] } })).toThrow(
      expect.objectContaining({ path: ['config', 'rfm', 'prospectsGroup'] }),
    );
    expect(() =>
      segments({ rfm: { groups: [{ id: 'prospects', name: 'All' }], prospectsGroup: 'leads' } }),
    ).not.toThrow();
  });

  it('refuse a key-account factor that takes a built-in id or is given twice', () => {
    expect(() => segments({ keyAccounts: { factors: [{ id: 'volume', name: 'Volume again', weight: 1 }] } })).toThrow(
      expect.objectContaining({ path: ['config', 'keyAccounts', 'factors', 0, 'id'] }),
    );
    const twice = [
      { id: 'innovation', name: 'Innovation', weight: 1 },
      { id: 'innovation', name: 'Innovation', weight: 2 },
    ];
    expect(() => segments({ keyAccounts: { factors: twice } })).toThrow(
      expect.objectContaining({ path: ['config', 'keyAccounts', 'factors', 1, 'id'] }),
    );
  });
});

describe('key-account score with factors of the retailer’s own', () => {
  const rules: KeyAccountRules = {
    ...resolveConfig({}).keyAccounts,
    factors: [
      { id: 'innovation', name: 'Ability to absorb technology and innovate', weight: 0.2 },
      { id: 'local', name: 'Local', weight: 0.1, score: (f) => (f.customerId.startsWith('cus') ? 1 : 0.3) },
    ],
  };
  const staff = { contractMonths: 18, growthPotential: 4, strategicImportance: 5 };

  it('maps a rating 1-5 to 0, 0.25, 0.5, 0.75, 1 and weighs every factor together (hand-computed)', () => {
    // Built-in: 0.5·0.35 + 0.5·0.15 + 0.75·0.15 + 1·0.2 + 1·0.15 = 0.7125; innovation 4 → 0.75·0.2 = 0.15;
    // local 1·0.1. 100 × 0.9625 / 1.3 = 74.04 → 74.
    const s = keyAccountScore(5_000_000, { ...staff, ratings: { innovation: 4 } }, 'A', rules, 'cus_1');
    expect(s.factors).toMatchObject({ volume: 0.5, contract: 0.5, growth: 0.75, strategic: 1, payment: 1 });
    expect(s.factors['innovation']).toBe(0.75);
    expect(s.factors['local']).toBe(1);
    expect(s.score).toBe(74);
    for (const [rating, share] of [
      [1, 0],
      [2, 0.25],
      [3, 0.5],
      [5, 1],
    ] as const)
      expect(keyAccountScore(0, { ...staff, ratings: { innovation: rating } }, null, rules).factors['innovation']).toBe(
        share,
      );
    // Not rated (an assessment from before the factor): the middle, as an unrated payment record.
    expect(keyAccountScore(0, staff, null, rules).factors['innovation']).toBe(0.5);
    // A scored factor is held to 0-1; one that gives no number is a programming error.
    const wild: KeyAccountRules = { ...rules, factors: [{ id: 'x', name: 'X', weight: 1, score: () => 7 }] };
    expect(keyAccountScore(0, staff, null, wild).factors['x']).toBe(1);
    const broken: KeyAccountRules = { ...rules, factors: [{ id: 'x', name: 'X', weight: 1, score: () => Number.NaN }] };
    expect(() => keyAccountScore(0, staff, null, broken)).toThrow(TypeError);
  });
});

describe('satisfaction in the statistics', () => {
  it('is a churn reason when falling or low, and a rebuild does not write over it', () => {
    const now = new Date('2026-11-02T00:00:00Z');
    const row = {
      lastPurchaseAt: new Date(now.getTime() - 23 * DAY),
      typicalGapHours: 144,
      churnBasis: 'own',
      churnThresholdHours: 160,
    };
    const settings = { fallingBy: 5, below: 50 };
    expect(churnReason({ ...row, satisfaction: 48, satisfactionTrend: -12 }, now, settings)).toBe(
      'usually every 6 days, now 23; satisfaction falling: 48 of 100, down 12 points per answer',
    );
    expect(churnReason({ ...row, satisfaction: 40, satisfactionTrend: -4 }, now, settings)).toBe(
      'usually every 6 days, now 23; satisfaction low: 40 of 100',
    );
    expect(churnReason({ ...row, satisfaction: 70, satisfactionTrend: -4 }, now, settings)).toBe(
      'usually every 6 days, now 23',
    );
    expect(satisfactionSignal({ satisfaction: null, satisfactionTrend: null }, settings)).toBeNull();
    expect(satisfactionSignal({ satisfaction: 90, satisfactionTrend: -5 }, settings)).toBe('falling');

    const config = resolveConfig({});
    const composed = composeRow(
      projectCustomer({
        id: 'cus_1',
        version: 1,
        status: 'active',
        kind: 'individual',
        region: null,
        industry: null,
        sizeClass: null,
        homeStoreId: null,
      }),
      statsFromVisits([], now, { windowDays: 365, maxGaps: 32 }),
      { categories: {}, creditRating: null, keyAccount: false },
      null,
      config,
      now,
    );
    expect(composed).toMatchObject({ rfmGroup: 'prospects', satisfaction: null });
    const written = rebuiltFields(composed);
    for (const f of ['customerId', 'categories', 'topCategory', 'satisfaction', 'satisfactionTrend', 'satisfactionAt'])
      expect(written).not.toHaveProperty(f);
    expect(written).toHaveProperty('rfmGroup', 'prospects');
  });
});

describe.each(STORE_KINDS)('groups, spread and factors on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it(
    'put every customer in exactly one group (prospects for those who never bought, also rows from before ' +
      'the group) and say in the thresholds how many hold each score',
    async () => {
      const { crm, clock } = await openSegChain(await kind.open());
      const buyers: string[] = [];
      for (let i = 0; i < 6; i++) buyers.push(await member(crm, `Buyer ${i}`));
      const never = await member(crm, 'Never bought');
      const later = await member(crm, 'Registered later');
      // Five buy once, one three times: frequency ties at 1 empty some scores.
      for (const [i, id] of buyers.entries()) {
        await buy(crm, id, 1_000 * (i + 1));
        clock.advance(DAY);
      }
      await buy(crm, buyers[0]!, 500);
      await buy(crm, buyers[0]!, 500);
      expect((await crm.segments.stats(never, SYSTEM)).rfmGroup, 'a prospect from registration').toBe('prospects');

      // A row written before the group existed: no group, and the scores' hash of then.
      await crm.store.update(customerStatsCollection, later, { rfmGroup: null, scoresDigest: 0 });
      await crm.segments.define(
        { id: 'prospects', name: 'Prospects', definition: { condition: 'rfm-group', args: { groups: ['prospects'] } } },
        SYSTEM,
      );
      const r = await crm.segments.rebuild({}, SYSTEM);
      const t = r.thresholds!;
      expect(t.buyers).toBe(6);
      // Visits 3, 1, 1, 1, 1, 1: thresholds at ranks 2, 3, 4, 5 are all 1; five score 1, one scores 5.
      expect(t.f).toEqual([1, 1, 1, 1]);
      expect(t.counts!.f).toEqual([5, 0, 0, 0, 1]);
      expect(t.empty!.f).toEqual([2, 3, 4]);
      for (const d of ['r', 'f', 'm'] as const) expect(t.counts![d].reduce((a, b) => a + b, 0)).toBe(6);
      for (const id of [never, later]) {
        expect(await crm.segments.stats(id, SYSTEM)).toMatchObject({
          rfmGroup: 'prospects',
          rScore: null,
          valueClass: null,
          volumeClass: null,
        });
      }
      for (const id of buyers) expect((await crm.segments.stats(id, SYSTEM)).rfmGroup).not.toBeNull();
      const rows = await crm.segments.distribution('rfmGroup');
      expect(
        rows.find((g) => g.key === null),
        'no customer without a group',
      ).toBeUndefined();
      expect(rows.find((g) => g.key === 'prospects')?.customers).toBe(2);
      expect(rows.reduce((n, g) => n + g.customers, 0)).toBe(8);
      expect((await crm.segments.members('prospects', SYSTEM)).items.map((m) => m.customerId).sort()).toEqual(
        [never, later].sort(),
      );
      // A first purchase moves a prospect into a scored group at once.
      await buy(crm, never, 9_000);
      expect((await crm.segments.stats(never, SYSTEM)).rfmGroup).not.toBe('prospects');
      expect(await crm.segments.segmentsOf(never, SYSTEM)).toEqual([]);
      await crm.close();
    },
  );

  it('take the population’s rhythm from customers with a rhythm of their own, in whole days up', async () => {
    const { crm, clock } = await openSegChain(await kind.open());
    const weekly = await member(crm, 'Every 6 days');
    const slower = await member(crm, 'Every 245 hours');
    const rare = await member(crm, 'Twice, 100 days apart');
    const start = clock.now().getTime();
    const at = (hours: number) => clock.set(new Date(start + hours * 3_600_000));
    // Their sales in time order: 4 visits each for the first two (3 gaps: a rhythm of their own), 2 for the third.
    const sales: Array<[number, string]> = [
      ...[0, 1, 2, 3].map((k): [number, string] => [k * 144, weekly]),
      ...[0, 1, 2, 3].map((k): [number, string] => [k * 245, slower]),
      [0, rare],
      [2400, rare],
    ];
    for (const [h, who] of sales.sort((a, b) => a[0] - b[0])) {
      at(h);
      await buy(crm, who, 1_000);
    }
    at(2401);
    const r = await crm.segments.rebuild({ parts: ['stats'] }, SYSTEM);
    // Typical gaps 144 and 245 (the rare customer's 2400 is not among them): the 90th percentile by nearest
    // rank of two is the second, 245 hours, rounded up to 11 whole days.
    expect(r.thresholds!.populationGapHours).toBe(264);
    expect(await crm.segments.stats(rare, SYSTEM)).toMatchObject({
      churnBasis: 'population',
      churnThresholdHours: 264,
    });
    expect(await crm.segments.stats(weekly, SYSTEM)).toMatchObject({ churnBasis: 'own', churnThresholdHours: 144 });
    await crm.close();
  });

  it('count a return on the date of the sale it gives back', async () => {
    const { crm, clock } = await openSegChain(await kind.open(), { rfm: { windowDays: 30 } });
    const a = await member(crm, 'A');
    const old = await buy(crm, a, 10_000);
    clock.advance(40 * DAY);
    const recent = await buy(crm, a, 6_000);
    clock.advance(DAY);
    const giveBack = (purchaseId: string) =>
      crm.purchases.return(
        { purchaseId, storeId: 'S01', lines: [{ lineNo: 1, quantity: 1 }], reason: 'faulty' },
        { actor: SYSTEM.actor, idempotencyKey: freshKey('ret') },
      );
    expect(await crm.segments.stats(a, SYSTEM)).toMatchObject({ spend: 16_000, windowSpend: 6_000, visits: 2 });
    // The sale of 41 days ago is outside the window: its return lowers only the all-time spend.
    await giveBack(old.id);
    expect(await crm.segments.stats(a, SYSTEM)).toMatchObject({ spend: 6_000, windowSpend: 6_000, visits: 2 });
    await giveBack(recent.id);
    expect(await crm.segments.stats(a, SYSTEM)).toMatchObject({ spend: 0, windowSpend: 0, visits: 2 });
    await crm.close();
  });

  it('refuse a sale on account without a credit account under requireAccount, with a reason code', async () => {
    const { crm } = await openSegChain(await kind.open(), { credit: { requireAccount: true } });
    const canteen = await organisation(crm, 'Canteen');
    const sales = await crm.store.count(purchasesCollection);
    const refused = await buy(crm, canteen, 20_000, { payments: [{ method: 'account', amount: 20_000 }] }).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(NoCreditAccountError);
    expect(refused).toMatchObject({
      code: 'INSUFFICIENT_BALANCE',
      path: ['payments'],
      details: { reason: 'no_credit_account', customerId: canteen, amount: 20_000 },
    });
    expect(await crm.store.count(purchasesCollection), 'the refused sale rolled back').toBe(sales);
    // Paid otherwise, the same sale goes through; with an account, on account too.
    await buy(crm, canteen, 20_000);
    await crm.segments.credit.setAccount({ customerId: canteen, limit: 50_000 }, SYSTEM);
    await buy(crm, canteen, 20_000, { payments: [{ method: 'account', amount: 20_000 }] });
    expect((await crm.segments.credit.status(canteen, SYSTEM)).account.outstanding).toBe(20_000);
    await crm.close();
  });

  it('score key accounts with the retailer’s own factors: ratings kept, scored ones again each rebuild', async () => {
    const { crm } = await openSegChain(await kind.open(), {
      keyAccounts: {
        factors: [
          { id: 'innovation', name: 'Ability to absorb technology and innovate', weight: 0.2 },
          { id: 'buying', name: 'Buys in the window', weight: 0.3, score: (f) => (f.windowSpend > 0 ? 1 : 0) },
        ],
      },
    });
    const plant = await organisation(crm, '西南化工');
    const assess = (ratings?: Record<string, number>) =>
      crm.segments.keyAccounts.assess(
        {
          customerId: plant,
          contractMonths: 36,
          growthPotential: 5,
          strategicImportance: 5,
          ...(ratings ? { ratings } : {}),
        },
        SYSTEM,
      );
    await expect(assess()).rejects.toMatchObject({ code: 'VALIDATION_FAILED', path: ['ratings', 'innovation'] });
    const unknown = await assess({ innovation: 3, buying: 5 }).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ code: 'VALIDATION_FAILED', path: ['ratings', 'buying'] });
    expect((unknown as { issues: Array<{ code: string }> }).issues[0]!.code).toBe('unknown_factor');
    await expect(crm.segments.keyAccounts.get(plant, SYSTEM)).rejects.toMatchObject({ code: 'NOT_FOUND' });

    // 0·0.35 + 1·0.15 + 1·0.15 + 1·0.2 + 0.5·0.15 + 1·0.2 + 0·0.3 = 0.775 of 1.5: 51.7 → 52, not a key account.
    const first = await assess({ innovation: 5 });
    expect(first).toMatchObject({ score: 52, isKey: false, ratings: { innovation: 5 } });
    expect(first.factors).toMatchObject({ innovation: 1, buying: 0 });
    // It buys: the scored factor counts fully at the next rebuild, with the rating kept: 100 × (0.775 + 0.3 +
    // 0.35 × 0.02) / 1.5 = 72.1 → 72.
    await buy(crm, plant, 200_000);
    await crm.segments.rebuild({ parts: ['stats'] }, SYSTEM);
    expect(await crm.segments.keyAccounts.get(plant, SYSTEM)).toMatchObject({
      score: 72,
      isKey: true,
      ratings: { innovation: 5 },
    });
    expect((await crm.segments.stats(plant, SYSTEM)).keyAccount).toBe(true);
    await crm.close();
  });
});
