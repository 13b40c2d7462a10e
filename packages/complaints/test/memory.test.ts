/**
 * The memory of cases on every store kind: the archive searched by product, category, store, cause,
 * remedy and period; the cause ranking by frequency and cost; corrective actions that escalate when
 * overdue and are verified by someone else; pausing while waiting on the customer; reopening; and
 * the customer's cases in a personal-data export and erasure.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { STORE_KINDS } from '../../../tests/support/stores.js';
import type { archiveSearchSchema } from '../src/index.js';
import { CLERK, MANAGER, QUALITY, RELATIONS, SYSTEM, at, openWorld, type World } from './support/world.js';

type Crm = World['crm'];

async function settle(
  crm: Crm,
  customerId: string,
  storeId: string,
  category: string,
  cause: string,
  amount: number,
  sku: string,
) {
  return crm.complaints.settleAtCounter(
    {
      case: {
        kind: 'complaint',
        channel: 'counter',
        storeId,
        customerId,
        category,
        severity: 'low',
        description: `${category} problem`,
        items: [{ sku }],
      },
      remedies: [{ type: 'compensation', amount }],
      rootCause: cause,
    },
    CLERK,
  );
}

describe.each(STORE_KINDS)('archive, causes and corrective actions on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it(
    'searches closed cases by product, category, store, cause, remedy and period, and ranks causes ' + '(Pareto)',
    async () => {
      const { crm, clock, customerId } = await openWorld(await kind.open());
      const a = await settle(crm, customerId, 'S01', 'fresh-food', 'stale-goods', 2000, 'MILK-1L');
      const b = await settle(crm, customerId, 'S01', 'fresh-food', 'stale-goods', 1500, 'YOGURT');
      const c = await settle(crm, customerId, 'S02', 'pricing', 'pricing-error', 4800, 'OIL-5L');
      clock.advance(86_400_000);
      const d = await settle(crm, customerId, 'S01', 'checkout', 'slow-checkout', 500, 'NONE');
      const e = await settle(crm, customerId, 'S01', 'fresh-food', 'stale-goods', 1000, 'MILK-1L');
      const open = await crm.complaints.open(
        {
          kind: 'complaint',
          channel: 'phone',
          storeId: 'S01',
          customerId,
          category: 'fresh-food',
          severity: 'low',
          description: 'still open',
          items: [{ sku: 'MILK-1L' }],
        },
        CLERK,
      );

      const ids = async (q: z.input<typeof archiveSearchSchema>) =>
        (await crm.complaints.archive.search(q, SYSTEM)).items.map((x) => x.id).sort();
      expect(await ids({ sku: 'MILK-1L' })).toEqual([a.id, e.id].sort()); // the open case is not in the archive
      expect(await ids({ category: 'fresh-food', storeId: 'S01' })).toEqual([a.id, b.id, e.id].sort());
      expect(await ids({ cause: 'pricing-error' })).toEqual([c.id]);
      expect(await ids({ storeId: 'S02' })).toEqual([c.id]);
      expect(await ids({ remedy: 'compensation', from: at(1, '00:00'), to: at(2, '00:00') })).toEqual(
        [d.id, e.id].sort(),
      );
      expect(await ids({ sku: 'MILK-1L', from: at(1, '00:00') })).toEqual([e.id]);
      expect(await ids({ remedy: 'refund' })).toEqual([]);
      expect((await crm.complaints.list({ status: 'open' }, SYSTEM)).items.map((x) => x.id)).toEqual([open.id]);

      const byCases = await crm.complaints.reports.causes({ from: at(0, '00:00'), to: at(2, '00:00') });
      expect(byCases).toMatchObject({ cases: 5, cost: 9800 });
      expect(byCases.rows.map((r) => [r.cause, r.cases, r.cost, r.cumulative, r.vital])).toEqual([
        ['stale-goods', 3, 4500, 0.6, true],
        ['pricing-error', 1, 4800, 0.8, true],
        ['slow-checkout', 1, 500, 1, false],
      ]);
      const byCost = await crm.complaints.reports.causes({
        from: at(0, '00:00'),
        to: at(2, '00:00'),
        by: 'cost',
        storeId: 'S01',
      });
      expect(byCost.rows.map((r) => [r.cause, r.cost, r.share])).toEqual([
        ['stale-goods', 4500, 0.9],
        ['slow-checkout', 500, 0.1],
      ]);
    },
  );

  it(
    'escalates an overdue corrective action up the ladder, and has it verified by someone other than its ' + 'owner',
    async () => {
      const { crm, clock, customerId } = await openWorld(await kind.open());
      const closed = await settle(crm, customerId, 'S01', 'fresh-food', 'stale-goods', 2000, 'MILK-1L');
      const action = await crm.complaints.actions.create(
        {
          caseId: closed.id,
          description: 'Check the dairy fridge temperature every two hours',
          ownerStaffId: 'E-CLERK',
          dueInMinutes: 240,
        },
        MANAGER,
      );
      expect(action).toMatchObject({
        storeId: 'S01',
        cause: 'stale-goods',
        level: 1,
        status: 'open',
        dueAt: at(0, '14:00'),
      });

      clock.set(at(0, '15:00'));
      expect((await crm.runDue())['complaints']).toMatchObject({ actionsEscalated: 1 });
      expect(await crm.complaints.actions.get(action.id, SYSTEM)).toMatchObject({
        level: 2,
        escalations: 1,
        pendingDueAt: at(0, '18:00'),
      });
      // A long weekend later it has climbed once per grace period, up to the top, and is marked overdue there.
      clock.set(at(14, '12:00'));
      const counts = (await crm.runDue())['complaints']!;
      expect(counts).toMatchObject({ actionsEscalated: 3, actionsOverdue: 1 });
      expect(await crm.complaints.actions.get(action.id, SYSTEM)).toMatchObject({
        level: 5,
        overdue: true,
        pendingDueAt: null,
      });

      await crm.complaints.actions.complete({ actionId: action.id, note: 'Thermometer log in place.' }, CLERK);
      expect(
        await crm.complaints.actions.verify({ actionId: action.id }, { actor: { staffId: 'E-CLERK' } }).catch((e) => e),
      ).toMatchObject({ code: 'PERMISSION_DENIED' });
      expect(await crm.complaints.actions.verify({ actionId: action.id }, MANAGER)).toMatchObject({
        status: 'verified',
        verifiedBy: 'E-MANAGER',
      });
      expect((await crm.complaints.actions.list({ caseId: closed.id }, SYSTEM)).items).toHaveLength(1);
    },
  );

  it('stands the clocks still while the case waits on the customer, and reopens within the window', async () => {
    const { crm, clock, customerId } = await openWorld(await kind.open());
    let c = await crm.complaints.open(
      {
        kind: 'complaint',
        channel: 'phone',
        storeId: 'S01',
        customerId,
        category: 'service',
        severity: 'medium',
        description: 'Wants a call back about the refund.',
      },
      CLERK,
    );
    await crm.complaints.acknowledge({ caseId: c.id }, CLERK);
    expect(c.resolveBy).toEqual(at(0, '12:00'));
    clock.set(at(0, '11:00'));
    c = await crm.complaints.pause({ caseId: c.id, note: 'Waiting for the customer’s receipt photo.' }, CLERK);
    expect(c).toMatchObject({ dueAt: null, pausedAt: at(0, '11:00') });
    clock.set(at(1, '12:00')); // a day later: nothing escalates while paused
    expect((await crm.runDue())['complaints']).toMatchObject({ escalated: 0 });
    c = await crm.complaints.resume({ caseId: c.id }, CLERK);
    // One business hour was left; it runs from now.
    expect(c).toMatchObject({ pausedAt: null, resolveBy: at(1, '13:00'), dueAt: at(1, '13:00') });
    expect((await crm.complaints.history(c.id, SYSTEM)).at(-1)).toMatchObject({
      action: 'resume',
      data: { pausedBusinessMinutes: 780 },
    });

    await crm.complaints.investigate({ caseId: c.id }, CLERK);
    await crm.complaints.propose({ caseId: c.id, remedies: [{ type: 'refund', amount: 1290 }] }, CLERK);
    await crm.complaints.answer({ caseId: c.id, accepted: true }, CLERK);
    await crm.complaints.execute({ caseId: c.id }, CLERK);
    await crm.complaints.verify({ caseId: c.id }, MANAGER);
    c = await crm.complaints.close({ caseId: c.id, rootCause: 'pricing-error' }, CLERK);
    clock.advance(3 * 86_400_000);
    c = await crm.complaints.reopen({ caseId: c.id, note: 'Refund never arrived.' }, CLERK);
    expect(c).toMatchObject({ status: 'investigating', reopenCount: 1, closedAt: null, resolvedAt: null, level: 1 });
    expect(c.dueAt).not.toBeNull();
  });

  it('takes an appeal of a ruling one level up, and a declined proposal back to investigation', async () => {
    const { crm, customerId } = await openWorld(await kind.open());
    let c = await crm.complaints.open(
      {
        kind: 'after-sales',
        request: 'return',
        channel: 'counter',
        storeId: 'S01',
        customerId,
        category: 'clothing',
        severity: 'low',
        description: 'Wants to return a worn jacket.',
      },
      QUALITY,
    );
    await crm.complaints.acknowledge({ caseId: c.id }, QUALITY);
    await crm.complaints.explain(
      { caseId: c.id, note: 'Worn goods are not returnable under the three guarantees.' },
      QUALITY,
    );
    await crm.complaints.mediate({ caseId: c.id }, QUALITY);
    c = await crm.complaints.rule(
      { caseId: c.id, decision: 'reject', reason: 'Signs of wear; no fault found.' },
      QUALITY,
    );
    expect(c.allowedActions).toEqual(['appeal', 'close']);
    c = await crm.complaints.appeal({ caseId: c.id, note: 'The customer says the seam split on first wear.' }, CLERK);
    expect(c).toMatchObject({ status: 'mediating', level: 2, levelId: 'customer-relations' });
    expect(
      (await crm.complaints.history(c.id, SYSTEM)).slice(-2).map((h) => [h.action, h.toStatus, h.toLevel]),
    ).toEqual([
      ['appeal', 'mediating', 1],
      ['escalate', 'mediating', 2],
    ]);
    c = await crm.complaints.rule({ caseId: c.id, decision: 'refund', amount: 39900 }, RELATIONS);
    expect(c.remedies.at(-1)).toMatchObject({ type: 'refund', status: 'approved' });

    let d = await crm.complaints.open(
      {
        kind: 'complaint',
        channel: 'counter',
        storeId: 'S01',
        customerId,
        category: 'service',
        severity: 'low',
        description: 'Asks 300 yuan for a rude remark.',
      },
      CLERK,
    );
    await crm.complaints.acknowledge({ caseId: d.id }, CLERK);
    await crm.complaints.investigate({ caseId: d.id }, CLERK);
    d = await crm.complaints.propose({ caseId: d.id, remedies: [{ type: 'compensation', amount: 30000 }] }, CLERK);
    expect(d).toMatchObject({ level: 2, status: 'proposed' });
    d = await crm.complaints.decline({ caseId: d.id, note: 'An apology and 20 yuan is what we offer.' }, MANAGER);
    expect(d).toMatchObject({
      status: 'investigating',
      level: 2,
      remedies: [expect.objectContaining({ status: 'declined' })],
    });
  });

  it('includes the customer’s cases in an export and erases their contact details and words on request', async () => {
    const { crm, customerId } = await openWorld(await kind.open());
    const c = await crm.complaints.open(
      {
        kind: 'complaint',
        channel: 'phone',
        storeId: 'S01',
        customerId,
        category: 'service',
        severity: 'low',
        description: 'Call 张伟 back on 13800138000 please.',
      },
      CLERK,
    );
    const exported = await crm.privacy.exportCustomer({ customerId }, SYSTEM);
    expect(exported.collections['complaint_cases']).toEqual([expect.objectContaining({ id: c.id })]);
    expect(exported.collections['complaint_history']?.length).toBeGreaterThan(0);
    await crm.privacy.eraseCustomer({ customerId, reason: 'customer request' }, SYSTEM);
    const after = await crm.complaints.get(c.id, SYSTEM);
    expect(after.description).toBe('[erased]');
    expect(after.caseNo).toBe(c.caseNo);
  });
});
