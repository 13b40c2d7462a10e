/**
 * Segment policies: what each segment earns (a points multiplier, free delivery, a service level, a
 * visit schedule) and how the policies of all the segments a customer is in merge into one.
 */
import { singleLineTextSchema } from '@clientele/core/module';
import * as z from 'zod';

/** Schema of a segment's policy; every part is optional. */
export const policySchema = z
  .object({
    /** Multiplies the points loyalty's earning rules give (e.g. 1.5). */
    pointsMultiplier: z.number().min(0).max(100).optional(),
    freeDelivery: z.boolean().optional(),
    /** A priority service level name (e.g. `priority`, `vip`); complaint time limits key on it. */
    serviceLevel: singleLineTextSchema(40).optional(),
    /** Staff visit the customer every so many days. */
    visitEveryDays: z.number().int().min(1).max(3650).optional(),
  })
  .strict();
/** A segment's policy. */
export type SegmentPolicy = z.infer<typeof policySchema>;

/** The merged policy of a customer's segments. */
export interface MergedPolicy {
  /** The largest multiplier of the customer's segments, 1 when none sets one. */
  pointsMultiplier: number;
  /** True when any segment grants free delivery. */
  freeDelivery: boolean;
  /** The service level of the highest-priority segment that names one. */
  serviceLevel: string | null;
  /** The most frequent schedule (fewest days) of the segments that set one. */
  visitEveryDays: number | null;
  /** Every segment the customer is in, highest priority first (then by id). */
  segmentIds: string[];
}

/**
 * Merges policies: the customer gets the most generous of each benefit (largest multiplier, free
 * delivery from any segment, most frequent visits); the service level is a name, not a quantity, so
 * it comes from the segment with the highest priority that sets one (ties: smaller id).
 */
export function mergePolicies(
  segments: ReadonlyArray<{ id: string; priority: number; policy: SegmentPolicy }>,
): MergedPolicy {
  const ordered = [...segments].sort((a, b) => b.priority - a.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  let pointsMultiplier: number | null = null;
  let freeDelivery = false;
  let serviceLevel: string | null = null;
  let visitEveryDays: number | null = null;
  for (const s of ordered) {
    const p = s.policy;
    if (p.pointsMultiplier !== undefined) pointsMultiplier = Math.max(pointsMultiplier ?? 0, p.pointsMultiplier);
    if (p.freeDelivery) freeDelivery = true;
    if (serviceLevel === null && p.serviceLevel !== undefined) serviceLevel = p.serviceLevel;
    if (p.visitEveryDays !== undefined) visitEveryDays = Math.min(visitEveryDays ?? Infinity, p.visitEveryDays);
  }
  return {
    pointsMultiplier: pointsMultiplier ?? 1,
    freeDelivery,
    serviceLevel,
    visitEveryDays,
    segmentIds: ordered.map((s) => s.id),
  };
}
