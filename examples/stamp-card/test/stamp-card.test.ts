/**
 * The stamp card on every store the scenario tests use (memory, SQLite, PostgreSQL when it answers):
 * stamps from a sale, a redemption refused without authority and allowed with it, a retried
 * redemption, expiry by `runDue`, and erasure.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createClientele, isClienteleError, manualClock, type ManualClock } from '@clientele/core';
import { unclassifiedFields } from '@clientele/core/module';
import { STORE_KINDS } from '../../../tests/support/stores.js';
import {
  cardState,
  expiryOf,
  rewardsCollection,
  stampCard,
  stampCollections,
  stampingLines,
  stampsCollection,
} from '../src/index.js';

const HQ = { actor: { system: 'head-office' } };
const BARISTA = { actor: { staffId: 'S01-B1' } };
const MANAGER = { actor: { staffId: 'S01-M1' } };
const NEWCOMER = { actor: { staffId: 'S01-N1' } };

async function open(kind: (typeof STORE_KINDS)[number], clock: ManualClock) {
  const crm = createClientele({
    store: await kind.open(),
    clock,
    modules: [stampCard({ category: 'coffee', stampsPerReward: 3, rewardValue: 1800, expiryDays: 30 })],
  });
  await crm.migrate();
  await crm.stores.create({ id: 'S01', name: 'Station Kiosk', region: 'East', timeZone: 'Asia/Shanghai' }, HQ);
  // The barista may hand over a free coffee (18.00) alone; the newcomer may redeem, but only up to 10.00.
  await crm.roles.define(
    {
      id: 'barista',
      name: 'Barista',
      permissions: ['customers.write', 'sales.record', 'stamps.redeem', 'stamps.read'],
      limits: { 'stamp-reward': 2000 },
    },
    HQ,
  );
  await crm.roles.define(
    {
      id: 'newcomer',
      name: 'Newcomer',
      permissions: ['customers.write', 'sales.record', 'stamps.redeem', 'stamps.read'],
      limits: { 'stamp-reward': 1000 },
    },
    HQ,
  );
  await crm.roles.define(
    { id: 'manager', name: 'Manager', permissions: ['stamps.read', 'audit.read'], limits: {} },
    HQ,
  );
  await crm.staff.add({ id: 'S01-B1', name: 'Wang Fang', storeId: 'S01', roleId: 'barista' }, HQ);
  await crm.staff.add({ id: 'S01-N1', name: 'Zhao Lei', storeId: 'S01', roleId: 'newcomer' }, HQ);
  await crm.staff.add({ id: 'S01-M1', name: 'Chen Jing', storeId: 'S01', roleId: 'manager' }, HQ);
  const member = await crm.customers.register(
    { kind: 'individual', name: '李雷', phone: '139 8765 4321', homeStoreId: 'S01' },
    BARISTA,
  );
  return { crm, member };
}

let receipt = 0;
function coffeeSale(customerId: string, coffees: number, other = 1) {
  receipt++;
  const lines = [
    ...Array.from({ length: coffees }, (_, i) => ({
      sku: `LATTE-${i}`,
      category: 'coffee',
      quantity: 1,
      unitPrice: 1800,
    })),
    ...Array.from({ length: other }, (_, i) => ({
      sku: `MUFFIN-${i}`,
      category: 'bakery',
      quantity: 1,
      unitPrice: 900,
    })),
  ];
  return [
    { storeId: 'S01', terminalId: 'T1', receiptNo: `S01-T1-${receipt}`, customerId, lines },
    { ...BARISTA, idempotencyKey: `sale:S01-T1-${receipt}` },
  ] as const;
}

describe('stamp rules', () => {
  it('stamp each line of the category once, expire by whole days, count rewards', () => {
    expect(
      stampingLines(
        [
          { lineNo: 1, category: 'coffee', quantityMilli: 2000 },
          { lineNo: 2, category: 'tea', quantityMilli: 1000 },
          { lineNo: 3, category: 'coffee', quantityMilli: 500 },
        ],
        'coffee',
      ),
    ).toEqual([1, 3]);
    expect(expiryOf(new Date('2026-01-01T00:00:00Z'), 30).toISOString()).toBe('2026-01-31T00:00:00.000Z');
    expect(cardState(7, 3)).toEqual({ rewards: 2, toNext: 2 });
  });

  it('classify every string and JSON field as personal, scrub or plain', () => {
    expect(stampCollections.flatMap((c) => unclassifiedFields(c))).toEqual([]);
  });

  it('refuse a bad configuration naming the path', () => {
    try {
      stampCard({ category: 'coffee', rewardValue: -1 });
      expect.unreachable();
    } catch (error) {
      expect(isClienteleError(error, 'VALIDATION_FAILED') && error.path).toEqual(['config', 'rewardValue']);
    }
  });
});

describe.each(STORE_KINDS)('stamp card on $name', (kind) => {
  afterAll(() => kind.cleanup());
  let clock: ManualClock;
  beforeEach(() => {
    clock = manualClock('2026-03-02T01:00:00Z');
  });

  it('gives a stamp per coffee line of a member’s sale and none for other lines', async () => {
    const { crm, member } = await open(kind, clock);
    const given: number[] = [];
    crm.events.on('stamp.given', (e) => void given.push(e.stamps));
    await crm.purchases.record(...coffeeSale(member.id, 2));
    await crm.purchases.record(...coffeeSale(member.id, 0));
    expect(given).toEqual([2]);
    const balance = await crm.stamps.balance(member.id, BARISTA);
    expect(balance).toMatchObject({ customerId: member.id, stamps: 2, rewards: 0, toNext: 1 });
    expect(balance.nextExpiry?.toISOString()).toBe('2026-04-01T01:00:00.000Z');
    await expect(crm.stamps.balance(member.id, { actor: { system: 'x' } })).resolves.toMatchObject({ stamps: 2 });
    await crm.close();
  });

  it(
    'refuses a redemption above the actor’s limit (audited), allows it within, and a retry returns the same ' +
      'reward',
    async () => {
      const { crm, member } = await open(kind, clock);
      await crm.purchases.record(...coffeeSale(member.id, 4));

      const refused = await crm.stamps
        .redeem({ customerId: member.id, storeId: 'S01' }, { ...NEWCOMER, idempotencyKey: 'reward:S01-0001' })
        .catch((e: unknown) => e);
      expect(isClienteleError(refused, 'AUTHORITY_EXCEEDED')).toBe(true);
      const refusals = await crm.audit.list({ command: 'stamps.redeem', outcome: 'refused' }, MANAGER);
      expect(refusals.items).toHaveLength(1);
      expect(refusals.items[0]!.details).toMatchObject({ action: 'stamp-reward', amount: 1800, limit: 1000 });
      expect((await crm.stamps.balance(member.id, BARISTA)).stamps).toBe(4);

      await expect(crm.stamps.redeem({ customerId: member.id, storeId: 'S01' }, BARISTA)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });

      const reward = await crm.stamps.redeem(
        { customerId: member.id, storeId: 'S01' },
        { ...BARISTA, idempotencyKey: 'reward:S01-0002' },
      );
      expect(reward).toMatchObject({ customerId: member.id, stamps: 3, value: 1800 });
      const retry = await crm.stamps.redeem(
        { customerId: member.id, storeId: 'S01' },
        { ...BARISTA, idempotencyKey: 'reward:S01-0002' },
      );
      expect(retry).toEqual(reward);
      expect(await crm.store.count(rewardsCollection)).toBe(1);
      expect((await crm.stamps.balance(member.id, BARISTA)).stamps).toBe(1);

      const ok = await crm.audit.list({ command: 'stamps.redeem', outcome: 'ok' }, MANAGER);
      expect(ok.items).toHaveLength(1);
      expect(ok.items[0]).toMatchObject({
        customerId: member.id,
        targetType: 'stamp-reward',
        targetId: reward.rewardId,
      });
      expect(ok.items[0]!.details).toMatchObject({ authority: [{ limit: 'stamp-reward', amount: 1800 }] });

      // One stamp left: not enough for another, and nothing is written.
      await expect(
        crm.stamps.redeem({ customerId: member.id, storeId: 'S01' }, { ...BARISTA, idempotencyKey: 'reward:S01-0003' }),
      ).rejects.toMatchObject({ code: 'INSUFFICIENT_BALANCE' });
      expect(await crm.store.count(rewardsCollection)).toBe(1);
      await crm.close();
    },
  );

  it('expires stamps past their day with runDue, once, and counts only the others', async () => {
    const { crm, member } = await open(kind, clock);
    await crm.purchases.record(...coffeeSale(member.id, 2));
    clock.advance(20 * 86_400_000);
    await crm.purchases.record(...coffeeSale(member.id, 1));
    const expired: number[] = [];
    crm.events.on('stamp.expired', (e) => void expired.push(e.stamps));

    clock.advance(11 * 86_400_000); // the first two are 31 days old, the third 11
    expect((await crm.stamps.balance(member.id, BARISTA)).stamps).toBe(1);
    expect((await crm.runDue())['stamps']).toEqual({ stampsExpired: 2, errors: 0 });
    expect(await crm.runDue()).toMatchObject({ stamps: { stampsExpired: 0 } });
    expect(expired).toEqual([2]);
    expect(await crm.store.count(stampsCollection, { status: 'expired' })).toBe(2);
    await expect(
      crm.stamps.redeem({ customerId: member.id, storeId: 'S01' }, { ...BARISTA, idempotencyKey: 'reward:S01-000x' }),
    ).rejects.toMatchObject({ code: 'INSUFFICIENT_BALANCE' });
    await crm.close();
  });

  it('keeps no personal data of an erased member in its collections, and its counts stay', async () => {
    const { crm, member } = await open(kind, clock);
    await crm.purchases.record(...coffeeSale(member.id, 3));
    await crm.stamps.redeem(
      { customerId: member.id, storeId: 'S01' },
      { ...BARISTA, idempotencyKey: 'reward:S01-000e' },
    );
    await crm.privacy.eraseCustomer({ customerId: member.id, reason: 'customer request' }, HQ);
    for (const collection of stampCollections) {
      const rows = (await crm.store.find(collection, { limit: 1000 })).rows;
      expect(rows.length).toBeGreaterThan(0);
      const text = JSON.stringify(rows);
      for (const value of ['李雷', '139', '8765', '4321']) expect(text).not.toContain(value);
    }
    expect(await crm.store.count(stampsCollection, { customerId: member.id, status: 'used' })).toBe(3);
    await crm.close();
  });
});
