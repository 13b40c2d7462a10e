/** The module's settings, checked once when `segments(config)` is called. */
import * as z from 'zod';
import { invalid, parseInput } from '@clientele/core/module';
import { DEFAULT_RATING_RULES } from './credit-rules.js';
import type { AnyConditionKind } from './definition.js';
import { BUILT_IN_KEY_ACCOUNT_FACTORS, DEFAULT_KEY_ACCOUNT_RULES, type KeyAccountFactor } from './key-account-score.js';
import { DEFAULT_RFM_GROUPS, PROSPECTS_GROUP, rfmGroupSchema, rfmMap } from './scores.js';
import { minutesInDay } from 'date-fns/constants';

const share = z.number().gt(0).max(1);

/** A key-account factor of the retailer's own (see {@link KeyAccountFactor}). */
const keyAccountFactorSchema = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'factor ids are lower-case words'),
    name: z.string().min(1).max(80),
    weight: z.number().min(0),
    score: z
      .custom<KeyAccountFactor['score']>((v) => typeof v === 'function', 'a function from the facts to a share 0-1')
      .optional(),
  })
  .strict();
const ratingStep = z.object({ onTime: z.number().min(0).max(1), maxDaysOverdue: z.number().int().min(0) }).strict();

/** Schema of the settings (every part optional, with the defaults shown in `docs/segments.md`). */
export const segmentsConfigSchema = z
  .object({
    rfm: z
      .object({
        /** Days of purchases that count for frequency and monetary scores (default 365). */
        windowDays: z.number().int().min(1).max(3650).default(365),
        /** Named groups from the scores, tried in order (default: champions ... lost). */
        groups: z
          .array(rfmGroupSchema)
          .min(1)
          .max(50)
          .default(() => DEFAULT_RFM_GROUPS.map((g) => ({ ...g }))),
        /** The group of customers who never bought, who have no scores (default `prospects`). */
        prospectsGroup: z
          .string()
          .regex(/^[a-z][a-z0-9-]{0,39}$/)
          .default(PROSPECTS_GROUP),
      })
      .strict()
      .prefault({}),
    classes: z
      .object({
        /** Customers making this share of window revenue are class A (default 0.8). */
        aShare: share.default(0.8),
        /** ... and up to this share class B (default 0.95); the rest C. */
        bShare: share.default(0.95),
        /** The top share of buyers by window spend that counts as large (default 0.2). */
        largeTopShare: share.default(0.2),
      })
      .strict()
      .refine((c) => c.aShare <= c.bShare, { path: ['bShare'], message: 'bShare must not be below aShare' })
      .prefault({}),
    churn: z
      .object({
        percentile: z.number().gt(0).max(100).default(90),
        minGaps: z.number().int().min(1).max(100).default(3),
        minHours: z
          .number()
          .int()
          .min(0)
          .max(24 * 365)
          .default(24),
        /** How many of the latest gaps between visits are kept per customer (default 32). */
        maxGaps: z.number().int().min(1).max(256).default(32),
        /** When a customer's satisfaction is a reason given beside their overdue rhythm. */
        satisfaction: z
          .object({
            /** Falling by at least this many points per answer (default 5). */
            fallingBy: z.number().int().min(1).max(100).default(5),
            /** Or below this score 0-100 (default 50: worse than the middle of the scale). */
            below: z.number().int().min(1).max(100).default(50),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    credit: z
      .object({
        /** The payment method that means "on account" (default `account`). */
        method: z
          .string()
          .regex(/^[a-z][a-z0-9-]{0,31}$/)
          .default('account'),
        /** Refuse sales on account to customers without a credit account (default false: they are not checked). */
        requireAccount: z.boolean().default(false),
        /** Minutes an approval given ahead of a sale stays usable (default 120). */
        approvalValidMinutes: z
          .number()
          .int()
          .min(1)
          .max(7 * minutesInDay)
          .default(120),
        rating: z
          .object({ A: ratingStep, B: ratingStep, C: ratingStep })
          .strict()
          .default(() => structuredClone(DEFAULT_RATING_RULES)),
      })
      .strict()
      .prefault({}),
    keyAccounts: z
      .object({
        weights: z
          .object({
            volume: z.number().min(0),
            contract: z.number().min(0),
            growth: z.number().min(0),
            strategic: z.number().min(0),
            payment: z.number().min(0),
          })
          .strict()
          .default(() => ({ ...DEFAULT_KEY_ACCOUNT_RULES.weights })),
        volumeFullAt: z.number().int().min(1).default(DEFAULT_KEY_ACCOUNT_RULES.volumeFullAt),
        contractFullAt: z.number().int().min(1).default(DEFAULT_KEY_ACCOUNT_RULES.contractFullAt),
        threshold: z.number().min(0).max(100).default(DEFAULT_KEY_ACCOUNT_RULES.threshold),
        /** The retailer's own factors beside the built-in ones: rated 1-5 by staff, or scored by a function. */
        factors: z.array(keyAccountFactorSchema).max(20).default([]),
      })
      .strict()
      .superRefine((k, ctx) => {
        const seen = new Set<string>(BUILT_IN_KEY_ACCOUNT_FACTORS);
        k.factors.forEach((f, i) => {
          if (seen.has(f.id))
            ctx.addIssue({
              code: 'custom',
              path: ['factors', i, 'id'],
              message: BUILT_IN_KEY_ACCOUNT_FACTORS.includes(f.id as never)
                ? `${f.id} is a built-in factor`
                : `${f.id} is given twice`,
              params: { code: 'duplicate_factor' },
            });
          seen.add(f.id);
        });
      })
      .prefault({}),
    recommendations: z
      .object({
        /** Items (SKUs) paired: the most frequently bought ones (default 500). */
        maxItems: z.number().int().min(1).max(5000).default(500),
        /** Baskets a pair needs to be kept (default 2). */
        minTogether: z.number().int().min(1).default(2),
        /** Pairs kept per item or category, best confidence first (default 10). */
        perAntecedent: z.number().int().min(1).max(100).default(10),
      })
      .strict()
      .prefault({}),
    /**
     * How far (a share of the buyers, default 0.01) a rebuild lets last night's quintile and volume thresholds
     * drift from their exact ranks before it takes them again; 0 takes them exactly every night.
     */
    thresholdTolerance: z.number().min(0).max(0.05).default(0.01),
    /** Customers per rebuild transaction (default 2000): bounds how long one chunk holds the database. */
    chunkSize: z.number().int().min(10).max(10_000).default(2000),
    /** The retailer's own condition kinds, beside the built-in ones. */
    conditions: z
      .array(
        z.custom<AnyConditionKind>(
          (v) =>
            typeof v === 'object' &&
            v !== null &&
            typeof (v as AnyConditionKind).code === 'string' &&
            typeof (v as AnyConditionKind).build === 'function',
        ),
      )
      .default([]),
  })
  .strict();

/** The settings as given to `segments(config)`. */
export type SegmentsConfig = z.input<typeof segmentsConfigSchema>;
/** The settings with defaults applied. */
export type ResolvedSegmentsConfig = z.output<typeof segmentsConfigSchema>;

/** Checks the settings; bad ones are a `ValidationError` naming the path under `config`. */
export function resolveConfig(config: SegmentsConfig | undefined): ResolvedSegmentsConfig {
  const resolved = parseInput(segmentsConfigSchema, config ?? {}, ['config']);
  checkRfmMap(resolved.rfm);
  return resolved;
}

/**
 * Every buyer must fall in exactly one group: the groups must hold all 125 combinations of scores (the
 * first that matches wins, so overlaps are fine), and the prospects' group must be none of them.
 */
function checkRfmMap(rfm: ResolvedSegmentsConfig['rfm']): void {
  const gaps = rfmMap(rfm.groups).filter((c) => c.group === null);
  if (gaps.length) {
    const first = gaps
      .slice(0, 3)
      .map((c) => `R${c.r} F${c.f} M${c.m}`)
      .join(', ');
    throw invalid(
      ['config', 'rfm', 'groups'],
      'rfm_gap',
      `no group holds ${gaps.length} combinations of scores (${first}${gaps.length > 3 ? ', ...' : ''}): ` +
        'end the list with a group without ranges to hold the rest',
    );
  }
  if (rfm.groups.some((g) => g.id === rfm.prospectsGroup))
    throw invalid(
      ['config', 'rfm', 'prospectsGroup'],
      'duplicate_group',
      `${rfm.prospectsGroup} is the group of customers who never bought: no scored group may take its id`,
    );
}
