/**
 * What the back office adds to the demo chain: the rights its pages use, for the roles that work in
 * it. A clerk may adjust points and give goodwill up to 20 yuan of value; customer relations work the
 * complaint desk and read the segments; managers read what their store needs.
 */
import type { Clientele } from '@clientele/core';

const SETUP = { actor: { system: 'back-office-setup' } };

const RIGHTS: Record<string, { permissions: string[]; limits: Record<string, number> }> = {
  clerk: {
    permissions: [
      'loyalty.read',
      'loyalty.adjust',
      'loyalty.goodwill',
      'loyalty.vouchers.*',
      'complaints.read',
      'stores.read',
    ],
    limits: { 'points-adjustment': 2000, 'goodwill-points': 2000, voucher: 2000 },
  },
  manager: {
    permissions: ['loyalty.*', 'complaints.read', 'segments.read', 'stores.read', 'credit.read', 'key-accounts.read'],
    limits: { 'points-adjustment': 20000, 'goodwill-points': 20000, voucher: 20000 },
  },
  relations: {
    permissions: [
      'loyalty.*',
      'complaints.*',
      'segments.read',
      'stores.read',
      'staff.read',
      'credit.read',
      'key-accounts.read',
    ],
    limits: { 'points-adjustment': 100000, 'goodwill-points': 100000, voucher: 100000 },
  },
  quality: { permissions: ['complaints.read', 'stores.read', 'customers.read'], limits: {} },
  'gm-office': { permissions: ['customers.read', 'stores.read', 'segments.read', 'loyalty.read'], limits: {} },
};

/** Gives the demo's roles what the back office's pages need, keeping what they had. */
export async function prepareChain(crm: Pick<Clientele, 'roles'>): Promise<void> {
  for (const [roleId, add] of Object.entries(RIGHTS)) {
    const role = await crm.roles.get(roleId).catch(() => null);
    if (!role) continue;
    await crm.roles.define(
      {
        id: role.id,
        name: role.name,
        permissions: [...new Set([...role.permissions, ...add.permissions])],
        limits: { ...role.limits, ...add.limits },
      },
      SETUP,
    );
  }
}
