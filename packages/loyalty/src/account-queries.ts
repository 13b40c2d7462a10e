/**
 * Queries: balances, statements with running balance, expiry schedules, liability by store, what a
 * sale earned and why, tier progress, and the context a till quotes with. None of them writes.
 */
import {
  mustGet,
  InvalidStateError,
  NotFoundError,
  codeSchema,
  customersCollection,
  idSchema,
  instantSchema,
  invalid,
  pageSchema,
  parseInput,
  purchasesCollection,
  refundFor,
  settleRefund,
  toMilli,
  type JsonValue,
} from '@clientele/core/module';
import * as z from 'zod';
import {
  accountsCollection,
  awardsCollection,
  entriesCollection,
  lotMovesCollection,
  lotsCollection,
} from './collections.js';
import type { Basket } from './basket.js';
import { counterKeys } from './counter-keys.js';
import { readCounters } from './counters.js';
import { memberContext } from './member-context.js';
import { valueOfPoints } from './points-math.js';
import { CHANNELS, contextFacts, type QuoteContext } from './quote-context.js';
import { evaluateProgram, quote, type Quote } from './quote.js';
import type { LoyaltyRuntime } from './runtime.js';
import { awardLinesOf, awardVouchers, planReturn, remainingLines, type AwardLine } from './sale-earning.js';
import { levelRank, qualifiedLevel } from './tiers.js';
import { saleLines } from './sale-reads.js';
import { redeemedFor, remainingOf, voucherOutcomes } from './voucher-checkout.js';
import { openClaimsOf, unitsToGiveBack } from './reward-checkout.js';
import { reversalOf, rewardOfClaim } from './reward-service.js';

/** A member's balances. */
export interface Balance {
  customerId: string;
  /** Available points (negative while a clawback of spent points is being paid off). */
  available: number;
  /** Points waiting for the return window. */
  pending: number;
  /** Points reserved by holds at tills. */
  held: number;
  /** What may be reserved or spent now. */
  spendable: number;
  /** Money value of the available points at the program's rate. */
  value: number;
  tier: string | null;
  tierSince: Date | null;
  tierReviewAt: Date | null;
}

/** One line of a statement. */
export interface StatementLine {
  seq: number;
  at: Date;
  kind: string;
  points: number;
  pendingPoints: number;
  value: number;
  /** Available balance after this entry. */
  balance: number;
  /** Pending balance after this entry. */
  pending: number;
  storeId: string | null;
  ref: { type: string; id: string } | null;
  reason: string | null;
  details: JsonValue;
}

/** Liability of one store (or of the chain, `storeId` null). */
export interface StoreLiability {
  storeId: string | null;
  points: number;
  pendingPoints: number;
  /** Money value of `points` at the program's rate. */
  value: number;
  pendingValue: number;
}

const customerIdSchema = idSchema;
const statementSchema = pageSchema
  .extend({
    /** Only entries from this instant on. */
    from: instantSchema.optional(),
    /** Only entries up to this instant. */
    to: instantSchema.optional(),
  })
  .strict();
/** Filters of `loyalty.statement`: a page, and a period. */
export type StatementInput = z.input<typeof statementSchema>;
const liabilitySchema = z
  .object({
    /** The date of the figures (default: now). */
    at: instantSchema.optional(),
    /** Only this store. */
    storeId: codeSchema.optional(),
  })
  .strict();
/** Options of `loyalty.liability`. */
export type LiabilityInput = z.input<typeof liabilitySchema>;
/** Who and where a context is read for. */
export const contextForSchema = z
  .object({
    customerId: idSchema,
    /** The store quoting (its time zone places the member's local day). */
    storeId: codeSchema,
    channel: z.enum(CHANNELS).optional(),
    /** The instant quoted for (default: now). */
    at: instantSchema.optional(),
  })
  .strict();
/** Input of `loyalty.contextFor` and `loyalty.quoteFor`: who and where a context is read for. */
export type ContextForInput = z.input<typeof contextForSchema>;
/** Input of `previewReturn`. */
export const previewReturnSchema = z
  .object({
    purchaseId: idSchema,
    lines: z
      .array(z.object({ lineNo: z.number().int().min(1), quantity: z.number().positive() }).strict())
      .min(1)
      .max(1000),
  })
  .strict();

/** Input of `loyalty.previewReturn`: the sale and the lines that would come back. */
export type PreviewReturnInput = z.input<typeof previewReturnSchema>;

/** A page of a member's ledger from `loyalty.statement`, with the balance before its first line. */
export interface Statement {
  /** The available balance before the first line. */
  opening: number;
  lines: StatementLine[];
  /** The cursor of the next page (`null`: none). */
  next: string | null;
}

/** Which of a member's points expire when, from `loyalty.expirySchedule`. */
export interface ExpirySchedule {
  customerId: string;
  /** Available points by their last day, soonest first. */
  expiring: Array<{ lastDay: string; expiresAt: Date; points: number }>;
  /** Available points that never expire. */
  neverExpire: number;
  /** Points waiting for the return window, with when they are released and their last day. */
  pending: Array<{ releaseAt: Date; points: number; lastDay: string | null }>;
}

/** Outstanding points and their money value per store at a date, from `loyalty.liability`. */
export interface PointsLiability {
  /** The date of the figures. */
  at: Date;
  currency: string;
  /** Per store that holds any points. */
  stores: StoreLiability[];
  /** The whole chain (`storeId` null). */
  total: StoreLiability;
}

/** What a sale earned and why, from `loyalty.saleAward`. */
export interface SaleAward {
  purchaseId: string;
  customerId: string;
  /** Points the sale earned, net of clawbacks so far. */
  points: number;
  /** Points the sale first earned. */
  earned: number;
  /** Points that paid for the sale (committed holds). */
  redeemed: number;
  /** Of those, how many have come back with returns. */
  restored: number;
  status: string;
  /** The quote of the sale as sold. */
  quote: Quote;
  /** The quote of what is left of it after its returns. */
  now: Quote;
}

/** Where a member stands against the next tier, from `loyalty.tierProgress`. */
export interface TierProgress {
  /** The tier held (`null` without tiers). */
  tier: string | null;
  /** What qualifies: points earned or money spent (`null` without tiers). */
  basis: 'points' | 'spend' | null;
  /** What counts so far in the tier window. */
  amount: number;
  /** The next tier, its threshold and what is still needed (`null` at the top). */
  next: { tier: string; threshold: number; needed: number } | null;
  /** When the tier is next reviewed. */
  reviewAt: Date | null;
}

/** A member's quote context at a store, from `loyalty.contextFor`: what a till quotes every scan with. */
export type MemberContext = QuoteContext & {
  /** The instant the context is for. */
  at: Date;
  /** The program's counters the member has used (caps, budgets). */
  counters: Record<string, number>;
};

/** What a return would do, from `previewReturn` (money in minor units). */
export interface ReturnPreview {
  /** The member whose points and vouchers the return moves (null: a sale with no customer). */
  customerId: string | null;
  /** What the returned lines are worth. */
  refund: number;
  /** Points the returned goods earned, taken back. */
  clawback: number;
  /** Of those, points already spent (the program's `returns.shortfall` says what happens to them). */
  shortfall: number;
  /** Points spent on the sale that come back. */
  restore: number;
  /**
   * Each product reward claim whose goods the return takes away: the units given back, the points
   * that come back (none for a part set), what the units are worth, and what of that is kept back of
   * the refund (a part set: the goods were paid with points that do not come back).
   */
  rewards: Array<{
    claimId: string;
    rewardId: string;
    units: number;
    points: number;
    value: number;
    refundDeduction: number;
  }>;
  /**
   * Each voucher that paid for the sale: `restore` (it comes back), `expire` (it would, but its time is over) or
   * `none`, and what it keeps back of the refund.
   */
  vouchers: Array<{
    voucherId: string;
    templateId: string;
    action: 'restore' | 'expire' | 'none';
    refundDeduction: number;
  }>;
  /** Everything kept back of the refund: spent points (under `deduct-from-refund`) and vouchers. */
  refundDeduction: number;
  /**
   * `refund` less `refundDeduction`: what goes back to the customer by the loyalty module's rules. The
   * return itself says through which tender (`PurchaseReturn.tenders`) and may give back less where a
   * tender was already refunded outside a return.
   */
  payable: number;
}

/** Builds the query service. */
export function createQueries(runtime: LoyaltyRuntime) {
  const { kernel, tiers } = runtime;
  const store = kernel.store;
  const cfg = runtime.program.config;

  async function requireCustomer(customerId: string): Promise<void> {
    if (!(await store.get(customersCollection, customerId)))
      throw new NotFoundError('customer', customerId, { path: ['customerId'] });
  }

  async function balance(customerId: string): Promise<Balance> {
    const id = parseInput(customerIdSchema, customerId, ['customerId']);
    await requireCustomer(id);
    const a = await store.get(accountsCollection, id);
    const available = a?.balance ?? 0;
    return {
      customerId: id,
      available,
      pending: a?.pending ?? 0,
      held: a ? a.balance - a.spendable : 0,
      spendable: a?.spendable ?? 0,
      value: valueOfPoints(Math.max(0, available), cfg.pointValue),
      tier: a?.tier ?? runtime.startTier,
      tierSince: a?.tierSince ?? null,
      tierReviewAt: a?.tierReviewAt ?? null,
    };
  }

  async function statement(customerId: string, options: StatementInput = {}): Promise<Statement> {
    const id = parseInput(customerIdSchema, customerId, ['customerId']);
    const q = parseInput(statementSchema, options);
    await requireCustomer(id);
    const where: Record<string, unknown> = { customerId: id };
    if (q.from || q.to) where['at'] = { ...(q.from ? { gte: q.from } : {}), ...(q.to ? { lte: q.to } : {}) };
    const page = await store.find(entriesCollection, {
      where,
      orderBy: [{ field: 'seq' }],
      limit: q.limit,
      after: q.after ?? null,
    });
    const first = page.rows[0];
    return {
      opening: first ? first.balanceAfter - first.points : 0,
      lines: page.rows.map((e) => ({
        seq: e.seq,
        at: e.at,
        kind: e.kind,
        points: e.points,
        pendingPoints: e.pendingPoints,
        value: e.value,
        balance: e.balanceAfter,
        pending: e.pendingAfter,
        storeId: e.storeId,
        ref: e.refType && e.refId ? { type: e.refType, id: e.refId } : null,
        reason: e.reason,
        details: e.details,
      })),
      next: page.next,
    };
  }

  async function expirySchedule(customerId: string): Promise<ExpirySchedule> {
    const id = parseInput(customerIdSchema, customerId, ['customerId']);
    await requireCustomer(id);
    const byDay = new Map<string, { lastDay: string; expiresAt: Date; points: number }>();
    let neverExpire = 0;
    const pending: Array<{ releaseAt: Date; points: number; lastDay: string | null }> = [];
    for (const status of ['available', 'pending'] as const) {
      let after: string | null = null;
      do {
        const page: {
          rows: Array<{ remaining: number; lastDay: string | null; expiresAt: Date | null; releaseAt: Date | null }>;
          next: string | null;
        } = await store.find(lotsCollection, {
          where: { customerId: id, status },
          orderBy: [{ field: 'earnedAt' }],
          limit: 500,
          after,
        });
        for (const lot of page.rows) {
          if (status === 'pending')
            pending.push({ releaseAt: lot.releaseAt!, points: lot.remaining, lastDay: lot.lastDay });
          else if (lot.lastDay === null) neverExpire += lot.remaining;
          else {
            const slot = byDay.get(lot.lastDay) ?? { lastDay: lot.lastDay, expiresAt: lot.expiresAt!, points: 0 };
            slot.points += lot.remaining;
            byDay.set(lot.lastDay, slot);
          }
        }
        after = page.next;
      } while (after);
    }
    return {
      customerId: id,
      expiring: [...byDay.values()].sort((a, b) => (a.lastDay < b.lastDay ? -1 : 1)),
      neverExpire,
      pending,
    };
  }

  async function liability(options: LiabilityInput = {}): Promise<PointsLiability> {
    const q = parseInput(liabilitySchema, options);
    const at = q.at ?? kernel.clock.now();
    const where: Record<string, unknown> = { at: { lte: at } };
    if (q.storeId) where['storeId'] = q.storeId;
    const groups = await store.aggregate(lotMovesCollection, {
      where,
      groupBy: ['storeId'],
      measures: { points: { fn: 'sum', field: 'points' }, pendingPoints: { fn: 'sum', field: 'pendingPoints' } },
    });
    const stores = groups
      .map((g) => {
        const points = Number(g['points'] ?? 0);
        const pendingPoints = Number(g['pendingPoints'] ?? 0);
        return {
          storeId: (g['storeId'] as string | null) ?? null,
          points,
          pendingPoints,
          value: valueOfPoints(points, cfg.pointValue),
          pendingValue: valueOfPoints(pendingPoints, cfg.pointValue),
        };
      })
      .filter((s) => s.points !== 0 || s.pendingPoints !== 0);
    const points = stores.reduce((s, x) => s + x.points, 0);
    const pendingPoints = stores.reduce((s, x) => s + x.pendingPoints, 0);
    return {
      at,
      currency: cfg.currency,
      stores,
      total: {
        storeId: null,
        points,
        pendingPoints,
        value: valueOfPoints(points, cfg.pointValue),
        pendingValue: valueOfPoints(pendingPoints, cfg.pointValue),
      },
    };
  }

  async function saleAward(purchaseId: string): Promise<SaleAward> {
    const id = parseInput(idSchema, purchaseId, ['purchaseId']);
    const award = await mustGet(store, awardsCollection, id, 'loyalty award of sale', { path: ['purchaseId'] });
    const program = await runtime.versions.get(store, award.programVersion);
    const lines = award.lines as unknown as AwardLine[];
    const context = contextFacts(award.context, ['award', 'context']);
    const sold = lines.map((l) => ({ ...l, returnedMilli: 0 }));
    const original = evaluateProgram(program, remainingLines(sold), awardVouchers(award, sold, 0), context);
    const now = planReturn(program, award, lines, award.refunded).quote;
    return {
      purchaseId: id,
      customerId: award.customerId,
      points: award.points,
      earned: award.earned,
      redeemed: award.redeemed,
      restored: award.restored,
      status: award.status,
      quote: original,
      now,
    };
  }

  /**
   * What a return of these lines would do, told before it is made, by the rules the return itself
   * follows: the points taken back and any shortfall, each voucher that paid for the sale (back,
   * expired or kept, and what it keeps back of the refund), and what the till then pays out.
   */
  async function previewReturn(input: PreviewReturnInput): Promise<ReturnPreview> {
    const q = parseInput(previewReturnSchema, input);
    const purchase = await mustGet(store, purchasesCollection, q.purchaseId, 'purchase', { path: ['purchaseId'] });
    if (purchase.status !== 'completed')
      throw new InvalidStateError(`purchase ${purchase.id} is ${purchase.status}`, { path: ['purchaseId'] });
    const rows = await saleLines(store, q.purchaseId);
    // Thousandths returned by line number, checked as the return checks them.
    const returned = new Map<number, number>();
    let refund = 0;
    for (let i = 0; i < q.lines.length; i++) {
      const want = q.lines[i]!;
      const row = rows.find((l) => l.lineNo === want.lineNo);
      if (!row) throw invalid(['lines', i, 'lineNo'], 'unknown_line', `the sale has no line ${want.lineNo}`);
      const before = row.returnedMilli + (returned.get(want.lineNo) ?? 0);
      const milli = toMilli(want.quantity);
      if (milli === null || before + milli > row.quantityMilli)
        throw invalid(
          ['lines', i, 'quantity'],
          'exceeds_sold',
          `only ${(row.quantityMilli - before) / 1000} left to return on line ${want.lineNo}`,
        );
      refund += refundFor(row.amount, row.quantityMilli, before, milli);
      returned.set(want.lineNo, (returned.get(want.lineNo) ?? 0) + milli);
    }

    const points = await pointsOfReturn(q.purchaseId, returned, refund);
    const claims = await openClaimsOf(store, q.purchaseId);
    const program = runtime.program;
    const lines = awardLinesOf(rows).map((l) => ({
      ...l,
      returnedMilli: l.returnedMilli + (returned.get(l.lineNo) ?? 0),
    }));
    const rewards = unitsToGiveBack({ rewardOf: (c) => rewardOfClaim(program, c) }, claims, lines).map(
      ({ claim, units }) => {
        const back = reversalOf(rewardOfClaim(program, claim), claim, units);
        return {
          claimId: claim.id,
          rewardId: claim.rewardId,
          units,
          ...back,
          refundDeduction: back.points > 0 ? 0 : back.value,
        };
      },
    );
    const kept = [{ amount: points.refundDeduction }, ...rewards.map((r) => ({ amount: r.refundDeduction }))];
    const vouchers = voucherOutcomes(await redeemedFor(store, q.purchaseId), {
      remaining: remainingOf(rows, returned),
      whole: purchase.refundedTotal + refund >= purchase.total,
      // What the points keep back is not there for vouchers to keep back again, as in the return itself.
      refund: settleRefund(refund, kept).payable,
      at: kernel.clock.now(),
    }).map(({ row, outcome }) => ({
      voucherId: row.id,
      templateId: row.templateId,
      action: outcome.action,
      refundDeduction: outcome.refundDeduction,
    }));
    const settled = settleRefund(refund, [...kept, ...vouchers.map((v) => ({ amount: v.refundDeduction }))]);
    return {
      customerId: purchase.customerId,
      ...points,
      refund,
      rewards,
      vouchers,
      refundDeduction: refund - settled.payable,
      payable: settled.payable,
    };
  }

  /** The points side of a return preview: nothing to take back for a sale that earned nothing. */
  async function pointsOfReturn(
    purchaseId: string,
    returned: ReadonlyMap<number, number>,
    refund: number,
  ): Promise<Pick<ReturnPreview, 'clawback' | 'shortfall' | 'restore'> & { refundDeduction: number }> {
    const award = await store.get(awardsCollection, purchaseId);
    if (!award) return { clawback: 0, shortfall: 0, restore: 0, refundDeduction: 0 };
    const lines = (award.lines as unknown as AwardLine[]).map((l) => ({
      ...l,
      returnedMilli: l.returnedMilli + (returned.get(l.lineNo) ?? 0),
    }));
    const program = await runtime.versions.get(store, award.programVersion);
    const plan = planReturn(program, award, lines, Math.min(award.total, award.refunded + refund));
    const account = await store.get(accountsCollection, award.customerId);
    const canTake =
      cfg.returns.shortfall === 'negative-balance'
        ? plan.clawback
        : Math.min(plan.clawback, Math.max(0, account?.spendable ?? 0));
    const shortfall = plan.clawback - canTake;
    return {
      clawback: plan.clawback,
      shortfall,
      restore: plan.restore,
      refundDeduction: cfg.returns.shortfall === 'deduct-from-refund' ? valueOfPoints(shortfall, cfg.pointValue) : 0,
    };
  }

  async function tierProgress(customerId: string): Promise<TierProgress> {
    const b = await balance(customerId);
    const t = tiers.config;
    if (!t) return { tier: null, basis: null, amount: 0, next: null, reviewAt: null };
    const amount = await tiers.progress(store, b.customerId, kernel.clock.now());
    const rank = Math.max(levelRank(t, b.tier), levelRank(t, qualifiedLevel(t, amount)));
    const next = t.levels[rank + 1];
    return {
      tier: b.tier,
      basis: t.basis,
      amount,
      next: next ? { tier: next.code, threshold: next.threshold, needed: next.threshold - amount } : null,
      reviewAt: b.tierReviewAt,
    };
  }

  async function contextFor(input: ContextForInput): Promise<MemberContext> {
    const q = parseInput(contextForSchema, input);
    const context = await memberContext(
      kernel,
      store,
      {
        customerId: q.customerId,
        storeId: q.storeId,
        ...(q.channel ? { channel: q.channel } : {}),
        at: q.at ?? kernel.clock.now(),
        includesSale: false,
      },
      { startTier: runtime.startTier, timeZone: cfg.timeZone },
    );
    const counters = await readCounters(store, counterKeys(runtime.program, contextFacts(context)));
    return { ...context, counters };
  }

  async function quoteFor(input: ContextForInput, basket: Basket): Promise<Quote> {
    return quote(runtime.program, basket, await contextFor(input));
  }

  return {
    balance,
    statement,
    expirySchedule,
    liability,
    saleAward,
    previewReturn,
    tierProgress,
    contextFor,
    quoteFor,
  };
}
