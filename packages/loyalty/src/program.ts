/**
 * The loyalty program: JSON data a back office stores and edits, validated with zod so an invalid
 * program is refused with every problem named by path (`earn.3.every: every must be a positive
 * integer`), including programs that contradict themselves. The schema is built from the registry
 * of condition and rule kinds, so a host's own kinds validate like the built-in ones.
 */
import {
  ValidationError,
  codeSchema,
  currencySchema,
  isClienteleError,
  parseInput,
  timeZoneSchema,
  type ValidationIssue,
} from '@clientele/core/module';
import * as z from 'zod';
import { activityShape, ACTIVITY_TYPES, type ActivityType, type PayloadField } from './activities.js';
import { BUILT_IN_BASKET_CONDITIONS, type BasketConditionKind, type CompiledCondition } from './conditions.js';
import { expiryPolicySchema } from './expiry.js';
import { PERIODS, type Period } from './local-time.js';
import { rewardSchema, type RewardConfig } from './rewards.js';
import { BUILT_IN_RULE_KINDS, type RuleKind } from './rule-kinds.js';
import { tiersSchema } from './tiers.js';

/** Condition and rule kinds a program may use. */
export interface KindRegistry {
  readonly conditions: ReadonlyMap<string, BasketConditionKind>;
  readonly rules: ReadonlyMap<string, RuleKind>;
}

/** The host's own kinds, added to the built-in ones. */
export interface KindOptions {
  conditions?: readonly BasketConditionKind[];
  ruleKinds?: readonly RuleKind[];
}

/** The built-in kinds plus the host's; a code used twice is a programming error (TypeError). */
export function createRegistry(options: KindOptions = {}): KindRegistry {
  const conditions = new Map<string, BasketConditionKind>();
  for (const c of [...BUILT_IN_BASKET_CONDITIONS, ...(options.conditions ?? [])]) {
    if (conditions.has(c.code)) throw new TypeError(`condition kind ${c.code} is registered twice`);
    if (!/^[a-z][A-Za-z0-9]{0,40}$/.test(c.code)) throw new TypeError(`condition kind codes are camelCase: ${c.code}`);
    conditions.set(c.code, c);
  }
  const rules = new Map<string, RuleKind>();
  for (const r of [...BUILT_IN_RULE_KINDS, ...(options.ruleKinds ?? [])]) {
    if (rules.has(r.code)) throw new TypeError(`rule kind ${r.code} is registered twice`);
    if (!/^[a-z][a-z0-9-]{0,40}$/.test(r.code)) throw new TypeError(`rule kind codes are lower-case words: ${r.code}`);
    for (const arg of Object.keys(r.args.shape)) {
      if (COMMON_RULE_FIELDS.has(arg))
        throw new TypeError(`rule kind ${r.code}: argument ${arg} clashes with a rule field`);
    }
    rules.set(r.code, r);
  }
  return { conditions, rules };
}

const COMMON_RULE_FIELDS = new Set([
  'id',
  'name',
  'kind',
  'priority',
  'group',
  'when',
  'except',
  'caps',
  'budgets',
  'deduct',
]);

/**
 * Discounts that may reduce the amount a rule earns on: each line's own discount, the vouchers scoped
 * to lines that cover it (a voucher for some categories), and the vouchers for the whole basket.
 */
export const BASE_DEDUCTIONS = ['line-discounts', 'scoped-vouchers', 'basket-vouchers'] as const;
/** A discount that may reduce a rule's base. */
export type BaseDeduction = (typeof BASE_DEDUCTIONS)[number];
const positive = (what: string) =>
  z
    .number()
    .int(`${what} must be a positive integer`)
    .positive(`${what} must be a positive integer`)
    .max(Number.MAX_SAFE_INTEGER);

/** Caps on points: per order, per member per day (store time zone), per member for ever. */
export const capsSchema = z
  .object({
    perOrder: positive('perOrder').optional(),
    perDay: positive('perDay').optional(),
    perCustomer: positive('perCustomer').optional(),
  })
  .strict();

/** A budget: at most `points` per `period`, counted for the whole program, per store or per member. */
export const budgetSchema = z
  .object({
    points: positive('points'),
    period: z.enum(PERIODS),
    per: z.enum(['program', 'store', 'customer']).default('program'),
  })
  .strict();

function conditionsSchema(registry: KindRegistry, scopes: ReadonlySet<CompiledCondition['scope']>) {
  const shape: Record<string, z.ZodType> = {};
  for (const kind of registry.conditions.values()) if (scopes.has(kind.scope)) shape[kind.code] = kind.args.optional();
  return z.object(shape).strict();
}

/** Builds the program schema for a registry (the built-in one when none is given). */
export function programSchema(registry: KindRegistry = createRegistry()) {
  const when = conditionsSchema(registry, new Set(['line', 'basket', 'matched']));
  const lineOnly = conditionsSchema(registry, new Set(['line']));
  const basketOnly = conditionsSchema(registry, new Set(['basket']));
  const common = {
    /** Unique within the program; traces and counters name the rule by it. */
    id: codeSchema,
    name: z.string().min(1).max(100).optional(),
    /** Higher first; also the tie-break of best-of groups and the order caps trim in (lowest first). */
    priority: z.number().int().min(-1000).max(1000).default(0),
    /** A group declared in `groups`: its rules combine cumulatively or best-of. */
    group: codeSchema.optional(),
    /** Conditions, all of which must hold (a list inside one condition means any of its values). */
    when: when.optional(),
    /** Lines matching any of these line conditions are left out of this rule. */
    except: lineOnly.optional(),
    caps: capsSchema.optional(),
    budgets: z.array(budgetSchema).max(10).optional(),
    /**
     * The discounts that reduce this rule's base (an empty list: the gross price). Absent: what the
     * program's `base` says.
     */
    deduct: z
      .array(z.enum(BASE_DEDUCTIONS))
      .max(BASE_DEDUCTIONS.length)
      .refine((d) => new Set(d).size === d.length, 'each discount is listed once')
      .optional(),
  };
  const variants = [...registry.rules.values()].map((k) =>
    z.object({ ...common, kind: z.literal(k.code), ...k.args.shape }).strict(),
  );
  const rule = (variants.length === 1
    ? variants[0]!
    : z.discriminatedUnion(
        'kind',
        variants as unknown as [z.ZodObject, z.ZodObject, ...z.ZodObject[]],
      )) as unknown as z.ZodType<RuleConfig, RuleInput>;
  const activity = z.object({ ...activityShape, when: basketOnly.optional() }).strict() as unknown as z.ZodType<
    ActivityConfig,
    ActivityInput
  >;

  return z
    .object({
      id: codeSchema,
      name: z.string().min(1).max(200).optional(),
      currency: currencySchema.default('CNY'),
      /** The language money is written in in quotes' explanations (default `zh-CN`: `¥86.50`). */
      locale: z.enum(['en', 'zh-CN']).optional(),
      /** Time zone of chain-wide periods (tier months, program budgets); stores use their own for the rest. */
      timeZone: timeZoneSchema.default('UTC'),
      /** What points are worth: `points` points are worth `amount` minor units (redemption, liability). */
      pointValue: z
        .object({ points: positive('points'), amount: positive('amount') })
        .strict()
        .default({ points: 1, amount: 1 }),
      /** The amount points are earned on. */
      base: z
        .object({
          /** `net`: after line discounts (default); `gross`: before them. */
          amount: z.enum(['net', 'gross']).default('net'),
          /** `ignore`: vouchers do not reduce the base (default); `deduct`: the base is what is left after vouchers. */
          vouchers: z.enum(['ignore', 'deduct']).default('ignore'),
          /** Payment methods that count as vouchers when a sale is committed. */
          voucherMethods: z
            .array(z.string().regex(/^[a-z][a-z0-9-]{0,31}$/))
            .max(10)
            .default(['voucher']),
        })
        .strict()
        .default({ amount: 'net', vouchers: 'ignore', voucherMethods: ['voucher'] }),
      rounding: z
        .object({
          mode: z.enum(['floor', 'half-up', 'half-even', 'ceil']).default('floor'),
          per: z.enum(['line', 'basket']).default('line'),
        })
        .strict()
        .default({ mode: 'floor', per: 'line' }),
      /** Lines matching any of these earn nothing from any rule (tobacco, gift cards, top-ups). */
      exclude: lineOnly.optional(),
      /** Rule groups and how their rules combine. */
      groups: z.record(codeSchema, z.enum(['best-of', 'cumulative'])).default({}),
      earn: z.array(rule).max(500).default([]),
      /** Caps on the whole order's points. */
      caps: capsSchema.optional(),
      activities: z.array(activity).max(50).default([]),
      /** Product rewards members take with points (free products, buy X get Y). */
      rewards: z
        .array(rewardSchema(lineOnly) as unknown as z.ZodType<RewardConfig>)
        .max(100)
        .optional(),
      expiry: expiryPolicySchema.default({ kind: 'never' }),
      /** Days before expiry when `points.expiring` warns the member (none: no warning). */
      warnDays: z.number().int().min(1).max(365).optional(),
      /** Days purchase points stay pending (the return window) before they can be spent. */
      pending: z
        .object({ days: z.number().int().min(0).max(365) })
        .strict()
        .default({ days: 0 }),
      tiers: tiersSchema.optional(),
      returns: z
        .object({
          /**
           * When a return claws back points already spent: let the balance go negative (it blocks redemption), or
           * charge the shortfall against the refund.
           */
          shortfall: z.enum(['negative-balance', 'deduct-from-refund']).default('negative-balance'),
        })
        .strict()
        .default({ shortfall: 'negative-balance' }),
      redemption: z
        .object({
          /** The payment method of a sale paid (partly) with points; its reference is the hold id. */
          paymentMethod: z
            .string()
            .regex(/^[a-z][a-z0-9-]{0,31}$/)
            .default('points'),
          /** How long a hold lasts. */
          holdMinutes: z
            .number()
            .int()
            .min(1)
            .max(24 * 60)
            .default(15),
          /** The fewest points one redemption may take. */
          minPoints: z.number().int().min(1).default(1),
        })
        .strict()
        .default({ paymentMethod: 'points', holdMinutes: 15, minPoints: 1 }),
    })
    .strict()
    .superRefine((program, ctx) => {
      for (const issue of contradictions(program as unknown as ProgramShape, registry))
        ctx.addIssue({ code: 'custom', path: [...issue.path], message: issue.message, params: { code: issue.code } });
    });
}

/** The program as a back office writes it. */
export type ProgramInput = z.input<ReturnType<typeof programSchema>>;
/** The program after validation, defaults filled in. */
export type ProgramConfig = z.output<ReturnType<typeof programSchema>>;
/** Conditions by kind code, each with its arguments. */
export type ConditionsConfig = Record<string, unknown>;

/** One earning rule as written: the common fields plus its kind's arguments inline. */
export interface RuleInput {
  id: string;
  name?: string;
  kind: string;
  priority?: number;
  group?: string;
  when?: ConditionsConfig;
  except?: ConditionsConfig;
  caps?: { perOrder?: number; perDay?: number; perCustomer?: number };
  budgets?: Array<{ points: number; period: Period; per?: 'program' | 'store' | 'customer' }>;
  /** The discounts that reduce this rule's base; absent: the program's `base`. */
  deduct?: BaseDeduction[];
  [arg: string]: unknown;
}

/** One earning rule after validation. */
export interface RuleConfig extends RuleInput {
  priority: number;
  budgets?: Array<{ points: number; period: Period; per: 'program' | 'store' | 'customer' }>;
}

/** One activity as written. */
export interface ActivityInput {
  code: string;
  type: ActivityType;
  name?: string;
  points: number;
  referrerPoints?: number;
  payload?: Record<string, PayloadField>;
  limit?: { count: number; period: Period };
  when?: ConditionsConfig;
}
/** One activity after validation. */
export type ActivityConfig = ActivityInput;

/** The fields `contradictions` reads. */
interface ProgramShape {
  earn: Array<{
    id: string;
    kind: string;
    group?: string;
    when?: Record<string, unknown>;
    appliesTo?: string[];
    [k: string]: unknown;
  }>;
  groups: Record<string, string>;
  exclude?: Record<string, unknown>;
  tiers?: { levels: Array<{ code: string }> };
  activities: Array<{ code: string; type: string; referrerPoints?: number; when?: Record<string, unknown> }>;
  rewards?: Array<{ id: string }>;
  expiry: { kind: string; days?: number };
  pending: { days: number };
  base: { voucherMethods: string[] };
  redemption: { paymentMethod: string };
}

/** Problems a program has although every field is well formed: it contradicts itself. */
function contradictions(p: ProgramShape, registry: KindRegistry): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  const add = (path: Array<string | number>, message: string, code = 'contradiction') =>
    out.push({ path, code, message });
  const ids = new Map<string, number>();
  const stageOfGroup = new Map<string, string>();
  const tierCodes = p.tiers ? new Set(p.tiers.levels.map((l) => l.code)) : null;
  p.earn.forEach((rule, i) => {
    if (ids.has(rule.id)) add(['earn', i, 'id'], `rule id ${rule.id} is used by earn[${ids.get(rule.id)}] too`);
    else ids.set(rule.id, i);
  });
  p.earn.forEach((rule, i) => {
    const kind = registry.rules.get(rule.kind)!;
    for (const problem of kind.check?.(rule) ?? []) add(['earn', i, ...problem.path], problem.message);
    if (rule.group !== undefined) {
      if (!(rule.group in p.groups)) add(['earn', i, 'group'], `group ${rule.group} is not declared in groups`);
      const stage = stageOfGroup.get(rule.group);
      if (stage !== undefined && stage !== kind.stage)
        add(
          ['earn', i, 'group'],
          `group ${rule.group} mixes ${stage} and ${kind.stage} rules; best-of compares like with like`,
        );
      stageOfGroup.set(rule.group, stage ?? kind.stage);
    }
    (rule.appliesTo ?? []).forEach((target, j) => {
      const t = ids.get(target);
      if (t === undefined) add(['earn', i, 'appliesTo', j], `no rule ${target} to multiply`);
      else if (registry.rules.get(p.earn[t]!.kind)!.stage !== 'line')
        add(['earn', i, 'appliesTo', j], `rule ${target} earns per basket; multipliers apply to line rules`);
    });
    const tiers = rule.when?.['tier'] as string[] | undefined;
    tiers?.forEach((code, j) => {
      if (!tierCodes) add(['earn', i, 'when', 'tier'], 'the program has no tiers, so a tier condition never holds');
      else if (!tierCodes.has(code)) add(['earn', i, 'when', 'tier', j], `unknown tier ${code}`);
    });
    for (const field of ['category', 'sku', 'brand']) {
      const wanted = rule.when?.[field] as string[] | undefined;
      const excluded = p.exclude?.[field] as string[] | undefined;
      if (wanted && excluded && wanted.every((w) => excluded.includes(w))) {
        add(
          ['earn', i, 'when', field],
          `every ${field} this rule needs is excluded by exclude.${field}, so it never earns`,
        );
      }
    }
  });
  const codes = new Map<string, number>();
  let registration = -1;
  p.activities.forEach((a, i) => {
    if (codes.has(a.code)) add(['activities', i, 'code'], `activity ${a.code} is declared twice`);
    codes.set(a.code, i);
    if (a.referrerPoints !== undefined && a.type !== 'referral')
      add(['activities', i, 'referrerPoints'], 'only referrals reward a referrer');
    if (a.type === 'registration') {
      if (registration >= 0) add(['activities', i, 'type'], `activities[${registration}] already rewards registration`);
      registration = i;
    }
    const tiers = a.when?.['tier'] as string[] | undefined;
    tiers?.forEach((code, j) => {
      if (!tierCodes?.has(code)) add(['activities', i, 'when', 'tier', j], `unknown tier ${code}`);
    });
  });
  const rewardIds = new Map<string, number>();
  (p.rewards ?? []).forEach((r, i) => {
    if (rewardIds.has(r.id))
      add(['rewards', i, 'id'], `reward id ${r.id} is used by rewards[${rewardIds.get(r.id)}] too`);
    else rewardIds.set(r.id, i);
  });
  if (p.expiry.kind === 'days' && p.pending.days > 0 && (p.expiry.days ?? 0) <= p.pending.days) {
    add(
      ['expiry', 'days'],
      `points would expire (after ${p.expiry.days} days) before they stop pending (after ${p.pending.days} days)`,
    );
  }
  if (p.base.voucherMethods.includes(p.redemption.paymentMethod))
    add(['redemption', 'paymentMethod'], `${p.redemption.paymentMethod} is also listed in base.voucherMethods`);
  return out;
}

/** Validates a program; throws `VALIDATION_FAILED` naming every problem by path. */
export function parseProgram(input: unknown, registry: KindRegistry = createRegistry()): ProgramConfig {
  try {
    return parseInput(programSchema(registry), input);
  } catch (error) {
    if (isClienteleError(error, 'VALIDATION_FAILED') && error instanceof ValidationError)
      throw new ValidationError(error.issues, `invalid loyalty program: ${error.message}`);
    throw error;
  }
}

/** Activity types, for documentation. */
export { ACTIVITY_TYPES };
