/**
 * Product rewards: goods a member takes with points instead of money, as the program declares them.
 * A `free-product` reward gives units of the goods its `product` conditions pick; a `buy-x-get-y`
 * reward gives `getQuantity` units of its `get` goods for every `buyQuantity` units of its `buy` goods
 * bought in the same basket. Either is priced per set of units: `points` for every `per` units
 * claimed, a part set costing a whole one ("every 2 units cost 3 points": 3 units cost 6).
 *
 * Pure: the till's check, the checkout and a web POS offline decide with these functions. The free
 * units are the cheapest the basket holds that the reward may give.
 */
import { refundFor } from '@clientele/core/module';
import * as z from 'zod';
import type { PricedLine } from './basket.js';
import type { BasketConditionKind, CompileEnv, LineTest } from './conditions.js';

/** The condition kinds a reward's conditions are compiled with (a program's registry). */
export interface ConditionKinds {
  readonly conditions: ReadonlyMap<string, BasketConditionKind>;
}

/** The kinds of product reward. */
export const REWARD_KINDS = ['free-product', 'buy-x-get-y'] as const;
/** A kind of product reward. */
export type RewardKind = (typeof REWARD_KINDS)[number];

const count = (what: string, max: number) =>
  z.number().int(`${what} is a whole number`).min(1, `${what} is at least 1`).max(max);

/**
 * The schema of a program's `rewards`, built on the line conditions of the program's registry
 * (`category`, `sku`, `brand` and the host's own line kinds).
 */
export function rewardSchema(lineConditions: z.ZodType) {
  const picks = lineConditions.refine(
    (c) => Object.values(c as Record<string, unknown>).some((v) => v !== undefined),
    'name at least one line condition (category, sku, brand)',
  );
  const common = {
    /** Unique among the program's rewards; claims name it. */
    id: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'reward ids are codes'),
    name: z.string().min(1).max(100).optional(),
    /** Points for every set of `per` units claimed. */
    points: count('points', 1_000_000),
    /** Units in a set (default 1, or `getQuantity` for buy-x-get-y); a part set costs a whole one. */
    per: count('per', 1000).optional(),
  };
  return z.discriminatedUnion('kind', [
    z
      .object({
        ...common,
        kind: z.literal('free-product'),
        /** The goods given: lines matching all of these conditions. */
        product: picks,
      })
      .strict(),
    z
      .object({
        ...common,
        kind: z.literal('buy-x-get-y'),
        /** The goods that must be bought. */
        buy: picks,
        buyQuantity: count('buyQuantity', 1000),
        /** The goods given. */
        get: picks,
        getQuantity: count('getQuantity', 1000),
      })
      .strict(),
  ]);
}

/** A product reward as a program declares it. */
export type RewardConfig =
  | { id: string; name?: string; kind: 'free-product'; points: number; per?: number; product: Record<string, unknown> }
  | {
      id: string;
      name?: string;
      kind: 'buy-x-get-y';
      points: number;
      per?: number;
      buy: Record<string, unknown>;
      buyQuantity: number;
      get: Record<string, unknown>;
      getQuantity: number;
    };

/** A reward ready to check baskets against. */
export interface CompiledReward {
  id: string;
  name: string;
  kind: RewardKind;
  /** Points for every `per` units. */
  points: number;
  per: number;
  /** Lines whose units may be given. */
  gives: readonly LineTest[];
  /** Lines that must be bought first (buy-x-get-y; empty for a free product). */
  buys: readonly LineTest[];
  /** Units to buy for each set of `getQuantity` given (0: none). */
  buyQuantity: number;
  getQuantity: number;
}

function compileTests(conditions: Record<string, unknown>, registry: ConditionKinds, env: CompileEnv): LineTest[] {
  const tests: LineTest[] = [];
  for (const [code, args] of Object.entries(conditions)) {
    if (args === undefined) continue;
    tests.push(registry.conditions.get(code)!.compile(args, env) as LineTest);
  }
  return tests;
}

/** Compiles a program's rewards, by id. */
export function compileRewards(
  rewards: readonly RewardConfig[],
  registry: ConditionKinds,
  env: CompileEnv,
): ReadonlyMap<string, CompiledReward> {
  const out = new Map<string, CompiledReward>();
  for (const r of rewards) {
    const free = r.kind === 'free-product';
    out.set(r.id, {
      id: r.id,
      name: r.name ?? r.id,
      kind: r.kind,
      points: r.points,
      per: r.per ?? (free ? 1 : r.getQuantity),
      gives: compileTests(free ? r.product : r.get, registry, env),
      buys: free ? [] : compileTests(r.buy, registry, env),
      buyQuantity: free ? 0 : r.buyQuantity,
      getQuantity: free ? 1 : r.getQuantity,
    });
  }
  return out;
}

/** Points a claim of `units` costs: `points` for every set of `per` units, a part set counted whole. */
export function rewardCost(reward: Pick<CompiledReward, 'points' | 'per'>, units: number): number {
  return Math.ceil(units / reward.per) * reward.points;
}

/**
 * Why a basket does not carry a claim: `not_in_basket` (no line has goods the reward gives),
 * `too_few_units` (fewer whole units of them than claimed), `buy_more` (too few units of the goods
 * to buy for the units claimed).
 */
export const REWARD_REFUSALS = ['not_in_basket', 'too_few_units', 'buy_more'] as const;
/** Why a basket does not carry a claim. */
export type RewardRefusal = (typeof REWARD_REFUSALS)[number];

/** The units a claim takes free from one line, and what they are worth. */
export interface FreeUnits {
  /** Position of the line in the basket. */
  line: number;
  units: number;
  /** Their share of the line's net amount (minor units). */
  value: number;
}

/** Whether a basket carries a claim, what it costs and is worth, and which units are free. */
export interface RewardCheck {
  ok: boolean;
  /** Why not (null when it does). */
  refusal: RewardRefusal | null;
  units: number;
  /** Points the claim costs. */
  points: number;
  /** What the free units are worth: what the sale's reward payment must be (minor units). */
  value: number;
  free: FreeUnits[];
  /** Whole units of the goods given in the basket, and units bought toward it (buy-x-get-y). */
  available: number;
  bought: number;
  /** Units to buy for the units claimed (0 for a free product). */
  needed: number;
}

const wholeUnits = (l: PricedLine) => Math.floor(l.quantityMilli / 1000);
const passes = (tests: readonly LineTest[], l: PricedLine) => tests.every((t) => t.test(l));

/**
 * Checks a claim of `units` of a reward against a basket's lines (priced; a returned part has left
 * them already). The cheapest units the reward may give are the free ones.
 */
export function checkReward(reward: CompiledReward, lines: readonly PricedLine[], units: number): RewardCheck {
  const candidates: number[] = [];
  let available = 0;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (wholeUnits(l) > 0 && passes(reward.gives, l)) {
      candidates.push(i);
      available += wholeUnits(l);
    }
  }
  // Cheapest first (unit price compared exactly), then by SKU and position, so the choice is stable.
  candidates.sort((a, b) => {
    const x = lines[a]!;
    const y = lines[b]!;
    const d = x.net * y.quantityMilli - y.net * x.quantityMilli;
    return d !== 0 ? d : x.sku < y.sku ? -1 : x.sku > y.sku ? 1 : a - b;
  });
  const free: FreeUnits[] = [];
  const takenFrom = new Map<number, number>();
  let left = units;
  let value = 0;
  for (const i of candidates) {
    if (left === 0) break;
    const l = lines[i]!;
    const take = Math.min(left, wholeUnits(l));
    const worth = refundFor(l.net, l.quantityMilli, 0, take * 1000);
    free.push({ line: i, units: take, value: worth });
    takenFrom.set(i, take);
    value += worth;
    left -= take;
  }
  const needed = reward.buyQuantity > 0 ? Math.ceil(units / reward.getQuantity) * reward.buyQuantity : 0;
  let bought = 0;
  if (needed > 0)
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!;
      if (passes(reward.buys, l)) bought += Math.max(0, wholeUnits(l) - (takenFrom.get(i) ?? 0));
    }
  const refusal: RewardRefusal | null =
    candidates.length === 0 ? 'not_in_basket' : left > 0 ? 'too_few_units' : bought < needed ? 'buy_more' : null;
  return {
    ok: refusal === null,
    refusal,
    units,
    points: rewardCost(reward, units),
    value: refusal === null ? value : 0,
    free: refusal === null ? free : [],
    available,
    bought,
    needed,
  };
}

/** The most units of a claim of `units` that a basket still carries (after a return, say): 0 to `units`. */
export function supportedUnits(reward: CompiledReward, lines: readonly PricedLine[], units: number): number {
  for (let u = units; u > 0; u--) if (checkReward(reward, lines, u).ok) return u;
  return 0;
}

/** Words for a refusal, with what the basket holds. */
export function rewardRefusalText(reward: CompiledReward, check: RewardCheck): string {
  switch (check.refusal) {
    case 'not_in_basket':
      return `the basket has none of the goods ${reward.name} gives`;
    case 'too_few_units':
      return `${reward.name}: ${check.units} units claimed, the basket has ${check.available}`;
    case 'buy_more':
      return (
        `${reward.name}: ${check.needed} units must be bought for ${check.units} free, ` +
        `the basket has ${check.bought}`
      );
    default:
      return `${reward.name} applies`;
  }
}
