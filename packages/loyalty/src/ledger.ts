/**
 * The points ledger, inside a command's transaction. Every change is an appended entry; the
 * account's cached balances move by the same amounts in the same transaction; lots record where
 * points came from, when they expire and which store owes them, and are consumed oldest first.
 *
 * Invariants (tests check them): `balance` is the sum of the entries' `points` and `pending` of their
 * `pendingPoints`; `spendable` is `balance` less active holds; when `balance >= 0` the available lots
 * hold exactly `balance` points, and when it is negative (a debt after a clawback) they hold none;
 * pending lots hold exactly `pending`; the lot moves of a lot sum to what it holds.
 *
 * Other services of this package (vouchers converted from points, for one) call `debit` with their
 * own entry kind and reference inside their own command.
 */
import { InsufficientBalanceError } from './errors.js';
import { actorRef, isClienteleError, type JsonValue, type RowOf } from '@clientele/core/module';
import {
  accountsCollection,
  entriesCollection,
  lotMovesCollection,
  lotsCollection,
  type EntryKind,
} from './collections.js';
import type { Expiry } from './expiry.js';
import { valueOfPoints, type PointValue } from './points-math.js';
import type { LoyaltyContext } from './context.js';

/** A ledger entry as stored. */
export type LedgerEntry = RowOf<typeof entriesCollection>;
/** A lot as stored. */
export type Lot = RowOf<typeof lotsCollection>;
/** An account row as stored. */
export type AccountRow = RowOf<typeof accountsCollection>;

/** What every posting names. */
export interface Posting {
  customerId: string;
  kind: EntryKind;
  /** Where it happened (null: chain-wide). */
  storeId?: string | null;
  /** What caused it: `{ type: 'purchase', id }`, `{ type: 'return', id }`, `{ type: 'voucher', id }`, ... */
  ref?: { type: string; id: string } | null;
  reason?: string | null;
  details?: Record<string, JsonValue>;
}

/** How a debit treats the spendable balance. */
export type DebitMode =
  /** Refuse with `INSUFFICIENT_BALANCE` unless the points are spendable now (also under racing terminals). */
  | 'guarded'
  /** The points were reserved by a hold: spendable already went down. */
  | 'held'
  /** Take them even if the balance goes negative (a clawback under the negative-balance policy). */
  | 'force'
  /** Take what is spendable, up to the points asked; the rest is the shortfall. */
  | 'available';

/** A slice of a lot taken by a debit. */
export interface LotTake {
  lotId: string;
  storeId: string | null;
  points: number;
  lastDay: string | null;
  expiresAt: Date | null;
}

/** Settings of the ledger. */
export interface LedgerSettings {
  /** What points are worth: each entry carries its money value at this rate. */
  rate: PointValue;
  /** The tier a new account starts in. */
  startTier: string | null;
}

/** Builds the ledger operations. */
/** Entry kinds that give points by a person's decision or back on a refund (not earned by a rule). */
const GIVEN: ReadonlySet<EntryKind> = new Set<EntryKind>(['adjustment', 'goodwill', 'restore']);

export function createLedger(settings: LedgerSettings) {
  const { rate } = settings;

  /** The member's account, created on first use. */
  async function account(ctx: LoyaltyContext, customerId: string): Promise<AccountRow> {
    const row = await ctx.tx.get(accountsCollection, customerId);
    if (row) return row;
    try {
      return await ctx.tx.insert(accountsCollection, {
        customerId,
        balance: 0,
        pending: 0,
        spendable: 0,
        lastSeq: 0,
        tier: settings.startTier,
        tierSince: settings.startTier ? ctx.now : null,
        tierReviewAt: null,
        createdAt: ctx.now,
        updatedAt: ctx.now,
      });
    } catch (error) {
      // Another transaction opened the account first: use it.
      if (!isClienteleError(error, 'CONFLICT')) throw error;
      return (await ctx.tx.get(accountsCollection, customerId))!;
    }
  }

  /** Appends an entry and moves the cached balances by the same amounts. */
  async function post(
    ctx: LoyaltyContext,
    p: Posting,
    points: number,
    pendingPoints: number,
    spendableDelta: number,
    details: Record<string, JsonValue> = {},
    id = ctx.id('lpe'),
  ): Promise<{ entry: LedgerEntry; account: AccountRow }> {
    const tx = ctx.tx;
    await account(ctx, p.customerId);
    if (points !== 0) await tx.increment(accountsCollection, p.customerId, 'balance', points);
    if (pendingPoints !== 0) await tx.increment(accountsCollection, p.customerId, 'pending', pendingPoints);
    if (spendableDelta !== 0) await tx.increment(accountsCollection, p.customerId, 'spendable', spendableDelta);
    const row = (await tx.increment(accountsCollection, p.customerId, 'lastSeq', 1)).row;
    const acc = await tx.update(accountsCollection, p.customerId, { updatedAt: ctx.now });
    const entry = await tx.insert(entriesCollection, {
      id,
      customerId: p.customerId,
      seq: row.lastSeq,
      at: ctx.now,
      kind: p.kind,
      points,
      pendingPoints,
      value: valueOfPoints(points + pendingPoints, rate),
      balanceAfter: row.balance,
      pendingAfter: row.pending,
      storeId: p.storeId ?? null,
      refType: p.ref?.type ?? null,
      refId: p.ref?.id ?? null,
      reason: p.reason ?? null,
      actor: actorRef(ctx.actor) as JsonValue,
      details: { ...(p.details ?? {}), ...details },
    });
    return { entry, account: acc };
  }

  async function move(
    ctx: LoyaltyContext,
    lot: Lot,
    points: number,
    pendingPoints: number,
    entryId: string,
  ): Promise<void> {
    await ctx.tx.insert(lotMovesCollection, {
      id: ctx.id('lpm'),
      lotId: lot.id,
      customerId: lot.customerId,
      storeId: lot.storeId,
      at: ctx.now,
      points,
      pendingPoints,
      entryId,
    });
  }

  /** Takes up to `points` from one lot (never below zero); returns what it took. */
  async function takeFromLot(
    ctx: LoyaltyContext,
    lot: Lot,
    points: number,
    entryId: string,
    bucket: 'available' | 'pending',
  ): Promise<number> {
    const want = Math.min(points, lot.remaining);
    if (want <= 0) return 0;
    let r = await ctx.tx.increment(lotsCollection, lot.id, 'remaining', -want, { min: 0 });
    let took = want;
    if (!r.applied) {
      // Someone took from this lot since it was read: take what is left.
      took = Math.min(points, r.row.remaining);
      if (took <= 0) return 0;
      r = await ctx.tx.increment(lotsCollection, lot.id, 'remaining', -took, { min: 0 });
      if (!r.applied) return 0;
    }
    if (r.row.remaining === 0) await ctx.tx.update(lotsCollection, lot.id, { status: 'closed', releaseAt: null });
    await move(ctx, lot, bucket === 'available' ? -took : 0, bucket === 'pending' ? -took : 0, entryId);
    return took;
  }

  /** Consumes available lots oldest first (a preferred lot first); returns the slices taken. */
  async function consume(
    ctx: LoyaltyContext,
    customerId: string,
    points: number,
    entryId: string,
    options: { prefer?: string | null; only?: string | null } = {},
  ): Promise<LotTake[]> {
    const taken: LotTake[] = [];
    let left = points;
    const takeLot = async (lot: Lot) => {
      const t = await takeFromLot(ctx, lot, left, entryId, 'available');
      if (t > 0) {
        taken.push({ lotId: lot.id, storeId: lot.storeId, points: t, lastDay: lot.lastDay, expiresAt: lot.expiresAt });
        left -= t;
      }
    };
    const first = options.only ?? options.prefer;
    if (first) {
      const lot = await ctx.tx.get(lotsCollection, first);
      if (lot && lot.status === 'available' && lot.customerId === customerId) await takeLot(lot);
      if (options.only) return taken;
    }
    while (left > 0) {
      const page = await ctx.tx.find(lotsCollection, {
        where: { customerId, status: 'available' },
        orderBy: [{ field: 'earnedAt' }],
        limit: 50,
      });
      if (page.rows.length === 0) break;
      const before = left;
      for (const lot of page.rows) {
        if (left <= 0) break;
        await takeLot(lot);
      }
      if (left === before) break;
    }
    return taken;
  }

  /**
   * Adds points: a new lot (pending until `releaseAt`, or available) and an entry. Available points
   * first pay off a negative balance; only the rest goes into the lot.
   */
  async function credit(
    ctx: LoyaltyContext,
    p: Posting & {
      points: number;
      expiry: Expiry | null;
      earnedAt?: Date;
      releaseAt?: Date | null;
      lotStoreId?: string | null;
    },
  ): Promise<{ entry: LedgerEntry; lot: Lot; debtPaid: number }> {
    if (!Number.isSafeInteger(p.points) || p.points <= 0)
      throw new RangeError('credit takes a positive number of points');
    // Points a person decides to give, or gives back on a refund, are value moved under authority.
    if (GIVEN.has(p.kind)) ctx.moved('points', valueOfPoints(p.points, settings.rate));
    const acc = await account(ctx, p.customerId);
    const pending = p.releaseAt != null;
    const debtPaid = pending ? 0 : Math.min(p.points, Math.max(0, -acc.balance));
    const lotId = ctx.id('lpl');
    const { entry } = await post(ctx, p, pending ? 0 : p.points, pending ? p.points : 0, pending ? 0 : p.points, {
      lots: [{ lotId, points: p.points }],
      ...(debtPaid ? { debtPaid } : {}),
    });
    const remaining = p.points - debtPaid;
    const lot = await ctx.tx.insert(lotsCollection, {
      id: lotId,
      customerId: p.customerId,
      storeId: p.lotStoreId !== undefined ? p.lotStoreId : (p.storeId ?? null),
      earnedAt: p.earnedAt ?? ctx.now,
      lastDay: p.expiry?.lastDay ?? null,
      expiresAt: p.expiry?.expiresAt ?? null,
      releaseAt: pending ? p.releaseAt! : null,
      points: p.points,
      remaining,
      status: remaining === 0 ? 'closed' : pending ? 'pending' : 'available',
      entryId: entry.id,
      warnedAt: null,
    });
    if (remaining > 0) await move(ctx, lot, pending ? 0 : remaining, pending ? remaining : 0, entry.id);
    return { entry, lot, debtPaid };
  }

  /**
   * Takes points: consumes lots oldest first and appends an entry. Returns the slices taken and the
   * shortfall (points asked for but not taken: only in `available` mode).
   */
  async function debit(
    ctx: LoyaltyContext,
    p: Posting & { points: number; mode: DebitMode; preferLot?: string | null; onlyLot?: string | null },
  ): Promise<{ entry: LedgerEntry | null; taken: LotTake[]; points: number; shortfall: number }> {
    if (!Number.isSafeInteger(p.points) || p.points <= 0)
      throw new RangeError('debit takes a positive number of points');
    const acc = await account(ctx, p.customerId);
    let points = p.points;
    let spendableDelta = -points;
    if (p.mode === 'guarded') {
      const r = await ctx.tx.increment(accountsCollection, p.customerId, 'spendable', -points, { min: 0 });
      if (!r.applied) throw new InsufficientBalanceError(p.customerId, points, Math.max(0, r.row.spendable));
      spendableDelta = 0;
    } else if (p.mode === 'available') {
      points = Math.min(points, Math.max(0, acc.spendable));
      if (p.onlyLot) {
        const lot = await ctx.tx.get(lotsCollection, p.onlyLot);
        points = Math.min(points, lot && lot.status === 'available' ? lot.remaining : 0);
      }
      if (points > 0) {
        const r = await ctx.tx.increment(accountsCollection, p.customerId, 'spendable', -points, { min: 0 });
        if (!r.applied) {
          points = Math.min(points, Math.max(0, r.row.spendable));
          if (
            points > 0 &&
            !(await ctx.tx.increment(accountsCollection, p.customerId, 'spendable', -points, { min: 0 })).applied
          )
            points = 0;
        }
      }
      spendableDelta = 0;
      if (points === 0) return { entry: null, taken: [], points: 0, shortfall: p.points };
    } else if (p.mode === 'held') spendableDelta = 0;
    const entryId = ctx.id('lpe');
    // The entry id is known before the lots are touched so their moves can name it.
    const taken = await consume(ctx, p.customerId, points, entryId, {
      prefer: p.preferLot ?? null,
      only: p.onlyLot ?? null,
    });
    const fromLots = taken.reduce((s, t) => s + t.points, 0);
    const details: Record<string, JsonValue> = { lots: taken.map((t) => ({ lotId: t.lotId, points: t.points })) };
    if (fromLots < points) details['debt'] = points - fromLots;
    const { entry } = await post(ctx, p, -points, 0, spendableDelta, details, entryId);
    return { entry, taken, points, shortfall: p.points - points };
  }

  /** Takes points back from a pending lot (a return inside the return window). */
  async function reducePending(
    ctx: LoyaltyContext,
    p: Posting & { lot: Lot; points: number },
  ): Promise<{ entry: LedgerEntry; points: number } | null> {
    const entryId = ctx.id('lpe');
    const took = await takeFromLot(ctx, p.lot, p.points, entryId, 'pending');
    if (took === 0) return null;
    const { entry } = await post(ctx, p, 0, -took, 0, { lots: [{ lotId: p.lot.id, points: took }] }, entryId);
    return { entry, points: took };
  }

  /** Makes a pending lot available (its points first pay off a negative balance). */
  async function release(ctx: LoyaltyContext, lot: Lot): Promise<{ entry: LedgerEntry; points: number } | null> {
    const claimed = await ctx.tx.consume(
      lotsCollection,
      lot.id,
      { status: 'pending' },
      { status: 'available', releaseAt: null },
    );
    if (!claimed || claimed.remaining === 0) {
      if (claimed) await ctx.tx.update(lotsCollection, lot.id, { status: 'closed' });
      return null;
    }
    const acc = await account(ctx, lot.customerId);
    const points = claimed.remaining;
    const debtPaid = Math.min(points, Math.max(0, -acc.balance));
    const entryId = ctx.id('lpe');
    const { entry } = await post(
      ctx,
      { customerId: lot.customerId, kind: 'pending-release', storeId: lot.storeId, ref: { type: 'lot', id: lot.id } },
      points,
      -points,
      points,
      { lots: [{ lotId: lot.id, points }], ...(debtPaid ? { debtPaid } : {}) },
      entryId,
    );
    await move(ctx, claimed, points, -points, entryId);
    if (debtPaid) {
      const after = await ctx.tx.increment(lotsCollection, lot.id, 'remaining', -debtPaid, { min: 0 });
      if (after.row.remaining === 0) await ctx.tx.update(lotsCollection, lot.id, { status: 'closed' });
      await move(ctx, claimed, -debtPaid, 0, entryId);
    }
    return { entry, points };
  }

  /**
   * Takes up to `points` from the given lots to pay off a debt that an entry (`entryId`) already
   * counted: the balance does not move again, only the lots. Returns what was taken.
   */
  async function payDebt(ctx: LoyaltyContext, lots: readonly Lot[], points: number, entryId: string): Promise<number> {
    let left = points;
    for (const lot of lots) {
      if (left <= 0) break;
      if (lot.status !== 'available') continue;
      left -= await takeFromLot(ctx, lot, left, entryId, 'available');
    }
    return points - left;
  }

  /** Points that may be reserved now (reads inside the transaction). */
  async function spendable(ctx: LoyaltyContext, customerId: string): Promise<number> {
    return (await account(ctx, customerId)).spendable;
  }

  /** Moves `spendable` for a hold: down when reserving (refused below zero), up when releasing. */
  async function hold(ctx: LoyaltyContext, customerId: string, delta: number): Promise<void> {
    await account(ctx, customerId);
    const r = await ctx.tx.increment(accountsCollection, customerId, 'spendable', delta, delta < 0 ? { min: 0 } : {});
    if (!r.applied) throw new InsufficientBalanceError(customerId, -delta, Math.max(0, r.row.spendable));
  }

  return { account, credit, debit, reducePending, release, spendable, hold, post, payDebt };
}

/** The ledger operations. */
export type Ledger = ReturnType<typeof createLedger>;

/** Whether an error is the ledger's refusal for lack of points. */
export function isInsufficient(error: unknown): boolean {
  return isClienteleError(error, 'INSUFFICIENT_BALANCE');
}
