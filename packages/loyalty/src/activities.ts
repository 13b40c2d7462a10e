/**
 * Earning outside purchases: registration, birthday, a review, a referral (both sides) and
 * retailer-defined events with their own payload schema, each with a usage limit per period.
 * Declared as data in the program; the payload schema is data too, turned into zod here.
 */
import { codeSchema } from '@clientele/core/module';
import * as z from 'zod';
import { PERIODS } from './local-time.js';

/** Built-in activity types. `custom` is a retailer's own event. */
export const ACTIVITY_TYPES = ['registration', 'birthday', 'review', 'referral', 'custom'] as const;
/** An activity type. */
export type ActivityType = (typeof ACTIVITY_TYPES)[number];

const fieldName = z.string().regex(/^[a-z][A-Za-z0-9]{0,40}$/, 'payload field names are camelCase');

/** One field of an activity's payload. */
export const payloadFieldSchema = z
  .object({
    type: z.enum(['string', 'integer', 'number', 'boolean']),
    optional: z.boolean().optional(),
    /** Numbers: the smallest value; strings: the shortest length. */
    min: z.number().optional(),
    /** Numbers: the largest value; strings: the longest length. */
    max: z.number().optional(),
  })
  .strict()
  .refine((f) => f.min === undefined || f.max === undefined || f.min <= f.max, {
    message: 'min is above max',
    path: ['max'],
  });
/** One field of an activity's payload. */
export type PayloadField = z.output<typeof payloadFieldSchema>;

/** How often an activity may earn for one member. */
export const usageLimitSchema = z
  .object({ count: z.number().int().min(1).max(1_000_000), period: z.enum(PERIODS) })
  .strict();

/** Fields every activity has (the program adds `when`, whose kinds come from its registry). */
export const activityShape = {
  /** What callers name it by, e.g. `review`, `app-check-in`. */
  code: codeSchema,
  type: z.enum(ACTIVITY_TYPES),
  name: z.string().min(1).max(100).optional(),
  /** Points for the member (for a referral: the new member who was referred). */
  points: z.number().int().positive('points must be a positive integer').max(1_000_000),
  /** Referral only: points for the member who referred. */
  referrerPoints: z.number().int().positive().max(1_000_000).optional(),
  /** Fields the caller sends with the event. */
  payload: z.record(fieldName, payloadFieldSchema).optional(),
  /** At most `count` times per `period` per member (registration: once; birthday: once a year). */
  limit: usageLimitSchema.optional(),
};

/** The zod schema of an activity's payload, built from its declared fields. */
export function payloadSchemaOf(activity: {
  type: ActivityType;
  payload?: Record<string, PayloadField> | undefined;
}): z.ZodType<Record<string, unknown>> {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, f] of Object.entries(activity.payload ?? {})) {
    let s: z.ZodType;
    if (f.type === 'string') {
      let str = z.string();
      if (f.min !== undefined) str = str.min(f.min);
      str = str.max(f.max ?? 2000);
      s = str;
    } else if (f.type === 'boolean') s = z.boolean();
    else {
      let num = f.type === 'integer' ? z.number().int() : z.number();
      if (f.min !== undefined) num = num.min(f.min);
      if (f.max !== undefined) num = num.max(f.max);
      s = num;
    }
    shape[name] = f.optional ? s.optional() : s;
  }
  if (activity.type === 'referral')
    shape['referrerId'] = z
      .string()
      .min(1)
      .max(80)
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'malformed id');
  return z.object(shape).strict() as unknown as z.ZodType<Record<string, unknown>>;
}

/** The limit that applies: the declared one, or the built-in one of registration and birthday. */
export function limitOf(activity: {
  type: ActivityType;
  limit?: { count: number; period: (typeof PERIODS)[number] } | undefined;
}): { count: number; period: (typeof PERIODS)[number] } | null {
  if (activity.type === 'registration') return { count: 1, period: 'lifetime' };
  if (activity.type === 'birthday') return activity.limit ?? { count: 1, period: 'year' };
  return activity.limit ?? null;
}
