/**
 * Remedies: what a case gives the customer, what each is worth for authority checks, and the narrow
 * part of the loyalty module that issues the loyalty ones. Pure.
 */
import {
  codeSchema,
  minorUnitsSchema,
  multiLineTextSchema,
  type Command,
  type StoreSession,
} from '@clientele/core/module';
import * as z from 'zod';

/** Kinds of remedy. `goodwill-points` and `voucher` are issued through the loyalty module. */
export const REMEDY_TYPES = ['refund', 'compensation', 'goodwill-points', 'voucher', 'exchange', 'repair'] as const;
/** A kind of remedy. */
export type RemedyType = (typeof REMEDY_TYPES)[number];

/** Remedies the loyalty module carries out. */
export const LOYALTY_REMEDIES: readonly RemedyType[] = ['goodwill-points', 'voucher'];

/** Remedies carried out by a supervised task (goods are repaired or exchanged), not at once. */
export const TASK_REMEDIES: readonly RemedyType[] = ['exchange', 'repair'];

const note = multiLineTextSchema(500).optional();
const positive = minorUnitsSchema.refine((n) => n > 0, 'must be more than 0');

/** A remedy as a handler proposes it. Amounts are minor units (fen). */
export const remedyInputSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('refund'), amount: positive, note }).strict(),
  z.object({ type: z.literal('compensation'), amount: positive, note }).strict(),
  z.object({ type: z.literal('goodwill-points'), points: z.number().int().min(1).max(10_000_000), note }).strict(),
  /** `amount` is the voucher's face value, which authority is checked against. */
  z.object({ type: z.literal('voucher'), templateId: codeSchema, amount: positive, note }).strict(),
  /** `amount` is the value of the goods handed over in exchange. */
  z.object({ type: z.literal('exchange'), amount: minorUnitsSchema.default(0), note }).strict(),
  /** `amount` is what the repair costs the retailer. */
  z.object({ type: z.literal('repair'), amount: minorUnitsSchema.default(0), note }).strict(),
]);
/** A proposed remedy, parsed. */
export type RemedyInput = z.output<typeof remedyInputSchema>;

/** How a remedy type is checked against role limits. */
export interface RemedyPolicy {
  /** The authority action of core's role limits (`crm.roles.define({ limits })`) this type is checked against. */
  action: string;
}

/** Default policies: each remedy type is its own authority action. */
export const DEFAULT_REMEDY_POLICIES: Readonly<Record<RemedyType, RemedyPolicy>> = {
  refund: { action: 'refund' },
  compensation: { action: 'compensation' },
  'goodwill-points': { action: 'goodwill-points' },
  voucher: { action: 'voucher' },
  exchange: { action: 'exchange' },
  repair: { action: 'repair' },
};

/**
 * What a remedy is worth in minor units, for authority and for the cost of a cause. Points are valued
 * at `pointValue` minor units each.
 */
export function remedyValue(remedy: RemedyInput, pointValue: number): number {
  return remedy.type === 'goodwill-points' ? remedy.points * pointValue : remedy.amount;
}

/** A readable line for a remedy, for histories and timelines. */
export function describeRemedy(
  remedy: { type: RemedyType; amount: number; points: number | null; templateId: string | null },
  formatMoney: (minor: number) => string,
): string {
  switch (remedy.type) {
    case 'goodwill-points':
      return `${remedy.points ?? 0} goodwill points`;
    case 'voucher':
      return `voucher ${remedy.templateId ?? ''} worth ${formatMoney(remedy.amount)}`;
    case 'exchange':
      return remedy.amount > 0 ? `exchange (goods worth ${formatMoney(remedy.amount)})` : 'exchange';
    case 'repair':
      return remedy.amount > 0 ? `repair (costing ${formatMoney(remedy.amount)})` : 'repair';
    default:
      return `${remedy.type} of ${formatMoney(remedy.amount)}`;
  }
}

/** The stable idempotency key of issuing one remedy: the same on every retry, after any crash. */
export function issueKey(caseId: string, remedyId: string): string {
  return `complaints:${caseId}:${remedyId}`;
}

/** What complaints sends the loyalty module to grant goodwill points for a remedy. */
export interface GoodwillRemedyInput {
  customerId: string;
  points: number;
  reason: string;
  ref: { type: 'case'; id: string };
  /** The case's store. */
  storeId?: string;
  /**
   * Who approved the remedy beyond the handler's own limit, so the loyalty module's own authority check counts them
   * too.
   */
  approvedBy?: string;
}

/** What complaints sends the loyalty module to issue a voucher for a remedy. */
export interface VoucherRemedyInput {
  templateId: string;
  customerId: string;
  source: 'service-recovery';
  ref: { type: 'case'; id: string };
  /** Who approved the remedy beyond the handler's own limit, as for goodwill points. */
  approvedBy?: string;
}

/** A command of the loyalty module, as the kernel built it (so it can run inside a case's transaction). */
export type LoyaltyCommand<I, O> = Command<z.ZodType<unknown, I>, O>;

/**
 * The part of `crm.loyalty` that complaints uses. Declared here so complaints depends only on this
 * shape, not on the loyalty package. Both are the loyalty module's own commands: complaints runs them
 * with `ctx.call` inside the transaction that carries the remedy out.
 */
export interface LoyaltyRemedyApi {
  /** Grants goodwill points, linked to the case. */
  grantGoodwill?: LoyaltyCommand<GoodwillRemedyInput, { entryId: string; points: number; balance: number }>;
  /** Vouchers, when the loyalty module has them. */
  vouchers?: {
    issue?: LoyaltyCommand<VoucherRemedyInput, { id: string; code: string }>;
  };
}

/**
 * The loyalty command that carries out a remedy type, or null when the loyalty module does not offer it as a command.
 */
export function loyaltyCommandFor(api: LoyaltyRemedyApi | null, type: RemedyType): Command<z.ZodType, unknown> | null {
  const command: unknown =
    type === 'goodwill-points' ? api?.grantGoodwill : type === 'voucher' ? api?.vouchers?.issue : undefined;
  const isCommand =
    typeof command === 'function' && typeof (command as { info?: { name?: unknown } }).info?.name === 'string';
  return isCommand ? (command as Command<z.ZodType, unknown>) : null;
}

/**
 * The part of `crm.segments` that complaints reads, when the segments module is installed: its entry
 * point for other modules, which reads through the command's own transaction and checks no reader
 * (the case or survey command that asks was authorised already).
 */
export interface SegmentsReadApi {
  forModules?: {
    /** The customer's policy; its `serviceLevel` picks per-service-level time limits. */
    policyFor?(customerId: string, session: StoreSession): Promise<{ serviceLevel: string | null }>;
    /** Segment ids the customer belongs to; survey scores are reported per segment. */
    segmentsOf?(
      customerId: string,
      session: StoreSession,
    ): Promise<ReadonlyArray<string | { id?: string; segmentId?: string }>>;
  };
}

/** Segment ids from what `segmentsOf` returns (ids, or records carrying `segmentId` or `id`). */
export function segmentIds(list: ReadonlyArray<string | { id?: string; segmentId?: string }>): string[] {
  const ids = list.map((s) => (typeof s === 'string' ? s : (s.segmentId ?? s.id ?? ''))).filter((s) => s.length > 0);
  return [...new Set(ids)].sort();
}
