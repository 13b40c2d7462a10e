/**
 * Satisfaction per customer over time: each customer's responses form a series with its level and
 * trend, queryable per customer; with the real segments module the trend is a statistics field that
 * segment conditions test (pushed down, and in a rebuild's incremental membership pass) and a churn
 * reason. Also the arithmetic behind the reported scores, and the indicators' groups.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Clientele } from '@clientele/core';
import { segments } from '@clientele/segments';
import { freshKey, nextReceipt } from '../../../tests/support/chain.js';
import { STORE_KINDS } from '../../../tests/support/stores.js';
import {
  DEFAULT_INDICATORS,
  leastSquaresSlope,
  responseScore,
  satisfactionTrend,
  SATISFACTION_WINDOW,
  type complaints,
} from '../src/index.js';
import { CLERK, SYSTEM, TIANTIAN, at, openWorld } from './support/world.js';

type Crm = Clientele<readonly [ReturnType<typeof complaints>, ReturnType<typeof segments>]>;
const DAY = 86_400_000;

describe('satisfaction arithmetic', () => {
  it('scores a response as the mean of its answers on 0-100, and takes level and trend over the latest five', () => {
    // Answers 4, 4, 5 of 5: 750 + 750 + 1000 on the 0-1000 scale, a mean of 83.33...
    expect(responseScore(2500, 3)).toBeCloseTo(83.333, 3);
    expect(responseScore(0, 0)).toBe(0);
    // Slope of 100, 50 against positions 0, 1: -50 per response; of 80, 70, 90: +5.
    expect(leastSquaresSlope([100, 50])).toBe(-50);
    expect(leastSquaresSlope([80, 70, 90])).toBe(5);
    expect(leastSquaresSlope([70])).toBeNull();
    expect(satisfactionTrend([])).toEqual({ level: null, trend: null });
    expect(satisfactionTrend([62.5])).toEqual({ level: 62.5, trend: null });
    // Only the latest five count: the first 0 drops out; 75 × 4 then 50 gives a mean of 70 and a slope of -5.
    expect(SATISFACTION_WINDOW).toBe(5);
    expect(satisfactionTrend([0, 75, 75, 75, 75, 50])).toEqual({ level: 70, trend: -5 });
    // Rounded at the end, to one decimal: (100 + 83.333...) / 2 = 91.666... → 91.7.
    expect(satisfactionTrend([100, 2500 / 30])).toEqual({ level: 91.7, trend: -16.7 });
  });

  it('groups delivery with service, as the documents do', () => {
    expect(DEFAULT_INDICATORS['delivery']).toBe('service');
    expect(DEFAULT_INDICATORS['checkout-wait']).toBe('purchase');
  });
});

describe.each(STORE_KINDS)('satisfaction per customer on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it(
    'forms a series with its trend per customer, kept on the statistics for segment conditions (pushed ' +
      'down and incremental) and churn reasons',
    async () => {
      // A 30-day window: by day 60 every visit has left it, so the rebuild rewrites both rows.
      const world = await openWorld(await kind.open(), {
        modules: [segments({ rfm: { windowDays: 30 } })],
        roundTheClock: true,
      });
      const crm = world.crm as unknown as Crm;
      const { clock, customerId } = world;
      const other = (await crm.customers.register({ kind: 'individual', name: '王芳' }, CLERK)).id;
      const falling = { condition: 'satisfaction-falling', args: { by: 10 } };
      const lapsed = { all: [falling, { field: 'lastPurchaseAt', op: 'lt', value: { daysAgo: 30 } }] };
      await crm.segments.define({ id: 'unhappy', name: 'Unhappy', definition: falling }, SYSTEM);
      await crm.segments.define({ id: 'unhappy-lapsed', name: 'Unhappy and away', definition: lapsed }, SYSTEM);
      const joined: Array<{ segmentId: string; customerId: string }> = [];
      // Each module's own view of the events (the types of two modules' events are not merged here).
      const segmentEvents = (world.crm as unknown as Clientele<readonly [ReturnType<typeof segments>]>).events;
      segmentEvents.on('segment.joined', (e) => void joined.push(e));
      const answered: unknown[] = [];
      world.crm.events.on('survey.answered', (e) => void answered.push(e));

      // Every six days: a rhythm of their own after four visits.
      const start = at(0, '10:00').getTime();
      for (const d of [0, 6, 12, 18]) {
        clock.set(new Date(start + d * DAY));
        for (const who of [customerId, other])
          await crm.purchases.record(
            {
              storeId: 'S01',
              terminalId: 'T1',
              receiptNo: nextReceipt(),
              customerId: who,
              lines: [{ sku: 'RICE', category: 'grain', quantity: 1, unitPrice: 5000 }],
            },
            { ...SYSTEM, idempotencyKey: freshKey('sale') },
          );
      }
      clock.set(new Date(start + 19 * DAY));
      await crm.segments.rebuild({}, SYSTEM);

      const respond = (who: string | undefined, answers: Record<string, number>) =>
        crm.complaints.surveys.respond(
          { questionnaireId: 'after-purchase', storeId: 'S01', ...(who ? { customerId: who } : {}), answers },
          CLERK,
        );
      // Very good (100), then middling (mean of 3 and 3 of 5: 50): falling by 50 points per response.
      await respond(customerId, { 'q-fresh': 5, 'q-staff': 5 });
      expect(await crm.segments.segmentsOf(customerId, SYSTEM)).toEqual([]);
      clock.set(new Date(start + 20 * DAY));
      await respond(customerId, { 'q-fresh': 3, 'q-staff': 3 });
      // The other customer is steady; a walk-up response has no customer and no series.
      await respond(other, { 'q-fresh': 4 });
      await respond(other, { 'q-fresh': 4 });
      await respond(undefined, { 'q-fresh': 1 });

      const series = await crm.complaints.surveys.satisfaction(customerId, SYSTEM);
      expect(series).toMatchObject({ customerId, responses: 2, level: 75, trend: -50, window: 5 });
      expect(series.points.map((p) => [p.score, p.answers])).toEqual([
        [100, 2],
        [50, 2],
      ]);
      expect(series.latestAt).toEqual(new Date(start + 20 * DAY));
      const limited = await crm.complaints.surveys.satisfaction(customerId, { limit: 1 }, SYSTEM);
      expect(limited.points.map((p) => p.score)).toEqual([50]);
      expect(limited.trend, 'the trend is of the latest five, whatever the points shown').toBe(-50);
      await expect(crm.complaints.surveys.satisfaction(customerId, CLERK)).rejects.toMatchObject({
        code: 'PERMISSION_DENIED',
      });
      expect(answered.at(-1)).toMatchObject({ customerId: null, satisfaction: null });

      // On the statistics at once, in whole points, and the segment joined in the answer's transaction.
      const stats = await crm.segments.stats(customerId, SYSTEM);
      expect(stats).toMatchObject({ satisfaction: 75, satisfactionTrend: -50, satisfactionResponses: 2 });
      expect(stats.satisfactionAt).toEqual(new Date(start + 20 * DAY));
      expect(await crm.segments.stats(other, SYSTEM)).toMatchObject({ satisfaction: 75, satisfactionTrend: 0 });
      expect(joined).toEqual([{ segmentId: 'unhappy', customerId }]);
      for (const mode of ['pushdown', 'scan'] as const)
        expect(await crm.segments.match(falling, { mode }, SYSTEM)).toEqual([customerId]);

      // 40 days on: away long enough. The rebuild rewrites the rows (the visits left the window) and keeps
      // the answers' fields; its membership pass takes only the candidates of the unchanged segments
      // (incremental: the last pass materialised these versions and they test statistics fields only).
      clock.set(new Date(start + 60 * DAY));
      const rebuilt = await crm.segments.rebuild({}, SYSTEM);
      expect(rebuilt.joined).toBe(1);
      expect((await crm.segments.members('unhappy-lapsed', SYSTEM)).items.map((m) => m.customerId)).toEqual([
        customerId,
      ]);
      expect(await crm.segments.match(lapsed, SYSTEM)).toEqual([customerId]);
      expect(await crm.segments.stats(customerId, SYSTEM)).toMatchObject({
        windowVisits: 0,
        satisfaction: 75,
        satisfactionTrend: -50,
        satisfactionResponses: 2,
      });

      // At risk by their rhythm, and why: the falling satisfaction is part of the reason.
      const risk = await crm.segments.atRisk(SYSTEM);
      const mine = risk.find((r) => r.customerId === customerId)!;
      expect(mine).toMatchObject({
        reason: 'usually every 6 days, now 42; satisfaction falling: 75 of 100, down 50 points per answer',
        satisfactionSignal: 'falling',
      });
      expect(risk.find((r) => r.customerId === other)).toMatchObject({
        reason: 'usually every 6 days, now 42',
        satisfactionSignal: null,
      });
      await crm.close();
    },
  );

  it('states its arithmetic: answers on 0-1000, the score rounded half up, and regroups an indicator', async () => {
    const config = structuredClone(TIANTIAN);
    config.surveys!.indicators = { attitude: 'purchase' };
    const { crm } = await openWorld(await kind.open(), { config });
    // 2, 1, 1, 1 of 5: 250 + 0 + 0 + 0 = 250 on 0-1000, a mean of 62.5 → 63 → 6.3; the mean on the scale 1.25.
    for (const fresh of [2, 1, 1, 1])
      await crm.complaints.surveys.respond(
        { questionnaireId: 'after-purchase', storeId: 'S01', answers: { 'q-fresh': fresh, 'q-staff': 4 } },
        CLERK,
      );
    const now = await crm.complaints.surveys.scores({ from: at(-1, '00:00'), to: at(1, '00:00') });
    const row = (indicator: string) => now.rows.find((r) => r.indicator === indicator)!;
    expect(row('freshness')).toMatchObject({ answers: 4, average: 1.25, score: 6.3, group: 'product' });
    // Staff attitude regrouped by the configuration.
    expect(row('attitude')).toMatchObject({ answers: 4, average: 4, score: 75, group: 'purchase' });
    await crm.close();
  });
});
