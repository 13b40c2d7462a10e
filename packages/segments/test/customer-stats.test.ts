import { describe, expect, it } from 'vitest';
import { churnReason, churnThreshold, overdueAt, statsFromVisits, topCategories } from '@clientele/segments';
import { median, percentile } from '../src/customer-stats.js';

const DAY = 86_400_000;
const t0 = Date.UTC(2026, 0, 1);
const at = (days: number) => new Date(t0 + days * DAY);

describe('statistics from visits', () => {
  it('counts visits, net spend, window figures and gaps (hand-computed)', () => {
    const visits = [
      { at: at(0), count: 1, total: 10_000, refunded: 0 },
      { at: at(6), count: 2, total: 5_000, refunded: 1_000 },
      { at: at(12), count: 1, total: 3_000, refunded: 0 },
      { at: at(20), count: 1, total: 2_000, refunded: 2_000 },
    ];
    const s = statsFromVisits(visits, at(21), { windowDays: 10, maxGaps: 32 });
    expect(s).toEqual({
      firstPurchaseAt: at(0),
      lastPurchaseAt: at(20),
      visits: 5,
      spend: 17_000,
      avgBasket: 3_400,
      // window: from day 11: days 12 and 20
      windowVisits: 2,
      windowSpend: 3_000,
      // hours: 144, then 0 (two sales at day 6), 144, 192
      gaps: [144, 0, 144, 192],
      typicalGapHours: 144,
    });
  });

  it('keeps only the latest gaps and has none for a single visit or none at all', () => {
    const many = Array.from({ length: 10 }, (_, i) => ({ at: at(i * (i + 1)), count: 1, total: 100, refunded: 0 }));
    const s = statsFromVisits(many, at(200), { windowDays: 365, maxGaps: 3 });
    expect(s.gaps).toEqual([7 * 2 * 24, 8 * 2 * 24, 9 * 2 * 24]);
    expect(statsFromVisits([many[0]!], at(1), { windowDays: 365, maxGaps: 3 })).toMatchObject({
      visits: 1,
      gaps: [],
      typicalGapHours: null,
    });
    expect(statsFromVisits([], at(1), { windowDays: 365, maxGaps: 3 })).toMatchObject({
      visits: 0,
      spend: 0,
      avgBasket: 0,
      firstPurchaseAt: null,
      lastPurchaseAt: null,
    });
  });

  it('takes the lower median and nearest-rank percentiles', () => {
    expect(median([5, 1, 3, 2])).toBe(2);
    expect(median([])).toBeNull();
    expect(percentile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 90)).toBe(90);
    expect(percentile([10, 20, 30], 90)).toBe(30);
    expect(percentile([], 90)).toBeNull();
  });
});

describe('churn risk', () => {
  const settings = { percentile: 90, minGaps: 3, minHours: 24 };

  it('uses the customer’s own rhythm with enough gaps, else the population’s, never below the floor', () => {
    expect(churnThreshold([144, 144, 168, 120], settings, 720)).toEqual({ hours: 168, basis: 'own' });
    expect(churnThreshold([144, 144], settings, 720)).toEqual({ hours: 720, basis: 'population' });
    expect(churnThreshold([0, 0, 0], settings, null)).toEqual({ hours: 24, basis: 'own' });
    expect(churnThreshold([], settings, null)).toBeNull();
    expect(overdueAt(at(10), { hours: 48, basis: 'own' })).toEqual(at(12));
    expect(overdueAt(null, { hours: 48, basis: 'own' })).toBeNull();
  });

  it('says why in words', () => {
    const own = { lastPurchaseAt: at(0), typicalGapHours: 144, churnBasis: 'own', churnThresholdHours: 168 };
    expect(churnReason(own, at(23))).toBe('usually every 6 days, now 23');
    expect(churnReason({ ...own, churnBasis: 'population', churnThresholdHours: 720 }, at(45))).toBe(
      'customers usually return within 30 days, now 45',
    );
    expect(churnReason({ ...own, lastPurchaseAt: null }, at(45))).toBeNull();
  });

  it('orders top categories by spend, then code', () => {
    expect(topCategories({ dairy: 500, bakery: 900, fruit: 500, none: 0 }, 3)).toEqual([
      { category: 'bakery', spend: 900 },
      { category: 'dairy', spend: 500 },
      { category: 'fruit', spend: 500 },
    ]);
  });
});
