/**
 * Key accounts as a pure rule: a weighted score (0-100) from volume, contract length, growth
 * potential, strategic importance and payment behaviour, and any factors the retailer adds (the
 * documents name a customer's ability to absorb technology and innovate); above a threshold a customer
 * is a key account.
 */

/** The factors staff enter about a customer. */
export interface KeyAccountFactors {
  /** Months the customer is under contract (0 without a contract). */
  contractMonths: number;
  /** Growth potential 1 (none) to 5 (large), staff's judgement. */
  growthPotential: number;
  /** Strategic importance 1 to 5 (e.g. to the chain's image), staff's judgement. */
  strategicImportance: number;
  /** Staff's ratings 1 to 5 of the retailer's own rated factors, by factor id (null: none given). */
  ratings?: Readonly<Record<string, number>> | null | undefined;
}

/** Weights of the built-in factors (any non-negative numbers; they are normalised with the retailer's own). */
export interface KeyAccountWeights {
  volume: number;
  contract: number;
  growth: number;
  strategic: number;
  payment: number;
}

/** The built-in factors, in the order they are reported. */
export const BUILT_IN_KEY_ACCOUNT_FACTORS = ['volume', 'contract', 'growth', 'strategic', 'payment'] as const;

/** What a scored factor of the retailer's own is given: the customer's standing and the staff's entries. */
export interface KeyAccountFacts {
  customerId: string;
  /** Net spend in the RFM window, minor units. */
  windowSpend: number;
  /** Credit rating A-D, or null without a rated credit account. */
  creditRating: string | null;
  contractMonths: number;
  growthPotential: number;
  strategicImportance: number;
  /** Staff's ratings 1-5 of the rated factors, by factor id. */
  ratings: Readonly<Record<string, number>>;
}

/**
 * A factor the retailer adds beside the built-in ones, with its weight: either rated 1 to 5 by staff
 * when they assess the customer (no `score`), or scored by a function of the customer's standing
 * (`score`, returning a share from 0 to 1; it must be pure and quick: every rebuild calls it for every
 * assessed customer).
 */
export interface KeyAccountFactor {
  /** Lower-case id (not one of the built-in factors); staff's rating is given under it. */
  id: string;
  /** What it measures, for people. */
  name: string;
  /** Its weight, beside the built-in weights. */
  weight: number;
  /** Scores the factor from 0 to 1; without it, staff rate the factor 1 to 5. */
  score?: ((facts: KeyAccountFacts) => number) | undefined;
}

/** Settings of the key-account score. */
export interface KeyAccountRules {
  weights: KeyAccountWeights;
  /** Window spend (minor units) that counts as full volume. */
  volumeFullAt: number;
  /** Contract months that count as a full contract. */
  contractFullAt: number;
  /** A score at or above this makes a key account. */
  threshold: number;
  /** The retailer's own factors (default none). */
  factors?: readonly KeyAccountFactor[] | undefined;
}

/** The default rules: volume weighs most, then strategic importance. */
export const DEFAULT_KEY_ACCOUNT_RULES: KeyAccountRules = {
  weights: { volume: 0.35, contract: 0.15, growth: 0.15, strategic: 0.2, payment: 0.15 },
  volumeFullAt: 10_000_000,
  contractFullAt: 36,
  threshold: 60,
  factors: [],
};

/** Each factor's share 0-1: the built-in ones, and the retailer's own by id. */
export type KeyAccountShares = Record<keyof KeyAccountWeights, number> & Record<string, number>;

/** Each factor as a share 0-1 (the built-in ones and the retailer's own, by id), and the score. */
export interface KeyAccountScore {
  factors: KeyAccountShares;
  score: number;
  isKey: boolean;
}

const PAYMENT: Record<string, number> = { A: 1, B: 2 / 3, C: 1 / 3, D: 0 };

/** A staff rating 1 (least) to 5 (most) as a share: 0, 0.25, 0.5, 0.75, 1. */
export function ratingShare(rating: number): number {
  return (rating - 1) / 4;
}

/**
 * The share a rated factor counts with when staff gave no rating (an assessment made before the factor
 * was configured): the middle, 0.5, as an unrated payment record counts.
 */
export const UNRATED_SHARE = 0.5;

/**
 * Scores a customer: window spend, the staff's factors, the credit rating (unrated counts half) and
 * the retailer's own factors. `customerId` is what a scored factor is told about.
 */
export function keyAccountScore(
  windowSpend: number,
  f: KeyAccountFactors,
  creditRating: string | null,
  rules: KeyAccountRules = DEFAULT_KEY_ACCOUNT_RULES,
  customerId = '',
): KeyAccountScore {
  const factors: KeyAccountShares = {
    volume: Math.min(1, Math.max(0, windowSpend) / rules.volumeFullAt),
    contract: Math.min(1, f.contractMonths / rules.contractFullAt),
    growth: ratingShare(f.growthPotential),
    strategic: ratingShare(f.strategicImportance),
    payment: creditRating === null ? UNRATED_SHARE : (PAYMENT[creditRating] ?? 0),
  };
  const w = rules.weights;
  let total = w.volume + w.contract + w.growth + w.strategic + w.payment;
  let sum =
    factors.volume * w.volume +
    factors.contract * w.contract +
    factors.growth * w.growth +
    factors.strategic * w.strategic +
    factors.payment * w.payment;
  const ratings = f.ratings ?? {};
  for (const own of rules.factors ?? []) {
    const share = own.score
      ? scoredShare(own, { customerId, windowSpend, creditRating, ...f, ratings })
      : rated(own, ratings);
    factors[own.id] = share;
    total += own.weight;
    sum += share * own.weight;
  }
  const score = total > 0 ? Math.round((100 * sum) / total) : 0;
  return { factors, score, isKey: score >= rules.threshold };
}

function rated(factor: KeyAccountFactor, ratings: Readonly<Record<string, number>>): number {
  const r = ratings[factor.id];
  return r === undefined ? UNRATED_SHARE : ratingShare(r);
}

/** A scored factor's share, held to 0-1; a function that gives no number is a programming error. */
function scoredShare(factor: KeyAccountFactor, facts: KeyAccountFacts): number {
  const v = factor.score!(facts);
  if (typeof v !== 'number' || Number.isNaN(v))
    throw new TypeError(`key-account factor ${factor.id} scored ${String(v)}, not a share from 0 to 1`);
  return Math.min(1, Math.max(0, v));
}
