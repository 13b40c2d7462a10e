/**
 * The quote context of a member, read from the store: the store's time zone, tier, tags, segments
 * and segment policy (when `@clientele/segments` is installed), birthday, first purchase, counters.
 * Inside a transaction every read goes through its session, the segments module's included.
 */
import {
  purchasesCollection,
  resolveActiveCustomer,
  storeCalendar,
  type CustomerRow,
  type Kernel,
  type StoreSession,
} from '@clientele/core/module';
import type { LoyaltyEventMap } from './context.js';
import { accountsCollection } from './collections.js';
import type { Channel, QuoteContext } from './quote-context.js';

/**
 * The part of `crm.segments` loyalty reads, declared here so loyalty depends only on this shape: its
 * entry point for other modules, which reads through the session given and checks no reader (the
 * sale, activity or `contextFor` query that asks was authorised already). Segment lists may be ids
 * or records carrying `segmentId` or `id`.
 */
export interface SegmentsReader {
  forModules?: {
    segmentsOf?(
      customerId: string,
      session: StoreSession,
    ): Promise<ReadonlyArray<string | { id?: string; segmentId?: string }>>;
    policyFor?(
      customerId: string,
      session: StoreSession,
    ): Promise<{ pointsMultiplier?: number | null } | null | undefined>;
  };
}

/** The segments module when it is installed, else null. */
export function segmentsModule(kernel: Kernel<LoyaltyEventMap>): SegmentsReader | null {
  return kernel.optionalModule<SegmentsReader>('segments');
}

/** What the member context is read for. */
export interface MemberQuery {
  customerId: string;
  /** The store (null: no store, e.g. an activity in the app; the program's time zone applies). */
  storeId: string | null;
  channel?: Channel;
  at: Date;
  /** Whether the sale being quoted is already recorded (first purchase then means "the only one"). */
  includesSale: boolean;
}

/** The store's time zone; NOT_FOUND (path `storeId`) when the store does not exist. */
export async function storeTimeZone(
  session: StoreSession,
  storeId: string,
  path: Array<string | number> = ['storeId'],
): Promise<string> {
  return (await storeCalendar(session, storeId, path)).timeZone;
}

/**
 * Loads an active customer, not following merges (points belong to the record they were earned on); NOT_FOUND or
 * INVALID_STATE with `path` otherwise.
 */
export function activeMember(
  session: StoreSession,
  customerId: string,
  path: Array<string | number> = ['customerId'],
): Promise<CustomerRow> {
  return resolveActiveCustomer(session, customerId, { path, followMerges: false });
}

const clampFactor = (f: unknown): number | undefined => {
  if (typeof f !== 'number' || !Number.isFinite(f) || f <= 1) return undefined;
  return Math.min(100, Math.round(f * 100) / 100);
};

/** Reads a member's quote context (without counters). */
export async function memberContext(
  kernel: Kernel,
  session: StoreSession,
  q: MemberQuery,
  defaults: { startTier: string | null; timeZone: string },
): Promise<QuoteContext & { at: Date }> {
  const timeZone = q.storeId === null ? defaults.timeZone : await storeTimeZone(session, q.storeId);
  const startTier = defaults.startTier;
  const customer = await activeMember(session, q.customerId);
  const account = await session.get(accountsCollection, q.customerId);
  const tags = customer.tags ?? [];
  const segments = new Set<string>(tags);
  let pointsMultiplier: number | undefined;
  const seg = segmentsModule(kernel)?.forModules;
  if (seg?.segmentsOf) {
    for (const s of await seg.segmentsOf(q.customerId, session)) {
      const id = typeof s === 'string' ? s : (s.segmentId ?? s.id ?? '');
      if (id) segments.add(id);
    }
  }
  if (seg?.policyFor) pointsMultiplier = clampFactor((await seg.policyFor(q.customerId, session))?.pointsMultiplier);
  const earlier = await session.find(purchasesCollection, {
    where: { customerId: q.customerId, status: 'completed' },
    limit: 2,
  });
  const birthDate =
    customer.kind === 'individual' && typeof customer.profile['birthDate'] === 'string'
      ? (customer.profile['birthDate'] as string)
      : null;
  return {
    at: q.at,
    timeZone,
    storeId: q.storeId ?? 'chain',
    channel: q.channel ?? 'store',
    customerId: q.customerId,
    tier: account?.tier ?? startTier,
    // Only ids a quote context accepts (a stray tag must not stop a sale).
    segments: [...segments]
      .filter((s) => s.length >= 1 && s.length <= 100 && !/[\u0000-\u001f\u007f]/.test(s))
      .slice(0, 500),
    firstPurchase: earlier.rows.length === (q.includesSale ? 1 : 0),
    birthDate,
    ...(pointsMultiplier !== undefined ? { pointsMultiplier } : {}),
  };
}
