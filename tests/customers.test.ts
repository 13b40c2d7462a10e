import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isClienteleError } from '@clientele/core';
import { CLERK, MANAGER, SYSTEM, openChain } from './support/chain.js';
import { STORE_KINDS } from './support/stores.js';

const DAY = 86_400_000;

describe.each(STORE_KINDS)('customers on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it('registers the three kinds of party with their own fields and roles', async () => {
    const { crm } = await openChain(await kind.open());
    const member = await crm.customers.register(
      {
        kind: 'individual',
        name: '张伟',
        phone: '138-0013-8000',
        gender: 'male',
        birthDate: '1988-04-12',
        homeStoreId: 'S01',
        consent: { sms: true, email: false },
      },
      CLERK,
    );
    const org = await crm.customers.register(
      {
        kind: 'organisation',
        legalName: '上海明光餐饮有限公司',
        taxId: '91310000MA1FL0',
        industry: 'catering',
        region: 'East',
        sizeClass: 'medium',
        contacts: [{ name: '陈静', role: 'purchasing', phone: '13900001111' }],
        supplier: { categories: ['bakery'], paymentTermsDays: 30 },
      },
      CLERK,
    );
    const supplier = await crm.customers.register(
      {
        kind: 'supplier',
        legalName: 'Green Valley Farms',
        taxId: 'GV-2031-77',
        alsoCustomer: true,
        supplier: { supplierCode: 'SUP-7', categories: ['fresh-fruit'] },
      },
      CLERK,
    );

    expect(member).toMatchObject({
      kind: 'individual',
      name: '张伟',
      phone: '13800138000',
      gender: 'male',
      roles: { customer: true, supplier: false },
      consent: { sms: true, email: false },
    });
    expect(org).toMatchObject({
      kind: 'organisation',
      legalName: '上海明光餐饮有限公司',
      displayName: '上海明光餐饮有限公司',
      roles: { customer: true, supplier: true },
    });
    expect(org.kind === 'organisation' && org.contacts[0]?.name).toBe('陈静');
    expect(supplier).toMatchObject({ kind: 'supplier', roles: { customer: true, supplier: true } });
    expect(await crm.customers.get(member.id, SYSTEM)).toEqual(member);
  });

  it('records every change with who, when and each field before and after', async () => {
    const { crm, clock } = await openChain(await kind.open());
    const c = await crm.customers.register({ kind: 'individual', name: 'Wang Fang', phone: '13700000001' }, CLERK);
    clock.advance(3_600_000);
    const changed = await crm.customers.update(
      { customerId: c.id, changes: { phone: '13700000002', email: 'Fang@Example.com', tags: ['vip'] } },
      MANAGER,
    );
    expect(changed.email).toBe('fang@example.com');
    expect(changed.version).toBe(c.version + 1);
    const history = await crm.customers.history(c.id, SYSTEM);
    expect(history.items).toHaveLength(2);
    const latest = history.items[0]!;
    expect(latest.actor).toMatchObject({ staffId: 'E-MANAGER', roleId: 'manager' });
    expect(latest.at.toISOString()).toBe('2026-11-02T03:00:00.000Z');
    expect(latest.changes).toEqual([
      { field: 'email', before: null, after: 'fang@example.com' },
      { field: 'phone', before: '13700000001', after: '13700000002' },
      { field: 'tags', before: [], after: ['vip'] },
    ]);
    expect(history.items[1]!.changes.find((ch) => ch.field === 'name')).toEqual({
      field: 'name',
      before: null,
      after: 'Wang Fang',
    });
  });

  it('refuses a stale update with a typed conflict and keeps the record', async () => {
    const { crm } = await openChain(await kind.open());
    const c = await crm.customers.register({ kind: 'individual', name: 'Li Lei' }, CLERK);
    await crm.customers.update({ customerId: c.id, changes: { phone: '13600000000' } }, CLERK);
    const err = await crm.customers
      .update({ customerId: c.id, expectVersion: c.version, changes: { phone: '13600000009' } }, CLERK)
      .catch((e) => e);
    expect(isClienteleError(err, 'CONFLICT')).toBe(true);
    expect((await crm.customers.get(c.id, SYSTEM)).phone).toBe('13600000000');
    expect((await crm.customers.history(c.id, SYSTEM)).items).toHaveLength(2);
  });

  it('refuses fields of another kind, naming the field', async () => {
    const { crm } = await openChain(await kind.open());
    const c = await crm.customers.register({ kind: 'individual', name: 'Li Lei' }, CLERK);
    const err = await crm.customers
      .update({ customerId: c.id, changes: { legalName: 'Li Lei Ltd' } }, CLERK)
      .catch((e) => e);
    expect(err).toMatchObject({ code: 'VALIDATION_FAILED', path: ['changes', 'legalName'] });
  });

  it('shows completeness and lists thin or unverified files', async () => {
    const { crm, clock } = await openChain(await kind.open());
    const thin = await crm.customers.register({ kind: 'individual', name: 'Thin File' }, CLERK);
    const full = await crm.customers.register(
      {
        kind: 'individual',
        name: 'Full File',
        phone: '13500000000',
        gender: 'female',
        birthDate: '1990-01-02',
        homeStoreId: 'S01',
        verified: true,
      },
      CLERK,
    );
    expect(thin.completeness).toEqual({ score: 20, missing: ['phone', 'gender', 'birthDate', 'homeStoreId'] });
    expect(full.completeness).toEqual({ score: 100, missing: [] });
    expect(full.lastVerifiedAt?.toISOString()).toBe('2026-11-02T02:00:00.000Z');

    const incomplete = await crm.customers.needingReview(SYSTEM);
    expect(incomplete.items.map((i) => i.customer.id)).toEqual([thin.id]);

    clock.advance(200 * DAY);
    const stale = await crm.customers.needingReview({ unverifiedForDays: 180, incomplete: false }, SYSTEM);
    expect(stale.items.map((i) => [i.customer.id, i.daysSinceVerified])).toEqual([
      [thin.id, null],
      [full.id, 200],
    ]);
    await crm.customers.verify({ customerId: full.id }, CLERK);
    const after = await crm.customers.needingReview({ unverifiedForDays: 180, incomplete: false }, SYSTEM);
    expect(after.items.map((i) => i.customer.id)).toEqual([thin.id]);
  });

  it('pages the review list without skipping or repeating', async () => {
    const { crm } = await openChain(await kind.open());
    const ids: string[] = [];
    for (let i = 0; i < 7; i++)
      ids.push((await crm.customers.register({ kind: 'individual', name: `Member ${i}` }, CLERK)).id);
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof crm.customers.needingReview>> = await crm.customers.needingReview(
        { limit: 3, after },
        SYSTEM,
      );
      seen.push(...page.items.map((i) => i.customer.id));
      after = page.next;
    } while (after);
    expect(seen.sort()).toEqual(ids.sort());
  });

  it('validates retailer-defined attributes with the retailer schema', async () => {
    const { crm } = await openChain(await kind.open(), {
      customerAttributes: z
        .object({ shoeSize: z.number().int().min(30).max(50).optional(), newsletter: z.boolean().default(false) })
        .strict(),
    });
    const ok = await crm.customers.register({ kind: 'individual', name: 'Attr', attributes: { shoeSize: 42 } }, CLERK);
    expect(ok.attributes).toEqual({ shoeSize: 42, newsletter: false });
    const bad = await crm.customers
      .register({ kind: 'individual', name: 'Attr', attributes: { shoeSize: 12 } }, CLERK)
      .catch((e) => e);
    expect(bad).toMatchObject({ code: 'VALIDATION_FAILED', path: ['attributes', 'shoeSize'] });
    const unknown = await crm.customers
      .register({ kind: 'individual', name: 'Attr', attributes: { hairColour: 'red' } }, CLERK)
      .catch((e) => e);
    expect(unknown.code).toBe('VALIDATION_FAILED');
    expect((await crm.customers.search({ name: 'Attr' }, SYSTEM)).items).toHaveLength(1);
  });

  it('finds customers by phone, email and name prefix', async () => {
    const { crm } = await openChain(await kind.open());
    const a = await crm.customers.register(
      { kind: 'individual', name: '王芳', phone: '13911112222', email: 'wf@example.cn' },
      CLERK,
    );
    await crm.customers.register({ kind: 'individual', name: '王小明', phone: '13911113333' }, CLERK);
    await crm.customers.register({ kind: 'individual', name: '李雷' }, CLERK);
    expect((await crm.customers.search({ phone: '139 1111 2222' }, SYSTEM)).items.map((c) => c.id)).toEqual([a.id]);
    expect((await crm.customers.search({ email: 'WF@example.cn' }, SYSTEM)).items.map((c) => c.id)).toEqual([a.id]);
    expect((await crm.customers.search({ name: '王' }, SYSTEM)).items.map((c) => c.displayName).sort()).toEqual([
      '王小明',
      '王芳',
    ]);
  });
});
