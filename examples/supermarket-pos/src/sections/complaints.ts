/**
 * The demo's complaints section: the Tiantian ladder (counter clerk → store manager → customer
 * relations → general manager's office → general manager) and the quality station for "three
 * guarantees" cases. One complaint settled at the counter, one escalated to the desk that may
 * approve it and compensated with a voucher, a price question closed with nothing owed and reopened
 * with its clock going on, one exchange supervised to the end, then the SLA report and the cause
 * ranking.
 *
 * Wire it with `complaints(TIANTIAN_LADDER)` among the modules and call `complaintsSection(crm, clock)`.
 */
import { isClienteleError, type Clientele, type ManualClock } from '@clientele/core';
import type { ComplaintsApi, ComplaintsConfigInput } from '@clientele/complaints';
import { heading, line, local, table, yuan } from '../print.js';

const limits = (acknowledge: number, resolve: number) => ({ acknowledge, resolve });

/** The Tiantian ladder and quality station; time limits in business minutes of the store. */
export const TIANTIAN_LADDER: ComplaintsConfigInput = {
  severities: ['low', 'medium', 'high'],
  ladders: {
    service: [
      {
        level: 1,
        id: 'counter',
        name: '柜台 Counter clerk',
        roles: ['clerk'],
        timeLimits: { low: limits(60, 240), medium: limits(30, 120), high: limits(15, 60) },
      },
      {
        level: 2,
        id: 'store-manager',
        name: '店长 Store manager',
        roles: ['manager'],
        timeLimits: { low: limits(120, 480), medium: limits(60, 240), high: limits(30, 120) },
      },
      {
        level: 3,
        id: 'customer-relations',
        name: '客户关系部 Customer relations',
        roles: ['relations'],
        timeLimits: { low: limits(240, 960), medium: limits(120, 480), high: limits(60, 240) },
      },
      {
        level: 4,
        id: 'gm-office',
        name: '总经理办公室 GM’s office',
        roles: ['gm-office'],
        timeLimits: { low: limits(480, 1440), medium: limits(240, 960), high: limits(120, 480) },
      },
      {
        level: 5,
        id: 'gm',
        name: '总经理 General manager',
        roles: ['gm'],
        timeLimits: { low: limits(480, 2400), medium: limits(480, 1440), high: limits(240, 960) },
      },
    ],
    quality: [
      {
        level: 1,
        id: 'quality-station',
        name: '质检站 Quality station',
        roles: ['quality'],
        timeLimits: { low: limits(60, 1440), medium: limits(60, 960), high: limits(30, 480) },
      },
      {
        level: 2,
        id: 'customer-relations',
        name: '客户关系部 Customer relations',
        roles: ['relations'],
        timeLimits: { low: limits(120, 960), medium: limits(120, 480), high: limits(60, 240) },
      },
      {
        level: 3,
        id: 'gm',
        name: '总经理 General manager',
        roles: ['gm'],
        timeLimits: { low: limits(480, 2400), medium: limits(480, 1440), high: limits(240, 960) },
      },
    ],
  },
  routes: { 'after-sales': 'quality' },
  verifierRoles: { 'after-sales': ['relations'] },
  // Vouchers and goodwill points count against the same money limit as compensation.
  remedies: { voucher: { action: 'compensation' }, 'goodwill-points': { action: 'compensation' } },
  causes: ['stale-goods', 'pricing-error', 'rude-service', 'slow-checkout', 'faulty-product', 'other'],
  reopenWindowDays: 15,
  surveys: {
    questionnaires: [
      {
        id: 'after-case',
        name: '问题解决了吗? Did we fix it?',
        trigger: 'case-closed',
        questions: [{ id: 'fixed', indicator: 'resolution', scale: '1-5', text: 'How well was your problem solved?' }],
      },
    ],
  },
};

/** What the section needs from the wired instance (created with `complaints(TIANTIAN_LADDER)`). */
export type ComplaintsDemoCrm = Pick<Clientele, 'customers' | 'roles' | 'staff' | 'purchases' | 'runDue'> & {
  complaints: ComplaintsApi;
};

/** Options of {@link complaintsSection}. */
export interface ComplaintsSectionOptions {
  /**
   * A voucher template of the loyalty module to compensate with; without one (or without vouchers) the claim is paid in
   * cash.
   */
  voucherTemplateId?: string;
}

const CLERK = { actor: { staffId: 'S01-C1' } };
const MANAGER = { actor: { staffId: 'S01-M1' } };
const RELATIONS = { actor: { staffId: 'HQ-CR1' } };
const QUALITY = { actor: { staffId: 'S01-Q1' } };
const HQ = { actor: { system: 'head-office-setup' } };

const COMPLAINT_RIGHTS: Record<string, string[]> = {
  clerk: ['complaints.handle', 'surveys.record'],
  manager: ['complaints.handle', 'complaints.approve', 'complaints.escalate', 'complaints.verify', 'surveys.record'],
  relations: ['complaints.*', 'surveys.*', 'loyalty.*'],
};

/** Gives the chain's desks their complaint rights and adds the quality station and the top of the ladder. */
async function staffTheLadder(crm: ComplaintsDemoCrm): Promise<void> {
  for (const [roleId, rights] of Object.entries(COMPLAINT_RIGHTS)) {
    const role = await crm.roles.get(roleId);
    await crm.roles.define(
      {
        id: role.id,
        name: role.name,
        permissions: [...new Set([...role.permissions, ...rights])],
        limits: role.limits,
      },
      HQ,
    );
  }
  await crm.roles.define(
    {
      id: 'quality',
      name: '质检站 Quality station',
      permissions: ['complaints.handle', 'complaints.rule', 'sales.return'],
      limits: { refund: 30000, exchange: 100000, repair: 100000 },
    },
    HQ,
  );
  await crm.roles.define(
    {
      id: 'gm-office',
      name: '总经理办公室 GM’s office',
      permissions: ['complaints.*'],
      limits: { compensation: 500000, refund: 500000 },
    },
    HQ,
  );
  await crm.roles.define(
    {
      id: 'gm',
      name: '总经理 General manager',
      permissions: ['*'],
      limits: { compensation: 5000000, refund: 5000000, exchange: 5000000 },
    },
    HQ,
  );
  await crm.staff.add({ id: 'S01-Q1', name: '刘工', storeId: 'S01', roleId: 'quality' }, HQ);
  await crm.staff.add({ id: 'HQ-GMO1', name: '孙伟', storeId: 'S01', roleId: 'gm-office' }, HQ);
  await crm.staff.add({ id: 'HQ-GM', name: '周总', storeId: 'S01', roleId: 'gm' }, HQ);
}

function hasVouchers(crm: ComplaintsDemoCrm): boolean {
  const loyalty = (crm as unknown as { loyalty?: { vouchers?: { issue?: unknown } } }).loyalty;
  return typeof loyalty?.vouchers?.issue === 'function';
}

/**
 * A price question closed as answered with nothing owed, then reopened when the customer calls back: with the
 * default `reopen: 'continue'` the resolve clock keeps the time that was left, and the closed time counts as
 * paused. Moves the clock 21 minutes.
 */
async function reopenedKeepsItsClock(crm: ComplaintsDemoCrm, clock: ManualClock, customerId: string): Promise<void> {
  const minutes = (ms: number) => Math.round(ms / 60_000);
  let question = await crm.complaints.open(
    {
      kind: 'complaint',
      channel: 'phone',
      storeId: 'S01',
      customerId,
      category: 'dairy',
      severity: 'medium',
      description: 'Charged 12.90 for milk marked 9.90 on the shelf.',
    },
    CLERK,
  );
  clock.advance(3 * 60_000);
  await crm.complaints.acknowledge({ caseId: question.id }, CLERK);
  clock.advance(7 * 60_000);
  question = await crm.complaints.close(
    { caseId: question.id, outcome: 'answered', reason: 'The 9.90 is the member price; she had no card with her.' },
    CLERK,
  );
  const limit = crm.complaints.config.ladders['service']![0]!.timeLimits['medium']!.resolve!;
  const left = minutes(question.resolveBy!.getTime() - question.resolvedAt!.getTime());
  line('');
  line(
    `3. ${question.caseNo}, a price question by phone: first response after ` +
      `${(question.sla.firstResponseBusinessSeconds ?? 0) / 60} business minutes, closed as ` +
      `${question.outcome} with nothing owed; of its ${limit} minutes to resolve, ${left} were left.`,
  );
  clock.advance(8 * 60_000);
  question = await crm.complaints.reopen({ caseId: question.id, note: 'Calls back: she is a member.' }, CLERK);
  const fresh = new Date(clock.now().getTime() + limit * 60_000);
  line(
    `   Reopened ${local(clock.now())}: the clock goes on where it stopped, resolve due ` +
      `${local(question.resolveBy!)} (the ${left} minutes left), not ${local(fresh)} as a fresh clock would give.`,
  );
  line(`   Minutes the case stood closed, counted as paused: ${question.sla.pausedBusinessSeconds / 60}.`);
  // She is a member after all: the price difference is refunded within the time that was left.
  clock.advance(3 * 60_000);
  await crm.complaints.propose({ caseId: question.id, remedies: [{ type: 'refund', amount: 300 }] }, CLERK);
  await crm.complaints.answer({ caseId: question.id, accepted: true }, CLERK);
  await crm.complaints.execute({ caseId: question.id }, CLERK);
  await crm.complaints.verify({ caseId: question.id }, MANAGER);
  question = await crm.complaints.close({ caseId: question.id, rootCause: 'pricing-error' }, CLERK);
  line(
    `   Refunded the ${yuan(question.remedyCost)} difference; closed ${local(question.closedAt!)}, resolve clock ` +
      `${question.sla.resolve.status}.`,
  );
}

/** Runs the section. Moves the demo's clock forward by a few hours. */
export async function complaintsSection(
  crm: ComplaintsDemoCrm,
  clock: ManualClock,
  options: ComplaintsSectionOptions = {},
): Promise<void> {
  heading('Complaints: the Tiantian ladder and quality station');
  await staffTheLadder(crm);
  const config = crm.complaints.config;
  table(
    ['Ladder', 'Level', 'Desk', 'Roles', 'Medium: ack / resolve (business min):'],
    Object.entries(config.ladders).flatMap(([id, levels]) =>
      levels.map((l) => [
        id,
        String(l.level),
        l.name,
        l.roles.join(', '),
        `${l.timeLimits['medium']!.acknowledge} / ${l.timeLimits['medium']!.resolve}`,
      ]),
    ),
  );
  const authority = await Promise.all(
    ['clerk', 'manager', 'relations'].map(
      async (r) => `${r} ${yuan((await crm.roles.get(r)).limits['compensation'] ?? 0)}`,
    ),
  );
  line(`Compensation authority (role limits; vouchers and goodwill points count the same): ${authority.join(', ')}.`);

  const chen = await crm.customers.register(
    { kind: 'individual', name: '陈静', phone: '137 2222 3333', homeStoreId: 'S01' },
    CLERK,
  );
  const liu = await crm.customers.register(
    { kind: 'individual', name: '刘洋', phone: '136 4444 5555', homeStoreId: 'S01' },
    CLERK,
  );

  // 1. At the counter, within the clerk's authority: settled at once.
  clock.advance(15 * 60_000);
  const counter = await crm.complaints.settleAtCounter(
    {
      case: {
        kind: 'complaint',
        channel: 'counter',
        storeId: 'S01',
        customerId: chen.id,
        category: 'fresh-food',
        severity: 'low',
        description: 'Yoghurt past its date on the shelf.',
        items: [{ sku: 'YOGURT-4', name: '酸奶 4 杯' }],
      },
      remedies: [{ type: 'compensation', amount: 3000 }],
      rootCause: 'stale-goods',
      resolution: 'Paid 30 yuan at the counter; shelf checked and cleared.',
    },
    { ...CLERK, idempotencyKey: 'S01-counter-case-0001' },
  );
  line('');
  line(
    `1. ${chen.displayName} at the counter: ${counter.caseNo} settled at once by clerk 李娜 ` +
      `with ${yuan(counter.remedyCost)} (${counter.status}).`,
  );
  line(
    `   Stages on record: ${(await crm.complaints.history(counter.id, RELATIONS)).map((h) => h.toStatus).join(' → ')}`,
  );

  // 2. An 800-yuan claim: above the clerk and the store manager, it goes straight to customer relations.
  clock.advance(20 * 60_000);
  let claim = await crm.complaints.open(
    {
      kind: 'complaint',
      channel: 'phone',
      storeId: 'S01',
      customerId: liu.id,
      category: 'bakery',
      severity: 'medium',
      description: 'Birthday cake for 30 guests delivered spoiled; the party was ruined. Asks 800 yuan.',
    },
    CLERK,
  );
  await crm.complaints.acknowledge({ caseId: claim.id }, CLERK);
  await crm.complaints.investigate(
    { caseId: claim.id, note: 'Bakery confirms the cold chain broke on delivery.' },
    CLERK,
  );
  const vouchers = Boolean(options.voucherTemplateId) && hasVouchers(crm);
  const remedy = vouchers
    ? { type: 'voucher' as const, templateId: options.voucherTemplateId!, amount: 80000 }
    : { type: 'compensation' as const, amount: 80000 };
  claim = await crm.complaints.propose({ caseId: claim.id, remedies: [remedy] }, CLERK);
  line('');
  line(
    `2. ${liu.displayName} by phone: ${claim.caseNo}, ${remedy.type} of ${yuan(80000)} proposed by the clerk ` +
      `→ above her 50 yuan and the manager's 500:`,
  );
  line(
    `   escalated to level ${claim.level} (${claim.levelName}) at once, request recorded ` +
      `(${claim.remedies[0]!.status}).`,
  );
  const tooLow = await crm.complaints.approve({ caseId: claim.id }, MANAGER).catch((e: unknown) => e);
  if (isClienteleError(tooLow))
    line(
      `   The store manager tries to approve → ${tooLow.code} (limit ${String(tooLow.details['limit'])} fen); ` +
        `the refusal is audited.`,
    );
  clock.advance(40 * 60_000);
  await crm.complaints.acknowledge({ caseId: claim.id }, RELATIONS);
  claim = await crm.complaints.approve({ caseId: claim.id, note: 'Spoilage confirmed by the bakery.' }, RELATIONS);
  await crm.complaints.answer({ caseId: claim.id, accepted: true }, RELATIONS);
  claim = await crm.complaints.execute({ caseId: claim.id }, RELATIONS);
  claim = await crm.complaints.verify({ caseId: claim.id }, RELATIONS);
  claim = await crm.complaints.close(
    { caseId: claim.id, rootCause: 'stale-goods', resolution: 'Compensated; delivery van refrigeration repaired.' },
    RELATIONS,
  );
  const issued = claim.remedies[0]!;
  const result = issued.result as { display?: string; code?: string } | null;
  const settled =
    issued.type === 'voucher'
      ? `voucher ${String(result?.display ?? result?.code ?? '')} issued through crm.loyalty`
      : 'paid as compensation (no voucher module wired)';
  line(
    `   赵敏 (customer relations) approves: approved by ${issued.approvedBy}; ${settled}; ` +
      `${claim.caseNo} ${claim.status}.`,
  );
  const action = await crm.complaints.actions.create(
    {
      caseId: claim.id,
      description: 'Check delivery van refrigeration before every cake delivery',
      ownerStaffId: 'S01-M1',
      dueInMinutes: 24 * 60,
    },
    RELATIONS,
  );
  line(`   Corrective action for the store manager, due ${local(action.dueAt)}: ${action.description}.`);

  // 3. Closed early and reopened: the clock goes on where it stopped, so an early close buys no new window.
  await reopenedKeepsItsClock(crm, clock, chen.id);

  // 4. A "three guarantees" exchange at the quality station, executed late and supervised to the end.
  const kettleSale = await crm.purchases.record(
    {
      storeId: 'S01',
      terminalId: 'T3',
      receiptNo: 'S01-T3-0001',
      customerId: liu.id,
      lines: [{ sku: 'KETTLE-17', name: '电热水壶 1.7L', category: 'appliances', quantity: 1, unitPrice: 15900 }],
    },
    { ...CLERK, idempotencyKey: 'sale:S01-T3-0001' },
  );
  clock.advance(30 * 60_000);
  let exchange = await crm.complaints.open(
    {
      kind: 'after-sales',
      request: 'exchange',
      channel: 'counter',
      storeId: 'S01',
      purchaseId: kettleSale.id,
      items: [{ sku: 'KETTLE-17', lineNo: 1 }],
      category: 'appliances',
      severity: 'medium',
      description: 'Kettle stops heating after two days.',
    },
    QUALITY,
  );
  await crm.complaints.acknowledge({ caseId: exchange.id }, QUALITY);
  await crm.complaints.explain(
    { caseId: exchange.id, note: 'Three guarantees: a performance fault within 15 days is exchanged.' },
    QUALITY,
  );
  await crm.complaints.mediate({ caseId: exchange.id }, QUALITY);
  await crm.complaints.rule({ caseId: exchange.id, decision: 'exchange', amount: 15900 }, QUALITY);
  exchange = await crm.complaints.execute(
    {
      caseId: exchange.id,
      task: { ownerStaffId: 'S01-Q1', description: 'Hand over a new kettle from the warehouse', dueInMinutes: 120 },
    },
    QUALITY,
  );
  line('');
  line(
    `4. ${exchange.caseNo} at the ${exchange.levelName}: received → explained → mediated → ruled exchange; ` +
      `task for 刘工 due ${local(exchange.taskDueAt!)}.`,
  );
  clock.advance(3 * 60 * 60_000);
  const due = await crm.runDue();
  exchange = await crm.complaints.get(exchange.id, RELATIONS);
  const done = Object.entries(due['complaints'] ?? {})
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  line(
    `   ${local(clock.now())}, the warehouse is late: crm.runDue() → ${done || 'nothing due'}; the case is ` +
      `now with ${exchange.levelName} (level ${exchange.level}).`,
  );
  clock.advance(45 * 60_000);
  await crm.complaints.completeTask(
    { caseId: exchange.id, note: 'New kettle handed over, tested in front of the customer.' },
    QUALITY,
  );
  await crm.complaints.acknowledge({ caseId: exchange.id }, RELATIONS);
  await crm.complaints.verify({ caseId: exchange.id, note: 'Customer called back: the new kettle works.' }, RELATIONS);
  exchange = await crm.complaints.close({ caseId: exchange.id, rootCause: 'faulty-product' }, RELATIONS);
  line(
    `   Task done ${local(clock.now())} (late), verified by customer relations, ${exchange.caseNo} ${exchange.status}.`,
  );

  const from = new Date(clock.now().getTime() - 24 * 60 * 60_000);
  const to = new Date(clock.now().getTime() + 60_000);
  heading('SLA report: acknowledged and resolved within time, per level (last 24 hours)');
  line('Minutes: the mean business minutes a case spent at the level.');
  const sla = await crm.complaints.reports.sla({ from, to });
  const pct = (share: number | null) => (share === null ? '-' : `${Math.round(share * 100)}%`);
  table(
    ['Store', 'Ladder', 'Level', 'Cases:', 'Acked in time:', 'Resolved in time:', 'Passed on:', 'Minutes:'],
    sla.rows.map((r) => [
      r.storeId,
      r.ladder,
      `${r.level} ${r.levelId}`,
      String(r.cases),
      pct(r.acknowledged.share),
      pct(r.resolved.share),
      String(r.resolved.passedOn),
      String(r.meanBusinessMinutes ?? '-'),
    ]),
  );

  heading('Cause ranking (Pareto): what to fix first');
  const causes = await crm.complaints.reports.causes({ from, to, by: 'cost' });
  table(
    ['Rank:', 'Root cause', 'Cases:', 'Cost:', 'Share:', 'Cumulative:', 'Vital few'],
    causes.rows.map((r) => [
      String(r.rank),
      r.cause,
      String(r.cases),
      yuan(r.cost),
      `${Math.round(r.share * 100)}%`,
      `${Math.round(r.cumulative * 100)}%`,
      r.vital ? 'yes' : '',
    ]),
  );
  const invitations = await crm.complaints.surveys.invitations({ status: 'open' }, RELATIONS);
  line(`${invitations.items.length} "did we fix it?" surveys are waiting to be sent for the closed cases.`);
}
