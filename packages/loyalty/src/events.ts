/** The events the loyalty module emits, by name. Payloads carry ids and amounts, not personal data. */

/** A reference to what caused a ledger entry. */
export type EntryRef = { type: string; id: string } | null;

/** Loyalty's event map: `area.past-tense` names to payloads. */
// A type alias (not an interface) so it is assignable to the generic event map.
export type LoyaltyEvents = {
  /** Points earned by a purchase or an activity (pending until the return window passes, when `pending`). */
  'points.earned': { customerId: string; entryId: string; points: number; pending: boolean; source: 'purchase' | 'activity'; ref: EntryRef; storeId: string | null };
  /** Pending points became available. */
  'points.released': { customerId: string; entryId: string; points: number; lotId: string };
  /** Points were spent (a committed hold or a direct redemption). */
  'points.redeemed': { customerId: string; entryId: string; points: number; value: number; ref: EntryRef };
  /** Points were reserved at a till. */
  'points.held': { holdId: string; customerId: string; points: number; expiresAt: string };
  /** A hold ended without being spent. */
  'points.hold-released': { holdId: string; customerId: string; points: number; reason: 'cancelled' | 'expired' };
  /** A return or void took back points its lines earned. `shortfall` points could not be taken (spent); `refundDeduction` is their value when the program charges it against the refund. */
  'points.clawed-back': { customerId: string; entryId: string | null; points: number; purchaseId: string; returnId: string | null; shortfall: number; refundDeduction: number };
  /** Points that paid for returned goods came back. */
  'points.restored': { customerId: string; entryId: string; points: number; purchaseId: string; returnId: string | null };
  /** Points expired. */
  'points.expired': { customerId: string; entryId: string; points: number; lotId: string };
  /** Points will expire soon (sent once per lot, `warnDays` before). */
  'points.expiring': { customerId: string; points: number; lastDay: string; expiresAt: string };
  /** Staff adjusted a balance by hand. */
  'points.adjusted': { customerId: string; entryId: string; points: number };
  /** Goodwill points were granted (service recovery). */
  'points.goodwill-granted': { customerId: string; entryId: string; points: number; ref: EntryRef };
  /** Points moved from a merged duplicate to the surviving record. */
  'points.transferred': { fromCustomerId: string; toCustomerId: string; points: number; pendingPoints: number };
  /** A member moved to another tier. */
  'tier.changed': { customerId: string; from: string | null; to: string; direction: 'up' | 'down'; reason: 'qualified' | 'review' };
};
