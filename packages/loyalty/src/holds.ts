/**
 * Holds: points reserved at a till between showing the total and taking payment, so two terminals
 * cannot both spend them. Reserving lowers the spendable balance with a guarded increment (refused
 * with `INSUFFICIENT_BALANCE` when it would go below zero, also under racing terminals); the hold is
 * then committed by the sale that pays with it (a payment whose method is the program's
 * `redemption.paymentMethod` and whose reference is the hold id), cancelled, or expired by `runDue`.
 */
import { mustGet, InvalidStateError, codeSchema, idSchema, invalid, type RowOf } from '@clientele/core/module';
import * as z from 'zod';
import { addMinutes } from 'date-fns';
import { holdsCollection } from './collections.js';
import { activeMember, storeTimeZone } from './member-context.js';
import { valueOfPoints } from './points-math.js';
import type { LoyaltyRuntime } from './runtime.js';
import type { LoyaltyContext } from './context.js';

/** A hold as stored. */
export type Hold = RowOf<typeof holdsCollection>;

/** Input of `reserve`. */
export const reserveSchema = z
  .object({
    customerId: idSchema,
    points: z.number().int('points are whole').positive('points are positive').max(Number.MAX_SAFE_INTEGER),
    storeId: codeSchema,
    terminalId: codeSchema,
    /** Minutes the hold lasts (default and maximum: the program's `redemption.holdMinutes`). */
    minutes: z
      .number()
      .int()
      .positive()
      .max(24 * 60)
      .optional(),
  })
  .strict();

/** Input of `loyalty.reserve`. */
export type ReserveInput = z.input<typeof reserveSchema>;

const cancelHoldSchema = z.object({ holdId: idSchema }).strict();
/** Input of `loyalty.cancelHold`. */
export type CancelHoldInput = z.input<typeof cancelHoldSchema>;

const commitHoldSchema = z
  .object({
    holdId: idSchema,
    /** What the points paid for, when not a sale recorded through `purchases.record` (an e-shop order). */
    ref: z.object({ type: codeSchema, id: idSchema }).strict(),
  })
  .strict();
/** Input of `loyalty.commitHold`. */
export type CommitHoldInput = z.input<typeof commitHoldSchema>;

/** A hold spent by `loyalty.commitHold`. */
export interface CommittedHold {
  holdId: string;
  /** The ledger entry of the redemption. */
  entryId: string;
  points: number;
}

/** Builds the hold service. */
export function createHolds(runtime: LoyaltyRuntime) {
  const { kernel, ledger } = runtime;
  const cfg = runtime.program.config;

  const reserve = kernel.command({
    name: 'loyalty.reserve',
    input: reserveSchema,
    permission: 'sales.record',
    idempotency: 'required',
    async run(ctx, input) {
      await storeTimeZone(ctx.tx, input.storeId);
      await activeMember(ctx.tx, input.customerId);
      if (input.points < cfg.redemption.minPoints)
        throw invalid(['points'], 'below_minimum', `a redemption takes at least ${cfg.redemption.minPoints} points`);
      if (input.minutes !== undefined && input.minutes > cfg.redemption.holdMinutes)
        throw invalid(['minutes'], 'too_long', `holds last at most ${cfg.redemption.holdMinutes} minutes`);
      await ledger.hold(ctx, input.customerId, -input.points);
      const hold = await ctx.tx.insert(holdsCollection, {
        id: ctx.id('lph'),
        customerId: input.customerId,
        points: input.points,
        value: valueOfPoints(input.points, cfg.pointValue),
        status: 'active',
        storeId: input.storeId,
        terminalId: input.terminalId,
        createdAt: ctx.now,
        expiresAt: addMinutes(ctx.now, input.minutes ?? cfg.redemption.holdMinutes),
        closedAt: null,
        purchaseId: null,
        entryId: null,
      });
      ctx.audit(
        { type: 'points-hold', id: hold.id, customerId: hold.customerId },
        { points: hold.points, storeId: hold.storeId, terminalId: hold.terminalId },
      );
      await ctx.emit(
        'points.held',
        { holdId: hold.id, customerId: hold.customerId, points: hold.points, expiresAt: hold.expiresAt.toISOString() },
        { customerId: hold.customerId },
      );
      return hold;
    },
  });

  /** Ends an active hold without spending it. */
  async function release(
    ctx: LoyaltyContext,
    hold: Hold,
    reason: 'cancelled' | 'expired',
    at: Date = ctx.now,
  ): Promise<Hold | null> {
    const when = reason === 'expired' ? { status: 'active', expiresAt: { lte: at } } : { status: 'active' };
    const closed = await ctx.tx.consume(holdsCollection, hold.id, when, { status: reason, closedAt: ctx.now });
    if (!closed) return null;
    await ledger.hold(ctx, hold.customerId, hold.points);
    await ctx.emit(
      'points.hold-released',
      { holdId: hold.id, customerId: hold.customerId, points: hold.points, reason },
      { customerId: hold.customerId },
    );
    return closed;
  }

  const cancel = kernel.command({
    name: 'loyalty.cancel-hold',
    input: cancelHoldSchema,
    permission: 'sales.record',
    idempotency: 'optional',
    async run(ctx, input) {
      const hold = await mustGet(ctx.tx, holdsCollection, input.holdId, 'hold', { path: ['holdId'] });
      if (hold.status === 'cancelled' || hold.status === 'expired') return hold;
      const closed = await release(ctx, hold, 'cancelled');
      if (!closed)
        throw new InvalidStateError(`hold ${hold.id} is ${hold.status}`, { path: ['holdId'], status: hold.status });
      ctx.audit({ type: 'points-hold', id: hold.id, customerId: hold.customerId }, { points: hold.points });
      return closed;
    },
  });

  /**
   * Spends a hold in the caller's transaction: checks it belongs to the member, is active, not past
   * its time, and (when `value` is given) is worth exactly what the sale's points payment says.
   */
  async function commitInto(
    ctx: LoyaltyContext,
    input: {
      holdId: string;
      customerId: string | null;
      value?: number;
      ref: { type: string; id: string };
      storeId: string | null;
      path: Array<string | number>;
    },
  ): Promise<{ hold: Hold; entryId: string; points: number }> {
    const hold = await mustGet(ctx.tx, holdsCollection, input.holdId, 'points hold', { path: input.path });
    if (input.customerId !== null && hold.customerId !== input.customerId)
      throw invalid(input.path, 'hold_of_another_customer', `hold ${hold.id} belongs to another customer`);
    if (input.value !== undefined && hold.value !== input.value)
      throw invalid(
        input.path,
        'points_value_mismatch',
        `hold ${hold.id} is worth ${hold.value}, the payment says ${input.value}`,
      );
    const taken = await ctx.tx.consume(
      holdsCollection,
      hold.id,
      { status: 'active', expiresAt: { gt: ctx.now } },
      { status: 'committed', closedAt: ctx.now, purchaseId: input.ref.type === 'purchase' ? input.ref.id : null },
    );
    if (!taken) {
      const why = hold.status === 'active' ? 'expired' : hold.status;
      throw new InvalidStateError(`points hold ${hold.id} is ${why}`, { path: input.path, status: why });
    }
    const { entry } = await ledger.debit(ctx, {
      customerId: hold.customerId,
      kind: 'redeem',
      points: hold.points,
      mode: 'held',
      storeId: input.storeId ?? hold.storeId,
      ref: input.ref,
      details: { holdId: hold.id },
    });
    await ctx.tx.update(holdsCollection, hold.id, { entryId: entry!.id });
    await ctx.emit(
      'points.redeemed',
      { customerId: hold.customerId, entryId: entry!.id, points: hold.points, value: hold.value, ref: input.ref },
      { customerId: hold.customerId },
    );
    return { hold: taken, entryId: entry!.id, points: hold.points };
  }

  const commit = kernel.command({
    name: 'loyalty.commit-hold',
    input: commitHoldSchema,
    permission: 'sales.record',
    idempotency: 'required',
    async run(ctx, input): Promise<CommittedHold> {
      const out = await commitInto(ctx, {
        holdId: input.holdId,
        customerId: null,
        ref: input.ref,
        storeId: null,
        path: ['holdId'],
      });
      ctx.audit(
        { type: 'points-hold', id: input.holdId, customerId: out.hold.customerId },
        { points: out.points, entryId: out.entryId },
      );
      return { holdId: input.holdId, entryId: out.entryId, points: out.points };
    },
  });

  /** Expires the holds whose time has passed; returns how many. */
  async function expireDue(ctx: LoyaltyContext, ids: readonly string[], at: Date): Promise<number> {
    let n = 0;
    for (const id of ids) {
      const hold = await ctx.tx.get(holdsCollection, id);
      if (hold && (await release(ctx, hold, 'expired', at))) n++;
    }
    return n;
  }

  return { reserve, cancel, commit, commitInto, expireDue };
}

/** The hold service. */
export type HoldService = ReturnType<typeof createHolds>;
