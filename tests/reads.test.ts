/**
 * Reading a member's file is a controlled act: every query of core that shows customers' data names
 * its reader, needs the area's read permission (a refusal audited and nothing shown), and, when the
 * retailer turns on `auditReads`, leaves an audit entry naming the customers read.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Clientele, Store } from '@clientele/core';
import { auditLog, scan } from '@clientele/core/module';
import { BASKET, CLERK, GUARD, MANAGER, SYSTEM, freshKey, nextReceipt, openChain } from './support/chain.js';
import { STORE_KINDS } from './support/stores.js';

/** A member with a card, a sale and a return, and a call logged: something for every query to show. */
async function memberFile(crm: Clientele) {
  const member = await crm.customers.register(
    { kind: 'individual', name: '周杰', phone: '13700001111', homeStoreId: 'S01' },
    CLERK,
  );
  const card = await crm.cards.issue({ typeId: 'GOLD', storeId: 'S01', customerId: member.id }, CLERK);
  const sale = await crm.purchases.record(
    { storeId: 'S01', terminalId: 'T1', receiptNo: nextReceipt(), cardNumber: card.number, lines: BASKET },
    { ...CLERK, idempotencyKey: freshKey() },
  );
  await crm.purchases.return(
    { purchaseId: sale.id, storeId: 'S01', lines: [{ lineNo: 2, quantity: 1 }], reason: 'sour' },
    { ...MANAGER, idempotencyKey: freshKey() },
  );
  await crm.interactions.log(
    { customerId: member.id, channel: 'phone', kind: 'question', summary: 'Asked about opening hours' },
    CLERK,
  );
  return { member, card, sale };
}

type Reader = { actor: { staffId: string } | { system: string } };

/** One call of each of core's queries, as a reader makes it. */
function everyQuery(
  crm: Clientele,
  f: Awaited<ReturnType<typeof memberFile>>,
): Record<string, (r: Reader) => Promise<unknown>> {
  return {
    'customers.get': (r) => crm.customers.get(f.member.id, r),
    'customers.search': (r) => crm.customers.search({ phone: '13700001111' }, r),
    'customers.history': (r) => crm.customers.history(f.member.id, r),
    'customers.needingReview': (r) => crm.customers.needingReview(r),
    'customers.duplicatesOf': (r) => crm.customers.duplicatesOf(f.member.id, r),
    'customers.findDuplicates': (r) => crm.customers.findDuplicates(r),
    'customers.listMerges': (r) => crm.customers.listMerges(r),
    'cards.get': (r) => crm.cards.get(f.card.number, r),
    'cards.lookup': (r) => crm.cards.lookup(f.card.number, r),
    'cards.ofCustomer': (r) => crm.cards.ofCustomer(f.member.id, r),
    'purchases.get': (r) => crm.purchases.get(f.sale.id, r),
    'purchases.byReceipt': (r) => crm.purchases.byReceipt('S01', 'T1', f.sale.receiptNo, r),
    'purchases.ofCustomer': (r) => crm.purchases.ofCustomer(f.member.id, r),
    'purchases.returnsOf': (r) => crm.purchases.returnsOf(f.sale.id, r),
    'interactions.list': (r) => crm.interactions.list(f.member.id, r),
    timeline: (r) => crm.timeline(f.member.id, r),
    'audit.list': (r) => crm.audit.list({ customerId: f.member.id }, r),
    // The dry runs of imports, with the import permission.
    'imports.checkCustomers': (r) =>
      crm.imports.checkCustomers({ rows: [{ sourceId: 'OLD-1', customer: { kind: 'individual', name: 'Li' } }] }, r),
    'imports.checkSales': (r) =>
      crm.imports.checkSales(
        {
          rows: [
            {
              sourceId: 'OLD-S1',
              sale: {
                storeId: 'S01',
                terminalId: 'OLD',
                receiptNo: 'R1',
                occurredAt: '2026-01-01T00:00:00Z',
                lines: [{ sku: 'RICE', category: 'grain', quantity: 1, unitPrice: 100 }],
              },
            },
          ],
        },
        r,
      ),
  };
}

async function audited(store: Store, outcome: string) {
  const out = [];
  for await (const row of scan(store, auditLog, { where: { outcome } })) out.push(row);
  return out;
}

describe.each(STORE_KINDS)('reads of members’ files on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it('refuses every query to a reader without its read permission, audited, and answers one with it', async () => {
    const { crm, store } = await openChain(await kind.open());
    const file = await memberFile(crm);
    const queries = everyQuery(crm, file);
    // Every query of core is called here.
    expect(Object.keys(queries).sort()).toEqual(
      crm
        .queries()
        .map((q) => q.name)
        .sort(),
    );
    const permissions = new Map(crm.queries().map((q) => [q.name, q.permission]));
    // The guard's role grants no read at all; the auditor's grants exactly the query's permission.
    for (const [name, call] of Object.entries(queries)) {
      const refusedBefore = (await audited(store, 'refused')).length;
      const error = await call(GUARD).catch((e: unknown) => e);
      expect(error, name).toMatchObject({ code: 'PERMISSION_DENIED', details: { permission: permissions.get(name) } });
      const refusals = await audited(store, 'refused');
      expect(refusals.length, name).toBe(refusedBefore + 1);
      expect(
        refusals.find((r) => r.command === name && (r.actor as { staffId?: string }).staffId === 'E-GUARD'),
        name,
      ).toBeDefined();
      await crm.roles.define({ id: 'auditor', name: 'Auditor', permissions: [permissions.get(name)!] }, SYSTEM);
      await crm.staff.add(
        { id: `E-AUD-${name.replace(/\./g, '-')}`, name: 'Auditor', storeId: 'S01', roleId: 'auditor' },
        SYSTEM,
      );
      await expect(call({ actor: { staffId: `E-AUD-${name.replace(/\./g, '-')}` } }), name).resolves.toBeDefined();
      // A host without staff names a system actor.
      await expect(call({ actor: { system: 'nightly-export' } }), name).resolves.toBeDefined();
    }
    // Without the option, reads leave no trace.
    expect(await audited(store, 'read')).toEqual([]);
    // A reader missing altogether is bad input, before anything is read.
    expect(await crm.customers.get(file.member.id, {} as never).catch((e: unknown) => e)).toMatchObject({
      code: 'VALIDATION_FAILED',
      path: ['options', 'actor'],
    });
  });

  it('audits each read of a member’s file when the retailer turns that on', async () => {
    const { crm, store } = await openChain(await kind.open(), { auditReads: true });
    const file = await memberFile(crm);
    const other = await crm.customers.register(
      { kind: 'individual', name: '吴磊', phone: '13700001112', homeStoreId: 'S01' },
      CLERK,
    );
    await crm.customers.get(file.member.id, MANAGER);
    await crm.timeline(file.member.id, { limit: 5 }, MANAGER);
    await crm.customers.search({ name: '周' }, MANAGER);
    await crm.customers.search({ phone: '13999999999' }, MANAGER);
    const reads = await audited(store, 'read');
    expect(reads.map((r) => [r.command, r.customerId, (r.actor as { staffId: string }).staffId])).toEqual([
      ['customers.get', file.member.id, 'E-MANAGER'],
      ['timeline', file.member.id, 'E-MANAGER'],
      ['customers.search', file.member.id, 'E-MANAGER'],
    ]);
    // A search that shows nobody leaves nothing; one that shows two names both.
    await crm.customers.search({ storeId: 'S01' }, MANAGER);
    const last = (await audited(store, 'read')).at(-1)!;
    expect(last).toMatchObject({
      command: 'customers.search',
      customerId: null,
      details: { count: 2, customerIds: expect.arrayContaining([file.member.id, other.id]) },
    });
    // The reads of one member are found in the audit log by her id.
    const hers = await crm.audit.list({ customerId: file.member.id, outcome: 'read' }, SYSTEM);
    expect(hers.items.map((e) => e.command).sort()).toEqual(['customers.get', 'customers.search', 'timeline']);
  });

  it('applies a role’s change at the next read', async () => {
    const { crm } = await openChain(await kind.open());
    const file = await memberFile(crm);
    await crm.roles.define(
      { id: 'clerk', name: 'Counter clerk', permissions: ['customers.read', 'customers.write', 'sales.*'] },
      SYSTEM,
    );
    await expect(crm.customers.get(file.member.id, CLERK)).resolves.toMatchObject({ id: file.member.id });
    await crm.roles.define({ id: 'clerk', name: 'Counter clerk', permissions: ['customers.write', 'sales.*'] }, SYSTEM);
    expect(await crm.customers.get(file.member.id, CLERK).catch((e: unknown) => e)).toMatchObject({
      code: 'PERMISSION_DENIED',
    });
  });
});
