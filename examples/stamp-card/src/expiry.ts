/**
 * Due work: stamps past their day expire. Every due time is stored, so after a restart the next
 * `runDue(now)` finds everything that fell due meanwhile.
 */
import { idSchema, instantSchema, type Actor } from '@clientele/core/module';
import * as z from 'zod';
import { stampsCollection } from './collections.js';
import type { StampKernel } from './events.js';

/** The actor `runDue` acts as: a system actor may do everything and is still audited. */
export const SCHEDULER: Actor = { system: 'stamp-card-scheduler' };

/** Due stamps read per pass. */
const PAGE = 500;

/** Builds the `stamps.expire` command and `runDue`. */
export function createExpiry(kernel: StampKernel) {
  const expire = kernel.command({
    name: 'stamps.expire',
    input: z.object({ customerId: idSchema, asOf: instantSchema }).strict(),
    permission: 'stamps.manage',
    idempotency: 'optional',
    async run(ctx, input): Promise<{ expired: number }> {
      const due = await ctx.tx.find(stampsCollection, {
        where: { customerId: input.customerId, status: 'live', expiresAt: { lte: input.asOf } },
        limit: 1000,
      });
      let expired = 0;
      // Re-checked row by row: a redemption may have used a stamp since the runner read it.
      for (const stamp of due.rows)
        if (await ctx.tx.consume(stampsCollection, stamp.id, { status: 'live' }, { status: 'expired' })) expired++;
      ctx.audit({ type: 'stamp-card', id: input.customerId, customerId: input.customerId }, { expired });
      if (expired > 0)
        await ctx.emit(
          'stamp.expired',
          { customerId: input.customerId, stamps: expired },
          { customerId: input.customerId },
        );
      return { expired };
    },
  });

  /** Expires every stamp due at `now`, one transaction per member; returns counts by kind. */
  async function runDue(now: Date): Promise<Record<string, number>> {
    const counts = { stampsExpired: 0, errors: 0 };
    const failed = new Set<string>();
    for (;;) {
      const due = await kernel.store.find(stampsCollection, {
        where: { status: 'live', expiresAt: { lte: now } },
        limit: PAGE,
      });
      const members = [...new Set(due.rows.map((s) => s.customerId))].filter((id) => !failed.has(id));
      if (members.length === 0) break;
      for (const customerId of members) {
        try {
          counts.stampsExpired += (await expire({ customerId, asOf: now }, { actor: SCHEDULER })).expired;
        } catch (error) {
          // One member's failure must not stop the others; it is reported and tried again next run.
          failed.add(customerId);
          counts.errors++;
          kernel.report(error, `stamp expiry for ${customerId}`);
        }
      }
    }
    return counts;
  }

  return { expire, runDue };
}
