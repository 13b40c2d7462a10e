/** The events the loyalty module emits, by name. Payloads carry ids and amounts, not personal data. */

/** A reference to what caused a ledger entry. */
export type EntryRef = { type: string; id: string } | null;

/** Loyalty's event map: `area.past-tense` names to payloads. */
// A type alias (not an interface) so it is assignable to the generic event map.
export type LoyaltyEvents = {
  /** Points earned by a purchase or an activity (pending until the return window passes, when `pending`). */
  'points.earned': {
    customerId: string;
    entryId: string;
    points: number;
    pending: boolean;
    source: 'purchase' | 'activity';
    ref: EntryRef;
    storeId: string | null;
  };
  /** Pending points became available. */
  'points.released': { customerId: string; entryId: string; points: number; lotId: string };
  /** Points were spent (a committed hold or a direct redemption). */
  'points.redeemed': { customerId: string; entryId: string; points: number; value: number; ref: EntryRef };
  /** Points were reserved at a till. */
  'points.held': { holdId: string; customerId: string; points: number; expiresAt: string };
  /** A hold ended without being spent. */
  'points.hold-released': { holdId: string; customerId: string; points: number; reason: 'cancelled' | 'expired' };
  /**
   * A return or void took back points its lines earned. `shortfall` points could not be taken (spent);
   * `refundDeduction` is their value when the program charges it against the refund.
   */
  'points.clawed-back': {
    customerId: string;
    entryId: string | null;
    points: number;
    purchaseId: string;
    returnId: string | null;
    shortfall: number;
    refundDeduction: number;
  };
  /** Points that paid for returned goods came back. */
  'points.restored': {
    customerId: string;
    entryId: string;
    points: number;
    purchaseId: string;
    returnId: string | null;
  };
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
  'tier.changed': {
    customerId: string;
    from: string | null;
    to: string;
    direction: 'up' | 'down';
    reason: 'qualified' | 'review';
  };

  /** A member claimed a product reward at a till: its points are reserved until the sale pays with it. */
  'reward.claimed': {
    claimId: string;
    customerId: string;
    rewardId: string;
    units: number;
    points: number;
    value: number;
    expiresAt: string;
  };
  /** A claim ended without a sale: its points are spendable again. */
  'reward.released': { claimId: string; customerId: string; points: number; reason: 'cancelled' | 'expired' };
  /** A sale paid with a claim: its points were spent on the free goods (`value`). */
  'reward.redeemed': {
    claimId: string;
    customerId: string;
    rewardId: string;
    units: number;
    points: number;
    value: number;
    purchaseId: string;
    entryId: string;
  };
  /** Units of a redeemed claim were given back (a return, a void, or by hand): their points came back. */
  'reward.reversed': {
    claimId: string;
    customerId: string;
    rewardId: string;
    units: number;
    points: number;
    value: number;
    purchaseId: string;
    returnId: string | null;
    entryId: string;
  };

  /** A voucher was issued (`faceValue`: the most it can take off a sale). */
  'voucher.issued': {
    voucherId: string;
    templateId: string;
    customerId: string | null;
    source: 'conversion' | 'campaign' | 'service-recovery' | 'manual';
    faceValue: number;
    ref: EntryRef;
  };
  /** A voucher was held at a till. */
  'voucher.held': {
    voucherId: string;
    customerId: string | null;
    holdId: string;
    storeId: string;
    terminalId: string;
    until: string;
  };
  /** A held voucher was released unused. */
  'voucher.hold-released': {
    voucherId: string;
    customerId: string | null;
    holdId: string;
    reason: 'cancelled' | 'expired';
  };
  /** A voucher paid for part of a sale. */
  'voucher.redeemed': {
    voucherId: string;
    customerId: string | null;
    purchaseId: string;
    storeId: string;
    discount: number;
  };
  /** A voucher came back after its sale was voided or returned. */
  'voucher.restored': {
    voucherId: string;
    customerId: string | null;
    purchaseId: string;
    returnId: string | null;
    amount: number;
  };
  /** Part of what a voucher took off is not to be paid out by a return's refund (`amount`). */
  'voucher.charged-back': {
    voucherId: string;
    customerId: string | null;
    purchaseId: string;
    returnId: string | null;
    amount: number;
  };
  /** A voucher's time ran out unused (or its sale was undone after it had). */
  'voucher.expired': { voucherId: string; customerId: string | null };
  /** A voucher was cancelled. */
  'voucher.cancelled': { voucherId: string; customerId: string | null };

  /** A stored-value card was sold and activated. */
  'stored-value.sold': {
    cardNumber: string;
    productId: string;
    customerId: string | null;
    storeId: string;
    amount: number;
  };
  /** Money was loaded onto a card (`bonus` on top of `amount`). */
  'stored-value.topped-up': {
    cardNumber: string;
    customerId: string | null;
    storeId: string;
    amount: number;
    bonus: number;
  };
  /** An amount was reserved on a card. */
  'stored-value.authorized': {
    paymentId: string;
    cardNumber: string;
    customerId: string | null;
    amount: number;
    expiresAt: string;
  };
  /** A reservation ended unspent. */
  'stored-value.released': {
    paymentId: string;
    cardNumber: string;
    customerId: string | null;
    amount: number;
    reason: 'cancelled' | 'expired';
  };
  /** A card paid. */
  'stored-value.spent': {
    paymentId: string;
    cardNumber: string;
    customerId: string | null;
    storeId: string;
    amount: number;
    ref: EntryRef;
  };
  /** Money came back to a card. */
  'stored-value.refunded': {
    paymentId: string;
    cardNumber: string;
    customerId: string | null;
    amount: number;
    ref: EntryRef;
  };
  /** Money moved between cards. */
  'stored-value.transferred': { from: string; to: string; amount: number };
  /** A named card was reported lost and frozen. */
  'stored-value.frozen': { cardNumber: string; customerId: string | null };
  /** A lost card was replaced and its balance moved. */
  'stored-value.replaced': { oldNumber: string; newNumber: string; customerId: string | null; amount: number };
  /** Five wrong PINs locked a card. */
  'stored-value.locked': { cardNumber: string; customerId: string | null };
  /** Staff unlocked a card. */
  'stored-value.unlocked': { cardNumber: string; customerId: string | null };
  /**
   * A card's sale was refunded: what was left of the money paid for it went back (`amount`, by
   * `tenders`), a bonus left on it was forfeited (`forfeited`), and the card is closed.
   */
  'stored-value.closed': {
    cardNumber: string;
    customerId: string | null;
    storeId: string;
    amount: number;
    forfeited: number;
    tenders: Array<{ method: string; reference: string | null; amount: number }>;
  };
  /** A card passed its expiry (its balance stays owed until taken as breakage). */
  'stored-value.expired': { cardNumber: string; customerId: string | null; balance: number };
};
