/**
 * Remedies that are loyalty actions are issued by the loyalty module's own commands inside the
 * transaction that carries them out, with a key derived from the case and the remedy. These tests
 * use a small stand-in registered as `loyalty` (see `support/world.ts`) that runs real kernel
 * commands, so idempotency keys and authority behave as the real module's do;
 * `tests/service-recovery.test.ts` runs the same flows with the real module.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { auditLog, defineModule, idempotencyKeys, scan, type NoEvents } from '@clientele/core/module';
import { STORE_KINDS } from '../../../tests/support/stores.js';
import { issueKey, remediesCollection, casesCollection, TRANSITIONS, type ComplaintEvents } from '../src/index.js';
import {
  CLERK,
  MANAGER,
  SYSTEM,
  loyaltyStandIn,
  openWorld,
  snapshot,
  testLedger,
  type LoyaltyCall,
} from './support/world.js';

type World = Awaited<ReturnType<typeof openWorld>>;

async function ledger(world: World) {
  const rows = [];
  for await (const row of scan(world.store, testLedger)) rows.push(row);
  return rows;
}

/**
 * A module whose in-transaction handler of `complaint.remedy-executed` throws `times` times: a failure after the
 * loyalty call.
 */
function failAfterIssue(control: { times: number }) {
  return defineModule<string, object, NoEvents, ComplaintEvents>({
    name: 'fail-after-issue',
    setup() {
      return {
        api: {},
        handlers: [
          {
            event: 'complaint.remedy-executed',
            run: async () => {
              if (control.times > 0) {
                control.times--;
                throw new Error('the process died after the loyalty call');
              }
            },
          },
        ],
      };
    },
  });
}

/** Opens a complaint and takes it to an accepted proposal of `remedies`. */
async function accepted(world: World, remedies: object[], approverStaffId?: string) {
  const { crm, customerId } = world;
  const c = await crm.complaints.open(
    {
      kind: 'complaint',
      channel: 'counter',
      storeId: 'S01',
      customerId,
      category: 'service',
      severity: 'low',
      description: 'Rude reply at the checkout.',
    },
    CLERK,
  );
  await crm.complaints.acknowledge({ caseId: c.id }, CLERK);
  await crm.complaints.investigate({ caseId: c.id }, CLERK);
  await crm.complaints.propose(
    { caseId: c.id, remedies: remedies as never, ...(approverStaffId ? { approverStaffId } : {}) },
    CLERK,
  );
  return crm.complaints.answer({ caseId: c.id, accepted: true }, CLERK);
}

describe.each(STORE_KINDS)('loyalty remedies on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it(
    'grants goodwill points through crm.loyalty inside the execution, once, linked to the case, and records ' +
      'the result',
    async () => {
      const calls: LoyaltyCall[] = [];
      const world = await openWorld(await kind.open(), { modules: [loyaltyStandIn(calls)] });
      const { crm, customerId } = world;
      let c = await accepted(world, [{ type: 'goodwill-points', points: 2000, note: 'apology' }]);
      expect(c.remedies[0]).toMatchObject({ status: 'approved', value: 2000 });
      c = await crm.complaints.execute({ caseId: c.id }, CLERK);
      const remedy = c.remedies[0]!;
      expect(calls).toEqual([
        {
          method: 'grantGoodwill',
          input: {
            customerId,
            points: 2000,
            reason: `Service recovery for case ${c.caseNo}`,
            ref: { type: 'case', id: c.id },
            storeId: 'S01',
          },
        },
      ]);
      expect(remedy).toMatchObject({
        status: 'executed',
        issueKey: issueKey(c.id, remedy.id),
        result: { points: 2000, balance: 2000, entryId: expect.any(String) },
      });
      expect(c).toMatchObject({ status: 'executing', remedyCost: 2000 });
      expect(await ledger(world)).toHaveLength(1);
      // The loyalty command ran under the remedy's key and was audited as itself, by the clerk.
      expect(await world.store.get(idempotencyKeys, issueKey(c.id, remedy.id))).toMatchObject({
        command: 'loyalty.grant-goodwill',
      });
      const audits = [];
      for await (const a of scan(world.store, auditLog, { where: { command: 'loyalty.grant-goodwill' } }))
        audits.push(a);
      expect(audits).toEqual([
        expect.objectContaining({ outcome: 'ok', actor: expect.objectContaining({ staffId: 'E-CLERK' }) }),
      ]);
      // Nothing is left for runDue.
      expect((await crm.runDue())['complaints']).toMatchObject({ remediesIssued: 0 });
      expect(calls).toHaveLength(1);
      expect((await crm.timeline(customerId, SYSTEM)).items.map((t) => t.kind)).toContain('remedy-issued');
      expect((await crm.complaints.history(c.id, SYSTEM)).map((h) => h.action)).toEqual([
        'open',
        'acknowledge',
        'investigate',
        'propose',
        'accept',
        'execute',
        'remedy-issued',
      ]);
    },
  );

  it(
    'tells the loyalty module who approved at the counter, so its own authority check counts the ' + 'approver',
    async () => {
      const calls: LoyaltyCall[] = [];
      const world = await openWorld(await kind.open(), { modules: [loyaltyStandIn(calls)] });
      // 8,000 points are above the clerk's 5,000; the store manager at the counter approves them at once.
      let c = await accepted(world, [{ type: 'goodwill-points', points: 8000 }], 'E-MANAGER');
      expect(c).toMatchObject({
        level: 1,
        remedies: [expect.objectContaining({ status: 'approved', approvedBy: 'E-MANAGER' })],
      });
      c = await world.crm.complaints.execute({ caseId: c.id }, CLERK);
      expect(calls[0]!.input).toMatchObject({ points: 8000, approvedBy: 'E-MANAGER' });
      expect(c.remedies[0]).toMatchObject({ status: 'executed', result: { points: 8000 } });
    },
  );

  it(
    'rolls the points back with everything else when the execution fails after the loyalty call, and issues ' +
      'once when done again',
    async () => {
      const calls: LoyaltyCall[] = [];
      const control = { times: 1 };
      const world = await openWorld(await kind.open(), { modules: [loyaltyStandIn(calls), failAfterIssue(control)] });
      const { crm } = world;
      const c = await accepted(world, [{ type: 'voucher', templateId: 'SORRY-20', amount: 2000 }]);
      const before = await snapshot(crm, [testLedger]);
      const error = await crm.complaints.execute({ caseId: c.id }, CLERK).catch((e: unknown) => e);
      expect(error).toMatchObject({ message: 'the process died after the loyalty call' });
      expect(calls).toHaveLength(1);
      // The voucher was issued inside the transaction that failed: it is gone with the rest.
      expect(await snapshot(crm, [testLedger])).toEqual(before);
      const done = await crm.complaints.execute({ caseId: c.id }, CLERK);
      const [voucher, ...more] = await ledger(world);
      expect(more).toEqual([]);
      expect(done.remedies[0]).toMatchObject({
        status: 'executed',
        result: { id: voucher!.id, code: expect.stringMatching(/^TT-/) },
      });
      await crm.complaints.verify({ caseId: c.id }, MANAGER);
      expect((await crm.complaints.close({ caseId: c.id, rootCause: 'rude-service' }, CLERK)).remedyCost).toBe(2000);
    },
  );

  it('answers a retried execution with its first result when the answer was lost, issuing nothing more', async () => {
    const calls: LoyaltyCall[] = [];
    const world = await openWorld(await kind.open(), { modules: [loyaltyStandIn(calls)] });
    const c = await accepted(world, [{ type: 'goodwill-points', points: 1200 }]);
    const first = await world.crm.complaints.execute(
      { caseId: c.id },
      { ...CLERK, idempotencyKey: 'desk-7-execute-1' },
    );
    const before = await snapshot(world.crm, [testLedger]);
    expect(
      await world.crm.complaints.execute({ caseId: c.id }, { ...CLERK, idempotencyKey: 'desk-7-execute-1' }),
    ).toEqual(first);
    expect(await snapshot(world.crm, [testLedger])).toEqual(before);
    expect(await ledger(world)).toHaveLength(1);
    expect(calls).toHaveLength(1);
  });

  it(
    'refuses an execution the loyalty module refuses with its own error, changing nothing; the case goes ' +
      'back to investigation',
    async () => {
      const calls: LoyaltyCall[] = [];
      const { crm, customerId } = await openWorld(await kind.open(), { modules: [loyaltyStandIn(calls)] });
      let c = await accepted({ crm, customerId } as World, [
        { type: 'compensation', amount: 500 },
        { type: 'voucher', templateId: 'RETIRED', amount: 500 },
      ]);
      const before = await snapshot(crm, [testLedger]);
      const error = await crm.complaints.execute({ caseId: c.id }, CLERK).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'INVALID_STATE',
        path: ['templateId'],
        details: { reason: 'template_retired' },
      });
      expect(await snapshot(crm, [testLedger])).toEqual(before);
      c = await crm.complaints.get(c.id, SYSTEM);
      expect(c).toMatchObject({ status: 'accepted', allowedActions: ['investigate', 'execute'] });
      c = await crm.complaints.investigate({ caseId: c.id, note: 'Template withdrawn; offer points instead.' }, CLERK);
      c = await crm.complaints.propose(
        {
          caseId: c.id,
          remedies: [
            { type: 'compensation', amount: 500 },
            { type: 'goodwill-points', points: 500 },
          ],
        },
        CLERK,
      );
      expect(c.remedies.map((r) => r.status)).toEqual(['withdrawn', 'withdrawn', 'approved', 'approved']);
      await crm.complaints.answer({ caseId: c.id, accepted: true }, CLERK);
      c = await crm.complaints.execute({ caseId: c.id }, CLERK);
      expect(c).toMatchObject({ status: 'executing', remedyCost: 1000 });
      expect(TRANSITIONS.complaint.investigate![0]!.from).toContain('accepted');
    },
  );

  it(
    'finishes a remedy left issuing with the key it was first sent with: once if that call went through, and ' +
      'a refusal marks it failed',
    async () => {
      const calls: LoyaltyCall[] = [];
      const world = await openWorld(await kind.open(), { modules: [loyaltyStandIn(calls)] });
      const { crm, customerId, store } = world;
      // Three cases as a version that issued after the case's transaction left them: executing, their remedy `issuing`.
      const left = [];
      for (const remedy of [
        { type: 'goodwill-points', points: 700 },
        { type: 'goodwill-points', points: 300 },
        { type: 'voucher', templateId: 'RETIRED', amount: 500 },
      ]) {
        const c = await accepted(world, [remedy]);
        const r = c.remedies[0]!;
        await store.transaction(async (tx) => {
          await tx.update(
            remediesCollection,
            r.id,
            { status: 'issuing', issueKey: issueKey(c.id, r.id) },
            { expectVersion: r.version },
          );
          const row = (await tx.get(casesCollection, c.id))!;
          await tx.update(casesCollection, c.id, { status: 'executing' }, { expectVersion: row.version });
        });
        left.push({ c, r });
      }
      // The first one's call had gone through before the process died.
      const { c: c0, r: r0 } = left[0]!;
      const firstAnswer = await (
        crm as unknown as { loyalty: { grantGoodwill: (i: object, o: object) => Promise<object> } }
      ).loyalty.grantGoodwill(
        {
          customerId,
          points: 700,
          reason: `Service recovery for case ${c0.caseNo}`,
          ref: { type: 'case', id: c0.id },
          storeId: 'S01',
        },
        { ...CLERK, idempotencyKey: issueKey(c0.id, r0.id) },
      );
      expect(await ledger(world)).toHaveLength(1);
      expect((await crm.runDue())['complaints']).toMatchObject({
        remediesIssued: 2,
        remediesFailed: 1,
        remediesPending: 0,
      });
      expect(await ledger(world)).toEqual([
        expect.objectContaining({ points: 700, refId: c0.id }),
        expect.objectContaining({ points: 300, refId: left[1]!.c.id }),
      ]);
      expect((await crm.complaints.get(c0.id, SYSTEM)).remedies[0]).toMatchObject({
        status: 'executed',
        result: firstAnswer,
      });
      expect((await crm.complaints.get(left[1]!.c.id, SYSTEM)).remedies[0]).toMatchObject({
        status: 'executed',
        result: { points: 300 },
      });
      expect((await crm.complaints.get(left[2]!.c.id, SYSTEM)).remedies[0]).toMatchObject({
        status: 'failed',
        failure: { code: 'INVALID_STATE' },
      });
      expect((await crm.runDue())['complaints']).toMatchObject({ remediesIssued: 0, remediesFailed: 0 });
      expect(await ledger(world)).toHaveLength(2);
    },
  );

  it(
    'settles at the counter with a voucher in one transaction, and a retry with the same key changes ' + 'nothing',
    async () => {
      const calls: LoyaltyCall[] = [];
      const { crm, customerId } = await openWorld(await kind.open(), { modules: [loyaltyStandIn(calls)] });
      const input = {
        case: {
          kind: 'complaint' as const,
          channel: 'counter' as const,
          storeId: 'S01',
          customerId,
          category: 'checkout',
          severity: 'low',
          description: 'Waited twenty minutes at the only open till.',
        },
        remedies: [{ type: 'voucher' as const, templateId: 'SORRY-10', amount: 1000 }],
        rootCause: 'slow-checkout',
      };
      const c = await crm.complaints.settleAtCounter(input, { ...CLERK, idempotencyKey: 'counter-voucher-1' });
      expect(c).toMatchObject({ status: 'closed', remedyCost: 1000 });
      expect(c.remedies[0]).toMatchObject({
        type: 'voucher',
        status: 'executed',
        result: { code: expect.stringMatching(/^TT-/) },
      });
      const before = await snapshot(crm, [testLedger]);
      expect(await crm.complaints.settleAtCounter(input, { ...CLERK, idempotencyKey: 'counter-voucher-1' })).toEqual(c);
      expect(await snapshot(crm, [testLedger])).toEqual(before);
    },
  );

  it(
    'settles at the counter all or nothing: a voucher the loyalty module refuses leaves no case, no other ' +
      'remedy, nothing',
    async () => {
      const calls: LoyaltyCall[] = [];
      const { crm, customerId } = await openWorld(await kind.open(), { modules: [loyaltyStandIn(calls)] });
      const before = await snapshot(crm, [testLedger]);
      const error = await crm.complaints
        .settleAtCounter(
          {
            case: {
              kind: 'complaint',
              channel: 'counter',
              storeId: 'S01',
              customerId,
              category: 'checkout',
              severity: 'low',
              description: 'Charged twice.',
            },
            remedies: [
              { type: 'goodwill-points', points: 100 },
              { type: 'voucher', templateId: 'UNKNOWN', amount: 1000 },
            ],
            rootCause: 'pricing-error',
          },
          CLERK,
        )
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'NOT_FOUND', details: { what: 'voucher template', key: 'UNKNOWN' } });
      expect(calls.map((x) => x.method)).toEqual(['grantGoodwill', 'vouchers.issue']);
      expect(await snapshot(crm, [testLedger])).toEqual(before);
    },
  );

  it(
    'refuses a loyalty remedy with UNSUPPORTED when the loyalty module is not installed, changing ' + 'nothing',
    async () => {
      const { crm, customerId } = await openWorld(await kind.open());
      const c = await crm.complaints.open(
        {
          kind: 'complaint',
          channel: 'counter',
          storeId: 'S01',
          customerId,
          category: 'service',
          severity: 'low',
          description: 'x',
        },
        CLERK,
      );
      await crm.complaints.acknowledge({ caseId: c.id }, CLERK);
      await crm.complaints.investigate({ caseId: c.id }, CLERK);
      const before = await snapshot(crm);
      const error = await crm.complaints
        .propose(
          {
            caseId: c.id,
            remedies: [
              { type: 'compensation', amount: 100 },
              { type: 'goodwill-points', points: 100 },
            ],
          },
          CLERK,
        )
        .catch((e) => e);
      expect(error).toMatchObject({
        code: 'UNSUPPORTED',
        path: ['remedies', 1, 'type'],
        details: { module: 'loyalty' },
      });
      expect(await snapshot(crm)).toEqual(before);
    },
  );
});
