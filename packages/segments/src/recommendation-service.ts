/** Recommendations from purchase lines: pairs bought together and a customer's likely next categories. */
import * as z from 'zod';
import { idSchema, parseInput, scan, type QueryOptions } from '@clientele/core/module';
import { basketPairsCollection, customerStatsCollection } from './collections.js';
import { nextCategories, pairMetrics, type NextCategory } from './bought-together.js';
import type { SegmentsRuntime } from './runtime.js';

/** A pair bought together, with its counts and metrics (from the last rebuild). */
export interface BoughtTogether {
  level: 'item' | 'category';
  /** Bought first (the antecedent) ... */
  a: string;
  /** ... and with it. */
  b: string;
  together: number;
  /** Share of baskets holding both. */
  support: number;
  /** Share of baskets holding `a` that also hold `b`. */
  confidence: number;
  /** How many times more often than chance. */
  lift: number;
}

/** Input of `recommendations.boughtTogether`. */
export const boughtTogetherSchema = z
  .object({
    level: z.enum(['item', 'category']).default('category'),
    /** Only pairs whose first item (or category) is this. */
    of: z.string().min(1).max(64).optional(),
    limit: z.number().int().min(1).max(1000).default(10),
  })
  .strict();

/** Options of `recommendations.boughtTogether`. */
export type BoughtTogetherInput = z.input<typeof boughtTogetherSchema>;

/** Options of `recommendations.nextCategories`. */
export interface NextCategoriesInput {
  /** At most this many categories (default 5, at most 100). */
  limit?: number;
}

/** `crm.segments.recommendations`: pairs bought together and a customer's likely next categories. */
export interface Recommendations {
  /**
   * Pairs bought together: of one item or category by confidence, or overall by lift (each unordered
   * pair once); counts over every basket, so no reader is needed.
   */
  boughtTogether(input?: BoughtTogetherInput): Promise<BoughtTogether[]>;
  /** A customer's likely next categories. Needs `segments.read`. */
  nextCategories(customerId: string, options: QueryOptions): Promise<NextCategory[]>;
  /** A customer's likely next categories, at most `limit` of them. Needs `segments.read`. */
  nextCategories(
    customerId: string,
    input: NextCategoriesInput | undefined,
    options: QueryOptions,
  ): Promise<NextCategory[]>;
}

/** Builds the recommendation queries. */
export function createRecommendationService(runtime: SegmentsRuntime): Recommendations {
  const { kernel } = runtime;
  async function pairs(level: 'item' | 'category', of?: string): Promise<BoughtTogether[]> {
    const out: BoughtTogether[] = [];
    for await (const p of scan(kernel.store, basketPairsCollection, {
      where: of === undefined ? { level } : { level, a: of },
    })) {
      out.push({ level, a: p.a, b: p.b, together: p.together, ...pairMetrics(p) });
    }
    return out;
  }

  /** Pairs bought together: of one item or category by confidence, or overall by lift (each unordered pair once). */
  async function boughtTogether(input: BoughtTogetherInput = {}): Promise<BoughtTogether[]> {
    const q = parseInput(boughtTogetherSchema, input);
    const list = await pairs(q.level, q.of);
    if (q.of !== undefined)
      return list
        .sort((x, y) => y.confidence - x.confidence || y.lift - x.lift || (x.b < y.b ? -1 : 1))
        .slice(0, q.limit);
    const seen = new Set<string>();
    return list
      .sort((x, y) => y.lift - x.lift || y.together - x.together || (x.a + x.b < y.a + y.b ? -1 : 1))
      .filter((p) => {
        const key = p.a < p.b ? `${p.a}\u0000${p.b}` : `${p.b}\u0000${p.a}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      })
      .slice(0, q.limit);
  }

  /** A customer's likely next categories, from their own history and what shoppers of the same categories buy. */
  async function nextCategoriesOf(customerId: string, options: NextCategoriesInput = {}): Promise<NextCategory[]> {
    const id = parseInput(idSchema, customerId, ['customerId']);
    const limit = parseInput(z.number().int().min(1).max(100).default(5), options.limit, ['limit']);
    const stats = await kernel.store.get(customerStatsCollection, id);
    const associations = (await pairs('category')).map((p) => ({ a: p.a, b: p.b, confidence: p.confidence }));
    return nextCategories(stats?.categories ?? {}, associations, limit);
  }

  return {
    boughtTogether,
    nextCategories: kernel.query({
      name: 'segments.recommendations.nextCategories',
      permission: 'segments.read',
      reads: (_list, [customerId]) => [customerId],
      run: nextCategoriesOf,
    }),
  };
}
