/**
 * fast-check against a reference model: for any sequence of earns, returns, redemptions,
 * adjustments and clock moves, the balance equals the sum of the entries, never-expired points are
 * never lost, FIFO expiry matches the model, and no sequence redeems more than was available.
 */
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isClienteleError } from '@clientele/core';
import type { ProgramInput } from '../src/index.js';
import { expectLedgerConsistent } from './invariants.js';
import {
  CLERK,
  MANAGER,
  STORE_KINDS,
  SYSTEM,
  freshKey,
  member,
  nextReceipt,
  openLoyaltyChain,
  type LoyaltyChain,
} from './support.js';

const DAY = 86_400_000;
const SHANGHAI = 8 * 3_600_000;
const EXPIRY_DAYS = 10;
/** One point per yuan; points last 10 days; a clawback of spent points makes the balance negative. */
const PROGRAM: ProgramInput = {
  id: 'model',
  timeZone: 'Asia/Shanghai',
  earn: [{ id: 'all', kind: 'per-spend', every: 100 }],
  expiry: { kind: 'days', days: EXPIRY_DAYS },
};

type Op =
  | { kind: 'sell'; units: number; perUnit: number }
  | { kind: 'return'; sale: number; units: number }
  | { kind: 'redeem'; points: number }
  | { kind: 'adjust'; points: number }
  | { kind: 'wait'; hours: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('sell' as const),
      units: fc.integer({ min: 1, max: 5 }),
      perUnit: fc.integer({ min: 1, max: 40 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('return' as const),
      sale: fc.nat(),
      units: fc.integer({ min: 1, max: 5 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('redeem' as const), points: fc.integer({ min: 1, max: 120 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('adjust' as const),
      points: fc.integer({ min: -60, max: 60 }).filter((p) => p !== 0),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('wait' as const), hours: fc.integer({ min: 1, max: 24 * 8 }) }),
  },
);

/** The model: lots in the order they were earned, a balance, and the sales. */
class Model {
  lots: Array<{ id: number; points: number; expiresAt: number; sale: number | null }> = [];
  balance = 0;
  sales: Array<{ purchaseId: string; units: number; perUnit: number; returned: number; lot: number | null }> = [];
  private next = 0;

  expiresAt(now: number): number {
    // Usable through the local day N days after the day earned; gone at the local midnight after it.
    const localMidnight = Math.floor((now + SHANGHAI) / DAY) * DAY - SHANGHAI;
    return localMidnight + (EXPIRY_DAYS + 1) * DAY;
  }

  credit(points: number, now: number, sale: number | null): number {
    const id = this.next++;
    const paid = Math.min(points, Math.max(0, -this.balance));
    this.balance += points;
    this.lots.push({ id, points: points - paid, expiresAt: this.expiresAt(now), sale });
    return id;
  }

  take(points: number, prefer: number | null = null): void {
    let left = points;
    const order =
      prefer === null
        ? this.lots
        : [...this.lots.filter((l) => l.id === prefer), ...this.lots.filter((l) => l.id !== prefer)];
    for (const lot of order) {
      const t = Math.min(left, lot.points);
      lot.points -= t;
      left -= t;
    }
    this.balance -= points;
  }

  expire(now: number): void {
    for (const lot of this.lots) {
      if (lot.expiresAt <= now && lot.points > 0) {
        this.balance -= lot.points;
        lot.points = 0;
      }
    }
  }

  schedule(): Array<{ expiresAt: number; points: number }> {
    const by = new Map<number, number>();
    for (const l of this.lots) if (l.points > 0) by.set(l.expiresAt, (by.get(l.expiresAt) ?? 0) + l.points);
    return [...by].sort((a, b) => a[0] - b[0]).map(([expiresAt, points]) => ({ expiresAt, points }));
  }
}

async function play(chain: LoyaltyChain, ops: Op[]): Promise<void> {
  const id = await member(chain, '模型');
  const model = new Model();
  const { crm, clock } = chain;
  for (const o of ops) {
    const now = clock.now().getTime();
    if (o.kind === 'sell') {
      const sale = await crm.purchases.record(
        {
          storeId: 'S01',
          terminalId: 'T1',
          receiptNo: nextReceipt(),
          customerId: id,
          lines: [{ sku: 'ITEM', category: 'general', quantity: o.units, unitPrice: o.perUnit * 100 }],
        },
        { ...CLERK, idempotencyKey: freshKey('sale') },
      );
      const lot = model.credit(o.units * o.perUnit, now, model.sales.length);
      model.sales.push({ purchaseId: sale.id, units: o.units, perUnit: o.perUnit, returned: 0, lot });
    } else if (o.kind === 'return') {
      if (model.sales.length === 0) continue;
      const s = model.sales[o.sale % model.sales.length]!;
      const units = Math.min(o.units, s.units - s.returned);
      if (units === 0) continue;
      await crm.purchases.return(
        { purchaseId: s.purchaseId, storeId: 'S01', lines: [{ lineNo: 1, quantity: units }], reason: 'changed mind' },
        { ...MANAGER, idempotencyKey: freshKey('return') },
      );
      s.returned += units;
      model.take(units * s.perUnit, s.lot);
    } else if (o.kind === 'redeem' || (o.kind === 'adjust' && o.points < 0)) {
      const points = o.kind === 'redeem' ? o.points : -o.points;
      const call =
        o.kind === 'redeem'
          ? crm.loyalty.redeem(
              { customerId: id, points, ref: { type: 'order', id: freshKey('order') } },
              { ...MANAGER, idempotencyKey: freshKey('redeem') },
            )
          : crm.loyalty.adjust(
              { customerId: id, points: o.points, reason: 'count correction' },
              { ...MANAGER, idempotencyKey: freshKey('adjust') },
            );
      const result = await call.catch((e: unknown) => e);
      if (points > Math.max(0, model.balance)) {
        expect(isClienteleError(result, 'INSUFFICIENT_BALANCE')).toBe(true);
        continue;
      }
      expect(isClienteleError(result)).toBe(false);
      model.take(points);
    } else if (o.kind === 'adjust') {
      await crm.loyalty.adjust(
        { customerId: id, points: o.points, reason: 'count correction' },
        { ...MANAGER, idempotencyKey: freshKey('adjust') },
      );
      model.credit(o.points, now, null);
    } else {
      clock.advance(o.hours * 3_600_000);
      await crm.runDue();
      model.expire(clock.now().getTime());
    }
    const balance = await crm.loyalty.balance(id, SYSTEM);
    expect(balance.available).toBe(model.balance);
  }
  const schedule = await crm.loyalty.expirySchedule(id, SYSTEM);
  expect(schedule.expiring.map((s) => ({ expiresAt: s.expiresAt.getTime(), points: s.points }))).toEqual(
    model.schedule(),
  );
  const statement = await crm.loyalty.statement(id, { limit: 1000 }, SYSTEM);
  expect(statement.lines.reduce((s, l) => s + l.points, 0)).toBe(model.balance);
  if (statement.lines.length) expect(statement.lines.at(-1)!.balance).toBe(model.balance);
}

describe.each(STORE_KINDS)('the points ledger against a reference model on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it('matches the model for random sequences of earns, returns, redemptions, adjustments and clock moves', async () => {
    const chain = await openLoyaltyChain(await kind.open(), PROGRAM);
    const runs = kind.name === 'memory' ? 40 : 8;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 14 }), async (ops) => play(chain, ops)),
      { numRuns: runs },
    );
    await expectLedgerConsistent(chain.store);
  }, 60_000);
});
