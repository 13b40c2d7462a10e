/**
 * The demo's vouchers and prepaid cards: the Tiantian rate table (100 points buy a 10-yuan voucher),
 * a member earns points, converts them into a voucher and uses it at the till, a cashier's mistyped
 * code is caught before anything is looked up, a shopper buys an anonymous prepaid card and pays part
 * of a basket with it, and the liability report shows what the chain owes on its cards.
 *
 * Wire it with `loyalty(TIANTIAN_POINTS)` among the modules and call
 * `vouchersSection(crm, clock, { customerId, cardNumber, name })`. It defines the templates and the
 * card products itself (`TIANTIAN_VOUCHERS`, `TIANTIAN_CARDS`) and a service desk to run them.
 */
import { isClienteleError, type Clientele, type ManualClock } from '@clientele/core';
import { refusalReason, type CardProductInput, type LoyaltyApi, type VoucherTemplateInput } from '@clientele/loyalty';
import { CLERK_S01, CLERK_S02, HQ } from '../chain.js';
import { heading, line, local, table, yuan } from '../print.js';

const NOT_FOR_VOUCHERS = ['tobacco', 'gift-card', 'stored-value'];

/** Tiantian's voucher templates: the points rate table, a campaign voucher, and one for service recovery. */
export const TIANTIAN_VOUCHERS: VoucherTemplateInput[] = [
  {
    id: 'CASH-10',
    name: '积分换券 10 元 Points voucher 10',
    value: { kind: 'amount', amount: 1000 },
    minSpend: 5000,
    validity: { kind: 'days', days: 30 },
    excludeCategories: NOT_FOR_VOUCHERS,
    conversion: { points: 100, minPoints: 100, perDay: 5 },
    belowMinimumOnReturn: 'restore',
  },
  {
    id: 'CASH-50',
    name: '积分换券 50 元 Points voucher 50',
    value: { kind: 'amount', amount: 5000 },
    minSpend: 20000,
    validity: { kind: 'days', days: 30 },
    excludeCategories: NOT_FOR_VOUCHERS,
    conversion: { points: 450, minPoints: 450, perDay: 2 },
    belowMinimumOnReturn: 'deduct',
  },
  {
    id: 'FRESH-WEEK',
    name: '生鲜周 9 折 Fresh week 10% off',
    value: { kind: 'percent', percent: 10, max: 3000 },
    validity: { kind: 'fixed', from: '2026-11-01', until: '2027-01-31' },
    categories: ['fresh-fruit', 'vegetables', 'dairy', 'fresh-eggs'],
    stackable: true,
  },
  {
    id: 'SORRY-50',
    name: '致歉券 50 元 Apology voucher',
    value: { kind: 'amount', amount: 5000 },
    validity: { kind: 'days', days: 60 },
    excludeCategories: NOT_FOR_VOUCHERS,
    perCustomer: 2,
  },
  {
    id: 'SORRY-800',
    name: '致歉券 800 元 Apology voucher, large',
    value: { kind: 'amount', amount: 80000 },
    validity: { kind: 'days', days: 180 },
    excludeCategories: NOT_FOR_VOUCHERS,
    perCustomer: 1,
  },
];

/** Tiantian's prepaid cards: an anonymous gift card sold in fixed values, and a named member card with a PIN. */
export const TIANTIAN_CARDS: CardProductInput[] = [
  {
    id: 'GIFT',
    name: '天天购物卡 Gift card',
    kind: 'anonymous',
    prefix: '95',
    values: [10000, 20000, 50000, 100000],
    maxBalance: 500000,
    topUp: { bonuses: [{ from: 100000, bonus: 5000 }] },
    validityMonths: 36,
    breakage: { onExpiry: true },
  },
  {
    id: 'MEMBER',
    name: '会员储值卡 Member card',
    kind: 'named',
    prefix: '96',
    pin: 'required',
    topUp: {
      bonuses: [
        { from: 100000, bonus: 5000 },
        { from: 50000, bonus: 2000 },
      ],
    },
    breakage: { dormantMonths: 24 },
  },
];

/** The member the section follows. */
export interface VoucherMember {
  customerId: string;
  cardNumber: string;
  name: string;
}

/** What the section needs of the wired instance: core's sales and staff, and the loyalty module. */
export type VouchersDemoCrm = Pick<Clientele, 'purchases' | 'roles' | 'staff'> & { loyalty: LoyaltyApi };

const DESK = { actor: { staffId: 'HQ-SV1' } };

/** Runs the section for one member. Moves the demo's clock forward by an hour or so. */
export async function vouchersSection(crm: VouchersDemoCrm, clock: ManualClock, who: VoucherMember): Promise<void> {
  const { vouchers, storedValue } = crm.loyalty;
  let n = 0;
  const key = (what: string) => `${what}:vouchers-demo:${++n}`;
  const receipt = (storeId: string) => `${storeId}-T5-${String(7000 + n).padStart(4, '0')}`;

  heading('Vouchers and prepaid cards');
  for (const t of TIANTIAN_VOUCHERS) await vouchers.defineTemplate(t, HQ);
  for (const p of TIANTIAN_CARDS) await storedValue.defineProduct(p, HQ);
  await crm.roles.define(
    {
      id: 'service-desk',
      name: '服务台 Service desk',
      permissions: [
        'loyalty.vouchers.issue',
        'loyalty.vouchers.convert',
        'loyalty.vouchers.cancel',
        'loyalty.stored-value.manage',
        'sales.record',
      ],
      limits: { voucher: 10000 },
    },
    HQ,
  );
  await crm.staff.add({ id: 'HQ-SV1', name: '林芳', storeId: 'S01', roleId: 'service-desk' }, HQ);
  table(
    ['Voucher', 'Worth', 'Min. spend:', 'Valid', 'Points:'],
    (await vouchers.templates()).map((t) => [
      t.name,
      t.value.kind === 'amount' ? yuan(t.value.amount) : `${t.value.percent}% (≤ ${yuan(t.value.max)})`,
      yuan(t.minSpend),
      t.validity.kind === 'days' ? `${t.validity.days} days` : `${t.validity.from} to ${t.validity.until}`,
      t.conversion ? String(t.conversion.points) : '-',
    ]),
  );

  heading(`${who.name} turns points into a voucher and uses it`);
  clock.advance(20 * 60_000);
  const crabs = {
    sku: 'CRAB-HAIRY',
    name: '大闸蟹 Hairy crabs',
    category: 'fresh-fruit',
    quantity: 12,
    unitPrice: 8800,
  };
  const party = await crm.purchases.record(
    { storeId: 'S01', terminalId: 'T5', receiptNo: receipt('S01'), cardNumber: who.cardNumber, lines: [crabs] },
    { ...CLERK_S01, idempotencyKey: key('sale') },
  );
  const before = await crm.loyalty.balance(who.customerId, CLERK_S01);
  line(
    `${who.name} buys crabs for a family dinner (${yuan(party.total)}): ` +
      `${(await crm.loyalty.saleAward(party.id, CLERK_S01)).points} points; ${before.spendable} points to spend.`,
  );
  const bought = await vouchers.convert(
    { templateId: 'CASH-10', customerId: who.customerId, quantity: 1, storeId: 'S01' },
    { ...DESK, idempotencyKey: key('convert') },
  );
  const voucher = bought.vouchers[0]!;
  line(
    `At the service desk: ${bought.points} points → voucher ${voucher.display} worth ` +
      `${yuan(voucher.faceValue)}, valid until ${local(new Date(voucher.validUntil.getTime() - 60_000))}; ` +
      `${bought.balance} points left (one transaction).`,
  );

  clock.advance(30 * 60_000);
  const basket = [
    { sku: 'MILK-1L', name: '光明鲜牛奶 1L', category: 'dairy', quantity: 4, unitPrice: 1350 },
    { sku: 'OIL-5L', name: '花生油 5L', category: 'grocery', quantity: 1, unitPrice: 8990 },
    { sku: 'CIG-ZH', name: '中华 Cigarettes', category: 'tobacco', quantity: 1, unitPrice: 4500 },
  ];
  const usable = await vouchers.eligible(
    { customerId: who.customerId, storeId: 'S01', basket: { lines: basket } },
    CLERK_S01,
  );
  const takes = usable.usable.map((u) => `${u.voucher.display} takes ${yuan(u.discount)} off`).join('; ') || 'none';
  const refused = usable.unusable.map((u) => `${u.voucher.display} (${u.reasons.join(', ')})`).join('; ');
  line(
    `The till lists ${who.name}'s vouchers for this basket: ${takes}` +
      `${usable.unusable.length ? `; not usable: ${refused}` : ''}.`,
  );
  const total = basket.reduce((s, l) => s + l.quantity * l.unitPrice, 0);
  const chars = [...voucher.code];
  chars[4] = chars[4] === '7' ? '1' : '7';
  const typo = chars.join('');
  const wrong = await crm.purchases
    .record(
      {
        storeId: 'S01',
        terminalId: 'T5',
        receiptNo: receipt('S01'),
        cardNumber: who.cardNumber,
        lines: basket,
        payments: [
          { method: 'voucher', amount: 1000, reference: typo },
          { method: 'cash', amount: total - 1000 },
        ],
      },
      { ...CLERK_S01, idempotencyKey: key('sale') },
    )
    .catch((e: unknown) => e);
  if (isClienteleError(wrong))
    line(
      `The cashier types ${typo.slice(0, 5)}-${typo.slice(5, 10)}-${typo.slice(10)} → ${wrong.code} ` +
        `(${refusalReason(wrong)}): the check character caught the slip before any lookup.`,
    );
  const paid = await crm.purchases.record(
    {
      storeId: 'S01',
      terminalId: 'T5',
      receiptNo: receipt('S01'),
      cardNumber: who.cardNumber,
      lines: basket,
      payments: [
        { method: 'voucher', amount: 1000, reference: voucher.display },
        { method: 'cash', amount: total - 1000 },
      ],
    },
    { ...CLERK_S01, idempotencyKey: key('sale') },
  );
  const used = await vouchers.get(voucher.id, CLERK_S01);
  line(
    `Typed again: sale ${paid.receiptNo} of ${yuan(paid.total)} (cigarettes excluded from the voucher) ` +
      `takes ${yuan(used.discount)} off; the voucher is ${used.status}.`,
  );
  const twice = await crm.purchases
    .record(
      {
        storeId: 'S02',
        terminalId: 'T1',
        receiptNo: receipt('S02'),
        cardNumber: who.cardNumber,
        lines: basket,
        payments: [
          { method: 'voucher', amount: 1000, reference: voucher.code },
          { method: 'cash', amount: total - 1000 },
        ],
      },
      { ...CLERK_S02, idempotencyKey: key('sale') },
    )
    .catch((e: unknown) => e);
  if (isClienteleError(twice))
    line(`The same voucher at another store's till → ${twice.code} (${refusalReason(twice)}).`);
  table(
    ['#', 'When', 'Entry', 'Amount:'],
    (await vouchers.history(voucher.id, CLERK_S01)).map((e) => [String(e.seq), local(e.at), e.kind, yuan(e.amount)]),
  );

  heading('A shopper pays partly with an anonymous prepaid card');
  clock.advance(25 * 60_000);
  const card = await storedValue.sell(
    { productId: 'GIFT', storeId: 'S02', amount: 20000 },
    { ...CLERK_S02, idempotencyKey: key('sell') },
  );
  line(
    `A company gives its staff gift cards; one is card ${card.number}, sold at S02 with ` +
      `${yuan(card.balance)}, good until ${local(card.expiresAt!)}.`,
  );
  clock.advance(40 * 60_000);
  const groceries = [
    { sku: 'RICE-5KG', name: '五常大米 5kg', category: 'grain', quantity: 2, unitPrice: 6990 },
    { sku: 'TISSUE-12', name: '抽纸 12包', category: 'household', quantity: 3, unitPrice: 3290 },
    { sku: 'APPLE-FUJI', name: '富士苹果 (kg)', category: 'fresh-fruit', quantity: 2.5, unitPrice: 1299 },
  ];
  const due = 2 * 6990 + 3 * 3290 + Math.round(2.5 * 1299);
  const onCard = 18000;
  const shop = await crm.purchases.record(
    {
      storeId: 'S01',
      terminalId: 'T5',
      receiptNo: receipt('S01'),
      lines: groceries,
      payments: [
        { method: 'stored-value', amount: onCard, reference: card.number },
        { method: 'cash', amount: due - onCard },
      ],
    },
    { ...CLERK_S01, idempotencyKey: key('sale') },
  );
  const after = await storedValue.card(card.number, CLERK_S01);
  line(
    `At S01 (any store of the chain takes it): ${yuan(shop.total)} paid ${yuan(onCard)} on the card ` +
      `and ${yuan(shop.total - onCard)} in cash; ${yuan(after.balance)} left on the card.`,
  );
  const more = await crm.purchases
    .record(
      {
        storeId: 'S01',
        terminalId: 'T5',
        receiptNo: receipt('S01'),
        lines: groceries,
        payments: [{ method: 'stored-value', amount: due, reference: card.number }],
      },
      { ...CLERK_S01, idempotencyKey: key('sale') },
    )
    .catch((e: unknown) => e);
  if (isClienteleError(more)) line(`Paying the next basket all on the card → ${more.code}: ${more.message}.`);
  const lost = await storedValue
    .reportLost({ cardNumber: card.number, reason: 'dropped in the car park' }, DESK)
    .catch((e: unknown) => e);
  if (isClienteleError(lost))
    line(
      `Reported lost at the desk → ${lost.code} (${refusalReason(lost)}): an anonymous card belongs to ` +
        `whoever holds it.`,
    );
  table(
    ['#', 'Entry', 'Amount:', 'Balance:', 'Store'],
    (await storedValue.statement(card.number, CLERK_S01)).entries.map((e) => [
      String(e.seq),
      e.kind,
      yuan(e.amount),
      yuan(e.balanceAfter),
      e.storeId ?? '-',
    ]),
  );

  heading('What the chain owes on its cards (liability), per selling store and product');
  clock.advance(15 * 60_000);
  for (const [storeId, amount] of [
    ['S01', 50000],
    ['S03', 100000],
  ] as const) {
    const sold = await storedValue.sell(
      { productId: 'GIFT', storeId, amount },
      { ...CLERK_S01, idempotencyKey: key('sell') },
    );
    line(`${storeId} sells gift card ${sold.number} loaded with ${yuan(sold.balance)}.`);
  }
  const liability = await storedValue.liability();
  table(
    ['Store', 'Product', 'Cards:', 'Outstanding:', 'Breakage, expired:', 'Breakage, dormant:'],
    [
      ...liability.rows.map((r) => [
        r.storeId,
        r.productId,
        String(r.cards),
        yuan(r.outstanding),
        yuan(r.expiredBreakage),
        yuan(r.dormantBreakage),
      ]),
      [
        'all',
        '',
        String(liability.total.cards),
        yuan(liability.total.outstanding),
        yuan(liability.total.expiredBreakage),
        yuan(liability.total.dormantBreakage),
      ],
    ],
  );
}
