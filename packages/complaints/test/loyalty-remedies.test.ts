/**
 * Remedies that are loyalty actions go through the loyalty module's public API, outside the case's
 * own transaction, with a key derived from the case and the remedy. These tests use a small
 * stand-in module registered as `loyalty` (see `support/world.ts`) until the real one lands; it runs
 * real kernel commands, so its idempotency keys behave as the real module's will.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { scan } from '@clientele/core';
import { STORE_KINDS } from '../../../tests/support/stores.js';
import { issueKey } from '../src/index.js';
import { CLERK, MANAGER, SYSTEM, loyaltyStandIn, openWorld, snapshot, testLedger, type LoyaltyCall } from './support/world.js';

async function ledger(world: Awaited<ReturnType<typeof openWorld>>) {
  const rows = [];
  for await (const row of scan(world.store, testLedger)) rows.push(row);
  return rows;
}

describe.each(STORE_KINDS)('loyalty remedies on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it('grants goodwill points through crm.loyalty, once, linked to the case, and records the result', async () => {
    const calls: LoyaltyCall[] = [];
    const world = await openWorld(await kind.open(), { modules: [loyaltyStandIn(calls)] });
    const { crm, customerId } = world;
    let c = await crm.complaints.open({ kind: 'complaint', channel: 'phone', storeId: 'S01', customerId, category: 'service', severity: 'low', description: 'Rude reply at the checkout.' }, CLERK);
    await crm.complaints.acknowledge({ caseId: c.id }, CLERK);
    await crm.complaints.investigate({ caseId: c.id }, CLERK);
    c = await crm.complaints.propose({ caseId: c.id, remedies: [{ type: 'goodwill-points', points: 2000, note: 'apology' }] }, CLERK);
    expect(c.remedies[0]).toMatchObject({ status: 'approved', value: 2000 });
    await crm.complaints.answer({ caseId: c.id, accepted: true }, CLERK);
    c = await crm.complaints.execute({ caseId: c.id }, CLERK);
    const remedy = c.remedies[0]!;
    expect(calls).toEqual([{ method: 'grantGoodwill', input: { customerId, points: 2000, reason: `Service recovery for case ${c.caseNo}`, ref: { type: 'case', id: c.id }, storeId: 'S01' }, idempotencyKey: issueKey(c.id, remedy.id) }]);
    expect(remedy).toMatchObject({ status: 'executed', result: { points: 2000, balance: 2000, entryId: expect.any(String) } });
    expect(c.remedyCost).toBe(2000);
    expect(await ledger(world)).toHaveLength(1);
    // Asking again issues nothing more: the remedy is no longer pending.
    expect((await crm.runDue())['complaints']).toMatchObject({ remediesIssued: 0 });
    expect(calls).toHaveLength(1);
    expect((await crm.timeline(customerId, SYSTEM)).items.map((t) => t.kind)).toContain('remedy-issued');
  });

  it('passes the manager who approved at the counter to the loyalty module, whose own authority check then passes', async () => {
    const calls: LoyaltyCall[] = [];
    const world = await openWorld(await kind.open(), { modules: [loyaltyStandIn(calls)] });
    const { crm, customerId } = world;
    let c = await crm.complaints.open({ kind: 'complaint', channel: 'counter', storeId: 'S01', customerId, category: 'service', severity: 'low', description: 'Overcharged twice.' }, CLERK);
    await crm.complaints.acknowledge({ caseId: c.id }, CLERK);
    await crm.complaints.investigate({ caseId: c.id }, CLERK);
    // 8,000 points are above the clerk's 5,000; the store manager at the counter approves them at once.
    c = await crm.complaints.propose({ caseId: c.id, remedies: [{ type: 'goodwill-points', points: 8000 }], approverStaffId: 'E-MANAGER' }, CLERK);
    expect(c).toMatchObject({ level: 1, remedies: [expect.objectContaining({ status: 'approved', approvedBy: 'E-MANAGER' })] });
    await crm.complaints.answer({ caseId: c.id, accepted: true }, CLERK);
    c = await crm.complaints.execute({ caseId: c.id }, CLERK);
    expect(calls[0]!.input).toMatchObject({ points: 8000, approvedBy: 'E-MANAGER' });
    expect(c.remedies[0]).toMatchObject({ status: 'executed', result: { points: 8000 } });
  });

  it('never issues twice when the process dies between the loyalty call and recording it: runDue finishes the step', async () => {
    const calls: LoyaltyCall[] = [];
    const control = { failAfterCommit: 1 };
    const world = await openWorld(await kind.open(), { modules: [loyaltyStandIn(calls, control)] });
    const { crm, customerId } = world;
    let c = await crm.complaints.open({ kind: 'complaint', channel: 'counter', storeId: 'S01', customerId, category: 'pricing', severity: 'low', description: 'Charged the full price for a discounted item.' }, CLERK);
    await crm.complaints.acknowledge({ caseId: c.id }, CLERK);
    await crm.complaints.investigate({ caseId: c.id }, CLERK);
    await crm.complaints.propose({ caseId: c.id, remedies: [{ type: 'voucher', templateId: 'SORRY-20', amount: 2000 }] }, CLERK);
    await crm.complaints.answer({ caseId: c.id, accepted: true }, CLERK);
    c = await crm.complaints.execute({ caseId: c.id }, CLERK);
    // The loyalty command committed, but its answer was lost: the remedy is still being issued.
    expect(c.remedies[0]).toMatchObject({ status: 'issuing' });
    expect(await ledger(world)).toHaveLength(1);
    expect(world.reported).toEqual([{ error: expect.objectContaining({ message: 'connection reset after commit' }), context: expect.stringContaining(c.id) }]);

    const counts = (await crm.runDue())['complaints']!;
    expect(counts).toMatchObject({ remediesIssued: 1, remediesFailed: 0 });
    c = await crm.complaints.get(c.id);
    const [first] = await ledger(world);
    expect(c.remedies[0]).toMatchObject({ status: 'executed', result: { id: first!.id, code: expect.stringMatching(/^TT-/) } });
    expect(calls.map((x) => x.idempotencyKey)).toEqual([issueKey(c.id, c.remedies[0]!.id), issueKey(c.id, c.remedies[0]!.id)]);
    expect(await ledger(world)).toHaveLength(1);
    await crm.complaints.verify({ caseId: c.id }, MANAGER);
    expect((await crm.complaints.close({ caseId: c.id, rootCause: 'pricing-error' }, CLERK)).remedyCost).toBe(2000);
  });

  it('settles at the counter with a voucher: issued after the first transaction, then verified and closed', async () => {
    const calls: LoyaltyCall[] = [];
    const { crm, customerId } = await openWorld(await kind.open(), { modules: [loyaltyStandIn(calls)] });
    const input = { case: { kind: 'complaint' as const, channel: 'counter' as const, storeId: 'S01', customerId, category: 'checkout', severity: 'low', description: 'Waited twenty minutes at the only open till.' }, remedies: [{ type: 'voucher' as const, templateId: 'SORRY-10', amount: 1000 }], rootCause: 'slow-checkout' };
    const c = await crm.complaints.settleAtCounter(input, { ...CLERK, idempotencyKey: 'counter-voucher-1' });
    expect(c).toMatchObject({ status: 'closed', remedyCost: 1000 });
    expect(c.remedies[0]).toMatchObject({ type: 'voucher', status: 'executed' });
    const before = await snapshot(crm, [testLedger]);
    expect(await crm.complaints.settleAtCounter(input, { ...CLERK, idempotencyKey: 'counter-voucher-1' })).toEqual(c);
    expect(await snapshot(crm, [testLedger])).toEqual(before);
    expect(calls).toHaveLength(1);
  });

  it('marks a remedy the loyalty module refuses as failed, with its code, and lets the case be reconsidered', async () => {
    const calls: LoyaltyCall[] = [];
    const { crm, customerId } = await openWorld(await kind.open(), { modules: [loyaltyStandIn(calls)] });
    let c = await crm.complaints.open({ kind: 'complaint', channel: 'web', storeId: 'S02', customerId, category: 'delivery', severity: 'low', description: 'Delivery two hours late.' }, CLERK);
    await crm.complaints.acknowledge({ caseId: c.id }, CLERK);
    await crm.complaints.investigate({ caseId: c.id }, CLERK);
    await crm.complaints.propose({ caseId: c.id, remedies: [{ type: 'voucher', templateId: 'UNKNOWN', amount: 500 }] }, CLERK);
    await crm.complaints.answer({ caseId: c.id, accepted: true }, CLERK);
    c = await crm.complaints.execute({ caseId: c.id }, CLERK);
    expect(c.remedies[0]).toMatchObject({ status: 'failed', failure: { code: 'NOT_FOUND' } });
    expect(await crm.complaints.verify({ caseId: c.id }, MANAGER).catch((e) => e)).toMatchObject({ code: 'INVALID_STATE', message: expect.stringMatching(/failed/) });
    c = await crm.complaints.investigate({ caseId: c.id, note: 'Template withdrawn; offer points instead.' }, CLERK);
    c = await crm.complaints.propose({ caseId: c.id, remedies: [{ type: 'goodwill-points', points: 500 }] }, CLERK);
    expect(c.remedies.map((r) => r.status)).toEqual(['failed', 'approved']);
  });

  it('refuses a loyalty remedy with UNSUPPORTED when the loyalty module is not installed, changing nothing', async () => {
    const { crm, customerId } = await openWorld(await kind.open());
    const c = await crm.complaints.open({ kind: 'complaint', channel: 'counter', storeId: 'S01', customerId, category: 'service', severity: 'low', description: 'x' }, CLERK);
    await crm.complaints.acknowledge({ caseId: c.id }, CLERK);
    await crm.complaints.investigate({ caseId: c.id }, CLERK);
    const before = await snapshot(crm);
    const error = await crm.complaints.propose({ caseId: c.id, remedies: [{ type: 'compensation', amount: 100 }, { type: 'goodwill-points', points: 100 }] }, CLERK).catch((e) => e);
    expect(error).toMatchObject({ code: 'UNSUPPORTED', path: ['remedies', 1, 'type'], details: { module: 'loyalty' } });
    expect(await snapshot(crm)).toEqual(before);
  });
});
