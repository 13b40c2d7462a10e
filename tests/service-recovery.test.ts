/**
 * Service recovery with the real modules: a complaint remedied with goodwill points and with a
 * voucher through `crm.loyalty`, each issued exactly once even when the step is retried after its
 * answer was lost. The chain counts every kind of compensation against one money limit (the
 * complaints module's `remedies` mapping), and the loyalty module agrees: a role without a
 * `goodwill-points` or `voucher` limit is held to its `compensation` limit there too.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createClientele, manualClock, scan, type Store } from '@clientele/core';
import { complaints, issueKey, type ComplaintsConfigInput } from '@clientele/complaints';
import { entriesCollection, loyalty, voucherEntriesCollection, vouchersCollection } from '@clientele/loyalty';
import { STORE_KINDS } from './support/stores.js';

const SYSTEM = { actor: { system: 'test-setup' } } as const;
const CLERK = { actor: { staffId: 'E-CLERK' } } as const;
const limits = (acknowledge: number, resolve: number) => ({ acknowledge, resolve });

const LADDER: ComplaintsConfigInput = {
  ladders: {
    service: [
      { level: 1, id: 'counter', name: 'Counter clerk', roles: ['clerk'], timeLimits: { low: limits(60, 240), medium: limits(30, 120), high: limits(15, 60) } },
      { level: 2, id: 'store-manager', name: 'Store manager', roles: ['manager'], timeLimits: { low: limits(120, 480), medium: limits(60, 240), high: limits(30, 120) } },
    ],
  },
  // One money limit for every kind of compensation.
  remedies: { voucher: { action: 'compensation' }, 'goodwill-points': { action: 'compensation' } },
  pointValue: 1,
};

async function openShop(store: Store) {
  const reported: string[] = [];
  const crm = createClientele({
    store,
    clock: manualClock('2026-11-02T02:00:00Z'),
    modules: [complaints(LADDER), loyalty({ id: 'tiantian', timeZone: 'Asia/Shanghai' })] as const,
    onListenerError: (error) => void reported.push((error as Error).message),
  });
  await crm.migrate();
  await crm.stores.create({ id: 'S01', name: '人民路店', region: 'East', timeZone: 'Asia/Shanghai' }, SYSTEM);
  const rights = ['customers.write', 'complaints.handle', 'loyalty.goodwill', 'loyalty.vouchers.issue'];
  await crm.roles.define({ id: 'clerk', name: 'Counter clerk', permissions: rights, limits: { compensation: 5000 } }, SYSTEM);
  await crm.roles.define({ id: 'manager', name: 'Store manager', permissions: [...rights, 'complaints.*'], limits: { compensation: 50000 } }, SYSTEM);
  await crm.staff.add({ id: 'E-CLERK', name: '李娜', storeId: 'S01', roleId: 'clerk' }, SYSTEM);
  await crm.staff.add({ id: 'E-MANAGER', name: '王强', storeId: 'S01', roleId: 'manager' }, SYSTEM);
  await crm.loyalty.vouchers.defineTemplate({ id: 'SORRY-20', name: 'Sorry 20', value: { kind: 'amount', amount: 2000 }, validity: { kind: 'days', days: 30 } }, SYSTEM);
  await crm.loyalty.vouchers.defineTemplate({ id: 'SORRY-100', name: 'Sorry 100', value: { kind: 'amount', amount: 10000 }, validity: { kind: 'days', days: 30 } }, SYSTEM);
  const customer = await crm.customers.register({ kind: 'individual', name: '张伟', homeStoreId: 'S01' }, CLERK);
  return { crm, store, customerId: customer.id, reported };
}

type Shop = Awaited<ReturnType<typeof openShop>>;

/** Opens a case and takes it to an accepted remedy, then executes it. */
async function remedied(shop: Shop, remedy: object, approverStaffId?: string) {
  const { crm, customerId } = shop;
  const c = await crm.complaints.open({ kind: 'complaint', channel: 'counter', storeId: 'S01', customerId, category: 'service', severity: 'low', description: 'Charged twice for the same milk.' }, CLERK);
  await crm.complaints.acknowledge({ caseId: c.id }, CLERK);
  await crm.complaints.investigate({ caseId: c.id }, CLERK);
  await crm.complaints.propose({ caseId: c.id, remedies: [remedy as never], ...(approverStaffId ? { approverStaffId } : {}) }, CLERK);
  await crm.complaints.answer({ caseId: c.id, accepted: true }, CLERK);
  return crm.complaints.execute({ caseId: c.id }, CLERK);
}

async function rows<T>(store: Store, collection: Parameters<typeof scan>[1], where: (row: T) => boolean): Promise<T[]> {
  const out: T[] = [];
  for await (const row of scan(store, collection)) if (where(row as T)) out.push(row as T);
  return out;
}

/** Makes the next call of `fn` on `target` commit and then lose its answer, as a dropped connection would. */
function loseNextAnswer(target: Record<string, unknown>, fn: string): { calls: number } {
  const original = target[fn] as (...args: unknown[]) => Promise<unknown>;
  const seen = { calls: 0 };
  target[fn] = async (...args: unknown[]) => {
    seen.calls++;
    const result = await original(...args);
    if (seen.calls === 1) throw new Error('connection reset after commit');
    return result;
  };
  return seen;
}

describe.each(STORE_KINDS)('service recovery through the loyalty module on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it('grants goodwill points once, within the clerk’s compensation limit, even when the answer is lost and the step retried', async () => {
    const shop = await openShop(await kind.open());
    const seen = loseNextAnswer(shop.crm.loyalty as unknown as Record<string, unknown>, 'grantGoodwill');
    let c = await remedied(shop, { type: 'goodwill-points', points: 3000, note: 'apology' });
    expect(c.remedies[0]).toMatchObject({ status: 'issuing' });
    expect(shop.reported).toEqual(['connection reset after commit']);
    expect((await shop.crm.runDue())['complaints']).toMatchObject({ remediesIssued: 1, remediesFailed: 0 });
    c = await shop.crm.complaints.get(c.id);
    expect(c.remedies[0]).toMatchObject({ status: 'executed', result: { points: 3000, balance: 3000 } });
    expect(seen.calls).toBe(2);
    const goodwill = await rows<{ kind: string; points: number; refId: string | null }>(shop.store, entriesCollection, (e) => e.kind === 'goodwill');
    expect(goodwill).toEqual([expect.objectContaining({ points: 3000, refId: c.id })]);
    expect((await shop.crm.loyalty.balance(shop.customerId)).available).toBe(3000);
    // Asked once more with the same key, the loyalty module answers with the first grant.
    const again = await shop.crm.loyalty.grantGoodwill({ customerId: shop.customerId, points: 3000, reason: `Service recovery for case ${c.caseNo}`, ref: { type: 'case', id: c.id }, storeId: 'S01' }, { ...CLERK, idempotencyKey: issueKey(c.id, c.remedies[0]!.id) });
    expect(again).toEqual(c.remedies[0]!.result);
    expect((await shop.crm.loyalty.balance(shop.customerId)).available).toBe(3000);
  });

  it('issues a voucher once, linked to the case, even when the answer is lost and the step retried', async () => {
    const shop = await openShop(await kind.open());
    const seen = loseNextAnswer(shop.crm.loyalty.vouchers as unknown as Record<string, unknown>, 'issue');
    let c = await remedied(shop, { type: 'voucher', templateId: 'SORRY-20', amount: 2000 });
    expect(c.remedies[0]).toMatchObject({ status: 'issuing' });
    expect(shop.reported).toEqual(['connection reset after commit']);
    expect((await shop.crm.runDue())['complaints']).toMatchObject({ remediesIssued: 1, remediesFailed: 0 });
    c = await shop.crm.complaints.get(c.id);
    expect(seen.calls).toBe(2);
    const vouchers = await rows<{ id: string; code: string; customerId: string; source: string; refType: string; refId: string; status: string }>(shop.store, vouchersCollection, () => true);
    expect(vouchers).toHaveLength(1);
    expect(vouchers[0]).toMatchObject({ customerId: shop.customerId, source: 'service-recovery', refType: 'case', refId: c.id, status: 'active' });
    expect(c.remedies[0]).toMatchObject({ status: 'executed', result: { id: vouchers[0]!.id, code: vouchers[0]!.code } });
    expect(await rows(shop.store, voucherEntriesCollection, () => true)).toHaveLength(1);
    expect((await shop.crm.loyalty.vouchers.ofCustomer(shop.customerId)).items.map((v) => v.templateId)).toEqual(['SORRY-20']);
    expect((await shop.crm.timeline(shop.customerId, SYSTEM)).items.map((t) => t.kind)).toEqual(expect.arrayContaining(['voucher-issued', 'remedy-issued']));
  });

  it('lets the clerk execute a voucher above her limit that the manager approved at the counter, and the loyalty module checks the manager', async () => {
    const shop = await openShop(await kind.open());
    const c = await remedied(shop, { type: 'voucher', templateId: 'SORRY-100', amount: 10000 }, 'E-MANAGER');
    expect(c.remedies[0]).toMatchObject({ status: 'executed', approvedBy: 'E-MANAGER' });
    const [voucher] = await rows<{ id: string }>(shop.store, vouchersCollection, () => true);
    expect((await shop.crm.loyalty.vouchers.history(voucher!.id))[0]!.details).toMatchObject({ source: 'service-recovery', approvedBy: 'E-MANAGER' });
    // Without an approver the same voucher is beyond the clerk for both modules alike.
    const refused = await shop.crm.loyalty.vouchers.issue({ templateId: 'SORRY-100', customerId: shop.customerId, source: 'service-recovery', ref: { type: 'case', id: c.id } }, { ...CLERK, idempotencyKey: 'direct-100' }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'AUTHORITY_EXCEEDED', details: { action: 'compensation', limit: 5000 } });
  });
});
