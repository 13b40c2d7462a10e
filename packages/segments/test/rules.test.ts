import { describe, expect, it } from 'vitest';
import {
  PairCounter,
  allocatePayment,
  checkCredit,
  keyAccountScore,
  mergePolicies,
  nextCategories,
  pairMetrics,
  rateCredit,
} from '@clientele/segments';

const DAY = 86_400_000;
const t0 = Date.UTC(2026, 0, 1);
const day = (n: number) => new Date(t0 + n * DAY);

describe('credit rules', () => {
  const account = { limit: 100_000, outstanding: 80_000, mode: 'block' as const, onHold: false };

  it('checks an amount against the limit: within, or by how much past it', () => {
    expect(checkCredit(account, 20_000)).toEqual({
      decision: 'ok',
      limit: 100_000,
      outstanding: 80_000,
      after: 100_000,
      available: 20_000,
      excess: 0,
    });
    expect(checkCredit(account, 25_000)).toMatchObject({ decision: 'blocked', excess: 5_000 });
    expect(checkCredit({ ...account, mode: 'warn' }, 25_000).decision).toBe('warn');
    expect(checkCredit({ ...account, mode: 'approve' }, 25_000).decision).toBe('approval-required');
    expect(checkCredit({ ...account, mode: 'warn', onHold: true }, 1)).toMatchObject({
      decision: 'blocked',
      excess: 1,
    });
  });

  it('settles the oldest due charges first', () => {
    const charges = [
      { id: 'b', amount: 300, settled: 0, at: day(5), dueAt: day(35), settledAt: null },
      { id: 'a', amount: 200, settled: 50, at: day(1), dueAt: day(31), settledAt: null },
      { id: 'c', amount: 100, settled: 0, at: day(9), dueAt: day(39), settledAt: null },
    ];
    expect(allocatePayment(charges, 400)).toEqual([
      { id: 'a', take: 150, full: true },
      { id: 'b', take: 250, full: false },
    ]);
  });

  it('rates A-D from the on-time share and days overdue', () => {
    const settled = (n: number, late: number) =>
      Array.from({ length: n }, (_, i) => ({
        id: `s${i}`,
        amount: 100,
        settled: 100,
        at: day(i),
        dueAt: day(i + 30),
        settledAt: day(i + (i < late ? 40 : 20)),
      }));
    expect(rateCredit(settled(20, 0), day(100))).toMatchObject({ rating: 'A', onTimeShare: 1, daysOverdue: 0 });
    expect(rateCredit(settled(20, 2), day(100))).toMatchObject({ rating: 'B', onTimeShare: 0.9 });
    const open = { id: 'o', amount: 500, settled: 100, at: day(0), dueAt: day(30), settledAt: null };
    expect(rateCredit([...settled(20, 0), open], day(45))).toMatchObject({
      rating: 'B',
      daysOverdue: 15,
      overdueAmount: 400,
    });
    expect(rateCredit([...settled(20, 0), open], day(100))).toMatchObject({ rating: 'C', daysOverdue: 70 });
    expect(rateCredit([...settled(4, 3), open], day(200))).toMatchObject({ rating: 'D' });
    expect(rateCredit([], day(1)).rating).toBeNull();
  });
});

describe('key-account score', () => {
  it('weighs volume, contract, growth, strategy and payment (hand-computed)', () => {
    // volume 5,000,000 of 10,000,000 = 0.5; contract 18/36 = 0.5; growth (4-1)/4 = 0.75; strategic (5-1)/4 = 1; payment
    // A = 1
    // 100 × (0.5·0.35 + 0.5·0.15 + 0.75·0.15 + 1·0.2 + 1·0.15) = 71.25 → 71
    const s = keyAccountScore(5_000_000, { contractMonths: 18, growthPotential: 4, strategicImportance: 5 }, 'A');
    expect(s.score).toBe(71);
    expect(s.isKey).toBe(true);
    expect(keyAccountScore(0, { contractMonths: 0, growthPotential: 1, strategicImportance: 1 }, null)).toMatchObject({
      score: 8,
      isKey: false,
    });
  });
});

describe('policies', () => {
  it('merge to the most generous benefits and the highest-priority service level', () => {
    expect(
      mergePolicies([
        { id: 'gold', priority: 10, policy: { pointsMultiplier: 1.5, serviceLevel: 'priority', visitEveryDays: 30 } },
        { id: 'key', priority: 20, policy: { freeDelivery: true, serviceLevel: 'vip', visitEveryDays: 14 } },
        { id: 'at-risk', priority: 0, policy: { pointsMultiplier: 2 } },
      ]),
    ).toEqual({
      pointsMultiplier: 2,
      freeDelivery: true,
      serviceLevel: 'vip',
      visitEveryDays: 14,
      segmentIds: ['key', 'gold', 'at-risk'],
    });
    expect(mergePolicies([])).toEqual({
      pointsMultiplier: 1,
      freeDelivery: false,
      serviceLevel: null,
      visitEveryDays: null,
      segmentIds: [],
    });
  });
});

describe('bought together', () => {
  it('counts support, confidence and lift (hand-computed)', () => {
    const c = new PairCounter();
    for (const basket of [['milk', 'bread'], ['milk', 'bread', 'eggs'], ['milk'], ['bread', 'eggs'], ['eggs']])
      c.add(basket);
    expect(c.baskets).toBe(5);
    const milkBread = c.directed(1).find((p) => p.a === 'milk' && p.b === 'bread')!;
    expect(milkBread).toEqual({ a: 'milk', b: 'bread', together: 2, aCount: 3, bCount: 3, baskets: 5 });
    // support 2/5; confidence 2/3; lift (2/3)/(3/5) = 10/9
    const m = pairMetrics(milkBread);
    expect(m.support).toBeCloseTo(0.4, 12);
    expect(m.confidence).toBeCloseTo(2 / 3, 12);
    expect(m.lift).toBeCloseTo(10 / 9, 12);
    expect(
      c
        .directed(2)
        .map((p) => `${p.a}>${p.b}`)
        .sort(),
    ).toEqual(['bread>eggs', 'bread>milk', 'eggs>bread', 'milk>bread']);
  });

  it('suggests next categories from history and what similar shoppers buy', () => {
    const next = nextCategories(
      { dairy: 750, bakery: 250 },
      [
        { a: 'dairy', b: 'cereal', confidence: 0.4 },
        { a: 'bakery', b: 'jam', confidence: 0.8 },
        { a: 'wine', b: 'cheese', confidence: 1 },
      ],
      4,
    );
    // dairy: (0.75 + 0)/2; cereal: (0 + 0.75·0.4)/2 = 0.15; bakery: 0.125; jam: (0.25·0.8)/2 = 0.1
    expect(next.map((n) => [n.category, Number(n.score.toFixed(4))])).toEqual([
      ['dairy', 0.375],
      ['cereal', 0.15],
      ['bakery', 0.125],
      ['jam', 0.1],
    ]);
  });
});
