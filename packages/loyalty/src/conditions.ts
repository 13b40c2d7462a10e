/**
 * Condition kinds: named, parameterised tests a rule's `when` (or `except`) picks by code and fills
 * with arguments. A host adds its own with {@link defineCondition}. Line conditions choose the lines
 * a rule applies to; basket conditions gate the whole rule; `matched` conditions read the lines the
 * rule matched. Every failing condition says why, for the trace.
 */
import { WEEKDAYS, codeSchema, dateSchema } from '@clientele/core/module';
import * as z from 'zod';
import type { PricedLine } from './basket.js';
import { labelSchema } from './basket.js';
import { CHANNELS, type QuoteFacts } from './quote-context.js';

/** What program compilation hands a kind: how to print money. */
export interface CompileEnv {
  /** Formats minor units, e.g. `¥86.50`. */
  money(minor: number): string;
}

/** A compiled line condition. */
export interface LineTest {
  scope: 'line';
  test(line: PricedLine): boolean;
  /** What it looks for, e.g. `category fresh-fruit or vegetables`. */
  describe: string;
  /**
   * Set when the test is exactly "this field is one of these values": the quote then finds the
   * rule's lines through an index instead of testing every line against every rule.
   */
  index?: { field: 'category' | 'sku' | 'brand'; values: readonly string[] };
}
/** A compiled basket condition. */
export interface BasketTest {
  scope: 'basket';
  test(facts: QuoteFacts): boolean;
  /** Why it failed, e.g. `only on sat, sun (today is mon)`. */
  reason(facts: QuoteFacts): string;
}
/** A compiled condition on the lines a rule matched (their base amount). */
export interface MatchedTest {
  scope: 'matched';
  test(matchedBase: number, facts: QuoteFacts): boolean;
  reason(matchedBase: number, facts: QuoteFacts): string;
}
/** A compiled condition. */
export type CompiledCondition = LineTest | BasketTest | MatchedTest;

/** A condition kind: a code, typed arguments, and a pure test. */
export interface BasketConditionKind<A = any> {
  readonly code: string;
  readonly scope: CompiledCondition['scope'];
  /** One sentence for documentation and back-office editors. */
  readonly description: string;
  /** Schema of the arguments. */
  readonly args: z.ZodType<A>;
  /** Turns arguments into a test; runs once per program, not per quote. */
  compile(args: A, env: CompileEnv): CompiledCondition;
}

/** Declares a condition kind with its argument type inferred. */
export function defineCondition<S extends z.ZodType>(kind: {
  code: string;
  scope: CompiledCondition['scope'];
  description: string;
  args: S;
  compile(args: z.output<S>, env: CompileEnv): CompiledCondition;
}): BasketConditionKind<z.output<S>> {
  return kind as unknown as BasketConditionKind<z.output<S>>;
}

const labels = z.array(labelSchema).min(1, 'list at least one value').max(1000);
const list = (values: readonly string[]) =>
  values.length <= 4 ? values.join(' or ') : `${values.slice(0, 3).join(', ')} or ${values.length - 3} more`;

function lineSet(code: 'category' | 'sku' | 'brand', noun: string): BasketConditionKind<string[]> {
  return defineCondition({
    code,
    scope: 'line',
    description: `Lines whose ${noun} is one of the values listed.`,
    args: code === 'sku' ? z.array(codeSchema).min(1, 'list at least one value').max(10_000) : labels,
    compile(values) {
      const set = new Set(values);
      const describe = `${noun} ${list(values)}`;
      const index = { field: code, values };
      if (code === 'brand')
        return { scope: 'line', test: (l) => l.brand !== null && set.has(l.brand), describe, index };
      if (code === 'sku') return { scope: 'line', test: (l) => set.has(l.sku), describe, index };
      return { scope: 'line', test: (l) => set.has(l.category), describe, index };
    },
  });
}

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'times are HH:MM');
const toMinute = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));

/** The condition kinds every program can use. */
export const BUILT_IN_BASKET_CONDITIONS: readonly BasketConditionKind[] = [
  lineSet('category', 'category'),
  lineSet('sku', 'SKU'),
  lineSet('brand', 'brand'),
  defineCondition({
    code: 'store',
    scope: 'basket',
    description: 'Sales in one of the stores listed.',
    args: z.array(codeSchema).min(1).max(10_000),
    compile(stores) {
      const set = new Set(stores);
      return {
        scope: 'basket',
        test: (f) => set.has(f.storeId),
        reason: (f) => `only in store ${list(stores)} (this is ${f.storeId})`,
      };
    },
  }),
  defineCondition({
    code: 'channel',
    scope: 'basket',
    description: 'Sales through one of the channels listed (store, online, phone, app).',
    args: z.array(z.enum(CHANNELS)).min(1),
    compile(channels) {
      const set = new Set<string>(channels);
      return {
        scope: 'basket',
        test: (f) => set.has(f.channel),
        reason: (f) => `only through ${list(channels)} (this sale: ${f.channel})`,
      };
    },
  }),
  defineCondition({
    code: 'weekday',
    scope: 'basket',
    description: "Sales on the weekdays listed, in the store's time zone.",
    args: z.array(z.enum(WEEKDAYS)).min(1),
    compile(days) {
      const set = new Set<string>(days);
      return {
        scope: 'basket',
        test: (f) => set.has(f.local.weekday),
        reason: (f) => `only on ${days.join(', ')} (today is ${f.local.weekday})`,
      };
    },
  }),
  defineCondition({
    code: 'dates',
    scope: 'basket',
    description: 'Sales between two local dates, both included (either end may be open).',
    args: z
      .object({ from: dateSchema.optional(), to: dateSchema.optional() })
      .strict()
      .refine((d) => d.from !== undefined || d.to !== undefined, 'give from, to or both')
      .refine((d) => d.from === undefined || d.to === undefined || d.from <= d.to, {
        message: 'from is after to',
        path: ['to'],
      }),
    compile({ from, to }) {
      const span = from && to ? `from ${from} to ${to}` : from ? `from ${from}` : `until ${to}`;
      return {
        scope: 'basket',
        test: (f) => (from === undefined || f.local.date >= from) && (to === undefined || f.local.date <= to),
        reason: (f) => `only ${span} (today is ${f.local.date})`,
      };
    },
  }),
  defineCondition({
    code: 'time',
    scope: 'basket',
    description: 'Sales between two local times of day (from included, to excluded).',
    args: z
      .object({ from: hhmm, to: hhmm })
      .strict()
      .refine((t) => t.from < t.to, { message: 'from is not before to', path: ['to'] }),
    compile({ from, to }) {
      const a = toMinute(from);
      const b = toMinute(to);
      return {
        scope: 'basket',
        test: (f) => f.local.minute >= a && f.local.minute < b,
        reason: () => `only between ${from} and ${to}`,
      };
    },
  }),
  defineCondition({
    code: 'tier',
    scope: 'basket',
    description: 'Members of the tiers listed.',
    args: z.array(codeSchema).min(1),
    compile(tiers) {
      const set = new Set(tiers);
      return {
        scope: 'basket',
        test: (f) => f.tier !== null && set.has(f.tier),
        reason: (f) => `only for tier ${list(tiers)} (member is ${f.tier ?? 'not in a tier'})`,
      };
    },
  }),
  defineCondition({
    code: 'segment',
    scope: 'basket',
    description: 'Members in one of the segments listed (segment ids from @clientele/segments, or customer tags).',
    args: z.array(z.string().min(1).max(100)).min(1),
    compile(segments) {
      return {
        scope: 'basket',
        test: (f) => {
          for (const s of segments) if (f.segments.includes(s)) return true;
          return false;
        },
        reason: () => `only for segment ${list(segments)}`,
      };
    },
  }),
  defineCondition({
    code: 'firstPurchase',
    scope: 'basket',
    description: "true: only the member's first purchase; false: every purchase but the first.",
    args: z.boolean(),
    compile(first) {
      return {
        scope: 'basket',
        test: (f) => f.firstPurchase === first,
        reason: () => (first ? 'only on the first purchase' : 'not on the first purchase'),
      };
    },
  }),
  defineCondition({
    code: 'birthdayMonth',
    scope: 'basket',
    description: "true: only in the member's birth month (store time zone).",
    args: z.literal(true),
    compile() {
      return {
        scope: 'basket',
        test: (f) => f.birthdayMonth,
        reason: (f) =>
          f.birthDate === null
            ? 'only in the birthday month (birth date unknown)'
            : `only in the birthday month (${f.birthDate.slice(5, 7)})`,
      };
    },
  }),
  defineCondition({
    code: 'minBasket',
    scope: 'basket',
    description: 'The eligible basket (lines not excluded, at the base amount) reaches this many minor units.',
    args: z.number().int('minimum baskets are whole minor units').positive('minimum baskets are positive'),
    compile(min, env) {
      return {
        scope: 'basket',
        test: (f) => f.eligibleBase >= min,
        reason: (f) => `minimum basket ${env.money(min)} not met (${env.money(f.eligibleBase)})`,
      };
    },
  }),
  defineCondition({
    code: 'minSpend',
    scope: 'matched',
    description: 'The lines the rule matched reach this many minor units (at the base amount).',
    args: z.number().int('minimum spends are whole minor units').positive('minimum spends are positive'),
    compile(min, env) {
      return {
        scope: 'matched',
        test: (base) => base >= min,
        reason: (base) => `minimum spend ${env.money(min)} on matching lines not met (${env.money(base)})`,
      };
    },
  }),
];
