/** The ledger's invariants, checked against what is stored. */
import type { Store } from '@clientele/core';
import { scan } from '@clientele/core/module';
import { expect } from 'vitest';
import {
  accountsCollection,
  entriesCollection,
  holdsCollection,
  lotMovesCollection,
  lotsCollection,
} from '../src/index.js';

/**
 * Balance = sum of entries; pending likewise; spendable = balance − active holds; lots hold max(balance, 0); lot moves
 * sum to lots.
 */
export async function expectLedgerConsistent(store: Store): Promise<void> {
  const sums = new Map<string, { points: number; pending: number; seqs: number[] }>();
  for await (const e of scan(store, entriesCollection)) {
    const s = sums.get(e.customerId) ?? { points: 0, pending: 0, seqs: [] };
    s.points += e.points;
    s.pending += e.pendingPoints;
    s.seqs.push(e.seq);
    sums.set(e.customerId, s);
  }
  const lots = new Map<string, { available: number; pending: number }>();
  const byLot = new Map<string, number>();
  for await (const lot of scan(store, lotsCollection)) {
    const l = lots.get(lot.customerId) ?? { available: 0, pending: 0 };
    if (lot.status === 'available') l.available += lot.remaining;
    if (lot.status === 'pending') l.pending += lot.remaining;
    if (lot.status === 'closed') expect(lot.remaining).toBe(0);
    expect(lot.remaining).toBeGreaterThanOrEqual(0);
    lots.set(lot.customerId, l);
    byLot.set(lot.id, lot.remaining);
  }
  const moved = new Map<string, number>();
  for await (const m of scan(store, lotMovesCollection))
    moved.set(m.lotId, (moved.get(m.lotId) ?? 0) + m.points + m.pendingPoints);
  for (const [lotId, remaining] of byLot)
    expect({ lotId, moved: moved.get(lotId) ?? 0 }).toEqual({ lotId, moved: remaining });
  const held = new Map<string, number>();
  for await (const h of scan(store, holdsCollection))
    if (h.status === 'active') held.set(h.customerId, (held.get(h.customerId) ?? 0) + h.points);
  for await (const a of scan(store, accountsCollection)) {
    const s = sums.get(a.customerId) ?? { points: 0, pending: 0, seqs: [] };
    const l = lots.get(a.customerId) ?? { available: 0, pending: 0 };
    expect({
      customer: a.customerId,
      balance: a.balance,
      pending: a.pending,
      spendable: a.spendable,
      lastSeq: a.lastSeq,
    }).toEqual({
      customer: a.customerId,
      balance: s.points,
      pending: s.pending,
      spendable: s.points - (held.get(a.customerId) ?? 0),
      lastSeq: s.seqs.length,
    });
    expect(s.seqs.sort((x, y) => x - y)).toEqual(s.seqs.map((_, i) => i + 1));
    expect({ customer: a.customerId, lots: l.available, pendingLots: l.pending }).toEqual({
      customer: a.customerId,
      lots: Math.max(0, a.balance),
      pendingLots: a.pending,
    });
  }
}
