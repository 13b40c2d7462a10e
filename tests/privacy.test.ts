import { afterAll, describe, expect, it } from 'vitest';
import type { Clientele } from '@clientele/core';
import { scan } from '@clientele/core/module';
import { coreCollections } from '@clientele/core/adapter';
import { BASKET, CLERK, MANAGER, SYSTEM, freshKey, nextReceipt, openChain } from './support/chain.js';
import { STORE_KINDS } from './support/stores.js';

const PERSONAL = {
  name: '欧阳明月',
  oldPhone: '13566667777',
  phone: '13588889999',
  email: 'mingyue.ouyang@example.cn',
  address: '上海市静安区南京西路 1266 号',
  birthDate: '1985-09-17',
  note: 'prefers deliveries after 6pm to 南京西路',
  dupName: '欧阳 明月',
  dupEmail: 'myo@example.org',
};

async function everything(crm: Clientele): Promise<string> {
  const parts: string[] = [];
  for (const c of coreCollections) for await (const row of scan(crm.store, c)) parts.push(JSON.stringify(row));
  return parts.join('\n');
}

async function personalCustomer(crm: Clientele) {
  const c = await crm.customers.register(
    {
      kind: 'individual',
      name: PERSONAL.name,
      phone: PERSONAL.oldPhone,
      email: PERSONAL.email,
      address: PERSONAL.address,
      birthDate: PERSONAL.birthDate,
      homeStoreId: 'S01',
      attributes: { deliveryNote: PERSONAL.note },
    },
    { ...CLERK, idempotencyKey: freshKey('register') },
  );
  await crm.customers.update({ customerId: c.id, changes: { phone: PERSONAL.phone } }, CLERK);
  const dup = await crm.customers.register(
    { kind: 'individual', name: PERSONAL.dupName, email: PERSONAL.dupEmail, homeStoreId: 'S01' },
    CLERK,
  );
  await crm.customers.merge({ survivorId: c.id, mergedId: dup.id, reason: `duplicate of ${PERSONAL.name}` }, MANAGER);
  const card = await crm.cards.issue({ typeId: 'GOLD', storeId: 'S01', customerId: c.id }, CLERK);
  const sale = await crm.purchases.record(
    { storeId: 'S01', terminalId: 'T1', receiptNo: nextReceipt(), cardNumber: card.number, lines: BASKET },
    { ...CLERK, idempotencyKey: freshKey() },
  );
  await crm.purchases.return(
    { purchaseId: sale.id, storeId: 'S01', lines: [{ lineNo: 2, quantity: 1 }], reason: `called ${PERSONAL.phone}` },
    { ...CLERK, idempotencyKey: freshKey() },
  );
  await crm.interactions.log(
    {
      customerId: c.id,
      channel: 'phone',
      kind: 'complaint',
      summary: `${PERSONAL.name} says the milk was sour; call back on ${PERSONAL.phone}`,
    },
    CLERK,
  );
  await crm.cards.reportLost({ number: card.number, reason: `reported by ${PERSONAL.name}` }, CLERK);
  return { c, dup, card, sale };
}

describe.each(STORE_KINDS)('personal data on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it('exports everything held about a person as JSON', async () => {
    const { crm } = await openChain(await kind.open());
    const { c, dup, sale } = await personalCustomer(crm);
    const other = await crm.customers.register({ kind: 'individual', name: 'Not Them', phone: '13000000000' }, CLERK);
    const exported = await crm.privacy.exportCustomer({ customerId: c.id }, SYSTEM);
    expect(exported.customerIds).toEqual([c.id, dup.id]);
    const text = JSON.stringify(exported);
    for (const value of Object.values(PERSONAL)) expect(text).toContain(value);
    expect(text).not.toContain(other.id);
    expect(JSON.parse(text)).toEqual(exported);
    expect(exported.collections['purchases']).toEqual([expect.objectContaining({ id: sale.id })]);
    expect(Object.keys(exported.collections)).toEqual(
      expect.arrayContaining([
        'customers',
        'customer_history',
        'cards',
        'purchases',
        'purchase_lines',
        'purchase_returns',
        'interactions',
        'timeline',
        'audit_log',
        'outbox',
        'customer_merges',
      ]),
    );
  });

  it('erases every personal value everywhere while purchases and totals stay', async () => {
    const { crm } = await openChain(await kind.open());
    const { c, sale } = await personalCustomer(crm);
    const before = await crm.purchases.get(sale.id, SYSTEM);
    const beforeText = await everything(crm);
    for (const value of Object.values(PERSONAL)) expect(beforeText).toContain(value);

    const result = await crm.privacy.eraseCustomer({ customerId: c.id, reason: 'customer request' }, SYSTEM);
    expect(result.customerIds).toHaveLength(2);

    const afterText = await everything(crm);
    for (const value of Object.values(PERSONAL)) expect(afterText).not.toContain(value);
    const after = await crm.purchases.get(sale.id, SYSTEM);
    expect(after).toEqual(before);
    expect(after.customerId).toBe(c.id);
    expect((await crm.purchases.returnsOf(sale.id, SYSTEM))[0]!.amount).toBe(600);
    expect(await crm.customers.get(c.id, SYSTEM)).toMatchObject({
      status: 'erased',
      displayName: '[erased]',
      phone: null,
      email: null,
    });
    expect((await crm.audit.list({ command: 'customers.erase' }, SYSTEM)).items).toHaveLength(1);
    const retry = await crm.customers.register(
      { kind: 'individual', name: 'x' },
      { ...CLERK, idempotencyKey: 'never-used-key' },
    );
    expect(retry.status).toBe('active');
  });

  it('refuses erasure to staff without the permission and changes nothing', async () => {
    const { crm } = await openChain(await kind.open());
    const { c } = await personalCustomer(crm);
    const err = await crm.privacy.eraseCustomer({ customerId: c.id, reason: 'x' }, CLERK).catch((e) => e);
    expect(err.code).toBe('PERMISSION_DENIED');
    expect((await crm.customers.get(c.id, SYSTEM)).displayName).toBe(PERSONAL.name);
  });
});
