/**
 * Surveys and the segments module on every store kind. The segments module is a stand-in
 * registered as `segments` (see `support/world.ts`) until the real one lands: it gives a fixed
 * service level and segment list per customer and records the session it was read with.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { STORE_KINDS } from '../../../tests/support/stores.js';
import { CLERK, SYSTEM, at, openWorld, segmentsStandIn } from './support/world.js';

describe.each(STORE_KINDS)('surveys and segments on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it('uses the customer’s service level for time limits, read inside the opening transaction', async () => {
    const sessions: unknown[] = [];
    const store = await kind.open();
    // The member registered by openWorld is the first customer: cus_000001 with sequential ids.
    const { crm, customerId } = await openWorld(store, {
      modules: [segmentsStandIn({ cus_000001: { serviceLevel: 'priority', segments: ['vip'] } }, sessions)],
    });
    expect(customerId).toBe('cus_000001');
    const vip = await crm.complaints.open(
      {
        kind: 'complaint',
        channel: 'phone',
        storeId: 'S01',
        customerId,
        category: 'service',
        severity: 'medium',
        description: 'VIP asks for a call back.',
      },
      CLERK,
    );
    // Priority at the counter: 10 minutes to acknowledge, 45 to resolve (instead of 30 and 120).
    expect(vip).toMatchObject({ serviceLevel: 'priority', acknowledgeBy: at(0, '10:10'), resolveBy: at(0, '10:45') });
    expect(sessions.length).toBeGreaterThan(0);
    expect(sessions.every((s) => s !== undefined && s !== store)).toBe(true);
    const walkIn = await crm.complaints.open(
      {
        kind: 'complaint',
        channel: 'counter',
        storeId: 'S01',
        category: 'service',
        severity: 'medium',
        description: 'Anonymous shopper.',
        contact: { name: 'Ms Li', phone: '139 0000 1111' },
      },
      CLERK,
    );
    expect(walkIn).toMatchObject({
      serviceLevel: null,
      customerId: null,
      contact: { name: 'Ms Li', phone: '13900001111' },
      resolveBy: at(0, '12:00'),
    });
  });

  it('reports scores per indicator, store and segment, with the trend against the previous period', async () => {
    const { crm, clock, customerId } = await openWorld(await kind.open(), {
      modules: [
        segmentsStandIn({
          cus_000001: { serviceLevel: null, segments: ['vip', 'east'] },
          cus_000002: { serviceLevel: null, segments: ['east'] },
        }),
      ],
    });
    const other = await crm.customers.register({ kind: 'individual', name: '王芳' }, CLERK);
    const respond = (storeId: string, who: string | undefined, fresh: number, nps: number) =>
      crm.complaints.surveys.respond(
        {
          questionnaireId: 'after-purchase',
          storeId,
          ...(who ? { customerId: who } : {}),
          answers: { 'q-fresh': fresh, 'q-nps': nps },
        },
        CLERK,
      );
    // Last week: middling. This week: better, except one low score that opens a case.
    clock.set(at(-7, '10:00'));
    await respond('S01', customerId, 3, 7);
    await respond('S01', other.id, 3, 8);
    clock.set(at(0, '10:00'));
    await respond('S01', customerId, 5, 10);
    await respond('S01', other.id, 4, 9);
    const low = await respond('S02', undefined, 2, 3);
    expect(low.caseId).not.toBeNull();

    const week = { from: at(0, '00:00'), to: at(7, '00:00') };
    const byIndicator = await crm.complaints.surveys.scores(week);
    expect(byIndicator.previousFrom).toEqual(at(-7, '00:00'));
    const fresh = byIndicator.rows.find((r) => r.indicator === 'freshness')!;
    // (5 + 4 + 2) / 3 = 3.67 of 5 → (4 + 3 + 1) / 3 × 25 = 66.7 of 100; last week 3 of 5 = 50.
    expect(fresh).toMatchObject({
      group: 'product',
      answers: 3,
      average: 3.67,
      score: 66.7,
      previous: { answers: 2, average: 3, score: 50 },
      trend: 16.7,
    });
    const nps = byIndicator.rows.find((r) => r.indicator === 'recommend')!;
    // Promoters 10 and 9, one detractor (3): (2 − 1) / 3 = 33.3; last week none of either: 0.
    expect(nps).toMatchObject({ scale: '0-10', answers: 3, nps: 33.3, previous: { nps: 0 } });

    const byStore = await crm.complaints.surveys.scores({ ...week, by: 'store' });
    expect(
      byStore.rows
        .filter((r) => r.indicator === 'freshness')
        .map((r) => [r.storeId, r.answers, r.average, r.previous?.answers ?? 0]),
    ).toEqual([
      ['S01', 2, 4.5, 2],
      ['S02', 1, 2, 0],
    ]);
    const bySegment = await crm.complaints.surveys.scores({ ...week, by: 'segment' });
    expect(
      bySegment.rows
        .filter((r) => r.indicator === 'freshness')
        .map((r) => [r.segmentId, r.answers, r.average, r.trend]),
    ).toEqual([
      ['east', 2, 4.5, 37.5],
      ['vip', 1, 5, 50],
    ]);
  });

  it('samples only member purchases for a members-only questionnaire, and expires unanswered invitations', async () => {
    const { crm, clock, customerId } = await openWorld(await kind.open());
    for (let i = 0; i < 12; i++) {
      await crm.purchases.record(
        {
          storeId: 'S01',
          terminalId: 'T2',
          receiptNo: `A-${i}`,
          lines: [{ sku: 'BREAD', category: 'bakery', quantity: 1, unitPrice: 650 }],
        },
        { ...CLERK, idempotencyKey: `anon-sale-${i}` },
      );
    }
    expect((await crm.complaints.surveys.invitations(SYSTEM)).items).toEqual([]);
    for (let i = 0; i < 6; i++) {
      await crm.purchases.record(
        {
          storeId: 'S01',
          terminalId: 'T2',
          receiptNo: `M-${i}`,
          customerId,
          lines: [{ sku: 'BREAD', category: 'bakery', quantity: 1, unitPrice: 650 }],
        },
        { ...CLERK, idempotencyKey: `member-sale-${i}` },
      );
    }
    const open = (await crm.complaints.surveys.invitations({ status: 'open' }, SYSTEM)).items;
    expect(open.length).toBeGreaterThan(0);
    clock.advance(15 * 86_400_000);
    expect((await crm.runDue())['complaints']).toMatchObject({ invitationsExpired: open.length });
    expect((await crm.complaints.surveys.invitations({ status: 'expired' }, SYSTEM)).items).toHaveLength(open.length);
    expect(
      await crm.complaints.surveys
        .respond({ invitationId: open[0]!.id, answers: { 'q-fresh': 4 } }, CLERK)
        .catch((e) => e),
    ).toMatchObject({ code: 'INVALID_STATE' });
  });
});
