/** A small supermarket chain set up on any store, for scenario tests. */
import {
  createClientele,
  manualClock,
  type Clientele,
  type ClienteleOptions,
  type ManualClock,
  type AnyModule,
  type Store,
} from '@clientele/core';
import { type CollectionSpec, scan } from '@clientele/core/module';
import { coreCollections } from '@clientele/core/adapter';

export const SYSTEM = { actor: { system: 'test-setup' } } as const;
export const CLERK = { actor: { staffId: 'E-CLERK' } } as const;
export const MANAGER = { actor: { staffId: 'E-MANAGER' } } as const;
export const GUARD = { actor: { staffId: 'E-GUARD' } } as const;

export interface Chain {
  crm: Clientele;
  clock: ManualClock;
  store: Store;
}

/**
 * Two stores in two regions, a clerk (refunds to 50 yuan), a manager (to 500 yuan), a guard with no sales rights, a
 * Gold card type.
 */
export async function openChain(
  store: Store,
  options: Partial<ClienteleOptions<readonly AnyModule[]>> = {},
): Promise<Chain> {
  const clock = manualClock('2026-11-02T02:00:00Z');
  const crm = createClientele({ store, clock, ...options }) as unknown as Clientele;
  await crm.migrate();
  await crm.stores.create(
    {
      id: 'S01',
      name: '人民路店',
      region: 'East',
      timeZone: 'Asia/Shanghai',
      openingHours: { mon: [['08:00', '22:00']], sat: [['09:00', '21:00']] },
    },
    SYSTEM,
  );
  await crm.stores.create({ id: 'S02', name: 'Hillside', region: 'West', timeZone: 'Asia/Shanghai' }, SYSTEM);
  await crm.roles.define(
    {
      id: 'clerk',
      name: 'Counter clerk',
      permissions: ['customers.write', 'cards.issue', 'sales.*', 'interactions.write'],
      limits: { refund: 5000, compensation: 5000 },
    },
    SYSTEM,
  );
  await crm.roles.define(
    {
      id: 'manager',
      name: 'Store manager',
      permissions: ['customers.*', 'cards.*', 'sales.*', 'interactions.write'],
      limits: { refund: 50000, compensation: 50000 },
    },
    SYSTEM,
  );
  await crm.roles.define({ id: 'guard', name: 'Security', permissions: ['interactions.write'] }, SYSTEM);
  await crm.staff.add({ id: 'E-CLERK', name: '李娜', storeId: 'S01', roleId: 'clerk' }, SYSTEM);
  await crm.staff.add({ id: 'E-MANAGER', name: '王强', storeId: 'S01', roleId: 'manager' }, SYSTEM);
  await crm.staff.add({ id: 'E-GUARD', name: 'Guard', storeId: 'S01', roleId: 'guard' }, SYSTEM);
  await crm.cards.defineType({ id: 'GOLD', name: 'Gold', prefix: '88', length: 13 }, SYSTEM);
  return { crm, clock, store };
}

let counter = 0;
/** A unique receipt number. */
export function nextReceipt(): string {
  counter++;
  return `R${String(counter).padStart(6, '0')}`;
}

/** A fresh idempotency key. */
export function freshKey(label = 'key'): string {
  counter++;
  return `${label}-${counter}-${Math.random().toString(36).slice(2, 10)}`;
}

/** A five-line basket (fresh, dairy, weighed fruit, snacks, household). */
export const BASKET = [
  { sku: 'APPLE-FUJI', category: 'fresh-fruit', quantity: 1.25, unitPrice: 1299 },
  { sku: 'MILK-1L', category: 'dairy', brand: 'Bright', quantity: 2, unitPrice: 650, discount: 100 },
  { sku: 'RICE-5KG', category: 'grain', quantity: 1, unitPrice: 4990 },
  { sku: 'CHIPS', category: 'snacks', quantity: 3, unitPrice: 890 },
  { sku: 'SOAP', category: 'household', quantity: 1, unitPrice: 1250, discount: 250 },
];

/** Every row of every collection, as canonical JSON text per collection: to prove a failed command changed nothing. */
export async function snapshot(
  crm: Clientele,
  collections: readonly CollectionSpec[] = coreCollections,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const c of collections) {
    const rows: unknown[] = [];
    for await (const row of scan(crm.store, c)) rows.push(row);
    out[c.name] = JSON.stringify(rows);
  }
  return out;
}

/** A loyalty program that earns on everything, 1 point per yuan: what tills on the scenario's chain earn. */
export const EARN_ALL_PROGRAM = {
  id: 'tiantian',
  timeZone: 'Asia/Shanghai',
  earn: [{ id: 'base', name: 'Everything', kind: 'per-spend' as const, every: 100 }],
};
