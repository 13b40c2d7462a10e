/**
 * Segments in the demo: a simulated quarter of shopping, then the RFM groups, the A customers, members
 * at risk with the reason, an organisation buyer stopped at its credit limit, a key account's due
 * visit, and pairs bought together.
 */
import { isClienteleError, type Clientele, type EventBus, type ManualClock } from '@clientele/core';
import type { SegmentEvents, SegmentsApi } from '@clientele/segments';
import { heading, line, local, table, yuan } from '../print.js';

/** What the section needs of a Clientele instance with the segments module installed (any other modules too). */
export type SegmentsCrm = Pick<Clientele, 'customers' | 'purchases' | 'runDue'> & {
  segments: SegmentsApi;
  events: Pick<EventBus<SegmentEvents>, 'on'>;
};

/** Who acts in the section: head office for setup and back-office work, a till clerk for sales. */
export interface SegmentsActors {
  hq: { actor: { system: string } | { staffId: string } };
  clerk: { actor: { staffId: string } };
}

const DAY = 86_400_000;

const PRODUCTS = [
  { sku: 'MILK-1L', name: '光明鲜牛奶 1L', category: 'dairy', unitPrice: 1350 },
  { sku: 'YOGURT-6', name: '酸奶 6杯', category: 'dairy', unitPrice: 1890 },
  { sku: 'BREAD-W', name: '全麦面包', category: 'bakery', unitPrice: 1290 },
  { sku: 'EGGS-10', name: '鸡蛋 10枚', category: 'fresh-eggs', unitPrice: 1590 },
  { sku: 'APPLE-FUJI', name: '富士苹果 (kg)', category: 'fresh-fruit', unitPrice: 1299 },
  { sku: 'RICE-5KG', name: '五常大米 5kg', category: 'grain', unitPrice: 6990 },
  { sku: 'OIL-5L', name: '花生油 5L', category: 'grocery', unitPrice: 8990 },
  { sku: 'TISSUE-12', name: '抽纸 12包', category: 'household', unitPrice: 3290 },
  { sku: 'BEER-6', name: '啤酒 6罐', category: 'drinks', unitPrice: 3600 },
  { sku: 'PEANUTS', name: '花生 500g', category: 'snacks', unitPrice: 1500 },
];

/** A small seeded generator, so every run of the demo tells the same story. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Runs the section on a wired `crm` (created with `segments()` among its modules) whose clock is the
 * demo's manual clock, e.g. `await segmentsSection(crm, clock, { hq: HQ, clerk: CLERK_S01 })`.
 */
export async function segmentsSection(crm: SegmentsCrm, clock: ManualClock, actors: SegmentsActors): Promise<void> {
  const random = seeded(90);
  heading('A quarter later: who matters, who is slipping away (segments)');

  // Forty members with their own rhythm: some weekly, some monthly, some who stop coming.
  const shoppers: Array<{ id: string; name: string; everyDays: number; stopsOnDay: number; basket: number }> = [];
  const surnames = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴'];
  for (let i = 0; i < 40; i++) {
    const name = `${surnames[i % 10]}${['伟', '芳', '娜', '敏'][i % 4]}${i}`;
    const c = await crm.customers.register(
      { kind: 'individual', name, homeStoreId: i % 3 === 0 ? 'S02' : 'S01', phone: `1370000${String(1000 + i)}` },
      actors.clerk,
    );
    shoppers.push({
      id: c.id,
      name,
      everyDays: [3, 5, 7, 10, 14, 30][i % 6]!,
      stopsOnDay: i % 5 === 0 ? 30 + (i % 20) : 999,
      basket: 1 + (i % 4),
    });
  }
  const canteen = await crm.customers.register(
    {
      kind: 'organisation',
      legalName: '上海明光餐饮有限公司 (segments demo)',
      tradeName: '明光二食堂',
      taxId: '91310101MA2XYZ',
      industry: 'catering',
      region: '华东 East',
      sizeClass: 'medium',
    },
    actors.hq,
  );
  const hotel = await crm.customers.register(
    {
      kind: 'organisation',
      legalName: '滨江大酒店',
      tradeName: 'Riverside Hotel',
      industry: 'hotels',
      region: '华东 East',
      sizeClass: 'large',
    },
    actors.hq,
  );
  await crm.segments.credit.setAccount(
    { customerId: canteen.id, limit: 700_000, termsDays: 30, mode: 'block' },
    actors.hq,
  );

  await crm.segments.define(
    {
      id: 'win-back',
      name: 'Win back',
      description: 'Overdue by their own rhythm: call them, send a voucher',
      definition: { condition: 'churn-risk' },
      policy: { pointsMultiplier: 2 },
      priority: 1,
    },
    actors.hq,
  );
  await crm.segments.define(
    {
      id: 'best',
      name: 'Best customers',
      definition: {
        any: [
          { condition: 'rfm-group', args: { groups: ['champions', 'loyal'] } },
          { condition: 'value-class', args: { classes: ['A'] } },
        ],
      },
      policy: { pointsMultiplier: 1.5, serviceLevel: 'priority' },
      priority: 5,
    },
    actors.hq,
  );
  await crm.segments.define(
    {
      id: 'big-accounts',
      name: 'Big organisations',
      definition: {
        all: [
          { field: 'kind', op: 'eq', value: 'organisation' },
          { field: 'windowSpend', op: 'gte', value: 200_000 },
        ],
      },
      policy: { freeDelivery: true, visitEveryDays: 30 },
      priority: 10,
    },
    actors.hq,
  );
  const joined: string[] = [];
  const stopListening = crm.events.on('segment.joined', (e) => void joined.push(e.segmentId));

  // Ninety days of trading, one day at a time.
  let receipt = 0;
  let sales = 0;
  const start = clock.now().getTime();
  for (let day = 1; day <= 90; day++) {
    clock.set(new Date(start + day * DAY));
    for (const s of shoppers) {
      if (day >= s.stopsOnDay || (day + shoppers.indexOf(s)) % s.everyDays !== 0) continue;
      const lines = Array.from({ length: s.basket + Math.floor(random() * 3) }, () => {
        const p = PRODUCTS[Math.floor(random() * random() * PRODUCTS.length)]!;
        return { ...p, quantity: 1 + Math.floor(random() * 2) };
      });
      clock.advance(Math.floor(random() * 10 * 3_600_000));
      await crm.purchases.record(
        { storeId: 'S01', terminalId: 'T3', receiptNo: `Q-${++receipt}`, customerId: s.id, lines },
        { ...actors.clerk, idempotencyKey: `quarter-${receipt}` },
      );
      sales++;
    }
    if (day % 7 === 0) {
      const bulk = [
        { ...PRODUCTS[5]!, quantity: 10 },
        { ...PRODUCTS[6]!, quantity: 4 },
        { ...PRODUCTS[0]!, quantity: 40 },
      ];
      const total = 10 * 6990 + 4 * 8990 + 40 * 1350;
      await crm.purchases.record(
        {
          storeId: 'S01',
          terminalId: 'T3',
          receiptNo: `Q-${++receipt}`,
          customerId: canteen.id,
          lines: bulk,
          payments: [{ method: 'account', amount: total }],
        },
        { ...actors.clerk, idempotencyKey: `quarter-${receipt}` },
      );
      if (day % 28 === 0 && day < 84)
        await crm.segments.credit.recordPayment(
          { customerId: canteen.id, amount: 4 * total, reference: `bank transfer day ${day}` },
          { ...actors.hq, idempotencyKey: `canteen-pay-${day}` },
        );
      await crm.purchases.record(
        {
          storeId: 'S02',
          terminalId: 'T3',
          receiptNo: `Q-${++receipt}`,
          customerId: hotel.id,
          lines: [
            { ...PRODUCTS[8]!, quantity: 30 },
            { ...PRODUCTS[9]!, quantity: 20 },
            { ...PRODUCTS[7]!, quantity: 10 },
          ],
        },
        { ...actors.clerk, idempotencyKey: `quarter-${receipt}` },
      );
      sales += 2;
    }
  }
  line(
    `${sales} sales over 90 days by ${shoppers.length} members, a canteen buying on account and a hotel; ` +
      `every sale updated the buyer's statistics in its own transaction.`,
  );

  let reported = 0;
  const result = await crm.segments.rebuild(
    { onProgress: (p) => void (reported += p.part === 'stats' ? 1 : 0) },
    actors.hq,
  );
  stopListening();
  line(
    `Nightly rebuild: ${result.customers} customers in ${reported} chunk(s), ${result.pairs} bought-together ` +
      `pairs; memberships changed by ${joined.length} join event(s).`,
  );

  heading('RFM groups (recency, frequency, monetary scores 1-5 by quintile over 365 days)');
  table(
    ['Group', 'Customers:', 'Spend in window:'],
    (await crm.segments.distribution('rfmGroup')).map((g) => [
      g.key ?? '(never bought)',
      String(g.customers),
      yuan(g.windowSpend),
    ]),
  );

  heading('The A customers: together they make 80% of the revenue');
  const names = new Map([
    ...shoppers.map((s) => [s.id, s.name] as const),
    [canteen.id, canteen.displayName],
    [hotel.id, hotel.displayName],
  ]);
  const classes = await crm.segments.reports.structure({ by: 'valueClass' });
  const aIds = await crm.segments.match({ condition: 'value-class', args: { classes: ['A'] } }, actors.hq);
  const aRows = await Promise.all(aIds.map((id) => crm.segments.stats(id, actors.hq)));
  table(
    ['Customer', 'Kind', 'Visits:', 'Spend:', 'RFM', 'Group'],
    await Promise.all(
      aRows
        .sort((x, y) => y.windowSpend - x.windowSpend)
        .slice(0, 8)
        .map(async (s) => [
          names.get(s.customerId) ?? (await crm.customers.get(s.customerId, actors.hq)).displayName,
          s.kind,
          String(s.visits),
          yuan(s.spend),
          `${s.rScore}${s.fScore}${s.mScore}`,
          s.rfmGroup ?? '-',
        ]),
    ),
  );
  line(`(the top 8 of ${aRows.length} A customers)`);
  table(
    ['Value class', 'Customers:', 'Share of revenue:'],
    classes.map((c) => [
      c.key === null ? '(never bought)' : String(c.key),
      String(c.customers),
      `${(100 * c.revenueShare).toFixed(0)}%`,
    ]),
  );

  heading('Members at risk of leaving quietly, with the reason');
  const risk = (await crm.segments.atRisk({ limit: 8 }, actors.hq)).filter((r) => names.has(r.customerId));
  table(
    ['Customer', 'Overdue since', 'Why', 'Group'],
    risk.map((r) => [names.get(r.customerId)!, local(r.overdueAt), r.reason, r.rfmGroup ?? '-']),
  );
  const winBack = await crm.segments.members('win-back', { limit: 1000 }, actors.hq);
  const policy = risk[0] ? await crm.segments.policyFor(risk[0].customerId, actors.hq) : null;
  line(
    `Segment "Win back" holds ${winBack.items.length} customers; their policy: ` +
      `points ×${policy?.pointsMultiplier ?? 1} (the host starts a call or a goodwill voucher on segment.joined).`,
  );

  heading('Credit at the till: the canteen buys on account');
  const before = await crm.segments.credit.status(canteen.id, actors.hq);
  line(
    `明光二食堂: limit ${yuan(before.account.limit)}, outstanding ${yuan(before.account.outstanding)}, ` +
      `rating ${before.rating ?? 'unrated'} (on time ${(100 * before.onTimeShare).toFixed(0)}%).`,
  );
  const order = [
    { ...PRODUCTS[5]!, quantity: 60 },
    { ...PRODUCTS[6]!, quantity: 20 },
  ];
  const amount = 60 * 6990 + 20 * 8990;
  const check = await crm.segments.credit.check(canteen.id, amount, actors.hq);
  line(
    `A big order of ${yuan(amount)} on account: the POS checks first → ${check.decision} (would reach ` +
      `${yuan(check.after)}, ${yuan(check.excess)} past the limit).`,
  );
  const refused = await crm.purchases
    .record(
      {
        storeId: 'S01',
        terminalId: 'T3',
        receiptNo: `Q-${++receipt}`,
        customerId: canteen.id,
        lines: order,
        payments: [{ method: 'account', amount }],
      },
      { ...actors.clerk, idempotencyKey: `quarter-${receipt}` },
    )
    .catch((e: unknown) => e);
  if (isClienteleError(refused))
    line(
      `Rung up anyway → ${refused.code} (${String(refused.details['reason'])}): the sale rolled back in its ` +
        `own transaction, nothing was recorded.`,
    );

  heading('Key accounts and their visits');
  const assessed = await crm.segments.keyAccounts.assess(
    {
      customerId: hotel.id,
      contractMonths: 36,
      growthPotential: 4,
      strategicImportance: 5,
      representativeId: 'S01-M1',
      visitEveryDays: 14,
    },
    actors.hq,
  );
  line(
    `滨江大酒店 scores ${assessed.score}/100 (volume ${(100 * assessed.factors.volume).toFixed(0)}%, contract ` +
      `${(100 * assessed.factors.contract).toFixed(0)}%, growth ` +
      `${(100 * assessed.factors.growth).toFixed(0)}%, strategic ` +
      `${(100 * assessed.factors.strategic).toFixed(0)}%): ` +
      `${assessed.isKey ? 'a key account' : 'not a key account'}, represented by 王强.`,
  );
  clock.advance(15 * DAY);
  const due = await crm.runDue();
  const visits = await crm.segments.keyAccounts.due(actors.hq);
  const visitList = visits
    .map((v) => `${names.get(v.customerId)} (due ${local(v.nextVisitAt!)}, ${v.representativeId})`)
    .join('; ');
  line(
    `Two weeks later the scheduler calls runDue: ${due['segments']?.['keyAccountVisitsDue'] ?? 0} visit(s) due → ` +
      `${visitList}`,
  );
  const hotelPolicy = await crm.segments.policyFor(hotel.id, actors.hq);
  line(
    `The hotel's merged policy: free delivery ${hotelPolicy.freeDelivery ? 'yes' : 'no'}, points ` +
      `×${hotelPolicy.pointsMultiplier}, service ${hotelPolicy.serviceLevel ?? 'standard'}, ` +
      `visit every ${hotelPolicy.visitEveryDays ?? '-'} days (segments: ${hotelPolicy.segmentIds.join(', ')}).`,
  );

  heading('Bought together (from the quarter’s baskets)');
  const pairs = await crm.segments.recommendations.boughtTogether({ level: 'category', limit: 5 });
  table(
    ['If they buy', 'they also buy', 'Baskets:', 'Support:', 'Confidence:', 'Lift:'],
    pairs.map((p) => [
      p.a,
      p.b,
      String(p.together),
      `${(100 * p.support).toFixed(1)}%`,
      `${(100 * p.confidence).toFixed(0)}%`,
      p.lift.toFixed(2),
    ]),
  );
  const first = shoppers[1]!;
  const next = await crm.segments.recommendations.nextCategories(first.id, { limit: 3 }, actors.hq);
  line(`Likely next for ${first.name}: ${next.map((n) => `${n.category} (${(100 * n.score).toFixed(0)})`).join(', ')}`);
}
