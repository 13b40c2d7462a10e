/**
 * A chain with core and every module installed (loyalty, complaints, segments), an actor whose role
 * grants everything with high limits, and one of each thing commands refer to: stores, a member, an
 * organisation, a card, a sale, points on hold, a voucher, a stored-value card and an authorisation on
 * it, a complaint case, a corrective action, a survey invitation, a segment, a credit account.
 */
import { createClientele, manualClock, type Clientele, type ManualClock, type Store } from '@clientele/core';
import { encodeJson, scan, type CollectionSpec } from '@clientele/core/module';
import { coreCollections } from '@clientele/core/adapter';
import { complaints } from '@clientele/complaints';
import { loyalty } from '@clientele/loyalty';
import { segments } from '@clientele/segments';
import { TIANTIAN } from '../../packages/complaints/test/support/world.js';
import { PROGRAM } from '../../packages/loyalty/test/support.js';
import { BASKET, SYSTEM, freshKey, nextReceipt } from './chain.js';

/** The staff member whose role grants every permission, with limits no test amount reaches. */
export const ROOT = { actor: { staffId: 'E-ROOT' } } as const;

const HIGH = 1_000_000_000;

/** Ids of what the chain holds, for inputs that refer to real things. */
export interface FullChainIds {
  member: string;
  organisation: string;
  cardNumber: string;
  purchaseId: string;
  holdId: string;
  voucherCode: string;
  svCardNumber: string;
  svPaymentId: string;
  caseId: string;
  actionId: string;
  invitationId: string;
}

/** A full chain. */
export interface FullChain {
  crm: Clientele;
  clock: ManualClock;
  store: Store;
  ids: FullChainIds;
  /** Every collection of core and of the modules. */
  collections: readonly CollectionSpec[];
}

/** Opens the chain on `store` (migrated, seeded). */
export async function openFullChain(store: Store): Promise<FullChain> {
  const clock = manualClock('2026-11-02T02:00:00Z');
  const modules = [loyalty(PROGRAM), complaints(TIANTIAN), segments()] as const;
  const crm = createClientele({ store, clock, modules, onListenerError: () => undefined }) as unknown as Clientele &
    Record<string, any>;
  await crm.migrate();
  await crm.stores.create({ id: 'S01', name: '人民路店', region: 'East', timeZone: 'Asia/Shanghai' }, SYSTEM);
  await crm.stores.create({ id: 'S02', name: 'Hillside', region: 'West', timeZone: 'Asia/Shanghai' }, SYSTEM);
  const limits = Object.fromEntries(
    [
      'refund',
      'compensation',
      'goodwill-points',
      'points-adjustment',
      'voucher',
      'exchange',
      'repair',
      'stored-value-refund',
      'credit',
      'import',
    ].map((a) => [a, HIGH]),
  );
  await crm.roles.define({ id: 'root', name: 'Everything', permissions: ['*'], limits }, SYSTEM);
  await crm.staff.add({ id: 'E-ROOT', name: '周总', storeId: 'S01', roleId: 'root' }, SYSTEM);
  await crm.cards.defineType({ id: 'GOLD', name: 'Gold', prefix: '88', length: 13 }, SYSTEM);

  const member = (
    await crm.customers.register({ kind: 'individual', name: '张伟', phone: '13800138000', homeStoreId: 'S01' }, ROOT)
  ).id;
  const organisation = (
    await crm.customers.register(
      { kind: 'organisation', legalName: 'Canteen Ltd', taxId: '91310000X', homeStoreId: 'S01' },
      ROOT,
    )
  ).id;
  const card = await crm.cards.issue({ typeId: 'GOLD', storeId: 'S01', customerId: member }, ROOT);
  const sale = await crm.purchases.record(
    { storeId: 'S01', terminalId: 'T1', receiptNo: nextReceipt(), cardNumber: card.number, lines: BASKET },
    { ...ROOT, idempotencyKey: freshKey('sale') },
  );
  await crm.loyalty.adjust(
    { customerId: member, points: 5000, reason: 'opening balance' },
    { ...ROOT, idempotencyKey: freshKey('adjust') },
  );
  const hold = await crm.loyalty.reserve(
    { customerId: member, points: 100, storeId: 'S01', terminalId: 'T1' },
    { ...ROOT, idempotencyKey: freshKey('hold') },
  );
  await crm.loyalty.vouchers.defineTemplate(
    { id: 'TEN', name: '10 yuan off', value: { kind: 'amount', amount: 1000 }, validity: { kind: 'days', days: 30 } },
    ROOT,
  );
  const issued = await crm.loyalty.vouchers.issue(
    { templateId: 'TEN', customerId: member },
    { ...ROOT, idempotencyKey: freshKey('issue') },
  );
  await crm.loyalty.storedValue.defineProduct({ id: 'GIFT', name: 'Gift card', kind: 'anonymous' }, ROOT);
  const svCard = await crm.loyalty.storedValue.sell(
    { productId: 'GIFT', storeId: 'S01', amount: 10000 },
    { ...ROOT, idempotencyKey: freshKey('sell') },
  );
  const payment = await crm.loyalty.storedValue.authorize(
    { cardNumber: svCard.number, amount: 500, storeId: 'S01', terminalId: 'T1' },
    { ...ROOT, idempotencyKey: freshKey('auth') },
  );
  const opened = await crm.complaints.open(
    {
      kind: 'complaint',
      channel: 'counter',
      storeId: 'S01',
      customerId: member,
      category: 'freshness',
      severity: 'medium',
      description: 'The milk was sour.',
    },
    ROOT,
  );
  const action = await crm.complaints.actions.create(
    {
      caseId: opened.id,
      cause: 'stale-goods',
      description: 'Check the dairy fridge',
      ownerStaffId: 'E-ROOT',
      dueInMinutes: 240,
    },
    ROOT,
  );
  const invitation = await crm.complaints.surveys.invite(
    { questionnaireId: 'after-purchase', storeId: 'S01', customerId: member },
    ROOT,
  );
  await crm.segments.define(
    { id: 'big', name: 'Big spenders', definition: { condition: 'spent-at-least', args: { amount: 30_000 } } },
    ROOT,
  );
  await crm.segments.credit.setAccount(
    { customerId: organisation, limit: 200_000, termsDays: 30, mode: 'block' },
    ROOT,
  );

  const voucher = Array.isArray(issued) ? issued[0] : issued;
  return {
    crm,
    clock,
    store,
    ids: {
      member,
      organisation,
      cardNumber: card.number,
      purchaseId: sale.id,
      holdId: hold.id,
      voucherCode: voucher.code,
      svCardNumber: svCard.number,
      svPaymentId: payment.id,
      caseId: opened.id,
      actionId: action.id,
      invitationId: invitation.id,
    },
    collections: [...coreCollections, ...modules.flatMap((m) => m.collections ?? [])],
  };
}

/**
 * Every row of every collection, rows in primary-key order, as one text per collection: equal texts
 * mean equal data. `keep` drops rows that may legitimately appear (audit entries of refusals).
 */
export async function dumpTables(
  chain: FullChain,
  keep: (collection: string, row: Record<string, unknown>) => boolean = () => true,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const c of chain.collections) {
    const rows: Array<Record<string, unknown>> = [];
    for await (const row of scan(chain.store, c))
      if (keep(c.name, row as Record<string, unknown>)) rows.push(row as Record<string, unknown>);
    const key = c.primaryKey;
    rows.sort((a, b) => (String(a[key]) < String(b[key]) ? -1 : String(a[key]) > String(b[key]) ? 1 : 0));
    out[c.name] = rows.map((r) => encodeJson(r)).join('\n');
  }
  return out;
}
