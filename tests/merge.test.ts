import { afterAll, describe, expect, it } from 'vitest';
import { BASKET, CLERK, MANAGER, SYSTEM, freshKey, nextReceipt, openChain } from './support/chain.js';
import { STORE_KINDS } from './support/stores.js';

describe.each(STORE_KINDS)('duplicates and merges on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it('finds likely duplicates by phone, email, tax id and similar names in one store', async () => {
    const { crm } = await openChain(await kind.open());
    const a = await crm.customers.register(
      { kind: 'individual', name: '欧阳娜娜', phone: '13811110000', homeStoreId: 'S01' },
      CLERK,
    );
    const b = await crm.customers.register({ kind: 'individual', name: '欧阳 娜娜', homeStoreId: 'S01' }, CLERK);
    const c = await crm.customers.register({ kind: 'individual', name: 'Someone Else', phone: '13811110000' }, CLERK);
    const d = await crm.customers.register({ kind: 'individual', name: '欧阳娜娜', homeStoreId: 'S02' }, CLERK);
    const e = await crm.customers.register({ kind: 'individual', name: '欧阳丽娜', homeStoreId: 'S01' }, CLERK);
    const f = await crm.customers.register({ kind: 'individual', name: '张伟', homeStoreId: 'S01' }, CLERK);
    const g = await crm.customers.register({ kind: 'individual', name: '张玮', homeStoreId: 'S01' }, CLERK);
    const o1 = await crm.customers.register(
      { kind: 'organisation', legalName: 'Acme Trading', taxId: 'TAX-12345' },
      CLERK,
    );
    const o2 = await crm.customers.register(
      { kind: 'organisation', legalName: 'ACME Trading Co', taxId: 'TAX-12345' },
      CLERK,
    );

    const ofA = await crm.customers.duplicatesOf(a.id, SYSTEM);
    expect(ofA.map((m) => [m.customer.id, m.reasons])).toEqual(
      expect.arrayContaining([
        [b.id, ['similar_name']],
        [c.id, ['same_phone']],
        [e.id, ['similar_name']],
      ]),
    );
    expect(ofA.map((m) => m.customer.id)).not.toContain(d.id);
    const pairs = await crm.customers.findDuplicates(SYSTEM);
    const keyed = new Map(pairs.map((p) => [[p.a, p.b].sort().join(' '), p.reasons]));
    expect(keyed.get([a.id, b.id].sort().join(' '))).toEqual(['similar_name']);
    expect(keyed.get([a.id, c.id].sort().join(' '))).toEqual(['same_phone']);
    expect(keyed.get([o1.id, o2.id].sort().join(' '))).toEqual(['same_tax_id']);
    expect(keyed.has([f.id, g.id].sort().join(' '))).toBe(false);
    expect(keyed.has([a.id, d.id].sort().join(' '))).toBe(false);
  });

  it(
    'merges a duplicate: history, cards, purchases and timeline move to the survivor, audited and ' + 'listed',
    async () => {
      const { crm, store } = await openChain(await kind.open());
      const survivor = await crm.customers.register(
        { kind: 'individual', name: '林芳', phone: '13700001111', homeStoreId: 'S01' },
        CLERK,
      );
      const dup = await crm.customers.register(
        { kind: 'individual', name: '林 芳', email: 'linfang@example.cn', birthDate: '1992-03-04', tags: ['baby'] },
        CLERK,
      );
      const card = await crm.cards.issue({ typeId: 'GOLD', storeId: 'S01', customerId: dup.id }, CLERK);
      const sale = await crm.purchases.record(
        { storeId: 'S01', terminalId: 'T1', receiptNo: nextReceipt(), cardNumber: card.number, lines: BASKET },
        { ...CLERK, idempotencyKey: freshKey() },
      );
      await crm.interactions.log(
        { customerId: dup.id, channel: 'phone', kind: 'inquiry', summary: 'Asked about baby formula stock' },
        CLERK,
      );

      const merged: string[] = [];
      crm.events.on('customer.merged', (e) => void merged.push(e.mergedId));
      const record = await crm.customers.merge(
        { survivorId: survivor.id, mergedId: dup.id, reason: 'same person, two registrations' },
        MANAGER,
      );
      expect(record.moved).toMatchObject({ cards: 1, purchases: 1, purchase_lines: 5, interactions: 1 });
      expect(merged).toEqual([dup.id]);

      const after = await crm.customers.get(survivor.id, SYSTEM);
      expect(after).toMatchObject({
        phone: '13700001111',
        email: 'linfang@example.cn',
        birthDate: '1992-03-04',
        tags: ['baby'],
      });
      expect(await crm.customers.get(dup.id, SYSTEM)).toMatchObject({ status: 'merged', mergedInto: survivor.id });
      expect((await crm.cards.lookup(card.number, SYSTEM)).customer?.id).toBe(survivor.id);
      expect((await crm.purchases.get(sale.id, SYSTEM)).customerId).toBe(survivor.id);
      const history = await crm.customers.history(survivor.id, SYSTEM);
      expect(history.items.some((h) => h.changes.some((c) => c.field === 'mergedFrom' && c.after === dup.id))).toBe(
        true,
      );
      expect(
        history.items.some((h) =>
          h.changes.some(
            (c) => c.field === 'email' && c.after === 'linfang@example.cn' && h.command === 'customers.register',
          ),
        ),
      ).toBe(true);
      const kinds = (await crm.timeline(survivor.id, { limit: 100 }, SYSTEM)).items.map((t) => t.kind);
      expect(kinds).toEqual(expect.arrayContaining(['merged', 'purchase', 'inquiry', 'card-issued', 'registered']));
      expect((await crm.customers.listMerges({ customerId: survivor.id }, SYSTEM)).items).toEqual([
        expect.objectContaining({ mergedId: dup.id, reason: 'same person, two registrations' }),
      ]);
      expect((await crm.audit.list({ command: 'customers.merge' }, SYSTEM)).items[0]).toMatchObject({
        actor: { staffId: 'E-MANAGER' },
        customerId: survivor.id,
      });

      // A till that still holds the old id sells to the survivor.
      const later = await crm.purchases.record(
        { storeId: 'S01', terminalId: 'T1', receiptNo: nextReceipt(), customerId: dup.id, lines: BASKET },
        { ...CLERK, idempotencyKey: freshKey() },
      );
      expect(later.customerId).toBe(survivor.id);
      const remaining = await store.find((await import('@clientele/core/module')).purchasesCollection, {
        where: { customerId: dup.id },
      });
      expect(remaining.rows).toHaveLength(0);
    },
  );

  it('refuses to merge a record into itself, into another kind, or without the permission', async () => {
    const { crm } = await openChain(await kind.open());
    const a = await crm.customers.register({ kind: 'individual', name: 'A' }, CLERK);
    const o = await crm.customers.register({ kind: 'organisation', legalName: 'Org' }, CLERK);
    expect(
      await crm.customers.merge({ survivorId: a.id, mergedId: a.id, reason: 'x' }, MANAGER).catch((e) => e),
    ).toMatchObject({ code: 'VALIDATION_FAILED', path: ['mergedId'] });
    expect(
      await crm.customers.merge({ survivorId: a.id, mergedId: o.id, reason: 'x' }, MANAGER).catch((e) => e),
    ).toMatchObject({ code: 'VALIDATION_FAILED', path: ['mergedId'] });
    expect(
      await crm.customers.merge({ survivorId: a.id, mergedId: o.id, reason: 'x' }, CLERK).catch((e) => e),
    ).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect((await crm.customers.get(o.id, SYSTEM)).status).toBe('active');
  });
});
