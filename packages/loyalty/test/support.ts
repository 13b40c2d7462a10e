/** A supermarket chain with the loyalty module installed, on any store kind; and a Tiantian-style program. */
import { createClientele, manualClock, type Clientele, type ManualClock, type Store } from '@clientele/core';
import { scan, type CollectionSpec } from '@clientele/core/module';
import { loyalty, loyaltyCollections, type LoyaltyApi, type LoyaltyOptions, type ProgramInput } from '../src/index.js';
import { SYSTEM, CLERK } from '../../../tests/support/chain.js';

export { SYSTEM, CLERK, freshKey, nextReceipt } from '../../../tests/support/chain.js';
export { STORE_KINDS } from '../../../tests/support/stores.js';

/** A loyalty clerk may adjust up to 20 yuan of points and grant goodwill up to 50 yuan. */
export const DESK = { actor: { staffId: 'E-DESK' } } as const;
export const MANAGER = { actor: { staffId: 'E-MANAGER' } } as const;

/**
 * Fresh food 10 yuan = 1 point, household 5 yuan = 1 point, everything else 20 yuan = 1 point, tobacco and gift cards
 * excluded.
 */
export const PROGRAM = {
  id: 'tiantian',
  name: 'Tiantian points',
  currency: 'CNY',
  timeZone: 'Asia/Shanghai',
  // 1 point is worth 1 fen.
  pointValue: { points: 1, amount: 1 },
  exclude: { category: ['tobacco', 'gift-card', 'stored-value'] },
  groups: { base: 'best-of' },
  earn: [
    {
      id: 'fresh',
      name: 'Fresh food',
      kind: 'per-spend',
      every: 1000,
      group: 'base',
      when: { category: ['fresh-fruit', 'vegetables', 'dairy'] },
    },
    {
      id: 'household',
      name: 'Household',
      kind: 'per-spend',
      every: 500,
      group: 'base',
      when: { category: ['household'] },
    },
    { id: 'general', name: 'Everything else', kind: 'per-spend', every: 2000, group: 'base', priority: -10 },
    { id: 'weekend', name: 'Weekend', kind: 'multiplier', factor: 2, when: { weekday: ['sat', 'sun'] } },
    { id: 'gold', name: 'Gold members', kind: 'multiplier', factor: 1.5, when: { tier: ['gold'] } },
    { id: 'first', name: 'First purchase', kind: 'bonus', points: 50, when: { firstPurchase: true } },
    { id: 'big-basket', name: 'Big basket', kind: 'bonus', points: 30, when: { minBasket: 10000 } },
  ],
  activities: [
    { code: 'welcome', type: 'registration', points: 20 },
    { code: 'review', type: 'review', points: 10, limit: { count: 2, period: 'month' } },
    { code: 'referral', type: 'referral', points: 100, referrerPoints: 300, limit: { count: 5, period: 'year' } },
    { code: 'birthday', type: 'birthday', points: 200 },
    {
      code: 'app-check-in',
      type: 'custom',
      name: 'App check-in',
      points: 5,
      payload: { streak: { type: 'integer', min: 1, max: 365 } },
      limit: { count: 1, period: 'day' },
    },
  ],
  expiry: { kind: 'end-of-year', afterMonths: 0 },
  warnDays: 30,
  tiers: {
    basis: 'points',
    window: { kind: 'rolling', months: 12 },
    review: { kind: 'anniversary', months: 12 },
    levels: [
      { code: 'standard', name: 'Standard', threshold: 0 },
      { code: 'silver', name: 'Silver', threshold: 500 },
      { code: 'gold', name: 'Gold', threshold: 2000 },
    ],
  },
} satisfies ProgramInput;

/** A wired chain with loyalty mounted. */
export interface LoyaltyChain {
  crm: Clientele<readonly [ReturnType<typeof loyalty>]>;
  loyalty: LoyaltyApi;
  clock: ManualClock;
  store: Store;
}

/**
 * Two stores in Shanghai, a clerk, a manager, a loyalty desk; Monday 2 November 2026, 10:00 local. `auditReads` as for
 * `createClientele`.
 */
export async function openLoyaltyChain(
  store: Store,
  program: ProgramInput = PROGRAM,
  start = '2026-11-02T02:00:00Z',
  options: LoyaltyOptions = {},
  settings: { auditReads?: boolean } = {},
): Promise<LoyaltyChain> {
  const clock = manualClock(start);
  const crm = createClientele({
    store,
    clock,
    modules: [loyalty(program, options)] as const,
    auditReads: settings.auditReads ?? false,
  });
  await crm.migrate();
  await crm.stores.create({ id: 'S01', name: '人民路店', region: 'East', timeZone: 'Asia/Shanghai' }, SYSTEM);
  await crm.stores.create({ id: 'S02', name: 'Hillside', region: 'West', timeZone: 'Asia/Shanghai' }, SYSTEM);
  await crm.roles.define(
    {
      id: 'clerk',
      name: 'Counter clerk',
      permissions: ['customers.write', 'cards.issue', 'sales.*', 'interactions.write'],
      limits: { refund: 5000 },
    },
    SYSTEM,
  );
  await crm.roles.define(
    {
      id: 'manager',
      name: 'Store manager',
      permissions: ['customers.*', 'cards.*', 'sales.*', 'loyalty.*'],
      limits: { refund: 50000, 'points-adjustment': 100000, 'goodwill-points': 100000 },
    },
    SYSTEM,
  );
  await crm.roles.define(
    {
      id: 'desk',
      name: 'Loyalty desk',
      permissions: ['loyalty.adjust', 'loyalty.goodwill', 'loyalty.activity', 'loyalty.redeem'],
      limits: { 'points-adjustment': 2000, 'goodwill-points': 5000 },
    },
    SYSTEM,
  );
  await crm.staff.add({ id: 'E-CLERK', name: '李娜', storeId: 'S01', roleId: 'clerk' }, SYSTEM);
  await crm.staff.add({ id: 'E-MANAGER', name: '王强', storeId: 'S01', roleId: 'manager' }, SYSTEM);
  await crm.staff.add({ id: 'E-DESK', name: '赵敏', storeId: 'S01', roleId: 'desk' }, SYSTEM);
  return { crm, loyalty: crm.loyalty, clock, store };
}

/** Registers a member (individual). */
export async function member(chain: LoyaltyChain, name = '张伟', extra: Record<string, unknown> = {}): Promise<string> {
  return (
    await chain.crm.customers.register({ kind: 'individual', name, homeStoreId: 'S01', ...extra } as never, CLERK)
  ).id;
}

/** Every row of the loyalty collections (and core's), to prove a refused command changed nothing. */
export async function loyaltySnapshot(
  chain: LoyaltyChain,
  extra: readonly CollectionSpec[] = [],
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const c of [...loyaltyCollections, ...extra]) {
    const rows: unknown[] = [];
    for await (const row of scan(chain.store, c)) rows.push(row);
    out[c.name] = JSON.stringify(rows);
  }
  return out;
}
