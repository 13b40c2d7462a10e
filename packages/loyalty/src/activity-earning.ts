/**
 * Earning outside purchases: the program's activities (registration, birthday, review, referral,
 * retailer-defined events), each limited per period. Registration earns by itself when core
 * registers a member, in that same transaction.
 */
import {
  InvalidStateError,
  codeSchema,
  idSchema,
  invalid,
  jsonObjectSchema,
  parseInput,
  type JsonValue,
} from '@clientele/core/module';
import * as z from 'zod';
import { limitOf, payloadSchemaOf } from './activities.js';
import type { BasketTest } from './conditions.js';
import { takeUse } from './counters.js';
import { expiryOf } from './expiry.js';
import { localTime, periodKey } from './local-time.js';
import { activeMember, memberContext, storeTimeZone } from './member-context.js';
import type { ActivityConfig } from './program.js';
import { contextFacts } from './quote-context.js';
import type { LoyaltyRuntime } from './runtime.js';
import type { LoyaltyContext, LoyaltyHandler } from './context.js';

/** Input of `recordActivity`. */
export const recordActivitySchema = z
  .object({
    customerId: idSchema,
    /** The activity's code in the program. */
    activity: codeSchema,
    /** The fields the activity declares (plain JSON, at most 32 levels and 64 KiB, then checked against them). */
    payload: jsonObjectSchema().optional(),
    /** Where it happened (default: the member's home store, else the chain). */
    storeId: codeSchema.optional(),
    /** What it was about (a review id, a campaign). */
    ref: z.object({ type: codeSchema, id: idSchema }).strict().optional(),
  })
  .strict();

/** Input of `loyalty.recordActivity`. */
export type RecordActivityInput = z.input<typeof recordActivitySchema>;

/** What `recordActivity` returns. */
export interface ActivityResult {
  activity: string;
  customerId: string;
  points: number;
  entryId: string;
  /** Referral only: what the referrer earned (null when the referrer's limit was reached or none is configured). */
  referrer: { customerId: string; points: number; entryId: string } | null;
}

/** Builds the activity-earning service. */
export function createActivityEarning(runtime: LoyaltyRuntime) {
  const { kernel, ledger, tiers } = runtime;
  const cfg = runtime.program.config;
  const byCode = new Map<string, { config: ActivityConfig; tests: BasketTest[] }>();
  for (const a of cfg.activities) {
    const tests: BasketTest[] = [];
    for (const [code, args] of Object.entries(a.when ?? {}))
      if (args !== undefined)
        tests.push(
          runtime.program.registry.conditions.get(code)!.compile(args, { money: runtime.program.money }) as BasketTest,
        );
    byCode.set(a.code, { config: a, tests });
  }

  async function earn(
    ctx: LoyaltyContext,
    a: ActivityConfig,
    customerId: string,
    points: number,
    storeId: string | null,
    timeZone: string,
    ref: { type: string; id: string } | null,
    details: Record<string, JsonValue>,
  ) {
    const { entry } = await ledger.credit(ctx, {
      customerId,
      kind: 'earn',
      points,
      storeId,
      ref,
      expiry: expiryOf(cfg.expiry, ctx.now, timeZone),
      details: { activity: a.code, ...details },
    });
    await tiers.record(ctx, customerId, ctx.now, points, 0);
    await tiers.upgrade(ctx, customerId);
    await ctx.addTimeline({
      customerId,
      source: 'loyalty',
      kind: 'points-earned',
      facts: { points, activity: a.name ?? a.code },
      storeId,
      ref,
    });
    await ctx.emit(
      'points.earned',
      { customerId, entryId: entry.id, points, pending: false, source: 'activity', ref, storeId },
      { customerId },
    );
    return entry;
  }

  const limitReached = (a: ActivityConfig, who: string) => {
    const l = limitOf(a)!;
    const times = l.count === 1 ? 'once' : `${l.count} times`;
    const when = l.period === 'lifetime' ? '' : `this ${l.period} `;
    return new InvalidStateError(`${a.code} already earned ${times} ${when}for ${who}`.replace(/ +/g, ' ').trim(), {
      path: ['activity'],
      limit: l,
    });
  };

  const recordActivity = kernel.command({
    name: 'loyalty.record-activity',
    input: recordActivitySchema,
    permission: 'loyalty.activity',
    idempotency: 'required',
    async run(ctx, input): Promise<ActivityResult> {
      const found = byCode.get(input.activity);
      if (!found) throw invalid(['activity'], 'unknown_activity', `the program has no activity ${input.activity}`);
      const a = found.config;
      if (a.type === 'registration')
        throw invalid(['activity'], 'automatic', 'registration points are earned when the member registers');
      const payload = parseInput(payloadSchemaOf(a), input.payload ?? {}, ['payload']);
      const member = await activeMember(ctx.tx, input.customerId);
      const storeId = input.storeId ?? member.homeStoreId ?? null;
      const timeZone = storeId
        ? await storeTimeZone(ctx.tx, storeId, input.storeId ? ['storeId'] : ['customerId'])
        : cfg.timeZone;
      const local = localTime(ctx.now, timeZone);
      if (found.tests.length) {
        const facts = contextFacts(
          await memberContext(
            kernel,
            ctx.tx,
            { customerId: member.id, storeId, at: ctx.now, includesSale: false },
            { startTier: runtime.startTier, timeZone: cfg.timeZone },
          ),
        );
        for (const t of found.tests)
          if (!t.test(facts))
            throw new InvalidStateError(`${a.code} does not apply: ${t.reason(facts)}`, { path: ['activity'] });
      }
      if (a.type === 'birthday') {
        const birthDate =
          member.kind === 'individual' && typeof member.profile['birthDate'] === 'string'
            ? (member.profile['birthDate'] as string)
            : null;
        if (!birthDate) throw new InvalidStateError('the member has no birth date on file', { path: ['customerId'] });
        if (Number(birthDate.slice(5, 7)) !== local.month)
          throw new InvalidStateError(`birthday points are earned in the birth month (${birthDate.slice(5, 7)})`, {
            path: ['activity'],
          });
      }
      const limit = limitOf(a);
      let referrer: ActivityResult['referrer'] = null;
      const ref = input.ref ?? null;
      if (a.type === 'referral') {
        const referrerId = String(payload['referrerId']);
        if (referrerId === member.id)
          throw invalid(['payload', 'referrerId'], 'self_referral', 'a member cannot refer themselves');
        await activeMember(ctx.tx, referrerId, ['payload', 'referrerId']);
        // The new member is rewarded once; the referrer as often as the limit allows.
        if (!(await takeUse(ctx, `activity:${a.code}:referee:${member.id}`, 1, member.id)))
          throw limitReached({ ...a, limit: { count: 1, period: 'lifetime' } }, member.id);
        if (a.referrerPoints) {
          const counted = limit
            ? await takeUse(
                ctx,
                `activity:${a.code}:${referrerId}:${periodKey(limit.period, local)}`,
                limit.count,
                referrerId,
              )
            : true;
          if (counted) {
            const entry = await earn(
              ctx,
              a,
              referrerId,
              a.referrerPoints,
              storeId,
              timeZone,
              { type: 'referral', id: member.id },
              { referred: member.id },
            );
            referrer = { customerId: referrerId, points: a.referrerPoints, entryId: entry.id };
          }
        }
      } else if (
        limit &&
        !(await takeUse(
          ctx,
          `activity:${a.code}:${member.id}:${periodKey(limit.period, local)}`,
          limit.count,
          member.id,
        ))
      ) {
        throw limitReached(a, member.id);
      }
      const entry = await earn(
        ctx,
        a,
        member.id,
        a.points,
        storeId,
        timeZone,
        ref,
        a.type === 'referral' ? { referrerId: String(payload['referrerId']) } : {},
      );
      ctx.audit({ type: 'customer', id: member.id, customerId: member.id }, { activity: a.code, points: a.points });
      return { activity: a.code, customerId: member.id, points: a.points, entryId: entry.id, referrer };
    },
  });

  const handlers: LoyaltyHandler[] = [];
  const registration = cfg.activities.find((a) => a.type === 'registration');
  if (registration) {
    handlers.push({
      event: 'customer.registered',
      run: async (ctx, e) => {
        if (e.kind !== 'individual') return;
        if (!(await takeUse(ctx, `activity:${registration.code}:${e.customerId}:all`, 1, e.customerId))) return;
        const timeZone = e.homeStoreId
          ? await storeTimeZone(ctx.tx, e.homeStoreId).catch(() => cfg.timeZone)
          : cfg.timeZone;
        await earn(
          ctx,
          registration,
          e.customerId,
          registration.points,
          e.homeStoreId,
          timeZone,
          { type: 'customer', id: e.customerId },
          { activity: registration.code },
        );
      },
    });
  }

  return { recordActivity, handlers };
}
