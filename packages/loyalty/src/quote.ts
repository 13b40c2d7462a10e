/**
 * The quote: how many points a basket earns and why. Pure and synchronous (a web POS runs it
 * offline at every scan). The evaluation order, as documented in `docs/loyalty.md`:
 *
 * 1. Each line's base amount (net or gross; less its share of vouchers when the program deducts them:
 *    a voucher scoped to some lines is split over those lines only, a whole-basket one over every
 *    eligible line). A rule with its own `deduct` earns on its own base, from the same shares.
 * 2. Exclusions: a line matching any of them earns nothing.
 * 3. Rules in order (priority, highest first; then id). A rule applies when all its basket
 *    conditions hold, it matches at least one eligible line, and its matched-lines conditions hold.
 * 4. Line rules give each matching line `numerator / denominator` points, rounded per line or per
 *    basket; in a best-of group only the best rule for each line counts.
 * 5. Multipliers add `(factor - 1)` times the line points of the lines they match (best-of groups:
 *    the largest factor per line); the segment policy's multiplier works the same way on all lines.
 * 6. Basket rules give fixed points (best-of groups: the largest).
 * 7. Caps and budgets of each rule, then the program's caps on the total, trimming the
 *    lowest-priority rules first.
 *
 * The result never depends on the order of the lines. Numbers are computed at once; the words of
 * the trace (`text`, `earned`, `reason`) are written when first read, since a till re-quotes at
 * every scan and rarely prints.
 */
import type { Basket, PricedLine, PricedVoucher } from './basket.js';
import { priceBasket, voucherList } from './basket.js';
import {
  BASE_BITS,
  factorLabel,
  type CompiledProgram,
  type CompiledRule,
  type RuleReason,
  type RuleWhy,
} from './compiled-program.js';
import type { BasketTest, MatchedTest } from './conditions.js';
import type { BasketAction, LineAction, MultiplierAction } from './rule-kinds.js';
import { budgetKey, customerCapKey, dayCapKey, isMemberCounter } from './counter-keys.js';
import { localTime } from './local-time.js';
import { divide, mulDiv, valueOfPoints, type PointsRounding } from './points-math.js';
import { contextFacts, type QuoteContext, type QuoteFacts } from './quote-context.js';

/** What one rule gave one line. */
export interface LineAward {
  rule: string;
  /** Whole points (per-line rounding), or null when the program rounds per basket. */
  points: number | null;
  text: string;
}

/** A cap or budget that cut a rule's points. */
export interface LimitTrace {
  kind: 'per-order' | 'per-day' | 'per-customer' | 'budget' | 'order-total' | 'day-total' | 'customer-total';
  limit: number;
  /** Counted against it before this sale. */
  used: number;
  /** Points it took away. */
  cut: number;
  text: string;
}

/** Points a commit adds to a cap or budget counter. */
export interface CounterUse {
  key: string;
  points: number;
  limit: number;
  customerId: string | null;
}

/** Everything one evaluation worked out; the traces read it to write their words. */
interface Evaluation {
  p: CompiledProgram;
  facts: QuoteFacts;
  lines: readonly PricedLine[];
  excluded: ReadonlyArray<string | null>;
  perLine: boolean;
  /** Per-line rounding: each line rule's points, aligned with its matched lines. */
  linePoints: ReadonlyArray<number[] | null>;
  /** Per-line rounding: each multiplier's extra points, aligned with its matched lines. */
  extras: ReadonlyArray<number[] | null>;
  /** The segment policy's extra points, aligned with the eligible lines. */
  policyExtras: number[] | null;
  eligible: readonly number[];
  matched: readonly number[][];
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Why a line earned what it did. Serialises (JSON) with its words. */
export class LineTrace {
  /** Position in the basket (0-based). */
  readonly line: number;
  readonly sku: string;
  readonly name: string | null;
  readonly category: string;
  readonly brand: string | null;
  /** Net amount of the line (after its discount). */
  readonly amount: number;
  /** The amount points were earned on. */
  readonly base: number;
  /** Why the line earns nothing (`excluded: category tobacco`), or null. */
  readonly excluded: string | null;
  /**
   * Line points before caps (per-line rounding), or null when the program rounds per basket or the line is excluded.
   */
  readonly points: number | null;
  readonly #ev: Evaluation;
  #earned: LineAward[] | null = null;

  /** @internal */
  constructor(ev: Evaluation, i: number, points: number | null) {
    const l = ev.lines[i]!;
    this.#ev = ev;
    this.line = i;
    this.sku = l.sku;
    this.name = l.name;
    this.category = l.category;
    this.brand = l.brand;
    this.amount = l.net;
    this.base = l.base;
    this.excluded = ev.excluded[i]!;
    this.points = points;
  }

  /** What each rule gave this line, line rules first, then multipliers. */
  get earned(): LineAward[] {
    if (this.#earned) return this.#earned;
    const ev = this.#ev;
    const rules = ev.p.rules;
    const i = this.line;
    const out: LineAward[] = [];
    if (this.excluded === null) {
      let earns = false;
      for (let r = 0; r < rules.length; r++) {
        const rule = rules[r]!;
        if (rule.action.stage !== 'line') continue;
        const k = ev.matched[r]!.indexOf(i);
        if (k < 0) continue;
        earns = true;
        if (ev.perLine) {
          const pts = ev.linePoints[r]![k]!;
          out.push({ rule: rule.id, points: pts, text: `${rule.name}: ${rule.action.rate} → ${pts}` });
        } else
          out.push({
            rule: rule.id,
            points: null,
            text: `${rule.name}: ${rule.action.rate}, counted in the basket total`,
          });
      }
      for (let r = 0; r < rules.length && earns; r++) {
        const rule = rules[r]!;
        if (rule.action.stage !== 'multiplier') continue;
        const k = ev.matched[r]!.indexOf(i);
        if (k < 0) continue;
        if (!ev.perLine)
          out.push({
            rule: rule.id,
            points: null,
            text: `${rule.factorLabel} ${rule.name}, counted in the basket total`,
          });
        else if (ev.extras[r]![k])
          out.push({
            rule: rule.id,
            points: ev.extras[r]![k]!,
            text: `${rule.factorLabel} ${rule.name} +${ev.extras[r]![k]}`,
          });
      }
      if (ev.facts.policyFactor > 100 && earns) {
        const f = factorLabel(ev.facts.policyFactor);
        const x = ev.policyExtras?.[ev.eligible.indexOf(i)];
        if (!ev.perLine)
          out.push({ rule: 'segment-policy', points: null, text: `${f} segment policy, counted in the basket total` });
        else if (x) out.push({ rule: 'segment-policy', points: x, text: `${f} segment policy +${x}` });
      }
    }
    return (this.#earned = out);
  }

  /** One readable line: `Fresh produce ¥86.50: Fresh food: every ¥10.00 = 1 point → 8; x2 Weekend +8 = 16 points`. */
  get text(): string {
    const label = `${this.name ?? this.category} ${this.#ev.p.money(this.base)}`;
    if (this.excluded !== null) return `${label}: ${this.excluded}`;
    const earned = this.earned;
    if (earned.length === 0) return `${label}: no rule earns on this line`;
    const total = this.points !== null ? ` = ${plural(this.points, 'point')}` : '';
    return `${label}: ${earned.map((e) => e.text).join('; ')}${total}`;
  }

  /** The trace as plain data, words included. */
  toJSON() {
    const { line, sku, name, category, brand, amount, base, excluded, points, earned, text } = this;
    return { line, sku, name, category, brand, amount, base, excluded, points, earned, text };
  }
}

/** Why a rule gave what it did, or why it gave nothing. Serialises (JSON) with its words. */
export class RuleTrace {
  readonly rule: string;
  readonly name: string;
  readonly kind: string;
  readonly stage: 'line' | 'multiplier' | 'basket' | 'policy';
  readonly priority: number;
  /** Whether it applied (its conditions held and it matched a line); it may still have earned 0. */
  readonly matched: boolean;
  /**
   * Why it earned nothing, for a machine (`below-step`, `condition`, `best-of`, ...: every code is in
   * `RULE_REASONS`), or null when it earned points.
   */
  readonly reason: RuleReason | null;
  /** The condition kind that failed (`weekday`, `minBasket`, ...) when `reason` is `condition`, else null. */
  readonly condition: string | null;
  /** Lines it applied to. */
  readonly lines: readonly number[];
  /** Base amount of those lines, as this rule counts it. */
  readonly base: number;
  /** Points before caps and budgets. */
  readonly uncapped: number;
  readonly points: number;
  readonly limits: readonly LimitTrace[];
  readonly #why: (() => string) | null;
  readonly #what: () => string;
  #words: string | null | undefined;

  /** @internal */
  constructor(fields: Omit<RuleTrace, 'why' | 'text' | 'toJSON'>, why: (() => string) | null, what: () => string) {
    this.rule = fields.rule;
    this.name = fields.name;
    this.kind = fields.kind;
    this.stage = fields.stage;
    this.priority = fields.priority;
    this.matched = fields.matched;
    this.reason = fields.reason;
    this.condition = fields.condition;
    this.lines = fields.lines;
    this.base = fields.base;
    this.uncapped = fields.uncapped;
    this.points = fields.points;
    this.limits = fields.limits;
    this.#why = why;
    this.#what = what;
  }

  /** Why it earned nothing, in words (`minimum basket ¥100.00 not met (¥86.50)`), or null when it earned points. */
  get why(): string | null {
    if (this.#words === undefined) this.#words = this.#why ? this.#why() : null;
    return this.#words;
  }

  /** One readable line, e.g. `Weekend: not applied, only on sat, sun (today is mon)`. */
  get text(): string {
    if (!this.matched) return `${this.name}: not applied, ${this.why}`;
    const limited = this.limits.length
      ? `, limited to ${this.points} (${this.limits.map((x) => x.text).join('; ')})`
      : '';
    const nothing = this.reason === 'below-step' || this.reason === 'zero' ? ` (${this.why})` : '';
    return `${this.name}: ${this.#what()}${limited}${nothing}`;
  }

  /** The trace as plain data, words included. */
  toJSON() {
    const { rule, name, kind, stage, priority, matched, reason, condition, why, lines, base } = this;
    const { uncapped, points, limits, text } = this;
    return {
      rule,
      name,
      kind,
      stage,
      priority,
      matched,
      reason,
      condition,
      why,
      lines,
      base,
      uncapped,
      points,
      limits,
      text,
    };
  }
}

/** A quote: the total, its money value, and the trace that explains every number. */
export interface Quote {
  readonly points: number;
  /** Money value of the points at the program's rate (minor units). */
  readonly value: number;
  /** Base amount of the eligible lines. */
  readonly base: number;
  /** One trace per basket line, in basket order. */
  readonly lines: LineTrace[];
  /** One trace per rule in evaluation order (and the segment policy's multiplier last, when there is one). */
  readonly rules: RuleTrace[];
  /** What committing this quote adds to each cap and budget counter. */
  readonly counters: CounterUse[];
}

/** A quote whose traces are built on first read. Serialises (JSON) in full. */
class QuoteResult implements Quote {
  readonly #state: TraceState;
  #traces: { lines: LineTrace[]; rules: RuleTrace[] } | null = null;

  constructor(
    readonly points: number,
    readonly value: number,
    readonly base: number,
    readonly counters: CounterUse[],
    state: TraceState,
  ) {
    this.#state = state;
  }

  get lines(): LineTrace[] {
    return (this.#traces ??= buildTraces(this.#state)).lines;
  }

  get rules(): RuleTrace[] {
    return (this.#traces ??= buildTraces(this.#state)).rules;
  }

  toJSON() {
    return {
      points: this.points,
      value: this.value,
      base: this.base,
      lines: this.lines,
      rules: this.rules,
      counters: this.counters,
    };
  }
}

/** `round(sum(nums) * scale / den)`, exact even when the sum outgrows safe integers. */
function sumDivide(nums: readonly number[], _all: null, scale: number, den: number, mode: PointsRounding): number {
  let sum = 0;
  for (const v of nums) sum += v * scale;
  if (Number.isSafeInteger(sum)) return divide(sum, den, mode);
  let big = 0n;
  for (const v of nums) big += BigInt(v) * BigInt(scale);
  const d = BigInt(den);
  const q = big / d;
  return Number(q) + mulDiv(Number(big - q * d), 1, den, mode);
}

/** What is left to pay on a line once the scoped vouchers split so far are taken off: what a voucher is split by. */
const payable = (l: PricedLine) => l.net - l.scopedVouchers;

/**
 * Splits a voucher of `amount` over lines `idx` in proportion to what is left to pay on each (never
 * more than that in all; largest remainder; ties by line content, so the order of the lines never
 * matters), adding each share to the line's scoped or whole-basket voucher share.
 */
function split(
  amount: number,
  lines: readonly PricedLine[],
  idx: readonly number[],
  into: 'scopedVouchers' | 'basketVouchers',
): void {
  let sum = 0;
  for (const i of idx) sum += payable(lines[i]!);
  const take = Math.min(amount, sum);
  if (take <= 0) return;
  const total = BigInt(sum);
  const shares: number[] = [];
  const rest: Array<{ k: number; r: bigint; key: string }> = [];
  let given = 0;
  idx.forEach((i, k) => {
    const l = lines[i]!;
    const w = payable(l);
    const n = BigInt(take) * BigInt(w);
    const q = n / total;
    shares.push(Number(q));
    given += Number(q);
    rest.push({
      k,
      r: n - q * total,
      key: `${l.sku}\u0000${l.category}\u0000${l.brand ?? ''}\u0000${String(w).padStart(16, '0')}`,
    });
  });
  rest.sort((a, b) => (a.r > b.r ? -1 : a.r < b.r ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (let j = 0; j < take - given; j++) shares[rest[j]!.k]! += 1;
  for (let k = 0; k < idx.length; k++) lines[idx[k]!]![into] += shares[k]!;
}

/**
 * Splits the vouchers over the eligible lines: each voucher scoped to lines over the eligible lines it
 * covers, first; then the whole-basket vouchers over every eligible line, by what is left to pay.
 */
function shareVouchers(
  vouchers: readonly PricedVoucher[],
  lines: readonly PricedLine[],
  eligible: readonly number[],
  excluded: ReadonlyArray<string | null>,
): void {
  let whole = 0;
  for (const v of vouchers) {
    if (v.lines === null) {
      whole += v.amount;
      continue;
    }
    const covered: number[] = [];
    for (const i of v.lines) if (i < lines.length && excluded[i] === null) covered.push(i);
    if (covered.length) split(v.amount, lines, covered, 'scopedVouchers');
  }
  if (whole > 0) split(whole, lines, eligible, 'basketVouchers');
}

const LINE_DISCOUNTS = BASE_BITS['line-discounts'];
const SCOPED_VOUCHERS = BASE_BITS['scoped-vouchers'];
const BASKET_VOUCHERS = BASE_BITS['basket-vouchers'];

/** A line's base under a mask: its gross price less the discounts the mask names. */
function baseOf(l: PricedLine, mask: number): number {
  return (
    l.gross -
    (mask & LINE_DISCOUNTS ? l.discount : 0) -
    (mask & SCOPED_VOUCHERS ? l.scopedVouchers : 0) -
    (mask & BASKET_VOUCHERS ? l.basketVouchers : 0)
  );
}

/** The base a rule counts for a line: the line's own, unless the rule names other discounts. */
const ruleBase = (rule: CompiledRule, l: PricedLine) => (rule.ownBase ? baseOf(l, rule.baseMask) : l.base);

/** The base a rule counts for lines `idx`. */
function baseSum(rule: CompiledRule, lines: readonly PricedLine[], idx: readonly number[]): number {
  let base = 0;
  for (const i of idx) base += ruleBase(rule, lines[i]!);
  return base;
}

/**
 * Why a rule did not apply: a final reason with its words, a basket condition that failed (its words
 * are written when read), or a matched-lines condition that failed on `base`.
 */
type Reason = null | RuleWhy | BasketTest | { test: MatchedTest; base: number };

function reasonText(reason: Reason, facts: QuoteFacts): string | null {
  if (reason === null) return null;
  if ('scope' in reason) return reason.reason(facts);
  return 'code' in reason ? reason.text : reason.test.reason(reason.base, facts);
}

/** The code of a reason, and the condition kind that failed when it is a condition. */
function reasonCode(reason: Exclude<Reason, null>, rule: CompiledRule): { code: RuleReason; condition: string | null } {
  if ('scope' in reason)
    return { code: 'condition', condition: rule.basketCodes[rule.basketTests.indexOf(reason)] ?? null };
  if ('code' in reason) return { code: reason.code, condition: null };
  return { code: 'condition', condition: rule.matchedCodes[rule.matchedTests.indexOf(reason.test)] ?? null };
}

const NO_ELIGIBLE_LINE: RuleWhy = { code: 'no-eligible-line', text: 'no eligible line' };
const bestOf = (text: string): RuleWhy => ({ code: 'best-of', text });

const EMPTY: number[] = [];
const NO_LIMITS: LimitTrace[] = [];

/**
 * Evaluates priced lines against a compiled program. Internal: `quote` validates first. Sets each
 * line's `base`; the lines belong to the quote afterwards. `sources` are the caller's line objects,
 * when there are any: a till sends the same ones at every scan, and their index answers are reused.
 */
export function evaluateProgram(
  p: CompiledProgram,
  lines: PricedLine[],
  vouchers: number | readonly PricedVoucher[],
  facts: QuoteFacts,
  sources?: readonly object[],
): Quote {
  const cfg = p.config;
  const mode = cfg.rounding.mode;
  const perLine = cfg.rounding.per === 'line';
  const n = lines.length;
  const rules = p.rules;
  const R = rules.length;

  // 1-2. Base amounts and exclusions.
  const mask = p.baseMask;
  const useGross = (mask & LINE_DISCOUNTS) === 0;
  const excluded: Array<string | null> = new Array(n);
  const eligible: number[] = [];
  let eligibleBase = 0;
  for (let i = 0; i < n; i++) {
    const l = lines[i]!;
    l.base = useGross ? l.gross : l.net;
    l.scopedVouchers = 0;
    l.basketVouchers = 0;
    let out: string | null = null;
    if (l.quantityMilli === 0) out = 'returned';
    else
      for (const t of p.exclude)
        if (t.test(l)) {
          // Name the value that matched (`category tobacco`), not the whole list.
          out = t.index
            ? `excluded: ${t.index.field === 'sku' ? 'SKU' : t.index.field} ${l[t.index.field]}`
            : `excluded: ${t.describe}`;
          break;
        }
    excluded[i] = out;
    if (out === null) {
      eligible.push(i);
      eligibleBase += l.base;
    }
  }
  const paid = typeof vouchers === 'number' ? voucherList(vouchers) : vouchers;
  if (paid.length > 0 && p.deductsVouchers && eligible.length > 0) {
    shareVouchers(paid, lines, eligible, excluded);
    const cut = mask & (SCOPED_VOUCHERS | BASKET_VOUCHERS);
    if (cut)
      for (const i of eligible) {
        const l = lines[i]!;
        const d = (cut & SCOPED_VOUCHERS ? l.scopedVouchers : 0) + (cut & BASKET_VOUCHERS ? l.basketVouchers : 0);
        l.base -= d;
        eligibleBase -= d;
      }
  }
  facts.eligibleBase = eligibleBase;

  // 3. Which rules apply, to which lines.
  const why: Reason[] = new Array(R);
  const noLine = eligible.length === 0;
  for (let r = 0; r < R; r++) {
    let reason: Reason = null;
    for (const t of rules[r]!.basketTests)
      if (!t.test(facts)) {
        reason = t;
        break;
      }
    // Every rule needs an eligible line: a basket returned in full earns no bonus either.
    why[r] = reason === null && noLine ? NO_ELIGIBLE_LINE : reason;
  }
  // Indexed rules: each line looks up the rules that want its category, SKU or brand.
  const found: Array<number[] | undefined> = new Array(R);
  const index = p.index;
  if (!noLine && index.category.size + index.sku.size + index.brand.size > 0) {
    const memo = p.lineMemo;
    for (const i of eligible) {
      const l = lines[i]!;
      const source = sources?.[i];
      let list: readonly number[] | undefined;
      if (source !== undefined) {
        const m = memo.get(source);
        if (m !== undefined && m.category === l.category && m.sku === l.sku && m.brand === l.brand) list = m.rules;
      }
      if (list === undefined) {
        const byCategory = index.category.get(l.category);
        const bySku = index.sku.get(l.sku);
        const byBrand = l.brand === null ? undefined : index.brand.get(l.brand);
        // A rule is indexed under one field only, so the three lists never share a rule.
        list = [...(byCategory ?? EMPTY), ...(bySku ?? EMPTY), ...(byBrand ?? EMPTY)];
        if (source !== undefined) memo.set(source, { category: l.category, sku: l.sku, brand: l.brand, rules: list });
      }
      outer: for (const r of list) {
        if (why[r] !== null) continue;
        const rule = rules[r]!;
        for (const t of rule.lineTests) if (!t.test(l)) continue outer;
        for (const t of rule.exceptTests) if (t.test(l)) continue outer;
        const at = found[r];
        if (at === undefined) found[r] = [i];
        else at.push(i);
      }
    }
  }
  const matched: number[][] = new Array(R);
  const matchedBase: number[] = new Array(R);
  for (let r = 0; r < R; r++) {
    const rule = rules[r]!;
    let reason = why[r]!;
    let idx = eligible;
    let base = eligibleBase;
    if (reason === null && rule.readsLines) {
      if (rule.indexed) idx = found[r] ?? EMPTY;
      else if (rule.lineTests.length > 0 || rule.exceptTests.length > 0) {
        idx = [];
        outer: for (const i of eligible) {
          const l = lines[i]!;
          for (const t of rule.lineTests) if (!t.test(l)) continue outer;
          for (const t of rule.exceptTests) if (t.test(l)) continue outer;
          idx.push(i);
        }
      }
      if (idx !== eligible || rule.ownBase) base = baseSum(rule, lines, idx);
      if (idx.length === 0) reason = rule.noLinesReason;
      else
        for (const t of rule.matchedTests)
          if (!t.test(base, facts)) {
            reason = { test: t, base };
            break;
          }
      why[r] = reason;
    } else if (reason === null && rule.ownBase) base = baseSum(rule, lines, idx);
    matched[r] = reason === null ? idx : EMPTY;
    matchedBase[r] = reason === null ? base : 0;
  }
  // 4. Line rules: numerators (aligned with each rule's matched lines), best-of per line, rounding.
  const nums: Array<number[] | null> = new Array(R);
  const linePoints: Array<number[] | null> = new Array(R);
  // Per-line rounding: each line's line points (all line rules), what multipliers multiply.
  const lineTotal: number[] | null = perLine ? new Array<number>(n).fill(0) : null;
  const w: Work = {
    p,
    rules,
    lines,
    mode,
    why,
    matched,
    matchedBase,
    nums,
    linePoints,
    lineTotal,
    points: EMPTY,
    limits: [],
    keys: [],
    counters: facts.counters,
  };
  const G = p.bestOfGroups;
  const winRule: Array<number[] | undefined> = G ? new Array(G) : EMPTY_GROUPS;
  const winNum: Array<number[] | undefined> = G ? new Array(G) : EMPTY_GROUPS;
  for (const r of p.stages.line) {
    if (why[r] !== null) continue;
    const rule = rules[r]!;
    const a = rule.action as LineAction;
    const idx = matched[r]!;
    const num: number[] = new Array(idx.length);
    if (rule.ownBase)
      for (let k = 0; k < idx.length; k++) {
        // The rule's kind reads `base`: it sees the base this rule counts, then the line gets its own back.
        const l = lines[idx[k]!]!;
        const own = l.base;
        l.base = baseOf(l, rule.baseMask);
        num[k] = a.numerator(l);
        l.base = own;
      }
    else for (let k = 0; k < idx.length; k++) num[k] = a.numerator(lines[idx[k]!]!);
    nums[r] = num;
    const g = rule.bestOfGroup;
    if (g < 0) continue;
    let wr = winRule[g];
    let wn = winNum[g]!;
    if (wr === undefined) {
      wr = winRule[g] = new Array<number>(n).fill(-1);
      wn = winNum[g] = new Array<number>(n).fill(0);
    }
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k]!;
      const w = wr[i]!;
      // Compare num/den across rules by cross-multiplying; ties keep the earlier rule.
      if (w < 0 || num[k]! * (rules[w]!.action as LineAction).denominator > wn[i]! * a.denominator) {
        wr[i] = r;
        wn[i] = num[k]!;
      }
    }
  }
  const uncapped: number[] = new Array(R).fill(0);
  for (const r of p.stages.line) {
    if (why[r] !== null) continue;
    const rule = rules[r]!;
    const a = rule.action as LineAction;
    if (rule.bestOfGroup >= 0) {
      const win = winRule[rule.bestOfGroup]!;
      const idx = matched[r]!;
      let any = false;
      for (const i of idx) if (win[i] === r) any = true;
      if (!any) {
        why[r] = bestOf(
          `group ${rule.group} is best-of and ${rules[win[idx[0]!]!]!.name} gives more on every matching line`,
        );
        matched[r] = EMPTY;
        matchedBase[r] = 0;
        nums[r] = null;
        continue;
      }
      const positions = keepWinners(w, r, win);
      if (positions) nums[r] = positions.map((k) => nums[r]![k]!);
    }
    const idx = matched[r]!;
    const num = nums[r]!;
    if (lineTotal) {
      const pts: number[] = new Array(idx.length);
      let total = 0;
      for (let k = 0; k < idx.length; k++) {
        const b = divide(num[k]!, a.denominator, mode);
        pts[k] = b;
        total += b;
        lineTotal[idx[k]!]! += b;
      }
      linePoints[r] = pts;
      uncapped[r] = total;
    } else uncapped[r] = sumDivide(num, null, 1, a.denominator, mode);
  }

  // 5. Multipliers (and the segment policy's, as the last one).
  const factorWin: Array<number[] | undefined> = G ? new Array(G) : EMPTY_GROUPS;
  for (const r of p.stages.multiplier) {
    const rule = rules[r]!;
    if (why[r] !== null || rule.bestOfGroup < 0) continue;
    const factor = (rule.action as MultiplierAction).factor;
    let win = factorWin[rule.bestOfGroup];
    if (win === undefined) win = factorWin[rule.bestOfGroup] = new Array<number>(n).fill(-1);
    for (const i of matched[r]!) {
      const w = win[i]!;
      if (w < 0 || factor > (rules[w]!.action as MultiplierAction).factor) win[i] = r;
    }
  }
  const extras: Array<number[] | null> = new Array(R);
  for (const r of p.stages.multiplier) {
    if (why[r] !== null) continue;
    const rule = rules[r]!;
    if (rule.bestOfGroup >= 0) {
      const win = factorWin[rule.bestOfGroup]!;
      const idx = matched[r]!;
      let any = false;
      for (const i of idx) if (win[i] === r) any = true;
      if (!any) {
        why[r] = bestOf(
          `group ${rule.group} is best-of and ${rules[win[idx[0]!]!]!.name} multiplies more on every matching line`,
        );
        matched[r] = EMPTY;
        matchedBase[r] = 0;
        continue;
      }
      keepWinners(w, r, win);
    }
    const per = perLine ? new Array<number>(matched[r]!.length) : null;
    uncapped[r] = multiply(w, (rule.action as MultiplierAction).factor, matched[r]!, rule.appliesTo, per);
    extras[r] = per;
  }
  let policyExtras: number[] | null = null;
  let policyTotal = 0;
  const hasPolicy = facts.policyFactor > 100 && eligible.length > 0;
  if (hasPolicy) {
    policyExtras = perLine ? new Array<number>(eligible.length) : null;
    policyTotal = multiply(w, facts.policyFactor, eligible, null, policyExtras);
  }

  // 6. Basket rules (best-of groups keep the largest; ties the earlier rule).
  const bestBasket: number[] = G ? new Array<number>(G).fill(-1) : EMPTY;
  for (const r of p.stages.basket) {
    if (why[r] !== null) continue;
    const rule = rules[r]!;
    uncapped[r] = (rule.action as BasketAction).points(facts, { base: matchedBase[r]!, lines: matched[r]!.length });
    const g = rule.bestOfGroup;
    if (g >= 0 && (bestBasket[g]! < 0 || uncapped[r]! > uncapped[bestBasket[g]!]!)) bestBasket[g] = r;
  }
  for (const r of p.stages.basket) {
    const rule = rules[r]!;
    const g = rule.bestOfGroup;
    if (g < 0 || why[r] !== null || bestBasket[g] === r) continue;
    const w = bestBasket[g]!;
    why[r] = bestOf(`group ${rule.group} is best-of and ${rules[w]!.name} gives more (${uncapped[w]} points)`);
    uncapped[r] = 0;
    matched[r] = EMPTY;
    matchedBase[r] = 0;
  }

  // 7. Caps and budgets.
  const cid = facts.customerId;
  const counters = facts.counters;
  const points: number[] = uncapped.slice();
  const limits: Array<LimitTrace[] | undefined> = new Array(R);
  const keys: Array<Array<{ key: string; limit: number }> | undefined> = new Array(R);
  w.points = points;
  w.limits = limits;
  w.keys = keys;
  let chainLocal: ReturnType<typeof localTime> | null = null;
  for (const r of p.limitedRules) {
    if (why[r] !== null) continue;
    const rule = rules[r]!;
    const c = rule.caps;
    if (c.perOrder !== null) limitBy(w, r, 'per-order', c.perOrder, null, 'per order cap');
    if (c.perDay !== null)
      limitBy(
        w,
        r,
        'per-day',
        c.perDay,
        cid === null ? null : dayCapKey(rule.id, cid, facts.local.date),
        'per day cap',
      );
    if (c.perCustomer !== null)
      limitBy(
        w,
        r,
        'per-customer',
        c.perCustomer,
        cid === null ? null : customerCapKey(rule.id, cid),
        'per member cap',
      );
    for (const b of rule.budgets) {
      chainLocal ??= localTime(facts.ms, cfg.timeZone);
      limitBy(
        w,
        r,
        'budget',
        b.points,
        budgetKey(rule, b, chainLocal, facts),
        `budget ${b.period === 'lifetime' ? 'in total' : `per ${b.period}`}` +
          `${b.per === 'program' ? '' : ` per ${b.per}`}`,
      );
    }
  }
  let policyPoints = policyTotal;
  let total = policyPoints;
  for (let r = 0; r < R; r++) total += points[r]!;
  const pc = p.programCaps;
  const policyLimits: LimitTrace[] = [];
  const programKeys: Array<{ key: string; limit: number }> = [];
  if (pc.perOrder !== null || pc.perDay !== null || pc.perCustomer !== null) {
    const programLimits: Array<{ kind: LimitTrace['kind']; limit: number; key: string | null; label: string }> = [];
    if (pc.perOrder !== null)
      programLimits.push({ kind: 'order-total', limit: pc.perOrder, key: null, label: 'order cap' });
    if (pc.perDay !== null)
      programLimits.push({
        kind: 'day-total',
        limit: pc.perDay,
        key: cid === null ? null : dayCapKey('*', cid, facts.local.date),
        label: 'daily cap',
      });
    if (pc.perCustomer !== null)
      programLimits.push({
        kind: 'customer-total',
        limit: pc.perCustomer,
        key: cid === null ? null : customerCapKey('*', cid),
        label: 'member cap',
      });
    for (const pl of programLimits) {
      const used = pl.key === null ? 0 : (counters[pl.key] ?? 0);
      if (pl.key !== null) programKeys.push({ key: pl.key, limit: pl.limit });
      let cut = total - Math.max(0, pl.limit - used);
      if (cut <= 0) continue;
      total -= cut;
      const text = used ? `${pl.label} ${pl.limit}, ${used} used` : `${pl.label} ${pl.limit}`;
      // Lowest priority gives way first: the policy multiplier, then the rules from the last.
      const take = Math.min(cut, policyPoints);
      if (take > 0) {
        policyPoints -= take;
        cut -= take;
        policyLimits.push({ kind: pl.kind, limit: pl.limit, used, cut: take, text });
      }
      for (let r = R - 1; r >= 0 && cut > 0; r--) {
        const t = Math.min(cut, points[r]!);
        if (t <= 0) continue;
        points[r] = points[r]! - t;
        cut -= t;
        (limits[r] ??= []).push({ kind: pl.kind, limit: pl.limit, used, cut: t, text });
      }
    }
  }
  const uses: CounterUse[] = [];
  for (const r of p.limitedRules) {
    const ks = keys[r];
    if (!ks || points[r]! <= 0) continue;
    for (const k of ks)
      uses.push({ key: k.key, points: points[r]!, limit: k.limit, customerId: isMemberCounter(k.key) ? cid : null });
  }
  if (total > 0) for (const k of programKeys) uses.push({ key: k.key, points: total, limit: k.limit, customerId: cid });

  // Traces: built when first read (a till re-quotes at every scan and rarely looks at them).
  const state: TraceState = {
    w,
    facts,
    excluded,
    eligible,
    eligibleBase,
    extras,
    policyExtras,
    policyTotal,
    policyPoints,
    policyLimits,
    uncapped,
    hasPolicy,
  };
  return new QuoteResult(total, valueOfPoints(total, cfg.pointValue), eligibleBase, uses, state);
}

const EMPTY_GROUPS: Array<number[] | undefined> = [];

/** The working state of one evaluation that the helpers below share. */
interface Work {
  p: CompiledProgram;
  rules: CompiledProgram['rules'];
  lines: readonly PricedLine[];
  mode: PointsRounding;
  why: Reason[];
  matched: number[][];
  matchedBase: number[];
  nums: Array<number[] | null>;
  linePoints: Array<number[] | null>;
  lineTotal: number[] | null;
  points: number[];
  limits: Array<LimitTrace[] | undefined>;
  keys: Array<Array<{ key: string; limit: number }> | undefined>;
  counters: Readonly<Record<string, number>>;
}

// The helpers are module functions, not closures inside `evaluateProgram`: nothing is allocated per quote for them.

/** Keeps only the lines where `win` names rule `r`; returns the positions kept, or null when all were. */
function keepWinners(w: Work, r: number, win: readonly number[]): number[] | null {
  const idx = w.matched[r]!;
  let lost = 0;
  for (const i of idx) if (win[i] !== r) lost++;
  if (lost === 0) return null;
  const kept: number[] = [];
  const positions: number[] = [];
  let base = 0;
  const rule = w.rules[r]!;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!;
    if (win[i] !== r) continue;
    kept.push(i);
    positions.push(k);
    base += ruleBase(rule, w.lines[i]!);
  }
  w.matched[r] = kept;
  w.matchedBase[r] = base;
  return positions;
}

/** Line points of line `i` from the rules in `appliesTo`. */
function pointsOf(w: Work, i: number, appliesTo: ReadonlySet<number>): number {
  let sum = 0;
  for (const r of appliesTo) {
    const k = w.linePoints[r] ? w.matched[r]!.indexOf(i) : -1;
    if (k >= 0) sum += w.linePoints[r]![k]!;
  }
  return sum;
}

/** The extra points of a multiplier on lines `idx` (per line into `per` when rounding per line). */
function multiply(
  w: Work,
  factor: number,
  idx: readonly number[],
  appliesTo: ReadonlySet<number> | null,
  per: number[] | null,
): number {
  let total = 0;
  if (per) {
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k]!;
      const b = appliesTo ? pointsOf(w, i, appliesTo) : w.lineTotal![i]!;
      const e = b === 0 ? 0 : mulDiv(b, factor - 100, 100, w.mode);
      per[k] = e;
      total += e;
    }
    return total;
  }
  // Per-basket rounding: each line rule's share on these lines, rounded once per rule.
  for (const r of w.p.stages.line) {
    const num = w.nums[r];
    if (!num || w.why[r] !== null || (appliesTo && !appliesTo.has(r))) continue;
    const mine = w.matched[r]!;
    const take: number[] = [];
    let x = 0;
    for (let k = 0; k < mine.length && x < idx.length; k++) {
      while (x < idx.length && idx[x]! < mine[k]!) x++;
      if (idx[x] === mine[k]) take.push(num[k]!);
    }
    if (take.length)
      total += sumDivide(take, null, factor - 100, (w.rules[r]!.action as LineAction).denominator * 100, w.mode);
  }
  return total;
}

/** Applies one cap or budget to rule `r`: notes its counter and cuts the points above the room left. */
function limitBy(w: Work, r: number, kind: LimitTrace['kind'], limit: number, key: string | null, label: string): void {
  const used = key === null ? 0 : (w.counters[key] ?? 0);
  const room = Math.max(0, limit - used);
  if (key !== null) (w.keys[r] ??= []).push({ key, limit });
  const points = w.points;
  if (points[r]! > room) {
    const cut = points[r]! - room;
    points[r] = room;
    (w.limits[r] ??= []).push({
      kind,
      limit,
      used,
      cut,
      text: used ? `${label} ${limit}, ${used} used` : `${label} ${limit}`,
    });
  }
}

/** What the traces of one evaluation are built from. */
interface TraceState {
  w: Work;
  facts: QuoteFacts;
  excluded: ReadonlyArray<string | null>;
  eligible: readonly number[];
  eligibleBase: number;
  extras: ReadonlyArray<number[] | null>;
  policyExtras: number[] | null;
  policyTotal: number;
  policyPoints: number;
  policyLimits: LimitTrace[];
  uncapped: readonly number[];
  hasPolicy: boolean;
}

/** Why a rule that applied earned nothing: its caps took everything, or its rate gave nothing for these lines. */
function nothingEarned(
  stage: CompiledRule['stage'],
  uncapped: number,
  limits: readonly LimitTrace[],
  action: CompiledRule['action'] | null,
): RuleWhy {
  if (uncapped > 0) return { code: 'capped', text: `cut to 0 (${limits.map((x) => x.text).join('; ')})` };
  if (stage === 'basket') return { code: 'zero', text: 'it gives no points for this basket' };
  if (action?.stage === 'line') return { code: 'below-step', text: `under one step of ${action.rate}` };
  return { code: 'below-step', text: 'its extra points round down to 0' };
}

/** Builds the line and rule traces of an evaluation (on first read). */
function buildTraces(s: TraceState): { lines: LineTrace[]; rules: RuleTrace[] } {
  const { w, facts, excluded, eligible, extras, policyExtras, uncapped } = s;
  const { p, rules, lines, matched, matchedBase, lineTotal, points, limits, why } = w;
  const n = lines.length;
  const R = rules.length;
  const perLine = lineTotal !== null;
  const ev: Evaluation = {
    p,
    facts,
    lines,
    excluded,
    perLine,
    linePoints: w.linePoints,
    extras,
    policyExtras,
    eligible,
    matched,
  };
  const lineTraces: LineTrace[] = new Array(n);
  const sums: number[] | null = lineTotal ? lineTotal.slice() : null;
  if (sums) {
    for (const r of p.stages.multiplier) extras[r]?.forEach((e, k) => (sums[matched[r]![k]!]! += e));
    policyExtras?.forEach((e, k) => (sums[eligible[k]!]! += e));
  }
  for (let i = 0; i < n; i++) lineTraces[i] = new LineTrace(ev, i, sums && excluded[i] === null ? sums[i]! : null);
  const money = p.money;
  const ruleTraces: RuleTrace[] = new Array(R);
  for (let r = 0; r < R; r++) {
    const rule = rules[r]!;
    const a = rule.action;
    const k = matched[r]!.length;
    const b = matchedBase[r]!;
    const u = uncapped[r]!;
    const reason = why[r]!;
    const what =
      a.stage === 'line'
        ? () => `${plural(k, 'line')}, ${money(b)}, ${a.rate} → ${u}`
        : a.stage === 'multiplier'
          ? () => `${rule.factorLabel} on ${plural(k, 'line')} → +${u}`
          : () => `${a.describe} → ${u}`;
    const cut = limits[r] ?? NO_LIMITS;
    const zero = reason === null && points[r] === 0 ? nothingEarned(rule.stage, u, cut, a) : null;
    const coded = reason === null ? null : reasonCode(reason, rule);
    ruleTraces[r] = new RuleTrace(
      {
        rule: rule.id,
        name: rule.name,
        kind: rule.kind,
        stage: rule.stage,
        priority: rule.priority,
        matched: reason === null,
        reason: coded?.code ?? zero?.code ?? null,
        condition: coded?.condition ?? null,
        lines: matched[r]!,
        base: b,
        uncapped: u,
        points: points[r]!,
        limits: cut,
      },
      reason !== null ? () => reasonText(reason, facts)! : zero ? () => zero.text : null,
      what,
    );
  }
  if (s.hasPolicy) {
    const count = eligible.length;
    const zero = s.policyPoints === 0 ? nothingEarned('multiplier', s.policyTotal, s.policyLimits, null) : null;
    ruleTraces.push(
      new RuleTrace(
        {
          rule: 'segment-policy',
          name: 'Segment policy',
          kind: 'multiplier',
          stage: 'policy',
          priority: -1001,
          matched: true,
          reason: zero?.code ?? null,
          condition: null,
          lines: eligible,
          base: s.eligibleBase,
          uncapped: s.policyTotal,
          points: s.policyPoints,
          limits: s.policyLimits,
        },
        zero ? () => zero.text : null,
        () => `${factorLabel(facts.policyFactor)} on ${plural(count, 'line')} → +${s.policyTotal}`,
      ),
    );
  }
  return { lines: lineTraces, rules: ruleTraces };
}

/**
 * Quotes a basket: validates it and the context (every problem by path), then evaluates. Pure: no
 * I/O and no clock, so the same input always gives the same quote.
 */
export function quote(program: CompiledProgram, basket: Basket, context: QuoteContext): Quote {
  const priced = priceBasket(basket);
  const facts = contextFacts(context);
  return evaluateProgram(program, priced.lines, priced.vouchers, facts, priced.sources);
}

/**
 * The quote as text for a receipt or a member: each line, each rule beyond the line rates, each rule that did not
 * apply, the total.
 */
export function explainQuote(q: Quote, money: (minor: number) => string): string[] {
  const out = q.lines.map((l) => l.text);
  for (const r of q.rules) if (r.matched && (r.stage !== 'line' || r.limits.length)) out.push(r.text);
  for (const r of q.rules) if (!r.matched) out.push(r.text);
  out.push(`Total: ${plural(q.points, 'point')}, worth ${money(q.value)}`);
  return out;
}
