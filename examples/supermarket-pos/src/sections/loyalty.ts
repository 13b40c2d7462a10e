/**
 * The demo's loyalty section: Tiantian points. Fresh food earns 1 point per 10 yuan, household goods
 * 1 per 5 yuan, everything else 1 per 20 yuan; tobacco, gift cards and top-ups earn nothing; weekends
 * count double; gold members (5,000 yuan spent in twelve months) earn half as much again. Points are
 * worth 1 fen each and expire at the end of the year they are earned in. Members may take yoghurt
 * for points: every 2 cups cost 100 points.
 *
 * Wire it with `loyalty(TIANTIAN_POINTS)` among the modules and call
 * `loyaltySection(crm, clock, { customerId, cardNumber, name })`. It moves the clock to the next
 * Saturday and then to the new year (for the expiry), so run it last.
 */
import { isClienteleError, type Clientele, type EventBus, type ManualClock } from '@clientele/core';
import type { LoyaltyApi, LoyaltyEvents, ProgramInput } from '@clientele/loyalty';
import { CLERK_S01, CLERK_S02, HQ } from '../chain.js';
import { heading, line, local, table, yuan } from '../print.js';

/** The Tiantian points program, as a back office would store it. */
export const TIANTIAN_POINTS: ProgramInput = {
  id: 'tiantian-points',
  name: '天天积分 Tiantian points',
  currency: 'CNY',
  timeZone: 'Asia/Shanghai',
  pointValue: { points: 1, amount: 1 },
  exclude: { category: ['tobacco', 'gift-card', 'stored-value'] },
  groups: { base: 'best-of' },
  earn: [
    {
      id: 'fresh',
      name: '生鲜 Fresh food',
      kind: 'per-spend',
      every: 1000,
      group: 'base',
      when: { category: ['fresh-fruit', 'fresh-eggs', 'dairy', 'vegetables'] },
    },
    {
      id: 'household',
      name: '日用 Household',
      kind: 'per-spend',
      every: 500,
      group: 'base',
      when: { category: ['household'] },
    },
    { id: 'general', name: '其他 Everything else', kind: 'per-spend', every: 2000, group: 'base', priority: -10 },
    { id: 'weekend', name: '周末双倍 Weekend', kind: 'multiplier', factor: 2, when: { weekday: ['sat', 'sun'] } },
    { id: 'gold', name: '金卡 Gold members', kind: 'multiplier', factor: 1.5, when: { tier: ['gold'] } },
    { id: 'big-basket', name: '满100 Basket over 100 yuan', kind: 'bonus', points: 20, when: { minBasket: 10000 } },
  ],
  activities: [{ code: 'welcome', type: 'registration', points: 50 }],
  rewards: [
    {
      id: 'yogurt',
      name: '酸奶 Free yoghurt',
      kind: 'free-product',
      product: { sku: ['YOGURT-150G'] },
      points: 100,
      per: 2,
    },
  ],
  expiry: { kind: 'end-of-year', afterMonths: 0 },
  warnDays: 30,
  tiers: {
    basis: 'spend',
    window: { kind: 'rolling', months: 12 },
    review: { kind: 'anniversary', months: 12 },
    levels: [
      { code: 'standard', name: '普通 Standard', threshold: 0 },
      { code: 'gold', name: '金卡 Gold', threshold: 500_000 },
    ],
  },
};

/** The member the section follows. */
export interface LoyaltyMember {
  customerId: string;
  cardNumber: string;
  name: string;
}

/** What the section needs of the wired instance: core's sales and staff, the loyalty module and its events. */
export type LoyaltyDemoCrm = Pick<Clientele, 'purchases' | 'roles' | 'staff' | 'runDue'> & {
  loyalty: LoyaltyApi;
  events: Pick<EventBus<LoyaltyEvents>, 'on'>;
};

const DESK = { actor: { staffId: 'HQ-LD1' } };

/** Runs the loyalty part of the demo for one member. */
export async function loyaltySection(crm: LoyaltyDemoCrm, clock: ManualClock, who: LoyaltyMember): Promise<void> {
  const points = crm.loyalty;
  let receipt = 9000;
  const key = (what: string) => `${what}:${++receipt}`;
  const sale = (storeId: string, lines: object[], payments?: object[]) =>
    crm.purchases.record(
      {
        storeId,
        terminalId: 'T3',
        receiptNo: `${storeId}-T3-${receipt + 1}`,
        cardNumber: who.cardNumber,
        lines,
        ...(payments ? { payments } : {}),
      } as never,
      { ...(storeId === 'S02' ? CLERK_S02 : CLERK_S01), idempotencyKey: key('sale') },
    );

  heading('Loyalty: Tiantian points');
  table(
    ['Rule', 'Earns', 'When'],
    points.program.earn.map((r) => [
      r.name ?? r.id,
      r.kind === 'per-spend'
        ? `1 point / ${yuan(r['every'] as number)}`
        : r.kind === 'multiplier'
          ? `x${r['factor'] as number}`
          : `+${r['points'] as number}`,
      Object.entries(r.when ?? {})
        .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : String(v)}`)
        .join('; ') || 'every sale',
    ]),
  );
  line(
    `Excluded: ${((points.program.exclude?.['category'] as string[] | undefined) ?? []).join(', ')}. Points ` +
      `are worth ${yuan(1)} each and expire at the end of the year.`,
  );

  heading(`${who.name} becomes a gold member`);
  const fridge = await sale('S01', [
    { sku: 'FRIDGE-402L', name: '海尔冰箱 402L', category: 'appliances', quantity: 1, unitPrice: 549_900 },
  ]);
  const after = await points.balance(who.customerId, CLERK_S01);
  line(
    `${who.name} buys a fridge for ${yuan(fridge.total)}: ${(await points.saleAward(fridge.id, CLERK_S01)).points} ` +
      `points; 12-month spend passes ${yuan(500_000)} → tier ${after.tier} at once (review on ` +
      `${after.tierReviewAt ? local(after.tierReviewAt) : '-'}).`,
  );

  // Saturday morning, 10:00 in Shanghai.
  clock.set('2026-11-07T02:00:00Z');
  heading('Saturday: the cashier screen quotes while scanning');
  const basket = {
    lines: [
      { sku: 'APPLE-FUJI', name: '富士苹果 Fresh produce', category: 'fresh-fruit', quantity: 2, unitPrice: 4325 },
      { sku: 'TISSUE-12', name: '抽纸 Tissues', category: 'household', quantity: 1, unitPrice: 2300 },
      { sku: 'RICE-5KG', name: '五常大米 Rice', category: 'grain', quantity: 1, unitPrice: 4990 },
      { sku: 'CIG-ZH', name: '中华 Cigarettes', category: 'tobacco', quantity: 1, unitPrice: 4500 },
    ],
  };
  const context = await points.contextFor({ customerId: who.customerId, storeId: 'S01' }, CLERK_S01);
  const quote = points.quote(basket, context);
  for (const text of points.explain(quote)) line(text);

  const saturday = await sale('S01', basket.lines);
  line('');
  line(
    `Sale ${saturday.receiptNo} committed: ${(await points.saleAward(saturday.id, CLERK_S01)).points} points ` +
      `earned in the same transaction (the quote said ${quote.points}).`,
  );

  heading('A return takes back what the returned goods earned');
  const preview = await points.previewReturn(
    { purchaseId: saturday.id, lines: [{ lineNo: 2, quantity: 1 }] },
    CLERK_S01,
  );
  line(
    `Before refunding the tissues the till asks: ${preview.clawback} points come back off the card, ` +
      `${yuan(preview.payable)} is paid out.`,
  );
  await crm.purchases.return(
    { purchaseId: saturday.id, storeId: 'S01', lines: [{ lineNo: 2, quantity: 1 }], reason: 'wrong kind' },
    { ...CLERK_S01, idempotencyKey: key('return') },
  );
  const again = await crm.purchases
    .return(
      { purchaseId: saturday.id, storeId: 'S01', lines: [{ lineNo: 2, quantity: 1 }], reason: 'again' },
      { ...CLERK_S01, idempotencyKey: key('return') },
    )
    .catch((e: unknown) => e);
  if (isClienteleError(again)) line(`The same tissues returned again → ${again.code}: nothing is clawed back twice.`);
  line(`Balance now ${(await points.balance(who.customerId, CLERK_S01)).available} points.`);

  heading('Paying with points: a hold keeps two tills from spending the same points');
  const hold = await points.reserve(
    { customerId: who.customerId, points: 200, storeId: 'S02', terminalId: 'T1' },
    { ...CLERK_S02, idempotencyKey: key('hold') },
  );
  line(`Till S02-T1 reserves 200 points (${yuan(hold.value)}) until ${local(hold.expiresAt)}.`);
  const spendable = (await points.balance(who.customerId, CLERK_S01)).spendable;
  const race = await points
    .reserve(
      { customerId: who.customerId, points: spendable + 1, storeId: 'S01', terminalId: 'T2' },
      { ...CLERK_S01, idempotencyKey: key('hold') },
    )
    .catch((e: unknown) => e);
  if (isClienteleError(race))
    line(`Meanwhile till S01-T2 asks for ${spendable + 1} → ${race.code} (only ${spendable} left to spend).`);
  const milk = { sku: 'MILK-1L', name: '光明鲜牛奶 1L', category: 'dairy', quantity: 2, unitPrice: 1350 };
  const paid = await sale(
    'S02',
    [milk],
    [
      { method: 'points', amount: hold.value, reference: hold.id },
      { method: 'cash', amount: 2 * 1350 - hold.value },
    ],
  );
  line(
    `Sale ${paid.receiptNo} pays ${yuan(hold.value)} with the held points and ${yuan(paid.total - hold.value)} ` +
      `in cash.`,
  );
  const back = await crm.purchases.return(
    { purchaseId: paid.id, storeId: 'S02', lines: [{ lineNo: 1, quantity: 1 }], reason: 'one too many' },
    { ...CLERK_S02, idempotencyKey: key('return') },
  );
  const through = back.tenders.map((t) => {
    const points = t.points ? ` (${t.points} points)` : '';
    return `${yuan(t.amount)} ${t.via === 'till' ? `at the till in ${t.method}` : `back as ${t.via}${points}`}`;
  });
  line(
    `One bottle comes back (${yuan(back.amount)}): ${through.join(' and ')}; the till pays ` +
      `${yuan(back.dueAtTill)}, not the whole ${yuan(back.amount)}.`,
  );

  heading('A product reward: yoghurt for points');
  const cups = { sku: 'YOGURT-150G', name: '酸奶 Yoghurt', category: 'dairy', quantity: 3, unitPrice: 650 };
  const had = (await points.balance(who.customerId, CLERK_S01)).available;
  const claim = await points.rewards.claim(
    {
      customerId: who.customerId,
      rewardId: 'yogurt',
      units: 3,
      storeId: 'S01',
      terminalId: 'T3',
      basket: { lines: [cups] },
    },
    { ...CLERK_S01, idempotencyKey: key('claim') },
  );
  line('Free yoghurt: every 2 cups cost 100 points, and a part set counts as a whole one.');
  line(`${who.name} claims 3 cups with ${claim.points} of ${had} points; the claim holds them at the till.`);
  const treat = await sale('S01', [cups], [{ method: 'reward', amount: claim.value, reference: claim.id }]);
  const left = (await points.balance(who.customerId, CLERK_S01)).available;
  line(
    `Sale ${treat.receiptNo}: the claim pays the ${yuan(claim.value)} of yoghurt; with what the sale ` +
      `earns the balance is ${left}.`,
  );
  const cup = await crm.purchases.return(
    { purchaseId: treat.id, storeId: 'S01', lines: [{ lineNo: 1, quantity: 1 }], reason: 'dented' },
    { ...CLERK_S01, idempotencyKey: key('return') },
  );
  const viaPoints = cup.tenders.find((t) => t.via === 'points');
  line(
    `One cup back leaves one set: ${viaPoints?.points ?? 0} points return in place of ` +
      `${yuan(viaPoints?.amount ?? 0)}, and the till pays ${yuan(cup.dueAtTill)}.`,
  );

  heading('Goodwill after a complaint');
  await crm.roles.define(
    {
      id: 'loyalty-desk',
      name: 'Loyalty desk',
      permissions: ['loyalty.goodwill', 'loyalty.adjust'],
      limits: { 'goodwill-points': 5000, 'points-adjustment': 2000 },
    },
    HQ,
  );
  await crm.staff.add({ id: 'HQ-LD1', name: '周婷', storeId: 'S01', roleId: 'loyalty-desk' }, HQ);
  const goodwill = await points.grantGoodwill(
    {
      customerId: who.customerId,
      points: 300,
      reason: 'sour milk sold on 2 November',
      ref: { type: 'complaint', id: 'demo-1' },
    },
    { ...DESK, idempotencyKey: key('goodwill') },
  );
  line(`The loyalty desk grants 300 goodwill points (within its ${yuan(5000)} limit): balance ${goodwill.balance}.`);
  const over = await points
    .grantGoodwill(
      { customerId: who.customerId, points: 9000, reason: 'too generous' },
      { ...DESK, idempotencyKey: key('goodwill') },
    )
    .catch((e: unknown) => e);
  if (isClienteleError(over)) line(`9000 points (${yuan(9000)}) → ${over.code}; a manager would have to approve it.`);

  heading('Statement');
  const statement = await points.statement(who.customerId, CLERK_S01);
  table(
    ['#', 'When', 'What', 'Points:', 'Balance:'],
    statement.lines.map((l) => [
      String(l.seq),
      local(l.at),
      `${l.kind}${l.ref ? ` (${l.ref.type})` : ''}`,
      l.points > 0 ? `+${l.points}` : String(l.points),
      String(l.balance),
    ]),
  );

  heading('Year end: points expire in the store’s time zone');
  const schedule = await points.expirySchedule(who.customerId, CLERK_S01);
  for (const s of schedule.expiring)
    line(`${s.points} points are valid through ${s.lastDay} and expire at ${local(s.expiresAt)}.`);
  const warnings: Array<{ customerId: string; points: number }> = [];
  crm.events.on('points.expiring', (e) => void warnings.push(e));
  clock.set('2026-12-01T02:00:00Z');
  await crm.runDue();
  const warned = warnings.filter((w) => w.customerId === who.customerId).reduce((s, w) => s + w.points, 0);
  line(
    `1 December: the scheduler warns ${who.name} that ${warned} points expire within 30 days (${warnings.length} ` +
      `warnings across the chain).`,
  );
  const liabilityBefore = await points.liability();
  clock.set('2026-12-31T16:00:00Z');
  const due = await crm.runDue();
  line(
    `Midnight, 1 January 2027: ${due['loyalty']?.['pointsExpired'] ?? 0} points expired across the chain; ` +
      `${who.name}'s balance is ${(await points.balance(who.customerId, CLERK_S01)).available}.`,
  );

  heading('Outstanding points (liability) per store');
  const liabilityAfter = await points.liability();
  table(
    ['Store', '31 Dec points:', 'Value:', '1 Jan points:', 'Value:'],
    [...new Set([...liabilityBefore.stores, ...liabilityAfter.stores].map((s) => s.storeId))].map((storeId) => {
      const b = liabilityBefore.stores.find((s) => s.storeId === storeId);
      const a = liabilityAfter.stores.find((s) => s.storeId === storeId);
      return [
        storeId ?? 'chain',
        String(b?.points ?? 0),
        yuan(b?.value ?? 0),
        String(a?.points ?? 0),
        yuan(a?.value ?? 0),
      ];
    }),
  );
}
