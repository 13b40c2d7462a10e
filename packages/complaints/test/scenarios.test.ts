/**
 * The five scenarios, on every store kind, with a manual clock: a counter complaint settled
 * at once within authority; an 800-yuan claim escalated to the level that may approve it; an
 * ignored case escalated by `runDue` across a weekend (and after a restart); an after-sales exchange
 * ruled, executed late and escalated; a low survey score that opens a case.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { STORE_KINDS } from '../../../tests/support/stores.js';
import { isSampled } from '../src/index.js';
import { CLERK, MANAGER, QUALITY, RELATIONS, SYSTEM, at, openWorld, snapshot } from './support/world.js';

async function refusal(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: unknown) => e,
  );
}

describe.each(STORE_KINDS)('complaint scenarios on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it(
    'settles a 30-yuan counter complaint at once, within the clerk’s authority, with every stage on ' + 'record',
    async () => {
      const { crm, customerId } = await openWorld(await kind.open());
      const events: string[] = [];
      crm.events.onAny((type) => void events.push(type));
      const input = {
        case: {
          kind: 'complaint' as const,
          channel: 'counter' as const,
          storeId: 'S01',
          customerId,
          category: 'fresh-food',
          severity: 'low',
          description: 'The milk bought this morning was sour.',
          items: [{ sku: 'MILK-1L', name: '鲜牛奶 1L' }],
        },
        remedies: [{ type: 'compensation' as const, amount: 3000 }],
        rootCause: 'stale-goods',
        resolution: 'Paid 30 yuan at the counter; dairy fridge checked.',
      };
      const settled = await crm.complaints.settleAtCounter(input, { ...CLERK, idempotencyKey: 'counter-0001' });
      expect(settled).toMatchObject({
        status: 'closed',
        level: 1,
        levelId: 'counter',
        rootCause: 'stale-goods',
        remedyCost: 3000,
        customerId,
        channel: 'counter',
      });
      expect(settled.remedies).toEqual([
        expect.objectContaining({
          type: 'compensation',
          amount: 3000,
          status: 'executed',
          approvedBy: null,
          action: 'compensation',
        }),
      ]);
      const history = await crm.complaints.history(settled.id, SYSTEM);
      expect(history.map((h) => h.toStatus)).toEqual([
        'received',
        'acknowledged',
        'investigating',
        'proposed',
        'accepted',
        'executing',
        'verified',
        'closed',
      ]);
      expect(history.every((h) => JSON.stringify(h.actor).includes('E-CLERK'))).toBe(true);
      expect(events).toEqual(
        expect.arrayContaining(['complaint.opened', 'complaint.remedy-executed', 'complaint.closed', 'survey.invited']),
      );
      expect(events).not.toContain('complaint.escalated');

      // A retry from the till with the same key answers with the same case and writes nothing.
      const before = await snapshot(crm);
      expect(await crm.complaints.settleAtCounter(input, { ...CLERK, idempotencyKey: 'counter-0001' })).toEqual(
        settled,
      );
      expect(await snapshot(crm)).toEqual(before);

      // Resolved within time at the counter; the customer is asked whether we fixed it.
      const sla = await crm.complaints.reports.sla({ from: at(0, '00:00'), to: at(1, '00:00') });
      expect(sla.rows).toEqual([
        expect.objectContaining({
          storeId: 'S01',
          level: 1,
          cases: 1,
          acknowledged: expect.objectContaining({ onTime: 1, share: 1 }),
          resolved: expect.objectContaining({ onTime: 1, share: 1 }),
        }),
      ]);
      expect((await crm.complaints.surveys.invitations({ customerId }, SYSTEM)).items).toEqual([
        expect.objectContaining({ questionnaireId: 'after-case', refType: 'case', refId: settled.id, status: 'open' }),
      ]);
      expect((await crm.timeline(customerId, SYSTEM)).items.map((t) => t.kind)).toEqual(
        expect.arrayContaining(['case-opened', 'case-closed']),
      );
    },
  );

  it(
    'sends an 800-yuan claim straight to the level that may approve it, and records the request and the ' + 'approval',
    async () => {
      const { crm, customerId } = await openWorld(await kind.open());
      const escalations: unknown[] = [];
      crm.events.on('complaint.escalated', (e) => void escalations.push(e));
      let c = await crm.complaints.open(
        {
          kind: 'complaint',
          channel: 'counter',
          storeId: 'S01',
          customerId,
          category: 'appliances',
          severity: 'medium',
          description: 'The rice cooker burnt the kitchen counter; asks 800 yuan for the damage.',
        },
        CLERK,
      );
      await crm.complaints.acknowledge({ caseId: c.id }, CLERK);
      await crm.complaints.investigate({ caseId: c.id, note: 'Photos of the damage taken.' }, CLERK);
      c = await crm.complaints.propose({ caseId: c.id, remedies: [{ type: 'compensation', amount: 80000 }] }, CLERK);

      // The clerk may settle 50 yuan, the store manager 500: customer relations (level 3) may approve 800.
      expect(c).toMatchObject({ status: 'proposed', level: 3, levelId: 'customer-relations', escalations: 1 });
      expect(c.remedies).toEqual([
        expect.objectContaining({ status: 'awaiting-approval', value: 80000, approvalLevel: 3, requestedLevel: 1 }),
      ]);
      expect(escalations).toEqual([{ caseId: c.id, fromLevel: 1, toLevel: 3, reason: 'authority', storeId: 'S01' }]);

      // The counter no longer holds it, and the store manager's authority does not reach 800 yuan.
      expect(await refusal(crm.complaints.answer({ caseId: c.id, accepted: true }, CLERK))).toMatchObject({
        code: 'PERMISSION_DENIED',
      });
      const before = await snapshot(crm);
      expect(await refusal(crm.complaints.approve({ caseId: c.id }, MANAGER))).toMatchObject({
        code: 'AUTHORITY_EXCEEDED',
        details: { amount: 80000, limit: 50000 },
      });
      const { audit_log: auditAfter, ...after } = await snapshot(crm);
      const { audit_log: auditBefore, ...rest } = before;
      expect(after).toEqual(rest);
      expect(JSON.parse(auditAfter!).length).toBe(JSON.parse(auditBefore!).length + 1);

      await crm.complaints.acknowledge({ caseId: c.id }, RELATIONS);
      c = await crm.complaints.approve({ caseId: c.id, note: 'Damage confirmed on site.' }, RELATIONS);
      expect(c.remedies[0]).toMatchObject({ status: 'approved', approvedBy: 'E-RELATIONS' });
      await crm.complaints.answer({ caseId: c.id, accepted: true }, RELATIONS);
      c = await crm.complaints.execute({ caseId: c.id }, RELATIONS);
      c = await crm.complaints.verify({ caseId: c.id }, RELATIONS);
      c = await crm.complaints.close(
        { caseId: c.id, rootCause: 'faulty-product', resolution: 'Compensated 800 yuan.' },
        RELATIONS,
      );
      expect(c).toMatchObject({ status: 'closed', level: 3, remedyCost: 80000 });
      const actions = (await crm.complaints.history(c.id, SYSTEM)).map((h) => h.action);
      expect(actions).toEqual([
        'open',
        'acknowledge',
        'investigate',
        'propose',
        'request-approval',
        'escalate',
        'acknowledge',
        'approve',
        'accept',
        'execute',
        'verify',
        'close',
      ]);
    },
  );

  it.each(['keep', 'next-opening'] as const)(
    'escalates an ignored case across a weekend with runDue, and a restart loses none (dueAtClosing %s)',
    async (dueAtClosing) => {
      const store = await kind.open();
      const { TIANTIAN } = await import('./support/world.js');
      const config = { ...TIANTIAN, dueAtClosing };
      // Friday 19:30
      const { crm, clock, customerId } = await openWorld(store, { start: at(4, '19:30').toISOString(), config });
      const c = await crm.complaints.open(
        {
          kind: 'complaint',
          channel: 'phone',
          storeId: 'S01',
          customerId,
          category: 'service',
          severity: 'medium',
          description: 'Nobody answered at the service desk.',
        },
        CLERK,
      );
      // 30 business minutes to acknowledge: Friday's last half hour, so due at Friday's closing, or at Monday's
      // opening, the same instant in business time.
      const firstDue = dueAtClosing === 'keep' ? at(4, '20:00') : at(7, '08:00');
      expect(c).toMatchObject({
        acknowledgeBy: firstDue,
        resolveBy: at(7, '09:30'),
        dueAt: firstDue,
        dueKind: 'acknowledge',
      });

      // Saturday noon: a clock kept at Friday's closing has run out; one moved to Monday has not.
      clock.set(at(5, '12:00'));
      const kept = dueAtClosing === 'keep' ? 1 : 0;
      expect((await crm.runDue())['complaints']).toMatchObject({ escalated: kept, overdue: 0 });
      expect((await crm.complaints.get(c.id, SYSTEM)).level).toBe(1 + kept);

      // The process restarts over the same database; nothing lived in memory.
      const { createClientele } = await import('@clientele/core');
      const { complaints } = await import('../src/index.js');
      const restarted = createClientele({ store, clock, modules: [complaints(config)] });
      clock.set(at(7, '08:05')); // Monday 08:05
      expect((await restarted.runDue())['complaints']).toMatchObject({ escalated: 1 - kept });
      const escalated = await restarted.complaints.get(c.id, SYSTEM);
      // The store manager's clocks start when the counter's ran out, not when the scheduler noticed: either
      // way they have the same business time left, so they are due at the same instants.
      expect(escalated).toMatchObject({
        level: 2,
        levelId: 'store-manager',
        status: 'received',
        levelEnteredAt: firstDue,
        acknowledgeBy: at(7, '09:00'),
        resolveBy: at(7, '12:00'),
      });
      expect((await restarted.complaints.history(c.id, SYSTEM)).at(-1)).toMatchObject({
        action: 'escalate',
        fromLevel: 1,
        toLevel: 2,
        data: { reason: 'acknowledge-missed' },
      });
      expect((await restarted.runDue())['complaints']).toMatchObject({ escalated: 0 });

      // A scheduler that was down until 13:00 catches up exactly as a punctual one would have.
      // Level 2's acknowledge clock ran out at 09:00, level 3's (two hours) at 11:00: two escalations.
      clock.set(at(7, '13:00'));
      expect((await restarted.runDue())['complaints']).toMatchObject({ escalated: 2 });
      expect(await restarted.complaints.get(c.id, SYSTEM)).toMatchObject({
        level: 4,
        levelId: 'gm-office',
        levelEnteredAt: at(7, '11:00'),
        acknowledgeBy: at(7, '15:00'),
      });
      const stints = (await restarted.complaints.history(c.id, SYSTEM))
        .filter((h) => h.action === 'escalate')
        .map((h) => [h.toLevel, (h.data as { effectiveAt: string }).effectiveAt]);
      expect(stints).toEqual([
        [2, firstDue.toISOString()],
        [3, at(7, '09:00').toISOString()],
        [4, at(7, '11:00').toISOString()],
      ]);
      const acked = await restarted.complaints.acknowledge({ caseId: c.id }, { actor: { staffId: 'E-GMO' } });
      expect(acked).toMatchObject({ status: 'acknowledged', dueKind: 'resolve' });

      const sla = await restarted.complaints.reports.sla({ from: at(4, '00:00'), to: at(8, '00:00'), storeId: 'S01' });
      expect(sla.rows.map((r) => [r.level, r.acknowledged.onTime, r.acknowledged.late])).toEqual([
        [1, 0, 1],
        [2, 0, 1],
        [3, 0, 1],
        [4, 1, 0],
      ]);
      // Time at the counter: 30 minutes on Friday (the weekend does not count).
      expect(sla.rows[0]!.totalBusinessMinutes).toBe(30);
    },
  );

  it('escalates each missed clock exactly once when two schedulers race', async () => {
    const store = await kind.open();
    const { crm, clock, customerId } = await openWorld(store, { start: at(4, '19:30').toISOString() });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(
        (
          await crm.complaints.open(
            {
              kind: 'complaint',
              channel: 'web',
              storeId: 'S01',
              customerId,
              category: 'service',
              severity: 'medium',
              description: `Ignored message ${i}`,
            },
            CLERK,
          )
        ).id,
      );
    const { createClientele } = await import('@clientele/core');
    const { complaints } = await import('../src/index.js');
    const { TIANTIAN } = await import('./support/world.js');
    const other = createClientele({ store, clock, modules: [complaints(TIANTIAN)] });
    clock.set(at(7, '08:05'));
    const [a, b] = await Promise.all([crm.runDue(), other.runDue()]);
    expect(a['complaints']!['escalated']! + b['complaints']!['escalated']!).toBe(5);
    for (const id of ids) {
      expect(await crm.complaints.get(id, SYSTEM)).toMatchObject({ level: 2, escalations: 1 });
      expect((await crm.complaints.history(id, SYSTEM)).filter((h) => h.action === 'escalate')).toHaveLength(1);
    }
  });

  it(
    'supervises an after-sales exchange: ruled, executed late, escalated, verified by customer ' + 'relations',
    async () => {
      const { crm, clock, customerId } = await openWorld(await kind.open());
      const sale = await crm.purchases.record(
        {
          storeId: 'S01',
          terminalId: 'T1',
          receiptNo: 'K-0001',
          customerId,
          lines: [{ sku: 'KETTLE-17', name: '电热水壶', category: 'appliances', quantity: 1, unitPrice: 15900 }],
        },
        { ...CLERK, idempotencyKey: 'sale-kettle' },
      );
      let c = await crm.complaints.open(
        {
          kind: 'after-sales',
          request: 'exchange',
          channel: 'counter',
          storeId: 'S01',
          purchaseId: sale.id,
          items: [{ sku: 'KETTLE-17', lineNo: 1 }],
          category: 'appliances',
          severity: 'medium',
          description: 'Kettle stops heating after two days.',
        },
        QUALITY,
      );
      expect(c).toMatchObject({ customerId, ladder: 'quality', levelId: 'quality-station', request: 'exchange' });
      expect(c.items).toEqual([
        expect.objectContaining({ sku: 'KETTLE-17', lineNo: 1, category: 'appliances', quantityMilli: 1000 }),
      ]);
      await crm.complaints.acknowledge({ caseId: c.id }, QUALITY);
      await crm.complaints.explain(
        { caseId: c.id, note: 'Three guarantees: exchange within 15 days for a performance fault.' },
        QUALITY,
      );
      await crm.complaints.mediate({ caseId: c.id }, QUALITY);
      c = await crm.complaints.rule({ caseId: c.id, decision: 'exchange', amount: 15900 }, QUALITY);
      expect(c).toMatchObject({ status: 'ruled', ruling: expect.objectContaining({ decision: 'exchange' }) });
      expect(c.remedies).toEqual([expect.objectContaining({ type: 'exchange', status: 'approved', value: 15900 })]);
      c = await crm.complaints.execute(
        {
          caseId: c.id,
          task: { ownerStaffId: 'E-QUALITY', description: 'Hand over a new kettle from stock', dueInMinutes: 120 },
        },
        QUALITY,
      );
      expect(c).toMatchObject({ status: 'executing', dueKind: 'execution', taskDueAt: at(0, '12:00') });

      clock.set(at(0, '12:30'));
      expect((await crm.runDue())['complaints']).toMatchObject({ escalated: 1 });
      c = await crm.complaints.get(c.id, SYSTEM);
      expect(c).toMatchObject({
        level: 2,
        levelId: 'customer-relations',
        levelEnteredAt: at(0, '12:00'),
        taskDueAt: null,
        task: expect.objectContaining({ lateNotedAt: expect.any(String) }),
      });
      expect((await crm.complaints.history(c.id, SYSTEM)).at(-1)).toMatchObject({
        action: 'escalate',
        data: { reason: 'execution-late' },
      });
      expect((await crm.runDue())['complaints']).toMatchObject({ escalated: 0 }); // a late task escalates once

      clock.set(at(0, '15:00'));
      c = await crm.complaints.completeTask({ caseId: c.id, note: 'New kettle handed over.' }, QUALITY);
      expect(c.remedies[0]).toMatchObject({ status: 'executed' });
      expect((await crm.complaints.history(c.id, SYSTEM)).at(-1)).toMatchObject({
        action: 'complete-task',
        data: { late: true },
      });
      expect(await refusal(crm.complaints.verify({ caseId: c.id }, QUALITY))).toMatchObject({
        code: 'PERMISSION_DENIED',
      });
      await crm.complaints.acknowledge({ caseId: c.id }, RELATIONS);
      c = await crm.complaints.verify({ caseId: c.id, note: 'Customer confirms the new kettle works.' }, RELATIONS);
      c = await crm.complaints.close({ caseId: c.id, rootCause: 'faulty-product' }, RELATIONS);
      expect(c).toMatchObject({ status: 'closed', remedyCost: 15900 });
      expect(
        (await crm.complaints.archive.search({ sku: 'KETTLE-17', remedy: 'exchange' }, SYSTEM)).items.map((x) => x.id),
      ).toEqual([c.id]);

      const sla = await crm.complaints.reports.sla({ from: at(0, '00:00'), to: at(1, '00:00') });
      const station = sla.rows.find((r) => r.levelId === 'quality-station')!;
      expect(station).toMatchObject({
        cases: 1,
        acknowledged: expect.objectContaining({ onTime: 1 }),
        resolved: expect.objectContaining({ onTime: 0, passedOn: 1 }),
        totalBusinessMinutes: 120,
      });
    },
  );

  it('opens a case from a low survey score, so silent dissatisfaction enters the ladder', async () => {
    const { crm, clock, customerId } = await openWorld(await kind.open());
    const sales = [];
    for (let i = 1; i <= 8; i++) {
      sales.push(
        await crm.purchases.record(
          {
            storeId: 'S01',
            terminalId: 'T1',
            receiptNo: `S-${i}`,
            customerId,
            lines: [{ sku: 'APPLE', category: 'fresh-fruit', quantity: 1, unitPrice: 999 }],
          },
          { ...CLERK, idempotencyKey: `sale-key-${i}` },
        ),
      );
    }
    await crm.purchases.record(
      {
        storeId: 'S01',
        terminalId: 'T1',
        receiptNo: 'S-anon',
        lines: [{ sku: 'APPLE', category: 'fresh-fruit', quantity: 1, unitPrice: 999 }],
      },
      { ...CLERK, idempotencyKey: 'sale-anon' },
    );
    // The sampler is a pure function of the purchase id: the invitations are exactly the sampled member purchases.
    const expected = sales.filter((s) => isSampled('tiantian-2026', s.id, 0.5)).map((s) => s.id);
    const invitations = (await crm.complaints.surveys.invitations({ customerId }, SYSTEM)).items;
    expect(invitations.map((i) => i.refId).sort()).toEqual(expected.sort());
    expect(expected.length).toBeGreaterThan(0);

    const invitation = invitations[0]!;
    clock.advance(3 * 3_600_000);
    const { response, caseId } = await crm.complaints.surveys.respond(
      {
        invitationId: invitation.id,
        answers: { 'q-fresh': 1, 'q-price': 4, 'q-staff': 5, 'q-nps': 6 },
        comment: 'The apples were soft.',
      },
      CLERK,
    );
    expect(response).toMatchObject({ lowScore: true, caseId, storeId: 'S01', customerId });
    const c = await crm.complaints.get(caseId!, SYSTEM);
    expect(c).toMatchObject({
      kind: 'complaint',
      channel: 'survey',
      status: 'received',
      level: 1,
      customerId,
      purchaseId: invitation.refId,
      category: 'survey-product',
      severity: 'medium',
      source: { type: 'survey-response', id: response.id },
    });
    expect(c.description).toContain('Freshness of what you bought: 1 of 5');
    expect(
      (await crm.complaints.surveys.invitations({ customerId, status: 'answered' }, SYSTEM)).items.map((i) => i.id),
    ).toEqual([invitation.id]);
    expect(
      await refusal(crm.complaints.surveys.respond({ invitationId: invitation.id, answers: { 'q-fresh': 5 } }, CLERK)),
    ).toMatchObject({ code: 'INVALID_STATE', path: ['invitationId'] });

    // A good score opens nothing; scores per indicator come back on both scales.
    const second = invitations[1];
    if (second) {
      const ok = await crm.complaints.surveys.respond(
        { invitationId: second.id, answers: { 'q-fresh': 4, 'q-nps': 10 } },
        CLERK,
      );
      expect(ok.caseId).toBeNull();
    }
    const scores = await crm.complaints.surveys.scores({ from: at(0, '00:00'), to: at(1, '00:00') });
    const fresh = scores.rows.find((r) => r.indicator === 'freshness')!;
    expect(fresh).toMatchObject({ group: 'product', scale: '1-5', answers: second ? 2 : 1, average: second ? 2.5 : 1 });
    const nps = scores.rows.find((r) => r.indicator === 'recommend')!;
    expect(nps).toMatchObject({ scale: '0-10', nps: second ? 0 : -100 });

    // The opened case is on the clock like any other: ignored, it climbs.
    clock.set(at(1, '12:00'));
    expect((await crm.runDue())['complaints']!['escalated']).toBeGreaterThanOrEqual(1);
    expect((await crm.complaints.get(caseId!, SYSTEM)).level).toBeGreaterThan(1);
  });
});
