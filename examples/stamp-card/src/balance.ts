/** Reading a member's card: a query, so the reader's permission is checked and the read can be audited. */
import { idSchema, parseInput, resolveActiveCustomer } from '@clientele/core/module';
import { stampsCollection } from './collections.js';
import type { StampCardConfig } from './config.js';
import { liveStamps } from './earning.js';
import type { StampKernel } from './events.js';
import { cardState } from './stamp-rules.js';

/** A member's card as staff see it. */
export interface StampBalance {
  customerId: string;
  /** Stamps that count now. */
  stamps: number;
  /** Free items they pay for now. */
  rewards: number;
  /** Stamps still needed for the next free item. */
  toNext: number;
  /** When the oldest counting stamp expires (`null`: none). */
  nextExpiry: Date | null;
}

/** Builds the `stamps.balance` query. */
export function createBalance(kernel: StampKernel, config: StampCardConfig) {
  async function balance(customerId: string): Promise<StampBalance> {
    const id = parseInput(idSchema, customerId, ['customerId']);
    const member = await resolveActiveCustomer(kernel.store, id);
    const now = kernel.clock.now();
    const stamps = await liveStamps(kernel.store, member.id, now);
    const oldest = await kernel.store.find(stampsCollection, {
      where: { customerId: member.id, status: 'live', expiresAt: { gt: now } },
      orderBy: [{ field: 'expiresAt' }],
      limit: 1,
    });
    return {
      customerId: member.id,
      stamps,
      ...cardState(stamps, config.stampsPerReward),
      nextExpiry: oldest.rows[0]?.expiresAt ?? null,
    };
  }

  return kernel.query({
    name: 'stamps.balance',
    permission: 'stamps.read',
    reads: (b) => [b.customerId],
    run: balance,
  });
}
