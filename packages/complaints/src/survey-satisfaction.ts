/**
 * A customer's satisfaction over time, pure: each of their survey responses is one point (the mean of
 * its answers on 0-100), in the order given; their level is the mean of the latest points and their
 * trend the least-squares slope of those points in points per response. The source documents call it
 * behavioural satisfaction: a state built up over the customer's successive purchases.
 */

/** How many of a customer's latest responses their level and trend are taken over. */
export const SATISFACTION_WINDOW = 5;

/** One response of a customer as a point of their series. */
export interface SatisfactionPoint {
  responseId: string;
  questionnaireId: string;
  at: Date;
  /** Questions answered. */
  answers: number;
  /** Mean of the answers on 0-100, to one decimal. */
  score: number;
}

/** Level and trend of a customer's latest responses. */
export interface SatisfactionTrend {
  /** Mean score 0-100 of the latest {@link SATISFACTION_WINDOW} responses, to one decimal (null: none). */
  level: number | null;
  /** Least-squares slope of those scores in points per response, to one decimal (null: fewer than two). */
  trend: number | null;
}

/** To one decimal, halves up (as every survey figure is rounded); never -0. */
function oneDecimal(v: number): number {
  return Math.round(v * 10) / 10 + 0;
}

/**
 * A response's score on 0-100 from the sum of its answers on the 0-1000 scale (see `normalise`), before
 * rounding: the mean of its answers, each answer counting the same whatever its scale.
 */
export function responseScore(normalisedSum: number, answers: number): number {
  return answers === 0 ? 0 : normalisedSum / answers / 10;
}

/** The least-squares slope of values against their positions 0, 1, 2, ... (null for fewer than two). */
export function leastSquaresSlope(values: readonly number[]): number | null {
  const n = values.length;
  if (n < 2) return null;
  const meanX = (n - 1) / 2;
  let meanY = 0;
  for (const v of values) meanY += v;
  meanY /= n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (i - meanX) * (values[i]! - meanY);
    den += (i - meanX) ** 2;
  }
  return num / den;
}

/**
 * Level and trend of a customer's series of response scores (oldest first, unrounded, as
 * {@link responseScore} gives them), over the latest `window` of them; rounded to one decimal at the end.
 */
export function satisfactionTrend(scores: readonly number[], window = SATISFACTION_WINDOW): SatisfactionTrend {
  const latest = scores.slice(Math.max(0, scores.length - window));
  if (latest.length === 0) return { level: null, trend: null };
  const level = latest.reduce((s, v) => s + v, 0) / latest.length;
  const slope = leastSquaresSlope(latest);
  return { level: oneDecimal(level), trend: slope === null ? null : oneDecimal(slope) };
}
