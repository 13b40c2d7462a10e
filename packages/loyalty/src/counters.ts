/**
 * Counters behind caps, budgets and usage limits. A commit adds what its quote says to each counter,
 * each increment guarded by the limit, so two tills racing for the last of a budget cannot both get it.
 */
import { isClienteleError, type StoreSession } from '@clientele/core/module';
import { countersCollection } from './collections.js';
import type { CounterUse } from './quote.js';
import type { LoyaltyContext } from './context.js';

/** Current values of the given counters (absent ones are left out: they are 0). */
export async function readCounters(session: StoreSession, keys: Iterable<string>): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const key of new Set(keys)) {
    const row = await session.get(countersCollection, key);
    if (row && row.value > 0) out[key] = row.value;
  }
  return out;
}

/** Creates a counter at `value`; false when a concurrent transaction created it first. */
async function create(ctx: LoyaltyContext, key: string, customerId: string | null, value: number): Promise<boolean> {
  try {
    await ctx.tx.insert(countersCollection, { key, customerId, value });
    return true;
  } catch (error) {
    if (!isClienteleError(error, 'CONFLICT')) throw error;
    return false;
  }
}

async function bump(
  ctx: LoyaltyContext,
  key: string,
  delta: number,
  customerId: string | null,
  guard: { min?: number; max?: number },
): Promise<boolean> {
  if (!(await ctx.tx.get(countersCollection, key))) {
    if (delta < (guard.min ?? 0) || (guard.max !== undefined && delta > guard.max)) return false;
    if (await create(ctx, key, customerId, delta)) return true;
  }
  return (await ctx.tx.increment(countersCollection, key, 'value', delta, guard)).applied;
}

/**
 * Adds every use to its counter, none above its limit. All or nothing: when one would pass its limit
 * (another sale took the room since the quote read it), the ones already added are taken back and
 * `false` says to quote again with fresh counters.
 */
export async function applyCounters(ctx: LoyaltyContext, uses: readonly CounterUse[]): Promise<boolean> {
  const done: CounterUse[] = [];
  for (const use of uses) {
    if (use.points <= 0) continue;
    if (await bump(ctx, use.key, use.points, use.customerId, { max: use.limit })) done.push(use);
    else {
      for (const d of done) await ctx.tx.increment(countersCollection, d.key, 'value', -d.points, { min: 0 });
      return false;
    }
  }
  return true;
}

/** Moves one counter by `delta`, never below zero (returns give back what their sale counted). */
export async function adjustCounter(
  ctx: LoyaltyContext,
  key: string,
  delta: number,
  customerId: string | null,
): Promise<void> {
  if (delta === 0) return;
  const row = await ctx.tx.get(countersCollection, key);
  if (!row) {
    if (delta <= 0 || (await create(ctx, key, customerId, delta))) return;
  }
  const r = await ctx.tx.increment(countersCollection, key, 'value', delta, { min: 0 });
  if (!r.applied) await ctx.tx.increment(countersCollection, key, 'value', -r.row.value, { min: 0 });
}

/** Counts one use of a limited thing (an activity) unless the limit is reached; returns whether it counted. */
export async function takeUse(
  ctx: LoyaltyContext,
  key: string,
  limit: number,
  customerId: string | null,
): Promise<boolean> {
  return bump(ctx, key, 1, customerId, { max: limit });
}
