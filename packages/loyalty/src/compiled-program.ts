/**
 * A validated program turned into what the quote runs: rules in evaluation order with their
 * conditions compiled to closures, groups resolved, counters' keys prepared. Compiling runs once per
 * program, so each quote only walks arrays and calls small functions.
 */
import { canonicalJson, fingerprint } from '@clientele/core/module';
import type { BasketTest, CompileEnv, LineTest, MatchedTest } from './conditions.js';
import type { Period } from './local-time.js';
import { moneyFormatter } from './money-format.js';
import {
  createRegistry,
  parseProgram,
  type KindOptions,
  type KindRegistry,
  type ProgramConfig,
  type BaseDeduction,
  type ProgramInput,
  type RuleConfig,
} from './program.js';
import { compileRewards, type CompiledReward } from './rewards.js';
import type { CompiledAction } from './rule-kinds.js';

/** Caps as compiled. */
export interface Caps {
  perOrder: number | null;
  perDay: number | null;
  perCustomer: number | null;
}

/** Bits of a base mask: which discounts reduce a base. */
export const BASE_BITS: Readonly<Record<BaseDeduction, number>> = {
  'line-discounts': 1,
  'scoped-vouchers': 2,
  'basket-vouchers': 4,
};

/** The base mask of a list of deductions. */
export function baseMaskOf(deduct: readonly BaseDeduction[]): number {
  let mask = 0;
  for (const d of deduct) mask |= BASE_BITS[d];
  return mask;
}

/** The program's own base mask, from `base.amount` and `base.vouchers`. */
export function programBaseMask(base: ProgramConfig['base']): number {
  return (
    (base.amount === 'net' ? BASE_BITS['line-discounts'] : 0) |
    (base.vouchers === 'deduct' ? BASE_BITS['scoped-vouchers'] | BASE_BITS['basket-vouchers'] : 0)
  );
}

/** A machine-readable reason why a rule earned nothing, with its words. */
export interface RuleWhy {
  code: RuleReason;
  text: string;
}

/**
 * Why a rule earned nothing: `no-eligible-line` (every line was excluded), `no-matching-line` (no
 * eligible line meets its line conditions), `condition` (a basket or matched-lines condition failed;
 * the trace names it), `best-of` (another rule of its best-of group gave more), `below-step` (it
 * applied, but its base or quantity is under one step of its rate, or its extra points round to 0),
 * `capped` (caps, budgets or the program's caps cut it to 0), `zero` (a basket rule that gave 0).
 */
export const RULE_REASONS = [
  'no-eligible-line',
  'no-matching-line',
  'condition',
  'best-of',
  'below-step',
  'capped',
  'zero',
] as const;
/** Why a rule earned nothing. */
export type RuleReason = (typeof RULE_REASONS)[number];

/** A rule ready to evaluate. */
export interface CompiledRule {
  id: string;
  name: string;
  kind: string;
  stage: CompiledAction['stage'];
  priority: number;
  /** Position in evaluation order. */
  order: number;
  group: string | null;
  bestOf: boolean;
  basketTests: BasketTest[];
  /** The condition kind of each basket test, in the same order. */
  basketCodes: string[];
  lineTests: LineTest[];
  exceptTests: LineTest[];
  matchedTests: MatchedTest[];
  /** The condition kind of each matched-lines test, in the same order. */
  matchedCodes: string[];
  /** Whether the rule looks at lines at all (line stages, or line or matched conditions). */
  readsLines: boolean;
  /** Whether its lines are found through the program's line index (by its first indexable test). */
  indexed: boolean;
  /** What lines it takes, in words (`category fresh-fruit`), for "no line" reasons. */
  linesWanted: string;
  /** The reason when no eligible line matches it. */
  noLines: string;
  /** The same, with its code. */
  noLinesReason: RuleWhy;
  /**
   * Which discounts reduce its base (bits: 1 line discounts, 2 scoped vouchers, 4 whole-basket
   * vouchers): its own `deduct`, else the program's.
   */
  baseMask: number;
  /** Whether its base differs from the program's (its lines' bases are worked out for it). */
  ownBase: boolean;
  /** Index of its best-of group among the program's best-of groups (-1: none). */
  bestOfGroup: number;
  /** Whether it has caps or budgets. */
  limited: boolean;
  action: CompiledAction;
  /** Multipliers: the factor in words (`x1.5`). */
  factorLabel: string;
  /** Multipliers: orders of the line rules they apply to (null: all). */
  appliesTo: ReadonlySet<number> | null;
  caps: Caps;
  budgets: ReadonlyArray<{ points: number; period: Period; per: 'program' | 'store' | 'customer'; index: number }>;
}

/** Rules found by a line's field value: for each field, value → rules whose key test wants it. */
export interface LineIndex {
  category: ReadonlyMap<string, readonly number[]>;
  sku: ReadonlyMap<string, readonly number[]>;
  brand: ReadonlyMap<string, readonly number[]>;
}

/** A compiled program: its configuration, its rules in order, and how to print money. */
export interface CompiledProgram {
  /** Rules whose lines are found through {@link LineIndex} (their key test is left out of `lineTests`). */
  readonly index: LineIndex;
  /** Rules that read lines but have no indexable test: every line is tested. */
  readonly scanned: readonly number[];
  /**
   * @internal The index's answer for a basket line object the till sends again at the next scan
   * (checked against the line's category, SKU and brand before it is used).
   */
  readonly lineMemo: WeakMap<object, { category: string; sku: string; brand: string | null; rules: readonly number[] }>;
  /** Orders of the rules of each stage, in evaluation order. */
  readonly stages: { line: readonly number[]; multiplier: readonly number[]; basket: readonly number[] };
  /** Orders of the rules with caps or budgets. */
  readonly limitedRules: readonly number[];
  /** How many best-of groups the rules use. */
  readonly bestOfGroups: number;
  readonly config: ProgramConfig;
  /** A fingerprint of the configuration: sales remember which version of the program earned them. */
  readonly version: string;
  readonly rules: readonly CompiledRule[];
  readonly exclude: readonly LineTest[];
  readonly programCaps: Caps;
  readonly money: (minor: number) => string;
  readonly registry: KindRegistry;
  /** Which discounts reduce the program's base (bits as in {@link CompiledRule.baseMask}). */
  readonly baseMask: number;
  /** Whether the program or any rule deducts vouchers (the quote then splits them over the lines). */
  readonly deductsVouchers: boolean;
  /** The program's product rewards, by id (`checkReward` checks a claim against a basket). */
  readonly rewards: ReadonlyMap<string, CompiledReward>;
}

const noCaps = (
  c: { perOrder?: number | undefined; perDay?: number | undefined; perCustomer?: number | undefined } | undefined,
): Caps => ({
  perOrder: c?.perOrder ?? null,
  perDay: c?.perDay ?? null,
  perCustomer: c?.perCustomer ?? null,
});

/** A factor in hundredths as people write it: 200 is `x2`, 150 is `x1.5`, 125 is `x1.25`. */
export function factorLabel(hundredths: number): string {
  return `x${hundredths % 100 === 0 ? hundredths / 100 : (hundredths / 100).toFixed(hundredths % 10 === 0 ? 1 : 2)}`;
}

/** Compiles a validated program. */
export function compileConfig(config: ProgramConfig, registry: KindRegistry): CompiledProgram {
  const money = moneyFormatter(config.currency, config.locale ?? 'zh-CN');
  const env: CompileEnv = { money };
  const sorted = [...(config.earn as RuleConfig[])].sort(
    (a, b) => b.priority - a.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  const orderOf = new Map(sorted.map((r, i) => [r.id, i]));
  const programMask = programBaseMask(config.base);
  const rules: CompiledRule[] = sorted.map((rule, order) => {
    const kind = registry.rules.get(rule.kind)!;
    const basketTests: BasketTest[] = [];
    const basketCodes: string[] = [];
    const lineTests: LineTest[] = [];
    const matchedTests: MatchedTest[] = [];
    const matchedCodes: string[] = [];
    for (const [code, args] of Object.entries(rule.when ?? {})) {
      if (args === undefined) continue;
      const c = registry.conditions.get(code)!.compile(args, env);
      if (c.scope === 'basket') {
        basketTests.push(c);
        basketCodes.push(code);
      } else if (c.scope === 'line') lineTests.push(c);
      else {
        matchedTests.push(c);
        matchedCodes.push(code);
      }
    }
    const baseMask = rule.deduct ? baseMaskOf(rule.deduct) : programMask;
    const exceptTests: LineTest[] = [];
    for (const [code, args] of Object.entries(rule.except ?? {})) {
      if (args === undefined) continue;
      exceptTests.push(registry.conditions.get(code)!.compile(args, env) as LineTest);
    }
    const action = kind.compile(rule, env);
    const appliesTo =
      action.stage === 'multiplier' && action.appliesTo
        ? new Set(action.appliesTo.map((id) => orderOf.get(id)!))
        : null;
    const wanted = lineTests.map((t) => t.describe);
    if (exceptTests.length) wanted.push(`not ${exceptTests.map((t) => t.describe).join(', not ')}`);
    const noLines = wanted.length ? `no eligible line with ${wanted.join(', ')}` : 'no eligible line';
    return {
      id: rule.id,
      name: rule.name ?? rule.id,
      kind: rule.kind,
      stage: kind.stage,
      priority: rule.priority,
      order,
      group: rule.group ?? null,
      bestOf: rule.group !== undefined && config.groups[rule.group] === 'best-of',
      basketTests,
      basketCodes,
      lineTests,
      exceptTests,
      matchedTests,
      matchedCodes,
      readsLines: kind.stage !== 'basket' || lineTests.length > 0 || exceptTests.length > 0 || matchedTests.length > 0,
      indexed: false,
      linesWanted: wanted.join(', '),
      noLines,
      noLinesReason: { code: wanted.length ? 'no-matching-line' : 'no-eligible-line', text: noLines },
      baseMask,
      ownBase: baseMask !== programMask,
      bestOfGroup: -1,
      limited: rule.caps !== undefined || (rule.budgets?.length ?? 0) > 0,
      action,
      factorLabel: action.stage === 'multiplier' ? factorLabel(action.factor) : '',
      appliesTo,
      caps: noCaps(rule.caps),
      budgets: (rule.budgets ?? []).map((b, index) => ({ points: b.points, period: b.period, per: b.per, index })),
    };
  });
  const exclude: LineTest[] = [];
  for (const [code, args] of Object.entries(config.exclude ?? {})) {
    if (args === undefined) continue;
    exclude.push(registry.conditions.get(code)!.compile(args, env) as LineTest);
  }
  const index = {
    category: new Map<string, number[]>(),
    sku: new Map<string, number[]>(),
    brand: new Map<string, number[]>(),
  };
  const scanned: number[] = [];
  for (const rule of rules) {
    if (!rule.readsLines) continue;
    const key = rule.lineTests.findIndex((t) => t.index !== undefined);
    if (key < 0) {
      scanned.push(rule.order);
      continue;
    }
    const { field, values } = rule.lineTests[key]!.index!;
    rule.lineTests.splice(key, 1);
    rule.indexed = true;
    for (const v of new Set(values)) {
      const list = index[field].get(v);
      if (list) list.push(rule.order);
      else index[field].set(v, [rule.order]);
    }
  }
  const groupIndex = new Map<string, number>();
  for (const rule of rules) {
    if (!rule.bestOf) continue;
    if (!groupIndex.has(rule.group!)) groupIndex.set(rule.group!, groupIndex.size);
    rule.bestOfGroup = groupIndex.get(rule.group!)!;
  }
  const ordersOf = (stage: CompiledAction['stage']) => rules.filter((r) => r.stage === stage).map((r) => r.order);
  return {
    config,
    version: fingerprint(canonicalJson(config)),
    rules,
    exclude,
    programCaps: noCaps(config.caps),
    money,
    registry,
    index,
    scanned,
    lineMemo: new WeakMap(),
    stages: { line: ordersOf('line'), multiplier: ordersOf('multiplier'), basket: ordersOf('basket') },
    limitedRules: rules.filter((r) => r.limited).map((r) => r.order),
    bestOfGroups: groupIndex.size,
    baseMask: programMask,
    rewards: compileRewards(config.rewards ?? [], registry, env),
    deductsVouchers:
      ((programMask | rules.reduce((m, r) => m | r.baseMask, 0)) &
        (BASE_BITS['scoped-vouchers'] | BASE_BITS['basket-vouchers'])) !==
      0,
  };
}

/** Validates and compiles a program with the built-in kinds plus the host's. */
export function compileProgram(input: ProgramInput, kinds: KindOptions = {}): CompiledProgram {
  const registry = createRegistry(kinds);
  return compileConfig(parseProgram(input, registry), registry);
}
