/**
 * What a quote knows besides the basket: when and where, who buys (tier, segments or tags, first
 * purchase, birthday), the segment policy's multiplier, and the counters caps and budgets read.
 * The service builds it from the store; a web POS fetches it once per member and quotes offline.
 */
import { codeSchema, dateSchema, idSchema, instantSchema, parseInput, timeZoneSchema } from '@clientele/core/module';
import * as z from 'zod';
import { localTime, type LocalTime } from './local-time.js';

/** Sales channels (as core records them). */
export const CHANNELS = ['store', 'online', 'phone', 'app'] as const;
/** A sales channel. */
export type Channel = (typeof CHANNELS)[number];

// Control characters (C0, DEL, C1), line and paragraph separators, bidirectional controls, unpaired surrogates.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udfff]/u;
const segmentIdSchema = z
  .string()
  .min(1)
  .max(100)
  .refine((s) => !CONTROL.test(s), 'segment ids have no control characters');

/** A multiplier with at most two decimals, e.g. 1.5. */
export const factorSchema = z
  .number()
  .min(1, 'multipliers are at least 1')
  .max(100)
  .refine((f) => Math.abs(Math.round(f * 100) - f * 100) < 1e-6, 'multipliers have at most two decimals');

/** Schema of {@link QuoteContext}. */
export const quoteContextSchema = z
  .object({
    /** When the sale happens (rules read the store's local date, weekday and time). */
    at: instantSchema,
    /** The store's IANA time zone. */
    timeZone: timeZoneSchema,
    storeId: codeSchema,
    channel: z.enum(CHANNELS).optional(),
    /** The member; absent or null for an anonymous basket (caps per customer then read no counters). */
    customerId: idSchema.nullish(),
    /** The member's tier code. */
    tier: codeSchema.nullish(),
    /** Segment ids (from `@clientele/segments`) and customer tags; segment conditions match either. */
    segments: z.array(segmentIdSchema).max(500).optional(),
    /** Whether this is the member's first purchase. */
    firstPurchase: z.boolean().optional(),
    /** `YYYY-MM-DD`; birthday-month conditions read its month. */
    birthDate: dateSchema.nullish(),
    /** The segment policy's points multiplier (1 when none). */
    pointsMultiplier: factorSchema.optional(),
    /** Points counted so far against caps and budgets, by counter key (absent: 0). */
    counters: z.record(z.string().min(1).max(300), z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)).optional(),
  })
  .strict();

/** The context of a quote, as a caller gives it. */
export type QuoteContext = z.input<typeof quoteContextSchema>;

/** The context worked out: what conditions and caps read. */
export interface QuoteFacts {
  ms: number;
  timeZone: string;
  local: LocalTime;
  storeId: string;
  channel: Channel;
  customerId: string | null;
  tier: string | null;
  segments: readonly string[];
  firstPurchase: boolean;
  birthDate: string | null;
  /** Whether the local month is the member's birth month. */
  birthdayMonth: boolean;
  /** Segment policy multiplier in hundredths (100: none). */
  policyFactor: number;
  counters: Readonly<Record<string, number>>;
  /** Sum of the base amounts of the lines that may earn (set by the quote). */
  eligibleBase: number;
}

const CONTEXT_KEYS = new Set([
  'at',
  'timeZone',
  'storeId',
  'channel',
  'customerId',
  'tier',
  'segments',
  'firstPurchase',
  'birthDate',
  'pointsMultiplier',
  'counters',
]);
const CODE = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const knownZones = new Set<string>();
const EMPTY: Readonly<Record<string, number>> = Object.freeze({});

const isPlain = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};
const isCode = (v: unknown, max: number): v is string =>
  typeof v === 'string' && v.length >= 1 && v.length <= max && CODE.test(v);
const isChannel = (v: unknown): v is Channel => v === 'store' || v === 'online' || v === 'phone' || v === 'app';

function isZone(tz: unknown): tz is string {
  if (typeof tz !== 'string') return false;
  if (knownZones.has(tz)) return true;
  // Only zones zod has already accepted are cached; an unknown one goes to zod for its message.
  return false;
}

const validDates = new Set<string>();
function validDate(s: string): boolean {
  if (validDates.has(s)) return true;
  if (!DATE.test(s)) return false;
  const [y, m, d] = s.split('-').map(Number) as [number, number, number];
  const t = new Date(Date.UTC(y, m - 1, d));
  if (t.getUTCDate() !== d || t.getUTCMonth() !== m - 1) return false;
  if (validDates.size >= 10_000) validDates.clear();
  validDates.add(s);
  return true;
}

function toFacts(c: {
  at: Date;
  timeZone: string;
  storeId: string;
  channel?: Channel | undefined;
  customerId?: string | null | undefined;
  tier?: string | null | undefined;
  segments?: readonly string[] | undefined;
  firstPurchase?: boolean | undefined;
  birthDate?: string | null | undefined;
  pointsMultiplier?: number | undefined;
  counters?: Readonly<Record<string, number>> | undefined;
}): QuoteFacts {
  const ms = c.at.getTime();
  const local = localTime(ms, c.timeZone);
  const birthDate = c.birthDate ?? null;
  return {
    ms,
    timeZone: c.timeZone,
    local,
    storeId: c.storeId,
    channel: c.channel ?? 'store',
    customerId: c.customerId ?? null,
    tier: c.tier ?? null,
    segments: c.segments ?? [],
    firstPurchase: c.firstPurchase ?? false,
    birthDate,
    birthdayMonth: birthDate !== null && Number(birthDate.slice(5, 7)) === local.month,
    policyFactor: Math.round((c.pointsMultiplier ?? 1) * 100),
    counters: c.counters ?? EMPTY,
    eligibleBase: 0,
  };
}

/**
 * Checks a context without zod; `null` when it cannot vouch for it. Accepts a subset of what
 * {@link quoteContextSchema} accepts (only `Date` instants, only time zones already seen valid).
 */
export function contextFactsFast(input: unknown): QuoteFacts | null {
  if (!isPlain(input)) return null;
  for (const k in input) if (!CONTEXT_KEYS.has(k)) return null;
  const {
    at,
    timeZone,
    storeId,
    channel,
    customerId,
    tier,
    segments,
    firstPurchase,
    birthDate,
    pointsMultiplier,
    counters,
  } = input;
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) return null;
  if (!isZone(timeZone) || !isCode(storeId, 64)) return null;
  if (channel !== undefined && !isChannel(channel)) return null;
  if (customerId !== undefined && customerId !== null && !isCode(customerId, 80)) return null;
  if (tier !== undefined && tier !== null && !isCode(tier, 64)) return null;
  if (segments !== undefined) {
    if (!Array.isArray(segments) || segments.length > 500) return null;
    for (const s of segments)
      if (typeof s !== 'string' || s.length < 1 || s.length > 100 || CONTROL.test(s)) return null;
  }
  if (firstPurchase !== undefined && typeof firstPurchase !== 'boolean') return null;
  if (birthDate !== undefined && birthDate !== null && (typeof birthDate !== 'string' || !validDate(birthDate)))
    return null;
  if (pointsMultiplier !== undefined) {
    if (typeof pointsMultiplier !== 'number' || !(pointsMultiplier >= 1) || pointsMultiplier > 100) return null;
    if (Math.abs(Math.round(pointsMultiplier * 100) - pointsMultiplier * 100) >= 1e-6) return null;
  }
  if (counters !== undefined) {
    if (!isPlain(counters)) return null;
    for (const k in counters) {
      const v = counters[k];
      if (k.length < 1 || k.length > 300 || typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) return null;
    }
  }
  return toFacts({
    at,
    timeZone,
    storeId,
    channel,
    customerId: customerId as string | null | undefined,
    tier: tier as string | null | undefined,
    segments: segments as string[] | undefined,
    firstPurchase,
    birthDate: birthDate as string | null | undefined,
    pointsMultiplier,
    counters: counters as Record<string, number> | undefined,
  });
}

/** Validates a context (fast check, else zod with every problem by path) and works out its facts. */
export function contextFacts(input: unknown, path: ReadonlyArray<string | number> = ['context']): QuoteFacts {
  const fast = contextFactsFast(input);
  if (fast) return fast;
  const c = parseInput(quoteContextSchema, input, path);
  knownZones.add(c.timeZone);
  return toFacts(c);
}
