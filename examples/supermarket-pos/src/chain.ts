/** The chain the demo runs: stores in two regions, roles with authority limits, staff, card types. */
import type { Clientele } from '@clientele/core';

export const HQ = { actor: { system: 'head-office-setup' } };
export const CLERK_S01 = { actor: { staffId: 'S01-C1' } };
export const CLERK_S02 = { actor: { staffId: 'S02-C1' } };
export const MANAGER_S01 = { actor: { staffId: 'S01-M1' } };
export const RELATIONS = { actor: { staffId: 'HQ-CR1' } };

const WEEK: Array<['mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun', [string, string][]]> = [
  'mon',
  'tue',
  'wed',
  'thu',
  'fri',
  'sat',
  'sun',
].map((d) => [d as never, [['08:00', '22:00']]]);
const HOURS = Object.fromEntries(WEEK);

export async function openChain(crm: Pick<Clientele, 'stores' | 'roles' | 'staff' | 'cards'>): Promise<void> {
  await crm.stores.create(
    { id: 'S01', name: '人民路店 Renmin Rd', region: '华东 East', timeZone: 'Asia/Shanghai', openingHours: HOURS },
    HQ,
  );
  await crm.stores.create(
    { id: 'S02', name: '滨江店 Riverside', region: '华东 East', timeZone: 'Asia/Shanghai', openingHours: HOURS },
    HQ,
  );
  await crm.stores.create(
    {
      id: 'S03',
      name: '春熙路店 Chunxi Rd',
      region: '西南 Southwest',
      timeZone: 'Asia/Shanghai',
      openingHours: HOURS,
      holidays: ['2026-10-01'],
    },
    HQ,
  );

  // Front-line staff may settle small amounts at once; larger ones need a manager (see the seeds' ladder).
  await crm.roles.define(
    {
      id: 'clerk',
      name: 'Counter clerk',
      permissions: [
        'customers.read',
        'customers.write',
        'cards.read',
        'cards.issue',
        'sales.read',
        'sales.record',
        'sales.return',
        'interactions.write',
        'loyalty.read',
        'loyalty.vouchers.read',
        'loyalty.stored-value.read',
      ],
      limits: { refund: 5000, compensation: 5000 },
    },
    HQ,
  );
  await crm.roles.define(
    {
      id: 'manager',
      name: 'Store manager',
      permissions: ['customers.read', 'customers.write', 'cards.*', 'sales.*', 'interactions.write'],
      limits: { refund: 50000, compensation: 50000 },
    },
    HQ,
  );
  await crm.roles.define(
    {
      id: 'relations',
      name: 'Customer relations',
      permissions: ['customers.*', 'cards.*', 'interactions.write', 'complaints.read', 'surveys.read'],
      limits: { compensation: 200000 },
    },
    HQ,
  );

  await crm.staff.add({ id: 'S01-C1', name: '李娜', storeId: 'S01', roleId: 'clerk' }, HQ);
  await crm.staff.add({ id: 'S01-M1', name: '王强', storeId: 'S01', roleId: 'manager' }, HQ);
  await crm.staff.add({ id: 'S02-C1', name: '陈晨', storeId: 'S02', roleId: 'clerk' }, HQ);
  await crm.staff.add({ id: 'HQ-CR1', name: '赵敏', storeId: 'S01', roleId: 'relations' }, HQ);

  await crm.cards.defineType({ id: 'GOLD', name: 'Gold member', prefix: '88', length: 13, validityMonths: 36 }, HQ);
  await crm.cards.defineType({ id: 'BIZ', name: 'Business account', prefix: '66', length: 13 }, HQ);
}
