/**
 * Every command that moves value to a customer declares it and is held to a limit. The test walks
 * every registered command of core and of every module: each that declares a move is in the table of
 * docs/authority.md as it is declared, is refused for a member of staff with every permission and no
 * limit (or, for a complaint remedy, waits for approval) without changing anything, and passes for one
 * whose limit covers it. The commands the auditor named must declare a move. And the kernel refuses a
 * value move that a command does not declare, or makes before its authority check.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { VALUE_KINDS, createClientele, manualClock, memoryStore, type Store } from '@clientele/core';
import {
  auditLog,
  cardNumberFor,
  defineCollection,
  defineModule,
  field,
  scan,
  type CollectionSpec,
} from '@clientele/core/module';
import { coreCollections } from '@clientele/core/adapter';
import { complaints, complaintsCollections, type ComplaintsConfigInput } from '@clientele/complaints';
import { loyalty, loyaltyCollections } from '@clientele/loyalty';
import { segments, segmentCollections } from '@clientele/segments';
import { STORE_KINDS } from './support/stores.js';

const SYSTEM = { actor: { system: 'test-setup' } } as const;
/** Every permission, no limit: reaches every authority check and fails it. */
const NOBODY = { actor: { staffId: 'E-NOLIMIT' } } as const;
/** Every permission, limits that cover every move here. */
const DIRECTOR = { actor: { staffId: 'E-DIRECTOR' } } as const;
const ALL_LIMITS = [
  'refund',
  'void',
  'compensation',
  'goodwill-points',
  'voucher',
  'points-adjustment',
  'exchange',
  'repair',
  'credit',
  'import',
];

const limits = (acknowledge: number, resolve: number) => ({ acknowledge, resolve });
const tiers = { low: limits(60, 480), medium: limits(60, 480), high: limits(60, 480) };
const LADDER: ComplaintsConfigInput = {
  ladders: {
    service: [
      { level: 1, id: 'desk', name: 'Service desk', roles: ['nolimit'], timeLimits: tiers },
      { level: 2, id: 'director', name: 'Director', roles: ['director'], timeLimits: tiers },
    ],
    quality: [
      { level: 1, id: 'station', name: 'Quality station', roles: ['nolimit'], timeLimits: tiers },
      { level: 2, id: 'director', name: 'Director', roles: ['director'], timeLimits: tiers },
    ],
  },
  routes: { 'after-sales': 'quality' },
  causes: ['faulty-product', 'other'],
  pointValue: 1,
};

/** The commands an auditor named as moving value: each must declare it. */
const NAMED_MOVERS = [
  'purchases.return',
  'purchases.void',
  'loyalty.stored-value.refund',
  'loyalty.adjust',
  'loyalty.grant-goodwill',
  'loyalty.vouchers.issue',
  'complaints.propose',
  'complaints.approve',
  'complaints.settle',
];

function openCrm(store: Store) {
  return createClientele({
    store,
    clock: manualClock('2026-11-02T02:00:00Z'),
    modules: [
      loyalty({
        id: 'tiantian',
        timeZone: 'Asia/Shanghai',
        earn: [{ id: 'base', name: 'Everything', kind: 'per-spend', every: 100 }],
        rewards: [{ id: 'kettle', kind: 'free-product', product: { sku: ['KETTLE'] }, points: 10 }],
      }),
      complaints(LADDER),
      segments(),
    ] as const,
  });
}
type Crm = ReturnType<typeof openCrm>;

async function openShop(store: Store) {
  const crm = openCrm(store);
  await crm.migrate();
  await crm.stores.create({ id: 'S01', name: '人民路店', region: 'East', timeZone: 'Asia/Shanghai' }, SYSTEM);
  await crm.roles.define({ id: 'nolimit', name: 'No limit', permissions: ['*'] }, SYSTEM);
  await crm.roles.define(
    {
      id: 'director',
      name: 'Director',
      permissions: ['*'],
      limits: Object.fromEntries(ALL_LIMITS.map((l) => [l, 10_000_000])),
    },
    SYSTEM,
  );
  await crm.staff.add({ id: 'E-NOLIMIT', name: '新人', storeId: 'S01', roleId: 'nolimit' }, SYSTEM);
  await crm.staff.add({ id: 'E-DIRECTOR', name: '陈总', storeId: 'S01', roleId: 'director' }, SYSTEM);
  await crm.loyalty.vouchers.defineTemplate(
    { id: 'SORRY-20', name: 'Sorry 20', value: { kind: 'amount', amount: 2000 }, validity: { kind: 'days', days: 30 } },
    SYSTEM,
  );
  await crm.loyalty.storedValue.defineProduct(
    { id: 'GIFT', name: 'Gift card', kind: 'anonymous', prefix: '95' },
    SYSTEM,
  );
  const member = (await crm.customers.register({ kind: 'individual', name: '张伟', homeStoreId: 'S01' }, SYSTEM)).id;
  const canteen = (
    await crm.customers.register({ kind: 'organisation', legalName: '第一中学食堂', homeStoreId: 'S01' }, SYSTEM)
  ).id;
  await crm.segments.credit.setAccount({ customerId: canteen, limit: 10000, mode: 'approve' }, SYSTEM);
  return { crm, store, member, canteen };
}
type Shop = Awaited<ReturnType<typeof openShop>>;

let n = 0;
const key = (label: string) => `${label}-${++n}-${Math.random().toString(36).slice(2, 8)}`;
const kettle = (price: number) => [{ sku: 'KETTLE', category: 'appliances', quantity: 1, unitPrice: price }];
const sell = (
  shop: Shop,
  price: number,
  payments?: Array<{ method: string; amount: number; reference?: string }>,
  customerId = shop.member,
) =>
  shop.crm.purchases.record(
    {
      storeId: 'S01',
      terminalId: 'T1',
      receiptNo: key('R'),
      customerId,
      lines: kettle(price),
      ...(payments ? { payments } : {}),
    },
    { ...SYSTEM, idempotencyKey: key('sale') },
  );

async function complaint(shop: Shop) {
  const c = await shop.crm.complaints.open(
    {
      kind: 'complaint',
      channel: 'counter',
      storeId: 'S01',
      customerId: shop.member,
      category: 'service',
      severity: 'low',
      description: 'Charged twice for the kettle.',
    },
    NOBODY,
  );
  await shop.crm.complaints.acknowledge({ caseId: c.id }, NOBODY);
  await shop.crm.complaints.investigate({ caseId: c.id }, NOBODY);
  return c.id;
}

/**
 * How to make each value-moving command move something: `prepare` sets the scene as the system and
 * returns the call, made once by a member of staff without limits and once by one whose limit covers it.
 */
type Attempt = (options: { actor: { staffId: string } }) => Promise<unknown>;
const DRIVERS: Record<string, (shop: Shop) => Promise<Attempt>> = {
  async 'purchases.record'(shop) {
    // On account past the canteen's 100-yuan credit limit, which asks for `credit` authority.
    return (o) =>
      shop.crm.purchases.record(
        {
          storeId: 'S01',
          terminalId: 'T1',
          receiptNo: key('R'),
          customerId: shop.canteen,
          lines: kettle(30000),
          payments: [{ method: 'account', amount: 30000 }],
        },
        { ...o, idempotencyKey: key('sale') },
      );
  },
  async 'purchases.return'(shop) {
    const sale = await sell(shop, 30000);
    return (o) =>
      shop.crm.purchases.return(
        { purchaseId: sale.id, storeId: 'S01', lines: [{ lineNo: 1, quantity: 1 }], reason: 'faulty' },
        { ...o, idempotencyKey: key('return') },
      );
  },
  async 'purchases.void'(shop) {
    const sale = await sell(shop, 30000);
    return (o) =>
      shop.crm.purchases.void({ purchaseId: sale.id, reason: 'wrong basket' }, { ...o, idempotencyKey: key('void') });
  },
  async 'loyalty.stored-value.refund'(shop) {
    const card = await shop.crm.loyalty.storedValue.sell(
      { productId: 'GIFT', storeId: 'S01', amount: 50000 },
      { ...SYSTEM, idempotencyKey: key('sell') },
    );
    await sell(shop, 30000, [{ method: 'stored-value', amount: 30000, reference: card.number }]);
    const paymentId = (await shop.crm.loyalty.storedValue.statement(card.number, SYSTEM)).entries.find(
      (e) => e.kind === 'spend',
    )!.paymentId!;
    return (o) =>
      shop.crm.loyalty.storedValue.refund(
        { paymentId, amount: 10000, reason: 'price match' },
        { ...o, idempotencyKey: key('refund') },
      );
  },
  async 'loyalty.stored-value.refund-sale'(shop) {
    const card = await shop.crm.loyalty.storedValue.sell(
      { productId: 'GIFT', storeId: 'S01', amount: 50000 },
      { ...SYSTEM, idempotencyKey: key('sell') },
    );
    return (o) =>
      shop.crm.loyalty.storedValue.refundSale(
        { cardNumber: card.number, storeId: 'S01', reason: 'gift not wanted' },
        { ...o, idempotencyKey: key('refund-sale') },
      );
  },
  async 'loyalty.rewards.reverse'(shop) {
    await shop.crm.loyalty.adjust(
      { customerId: shop.member, points: 10, reason: 'for the kettle' },
      { ...SYSTEM, idempotencyKey: key('adjust') },
    );
    const claim = await shop.crm.loyalty.rewards.claim(
      {
        customerId: shop.member,
        rewardId: 'kettle',
        units: 1,
        storeId: 'S01',
        terminalId: 'T1',
        basket: { lines: kettle(15900) },
      },
      { ...SYSTEM, idempotencyKey: key('claim') },
    );
    await sell(shop, 15900, [{ method: 'reward', amount: 15900, reference: claim.id }]);
    return (o) =>
      shop.crm.loyalty.rewards.reverse(
        { claimId: claim.id, reason: 'not handed over' },
        { ...o, idempotencyKey: key('reverse') },
      );
  },
  async 'loyalty.adjust'(shop) {
    return (o) =>
      shop.crm.loyalty.adjust(
        { customerId: shop.member, points: 500, reason: 'till was offline' },
        { ...o, idempotencyKey: key('adjust') },
      );
  },
  async 'loyalty.import-points'(shop) {
    const sourceId = key('lot');
    const earnedAt = shop.crm.clock.now().toISOString();
    return (o) =>
      shop.crm.loyalty.imports.points({ rows: [{ sourceId, customerId: shop.member, points: 500, earnedAt }] }, o);
  },
  async 'loyalty.import-stored-value'(shop) {
    const sourceId = key('card');
    const cardNumber = cardNumberFor('95', ++n, 16);
    const issuedAt = shop.crm.clock.now().toISOString();
    return (o) =>
      shop.crm.loyalty.imports.storedValue(
        { rows: [{ sourceId, cardNumber, productId: 'GIFT', storeId: 'S01', balance: 50000, issuedAt }] },
        o,
      );
  },
  async 'loyalty.grant-goodwill'(shop) {
    return (o) =>
      shop.crm.loyalty.grantGoodwill(
        { customerId: shop.member, points: 500, reason: 'waited too long' },
        { ...o, idempotencyKey: key('goodwill') },
      );
  },
  async 'loyalty.vouchers.issue'(shop) {
    return (o) =>
      shop.crm.loyalty.vouchers.issue(
        { templateId: 'SORRY-20', customerId: shop.member },
        { ...o, idempotencyKey: key('issue') },
      );
  },
  async 'complaints.propose'(shop) {
    const caseId = await complaint(shop);
    return (o) => shop.crm.complaints.propose({ caseId, remedies: [{ type: 'compensation', amount: 3000 }] }, o);
  },
  async 'complaints.approve'(shop) {
    const caseId = await complaint(shop);
    // Above the desk's authority: it waits for the director's level.
    await shop.crm.complaints.propose({ caseId, remedies: [{ type: 'compensation', amount: 3000 }] }, NOBODY);
    return (o) => shop.crm.complaints.approve({ caseId }, o);
  },
  async 'complaints.rule'(shop) {
    const sale = await sell(shop, 15900);
    const c = await shop.crm.complaints.open(
      {
        kind: 'after-sales',
        request: 'return',
        channel: 'counter',
        storeId: 'S01',
        purchaseId: sale.id,
        items: [{ sku: 'KETTLE', lineNo: 1 }],
        category: 'appliances',
        severity: 'low',
        description: 'Stops heating.',
      },
      NOBODY,
    );
    await shop.crm.complaints.acknowledge({ caseId: c.id }, NOBODY);
    await shop.crm.complaints.explain({ caseId: c.id, note: 'Three guarantees: refund within 7 days.' }, NOBODY);
    await shop.crm.complaints.mediate({ caseId: c.id }, NOBODY);
    return (o) => shop.crm.complaints.rule({ caseId: c.id, decision: 'refund', amount: 15900 }, o);
  },
  async 'complaints.settle'(shop) {
    return (o) =>
      shop.crm.complaints.settleAtCounter(
        {
          case: {
            kind: 'complaint',
            channel: 'counter',
            storeId: 'S01',
            customerId: shop.member,
            category: 'service',
            severity: 'low',
            description: 'Rude at the till.',
          },
          remedies: [{ type: 'compensation', amount: 3000 }],
          rootCause: 'other',
        },
        { ...o, idempotencyKey: key('settle') },
      );
  },
  async 'credit.approve'(shop) {
    return (o) => shop.crm.segments.credit.approve({ customerId: shop.canteen, amount: 30000 }, o);
  },
};

const ALL: readonly CollectionSpec[] = [
  ...coreCollections,
  ...loyaltyCollections,
  ...complaintsCollections,
  ...segmentCollections,
];

/** Every row but the audit log's, to prove a refusal kept nothing else. */
async function dump(crm: Crm): Promise<string> {
  const parts: string[] = [];
  for (const c of ALL) {
    if (c.name === auditLog.name) continue;
    for await (const row of scan(crm.store, c)) parts.push(`${c.name} ${JSON.stringify(row)}`);
  }
  return parts.sort().join('\n');
}

/** The rows of the value-moving table in docs/authority.md. */
function documentedMoves(): Map<string, { permission: string; limits: string; gives: string; measure: string }> {
  const text = readFileSync(fileURLToPath(new URL('../docs/authority.md', import.meta.url)), 'utf8');
  const section = text.slice(text.indexOf('## Every command that moves value'));
  const rows = new Map<string, { permission: string; limits: string; gives: string; measure: string }>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const name = /^`([a-z.-]+)`$/.exec(cells[1] ?? '')?.[1];
    if (!name) continue;
    rows.set(name, {
      permission: cells[2]!.replace(/`/g, ''),
      limits: cells[3]!,
      gives: cells[4]!,
      measure: cells[5]!,
    });
  }
  return rows;
}

describe('the declared value moves', () => {
  it('cover every command the auditor named, and match the table in docs/authority.md', async () => {
    const commands = openCrm(memoryStore()).commands();
    expect(commands.length).toBeGreaterThan(80);
    const movers = commands.filter((c) => c.moves);
    for (const name of NAMED_MOVERS)
      expect(
        movers.map((c) => c.name),
        name,
      ).toContain(name);
    const documented = documentedMoves();
    expect([...documented.keys()].sort()).toEqual(movers.map((c) => c.name).sort());
    for (const c of movers) {
      const row = documented.get(c.name)!;
      expect(row.permission, c.name).toBe(c.permission);
      expect(row.gives, c.name).toBe(c.moves!.gives.join(', '));
      expect(row.measure, c.name).toBe(c.moves!.measure);
      const sameAs = /^as `([a-z.-]+)`/.exec(row.limits)?.[1];
      const cell = sameAs ? documented.get(sameAs)!.limits : row.limits;
      for (const limit of c.moves!.limits) expect(cell, `${c.name} limit ${limit}`).toContain(`\`${limit}\``);
      for (const kind of c.moves!.gives) expect(VALUE_KINDS).toContain(kind);
      // Every mover is driven below.
      expect(Object.keys(DRIVERS), c.name).toContain(c.name);
    }
  });
});

describe.each(STORE_KINDS)('every value move held to a limit on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it('refuses each one to staff without a limit, changing nothing but the audit, and lets it through within a ' +
    'limit', async () => {
    const shop = await openShop(await kind.open());
    const movers = shop.crm.commands().filter((c) => c.moves);
    for (const command of movers) {
      const attempt = await DRIVERS[command.name]!(shop);
      const before = await dump(shop.crm);
      const refusedBefore = (await refused(shop.crm, command.name)).length;
      const outcome = await attempt(NOBODY).then(
        (r) => ({ ok: r }),
        (e: unknown) => ({ error: e }),
      );
      if (command.moves!.aboveLimit === 'escalate') {
        // Complaint remedies wait for approval instead: recorded, nothing given.
        expect(outcome, command.name).toMatchObject({
          ok: { remedies: [expect.objectContaining({ status: 'awaiting-approval' })] },
        });
        continue;
      }
      expect(outcome, command.name).toMatchObject({ error: { code: 'AUTHORITY_EXCEEDED' } });
      expect(await dump(shop.crm), command.name).toBe(before);
      expect((await refused(shop.crm, command.name)).length, command.name).toBe(refusedBefore + 1);
      await expect(attempt(DIRECTOR), command.name).resolves.toBeDefined();
    }
  }, 60_000);
});

async function refused(crm: Crm, command: string) {
  const out = [];
  for await (const row of scan(crm.store, auditLog, { where: { command, outcome: 'refused' } })) out.push(row);
  return out;
}

describe('the kernel’s guard over value moves', () => {
  const marks = defineCollection({
    name: 'test_marks',
    primaryKey: 'id',
    fields: { id: field.string() },
    plain: ['id'],
  });
  const sneaky = defineModule({
    name: 'sneaky',
    collections: [marks],
    setup(kernel) {
      const input = z.object({ id: z.string() }).strict();
      const mark = (ctx: Parameters<Parameters<typeof kernel.command>[0]['run']>[0], id: string) =>
        ctx.tx.insert(marks, { id });
      return {
        api: {
          undeclared: kernel.command({
            name: 'sneaky.undeclared',
            input,
            permission: 'sneaky.go',
            idempotency: 'optional',
            async run(ctx, i) {
              await mark(ctx, i.id);
              ctx.moved('points', 100);
            },
          }),
          early: kernel.command({
            name: 'sneaky.early',
            input,
            permission: 'sneaky.go',
            idempotency: 'optional',
            moves: { gives: ['points'], limits: ['bonus'], measure: 'points' },
            async run(ctx, i) {
              await mark(ctx, i.id);
              ctx.moved('points', 100);
              await ctx.requireAuthority('bonus', 100);
            },
          }),
          wrongLimit: kernel.command({
            name: 'sneaky.wrong-limit',
            input,
            permission: 'sneaky.go',
            idempotency: 'optional',
            moves: { gives: ['points'], limits: ['bonus'], measure: 'points' },
            async run(ctx, i) {
              await mark(ctx, i.id);
              await ctx.requireAuthority('refund', 100);
            },
          }),
          proper: kernel.command({
            name: 'sneaky.proper',
            input,
            permission: 'sneaky.go',
            idempotency: 'optional',
            moves: { gives: ['points'], limits: ['bonus'], measure: 'points' },
            async run(ctx, i) {
              await ctx.requireAuthority('bonus', 100);
              await mark(ctx, i.id);
              ctx.moved('points', 100);
            },
          }),
        },
      };
    },
  });

  it(
    'fails a command that moves value it did not declare, before its check, or checks a limit it did not ' + 'declare',
    async () => {
      const crm = createClientele({ store: memoryStore(), modules: [sneaky] as const });
      await crm.migrate();
      const as = { actor: { system: 'test' } };
      for (const [name, run] of [
        ['undeclared', crm.sneaky.undeclared],
        ['early', crm.sneaky.early],
        ['wrong limit', crm.sneaky.wrongLimit],
      ] as const) {
        const error = await run({ id: name }, as).catch((e: unknown) => e);
        expect(error, name).toMatchObject({ code: 'INVALID_STATE', details: { reason: 'command_declaration' } });
      }
      await crm.sneaky.proper({ id: 'proper' }, as);
      const kept = [];
      for await (const row of scan(crm.store, marks)) kept.push(row.id);
      // Only the command that declared its move and checked first wrote anything.
      expect(kept).toEqual(['proper']);
    },
  );
});
