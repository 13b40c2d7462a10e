/**
 * Work that falls due with time, run by the host's scheduler through `crm.runDue(now)`: holds and
 * reward claims past their time are released, pending points whose return window passed become available, lots past
 * their expiry expire, members are warned before points expire, tiers are reviewed, held vouchers are
 * released and vouchers past their validity expire, card authorisations past their time are released
 * and cards past their expiry expire. Nothing waits
 * in memory; every due time is stored. Each batch is one audited command (one transaction).
 */
import * as z from 'zod';
import type { JsonValue } from '@clientele/core/module';
import {
  accountsCollection,
  holdsCollection,
  lotsCollection,
  rewardClaimsCollection,
  storedValueCardsCollection,
  storedValuePaymentsCollection,
  vouchersCollection,
} from './collections.js';
import type { HoldService } from './holds.js';
import type { RewardService } from './reward-service.js';
import type { StoredValueService } from './stored-value-service.js';
import type { VoucherService } from './voucher-service.js';
import { addDaysToDate, localTime, startOfLocalDate } from './local-time.js';
import type { LoyaltyRuntime } from './runtime.js';
import type { LoyaltyContext } from './context.js';

const BATCH = 200;
const SYSTEM = { actor: { system: 'loyalty-scheduler' } } as const;
const ids = z.object({ ids: z.array(z.string().min(1).max(80)).min(1).max(BATCH), at: z.date() }).strict();

/** Builds the due-work runner. */
export function createDueWork(
  runtime: LoyaltyRuntime,
  holds: HoldService,
  money: { vouchers: VoucherService; storedValue: StoredValueService; rewards: RewardService },
) {
  const { kernel, ledger, tiers } = runtime;
  const cfg = runtime.program.config;
  const store = kernel.store;

  /**
   * A batch of one kind of due work: the ids a due query found, done in one transaction, audited as
   * `target` with what the work reports.
   */
  function batchCommand<O>(
    name: string,
    target: string,
    work: (ctx: LoyaltyContext, input: z.output<typeof ids>) => Promise<O>,
    details: (out: O) => Record<string, JsonValue>,
  ) {
    return kernel.command({
      name,
      input: ids,
      permission: 'loyalty.run-due',
      idempotency: 'optional',
      async run(ctx, input) {
        const out = await work(ctx, input);
        ctx.audit({ type: target, id: `${input.ids.length}` }, details(out));
        return out;
      },
    });
  }

  const expireHolds = batchCommand(
    'loyalty.expire-holds',
    'points-holds',
    (ctx, input) => holds.expireDue(ctx, input.ids, input.at),
    (n) => ({ expired: n }),
  );

  const expireClaims = batchCommand(
    'loyalty.expire-reward-claims',
    'reward-claims',
    (ctx, input) => money.rewards.expireDue(ctx, input.ids, input.at),
    (n) => ({ expired: n }),
  );

  const releasePending = batchCommand(
    'loyalty.release-pending',
    'points-lots',
    async (ctx, input) => {
      let points = 0;
      for (const id of input.ids) {
        const lot = await ctx.tx.get(lotsCollection, id);
        if (lot?.status !== 'pending' || lot.releaseAt === null || lot.releaseAt.getTime() > input.at.getTime())
          continue;
        const r = await ledger.release(ctx, lot);
        if (!r) continue;
        points += r.points;
        await ctx.emit(
          'points.released',
          { customerId: lot.customerId, entryId: r.entry.id, points: r.points, lotId: lot.id },
          { customerId: lot.customerId },
        );
      }
      return points;
    },
    (points) => ({ released: points }),
  );

  const expireLots = batchCommand(
    'loyalty.expire-points',
    'points-lots',
    async (ctx, input) => {
      let points = 0;
      for (const id of input.ids) {
        const lot = await ctx.tx.get(lotsCollection, id);
        if (
          lot?.status !== 'available' ||
          lot.expiresAt === null ||
          lot.expiresAt.getTime() > input.at.getTime() ||
          lot.remaining <= 0
        )
          continue;
        // Points a hold has reserved stay until the hold ends (`available` takes only what is spendable).
        const r = await ledger.debit(ctx, {
          customerId: lot.customerId,
          kind: 'expire',
          points: lot.remaining,
          mode: 'available',
          onlyLot: lot.id,
          storeId: lot.storeId,
          ref: { type: 'lot', id: lot.id },
          details: { lastDay: lot.lastDay },
        });
        if (!r.entry) continue;
        points += r.points;
        await ctx.addTimeline({
          customerId: lot.customerId,
          source: 'loyalty',
          kind: 'points-expired',
          facts: { points: r.points, lastDay: lot.lastDay },
          storeId: lot.storeId,
          ref: { type: 'points-entry', id: r.entry.id },
        });
        await ctx.emit(
          'points.expired',
          { customerId: lot.customerId, entryId: r.entry.id, points: r.points, lotId: lot.id },
          { customerId: lot.customerId },
        );
      }
      return points;
    },
    (points) => ({ expired: points }),
  );

  const warn = batchCommand(
    'loyalty.warn-expiry',
    'points-lots',
    async (ctx, input) => {
      const byMember = new Map<string, Map<string, { points: number; expiresAt: Date }>>();
      for (const id of input.ids) {
        const lot = await ctx.tx.consume(
          lotsCollection,
          id,
          { status: 'available', warnedAt: { isNull: true } },
          { warnedAt: ctx.now },
        );
        if (!lot || lot.lastDay === null || lot.expiresAt === null || lot.remaining <= 0) continue;
        const days = byMember.get(lot.customerId) ?? new Map();
        const slot = days.get(lot.lastDay) ?? { points: 0, expiresAt: lot.expiresAt };
        slot.points += lot.remaining;
        days.set(lot.lastDay, slot);
        byMember.set(lot.customerId, days);
      }
      let warned = 0;
      for (const [customerId, days] of byMember) {
        for (const [lastDay, slot] of days) {
          warned++;
          await ctx.emit(
            'points.expiring',
            { customerId, points: slot.points, lastDay, expiresAt: slot.expiresAt.toISOString() },
            { customerId },
          );
        }
      }
      return warned;
    },
    (warned) => ({ warnings: warned }),
  );

  const reviewTiers = batchCommand(
    'loyalty.review-tiers',
    'loyalty-accounts',
    async (ctx, input) => {
      let moved = 0;
      for (const id of input.ids) if (await tiers.review(ctx, id, input.at)) moved++;
      return moved;
    },
    (moved) => ({ moved }),
  );

  const expireVouchers = batchCommand(
    'loyalty.vouchers.expire',
    'vouchers',
    (ctx, input) => money.vouchers.expireDue(ctx, input.ids, input.at),
    (done) => done,
  );

  const expireCardWork = kernel.command({
    name: 'loyalty.stored-value.expire',
    input: z
      .object({
        payments: z.array(z.string().min(1).max(80)).max(BATCH),
        cards: z.array(z.string().min(1).max(80)).max(BATCH),
        at: z.date(),
      })
      .strict(),
    permission: 'loyalty.run-due',
    idempotency: 'optional',
    async run(ctx, input) {
      const done = await money.storedValue.expireDue(ctx, input.payments, input.cards, input.at);
      ctx.audit({ type: 'stored-value', id: `${input.payments.length + input.cards.length}` }, done);
      return done;
    },
  });

  /** Runs over every row matching a due query once, in batches; each batch is one command. */
  async function inBatches(
    find: (after: string | null) => Promise<{ rows: string[]; next: string | null }>,
    run: (ids: string[]) => Promise<number>,
  ): Promise<{ rows: number; total: number }> {
    let after: string | null = null;
    let rows = 0;
    let total = 0;
    do {
      const page = await find(after);
      if (page.rows.length) {
        rows += page.rows.length;
        total += await run(page.rows);
      }
      after = page.next;
    } while (after);
    return { rows, total };
  }

  /** Everything due at `now`. Returns counts by kind of work. */
  async function runDue(now: Date): Promise<Record<string, number>> {
    const holdsExpired = await inBatches(
      async (after) => {
        const p = await store.find(holdsCollection, {
          where: { status: 'active', expiresAt: { lte: now } },
          limit: BATCH,
          after,
        });
        return { rows: p.rows.map((r) => r.id), next: p.next };
      },
      (list) => expireHolds({ ids: list, at: now }, SYSTEM),
    );
    const claimsExpired = await inBatches(
      async (after) => {
        const p = await store.find(rewardClaimsCollection, {
          where: { status: 'held', expiresAt: { lte: now } },
          limit: BATCH,
          after,
        });
        return { rows: p.rows.map((r) => r.id), next: p.next };
      },
      (list) => expireClaims({ ids: list, at: now }, SYSTEM),
    );
    const released = await inBatches(
      async (after) => {
        const p = await store.find(lotsCollection, {
          where: { status: 'pending', releaseAt: { lte: now } },
          limit: BATCH,
          after,
        });
        return { rows: p.rows.map((r) => r.id), next: p.next };
      },
      (list) => releasePending({ ids: list, at: now }, SYSTEM),
    );
    const expired = await inBatches(
      async (after) => {
        const p = await store.find(lotsCollection, {
          where: { status: 'available', expiresAt: { lte: now } },
          limit: BATCH,
          after,
        });
        return { rows: p.rows.map((r) => r.id), next: p.next };
      },
      (list) => expireLots({ ids: list, at: now }, SYSTEM),
    );
    let warnings = 0;
    if (cfg.warnDays !== undefined) {
      // Warn for lots whose last day falls within `warnDays` days from today (program time zone).
      const horizon = startOfLocalDate(
        addDaysToDate(localTime(now, cfg.timeZone).date, cfg.warnDays + 1),
        cfg.timeZone,
      );
      warnings = (
        await inBatches(
          async (after) => {
            const p = await store.find(lotsCollection, {
              where: { status: 'available', expiresAt: { gt: now, lte: horizon }, warnedAt: { isNull: true } },
              limit: BATCH,
              after,
            });
            return { rows: p.rows.map((r) => r.id), next: p.next };
          },
          (list) => warn({ ids: list, at: now }, SYSTEM),
        )
      ).total;
    }
    let tierReviews = { rows: 0, total: 0 };
    if (tiers.config) {
      tierReviews = await inBatches(
        async (after) => {
          const p = await store.find(accountsCollection, {
            where: { tierReviewAt: { lte: now } },
            limit: BATCH,
            after,
          });
          return { rows: p.rows.map((r) => r.customerId), next: p.next };
        },
        (list) => reviewTiers({ ids: list, at: now }, SYSTEM),
      );
    }
    let vouchersReleased = 0;
    let vouchersExpired = 0;
    for (const where of [
      { status: 'held', heldUntil: { lte: now } },
      { status: 'active', validUntil: { lte: now } },
    ] as const) {
      await inBatches(
        async (after) => {
          const p = await store.find(vouchersCollection, { where, limit: BATCH, after });
          return { rows: p.rows.map((r) => r.id), next: p.next };
        },
        async (list) => {
          const done = await expireVouchers({ ids: list, at: now }, SYSTEM);
          vouchersReleased += done.released;
          vouchersExpired += done.expired;
          return done.released + done.expired;
        },
      );
    }
    let authorizationsExpired = 0;
    let cardsExpired = 0;
    for (const [collection, where, key] of [
      [storedValuePaymentsCollection, { status: 'authorized', expiresAt: { lte: now } }, 'payments'],
      [storedValueCardsCollection, { status: 'active', expiresAt: { lte: now } }, 'cards'],
    ] as const) {
      await inBatches(
        async (after) => {
          const p = await store.find(collection as typeof storedValuePaymentsCollection, {
            where: where as never,
            limit: BATCH,
            after,
          });
          return {
            rows: p.rows.map((r) => (key === 'payments' ? r.id : (r as unknown as { number: string }).number)),
            next: p.next,
          };
        },
        async (list) => {
          const done = await expireCardWork(
            { payments: key === 'payments' ? list : [], cards: key === 'cards' ? list : [], at: now },
            SYSTEM,
          );
          authorizationsExpired += done.authorizations;
          cardsExpired += done.cards;
          return done.authorizations + done.cards;
        },
      );
    }
    return {
      vouchersReleased,
      vouchersExpired,
      cardAuthorizationsExpired: authorizationsExpired,
      cardsExpired,
      holdsExpired: holdsExpired.total,
      rewardClaimsExpired: claimsExpired.total,
      pointsReleased: released.total,
      pointsExpired: expired.total,
      lotsExpired: expired.rows,
      expiryWarnings: warnings,
      tierReviews: tierReviews.rows,
      tierChanges: tierReviews.total,
    };
  }

  return { runDue };
}
