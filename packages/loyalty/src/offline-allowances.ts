/**
 * Offline allowances: points a member's card may spend at one terminal while that terminal cannot
 * reach central. Central reserves them up front, as a hold of this terminal that lasts longer than a
 * till's hold, so two tills offline at once can never together spend more than the member has: what
 * one terminal holds, no other can reserve. An allowance is a hold (id prefix `lpa`), so everything
 * that ends holds ends allowances too: `cancelHold` gives the rest back, `runDue` expires it, a
 * customer merge releases it. The till spends from it by drawing a hold of the points one sale paid
 * with, which that sale then commits as it would any hold.
 */
import { InvalidStateError, codeSchema, idSchema, invalid, mustGet } from '@clientele/core/module';
import { addMinutes } from 'date-fns';
import * as z from 'zod';
import { allowanceMinutesSchema } from './allowance-minutes.js';
import { holdsCollection } from './collections.js';
import type { Hold } from './holds.js';
import { activeMember, storeTimeZone } from './member-context.js';
import { valueOfPoints } from './points-math.js';
import type { LoyaltyRuntime } from './runtime.js';

/** The id prefix of holds that are offline allowances. */
export const ALLOWANCE_PREFIX = 'lpa';

/** Input of `loyalty.allowances.grant`. */
export const grantAllowanceSchema = z
  .object({
    customerId: idSchema,
    points: z.number().int('points are whole').positive('points are positive').max(Number.MAX_SAFE_INTEGER),
    storeId: codeSchema,
    /** The terminal that may spend the points offline, and only it. */
    terminalId: codeSchema,
    /** Minutes the allowance lasts (default a day, at most a week); afterwards its points come back. */
    minutes: allowanceMinutesSchema,
  })
  .strict();
/** Input of `loyalty.allowances.grant`. */
export type GrantAllowanceInput = z.input<typeof grantAllowanceSchema>;

/** Input of `loyalty.allowances.draw`. */
export const drawAllowanceSchema = z
  .object({
    allowanceId: idSchema,
    /** Points one sale spent offline: they become a hold of their own, which the sale commits. */
    points: z.number().int('points are whole').positive('points are positive').max(Number.MAX_SAFE_INTEGER),
    /** The terminal drawing: it must be the one the allowance was granted to. */
    terminalId: codeSchema,
  })
  .strict();
/** Input of `loyalty.allowances.draw`. */
export type DrawAllowanceInput = z.input<typeof drawAllowanceSchema>;

/** Whether a hold is an offline allowance. */
export const isAllowance = (hold: Pick<Hold, 'id'>): boolean => hold.id.startsWith(`${ALLOWANCE_PREFIX}_`);

/** Builds the allowance commands. */
export function createOfflineAllowances(runtime: LoyaltyRuntime) {
  const { kernel, ledger } = runtime;
  const cfg = runtime.program.config;

  const grant = kernel.command({
    name: 'loyalty.allowances.grant',
    input: grantAllowanceSchema,
    permission: 'sales.record',
    idempotency: 'required',
    async run(ctx, input): Promise<Hold> {
      await storeTimeZone(ctx.tx, input.storeId);
      await activeMember(ctx.tx, input.customerId);
      // The same guarded increment as a till's hold: refused when the points are not spendable.
      await ledger.hold(ctx, input.customerId, -input.points);
      const hold = await ctx.tx.insert(holdsCollection, {
        id: ctx.id(ALLOWANCE_PREFIX),
        customerId: input.customerId,
        points: input.points,
        value: valueOfPoints(input.points, cfg.pointValue),
        status: 'active',
        storeId: input.storeId,
        terminalId: input.terminalId,
        createdAt: ctx.now,
        expiresAt: addMinutes(ctx.now, input.minutes),
        closedAt: null,
        purchaseId: null,
        entryId: null,
      });
      ctx.audit(
        { type: 'points-hold', id: hold.id, customerId: hold.customerId },
        { points: hold.points, storeId: hold.storeId, terminalId: hold.terminalId, offlineAllowance: true },
      );
      await ctx.emit(
        'points.held',
        { holdId: hold.id, customerId: hold.customerId, points: hold.points, expiresAt: hold.expiresAt.toISOString() },
        { customerId: hold.customerId },
      );
      return hold;
    },
  });

  const draw = kernel.command({
    name: 'loyalty.allowances.draw',
    input: drawAllowanceSchema,
    permission: 'sales.record',
    idempotency: 'required',
    async run(ctx, input): Promise<Hold> {
      const path = ['allowanceId'];
      const parent = await mustGet(ctx.tx, holdsCollection, input.allowanceId, 'offline allowance', { path });
      if (!isAllowance(parent))
        throw invalid(path, 'not_an_allowance', `hold ${parent.id} is not an offline allowance`);
      if (parent.terminalId !== input.terminalId)
        throw invalid(['terminalId'], 'allowance_elsewhere', `allowance ${parent.id} belongs to another terminal`);
      const why = parent.status !== 'active' ? parent.status : parent.expiresAt <= ctx.now ? 'expired' : null;
      if (why) throw new InvalidStateError(`offline allowance ${parent.id} is ${why}`, { path, status: why });
      if (parent.points < input.points)
        throw invalid(
          ['points'],
          'exceeds_allowance',
          `allowance ${parent.id} has ${parent.points} points left, the sale spent ${input.points}`,
        );
      const rest = parent.points - input.points;
      // Only if the allowance still holds what was read: a draw racing another sees its result and decides again.
      const taken = await ctx.tx.consume(
        holdsCollection,
        parent.id,
        { status: 'active', points: parent.points, expiresAt: { gt: ctx.now } },
        { points: rest, value: valueOfPoints(rest, cfg.pointValue) },
      );
      if (!taken) throw new InvalidStateError(`offline allowance ${parent.id} changed meanwhile`, { path });
      // The points stay held: they move from the allowance to a hold the sale commits.
      const hold = await ctx.tx.insert(holdsCollection, {
        id: ctx.id('lph'),
        customerId: parent.customerId,
        points: input.points,
        value: valueOfPoints(input.points, cfg.pointValue),
        status: 'active',
        storeId: parent.storeId,
        terminalId: parent.terminalId,
        createdAt: ctx.now,
        expiresAt: addMinutes(ctx.now, cfg.redemption.holdMinutes),
        closedAt: null,
        purchaseId: null,
        entryId: null,
      });
      ctx.audit(
        { type: 'points-hold', id: hold.id, customerId: hold.customerId },
        { points: hold.points, allowanceId: parent.id, allowanceLeft: rest },
      );
      return hold;
    },
  });

  return { grant, draw };
}

/** `crm.loyalty.allowances`: offline allowances of points per card and terminal. */
export interface AllowancesApi {
  /**
   * Reserves points a terminal may spend for this member while offline (refused with
   * `INSUFFICIENT_BALANCE` when they are not spendable). Give the rest back with `cancelHold`.
   */
  grant: ReturnType<typeof createOfflineAllowances>['grant'];
  /** Moves the points one offline sale spent from the allowance to a hold of their own, for the sale to commit. */
  draw: ReturnType<typeof createOfflineAllowances>['draw'];
}
