/**
 * Segment definitions as data: a tree of `all`/`any` groups, field comparisons and named condition
 * kinds. Pure: the same compiled definition is evaluated in memory and turned into port filters
 * (`find` with `where`) that SQL adapters run in the database.
 */
import * as z from 'zod';
import {
  ValidationError,
  compareValues,
  plainJsonIssue,
  type JsonLimits,
  type ValidationIssue,
} from '@clientele/core/module';
import { millisecondsInDay } from 'date-fns/constants';

/** Comparison operators of a field condition. */
export const COMPARISON_OPS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'between', 'isNull', 'contains'] as const;
/** A comparison operator. */
export type ComparisonOp = (typeof COMPARISON_OPS)[number];

/** A relative instant: so many days before (or after) the moment the segment is evaluated. */
export type RelativeDate = { daysAgo: number } | { daysAhead: number };

/** One condition of a segment definition, as data. */
export type ConditionInput =
  | { all: ConditionInput[] }
  | { any: ConditionInput[] }
  | { field: string; op: ComparisonOp; value?: unknown }
  | { condition: string; args?: Record<string, unknown> };

/** Schema of {@link ConditionInput}: the shape only; fields and value types are checked by {@link compileCondition}. */
export const conditionSchema: z.ZodType<ConditionInput> = z.lazy(() =>
  z.union([
    z.object({ all: z.array(conditionSchema).min(1).max(50) }).strict(),
    z.object({ any: z.array(conditionSchema).min(1).max(50) }).strict(),
    z.object({ field: z.string().min(1).max(100), op: z.enum(COMPARISON_OPS), value: z.unknown().optional() }).strict(),
    z
      .object({
        condition: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'condition codes are lower-case words'),
        args: z.record(z.string(), z.unknown()).optional(),
      })
      .strict(),
  ]),
) as z.ZodType<ConditionInput>;

/** The kind of value a segment field holds. */
export type SegmentFieldKind = 'string' | 'integer' | 'timestamp' | 'boolean';

/** A field of the customer statistics that conditions may test, and whether SQL can test it. */
export interface SegmentField {
  kind: SegmentFieldKind;
  /** What it holds, for documentation and error messages. */
  description: string;
}

/** Fields of the statistics row that conditions may compare; every one is pushed down to the store. */
export const SEGMENT_FIELDS: Readonly<Record<string, SegmentField>> = {
  kind: { kind: 'string', description: 'individual, organisation or supplier' },
  region: { kind: 'string', description: 'the customer’s region' },
  industry: { kind: 'string', description: 'an organisation’s industry' },
  sizeClass: { kind: 'string', description: 'an organisation’s size class (micro, small, medium, large)' },
  homeStoreId: { kind: 'string', description: 'the store the customer belongs to' },
  firstPurchaseAt: { kind: 'timestamp', description: 'first completed purchase' },
  lastPurchaseAt: { kind: 'timestamp', description: 'latest completed purchase' },
  visits: { kind: 'integer', description: 'completed purchases, all time' },
  spend: { kind: 'integer', description: 'net spend (after returns), all time, minor units' },
  avgBasket: { kind: 'integer', description: 'net spend per visit, minor units' },
  windowVisits: { kind: 'integer', description: 'completed purchases within the RFM window' },
  windowSpend: { kind: 'integer', description: 'net spend within the RFM window, minor units' },
  typicalGapHours: { kind: 'integer', description: 'median hours between visits' },
  overdueAt: { kind: 'timestamp', description: 'when the customer becomes overdue by their own rhythm (churn risk)' },
  topCategory: { kind: 'string', description: 'the category with the most spend' },
  rScore: { kind: 'integer', description: 'recency score 1-5' },
  fScore: { kind: 'integer', description: 'frequency score 1-5' },
  mScore: { kind: 'integer', description: 'monetary score 1-5' },
  rfmGroup: { kind: 'string', description: 'named RFM group (champions, loyal, ...)' },
  valueClass: { kind: 'string', description: 'Pareto class A, B or C' },
  volumeClass: { kind: 'string', description: 'large or small by volume' },
  creditRating: { kind: 'string', description: 'credit rating A-D of an organisation buying on account' },
  keyAccount: { kind: 'boolean', description: 'whether the customer is a key account' },
  satisfaction: { kind: 'integer', description: 'satisfaction 0-100 from the customer’s latest survey answers' },
  satisfactionTrend: {
    kind: 'integer',
    description: 'change of satisfaction in points per answer (negative: falling)',
  },
  satisfactionResponses: { kind: 'integer', description: 'survey answers the customer gave in all' },
  satisfactionAt: { kind: 'timestamp', description: 'the customer’s latest survey answer' },
};

/**
 * Fields tested in memory on each candidate: `tags` (op `contains`), `attributes.<name>` (the
 * retailer's own fields) and `categories.<code>` (gross spend in a category).
 */
export const RESIDUAL_PREFIXES = ['attributes.', 'categories.'] as const;

/** A compiled, checked condition. Relative dates stay relative until evaluation. */
export type Predicate =
  | { type: 'and'; items: Predicate[] }
  | { type: 'or'; items: Predicate[] }
  | { type: 'compare'; field: string; op: Exclude<ComparisonOp, 'between' | 'contains'>; value: PredicateValue }
  | { type: 'tag'; tag: string }
  | { type: 'attribute'; name: string; op: Exclude<ComparisonOp, 'between' | 'contains'>; value: PredicateValue }
  | {
      type: 'category';
      category: string;
      op: Exclude<ComparisonOp, 'between' | 'contains' | 'isNull' | 'in'>;
      value: number;
    };

/** A value in a compiled predicate. */
export type PredicateValue =
  | string
  | number
  | boolean
  | null
  | Date
  | RelativeDate
  | ReadonlyArray<string | number | boolean>;

/**
 * A named, parameterised condition kind (the Vendure model): a definition picks it by `code` and fills
 * its `args`; `build` turns the args into an ordinary condition, checked like any other.
 */
export interface ConditionKind<A = Record<string, unknown>> {
  /** Lower-case code a definition names in `condition`. */
  code: string;
  /** What it selects, in one sentence. */
  description: string;
  /** Schema of the args. */
  args: z.ZodType<A>;
  /** The condition the args stand for. */
  build(args: A): ConditionInput;
}

/**
 * A condition kind whatever its args, as the module's configuration takes them: each kind parses its
 * own args with its schema before `build` sees them.
 */
export type AnyConditionKind = ConditionKind<any>;

/** Declares a condition kind with its args typed. */
export function defineConditionKind<A>(kind: ConditionKind<A>): ConditionKind<A> {
  return kind;
}

const days = z.number().int().min(0).max(36_500);

/** The condition kinds every installation has; retailers add their own through the module config. */
export const BUILT_IN_CONDITIONS: readonly AnyConditionKind[] = [
  defineConditionKind({
    code: 'rfm-group',
    description: 'customers in one of the named RFM groups',
    args: z.object({ groups: z.array(z.string().min(1)).min(1) }).strict(),
    build: (a) => ({ field: 'rfmGroup', op: 'in', value: a.groups }),
  }),
  defineConditionKind({
    code: 'inactive-for-days',
    description: 'customers who bought before, but not within the last `days` days',
    args: z.object({ days }).strict(),
    build: (a) => ({ field: 'lastPurchaseAt', op: 'lt', value: { daysAgo: a.days } }),
  }),
  defineConditionKind({
    code: 'churn-risk',
    description: 'customers overdue by their own rhythm of visits (or the population’s, with too few visits)',
    args: z.object({}).strict(),
    build: () => ({ field: 'overdueAt', op: 'lt', value: { daysAgo: 0 } }),
  }),
  defineConditionKind({
    code: 'value-class',
    description: 'customers in the given Pareto classes (A: the customers who make 80% of revenue)',
    args: z.object({ classes: z.array(z.enum(['A', 'B', 'C'])).min(1) }).strict(),
    build: (a) => ({ field: 'valueClass', op: 'in', value: a.classes }),
  }),
  defineConditionKind({
    code: 'spent-at-least',
    description: 'customers whose net spend reaches `amount` (minor units) within the RFM window, or all time',
    args: z.object({ amount: z.number().int().min(0), allTime: z.boolean().default(false) }).strict(),
    build: (a) => ({ field: a.allTime ? 'spend' : 'windowSpend', op: 'gte', value: a.amount }),
  }),
  defineConditionKind({
    code: 'has-tag',
    description: 'customers carrying a tag',
    args: z.object({ tag: z.string().min(1).max(40) }).strict(),
    build: (a) => ({ field: 'tags', op: 'contains', value: a.tag }),
  }),
  defineConditionKind({
    code: 'bought-category',
    description: 'customers who spent at least `minSpend` (minor units, default 1) in a category',
    args: z.object({ category: z.string().min(1).max(64), minSpend: z.number().int().min(1).default(1) }).strict(),
    build: (a) => ({ field: `categories.${a.category}`, op: 'gte', value: a.minSpend }),
  }),
  defineConditionKind({
    code: 'key-account',
    description: 'key accounts',
    args: z.object({}).strict(),
    build: () => ({ field: 'keyAccount', op: 'eq', value: true }),
  }),
  defineConditionKind({
    code: 'satisfaction-below',
    description: 'customers whose satisfaction from their latest survey answers is below `score` (0-100)',
    args: z.object({ score: z.number().int().min(1).max(100) }).strict(),
    build: (a) => ({ field: 'satisfaction', op: 'lt', value: a.score }),
  }),
  defineConditionKind({
    code: 'satisfaction-falling',
    description:
      'customers whose satisfaction falls by at least `by` points per answer (default 5), over at least ' +
      '`minResponses` answers (default 2)',
    args: z
      .object({
        by: z.number().int().min(1).max(100).default(5),
        minResponses: z.number().int().min(2).max(1000).default(2),
      })
      .strict(),
    build: (a) => ({
      all: [
        { field: 'satisfactionTrend', op: 'lte', value: -a.by },
        { field: 'satisfactionResponses', op: 'gte', value: a.minResponses },
      ],
    }),
  }),
  defineConditionKind({
    code: 'credit-rating',
    description: 'organisations with one of the given credit ratings',
    args: z.object({ ratings: z.array(z.enum(['A', 'B', 'C', 'D'])).min(1) }).strict(),
    build: (a) => ({ field: 'creditRating', op: 'in', value: a.ratings }),
  }),
];

/** The registry of condition kinds by code. */
export type ConditionRegistry = ReadonlyMap<string, AnyConditionKind>;

/** Builds a registry from the built-in kinds and the retailer's own (a retailer's kind may not reuse a code). */
export function conditionRegistry(extra: readonly AnyConditionKind[] = []): ConditionRegistry {
  const map = new Map<string, AnyConditionKind>();
  for (const kind of [...BUILT_IN_CONDITIONS, ...extra]) {
    if (map.has(kind.code)) throw new TypeError(`condition kind ${kind.code} is defined twice`);
    map.set(kind.code, kind);
  }
  return map;
}

const relativeDateSchema = z.union([z.object({ daysAgo: days }).strict(), z.object({ daysAhead: days }).strict()]);
/** Groups nest at most this many levels below the top condition. */
const MAX_DEPTH = 12;

/**
 * Bounds of a definition as JSON, checked (without recursion) before its shape: 32 levels, enough for
 * the 12 levels groups may nest (two each) with a condition's args below, and 256 KiB of JSON text.
 */
export const DEFINITION_LIMITS: JsonLimits = Object.freeze({ maxDepth: 2 * MAX_DEPTH + 8, maxBytes: 256 * 1024 });

/** The first way `input` is not a plain JSON value within {@link DEFINITION_LIMITS}, or `null`. */
export function definitionJsonIssue(
  input: unknown,
  prefix: ReadonlyArray<string | number> = [],
): ValidationIssue | null {
  const issue = plainJsonIssue(input, DEFINITION_LIMITS, prefix);
  if (issue?.code === 'too_deep')
    return {
      ...issue,
      message: `conditions nest at most ${MAX_DEPTH} levels (${DEFINITION_LIMITS.maxDepth} levels of JSON)`,
    };
  return issue;
}

/**
 * A definition as a command receives it: plain JSON within {@link DEFINITION_LIMITS}. Its shape, fields
 * and condition kinds are checked by {@link compileCondition}.
 */
export const definitionInputSchema: z.ZodType<unknown> = z.unknown().superRefine((value, ctx) => {
  const issue = definitionJsonIssue(value);
  if (issue)
    ctx.addIssue({ code: 'custom', message: issue.message, path: [...issue.path], params: { code: issue.code } });
});

type Path = Array<string | number>;

function scalarOk(kind: SegmentFieldKind, v: unknown): boolean {
  switch (kind) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isSafeInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'timestamp':
      return (
        (typeof v === 'string' && !Number.isNaN(Date.parse(v)) && /^\d{4}-\d{2}-\d{2}/.test(v)) ||
        relativeDateSchema.safeParse(v).success
      );
  }
}

function toValue(kind: SegmentFieldKind, v: unknown): PredicateValue {
  if (kind === 'timestamp' && typeof v === 'string') return new Date(v);
  return v as PredicateValue;
}

/**
 * Checks a definition against the fields and the registry and compiles it. A definition that is not
 * plain JSON within {@link DEFINITION_LIMITS} is refused first (`too_deep`, `too_large`, `not_json`, ...).
 * Otherwise every problem is reported at once as a `ValidationError` naming its path (`unknown_field`,
 * `type_mismatch`, `unknown_condition`, or the args schema's own codes).
 */
export function compileCondition(
  input: unknown,
  registry: ConditionRegistry,
  prefix: ReadonlyArray<string | number> = ['definition'],
): Predicate {
  // Bounded first: the shape check below recurses, and a deep enough input would overflow the stack.
  const bad = definitionJsonIssue(input, prefix);
  if (bad) throw new ValidationError([bad]);
  const parsed = conditionSchema.safeParse(input);
  if (!parsed.success) {
    throw new ValidationError(
      parsed.error.issues.map((i) => ({
        path: [...prefix, ...i.path.map((p) => (typeof p === 'number' ? p : String(p)))],
        code: i.code,
        message: i.message,
      })),
    );
  }
  const issues: ValidationIssue[] = [];
  const out = compile(parsed.data, [...prefix], 0, issues, registry, []);
  if (issues.length) throw new ValidationError(issues);
  return out;
}

function compile(
  c: ConditionInput,
  path: Path,
  depth: number,
  issues: ValidationIssue[],
  registry: ConditionRegistry,
  expanding: string[],
): Predicate {
  if (depth > MAX_DEPTH) {
    issues.push({ path, code: 'too_deep', message: `conditions nest at most ${MAX_DEPTH} levels` });
    return { type: 'and', items: [] };
  }
  if ('all' in c)
    return {
      type: 'and',
      items: c.all.map((x, i) => compile(x, [...path, 'all', i], depth + 1, issues, registry, expanding)),
    };
  if ('any' in c)
    return {
      type: 'or',
      items: c.any.map((x, i) => compile(x, [...path, 'any', i], depth + 1, issues, registry, expanding)),
    };
  if ('condition' in c) {
    const kind = registry.get(c.condition);
    if (!kind) {
      issues.push({
        path: [...path, 'condition'],
        code: 'unknown_condition',
        message: `unknown condition kind ${c.condition}; known: ${[...registry.keys()].join(', ')}`,
      });
      return { type: 'and', items: [] };
    }
    if (expanding.includes(kind.code)) {
      issues.push({
        path: [...path, 'condition'],
        code: 'recursive_condition',
        message: `condition kind ${kind.code} refers to itself`,
      });
      return { type: 'and', items: [] };
    }
    const args = (kind.args as z.ZodType).safeParse(c.args ?? {});
    if (!args.success) {
      for (const i of args.error.issues)
        issues.push({
          path: [...path, 'args', ...i.path.map((p) => (typeof p === 'number' ? p : String(p)))],
          code: i.code,
          message: i.message,
        });
      return { type: 'and', items: [] };
    }
    const built = (kind as ConditionKind<unknown>).build(args.data);
    const shape = conditionSchema.safeParse(built);
    if (!shape.success) {
      issues.push({
        path: [...path, 'condition'],
        code: 'invalid_condition_kind',
        message: `condition kind ${kind.code} built an invalid condition`,
      });
      return { type: 'and', items: [] };
    }
    // Problems inside a built condition come from the args: report them there.
    return compile(shape.data, [...path, 'args'], depth + 1, issues, registry, [...expanding, kind.code]);
  }
  return compileField(c, path, issues);
}

function compileField(
  c: { field: string; op: ComparisonOp; value?: unknown },
  path: Path,
  issues: ValidationIssue[],
): Predicate {
  const bad = (code: string, message: string, at: 'field' | 'value' | 'op' = 'value'): Predicate => {
    issues.push({ path: [...path, at], code, message });
    return { type: 'and', items: [] };
  };
  if (c.field === 'tags') {
    if (c.op !== 'contains' || typeof c.value !== 'string' || c.value.length === 0)
      return bad('type_mismatch', 'tags take op contains with a tag (text)');
    return { type: 'tag', tag: c.value };
  }
  if (c.field.startsWith('categories.')) {
    const category = c.field.slice('categories.'.length);
    if (!category) return bad('unknown_field', 'name a category: categories.<code>', 'field');
    if (!['eq', 'ne', 'gt', 'gte', 'lt', 'lte'].includes(c.op))
      return bad('type_mismatch', 'category spend takes eq, ne, gt, gte, lt or lte', 'op');
    if (!scalarOk('integer', c.value))
      return bad('type_mismatch', `categories.${category} is an integer (minor units)`);
    return { type: 'category', category, op: c.op as 'eq', value: c.value as number };
  }
  let kind: SegmentFieldKind | 'any';
  let attribute: string | null = null;
  if (c.field.startsWith('attributes.')) {
    attribute = c.field.slice('attributes.'.length);
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(attribute))
      return bad('unknown_field', 'attributes.<name> with a plain name', 'field');
    kind = 'any';
  } else {
    const spec = SEGMENT_FIELDS[c.field];
    if (!spec)
      return bad(
        'unknown_field',
        `unknown field ${c.field}; known: ${Object.keys(SEGMENT_FIELDS).join(', ')}, tags, attributes.<name>, ` +
          `categories.<code>`,
        'field',
      );
    kind = spec.kind;
  }
  const ok = (v: unknown) =>
    kind === 'any'
      ? ['string', 'number', 'boolean'].includes(typeof v) && (typeof v !== 'number' || Number.isFinite(v))
      : scalarOk(kind, v);
  const kindName =
    kind === 'any' ? 'text, number or boolean' : kind === 'timestamp' ? 'timestamp (ISO text or { daysAgo })' : kind;
  const wrap = (op: Exclude<ComparisonOp, 'between' | 'contains'>, value: PredicateValue): Predicate =>
    attribute !== null
      ? { type: 'attribute', name: attribute, op, value }
      : { type: 'compare', field: c.field, op, value };
  switch (c.op) {
    case 'contains':
      return bad('type_mismatch', 'contains applies to tags only', 'op');
    case 'isNull':
      if (typeof c.value !== 'boolean') return bad('type_mismatch', 'isNull takes true or false');
      return wrap('isNull', c.value);
    case 'in':
      if (!Array.isArray(c.value) || c.value.length > 1000 || !c.value.every(ok) || kind === 'timestamp')
        return bad(
          'type_mismatch',
          `in takes a list of ${kindName}${kind === 'timestamp' ? ' (not for timestamps)' : ''}`,
        );
      return wrap('in', c.value as Array<string | number | boolean>);
    case 'between': {
      if (!Array.isArray(c.value) || c.value.length !== 2 || !c.value.every(ok))
        return bad('type_mismatch', `between takes [low, high] of ${kindName}`);
      const [lo, hi] = c.value as unknown[];
      if (kind === 'boolean') return bad('type_mismatch', 'between does not apply to booleans', 'op');
      return {
        type: 'and',
        items: [wrap('gte', toValue(kind as SegmentFieldKind, lo)), wrap('lte', toValue(kind as SegmentFieldKind, hi))],
      };
    }
    default:
      if (!ok(c.value))
        return bad('type_mismatch', `${c.field} is ${kind === 'any' ? 'compared with' : 'a'} ${kindName}`);
      if (kind === 'boolean' && c.op !== 'eq' && c.op !== 'ne')
        return bad('type_mismatch', `${c.field} is a boolean: use eq or ne`, 'op');
      return wrap(c.op, kind === 'any' ? (c.value as PredicateValue) : toValue(kind, c.value));
  }
}

/** Resolves a relative date against `now` (whole days of 24 hours). */
export function resolveValue(v: PredicateValue, now: Date): PredicateValue {
  if (v !== null && typeof v === 'object' && !(v instanceof Date) && !Array.isArray(v)) {
    const r = v as RelativeDate;
    return 'daysAgo' in r
      ? new Date(now.getTime() - r.daysAgo * millisecondsInDay)
      : new Date(now.getTime() + r.daysAhead * millisecondsInDay);
  }
  return v;
}

/** What a predicate is evaluated on: a statistics row, and for tags and attributes the customer's. */
export interface EvaluationTarget {
  stats: Readonly<Record<string, unknown>>;
  tags?: readonly string[];
  attributes?: Readonly<Record<string, unknown>>;
  categories?: Readonly<Record<string, number>>;
}

function compareOp(v: unknown, op: string, arg: PredicateValue): boolean {
  // SQL semantics, as the port's filters: a comparison never matches null; isNull tests it.
  if (op === 'isNull') return (v === null || v === undefined) === arg;
  if (v === null || v === undefined) return false;
  if (op === 'in') return (arg as unknown[]).some((a) => sameKind(v, a) && compareValues(v, a) === 0);
  if (!sameKind(v, arg)) return op === 'ne';
  const c = compareValues(v, arg);
  switch (op) {
    case 'eq':
      return c === 0;
    case 'ne':
      return c !== 0;
    case 'gt':
      return c > 0;
    case 'gte':
      return c >= 0;
    case 'lt':
      return c < 0;
    case 'lte':
      return c <= 0;
  }
  return false;
}

function sameKind(a: unknown, b: unknown): boolean {
  return (
    (a instanceof Date && b instanceof Date) || (typeof a === typeof b && !(a instanceof Date) && !(b instanceof Date))
  );
}

/** Whether a target satisfies a predicate at `now`. */
export function evaluate(p: Predicate, target: EvaluationTarget, now: Date): boolean {
  switch (p.type) {
    case 'and':
      return p.items.every((x) => evaluate(x, target, now));
    case 'or':
      return p.items.some((x) => evaluate(x, target, now));
    case 'compare':
      return compareOp(target.stats[p.field], p.op, resolveValue(p.value, now));
    case 'tag':
      return (target.tags ?? []).includes(p.tag);
    case 'attribute':
      return compareOp(target.attributes?.[p.name], p.op, p.value);
    case 'category':
      return compareOp(target.categories?.[p.category] ?? 0, p.op, p.value);
  }
}

/** Whether evaluating the predicate needs the customer's tags or attributes (not only the statistics row). */
export function needsCustomer(p: Predicate): boolean {
  if (p.type === 'and' || p.type === 'or') return p.items.some(needsCustomer);
  return p.type === 'tag' || p.type === 'attribute';
}

/** A port filter for one conjunction of a definition, with what must still be checked in memory. */
export interface PushdownTerm {
  /** Conditions on statistics fields, AND-ed (a port `Where`). */
  where: Record<string, Record<string, unknown>>;
  /** Parts the store cannot test (tags, attributes, categories, a second test of one operator on a field). */
  residual: Predicate[];
}

/** At most this many conjunctions are pushed down; a wider definition is evaluated by scanning. */
export const MAX_PUSHDOWN_TERMS = 64;

/**
 * The definition in disjunctive normal form as port filters: the union of the terms' matches (each
 * filtered by its residual) is exactly the set `evaluate` selects. `null` when it would take more than
 * {@link MAX_PUSHDOWN_TERMS} terms.
 */
export function pushdownTerms(p: Predicate, now: Date): PushdownTerm[] | null {
  const dnf = toDnf(p);
  if (dnf === null) return null;
  const terms: PushdownTerm[] = [];
  for (const conj of dnf) {
    const where: Record<string, Record<string, unknown>> = {};
    const residual: Predicate[] = [];
    for (const atom of conj) {
      if (atom.type !== 'compare') {
        residual.push(atom);
        continue;
      }
      const cond = (where[atom.field] ??= {});
      // One operator per field in a port condition: a second test of the same operator stays in memory.
      if (atom.op in cond) residual.push(atom);
      else cond[atom.op] = resolveValue(atom.value, now);
    }
    terms.push({ where, residual });
  }
  return terms;
}

type Atom = Exclude<Predicate, { type: 'and' } | { type: 'or' }>;

function toDnf(p: Predicate): Atom[][] | null {
  if (p.type === 'and') {
    let acc: Atom[][] = [[]];
    for (const item of p.items) {
      const d = toDnf(item);
      if (d === null) return null;
      const next: Atom[][] = [];
      for (const a of acc) for (const b of d) next.push([...a, ...b]);
      if (next.length > MAX_PUSHDOWN_TERMS) return null;
      acc = next;
    }
    return acc;
  }
  if (p.type === 'or') {
    const out: Atom[][] = [];
    for (const item of p.items) {
      const d = toDnf(item);
      if (d === null) return null;
      out.push(...d);
      if (out.length > MAX_PUSHDOWN_TERMS) return null;
    }
    return out;
  }
  return [[p]];
}
