/**
 * Key accounts as a pure rule: a weighted score (0-100) from volume, contract length, growth
 * potential, strategic importance and payment behaviour; above a threshold a customer is a key account.
 */

/** The factors staff enter about a customer. */
export interface KeyAccountFactors {
  /** Months the customer is under contract (0 without a contract). */
  contractMonths: number;
  /** Growth potential 1 (none) to 5 (large), staff's judgement. */
  growthPotential: number;
  /** Strategic importance 1 to 5 (e.g. to the chain's image), staff's judgement. */
  strategicImportance: number;
}

/** Weights of the factors (any non-negative numbers; they are normalised). */
export interface KeyAccountWeights {
  volume: number;
  contract: number;
  growth: number;
  strategic: number;
  payment: number;
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
}

/** The default rules: volume weighs most, then strategic importance. */
export const DEFAULT_KEY_ACCOUNT_RULES: KeyAccountRules = {
  weights: { volume: 0.35, contract: 0.15, growth: 0.15, strategic: 0.2, payment: 0.15 },
  volumeFullAt: 10_000_000,
  contractFullAt: 36,
  threshold: 60,
};

/** Each factor as a share 0-1, and the score. */
export interface KeyAccountScore {
  factors: Record<keyof KeyAccountWeights, number>;
  score: number;
  isKey: boolean;
}

const PAYMENT: Record<string, number> = { A: 1, B: 2 / 3, C: 1 / 3, D: 0 };

/** Scores a customer: window spend, the staff's factors and the credit rating (unrated counts half). */
export function keyAccountScore(
  windowSpend: number,
  f: KeyAccountFactors,
  creditRating: string | null,
  rules: KeyAccountRules = DEFAULT_KEY_ACCOUNT_RULES,
): KeyAccountScore {
  const factors = {
    volume: Math.min(1, Math.max(0, windowSpend) / rules.volumeFullAt),
    contract: Math.min(1, f.contractMonths / rules.contractFullAt),
    growth: (f.growthPotential - 1) / 4,
    strategic: (f.strategicImportance - 1) / 4,
    payment: creditRating === null ? 0.5 : (PAYMENT[creditRating] ?? 0),
  };
  const w = rules.weights;
  const total = w.volume + w.contract + w.growth + w.strategic + w.payment;
  const sum =
    factors.volume * w.volume +
    factors.contract * w.contract +
    factors.growth * w.growth +
    factors.strategic * w.strategic +
    factors.payment * w.payment;
  const score = total > 0 ? Math.round((100 * sum) / total) : 0;
  return { factors, score, isKey: score >= rules.threshold };
}
