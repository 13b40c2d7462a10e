/**
 * Monetary authority: who may move how much value to a customer, alone or with an approver, per move
 * and per day. The kernel runs every check here, for the commands that declare the value they move,
 * so one rule holds everywhere: within the actor's own limits the move is theirs; above either limit
 * it needs an approver whose limits cover it, or it is refused with `AUTHORITY_EXCEEDED`.
 */
import { AuthorityError, isClienteleError } from '../errors.js';
import { localDate } from '../model/business-calendar.js';
import { storesCollection } from '../model/organisation-collections.js';
import type { TransactionSession } from '../store/port.js';
import { actorRef, type ResolvedActor } from './actor.js';
import { authorityUsage } from './collections.js';

/** The limit name that applies to a role: the first of `names` it sets, else the first. */
export function limitNameFor(limits: Readonly<Record<string, number>>, names: readonly string[]): string {
  for (const n of names) if (n in limits) return n;
  return names[0]!;
}

/** The outcome of an authority check that passed. */
export interface Authorisation {
  /** The limit applied (to the actor, or to the approver when one approved). */
  limit: string;
  amount: number;
  /** Who approved beyond the actor's own limits; `null` when the actor's own authority covered it. */
  approvedBy: string | null;
}

/** Why an actor's own authority does not cover a move. */
type Shortfall = { kind: 'single'; limit: number } | { kind: 'daily'; limit: number; used: number };

const usageKey = (staffId: string, limit: string, day: string) => `${staffId}|${limit}|${day}`;

/** The local day of the actor's store, which daily limits count in. */
async function dayOf(tx: TransactionSession, storeId: string, now: Date): Promise<string> {
  const store = await tx.get(storesCollection, storeId);
  return localDate(now, store?.timeZone ?? 'UTC');
}

/** How much of a daily limit a member of staff has used on a local day. */
export async function usedToday(tx: TransactionSession, staffId: string, limit: string, day: string): Promise<number> {
  return (await tx.get(authorityUsage, usageKey(staffId, limit, day)))?.total ?? 0;
}

/**
 * Adds `amount` to a staff member's day total under `limit`, only if it stays within `max`. Race-safe:
 * two tills of one clerk cannot both pass the last of a day's allowance.
 */
async function charge(
  tx: TransactionSession,
  staff: { staffId: string },
  limit: string,
  day: string,
  amount: number,
  max: number,
  now: Date,
): Promise<{ applied: boolean; used: number }> {
  const id = usageKey(staff.staffId, limit, day);
  const add = async () => {
    const r = await tx.increment(authorityUsage, id, 'total', amount, { max });
    return { applied: r.applied, used: r.applied ? r.row.total - amount : r.row.total };
  };
  try {
    return await add();
  } catch (error) {
    // The first move of the day under this limit: the increment found no row.
    if (!isClienteleError(error, 'NOT_FOUND')) throw error;
  }
  if (amount > max) return { applied: false, used: 0 };
  try {
    await tx.insert(authorityUsage, { id, staffId: staff.staffId, limit, day, total: amount, updatedAt: now });
    return { applied: true, used: 0 };
  } catch (error) {
    // Another till of the same person made the day's row first: add to it.
    if (!isClienteleError(error, 'CONFLICT')) throw error;
    return add();
  }
}

/** Checks and, when it passes, charges a staff member's own authority. */
async function tryOwn(
  tx: TransactionSession,
  actor: Extract<ResolvedActor, { kind: 'staff' }>,
  names: readonly string[],
  amount: number,
  request: AuthorityRequest,
): Promise<{ limit: string; shortfall: Shortfall | null }> {
  const limit = limitNameFor(actor.limits, names);
  const single = actor.limits[limit] ?? 0;
  if (amount > single) return { limit, shortfall: { kind: 'single', limit: single } };
  const daily = actor.dailyLimits?.[limit];
  if (daily === undefined || amount === 0) return { limit, shortfall: null };
  // What an enclosing command already counted for this person under this limit is not counted again.
  const counted = request.alreadyCounted?.(actor.staffId, limit, amount) ?? 0;
  if (counted >= amount) return { limit, shortfall: null };
  const day = await dayOf(tx, actor.storeId, request.now);
  const r = await charge(tx, actor, limit, day, amount - counted, daily, request.now);
  if (r.applied) request.counted?.(actor.staffId, limit, amount - counted);
  return { limit, shortfall: r.applied ? null : { kind: 'daily', limit: daily, used: r.used } };
}

function refusal(actor: ResolvedActor, limit: string, amount: number, shortfall: Shortfall): AuthorityError {
  const error = new AuthorityError(limit, amount, shortfall.limit, actorRef(actor));
  if (shortfall.kind === 'daily') {
    Object.assign(error.details, { period: 'day', dailyLimit: shortfall.limit, usedToday: shortfall.used });
    error.message =
      `${limit} of ${amount} would take the actor past the day's limit of ${shortfall.limit} (${shortfall.used} ` +
      `used today)`;
  }
  return error;
}

/** Settings of {@link authorise}. */
export interface AuthorityRequest {
  names: readonly string[];
  amount: number;
  approverStaffId?: string | null | undefined;
  now: Date;
  /** Resolves the approver inside the transaction. */
  resolveApprover(staffId: string): Promise<ResolvedActor>;
  /**
   * For a command called by another in its transaction: takes up to `amount` of what the callers
   * already counted toward this person's day under `limit`, and returns how much it took.
   */
  alreadyCounted?(staffId: string, limit: string, amount: number): number;
  /** Told what this check counted toward a person's day, so commands it calls do not count it again. */
  counted?(staffId: string, limit: string, amount: number): void;
}

/**
 * The whole check: the actor's own limits, else the approver's. Returns the authorisation, or
 * `shortfall` when nobody covers it (the caller refuses or escalates). System actors have no limit.
 */
export async function authorise(
  tx: TransactionSession,
  actor: ResolvedActor,
  request: AuthorityRequest,
): Promise<{ ok: Authorisation } | { refused: AuthorityError }> {
  const { names, amount } = request;
  if (actor.kind === 'system') return { ok: { limit: names[0]!, amount, approvedBy: null } };
  const own = await tryOwn(tx, actor, names, amount, request);
  if (!own.shortfall) return { ok: { limit: own.limit, amount, approvedBy: null } };
  if (!request.approverStaffId) return { refused: refusal(actor, own.limit, amount, own.shortfall) };
  const approver = await request.resolveApprover(request.approverStaffId);
  if (approver.kind === 'system') return { ok: { limit: names[0]!, amount, approvedBy: request.approverStaffId } };
  const theirs = await tryOwn(tx, approver, names, amount, request);
  if (!theirs.shortfall) return { ok: { limit: theirs.limit, amount, approvedBy: approver.staffId } };
  return { refused: refusal(approver, theirs.limit, amount, theirs.shortfall) };
}
