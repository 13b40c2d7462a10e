/**
 * A rebuild tells unchanged rows by their digest, computed from a customer's purchase summary without
 * building the figures or the row: the figures it reads must be those `statsFromSummary` gives, and
 * the digest that of the row it would build and seal, for any purchases and thresholds.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config.js';
import { FigureScratch, ownChurnHours, statsFromSummary } from '../src/customer-stats.js';
import type { ScoreThresholds } from '../src/scores.js';
import { composeRow, figuresDigestOf, sealRow } from '../src/stats-store.js';

const NOW = new Date('2026-10-01T00:00:00Z');
const DAY = 86_400_000;

const summary = fc.option(
  fc.record({
    days: fc.array(fc.integer({ min: 0, max: 800 }), { minLength: 1, maxLength: 40 }),
    spend: fc.integer({ min: -1000, max: 500_000 }),
    windowSpend: fc.integer({ min: -1000, max: 300_000 }),
  }),
  { nil: null },
);
const quintile = fc
  .array(fc.integer({ min: 0, max: 100_000 }), { minLength: 4, maxLength: 4 })
  .map((q) => q.sort((a, b) => a - b) as [number, number, number, number]);
const thresholds = fc.option(
  fc.record({
    r: fc.option(
      fc
        .array(fc.integer({ min: 0, max: 800 }), { minLength: 4, maxLength: 4 })
        .map((q) => q.sort((a, b) => b - a).map((d) => NOW.getTime() - d * DAY) as [number, number, number, number]),
      { nil: null },
    ),
    f: fc.option(
      fc
        .array(fc.integer({ min: 0, max: 10 }), { minLength: 4, maxLength: 4 })
        .map((q) => q.sort((a, b) => a - b) as [number, number, number, number]),
      { nil: null },
    ),
    m: fc.option(quintile, { nil: null }),
    aMin: fc.option(fc.integer({ min: 1, max: 100_000 }), { nil: null }),
    largeMin: fc.option(fc.integer({ min: 1, max: 100_000 }), { nil: null }),
    populationGapHours: fc.option(fc.integer({ min: 1, max: 5000 }), { nil: null }),
  }),
  { nil: null },
);

describe('row digests', () => {
  const config = resolveConfig({});

  it('of the figures equals that of the sealed row, whatever the thresholds', () => {
    fc.assert(
      fc.property(
        summary,
        thresholds,
        fc.constantFrom(null, 'A', 'B', 'D'),
        fc.boolean(),
        fc.integer({ min: 1, max: 50 }),
        (s, t, creditRating, keyAccount, version) => {
          const times = s ? s.days.map((d) => NOW.getTime() - d * DAY).sort((a, b) => a - b) : null;
          const settings = { windowDays: 365, maxGaps: config.churn.maxGaps };
          const figures = statsFromSummary(
            s && times ? { times, spend: s.spend, windowSpend: s.windowSpend } : null,
            NOW,
            settings,
          );
          const read = new FigureScratch();
          read.read(times ?? [], s?.spend ?? 0, s?.windowSpend ?? 0, NOW, settings, config.churn);
          const nan = (v: number) => (Number.isNaN(v) ? null : v);
          expect({
            firstPurchaseAt: nan(read.first),
            lastPurchaseAt: nan(read.last),
            visits: read.visits,
            spend: read.spend,
            avgBasket: read.avgBasket,
            windowVisits: read.windowVisits,
            windowSpend: read.windowSpend,
            gaps: [...read.gaps.subarray(0, read.gapCount)],
            typicalGapHours: nan(read.typicalGap),
          }).toEqual({
            ...figures,
            firstPurchaseAt: figures.firstPurchaseAt?.getTime() ?? null,
            lastPurchaseAt: figures.lastPurchaseAt?.getTime() ?? null,
          });
          expect(nan(read.ownHours)).toBe(ownChurnHours(figures.gaps, config.churn));
          const stored: ScoreThresholds | null = t && {
            asOf: NOW.toISOString(),
            windowDays: 365,
            r: t.r,
            f: t.f,
            m: t.m,
            value: { aMin: t.aMin, bMin: t.aMin === null ? null : Math.floor(t.aMin / 2) },
            largeMin: t.largeMin,
            populationGapHours: t.populationGapHours,
            buyers: 100,
          };
          const customer = {
            id: 'cus_1',
            version,
            status: 'active',
            kind: 'individual',
            region: 'East',
            industry: null,
            sizeClass: null,
            homeStoreId: 'S01',
          };
          const row = sealRow(
            composeRow(
              customer,
              figures,
              { categories: { dairy: 100 }, creditRating, keyAccount },
              stored,
              config,
              NOW,
            ),
          );
          expect(figuresDigestOf(version, read, { creditRating, keyAccount })).toBe(row.digest);
        },
      ),
      { numRuns: 500 },
    );
  });
});
