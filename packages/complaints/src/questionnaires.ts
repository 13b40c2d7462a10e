/**
 * Satisfaction surveys, pure parts: the indicator groups of the source documents, the two scales,
 * normalised scores, net promoter counting, low-score detection and the deterministic sampler that
 * picks which purchases get a survey.
 */

/** Groups of indicators: product, service and purchase from the documents; recovery asks "did we fix it?". */
export const INDICATOR_GROUPS = ['product', 'service', 'purchase', 'recovery', 'overall'] as const;
/** An indicator group. */
export type IndicatorGroup = (typeof INDICATOR_GROUPS)[number];

/**
 * The indicators of the documents and the group each belongs to. The documents list product indicators
 * (quality, function, features, design, reliability, value for money), service indicators (delivery,
 * handling of complaints and disputes, solving problems) and purchase indicators (courtesy,
 * communication, information, the transaction, time); staff attitude, speed and competence are the
 * service a shopper meets in the store. A configuration may add its own indicators and regroup these.
 */
export const DEFAULT_INDICATORS: Readonly<Record<string, IndicatorGroup>> = {
  quality: 'product',
  price: 'product',
  freshness: 'product',
  assortment: 'product',
  attitude: 'service',
  speed: 'service',
  competence: 'service',
  delivery: 'service',
  convenience: 'purchase',
  'checkout-wait': 'purchase',
  resolution: 'recovery',
  recommend: 'overall',
};

/** Answer scales: 1 to 5 (very poor to very good) and 0 to 10 (net promoter style). */
export const SCALES = ['1-5', '0-10'] as const;
/** A scale. */
export type Scale = (typeof SCALES)[number];

/** Lowest and highest answer of a scale. */
export function scaleRange(scale: Scale): { min: number; max: number } {
  return scale === '1-5' ? { min: 1, max: 5 } : { min: 0, max: 10 };
}

/** Whether `score` is a whole number on the scale. */
export function onScale(scale: Scale, score: number): boolean {
  const { min, max } = scaleRange(scale);
  return Number.isInteger(score) && score >= min && score <= max;
}

/** A score on a 0-1000 integer scale (so scores on both scales can be summed exactly and compared). */
export function normalise(scale: Scale, score: number): number {
  const { min, max } = scaleRange(scale);
  return Math.round(((score - min) * 1000) / (max - min));
}

/** On a 0-10 scale: 9 and 10 are promoters, 0 to 6 detractors. */
export function promoterClass(scale: Scale, score: number): 'promoter' | 'passive' | 'detractor' | null {
  if (scale !== '0-10') return null;
  if (score >= 9) return 'promoter';
  if (score <= 6) return 'detractor';
  return 'passive';
}

/** Net promoter score: promoters minus detractors as a share of answers, -100 to 100 (null without answers). */
export function netPromoterScore(promoters: number, detractors: number, answers: number): number | null {
  if (answers === 0) return null;
  return Math.round(((promoters - detractors) * 1000) / answers) / 10;
}

/** Scores at or below which an answer counts as low, per scale. */
export type LowScoreThresholds = Readonly<Record<Scale, number>>;

/** Default low scores: 1 or 2 of 5, 0 to 4 of 10. */
export const DEFAULT_LOW_SCORES: LowScoreThresholds = { '1-5': 2, '0-10': 4 };

/** Whether an answer is low enough to open a case. */
export function isLowScore(thresholds: LowScoreThresholds, scale: Scale, score: number): boolean {
  return score <= thresholds[scale];
}

/** FNV-1a, 32 bits, over UTF-16 code units: small, fast and the same in every runtime. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  // A final avalanche so ids that differ only at the end still spread over the whole range.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b) >>> 0;
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35) >>> 0;
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/**
 * Whether a purchase is sampled for a survey: a pure function of the seed and the purchase id, so
 * the same purchase is always sampled (or not) the same way, on every node and in every test. About
 * `rate` (0 to 1) of purchases are picked.
 */
export function isSampled(seed: string, purchaseId: string, rate: number): boolean {
  if (rate <= 0) return false;
  if (rate >= 1) return true;
  return fnv1a(`${seed}:${purchaseId}`) / 4_294_967_296 < rate;
}

/** Mean of a summed score, to one decimal (null without answers). */
export function mean(sum: number, count: number, decimals = 1): number | null {
  if (count === 0) return null;
  const f = 10 ** decimals;
  return Math.round((sum * f) / count) / f;
}
