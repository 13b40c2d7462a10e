/**
 * Service-level clocks on every store kind, with a manual clock at Renmin Road (service desk Monday to
 * Friday 08:00-20:00, Shanghai): closing or verifying a paused case stops the clock as resuming first
 * would; reopening continues the clock (or restarts it); response-only agreements; a calendar of the
 * configuration's own beside the store's, closing at 23:59:59; each case's service-level state; closing
 * with nothing owed; a task's owner completing it after the case climbed past the owner's desk; and a
 * case escalated while it waits on the customer.
 */
import { createClientele, manualClock, type BusinessCalendar } from '@clientele/core';
import { afterAll, describe, expect, it } from 'vitest';
import { STORE_KINDS } from '../../../tests/support/stores.js';
import { caseSla, clockStatus, complaints, type ComplaintsConfigInput, type LevelConfig } from '../src/index.js';
import {
  CLERK,
  MANAGER,
  QUALITY,
  RELATIONS,
  SYSTEM,
  TIANTIAN,
  at,
  loyaltyStandIn,
  openWorld,
  snapshot,
  type LoyaltyCall,
} from './support/world.js';

async function refusal(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: unknown) => e,
  );
}

const HOUR = 3600;

/** The Tiantian configuration with the service ladder's levels changed by `change`. */
function withService(
  change: (level: LevelConfig, i: number) => LevelConfig,
  extra: Partial<ComplaintsConfigInput> = {},
) {
  return {
    ...TIANTIAN,
    ...extra,
    ladders: { ...TIANTIAN.ladders, service: TIANTIAN.ladders['service']!.map((l, i) => change(l as LevelConfig, i)) },
  } satisfies ComplaintsConfigInput;
}

const ALL_DAY = {
  mon: [['00:00', '23:59:59']],
  tue: [['00:00', '23:59:59']],
  wed: [['00:00', '23:59:59']],
  thu: [['00:00', '23:59:59']],
  fri: [['00:00', '23:59:59']],
  sat: [['00:00', '23:59:59']],
  sun: [['00:00', '23:59:59']],
} as Record<string, Array<[string, string]>>;

const complaint = (customerId: string, severity = 'medium') => ({
  kind: 'complaint' as const,
  channel: 'phone' as const,
  storeId: 'S01',
  customerId,
  category: 'service',
  severity,
  description: 'The price at the till was not the price on the shelf.',
});

describe.each(STORE_KINDS)('service-level clocks on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it('stops the clocks of a paused case that is closed or verified exactly as resuming first would', async () => {
    const { crm, clock, customerId } = await openWorld(await kind.open());
    const [a, b, c] = [
      await crm.complaints.open(complaint(customerId), CLERK),
      await crm.complaints.open(complaint(customerId), CLERK),
      await crm.complaints.open(complaint(customerId), CLERK),
    ];
    for (const x of [a, b, c]) await crm.complaints.acknowledge({ caseId: x.id }, CLERK);
    await crm.complaints.investigate({ caseId: c.id }, CLERK);
    await crm.complaints.propose({ caseId: c.id, remedies: [{ type: 'refund', amount: 1290 }] }, CLERK);
    await crm.complaints.answer({ caseId: c.id, accepted: true }, CLERK);
    await crm.complaints.execute({ caseId: c.id }, CLERK);
    clock.set(at(0, '11:00')); // an hour of the two to resolve is left
    for (const x of [a, b, c]) await crm.complaints.pause({ caseId: x.id, note: 'Waiting for the receipt.' }, CLERK);

    clock.set(at(7, '11:30')); // a week later
    const reason = 'The shelf label was right; the customer misread it.';
    const closed = await crm.complaints.close({ caseId: a.id, outcome: 'unfounded', reason }, CLERK);
    await crm.complaints.resume({ caseId: b.id }, CLERK);
    const resumedThenClosed = await crm.complaints.close({ caseId: b.id, outcome: 'unfounded', reason }, CLERK);
    const verified = await crm.complaints.verify({ caseId: c.id }, MANAGER);

    // The hour that was left counts from the end of the pause: due at 12:30, met at 11:30.
    for (const x of [closed, resumedThenClosed, verified]) {
      expect(x).toMatchObject({ pausedAt: null, resolveBy: at(7, '12:30'), resolvedAt: at(7, '11:30') });
      expect(x.sla.resolve).toEqual({ dueAt: at(7, '12:30'), status: 'fulfilled', metAt: at(7, '11:30') });
      // Monday 11:00-20:00, Tuesday to Friday, Monday 08:00-11:30.
      expect(x.sla.pausedBusinessSeconds).toBe((9 + 4 * 12 + 3.5) * HOUR);
    }
    expect(closed.sla).toEqual(resumedThenClosed.sla);
    expect((await crm.complaints.history(a.id, SYSTEM)).slice(-2)).toMatchObject([
      { action: 'resume', data: { pausedBusinessMinutes: 60.5 * 60, by: 'close' } },
      { action: 'close', toStatus: 'closed' },
    ]);
    const sla = await crm.complaints.reports.sla({ from: at(0, '00:00'), to: at(8, '00:00') });
    expect(sla.rows.find((r) => r.level === 1)!.resolved).toMatchObject({ onTime: 3, late: 0 });
  });

  it('reopens a case with the time that was left, counting the closed time as paused; or restarts it', async () => {
    for (const reopen of ['continue', 'restart'] as const) {
      const { crm, clock, customerId } = await openWorld(await kind.open(), { config: { ...TIANTIAN, reopen } });
      const events: Array<[string, unknown]> = [];
      crm.events.onAny((type, payload) => void events.push([type, payload]));
      let c = await crm.complaints.open(complaint(customerId), CLERK);
      clock.set(at(0, '10:10'));
      await crm.complaints.acknowledge({ caseId: c.id }, CLERK);
      clock.set(at(0, '10:30')); // closed early: 90 of the 120 minutes to resolve are left
      const closed = await crm.complaints.close(
        { caseId: c.id, outcome: 'answered', reason: 'Explained the member price.' },
        CLERK,
      );
      clock.set(at(1, '09:00'));
      c = await crm.complaints.reopen({ caseId: c.id, note: 'Charged the full price again.' }, CLERK);
      expect(c).toMatchObject({ status: 'investigating', reopenCount: 1, closedAt: null, outcome: null });
      expect(events.find(([t]) => t === 'complaint.reopened')?.[1]).toMatchObject({ clocks: reopen });
      expect((await crm.complaints.history(c.id, SYSTEM)).at(-1)).toMatchObject({
        action: 'reopen',
        data: { clocks: reopen },
      });
      if (reopen === 'continue') {
        // 90 minutes from 09:00; the acknowledgement stands, and the same stay at the level goes on.
        expect(c).toMatchObject({
          resolveBy: at(1, '10:30'),
          dueAt: at(1, '10:30'),
          dueKind: 'resolve',
          ackDueAt: null,
          levelAcknowledgedAt: at(0, '10:10'),
          stintId: closed.stintId,
        });
        expect(c.sla).toMatchObject({
          acknowledge: { status: 'fulfilled', metAt: at(0, '10:10') },
          resolve: { status: 'running', dueAt: at(1, '10:30'), metAt: null },
          // Monday 10:30-20:00 and Tuesday 08:00-09:00 stood still.
          pausedBusinessSeconds: 10.5 * HOUR,
          firstResponseBusinessSeconds: 600,
        });
        clock.set(at(1, '10:31'));
        expect((await crm.runDue())['complaints']).toMatchObject({ escalated: 1 });
        expect((await crm.complaints.history(c.id, SYSTEM)).at(-1)).toMatchObject({
          action: 'escalate',
          data: { reason: 'resolve-missed', effectiveAt: at(1, '10:30').toISOString() },
        });
        // One stay at the counter, resolved late after all: the early close bought no new window.
        const sla = await crm.complaints.reports.sla({ from: at(0, '00:00'), to: at(2, '00:00') });
        expect(sla.rows.find((r) => r.level === 1)).toMatchObject({
          cases: 1,
          acknowledged: expect.objectContaining({ onTime: 1 }),
          resolved: expect.objectContaining({ onTime: 0, late: 1 }),
        });
      } else {
        // Fresh clocks from 09:00, and a new acknowledgement asked for.
        expect(c).toMatchObject({
          acknowledgeBy: at(1, '09:30'),
          resolveBy: at(1, '11:00'),
          ackDueAt: at(1, '09:30'),
          levelAcknowledgedAt: null,
        });
        expect(c.stintId).not.toBe(closed.stintId);
        expect(c.sla).toMatchObject({ acknowledge: { status: 'running' }, pausedBusinessSeconds: 0 });
      }
    }
  });

  it('continues the clock of a case closed late as due at once', async () => {
    const { crm, clock, customerId } = await openWorld(await kind.open());
    const c = await crm.complaints.open(complaint(customerId), CLERK);
    await crm.complaints.acknowledge({ caseId: c.id }, CLERK);
    clock.set(at(0, '12:30')); // half an hour past the resolve due time
    const closed = await crm.complaints.close({ caseId: c.id, outcome: 'answered', reason: 'Explained.' }, CLERK);
    expect(closed.sla.resolve).toMatchObject({ status: 'failed', metAt: at(0, '12:30') });
    clock.set(at(1, '09:00'));
    const reopened = await crm.complaints.reopen({ caseId: c.id, note: 'Still wrong.' }, CLERK);
    expect(reopened).toMatchObject({ resolveBy: at(1, '09:00'), dueAt: at(1, '09:00') });
    expect((await crm.runDue())['complaints']).toMatchObject({ escalated: 1 });
  });

  it('runs a response-only agreement: an acknowledge clock and no resolve clock', async () => {
    const config = withService((l, i) =>
      i === 0 ? { ...l, timeLimits: { ...l.timeLimits, low: { acknowledge: 60 } } } : l,
    );
    const { crm, clock, customerId } = await openWorld(await kind.open(), { config });
    let c = await crm.complaints.open(complaint(customerId, 'low'), CLERK);
    expect(c).toMatchObject({
      responseOnly: true,
      acknowledgeBy: at(0, '11:00'),
      resolveBy: null,
      dueKind: 'acknowledge',
    });
    expect(c.sla.resolve).toEqual({ dueAt: null, status: 'none', metAt: null });
    clock.set(at(0, '10:30'));
    c = await crm.complaints.acknowledge({ caseId: c.id }, CLERK);
    expect(c).toMatchObject({ dueAt: null, dueKind: null });
    expect(c.sla.acknowledge.status).toBe('fulfilled');
    await crm.complaints.pause({ caseId: c.id, note: 'Waiting for a photo.' }, CLERK);
    clock.set(at(1, '09:00'));
    expect((await crm.complaints.get(c.id, SYSTEM)).sla.onResume).toEqual({
      acknowledgeBy: expect.any(Date),
      resolveBy: null,
    });
    c = await crm.complaints.resume({ caseId: c.id }, CLERK);
    expect(c).toMatchObject({ resolveBy: null, dueAt: null });
    clock.set(at(10, '10:00'));
    expect((await crm.runDue())['complaints']).toMatchObject({ escalated: 0, overdue: 0 });
    // The store manager's level has both clocks.
    c = await crm.complaints.escalate({ caseId: c.id, note: 'The customer asked for the manager.' }, MANAGER);
    expect(c).toMatchObject({ level: 2, responseOnly: false, resolveBy: at(10, '18:00') });
    expect(c.sla.resolve.status).toBe('running');
    const sla = await crm.complaints.reports.sla({ from: at(0, '00:00'), to: at(11, '00:00') });
    expect(sla.rows.find((r) => r.level === 1)).toMatchObject({
      cases: 1,
      responseOnly: 1,
      acknowledged: expect.objectContaining({ onTime: 1 }),
      resolved: { onTime: 0, late: 0, passedOn: 0, pending: 0, share: null },
    });
  });

  it('counts a limit in its named calendar (round the clock, closing 23:59:59) beside the store’s hours', async () => {
    const config = withService(
      (l, i) =>
        i === 0
          ? {
              ...l,
              timeLimits: { ...l.timeLimits, high: { acknowledge: 15, resolve: 60, calendar: 'round-the-clock' } },
            }
          : l,
      { calendars: { 'round-the-clock': { timeZone: 'Asia/Shanghai', openingHours: ALL_DAY } } },
    );
    const { crm, clock, customerId } = await openWorld(await kind.open(), {
      config,
      start: at(4, '19:30').toISOString(),
    });
    const critical = await crm.complaints.open(complaint(customerId, 'high'), CLERK);
    const ordinary = await crm.complaints.open(complaint(customerId, 'medium'), CLERK);
    // Friday 19:30: an hour round the clock is 20:30 that evening; two hours of the desk's run into Monday.
    expect(critical).toMatchObject({
      slaCalendar: 'round-the-clock',
      acknowledgeBy: at(4, '19:45'),
      resolveBy: at(4, '20:30'),
    });
    expect(critical.sla.calendar).toBe('round-the-clock');
    expect(ordinary).toMatchObject({ slaCalendar: null, resolveBy: at(7, '09:30') });
    clock.set(at(4, '19:40'));
    await crm.complaints.acknowledge({ caseId: critical.id }, CLERK);
    await crm.complaints.acknowledge({ caseId: ordinary.id }, CLERK);

    clock.set(at(5, '02:00')); // Saturday, 02:00: the critical case's hour ran out on Friday evening
    expect((await crm.runDue())['complaints']).toMatchObject({ escalated: 1 });
    // The store manager's level keeps the desk's hours: its clocks start on Monday.
    expect(await crm.complaints.get(critical.id, SYSTEM)).toMatchObject({
      level: 2,
      slaCalendar: null,
      levelEnteredAt: at(4, '20:30'),
      acknowledgeBy: at(7, '08:30'),
      resolveBy: at(7, '10:00'),
    });
    // Time at the counter: an hour round the clock and half an hour of the desk's.
    const sla = await crm.complaints.reports.sla({ from: at(4, '00:00'), to: at(5, '00:00') });
    expect(sla.rows.find((r) => r.level === 1)!.totalBusinessMinutes).toBe(90);

    // A store's day may close at 23:59:59 too: ten minutes are left on Saturday at 23:50, fifty more a week later.
    await crm.stores.create(
      {
        id: 'S03',
        name: '天天超市 夜市店',
        region: 'East',
        timeZone: 'Asia/Shanghai',
        openingHours: { sat: [['09:00', '23:59:59']] },
      },
      SYSTEM,
    );
    clock.set(at(5, '23:50'));
    const late = await crm.complaints.open({ ...complaint(customerId, 'low'), storeId: 'S03' }, CLERK);
    expect(late.acknowledgeBy).toEqual(at(12, '09:50'));
  });

  it('refuses a calendar the configuration does not define, and one too thin for the limits that name it', async () => {
    const unknown = withService((l, i) =>
      i === 0
        ? { ...l, timeLimits: { ...l.timeLimits, high: { acknowledge: 15, resolve: 60, calendar: 'night' } } }
        : l,
    );
    let error: unknown;
    try {
      complaints(unknown);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({
      code: 'VALIDATION_FAILED',
      issues: [
        expect.objectContaining({
          path: ['ladders', 'service', 0, 'timeLimits', 'high', 'calendar'],
          code: 'unknown_calendar',
        }),
      ],
    });
    const thin = withService(
      (l, i) =>
        i === 0
          ? { ...l, timeLimits: { ...l.timeLimits, high: { acknowledge: 15, resolve: 5000, calendar: 'thin' } } }
          : l,
      { calendars: { thin: { timeZone: 'UTC', openingHours: { mon: [['09:00', '10:00']] } } } },
    );
    const crm = createClientele({
      store: await kind.open(),
      clock: manualClock(at(0, '10:00')),
      modules: [complaints(thin)],
    });
    expect(await refusal(crm.migrate())).toMatchObject({
      code: 'VALIDATION_FAILED',
      issues: [expect.objectContaining({ path: ['calendars', 'thin', 'openingHours'], code: 'beyond_sla_horizon' })],
    });
  });

  it('shows a case’s clocks: due, paused, fulfilled or failed; first response, paused time; resumed dues', async () => {
    const { crm, clock, customerId } = await openWorld(await kind.open());
    const a = await crm.complaints.open(complaint(customerId), CLERK);
    const b = await crm.complaints.open(complaint(customerId), CLERK);
    expect(a.sla).toEqual({
      calendar: null,
      acknowledge: { dueAt: at(0, '10:30'), status: 'running', metAt: null },
      resolve: { dueAt: at(0, '12:00'), status: 'running', metAt: null },
      paused: false,
      firstResponseBusinessSeconds: null,
      pausedBusinessSeconds: 0,
      onResume: null,
    });
    clock.set(at(0, '10:20'));
    await crm.complaints.pause({ caseId: a.id, note: 'Calling back tomorrow.' }, CLERK);
    clock.set(at(0, '10:45')); // b was never acknowledged: failed, though runDue has not run
    expect((await crm.complaints.get(b.id, SYSTEM)).sla.acknowledge.status).toBe('failed');
    expect((await crm.runDue())['complaints']).toMatchObject({ escalated: 1 });
    const up = await crm.complaints.get(b.id, SYSTEM);
    // At the store manager's level both clocks start again from when the counter's ran out.
    expect(up).toMatchObject({ level: 2, levelEnteredAt: at(0, '10:30') });
    expect(up.sla.acknowledge).toEqual({ dueAt: at(0, '11:30'), status: 'running', metAt: null });

    clock.set(at(1, '09:00'));
    const paused = await crm.complaints.get(a.id, SYSTEM);
    expect(paused.sla).toMatchObject({
      paused: true,
      acknowledge: { dueAt: at(0, '10:30'), status: 'paused' },
      resolve: { dueAt: at(0, '12:00'), status: 'paused' },
      // Monday 10:20-20:00 and Tuesday 08:00-09:00.
      pausedBusinessSeconds: (9 * 60 + 40 + 60) * 60,
      // Ten minutes to acknowledge and 100 to resolve were left.
      onResume: { acknowledgeBy: at(1, '09:10'), resolveBy: at(1, '10:40') },
    });
    const resumed = await crm.complaints.resume({ caseId: a.id }, CLERK);
    expect(resumed).toMatchObject({ acknowledgeBy: at(1, '09:10'), resolveBy: at(1, '10:40') });
    clock.set(at(1, '09:05'));
    const acked = await crm.complaints.acknowledge({ caseId: a.id }, CLERK);
    // Twenty minutes on Monday and five on Tuesday; the night and the pause do not count.
    expect(acked.sla).toMatchObject({
      acknowledge: { status: 'fulfilled', metAt: at(1, '09:05') },
      firstResponseBusinessSeconds: 25 * 60,
      pausedBusinessSeconds: (9 * 60 + 40 + 60) * 60,
      onResume: null,
    });
  });

  it('closes a complaint owing nothing, with an outcome and a reason, audited; not where a remedy is due', async () => {
    const calls: LoyaltyCall[] = [];
    const { crm, customerId } = await openWorld(await kind.open(), { modules: [loyaltyStandIn(calls)] });
    const events: Array<[string, unknown]> = [];
    crm.events.onAny((type, payload) => void events.push([type, payload]));
    const c = await crm.complaints.open(complaint(customerId), CLERK);

    const before = await snapshot(crm);
    expect(
      await refusal(crm.complaints.close({ caseId: c.id, outcome: 'unfounded', reason: 'No.' }, CLERK)),
    ).toMatchObject({
      code: 'INVALID_STATE',
    });
    expect(await refusal(crm.complaints.close({ caseId: c.id, outcome: 'unfounded' }, CLERK))).toMatchObject({
      code: 'VALIDATION_FAILED',
      path: ['reason'],
    });
    expect(await refusal(crm.complaints.close({ caseId: c.id, reason: 'No.' }, CLERK))).toMatchObject({
      code: 'VALIDATION_FAILED',
      path: ['outcome'],
    });
    await crm.complaints.acknowledge({ caseId: c.id }, CLERK);
    await crm.complaints.investigate({ caseId: c.id }, CLERK);
    const investigating = await snapshot(crm);
    expect(await refusal(crm.complaints.close({ caseId: c.id, rootCause: 'pricing-error' }, CLERK))).toMatchObject({
      code: 'INVALID_STATE',
      message: expect.stringMatching(/nothing is owed/),
    });
    expect(await snapshot(crm)).toEqual(investigating);
    expect(before).not.toEqual(investigating);

    const reason = 'The shelf label showed the member price; the customer is not a member.';
    const closed = await crm.complaints.close({ caseId: c.id, outcome: 'unfounded', reason }, CLERK);
    expect(closed).toMatchObject({
      status: 'closed',
      outcome: 'unfounded',
      outcomeReason: reason,
      rootCause: null,
      remedyCost: 0,
      remedies: [],
    });
    expect(events.find(([t]) => t === 'complaint.closed')?.[1]).toMatchObject({ outcome: 'unfounded', remedyCost: 0 });
    const audit = (await crm.audit.list({ command: 'complaints.close' }, SYSTEM)).items;
    expect(audit[0]).toMatchObject({
      outcome: 'ok',
      details: expect.objectContaining({ outcome: 'unfounded', reason }),
    });
    expect((await crm.complaints.surveys.invitations({ status: 'open' }, SYSTEM)).items).toHaveLength(1);

    // A remedy the loyalty module refused stays approved; closing with nothing owed withdraws it.
    const d = await crm.complaints.open(complaint(customerId), CLERK);
    await crm.complaints.acknowledge({ caseId: d.id }, CLERK);
    await crm.complaints.investigate({ caseId: d.id }, CLERK);
    await crm.complaints.propose(
      { caseId: d.id, remedies: [{ type: 'voucher', templateId: 'RETIRED', amount: 1000 }] },
      CLERK,
    );
    await crm.complaints.answer({ caseId: d.id, accepted: true }, CLERK);
    expect(await refusal(crm.complaints.execute({ caseId: d.id }, CLERK))).toMatchObject({ code: 'INVALID_STATE' });
    await crm.complaints.investigate({ caseId: d.id, note: 'The voucher is retired.' }, CLERK);
    const answered = await crm.complaints.close(
      {
        caseId: d.id,
        outcome: 'answered',
        reason: 'The customer only wanted the voucher terms.',
        rootCause: 'pricing-error',
      },
      CLERK,
    );
    expect(answered).toMatchObject({
      outcome: 'answered',
      rootCause: 'pricing-error',
      remedies: [expect.objectContaining({ status: 'withdrawn' })],
    });

    // Where a remedy was carried out, or for an after-sales case, an outcome is refused.
    const settled = await crm.complaints.settleAtCounter(
      { case: complaint(customerId), remedies: [{ type: 'compensation', amount: 500 }], rootCause: 'pricing-error' },
      CLERK,
    );
    expect(settled.outcome).toBe('resolved');
    const e = await crm.complaints.open(complaint(customerId), CLERK);
    await crm.complaints.acknowledge({ caseId: e.id }, CLERK);
    await crm.complaints.investigate({ caseId: e.id }, CLERK);
    await crm.complaints.propose({ caseId: e.id, remedies: [{ type: 'refund', amount: 500 }] }, CLERK);
    await crm.complaints.answer({ caseId: e.id, accepted: true }, CLERK);
    await crm.complaints.execute({ caseId: e.id }, CLERK);
    await crm.complaints.verify({ caseId: e.id }, MANAGER);
    expect(
      await refusal(crm.complaints.close({ caseId: e.id, outcome: 'answered', reason: 'x' }, CLERK)),
    ).toMatchObject({
      code: 'INVALID_STATE',
      message: expect.stringMatching(/verified/),
    });
    const repair = await crm.complaints.open(
      { ...complaint(customerId), kind: 'after-sales', request: 'repair', category: 'appliances' },
      QUALITY,
    );
    await crm.complaints.acknowledge({ caseId: repair.id }, QUALITY);
    expect(
      await refusal(crm.complaints.close({ caseId: repair.id, outcome: 'answered', reason: 'x' }, QUALITY)),
    ).toMatchObject({
      code: 'INVALID_STATE',
      path: ['outcome'],
    });
  });

  it('lets a task’s owner complete it after the case climbed past the owner’s desk; nobody else there', async () => {
    const { crm, customerId } = await openWorld(await kind.open());
    await crm.staff.add({ id: 'E-QUALITY2', name: '王工', storeId: 'S01', roleId: 'quality' }, SYSTEM);
    let c = await crm.complaints.open(
      { ...complaint(customerId), kind: 'after-sales', request: 'exchange', category: 'appliances' },
      QUALITY,
    );
    await crm.complaints.acknowledge({ caseId: c.id }, QUALITY);
    await crm.complaints.explain({ caseId: c.id, note: 'A fault within 15 days is exchanged.' }, QUALITY);
    await crm.complaints.mediate({ caseId: c.id }, QUALITY);
    await crm.complaints.rule({ caseId: c.id, decision: 'exchange', amount: 15900 }, QUALITY);
    await crm.complaints.execute(
      { caseId: c.id, task: { ownerStaffId: 'E-QUALITY', description: 'Hand over a new kettle', dueInMinutes: 120 } },
      QUALITY,
    );
    c = await crm.complaints.escalate({ caseId: c.id, note: 'The customer wants customer relations.' }, RELATIONS);
    expect(c.level).toBe(2);
    expect(
      await refusal(crm.complaints.completeTask({ caseId: c.id }, { actor: { staffId: 'E-QUALITY2' } })),
    ).toMatchObject({ code: 'PERMISSION_DENIED' });
    c = await crm.complaints.completeTask({ caseId: c.id, note: 'Handed over.' }, QUALITY);
    expect(c.task).toMatchObject({ ownerStaffId: 'E-QUALITY', doneAt: expect.any(String) });
    expect(c.remedies[0]).toMatchObject({ status: 'executed' });
  });

  it('keeps a case awaiting the customer waiting on escalation: the new level’s clocks start on resuming', async () => {
    const { crm, clock, customerId } = await openWorld(await kind.open());
    const c = await crm.complaints.open(complaint(customerId), CLERK);
    clock.set(at(0, '10:05'));
    await crm.complaints.acknowledge({ caseId: c.id }, CLERK);
    clock.set(at(0, '10:30'));
    await crm.complaints.pause({ caseId: c.id, note: 'Waiting for the receipt.' }, CLERK);
    clock.set(at(0, '11:00'));
    const up = await crm.complaints.escalate({ caseId: c.id, note: 'Over to the manager.' }, MANAGER);
    expect(up).toMatchObject({ level: 2, pausedAt: at(0, '11:00'), dueAt: null });
    expect(up.sla.acknowledge.status).toBe('paused');
    clock.set(at(1, '09:00'));
    const resumed = await crm.complaints.resume({ caseId: c.id }, MANAGER);
    // The store manager's full hour to acknowledge and four to resolve, from Tuesday 09:00.
    expect(resumed).toMatchObject({ acknowledgeBy: at(1, '10:00'), resolveBy: at(1, '13:00') });
    // Half an hour at the counter and ten at the manager's level stood still.
    expect(resumed.sla.pausedBusinessSeconds).toBe(0.5 * HOUR + 10 * HOUR);
  });
});

describe('service-level state, pure', () => {
  const desk: BusinessCalendar = {
    timeZone: 'Asia/Shanghai',
    openingHours: { mon: [['08:00', '20:00']], tue: [['08:00', '20:00']] },
    holidays: [],
  };
  const t = (iso: string) => new Date(`2026-11-02T${iso}:00+08:00`);

  it('tells running, paused, fulfilled, failed and none apart', () => {
    const due = t('12:00');
    expect(clockStatus(null, null, null, null, t('10:00'))).toBe('none');
    expect(clockStatus(due, t('11:00'), null, null, t('13:00'))).toBe('fulfilled');
    expect(clockStatus(due, t('12:00'), null, null, t('13:00'))).toBe('fulfilled');
    expect(clockStatus(due, t('12:01'), null, null, t('13:00'))).toBe('failed');
    expect(clockStatus(due, null, due, null, t('11:59'))).toBe('running');
    expect(clockStatus(due, null, due, null, t('12:01'))).toBe('failed');
    expect(clockStatus(due, null, null, null, t('11:00'))).toBe('failed'); // its miss was acted on
    expect(clockStatus(due, null, due, t('11:00'), t('18:00'))).toBe('paused');
    expect(clockStatus(due, null, due, t('12:30'), t('18:00'))).toBe('failed'); // ran out before the pause
  });

  it('gives the due times a paused case would have on resuming now, and the time stood still', () => {
    const sla = caseSla(
      {
        slaCalendar: null,
        acknowledgeBy: t('10:30'),
        resolveBy: t('12:00'),
        levelAcknowledgedAt: null,
        resolvedAt: null,
        ackDueAt: t('10:30'),
        resolveDueAt: t('12:00'),
        pausedAt: t('10:00'),
        pausedBusinessMs: 60_000,
        firstResponseBusinessMs: null,
      },
      { calendar: desk, dueAtClosing: 'keep' },
      t('19:00'),
    );
    expect(sla).toMatchObject({
      paused: true,
      pausedBusinessSeconds: 60 + 9 * HOUR,
      // 30 minutes and 2 hours were left; an hour of Monday remains, then Tuesday from 08:00.
      onResume: { acknowledgeBy: t('19:30'), resolveBy: new Date('2026-11-03T09:00:00+08:00') },
    });
  });
});
