/**
 * Service recovery with the real modules: a complaint remedied with goodwill points and with a
 * voucher through `crm.loyalty`, issued inside the transaction that carries the remedy out, each
 * exactly once. The chain counts every kind of compensation against one money limit (the complaints
 * module's `remedies` mapping), and the loyalty module agrees: a role without a `goodwill-points` or
 * `voucher` limit is held to its `compensation` limit there too. Settling at the counter is one
 * transaction: when the loyalty module refuses (its own authority check, a retired template), nothing
 * is kept but the refusal's audit and the caller gets the loyalty module's own error.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createClientele, manualClock, type Store } from '@clientele/core';
import { auditLog, defineModule, scan, type NoEvents } from '@clientele/core/module';
import { coreCollections } from '@clientele/core/adapter';
import {
  complaints,
  complaintsCollections,
  issueKey,
  type ComplaintEvents,
  type ComplaintsConfigInput,
} from '@clientele/complaints';
import {
  entriesCollection,
  loyalty,
  loyaltyCollections,
  voucherEntriesCollection,
  vouchersCollection,
} from '@clientele/loyalty';
import { STORE_KINDS } from './support/stores.js';

const SYSTEM = { actor: { system: 'test-setup' } } as const;
const CLERK = { actor: { staffId: 'E-CLERK' } } as const;
const TRAINEE = { actor: { staffId: 'E-TRAINEE' } } as const;
const limits = (acknowledge: number, resolve: number) => ({ acknowledge, resolve });

const LADDER: ComplaintsConfigInput = {
  ladders: {
    service: [
      {
        level: 1,
        id: 'counter',
        name: 'Counter clerk',
        roles: ['clerk', 'trainee'],
        timeLimits: { low: limits(60, 240), medium: limits(30, 120), high: limits(15, 60) },
      },
      {
        level: 2,
        id: 'store-manager',
        name: 'Store manager',
        roles: ['manager'],
        timeLimits: { low: limits(120, 480), medium: limits(60, 240), high: limits(30, 120) },
      },
    ],
  },
  // One money limit for every kind of compensation.
  remedies: { voucher: { action: 'compensation' }, 'goodwill-points': { action: 'compensation' } },
  pointValue: 1,
  causes: ['stale-goods', 'slow-checkout', 'other'],
};

/**
 * A module whose in-transaction handler of `complaint.closed` throws once: a failure after the loyalty call, before
 * commit.
 */
function failOnClose(control: { times: number }) {
  return defineModule<string, object, NoEvents, ComplaintEvents>({
    name: 'fail-on-close',
    setup() {
      return {
        api: {},
        handlers: [
          {
            event: 'complaint.closed',
            run: async () => {
              if (control.times > 0) {
                control.times--;
                throw new Error('the till lost power while closing the case');
              }
            },
          },
        ],
      };
    },
  });
}

async function openShop(store: Store, control = { times: 0 }) {
  const reported: string[] = [];
  const crm = createClientele({
    store,
    clock: manualClock('2026-11-02T02:00:00Z'),
    modules: [
      complaints(LADDER),
      loyalty({ id: 'tiantian', timeZone: 'Asia/Shanghai' }),
      failOnClose(control),
    ] as const,
    onListenerError: (error) => void reported.push((error as Error).message),
  });
  await crm.migrate();
  await crm.stores.create({ id: 'S01', name: '人民路店', region: 'East', timeZone: 'Asia/Shanghai' }, SYSTEM);
  const rights = ['customers.write', 'complaints.handle', 'loyalty.goodwill', 'loyalty.vouchers.issue'];
  await crm.roles.define(
    { id: 'clerk', name: 'Counter clerk', permissions: rights, limits: { compensation: 5000 } },
    SYSTEM,
  );
  // A trainee may compensate 50 yuan, but only 10 yuan of it in goodwill points: the loyalty module holds goodwill to
  // its own limit.
  await crm.roles.define(
    { id: 'trainee', name: 'Trainee', permissions: rights, limits: { compensation: 5000, 'goodwill-points': 1000 } },
    SYSTEM,
  );
  await crm.roles.define(
    { id: 'manager', name: 'Store manager', permissions: [...rights, 'complaints.*'], limits: { compensation: 50000 } },
    SYSTEM,
  );
  await crm.staff.add({ id: 'E-CLERK', name: '李娜', storeId: 'S01', roleId: 'clerk' }, SYSTEM);
  await crm.staff.add({ id: 'E-TRAINEE', name: '陈晨', storeId: 'S01', roleId: 'trainee' }, SYSTEM);
  await crm.staff.add({ id: 'E-MANAGER', name: '王强', storeId: 'S01', roleId: 'manager' }, SYSTEM);
  await crm.loyalty.vouchers.defineTemplate(
    { id: 'SORRY-20', name: 'Sorry 20', value: { kind: 'amount', amount: 2000 }, validity: { kind: 'days', days: 30 } },
    SYSTEM,
  );
  await crm.loyalty.vouchers.defineTemplate(
    {
      id: 'SORRY-100',
      name: 'Sorry 100',
      value: { kind: 'amount', amount: 10000 },
      validity: { kind: 'days', days: 30 },
    },
    SYSTEM,
  );
  await crm.loyalty.vouchers.defineTemplate(
    { id: 'OLD-10', name: 'Old 10', value: { kind: 'amount', amount: 1000 }, validity: { kind: 'days', days: 30 } },
    SYSTEM,
  );
  await crm.loyalty.vouchers.retireTemplate({ templateId: 'OLD-10' }, SYSTEM);
  const customer = await crm.customers.register({ kind: 'individual', name: '张伟', homeStoreId: 'S01' }, CLERK);
  return { crm, store, customerId: customer.id, reported };
}

type Shop = Awaited<ReturnType<typeof openShop>>;

/** Opens a case and takes it to an accepted remedy, then executes it. */
async function remedied(shop: Shop, remedy: object, approverStaffId?: string, key?: string) {
  const { crm, customerId } = shop;
  const c = await crm.complaints.open(
    {
      kind: 'complaint',
      channel: 'counter',
      storeId: 'S01',
      customerId,
      category: 'service',
      severity: 'low',
      description: 'Charged twice for the same milk.',
    },
    CLERK,
  );
  await crm.complaints.acknowledge({ caseId: c.id }, CLERK);
  await crm.complaints.investigate({ caseId: c.id }, CLERK);
  await crm.complaints.propose(
    { caseId: c.id, remedies: [remedy as never], ...(approverStaffId ? { approverStaffId } : {}) },
    CLERK,
  );
  await crm.complaints.answer({ caseId: c.id, accepted: true }, CLERK);
  return crm.complaints.execute({ caseId: c.id }, { ...CLERK, ...(key ? { idempotencyKey: key } : {}) });
}

async function rows<T>(
  store: Store,
  collection: Parameters<typeof scan>[1],
  where: (row: T) => boolean = () => true,
): Promise<T[]> {
  const out: T[] = [];
  for await (const row of scan(store, collection)) if (where(row as T)) out.push(row as T);
  return out;
}

/** Every row of core, complaints and loyalty but the audit log, as JSON text per collection. */
async function everythingButAudit(store: Store): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const c of [...coreCollections, ...complaintsCollections, ...loyaltyCollections]) {
    if (c.name === auditLog.name) continue;
    out[c.name] = JSON.stringify(await rows(store, c));
  }
  return out;
}

const counterCase = (customerId: string) => ({
  kind: 'complaint' as const,
  channel: 'counter' as const,
  storeId: 'S01',
  customerId,
  category: 'service',
  severity: 'low',
  description: 'Waited twenty minutes at the only open till.',
});

describe.each(STORE_KINDS)('service recovery through the loyalty module on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it(
    'grants goodwill points once, within the clerk’s compensation limit, and a retried execution answers ' +
      'with its first result',
    async () => {
      const shop = await openShop(await kind.open());
      const c = await remedied(
        shop,
        { type: 'goodwill-points', points: 3000, note: 'apology' },
        undefined,
        'desk-1-execute',
      );
      expect(c.remedies[0]).toMatchObject({ status: 'executed', result: { points: 3000, balance: 3000 } });
      // The answer was lost and the desk sends it again: the first result, nothing granted twice.
      expect(
        await shop.crm.complaints.execute({ caseId: c.id }, { ...CLERK, idempotencyKey: 'desk-1-execute' }),
      ).toEqual(c);
      const goodwill = await rows<{ kind: string; points: number; refId: string | null }>(
        shop.store,
        entriesCollection,
        (e) => e.kind === 'goodwill',
      );
      expect(goodwill).toEqual([expect.objectContaining({ points: 3000, refId: c.id })]);
      expect((await shop.crm.loyalty.balance(shop.customerId, SYSTEM)).available).toBe(3000);
      // Asked once more with the remedy's key, the loyalty module answers with the first grant.
      const again = await shop.crm.loyalty.grantGoodwill(
        {
          customerId: shop.customerId,
          points: 3000,
          reason: `Service recovery for case ${c.caseNo}`,
          ref: { type: 'case', id: c.id },
          storeId: 'S01',
        },
        { ...CLERK, idempotencyKey: issueKey(c.id, c.remedies[0]!.id) },
      );
      expect(again).toEqual(c.remedies[0]!.result);
      expect((await shop.crm.loyalty.balance(shop.customerId, SYSTEM)).available).toBe(3000);
    },
  );

  it('issues a voucher once, linked to the case, in the execution’s own transaction', async () => {
    const shop = await openShop(await kind.open());
    const c = await remedied(shop, { type: 'voucher', templateId: 'SORRY-20', amount: 2000 });
    const vouchers = await rows<{
      id: string;
      code: string;
      customerId: string;
      source: string;
      refType: string;
      refId: string;
      status: string;
    }>(shop.store, vouchersCollection);
    expect(vouchers).toHaveLength(1);
    expect(vouchers[0]).toMatchObject({
      customerId: shop.customerId,
      source: 'service-recovery',
      refType: 'case',
      refId: c.id,
      status: 'active',
    });
    expect(c.remedies[0]).toMatchObject({
      status: 'executed',
      result: { id: vouchers[0]!.id, code: vouchers[0]!.code },
    });
    expect(await rows(shop.store, voucherEntriesCollection)).toHaveLength(1);
    expect(
      (await shop.crm.loyalty.vouchers.ofCustomer(shop.customerId, SYSTEM)).items.map((v) => v.templateId),
    ).toEqual(['SORRY-20']);
    expect((await shop.crm.timeline(shop.customerId, SYSTEM)).items.map((t) => t.kind)).toEqual(
      expect.arrayContaining(['voucher-issued', 'remedy-issued']),
    );
  });

  it(
    'lets the clerk execute a voucher above her limit that the manager approved at the counter, and the ' +
      'loyalty module checks the manager',
    async () => {
      const shop = await openShop(await kind.open());
      const c = await remedied(shop, { type: 'voucher', templateId: 'SORRY-100', amount: 10000 }, 'E-MANAGER');
      expect(c.remedies[0]).toMatchObject({ status: 'executed', approvedBy: 'E-MANAGER' });
      const [voucher] = await rows<{ id: string }>(shop.store, vouchersCollection);
      expect((await shop.crm.loyalty.vouchers.history(voucher!.id, SYSTEM))[0]!.details).toMatchObject({
        source: 'service-recovery',
        approvedBy: 'E-MANAGER',
      });
      // Without an approver the same voucher is beyond the clerk for both modules alike.
      const refused = await shop.crm.loyalty.vouchers
        .issue(
          {
            templateId: 'SORRY-100',
            customerId: shop.customerId,
            source: 'service-recovery',
            ref: { type: 'case', id: c.id },
          },
          { ...CLERK, idempotencyKey: 'direct-100' },
        )
        .catch((e: unknown) => e);
      expect(refused).toMatchObject({ code: 'AUTHORITY_EXCEEDED', details: { action: 'compensation', limit: 5000 } });
    },
  );

  it(
    'settles at the counter in one transaction: the case closed, the remedies executed, the points and the ' +
      'voucher there',
    async () => {
      const shop = await openShop(await kind.open());
      const input = {
        case: counterCase(shop.customerId),
        remedies: [
          { type: 'goodwill-points' as const, points: 800 },
          { type: 'voucher' as const, templateId: 'SORRY-20', amount: 2000 },
        ],
        rootCause: 'slow-checkout',
      };
      const c = await shop.crm.complaints.settleAtCounter(input, { ...CLERK, idempotencyKey: 'counter-0001' });
      expect(c).toMatchObject({ status: 'closed', remedyCost: 2800 });
      expect(c.remedies).toEqual([
        expect.objectContaining({
          type: 'goodwill-points',
          status: 'executed',
          result: expect.objectContaining({ points: 800 }),
        }),
        expect.objectContaining({ type: 'voucher', status: 'executed' }),
      ]);
      expect((await shop.crm.loyalty.balance(shop.customerId, SYSTEM)).available).toBe(800);
      expect((await shop.crm.loyalty.vouchers.ofCustomer(shop.customerId, SYSTEM)).items).toEqual([
        expect.objectContaining({ templateId: 'SORRY-20', code: (c.remedies[1]!.result as { code: string }).code }),
      ]);
      // Every stage is in the case's history, each loyalty remedy's issue among them.
      expect((await shop.crm.complaints.history(c.id, SYSTEM)).map((h) => h.action)).toEqual([
        'open',
        'acknowledge',
        'investigate',
        'propose',
        'accept',
        'execute',
        'remedy-issued',
        'remedy-issued',
        'verify',
        'close',
      ]);
    },
  );

  it(
    'rolls the points and the voucher back when settling fails after the loyalty calls, and settles once ' +
      'when sent again',
    async () => {
      const control = { times: 1 };
      const shop = await openShop(await kind.open(), control);
      const before = await everythingButAudit(shop.store);
      const input = {
        case: counterCase(shop.customerId),
        remedies: [
          { type: 'goodwill-points' as const, points: 800 },
          { type: 'voucher' as const, templateId: 'SORRY-20', amount: 2000 },
        ],
        rootCause: 'slow-checkout',
      };
      const error = await shop.crm.complaints
        .settleAtCounter(input, { ...CLERK, idempotencyKey: 'counter-0002' })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ message: 'the till lost power while closing the case' });
      expect(await everythingButAudit(shop.store)).toEqual(before);
      expect((await shop.crm.loyalty.balance(shop.customerId, SYSTEM)).available).toBe(0);
      const c = await shop.crm.complaints.settleAtCounter(input, { ...CLERK, idempotencyKey: 'counter-0002' });
      expect(c).toMatchObject({ status: 'closed', remedyCost: 2800 });
      expect(await rows(shop.store, entriesCollection, (e: { kind: string }) => e.kind === 'goodwill')).toHaveLength(1);
      expect(await rows(shop.store, vouchersCollection)).toHaveLength(1);
    },
  );

  it('answers a settle sent again with the same key with the same case, issuing nothing twice', async () => {
    const shop = await openShop(await kind.open());
    const input = {
      case: counterCase(shop.customerId),
      remedies: [
        { type: 'goodwill-points' as const, points: 500 },
        { type: 'voucher' as const, templateId: 'SORRY-20', amount: 2000 },
      ],
      rootCause: 'slow-checkout',
    };
    const first = await shop.crm.complaints.settleAtCounter(input, { ...CLERK, idempotencyKey: 'counter-0003' });
    const after = await everythingButAudit(shop.store);
    expect(await shop.crm.complaints.settleAtCounter(input, { ...CLERK, idempotencyKey: 'counter-0003' })).toEqual(
      first,
    );
    expect(await everythingButAudit(shop.store)).toEqual(after);
    expect(await rows(shop.store, entriesCollection, (e: { kind: string }) => e.kind === 'goodwill')).toHaveLength(1);
    expect(await rows(shop.store, vouchersCollection)).toHaveLength(1);
    expect((await shop.crm.loyalty.balance(shop.customerId, SYSTEM)).available).toBe(500);
  });

  it(
    'refuses a settle whose goodwill the loyalty module holds above the handler’s limit with ' +
      'AUTHORITY_EXCEEDED, keeping only the audited refusal',
    async () => {
      const shop = await openShop(await kind.open());
      const before = await everythingButAudit(shop.store);
      const audited = (await rows(shop.store, auditLog)).length;
      // 30 yuan of goodwill is within the trainee's compensation limit, which complaints checks, but not her goodwill
      // limit, which loyalty checks.
      const input = {
        case: counterCase(shop.customerId),
        remedies: [{ type: 'goodwill-points' as const, points: 3000 }],
        rootCause: 'slow-checkout',
      };
      const error = await shop.crm.complaints.settleAtCounter(input, TRAINEE).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'AUTHORITY_EXCEEDED',
        details: { action: 'goodwill-points', amount: 3000, limit: 1000, actor: { staffId: 'E-TRAINEE' } },
      });
      expect(await everythingButAudit(shop.store)).toEqual(before);
      expect(await shop.crm.complaints.list({ status: 'all' }, SYSTEM)).toMatchObject({ items: [] });
      const audit = await rows<{ command: string; outcome: string; errorCode: string | null }>(shop.store, auditLog);
      expect(audit.slice(audited)).toEqual([
        expect.objectContaining({
          command: 'loyalty.grant-goodwill',
          outcome: 'refused',
          errorCode: 'AUTHORITY_EXCEEDED',
        }),
      ]);
      // With the store manager named as approver at the counter, both modules let it through.
      const c = await shop.crm.complaints.settleAtCounter({ ...input, approverStaffId: 'E-MANAGER' }, TRAINEE);
      expect(c).toMatchObject({
        status: 'closed',
        remedies: [expect.objectContaining({ status: 'executed', approvedBy: null })],
      });
      const [entry] = await rows<{ kind: string; details: unknown }>(
        shop.store,
        entriesCollection,
        (e) => e.kind === 'goodwill',
      );
      expect(entry!.details).toMatchObject({ approvedBy: 'E-MANAGER' });
    },
  );

  it('counts a loyalty remedy once toward the handler’s daily limit, though both modules check it', async () => {
    const shop = await openShop(await kind.open());
    // 50 yuan of compensation a day, goodwill counted as compensation by both modules.
    await shop.crm.roles.define(
      {
        id: 'clerk',
        name: 'Counter clerk',
        permissions: ['customers.write', 'complaints.handle', 'loyalty.goodwill', 'loyalty.vouchers.issue'],
        limits: { compensation: 5000 },
        dailyLimits: { compensation: 5000 },
      },
      SYSTEM,
    );
    const settle = (points: number, key: string) =>
      shop.crm.complaints.settleAtCounter(
        {
          case: counterCase(shop.customerId),
          remedies: [{ type: 'goodwill-points' as const, points }],
          rootCause: 'slow-checkout',
        },
        { ...CLERK, idempotencyKey: key },
      );
    expect(await settle(3000, 'counter-daily-1')).toMatchObject({ status: 'closed' });
    // 30 of the day's 50 yuan used, once: 20 are left, so 20 passes and 1 more does not.
    expect(await settle(2000, 'counter-daily-2')).toMatchObject({ status: 'closed' });
    expect(await settle(1, 'counter-daily-3').catch((e: unknown) => e)).toMatchObject({
      code: 'AUTHORITY_EXCEEDED',
      details: { period: 'day', dailyLimit: 5000, usedToday: 5000 },
    });
    expect((await shop.crm.loyalty.balance(shop.customerId, SYSTEM)).available).toBe(5000);
  });

  it(
    'refuses a settle with a retired voucher template with the loyalty module’s own error, keeping ' + 'nothing',
    async () => {
      const shop = await openShop(await kind.open());
      const before = await everythingButAudit(shop.store);
      const input = {
        case: counterCase(shop.customerId),
        remedies: [
          { type: 'compensation' as const, amount: 500 },
          { type: 'voucher' as const, templateId: 'OLD-10', amount: 1000 },
        ],
        rootCause: 'slow-checkout',
      };
      const error = await shop.crm.complaints
        .settleAtCounter(input, { ...CLERK, idempotencyKey: 'counter-0004' })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'INVALID_STATE',
        path: ['templateId'],
        details: { reason: 'template_retired' },
      });
      expect(await everythingButAudit(shop.store)).toEqual(before);
    },
  );
});
