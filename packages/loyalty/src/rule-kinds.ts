/**
 * Rule kinds: what a rule does once its conditions hold, as named definitions with typed arguments
 * (the Vendure model). A program picks a kind by `kind` and writes its arguments beside it; a host
 * registers its own with {@link defineRuleKind}. Three stages, evaluated in this order:
 * - `line`: points per matching line, as an exact fraction (numerator per line over a fixed denominator),
 *   rounded per line or per basket as the program says;
 * - `multiplier`: a factor on the line points of the lines it matches (its extra points are its own);
 * - `basket`: whole points once per basket (bonuses).
 */
import * as z from 'zod';
import type { PricedLine } from './basket.js';
import type { CompileEnv } from './conditions.js';
import { factorSchema, type QuoteFacts } from './quote-context.js';

/**
 * A line as line rules see it: priced, with its base amount (net or gross, less vouchers when the program deducts
 * them).
 */
export type RuleLine = PricedLine;

/** A compiled line rule: points of a line are `numerator(line) / denominator`. */
export interface LineAction {
  stage: 'line';
  denominator: number;
  numerator(line: RuleLine): number;
  /** The rate in words, e.g. `every ¥10.00 = 1 point`. */
  rate: string;
}
/** A compiled multiplier: `factor` in hundredths (150 is x1.5). */
export interface MultiplierAction {
  stage: 'multiplier';
  factor: number;
  /** Ids of the line rules it multiplies (null: all of them). */
  appliesTo: readonly string[] | null;
}
/** A compiled basket rule. */
export interface BasketAction {
  stage: 'basket';
  points(facts: QuoteFacts, matched: { base: number; lines: number }): number;
  /** What it gives in words, e.g. `bonus 200 points`. */
  describe: string;
}
/** A compiled action of any stage. */
export type CompiledAction = LineAction | MultiplierAction | BasketAction;

/** A problem a kind finds in its arguments beyond their schema (paths relative to the rule). */
export interface ArgsProblem {
  path: Array<string | number>;
  message: string;
}

/** A rule kind. `args` is a zod object whose fields are written inline in the rule. */
export interface RuleKind<A extends Record<string, unknown> = any> {
  readonly code: string;
  readonly stage: CompiledAction['stage'];
  /** One sentence for documentation and back-office editors. */
  readonly description: string;
  /** The schema of the rule's `args` in a program: a `z.object({ ... })`. */
  readonly args: z.ZodObject<z.ZodRawShape>;
  /** Checks that need more than one argument; return nothing when fine. */
  check?(args: A): ArgsProblem[];
  compile(args: A, env: CompileEnv): CompiledAction;
}

/** Declares a rule kind with its argument type inferred from `args`. */
export function defineRuleKind<S extends z.ZodRawShape>(kind: {
  code: string;
  stage: CompiledAction['stage'];
  description: string;
  args: z.ZodObject<S>;
  check?(args: z.output<z.ZodObject<S>>): ArgsProblem[];
  compile(args: z.output<z.ZodObject<S>>, env: CompileEnv): CompiledAction;
}): RuleKind<z.output<z.ZodObject<S>>> {
  return kind as unknown as RuleKind<z.output<z.ZodObject<S>>>;
}

const positiveInt = (what: string) =>
  z
    .number()
    .int(`${what} must be a positive integer`)
    .positive(`${what} must be a positive integer`)
    .max(1_000_000_000);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The rule kinds every program can use. */
export const BUILT_IN_RULE_KINDS: readonly RuleKind[] = [
  defineRuleKind({
    code: 'per-spend',
    stage: 'line',
    description: 'Every `every` minor units of base amount earn `points` points ("every 10 yuan = 1 point").',
    args: z.object({ every: positiveInt('every'), points: positiveInt('points').max(1_000_000).default(1) }),
    compile({ every, points }, env) {
      return {
        stage: 'line',
        denominator: every,
        numerator: (l) => l.base * points,
        rate: `every ${env.money(every)} = ${plural(points, 'point')}`,
      };
    },
  }),
  defineRuleKind({
    code: 'per-unit',
    stage: 'line',
    description: 'Every `per` units bought (kilograms for weighed goods) earn `points` points.',
    args: z.object({
      points: positiveInt('points').max(1_000_000),
      per: z
        .number()
        .positive('per must be positive')
        .max(1_000_000)
        .refine((q) => Math.abs(Math.round(q * 1000) - q * 1000) < 1e-6, 'per has at most three decimals')
        .default(1),
    }),
    compile({ points, per }) {
      const perMilli = Math.round(per * 1000);
      return {
        stage: 'line',
        denominator: perMilli,
        numerator: (l) => l.quantityMilli * points,
        rate: `${plural(points, 'point')} per ${per === 1 ? 'unit' : `${per} units`}`,
      };
    },
  }),
  defineRuleKind({
    code: 'multiplier',
    stage: 'multiplier',
    description:
      'Multiplies the line points of the lines it matches by `factor` (x2 weekend, x1.5 gold); `appliesTo` ' +
      'limits it to some line rules.',
    args: z.object({ factor: factorSchema, appliesTo: z.array(z.string().min(1).max(64)).min(1).optional() }),
    compile({ factor, appliesTo }) {
      return { stage: 'multiplier', factor: Math.round(factor * 100), appliesTo: appliesTo ?? null };
    },
  }),
  defineRuleKind({
    code: 'bonus',
    stage: 'basket',
    description: 'A fixed number of points once per basket (first purchase, birthday month, a campaign).',
    args: z.object({ points: positiveInt('points').max(1_000_000) }),
    compile({ points }) {
      return { stage: 'basket', points: () => points, describe: `bonus ${plural(points, 'point')}` };
    },
  }),
];
