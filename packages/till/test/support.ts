/** A chain's central Clientele on PostgreSQL (SQLite when no server answers), and tills on SQLite files. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClientele, manualClock, StoreUnavailableError, type ManualClock, type Store } from '@clientele/core';
import { loyalty, type ProgramInput } from '@clientele/loyalty';
import { sqliteStore } from '@clientele/sqlite';
import { STORE_KINDS } from '../../../tests/support/stores.js';
import { createTill, inProcessCentral, type TillCentral } from '../src/index.js';

export const SYSTEM = { actor: { system: 'test-setup' } } as const;
export const TILL_ACTOR = { staffId: 'S01-T1' } as const;

/** Fresh food 10 yuan = 1 point, everything else 20 yuan = 1 point, double on the weekend; 1 point = 1 fen. */
export const PROGRAM = {
  id: 'tiantian',
  name: 'Tiantian points',
  currency: 'CNY',
  timeZone: 'Asia/Shanghai',
  groups: { base: 'best-of' },
  earn: [
    { id: 'fresh', name: 'Fresh food', kind: 'per-spend', every: 1000, group: 'base', when: { category: ['dairy'] } },
    { id: 'general', name: 'Everything else', kind: 'per-spend', every: 2000, group: 'base', priority: -10 },
    { id: 'weekend', name: 'Weekend', kind: 'multiplier', factor: 2, when: { weekday: ['sat', 'sun'] } },
  ],
  redemption: { paymentMethod: 'points', holdMinutes: 15, minPoints: 1 },
} satisfies ProgramInput;

/** The central store kind: PostgreSQL when it answers. */
export const CENTRAL_KIND =
  STORE_KINDS.find((k) => k.name === 'postgres') ?? STORE_KINDS.find((k) => k.name === 'sqlite')!;

const dirs: string[] = [];
/** A till's own SQLite file in a fresh directory. */
export function tillFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'clientele-till-'));
  dirs.push(dir);
  return join(dir, 'till.db');
}
/** A till's store as the guide opens one: checkpoints when idle, no memory map. */
export const localStore = (file: string): Store => sqliteStore({ file, checkpoint: 'idle', mmapBytes: 0 });
export function removeTillFiles(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** The chain's central Clientele: store S01, a clerk's role, till staff, a card type. */
export async function openCentral(store?: Store, clock: ManualClock = manualClock('2026-11-02T02:00:00Z')) {
  const crm = createClientele({
    store: store ?? (await CENTRAL_KIND.open()),
    clock,
    modules: [loyalty(PROGRAM)] as const,
  });
  await crm.migrate();
  await crm.stores.create({ id: 'S01', name: 'Renmin Road', region: 'East', timeZone: 'Asia/Shanghai' }, SYSTEM);
  await crm.roles.define(
    {
      id: 'till',
      name: 'Till',
      permissions: [
        'cards.read',
        'sales.record',
        'loyalty.read',
        'loyalty.vouchers.read',
        'loyalty.stored-value.read',
        'stores.read',
      ],
    },
    SYSTEM,
  );
  for (const t of ['T1', 'T2', 'T3'])
    await crm.staff.add({ id: `S01-${t}`, name: `Till ${t}`, storeId: 'S01', roleId: 'till' }, SYSTEM);
  await crm.cards.defineType({ id: 'GOLD', name: 'Gold', prefix: '88', length: 13 }, SYSTEM);
  return { crm, clock };
}
export type Central = Awaited<ReturnType<typeof openCentral>>;

let keys = 0;
/** A member with a card and `points` points to spend. */
export async function member(central: Central, points = 0, name = '张伟') {
  const { crm } = central;
  const m = await crm.customers.register({ kind: 'individual', name, homeStoreId: 'S01' }, SYSTEM);
  const card = await crm.cards.issue({ typeId: 'GOLD', storeId: 'S01', customerId: m.id }, SYSTEM);
  if (points > 0)
    await crm.loyalty.adjust(
      { customerId: m.id, points, reason: 'opening balance' },
      { ...SYSTEM, idempotencyKey: `opening-${++keys}-${m.id}` },
    );
  return { customerId: m.id, cardNumber: card.number };
}

/**
 * A link to central that can be cut: `down` refuses every call before central sees it, `loseAnswers`
 * lets central do the call and then drops its answer (the till cannot tell the two apart).
 */
export function cuttable(inner: TillCentral) {
  const link = { down: false, loseAnswers: false, calls: 0 };
  const wrapped = Object.fromEntries(
    Object.entries(inner).map(([name, fn]) => [
      name,
      async (...args: unknown[]) => {
        link.calls++;
        if (link.down) throw new StoreUnavailableError(`link to central is down (${name})`);
        const answer = await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
        if (link.loseAnswers) throw new StoreUnavailableError(`answer of ${name} lost`);
        return answer;
      },
    ]),
  ) as unknown as TillCentral;
  return { central: wrapped, link };
}

/** Central in process for till `terminal`, behind a link that can be cut. */
export const linkTo = (central: Central, terminal = 'T1') =>
  cuttable(inProcessCentral(central.crm, { actor: { staffId: `S01-${terminal}` } }));

export const MILK = { sku: 'MILK-1L', category: 'dairy', quantity: 2, unitPrice: 1350 };
export const SOAP = { sku: 'SOAP', category: 'household', quantity: 1, unitPrice: 4500 };

/** What a test till is opened with: its file, terminal and offline allowances (none by default). */
export interface TestTillOptions {
  file?: string;
  terminalId?: string;
  /** Points per member held for offline spending. */
  points?: number;
  /** Minor units per stored-value card held for offline spending. */
  storedValue?: number;
}

/** A till on its own SQLite file, linked to `central` by a wire a test can cut. */
export async function openTill(central: Central, options: TestTillOptions = {}) {
  const { file = tillFile(), terminalId = 'T1', points = 0, storedValue = 0 } = options;
  const { central: link, link: wire } = linkTo(central, terminalId);
  const local = localStore(file);
  const till = await createTill({
    terminalId,
    storeId: 'S01',
    local,
    central: link,
    clock: central.clock,
    retryAfterMs: 0,
    allowance: { points, storedValue, minutes: 120 },
  });
  return { till, wire, local, file };
}
