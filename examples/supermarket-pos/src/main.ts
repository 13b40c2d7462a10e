/**
 * A day at a small supermarket chain, on the embedded SQLite store: members of all three kinds,
 * cards (one lost and replaced), a day of sales with a retry and a return, a complaint call, a
 * duplicate merged; then vouchers and prepaid cards, complaints up the ladder (one compensated with
 * a voucher), Tiantian points through to year end, a quarter
 * of shopping classified into segments, and a customer's timeline. Run with `npm run demo`.
 */
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createClientele, isClienteleError, manualClock } from '@clientele/core';
import { purchasesCollection } from '@clientele/core/module';
import { complaints } from '@clientele/complaints';
import { loyalty } from '@clientele/loyalty';
import { segments } from '@clientele/segments';
import { sqliteStore } from '@clientele/sqlite';
import { CLERK_S01, CLERK_S02, HQ, MANAGER_S01, RELATIONS, openChain } from './chain.js';
import { heading, line, local, table, yuan } from './print.js';
import { TIANTIAN_LADDER, complaintsSection } from './sections/complaints.js';
import { TIANTIAN_POINTS, loyaltySection } from './sections/loyalty.js';
import { vouchersSection } from './sections/vouchers.js';
import { segmentsSection } from './sections/segments.js';

// CLIENTELE_DEMO_DB puts the demo's database elsewhere (the back-office example starts on a copy of its own).
const file = process.env['CLIENTELE_DEMO_DB'] ?? fileURLToPath(new URL('../supermarket.db', import.meta.url));
for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });

// 08:00 in Shanghai on Monday 2 November 2026; the demo moves the clock through the day.
const clock = manualClock('2026-11-02T00:00:00Z');
const crm = createClientele({
  store: sqliteStore({ file }),
  clock,
  modules: [loyalty(TIANTIAN_POINTS), complaints(TIANTIAN_LADDER), segments()] as const,
});

const migration = await crm.migrate();
heading('Opening the chain');
line(`Database: examples/supermarket-pos/supermarket.db (SQLite); ${migration.applied.length} migrations applied:`);
line(migration.applied.join(', '), 4);
await openChain(crm);
const stores = (await crm.stores.list()).items;
table(
  ['Store', 'Name', 'Region'],
  stores.map((s) => [s.id, s.name, s.region]),
);

heading('Registering customers: a member, a company that buys in bulk, a supplier that also buys');
const zhang = await crm.customers.register(
  {
    kind: 'individual',
    name: '张伟',
    phone: '138 0013 8000',
    gender: 'male',
    birthDate: '1986-05-20',
    homeStoreId: 'S01',
    consent: { sms: true },
    verified: true,
  },
  CLERK_S01,
);
const wang = await crm.customers.register(
  { kind: 'individual', name: '王芳', phone: '139 1111 2222', homeStoreId: 'S01' },
  CLERK_S01,
);
const canteen = await crm.customers.register(
  {
    kind: 'organisation',
    legalName: '上海明光餐饮有限公司',
    tradeName: '明光食堂 Mingguang Canteen',
    taxId: '91310101MA1FPX',
    industry: 'catering',
    region: '华东 East',
    sizeClass: 'medium',
    phone: '021-5555-0101',
    address: '上海市黄浦区人民路 88 号',
    contacts: [{ name: '陈静', role: 'purchasing manager', phone: '13900001111' }],
  },
  CLERK_S01,
);
const farm = await crm.customers.register(
  {
    kind: 'supplier',
    legalName: 'Green Valley Farms',
    taxId: 'GV-2031-77',
    region: '西南 Southwest',
    alsoCustomer: true,
    supplier: { supplierCode: 'SUP-07', categories: ['fresh-fruit'], paymentTermsDays: 30 },
  },
  CLERK_S01,
);
table(
  ['Id', 'Kind', 'Name', 'Roles', 'Complete:'],
  [zhang, wang, canteen, farm].map((c) => [
    c.id,
    c.kind,
    c.displayName,
    [c.roles.customer && 'buys', c.roles.supplier && 'supplies'].filter(Boolean).join(', '),
    `${c.completeness.score}%`,
  ]),
);

heading('Membership cards');
const zhangCard = await crm.cards.issue({ typeId: 'GOLD', storeId: 'S01', customerId: zhang.id }, CLERK_S01);
const wangCard = await crm.cards.issue({ typeId: 'GOLD', storeId: 'S01', customerId: wang.id }, CLERK_S01);
const canteenCard = await crm.cards.issue({ typeId: 'BIZ', storeId: 'S01', customerId: canteen.id }, CLERK_S01);
line(`张伟 ${zhangCard.number}   王芳 ${wangCard.number}   明光食堂 ${canteenCard.number}`);
clock.advance(30 * 60_000);
await crm.cards.reportLost({ number: wangCard.number, reason: 'lost on the bus' }, CLERK_S01);
line(`王芳 calls: card ${wangCard.number} lost. It is blocked at once.`);
const tryLost = await crm.purchases
  .record(
    {
      storeId: 'S01',
      terminalId: 'T1',
      receiptNo: 'S01-T1-0001',
      cardNumber: wangCard.number,
      lines: [{ sku: 'EGGS-10', category: 'fresh-eggs', quantity: 1, unitPrice: 1590 }],
    },
    { ...CLERK_S01, idempotencyKey: 'S01-T1-0001' },
  )
  .catch((e: unknown) => e);
if (isClienteleError(tryLost))
  line(`Someone tries the lost card at till T1 → refused: ${tryLost.code} (${tryLost.message})`);
const wangNew = await crm.cards.replace({ number: wangCard.number, storeId: 'S02', reason: 'lost' }, CLERK_S02);
line(
  `Replaced at S02 by card ${wangNew.number}; the new card belongs to ` +
    `${(await crm.cards.lookup(wangNew.number, CLERK_S02)).customer?.displayName}.`,
);

heading('A day of sales');
let receipt = 1;
const sale = async (
  storeId: string,
  terminalId: string,
  who: { cardNumber?: string; customerId?: string },
  lines: Array<{ sku: string; name: string; category: string; quantity: number; unitPrice: number; discount?: number }>,
  payments?: Array<{ method: string; amount: number }>,
) => {
  const receiptNo = `${storeId}-${terminalId}-${String(++receipt).padStart(4, '0')}`;
  clock.advance(37 * 60_000);
  const clerk = storeId === 'S02' ? CLERK_S02 : CLERK_S01;
  return crm.purchases.record(
    { storeId, terminalId, receiptNo, ...who, lines, ...(payments ? { payments } : {}) },
    { ...clerk, idempotencyKey: `sale:${receiptNo}` },
  );
};
const milk = { sku: 'MILK-1L', name: '光明鲜牛奶 1L', category: 'dairy', quantity: 2, unitPrice: 1350 };
const apples = { sku: 'APPLE-FUJI', name: '富士苹果 (kg)', category: 'fresh-fruit', quantity: 1.26, unitPrice: 1299 };
const rice = { sku: 'RICE-5KG', name: '五常大米 5kg', category: 'grain', quantity: 1, unitPrice: 6990, discount: 1000 };
const oil = { sku: 'OIL-5L', name: '花生油 5L', category: 'grocery', quantity: 1, unitPrice: 8990 };
const tissue = { sku: 'TISSUE-12', name: '抽纸 12包', category: 'household', quantity: 1, unitPrice: 3290 };
const kettle = { sku: 'KETTLE-17', name: '电热水壶 1.7L', category: 'appliances', quantity: 1, unitPrice: 15900 };

const sales = [
  await sale('S01', 'T1', { cardNumber: zhangCard.number }, [milk, apples, rice, oil, tissue]),
  await sale('S01', 'T2', {}, [milk, tissue]),
  await sale('S02', 'T1', { cardNumber: wangNew.number }, [apples, { ...milk, quantity: 1 }]),
  await sale(
    'S01',
    'T1',
    { cardNumber: canteenCard.number },
    [
      { ...rice, quantity: 20, discount: 20000 },
      { ...oil, quantity: 10 },
    ],
    [{ method: 'account', amount: 20 * 6990 - 20000 + 10 * 8990 }],
  ),
  await sale('S03', 'T1', { customerId: farm.id }, [tissue, { ...milk, quantity: 6 }]),
  await sale('S01', 'T2', { cardNumber: zhangCard.number }, [kettle]),
  await sale('S02', 'T2', {}, [apples]),
];
table(
  ['Receipt', 'Time', 'Customer', 'Lines:', 'Total:', 'Points:'],
  await Promise.all(
    sales.map(async (s) => [
      s.receiptNo,
      local(s.occurredAt),
      s.customerId ? (await crm.customers.get(s.customerId, CLERK_S01)).displayName : '(anonymous)',
      String(s.lines.length),
      yuan(s.total),
      s.customerId ? String((await crm.loyalty.saleAward(s.id, CLERK_S01)).points) : '-',
    ]),
  ),
);

const first = sales[0]!;
const retry = await crm.purchases.record(
  {
    storeId: 'S01',
    terminalId: 'T1',
    receiptNo: first.receiptNo,
    cardNumber: zhangCard.number,
    lines: [milk, apples, rice, oil, tissue],
  },
  { ...CLERK_S01, idempotencyKey: `sale:${first.receiptNo}` },
);
line('');
line(
  `Till T1 lost its network and sent receipt ${first.receiptNo} again with the same key: got sale ${retry.id} ` +
    `back (${retry.id === first.id ? 'the same one' : 'a NEW one?!'}); nothing was written twice.`,
);
const typo = await crm.cards.lookup('8800000000014', CLERK_S01).catch((e: unknown) => e);
if (isClienteleError(typo)) line(`A cashier mistypes a card number (8800000000014) → ${typo.code}, ${typo.message}`);

heading('A return, within and beyond the clerk’s authority');
clock.advance(45 * 60_000);
const milkBack = await crm.purchases.return(
  { purchaseId: first.id, storeId: 'S01', lines: [{ lineNo: 1, quantity: 1 }], reason: 'sour milk' },
  { ...CLERK_S01, idempotencyKey: `return:${first.receiptNo}:1` },
);
line(`张伟 returns one bottle of milk: refunded ${yuan(milkBack.amount)} by clerk 李娜 at once.`);
const kettleSale = sales[5]!;
const refused = await crm.purchases
  .return(
    { purchaseId: kettleSale.id, storeId: 'S01', lines: [{ lineNo: 1, quantity: 1 }], reason: 'does not heat' },
    { ...CLERK_S01, idempotencyKey: `return:${kettleSale.receiptNo}:1` },
  )
  .catch((e: unknown) => e);
if (isClienteleError(refused))
  line(`The kettle (${yuan(kettleSale.total)}) → ${refused.code}: ${refused.message} (fen); the refusal is audited.`);
const approved = await crm.purchases.return(
  {
    purchaseId: kettleSale.id,
    storeId: 'S01',
    lines: [{ lineNo: 1, quantity: 1 }],
    reason: 'does not heat',
    approvedBy: 'S01-M1',
  },
  { ...CLERK_S01, idempotencyKey: `return:${kettleSale.receiptNo}:2` },
);
line(`Manager 王强 approves: ${yuan(approved.amount)} refunded, approved by ${approved.approvedBy}.`);
const tooMuch = await crm.purchases
  .return(
    { purchaseId: first.id, storeId: 'S01', lines: [{ lineNo: 1, quantity: 5 }], reason: 'x' },
    { ...CLERK_S01, idempotencyKey: `return:${first.receiptNo}:2` },
  )
  .catch((e: unknown) => e);
if (isClienteleError(tooMuch)) line(`Returning 5 more bottles of that receipt → ${tooMuch.code}, ${tooMuch.message}`);

heading('The counter logs a complaint call');
clock.advance(20 * 60_000);
await crm.interactions.log(
  {
    customerId: zhang.id,
    channel: 'phone',
    kind: 'complaint',
    summary: 'Milk bought this morning was sour; refunded at the counter, asks that the dairy fridge be checked.',
    related: { type: 'purchase', id: first.id },
  },
  MANAGER_S01,
);
line('Store manager 王强 logs it on 张伟’s record; every department sees it on the timeline.');

heading('Duplicate files');
const dup = await crm.customers.register(
  {
    kind: 'individual',
    name: '王 芳',
    phone: '13911112222',
    email: 'wangfang@example.cn',
    birthDate: '1990-08-08',
    homeStoreId: 'S01',
  },
  CLERK_S02,
);
const matches = await crm.customers.duplicatesOf(dup.id, CLERK_S02);
const likely = matches.map((m) => `${m.customer.id} (${m.reasons.join(', ')})`).join('; ');
line(`A clerk at S02 registered "王 芳" again. Likely duplicates: ${likely}`);
const merge = await crm.customers.merge(
  { survivorId: wang.id, mergedId: dup.id, reason: 'same person registered twice' },
  RELATIONS,
);
const merged = await crm.customers.get(wang.id, RELATIONS);
line(
  `Customer relations merged it into ${wang.id}: moved ${JSON.stringify(merge.moved)}; the file now has email ` +
    `${merged.email} and birth date ${merged.kind === 'individual' ? merged.birthDate : ''}.`,
);

heading('Sales by store today (pushed down to SQL)');
const byStore = await crm.store.aggregate(purchasesCollection, {
  groupBy: ['storeId'],
  measures: {
    sales: { fn: 'count' },
    revenue: { fn: 'sum', field: 'total' },
    refunded: { fn: 'sum', field: 'refundedTotal' },
  },
});
table(
  ['Store', 'Sales:', 'Revenue:', 'Refunded:'],
  byStore.map((g) => [
    String(g['storeId']),
    String(g['sales']),
    yuan(g['revenue'] as number),
    yuan(g['refunded'] as number),
  ]),
);

heading('Files that need attention');
const review = await crm.customers.needingReview({ unverifiedForDays: 365 }, RELATIONS);
table(
  ['Customer', 'Missing', 'Last verified:'],
  review.items.map((i) => [
    i.customer.displayName,
    i.missing.join(', ') || '-',
    i.daysSinceVerified === null ? 'never' : `${i.daysSinceVerified} days ago`,
  ]),
);

await vouchersSection(crm, clock, { customerId: zhang.id, cardNumber: zhangCard.number, name: zhang.displayName });
await complaintsSection(crm, clock, { voucherTemplateId: 'SORRY-800' });
await loyaltySection(crm, clock, { customerId: zhang.id, cardNumber: zhangCard.number, name: zhang.displayName });
await segmentsSection(crm, clock, { hq: HQ, clerk: CLERK_S01 });

heading(`Timeline of 张伟 (${zhang.id}), newest first`);
const timeline = await crm.timeline(zhang.id, { limit: 20 }, RELATIONS);
for (const entry of timeline.items) line(`${local(entry.at)}  ${entry.summary}`);

heading('Events relayed from the outbox (to a broker or webhook)');
const byType = new Map<string, number>();
const relayed = await crm.outbox.relay((event) => void byType.set(event.type, (byType.get(event.type) ?? 0) + 1));
line(`${relayed.delivered} events delivered in order, up to position ${relayed.position}, by type:`);
line([...byType].map(([t, n]) => `${t} ×${n}`).join(', '), 4);
const refusals = await crm.audit.list({ outcome: 'refused' }, HQ);
line(`Audit log: ${refusals.items.length} refused command(s):`);
for (const r of refusals.items) line(`${r.command} by ${JSON.stringify(r.actor)} (${r.errorCode})`, 4);

await crm.close();
line('');
line('Done. Run it again any time: the demo starts from an empty database each run.');
