/**
 * Earning from sales, in the sale's own transaction. Core's `purchase.recorded`,
 * `purchase.returned` and `purchase.voided` are handled in-transaction, so points are earned or
 * taken back exactly when the sale or return is written, or not at all.
 *
 * A return is worked out again rather than pro-rated by hand: the sale's lines minus everything
 * returned so far are quoted with the sale's own context and program version, and the difference
 * from what the sale holds now is taken back. So a return reverses exactly what the returned lines
 * caused (a bonus whose minimum basket is no longer met, a cap that now has room, the same rounding),
 * and returning the same goods twice, or in any number of parts, never takes back more than once.
 */
import {
  ConflictError,
  invalid,
  REFUND_ORDER,
  refundFor,
  type CoreEvents,
  type RefundCollector,
  type JsonValue,
  type purchaseLinesCollection,
  type RowOf,
} from '@clientele/core/module';
import type { PricedLine, PricedVoucher } from './basket.js';
import {
  awardsCollection,
  entriesCollection,
  lotsCollection,
  vouchersCollection,
  type EntryKind,
} from './collections.js';
import type { CompiledProgram } from './compiled-program.js';
import { isMemberCounter } from './counter-keys.js';
import { adjustCounter, applyCounters, readCounters } from './counters.js';
import { expiryOf } from './expiry.js';
import type { HoldService } from './holds.js';
import type { Lot } from './ledger.js';
import { addDaysToDate, localTime, startOfLocalDate } from './local-time.js';
import { memberContext } from './member-context.js';
import { pointsText, valueOfPoints } from './points-math.js';
import { contextFacts, type QuoteContext } from './quote-context.js';
import { evaluateProgram, type Quote } from './quote.js';
import type { LoyaltyRuntime } from './runtime.js';
import type { LoyaltyContext, LoyaltyHandler, LoyaltyRefundStep } from './context.js';
import { recordedSale, saleLines } from './sale-reads.js';
import { voucherCodeSchema } from './voucher-codes.js';
import { appliesToLine } from './voucher-rules.js';
import type { VoucherTerms } from './voucher-templates.js';

/** A sale's line as the award keeps it. */
export interface AwardLine {
  lineNo: number;
  sku: string;
  name: string | null;
  category: string;
  brand: string | null;
  quantityMilli: number;
  gross: number;
  discount: number;
  net: number;
  /** Returned so far, thousandths. */
  returnedMilli: number;
}

/** An award as stored. */
export type Award = RowOf<typeof awardsCollection>;

/** The context of a sale as stored with its award (JSON). */
export type ContextSnapshot = Omit<QuoteContext, 'at'> & { at: string; counters: Record<string, number> };

/** A sale's lines as an award keeps them, with what has been returned of each. */
export function awardLinesOf(rows: readonly RowOf<typeof purchaseLinesCollection>[]): AwardLine[] {
  return rows.map((l) => ({
    lineNo: l.lineNo,
    sku: l.sku,
    name: l.name,
    category: l.category,
    brand: l.brand,
    quantityMilli: l.quantityMilli,
    gross: l.amount + l.discount,
    discount: l.discount,
    net: l.amount,
    returnedMilli: l.returnedMilli,
  }));
}

/** Priced lines of what is left of a sale after its returns (all of it before any). */
export function remainingLines(lines: readonly AwardLine[]): PricedLine[] {
  return lines.map((l, index) => {
    const net = l.net - refundFor(l.net, l.quantityMilli, 0, l.returnedMilli);
    const gross = l.gross - refundFor(l.gross, l.quantityMilli, 0, l.returnedMilli);
    return {
      index,
      sku: l.sku,
      name: l.name,
      category: l.category,
      brand: l.brand,
      quantityMilli: l.quantityMilli - l.returnedMilli,
      gross,
      discount: Math.max(0, gross - net),
      net,
      base: net,
      scopedVouchers: 0,
      basketVouchers: 0,
    };
  });
}

/** A voucher that paid for a sale as its award keeps it: the amount and the positions of the lines it covers. */
export interface AwardVoucher {
  amount: number;
  /** Positions in the award's lines (null: the whole sale). */
  lines: number[] | null;
}

/**
 * The vouchers of a sale as the quote reads them, less what returns took back: a whole-sale voucher in
 * proportion to the refunds so far, a voucher scoped to lines in proportion to what its lines gave back.
 * An award written before vouchers were kept one by one has a single whole-sale amount.
 */
export function awardVouchers(
  award: Pick<Award, 'vouchers' | 'voucherScopes' | 'total'>,
  lines: readonly AwardLine[],
  refunded: number,
): number | PricedVoucher[] {
  const byRefund = (amount: number) =>
    amount - refundFor(amount, Math.max(1, award.total), 0, Math.min(refunded, award.total));
  const scopes = award.voucherScopes as AwardVoucher[] | null;
  if (!scopes) return byRefund(award.vouchers);
  return scopes.map((v) => {
    if (v.lines === null) return { amount: byRefund(v.amount), lines: null };
    let net = 0;
    let back = 0;
    for (const i of v.lines) {
      const l = lines[i];
      if (!l) continue;
      net += l.net;
      back += refundFor(l.net, l.quantityMilli, 0, l.returnedMilli);
    }
    return { amount: net > 0 ? v.amount - refundFor(v.amount, net, 0, back) : 0, lines: v.lines };
  });
}

/** What reversing part of a sale would do. */
export interface ReturnPlan {
  /** Points the sale should hold after the return. */
  target: number;
  /** Points to take back. */
  clawback: number;
  /** Points that paid for the returned goods, to give back. */
  restore: number;
  /** New counter values the sale accounts for. */
  counters: Record<string, number>;
  quote: Quote;
}

/**
 * Works out a return against an award (pure): `lines` already include the returned quantities and
 * `refunded` the refunds so far, this one included.
 */
export function planReturn(
  program: CompiledProgram,
  award: Award,
  lines: readonly AwardLine[],
  refunded: number,
): ReturnPlan {
  const snapshot = award.context as unknown as ContextSnapshot;
  const vouchers = awardVouchers(award, lines, refunded);
  const q = evaluateProgram(program, remainingLines(lines), vouchers, contextFacts(snapshot, ['award', 'context']));
  const target = Math.min(q.points, award.points);
  const counters: Record<string, number> = {};
  for (const use of q.counters) counters[use.key] = use.points;
  const restoreTarget =
    award.redeemed > 0 && award.total > 0
      ? refundFor(award.redeemed, award.total, 0, Math.min(refunded, award.total))
      : 0;
  return {
    target,
    clawback: award.points - target,
    restore: Math.max(0, restoreTarget - award.restored),
    counters,
    quote: q,
  };
}

/**
 * Builds the sale-earning handlers and registers them with the kernel. `voucherMethod` is the payment
 * method of the module's own vouchers, whose terms say which lines they cover.
 */
export function createSaleEarning(runtime: LoyaltyRuntime, holds: HoldService, voucherMethod: string) {
  const { kernel, ledger, tiers } = runtime;
  const cfg = runtime.program.config;

  /**
   * The lines a voucher payment covers (positions in the sale's lines), or null for the whole sale: a
   * voucher of the module scoped to categories covers the lines of those categories; any other voucher
   * payment (another system's coupon, a code the checkout will refuse) counts for the whole sale.
   */
  async function scopeOf(
    ctx: LoyaltyContext,
    pay: { method: string; reference: string | null },
    lines: readonly AwardLine[],
  ): Promise<number[] | null> {
    if (pay.method !== voucherMethod || !pay.reference) return null;
    const code = voucherCodeSchema.safeParse(pay.reference);
    if (!code.success) return null;
    const row = await ctx.tx.getBy(vouchersCollection, 'loyalty_vouchers_code', { code: code.data });
    if (!row) return null;
    const terms = row.terms as unknown as VoucherTerms;
    if (terms.categories === null && terms.excludeCategories.length === 0) return null;
    const covered: number[] = [];
    lines.forEach((l, i) => {
      if (appliesToLine(terms, l.category)) covered.push(i);
    });
    return covered.length ? covered : null;
  }

  /** Quotes with fresh counters and adds to them; quotes again if another sale took the room meanwhile. */
  async function quoteAndCount(
    ctx: LoyaltyContext,
    program: CompiledProgram,
    lines: () => PricedLine[],
    vouchers: number | readonly PricedVoucher[],
    context: QuoteContext,
  ): Promise<{ quote: Quote; counters: Record<string, number> }> {
    const q0 = evaluateProgram(program, lines(), vouchers, contextFacts({ ...context, counters: {} }));
    if (q0.counters.length === 0) return { quote: q0, counters: {} };
    const keys = q0.counters.map((c) => c.key);
    for (let attempt = 0; attempt < 3; attempt++) {
      const counters = await readCounters(ctx.tx, keys);
      const q = evaluateProgram(program, lines(), vouchers, contextFacts({ ...context, counters }));
      if (await applyCounters(ctx, q.counters)) return { quote: q, counters };
    }
    throw new ConflictError(
      'serialization',
      'caps and budgets changed while the sale was being committed; send the sale again',
    );
  }

  async function onRecorded(
    ctx: LoyaltyContext,
    e: { purchaseId: string; customerId: string | null; storeId: string; total: number; occurredAt: string },
  ): Promise<void> {
    const purchase = await recordedSale(ctx, e.purchaseId);
    if (!purchase) return;
    const ref = { type: 'purchase', id: purchase.id };

    // Points that pay for the sale: commit their holds in this transaction.
    let redeemed = 0;
    for (let i = 0; i < purchase.payments.length; i++) {
      const pay = purchase.payments[i]!;
      if (pay.method !== cfg.redemption.paymentMethod) continue;
      const path = ['payments', i, 'reference'];
      if (purchase.customerId === null)
        throw invalid(['payments', i], 'points_need_member', 'points can pay only for a member’s sale');
      if (!pay.reference)
        throw invalid(path, 'hold_required', `a ${pay.method} payment names the hold it spends as its reference`);
      redeemed += (
        await holds.commitInto(ctx, {
          holdId: pay.reference,
          customerId: purchase.customerId,
          value: pay.amount,
          ref,
          storeId: purchase.storeId,
          path,
        })
      ).points;
    }
    if (purchase.customerId === null) return;
    if (await ctx.tx.get(awardsCollection, purchase.id)) return;
    const customerId = purchase.customerId;
    await runtime.versions.ensureStored(ctx.tx, ctx.now, false);

    const lines = awardLinesOf(await saleLines(ctx.tx, purchase.id)).map((l) => ({ ...l, returnedMilli: 0 }));
    // Each voucher with the lines it covers, never more in all than the sale's total.
    const paidByVouchers: AwardVoucher[] = [];
    let vouchers = 0;
    for (const pay of purchase.payments) {
      if (!cfg.base.voucherMethods.includes(pay.method)) continue;
      const amount = Math.min(pay.amount, purchase.total - vouchers);
      vouchers += amount;
      paidByVouchers.push({ amount, lines: await scopeOf(ctx, pay, lines) });
    }
    const context = await memberContext(
      kernel,
      ctx.tx,
      {
        customerId,
        storeId: purchase.storeId,
        channel: purchase.channel as QuoteContext['channel'] & string,
        at: purchase.occurredAt,
        includesSale: true,
      },
      { startTier: runtime.startTier, timeZone: cfg.timeZone },
    );
    const { quote, counters } = await quoteAndCount(
      ctx,
      runtime.program,
      () => remainingLines(lines),
      paidByVouchers,
      context,
    );

    let lotId: string | null = null;
    let pending = false;
    if (quote.points > 0) {
      const timeZone = context.timeZone;
      const days = cfg.pending.days;
      pending = days > 0;
      const releaseAt = pending
        ? startOfLocalDate(addDaysToDate(localTime(purchase.occurredAt, timeZone).date, days + 1), timeZone)
        : null;
      const { entry, lot } = await ledger.credit(ctx, {
        customerId,
        kind: 'earn',
        points: quote.points,
        storeId: purchase.storeId,
        ref,
        expiry: expiryOf(cfg.expiry, purchase.occurredAt, timeZone),
        earnedAt: purchase.occurredAt,
        releaseAt,
        details: { receiptNo: purchase.receiptNo },
      });
      lotId = lot.id;
      await ctx.addTimeline({
        customerId,
        source: 'loyalty',
        kind: 'points-earned',
        facts: { points: quote.points, receiptNo: purchase.receiptNo, pendingDays: pending ? days : 0 },
        storeId: purchase.storeId,
        ref,
      });
      await ctx.emit(
        'points.earned',
        {
          customerId,
          entryId: entry.id,
          points: quote.points,
          pending,
          source: 'purchase',
          ref,
          storeId: purchase.storeId,
        },
        { customerId },
      );
    }
    const added: Record<string, number> = {};
    for (const use of quote.counters) added[use.key] = use.points;
    await ctx.tx.insert(awardsCollection, {
      purchaseId: purchase.id,
      customerId,
      storeId: purchase.storeId,
      occurredAt: purchase.occurredAt,
      programVersion: runtime.program.version,
      lines: lines as unknown as JsonValue,
      context: { ...context, at: purchase.occurredAt.toISOString(), counters } as unknown as JsonValue,
      total: purchase.total,
      vouchers,
      voucherScopes: paidByVouchers.length ? (paidByVouchers as unknown as JsonValue) : null,
      points: quote.points,
      earned: quote.points,
      counters: added,
      lotId,
      redeemed,
      restored: 0,
      refunded: 0,
      returns: [],
      status: 'active',
    });
    await tiers.record(ctx, customerId, purchase.occurredAt, quote.points, purchase.total);
    await tiers.upgrade(ctx, customerId);
  }

  /** The expiry of restored points: the latest of the lots their redemption took from (never, if any never expires). */
  async function restoreExpiry(
    ctx: LoyaltyContext,
    purchaseId: string,
  ): Promise<{ lastDay: string; expiresAt: Date } | null> {
    const redeems = (
      await ctx.tx.find(entriesCollection, {
        where: { refType: 'purchase', refId: purchaseId, kind: 'redeem' },
        limit: 100,
      })
    ).rows;
    let latest: Lot | null = null;
    for (const r of redeems) {
      for (const t of (r.details as { lots?: Array<{ lotId: string }> }).lots ?? []) {
        const lot = await ctx.tx.get(lotsCollection, t.lotId);
        if (!lot) continue;
        if (lot.expiresAt === null) return null;
        if (!latest || latest.expiresAt!.getTime() < lot.expiresAt.getTime()) latest = lot;
      }
    }
    return latest ? { lastDay: latest.lastDay!, expiresAt: latest.expiresAt! } : null;
  }

  /** Takes back what a return or void made unearned, gives back the points that paid for it. */
  async function reverse(
    ctx: LoyaltyContext,
    award: Award,
    lines: AwardLine[],
    refunded: number,
    returnId: string | null,
    refund: RefundCollector | null,
  ): Promise<void> {
    const program = await runtime.versions.get(ctx.tx, award.programVersion);
    const plan = planReturn(program, award, lines, refunded);
    const customerId = award.customerId;
    const ref = returnId ? { type: 'return', id: returnId } : { type: 'purchase', id: award.purchaseId };
    const base = { customerId, storeId: award.storeId, ref, details: { purchaseId: award.purchaseId } };
    let taken = 0;
    let shortfall = 0;
    let entryId: string | null = null;
    if (plan.clawback > 0) {
      let left = plan.clawback;
      const lot = award.lotId ? await ctx.tx.get(lotsCollection, award.lotId) : undefined;
      if (lot && lot.status === 'pending') {
        const r = await ledger.reducePending(ctx, { ...base, kind: 'clawback' as EntryKind, lot, points: left });
        if (r) {
          left -= r.points;
          taken += r.points;
          entryId = r.entry.id;
        }
      }
      if (left > 0) {
        // A void refunds the whole sale outside a return, with nothing to keep back: what was spent
        // stays owed as a negative balance whatever the program says.
        const mode = cfg.returns.shortfall === 'negative-balance' || returnId === null ? 'force' : 'available';
        const r = await ledger.debit(ctx, { ...base, kind: 'clawback', points: left, mode, preferLot: award.lotId });
        taken += r.points;
        shortfall = r.shortfall;
        entryId = r.entry?.id ?? entryId;
      }
    }
    for (const [key, was] of Object.entries(award.counters))
      await adjustCounter(ctx, key, (plan.counters[key] ?? 0) - was, isMemberCounter(key) ? customerId : null);
    let restoredEntry: string | null = null;
    if (plan.restore > 0) {
      const { entry } = await ledger.credit(ctx, {
        ...base,
        kind: 'restore',
        points: plan.restore,
        expiry: await restoreExpiry(ctx, award.purchaseId),
      });
      restoredEntry = entry.id;
      refund?.settle({
        via: 'points',
        method: cfg.redemption.paymentMethod,
        reference: null,
        amount: valueOfPoints(plan.restore, cfg.pointValue),
        points: plan.restore,
      });
    }
    await tiers.record(ctx, customerId, award.occurredAt, -plan.clawback, -(refunded - award.refunded));
    await ctx.tx.update(awardsCollection, award.purchaseId, {
      lines: lines as unknown as JsonValue,
      points: plan.target,
      counters: plan.counters,
      restored: award.restored + plan.restore,
      refunded,
      returns: returnId ? [...award.returns, returnId] : award.returns,
      status: returnId ? award.status : 'voided',
    });
    if (plan.clawback > 0) {
      const refundDeduction = shortfall > 0 ? valueOfPoints(shortfall, cfg.pointValue) : 0;
      if (refundDeduction > 0)
        refund?.deduct({
          source: 'loyalty.points',
          amount: refundDeduction,
          reason: `${pointsText(shortfall)} the returned goods earned were already spent`,
          facts: { points: shortfall },
        });
      await ctx.addTimeline({
        customerId,
        source: 'loyalty',
        kind: 'points-clawed-back',
        facts: {
          points: plan.clawback,
          returnId,
          shortfall,
          deducted: refundDeduction,
          currency: kernel.currency,
        },
        storeId: award.storeId,
        ref,
      });
      await ctx.emit(
        'points.clawed-back',
        { customerId, entryId, points: taken, purchaseId: award.purchaseId, returnId, shortfall, refundDeduction },
        { customerId },
      );
    }
    if (restoredEntry) {
      await ctx.emit(
        'points.restored',
        { customerId, entryId: restoredEntry, points: plan.restore, purchaseId: award.purchaseId, returnId },
        { customerId },
      );
    }
  }

  async function onReturned(
    ctx: LoyaltyContext,
    e: CoreEvents['purchase.returned'],
    refund: RefundCollector,
  ): Promise<void> {
    const award = await ctx.tx.get(awardsCollection, e.purchaseId);
    if (award?.status !== 'active' || award.returns.includes(e.returnId)) return;
    const lines = (award.lines as unknown as AwardLine[]).map((l) => ({ ...l }));
    for (const r of e.lines) {
      const line = lines.find((l) => l.lineNo === r.lineNo);
      // Never more than was bought, whatever the event says.
      if (line) line.returnedMilli = Math.min(line.quantityMilli, line.returnedMilli + Math.round(r.quantity * 1000));
    }
    await reverse(ctx, award, lines, Math.min(award.total, award.refunded + e.amount), e.returnId, refund);
  }

  async function onVoided(ctx: LoyaltyContext, e: { purchaseId: string }): Promise<void> {
    const award = await ctx.tx.get(awardsCollection, e.purchaseId);
    if (award?.status !== 'active') return;
    const lines = (award.lines as unknown as AwardLine[]).map((l) => ({ ...l, returnedMilli: l.quantityMilli }));
    await reverse(ctx, award, lines, award.total, null, null);
  }

  const handlers: LoyaltyHandler[] = [{ event: 'purchase.recorded', run: onRecorded }];
  const refunds: LoyaltyRefundStep[] = [{ order: REFUND_ORDER.points, onReturn: onReturned, onVoid: onVoided }];
  return { planReturn, quoteAndCount, handlers, refunds };
}
