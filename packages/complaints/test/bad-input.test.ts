/**
 * Bad input gets a typed error whose code and path say what is wrong, and changes nothing: each
 * case compares a snapshot of every collection (core's and the module's) before and after. Refusals
 * for lack of authority, and permission refusals by the kernel, add exactly one audit entry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isClienteleError } from '@clientele/core';
import { STORE_KINDS } from '../../../tests/support/stores.js';
import { complaints } from '../src/index.js';
import {
  CLERK,
  GUARD,
  MANAGER,
  QUALITY,
  RELATIONS,
  SYSTEM,
  TIANTIAN,
  openWorld,
  snapshot,
  type World,
} from './support/world.js';

type Ids = {
  received: string;
  investigating: string;
  awaiting: string;
  mediating: string;
  ruledExchange: string;
  verified: string;
  oldClosed: string;
  topRejected: string;
  purchaseId: string;
  customerId: string;
};
type Case = {
  name: string;
  call: (w: World, ids: Ids) => Promise<unknown>;
  code: string;
  path?: Array<string | number>;
  audited?: boolean;
};

const service = TIANTIAN.ladders['service']!;
const gapConfig = {
  ...TIANTIAN,
  ladders: {
    ...TIANTIAN.ladders,
    service: [service[0]!, service[1]!, { ...service[3]!, level: 4 }, { ...service[4]!, level: 5 }],
  },
};
const missingLimits = {
  ...TIANTIAN,
  ladders: {
    ...TIANTIAN.ladders,
    service: [
      service[0]!,
      {
        ...service[1]!,
        timeLimits: { low: { acknowledge: 60, resolve: 120 }, medium: { acknowledge: 60, resolve: 120 } },
      },
    ],
  },
};

const open = (ids: Ids, over: Record<string, unknown> = {}) => ({
  kind: 'complaint',
  channel: 'counter',
  storeId: 'S01',
  customerId: ids.customerId,
  category: 'service',
  severity: 'low',
  description: 'x',
  ...over,
});

const CASES: Case[] = [
  // open
  {
    name: 'open: unknown store',
    call: (w, ids) => w.crm.complaints.open(open(ids, { storeId: 'S99' }) as never, CLERK),
    code: 'NOT_FOUND',
    path: ['storeId'],
  },
  {
    name: 'open: unknown customer',
    call: (w, ids) => w.crm.complaints.open(open(ids, { customerId: 'cus_missing' }) as never, CLERK),
    code: 'NOT_FOUND',
    path: ['customerId'],
  },
  {
    name: 'open: severity not configured',
    call: (w, ids) => w.crm.complaints.open(open(ids, { severity: 'catastrophic' }) as never, CLERK),
    code: 'VALIDATION_FAILED',
    path: ['severity'],
  },
  {
    name: 'open: after-sales without request',
    call: (w, ids) => w.crm.complaints.open(open(ids, { kind: 'after-sales' }) as never, CLERK),
    code: 'VALIDATION_FAILED',
    path: ['request'],
  },
  {
    name: 'open: blank description',
    call: (w, ids) => w.crm.complaints.open(open(ids, { description: '   ' }) as never, CLERK),
    code: 'VALIDATION_FAILED',
    path: ['description'],
  },
  {
    name: 'open: purchase line without purchase',
    call: (w, ids) => w.crm.complaints.open(open(ids, { items: [{ sku: 'A', lineNo: 1 }] }) as never, CLERK),
    code: 'VALIDATION_FAILED',
    path: ['items', 0, 'lineNo'],
  },
  {
    name: 'open: unknown purchase',
    call: (w, ids) => w.crm.complaints.open(open(ids, { purchaseId: 'pur_missing' }) as never, CLERK),
    code: 'NOT_FOUND',
    path: ['purchaseId'],
  },
  {
    name: 'open: line not on the purchase',
    call: (w, ids) =>
      w.crm.complaints.open(
        open(ids, { purchaseId: ids.purchaseId, items: [{ sku: 'KETTLE-17', lineNo: 7 }] }) as never,
        CLERK,
      ),
    code: 'VALIDATION_FAILED',
    path: ['items', 0, 'lineNo'],
  },
  {
    name: 'open: unknown channel',
    call: (w, ids) => w.crm.complaints.open(open(ids, { channel: 'pigeon' }) as never, CLERK),
    code: 'VALIDATION_FAILED',
    path: ['channel'],
  },
  {
    name: 'open: no permission',
    call: (w, ids) => w.crm.complaints.open(open(ids) as never, GUARD),
    code: 'PERMISSION_DENIED',
    audited: true,
  },
  // unknown case
  {
    name: 'acknowledge: unknown case',
    call: (w) => w.crm.complaints.acknowledge({ caseId: 'case_missing' }, CLERK),
    code: 'NOT_FOUND',
    path: ['caseId'],
  },
  {
    name: 'acknowledge: malformed case id',
    call: (w) => w.crm.complaints.acknowledge({ caseId: 'no such case!' }, CLERK),
    code: 'VALIDATION_FAILED',
    path: ['caseId'],
  },
  {
    name: 'get: unknown case',
    call: (w) => w.crm.complaints.get('case_missing', SYSTEM),
    code: 'NOT_FOUND',
    path: ['caseId'],
  },
  // illegal transitions
  {
    name: 'close a case just received',
    call: (w, ids) => w.crm.complaints.close({ caseId: ids.received, rootCause: 'other' }, CLERK),
    code: 'INVALID_STATE',
    path: ['caseId'],
  },
  {
    name: 'accept before anything was proposed',
    call: (w, ids) => w.crm.complaints.answer({ caseId: ids.received, accepted: true }, CLERK),
    code: 'INVALID_STATE',
    path: ['caseId'],
  },
  {
    name: 'explain a complaint (an after-sales step)',
    call: (w, ids) => w.crm.complaints.explain({ caseId: ids.received, note: 'x' }, CLERK),
    code: 'INVALID_STATE',
    path: ['caseId'],
  },
  {
    name: 'rule on a complaint',
    call: (w, ids) => w.crm.complaints.rule({ caseId: ids.investigating, decision: 'refund', amount: 100 }, RELATIONS),
    code: 'INVALID_STATE',
    path: ['caseId'],
  },
  {
    name: 'acknowledge twice at one level',
    call: (w, ids) => w.crm.complaints.acknowledge({ caseId: ids.investigating }, CLERK),
    code: 'INVALID_STATE',
    path: ['caseId'],
  },
  {
    name: 'accept a proposal awaiting approval',
    call: (w, ids) => w.crm.complaints.answer({ caseId: ids.awaiting, accepted: true }, RELATIONS),
    code: 'INVALID_STATE',
    path: ['caseId'],
  },
  {
    name: 'verify with nothing carried out',
    call: (w, ids) => w.crm.complaints.verify({ caseId: ids.investigating }, MANAGER),
    code: 'INVALID_STATE',
    path: ['caseId'],
  },
  {
    name: 'reopen after the reopen window',
    call: (w, ids) => w.crm.complaints.reopen({ caseId: ids.oldClosed, note: 'still sour' }, CLERK),
    code: 'INVALID_STATE',
    path: ['caseId'],
  },
  {
    name: 'appeal at the top of the ladder',
    call: (w, ids) => w.crm.complaints.appeal({ caseId: ids.topRejected, note: 'not enough' }, CLERK),
    code: 'INVALID_STATE',
    path: ['caseId'],
  },
  {
    name: 'pause a closed case',
    call: (w, ids) => w.crm.complaints.pause({ caseId: ids.oldClosed, note: 'x' }, CLERK),
    code: 'INVALID_STATE',
    path: ['caseId'],
  },
  {
    name: 'resume a case that is not paused',
    call: (w, ids) => w.crm.complaints.resume({ caseId: ids.received }, CLERK),
    code: 'INVALID_STATE',
    path: ['caseId'],
  },
  // remedies and authority
  {
    name: 'propose a negative amount',
    call: (w, ids) =>
      w.crm.complaints.propose(
        { caseId: ids.investigating, remedies: [{ type: 'compensation', amount: -500 }] },
        CLERK,
      ),
    code: 'VALIDATION_FAILED',
    path: ['remedies', 0, 'amount'],
  },
  {
    name: 'propose money in yuan with decimals',
    call: (w, ids) =>
      w.crm.complaints.propose({ caseId: ids.investigating, remedies: [{ type: 'refund', amount: 12.5 }] }, CLERK),
    code: 'VALIDATION_FAILED',
    path: ['remedies', 0, 'amount'],
  },
  {
    name: 'propose an unknown remedy',
    call: (w, ids) =>
      w.crm.complaints.propose({ caseId: ids.investigating, remedies: [{ type: 'hug' } as never] }, CLERK),
    code: 'VALIDATION_FAILED',
    path: ['remedies', 0, 'type'],
  },
  {
    name: 'propose no remedy',
    call: (w, ids) => w.crm.complaints.propose({ caseId: ids.investigating, remedies: [] }, CLERK),
    code: 'VALIDATION_FAILED',
    path: ['remedies'],
  },
  {
    name: 'goodwill points without the loyalty module',
    call: (w, ids) =>
      w.crm.complaints.propose(
        { caseId: ids.investigating, remedies: [{ type: 'goodwill-points', points: 100 }] },
        CLERK,
      ),
    code: 'UNSUPPORTED',
    path: ['remedies', 0, 'type'],
  },
  {
    name: 'remedy above authority, named approver lacks it too',
    call: (w, ids) =>
      w.crm.complaints.propose(
        {
          caseId: ids.investigating,
          remedies: [{ type: 'compensation', amount: 80000 }],
          approverStaffId: 'E-MANAGER',
        },
        CLERK,
      ),
    code: 'AUTHORITY_EXCEEDED',
    audited: true,
  },
  {
    name: 'settle at the counter above authority without approval',
    call: (w, ids) =>
      w.crm.complaints.settleAtCounter(
        { case: open(ids) as never, remedies: [{ type: 'compensation', amount: 80000 }], rootCause: 'other' },
        CLERK,
      ),
    code: 'AUTHORITY_EXCEEDED',
    audited: true,
  },
  {
    name: 'approve above one’s own authority',
    call: (w, ids) => w.crm.complaints.approve({ caseId: ids.awaiting }, MANAGER),
    code: 'AUTHORITY_EXCEEDED',
    audited: true,
  },
  {
    name: 'a lower desk acting on an escalated case',
    call: (w, ids) => w.crm.complaints.acknowledge({ caseId: ids.awaiting }, CLERK),
    code: 'PERMISSION_DENIED',
  },
  {
    name: 'execute an exchange without a task',
    call: (w, ids) => w.crm.complaints.execute({ caseId: ids.ruledExchange }, QUALITY),
    code: 'VALIDATION_FAILED',
    path: ['task'],
  },
  {
    name: 'execute with a task owner who does not exist',
    call: (w, ids) =>
      w.crm.complaints.execute(
        { caseId: ids.ruledExchange, task: { ownerStaffId: 'E-NOBODY', description: 'x', dueInMinutes: 60 } },
        QUALITY,
      ),
    code: 'NOT_FOUND',
    path: ['task', 'ownerStaffId'],
  },
  {
    name: 'rule a rejection without a reason',
    call: (w, ids) => w.crm.complaints.rule({ caseId: ids.mediating, decision: 'reject' }, QUALITY),
    code: 'VALIDATION_FAILED',
    path: ['reason'],
  },
  {
    name: 'close without a root cause',
    call: (w, ids) => w.crm.complaints.close({ caseId: ids.verified }, MANAGER),
    code: 'VALIDATION_FAILED',
    path: ['rootCause'],
  },
  {
    name: 'close with a cause not configured',
    call: (w, ids) => w.crm.complaints.close({ caseId: ids.verified, rootCause: 'bad-luck' }, MANAGER),
    code: 'VALIDATION_FAILED',
    path: ['rootCause'],
  },
  {
    name: 'close with nothing owed but no reason',
    call: (w, ids) => w.crm.complaints.close({ caseId: ids.investigating, outcome: 'unfounded' }, CLERK),
    code: 'VALIDATION_FAILED',
    path: ['reason'],
  },
  {
    name: 'close with an outcome not offered',
    call: (w, ids) =>
      w.crm.complaints.close({ caseId: ids.investigating, outcome: 'settled' as never, reason: 'x' }, CLERK),
    code: 'VALIDATION_FAILED',
    path: ['outcome'],
  },
  {
    name: 'close an investigated complaint without an outcome (a remedy is owed)',
    call: (w, ids) => w.crm.complaints.close({ caseId: ids.investigating, rootCause: 'stale-goods' }, CLERK),
    code: 'INVALID_STATE',
    path: ['caseId'],
  },
  {
    name: 'close a verified complaint with an outcome',
    call: (w, ids) => w.crm.complaints.close({ caseId: ids.verified, outcome: 'answered', reason: 'x' }, MANAGER),
    code: 'INVALID_STATE',
    path: ['caseId'],
  },
  {
    name: 'close an after-sales case with an outcome',
    call: (w, ids) => w.crm.complaints.close({ caseId: ids.mediating, outcome: 'unfounded', reason: 'x' }, QUALITY),
    code: 'INVALID_STATE',
    path: ['outcome'],
  },
  // surveys, actions, reports
  {
    name: 'respond to an unknown invitation',
    call: (w) => w.crm.complaints.surveys.respond({ invitationId: 'inv_missing', answers: { 'q-fresh': 3 } }, CLERK),
    code: 'NOT_FOUND',
    path: ['invitationId'],
  },
  {
    name: 'respond to an unknown questionnaire',
    call: (w) =>
      w.crm.complaints.surveys.respond({ questionnaireId: 'nope', storeId: 'S01', answers: { 'q-fresh': 3 } }, CLERK),
    code: 'NOT_FOUND',
    path: ['questionnaireId'],
  },
  {
    name: 'answer a question that was not asked',
    call: (w) =>
      w.crm.complaints.surveys.respond(
        { questionnaireId: 'after-purchase', storeId: 'S01', answers: { 'q-nope': 3 } },
        CLERK,
      ),
    code: 'VALIDATION_FAILED',
    path: ['answers', 'q-nope'],
  },
  {
    name: 'score off the scale',
    call: (w) =>
      w.crm.complaints.surveys.respond(
        { questionnaireId: 'after-purchase', storeId: 'S01', answers: { 'q-fresh': 7 } },
        CLERK,
      ),
    code: 'VALIDATION_FAILED',
    path: ['answers', 'q-fresh'],
  },
  {
    name: 'corrective action for an unknown owner',
    call: (w, ids) =>
      w.crm.complaints.actions.create(
        { caseId: ids.oldClosed, description: 'Check the fridge', ownerStaffId: 'E-NOBODY', dueInMinutes: 60 },
        MANAGER,
      ),
    code: 'NOT_FOUND',
    path: ['ownerStaffId'],
  },
  {
    name: 'corrective action for a cause not configured',
    call: (w) =>
      w.crm.complaints.actions.create(
        { storeId: 'S01', cause: 'bad-luck', description: 'x', ownerStaffId: 'E-MANAGER', dueInMinutes: 60 },
        MANAGER,
      ),
    code: 'VALIDATION_FAILED',
    path: ['cause'],
  },
  {
    name: 'SLA report for a period that ends before it starts',
    call: (w) => w.crm.complaints.reports.sla({ from: '2026-11-03T00:00:00Z', to: '2026-11-02T00:00:00Z' }),
    code: 'VALIDATION_FAILED',
    path: ['to'],
  },
  // configuration
  {
    name: 'a ladder with a gap (no level 3)',
    call: async () => complaints(gapConfig),
    code: 'VALIDATION_FAILED',
    path: ['ladders', 'service', 2, 'level'],
  },
  {
    name: 'a level without limits for a severity',
    call: async () => complaints(missingLimits),
    code: 'VALIDATION_FAILED',
    path: ['ladders', 'service', 1, 'timeLimits', 'high'],
  },
  {
    name: 'a limit that names a calendar not configured',
    call: async () =>
      complaints({
        ...TIANTIAN,
        ladders: {
          ...TIANTIAN.ladders,
          service: [
            { ...service[0]!, timeLimits: { ...service[0]!.timeLimits, high: { acknowledge: 5, calendar: 'night' } } },
            ...service.slice(1),
          ],
        },
      }),
    code: 'VALIDATION_FAILED',
    path: ['ladders', 'service', 0, 'timeLimits', 'high', 'calendar'],
  },
  {
    name: 'a reopen rule not offered',
    call: async () => complaints({ ...TIANTIAN, reopen: 'rewind' as never }),
    code: 'VALIDATION_FAILED',
    path: ['reopen'],
  },
  {
    name: 'a rule at closing not offered',
    call: async () => complaints({ ...TIANTIAN, dueAtClosing: 'previous-opening' as never }),
    code: 'VALIDATION_FAILED',
    path: ['dueAtClosing'],
  },
  {
    name: 'a calendar whose day closes at 23:59:58',
    call: async () =>
      complaints({
        ...TIANTIAN,
        calendars: { late: { timeZone: 'UTC', openingHours: { mon: [['08:00', '23:59:58']] } } },
      }),
    code: 'VALIDATION_FAILED',
    path: ['calendars', 'late', 'openingHours', 'mon', 0, 1],
  },
];

describe.each(STORE_KINDS)('bad input on $name', (kind) => {
  let world: World;
  let ids: Ids;
  beforeAll(async () => {
    const w = await openWorld(await kind.open());
    world = w;
    const { crm, clock, customerId } = w;
    const base = {
      kind: 'complaint' as const,
      channel: 'counter' as const,
      storeId: 'S01',
      customerId,
      category: 'service',
      severity: 'low',
      description: 'Complaint',
    };
    const sale = await crm.purchases.record(
      {
        storeId: 'S01',
        terminalId: 'T1',
        receiptNo: 'B-0001',
        customerId,
        lines: [{ sku: 'KETTLE-17', category: 'appliances', quantity: 1, unitPrice: 15900 }],
      },
      { ...CLERK, idempotencyKey: 'bad-input-sale' },
    );
    const old = await crm.complaints.settleAtCounter(
      { case: base, remedies: [{ type: 'compensation', amount: 1000 }], rootCause: 'stale-goods' },
      CLERK,
    );
    clock.advance(8 * 86_400_000);
    const received = await crm.complaints.open(base, CLERK);
    const investigating = await crm.complaints.open(base, CLERK);
    await crm.complaints.acknowledge({ caseId: investigating.id }, CLERK);
    await crm.complaints.investigate({ caseId: investigating.id }, CLERK);
    const awaiting = await crm.complaints.open(base, CLERK);
    await crm.complaints.acknowledge({ caseId: awaiting.id }, CLERK);
    await crm.complaints.investigate({ caseId: awaiting.id }, CLERK);
    await crm.complaints.propose({ caseId: awaiting.id, remedies: [{ type: 'compensation', amount: 80000 }] }, CLERK);
    const afterSales = {
      ...base,
      kind: 'after-sales' as const,
      request: 'exchange' as const,
      purchaseId: sale.id,
      items: [{ sku: 'KETTLE-17', lineNo: 1 }],
    };
    const mediating = await crm.complaints.open(afterSales, QUALITY);
    await crm.complaints.acknowledge({ caseId: mediating.id }, QUALITY);
    await crm.complaints.explain({ caseId: mediating.id, note: 'Warranty explained.' }, QUALITY);
    await crm.complaints.mediate({ caseId: mediating.id }, QUALITY);
    const ruled = await crm.complaints.open(afterSales, QUALITY);
    await crm.complaints.acknowledge({ caseId: ruled.id }, QUALITY);
    await crm.complaints.explain({ caseId: ruled.id, note: 'Warranty explained.' }, QUALITY);
    await crm.complaints.mediate({ caseId: ruled.id }, QUALITY);
    await crm.complaints.rule({ caseId: ruled.id, decision: 'exchange', amount: 15900 }, QUALITY);
    const verified = await crm.complaints.open(base, CLERK);
    await crm.complaints.acknowledge({ caseId: verified.id }, CLERK);
    await crm.complaints.investigate({ caseId: verified.id }, CLERK);
    await crm.complaints.propose({ caseId: verified.id, remedies: [{ type: 'refund', amount: 500 }] }, CLERK);
    await crm.complaints.answer({ caseId: verified.id, accepted: true }, CLERK);
    await crm.complaints.execute({ caseId: verified.id }, CLERK);
    await crm.complaints.verify({ caseId: verified.id }, MANAGER);
    const top = await crm.complaints.open(base, CLERK);
    await crm.complaints.acknowledge({ caseId: top.id }, CLERK);
    await crm.complaints.investigate({ caseId: top.id }, CLERK);
    await crm.complaints.propose({ caseId: top.id, remedies: [{ type: 'compensation', amount: 500 }] }, CLERK);
    await crm.complaints.answer({ caseId: top.id, accepted: false }, CLERK);
    for (let i = 0; i < 4; i++)
      await crm.complaints.escalate({ caseId: top.id, note: 'customer insists' }, { actor: { staffId: 'E-GM' } });
    ids = {
      received: received.id,
      investigating: investigating.id,
      awaiting: awaiting.id,
      mediating: mediating.id,
      ruledExchange: ruled.id,
      verified: verified.id,
      oldClosed: old.id,
      topRejected: top.id,
      purchaseId: sale.id,
      customerId,
    };
  });
  afterAll(() => kind.cleanup());

  it.each(CASES)('$name → $code', async ({ call, code, path, audited }) => {
    const before = await snapshot(world.crm);
    const error = await call(world, ids).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isClienteleError(error), String(error)).toBe(true);
    expect(error).toMatchObject({ code, ...(path ? { path } : {}) });
    const after = await snapshot(world.crm);
    if (audited) {
      const { audit_log: a, ...restAfter } = after;
      const { audit_log: b, ...restBefore } = before;
      expect(restAfter).toEqual(restBefore);
      expect(JSON.parse(a!).length).toBe(JSON.parse(b!).length + 1);
    } else {
      expect(after).toEqual(before);
    }
  });
});
