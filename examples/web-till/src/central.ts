/**
 * Central for the web till: the chain's Clientele on a SQLite file, with the supermarket demo's
 * points program, one store, a till's member of staff with its API key, and a few members with
 * cards (made on first start).
 */
import { existsSync } from 'node:fs';
import { createClientele } from '@clientele/core';
import { apiKeys } from '@clientele/http';
import { loyalty, type ProgramInput } from '@clientele/loyalty';
import { sqliteStore } from '@clientele/sqlite';
import { TIANTIAN_POINTS } from '../../supermarket-pos/src/sections/loyalty.js';

/** The program central runs: the supermarket demo's Tiantian points. */
export const PROGRAM: ProgramInput = TIANTIAN_POINTS;

/** Where the web till sells, and as whom. */
export const STORE_ID = 'S01';
export const TERMINAL_ID = 'W1';
export const TILL_STAFF_ID = 'S01-W1';

/** The demo's members: name, welcome points. Their cards are issued on first start. */
const MEMBERS = [
  { name: '张伟', points: 300 },
  { name: '李娜', points: 120 },
  { name: 'Chen Jing', points: 0 },
] as const;

const HQ = { actor: { system: 'head-office' } };

/** The till's rights: what `@clientele/till` calls (see docs/offline-tills.md). */
const TILL_PERMISSIONS = [
  'cards.read',
  'sales.record',
  'loyalty.read',
  'loyalty.vouchers.read',
  'loyalty.stored-value.read',
  'stores.read',
];

function makeCentral(file: string) {
  return createClientele({ store: sqliteStore({ file }), modules: [loyalty(PROGRAM), apiKeys()] as const });
}

/** Central Clientele, as the server holds it. */
export type Central = ReturnType<typeof makeCentral>;

/** The opened central: its Clientele, the till's API key, the demo's cards. */
export interface OpenedCentral {
  crm: Central;
  /** The key the web till calls the API with (a new one at each start; the earlier ones are revoked). */
  tillKey: string;
  /** The demo members' card numbers, with their names. */
  cards: Array<{ number: string; name: string }>;
  /** Whether the database was made now. */
  made: boolean;
  close(): Promise<void>;
}

/** Opens central on `file`, making the demo's chain in it on first start. */
export async function openCentral(file: string): Promise<OpenedCentral> {
  const made = file === ':memory:' || !existsSync(file);
  const crm = makeCentral(file);
  await crm.migrate();
  if (made) await makeChain(crm);
  // One live key for the till: the earlier ones (their secrets are gone with the process) are revoked.
  const keys = await crm.apiKeys.list({}, HQ);
  for (const key of keys.items)
    if (key.name === `Web till ${TERMINAL_ID}`) await crm.apiKeys.revoke({ keyId: key.id }, HQ);
  const { token } = await crm.apiKeys.create(
    { name: `Web till ${TERMINAL_ID}`, actor: { staffId: TILL_STAFF_ID } },
    HQ,
  );
  const cards: OpenedCentral['cards'] = [];
  for (const m of MEMBERS) {
    const found = await crm.customers.search({ name: m.name }, HQ);
    const customer = found.items[0];
    if (!customer) continue;
    const owned = await crm.cards.ofCustomer(customer.id, HQ);
    const card = owned.find((c) => c.status === 'active');
    if (card) cards.push({ number: card.number, name: m.name });
  }
  return { crm, tillKey: token, cards, made, close: () => crm.close() };
}

async function makeChain(crm: Central): Promise<void> {
  await crm.stores.create({ id: STORE_ID, name: 'Renmin Road', region: 'East', timeZone: 'Asia/Shanghai' }, HQ);
  await crm.roles.define({ id: 'till', name: 'Till', permissions: TILL_PERMISSIONS }, HQ);
  await crm.staff.add({ id: TILL_STAFF_ID, name: 'Web till 1', storeId: STORE_ID, roleId: 'till' }, HQ);
  await crm.cards.defineType({ id: 'MEMBER', name: 'Member card', prefix: '88', length: 13 }, HQ);
  for (const m of MEMBERS) {
    const customer = await crm.customers.register({ kind: 'individual', name: m.name, homeStoreId: STORE_ID }, HQ);
    await crm.cards.issue({ typeId: 'MEMBER', storeId: STORE_ID, customerId: customer.id }, HQ);
    if (m.points > 0)
      await crm.loyalty.adjust(
        { customerId: customer.id, points: m.points, reason: 'welcome' },
        { ...HQ, idempotencyKey: `welcome-${customer.id}` },
      );
  }
}
