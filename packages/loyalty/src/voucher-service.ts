/**
 * Vouchers (代金券): templates, issue (by hand within authority, from a campaign, for service
 * recovery, or bought with points in the same transaction as the points debit), holds at the till,
 * cancellation, and the queries a till and a back office read. Redemption at checkout and what
 * returns and voids do is in `voucher-checkout.ts`.
 *
 * Every change of a voucher is an appended entry; the voucher row caches the state the entries lead
 * to and is changed only by a guarded `consume` on its status and entry count, so two tills can
 * never both take the same voucher.
 */
import {
  mustGet,
  InvalidStateError,
  NotFoundError,
  actorRef,
  codeSchema,
  idSchema,
  instantSchema,
  invalid,
  isClienteleError,
  pageSchema,
  parseInput,
  shortTextSchema,
  storesCollection,
  type CommandOptions,
  type JsonValue,
  type QueryOptions,
  type ResultPage,
  type RowOf,
  type StoreSession,
  type Where,
} from '@clientele/core/module';
import * as z from 'zod';
import { addMinutes, min } from 'date-fns';
import {
  accountsCollection,
  voucherEntriesCollection,
  voucherTemplatesCollection,
  vouchersCollection,
  type VoucherEntryKind,
} from './collections.js';
import { InsufficientBalanceError } from './errors.js';
import { VOUCHER_LIMITS } from './grant-authority.js';
import { basketLineSchema, priceBasket } from './basket.js';
import { addDaysToDate, localTime, startOfLocalDate } from './local-time.js';
import { activeMember } from './member-context.js';
import { valueOfPoints } from './points-math.js';
import type { LoyaltyRuntime } from './runtime.js';
import type { LoyaltyContext } from './context.js';
import { formatCode, generateCode, voucherCodeSchema } from './voucher-codes.js';
import {
  checkVoucher,
  voucherRefusal,
  type VoucherCheck,
  type VoucherFacts,
  type VoucherLine,
  type VoucherReason,
  type VoucherStatus,
} from './voucher-rules.js';
import {
  faceValueOf,
  termsOf,
  validityOf,
  voucherTemplateSchema,
  type VoucherTemplate,
  type VoucherTemplateInput,
  type VoucherTerms,
  type VoucherValue,
} from './voucher-templates.js';

/** A voucher row as stored. */
export type VoucherRow = RowOf<typeof vouchersCollection>;
/** A voucher entry as stored. */
export type VoucherEntry = RowOf<typeof voucherEntriesCollection>;

/** How a voucher came to be. */
export const VOUCHER_SOURCES = ['conversion', 'campaign', 'service-recovery', 'manual'] as const;
/** How a voucher came to be. */
export type VoucherSource = (typeof VOUCHER_SOURCES)[number];

/** A voucher as the API returns it. */
export interface Voucher {
  id: string;
  /** The code as stored (no separators); `display` is how it is printed. */
  code: string;
  display: string;
  templateId: string;
  name: string;
  customerId: string | null;
  status: VoucherStatus;
  value: VoucherValue;
  /** The most it can take off a sale. */
  faceValue: number;
  minSpend: number;
  categories: string[] | null;
  excludeCategories: string[];
  stores: string[] | null;
  stackable: boolean;
  belowMinimumOnReturn: VoucherTerms['belowMinimumOnReturn'];
  validFrom: Date;
  validUntil: Date;
  source: VoucherSource;
  ref: { type: string; id: string } | null;
  issuedAt: Date;
  storeId: string | null;
  hold: { holdId: string; storeId: string | null; terminalId: string | null; until: Date | null } | null;
  /** The sale that redeemed it and what it took off (while redeemed). */
  purchaseId: string | null;
  discount: number;
}

/** A defined template, with its state. */
export type VoucherTemplateRecord = VoucherTemplate & {
  status: 'active' | 'retired';
  createdAt: Date;
  updatedAt: Date;
};

/** The view of a voucher row. */
export function toVoucher(row: VoucherRow): Voucher {
  const terms = row.terms as unknown as VoucherTerms;
  return {
    id: row.id,
    code: row.code,
    display: formatCode(row.code),
    templateId: row.templateId,
    name: terms.name,
    customerId: row.customerId,
    status: row.status as VoucherStatus,
    value: terms.value,
    faceValue: row.faceValue,
    minSpend: terms.minSpend,
    categories: terms.categories,
    excludeCategories: terms.excludeCategories,
    stores: terms.stores,
    stackable: terms.stackable,
    belowMinimumOnReturn: terms.belowMinimumOnReturn,
    validFrom: row.validFrom,
    validUntil: row.validUntil,
    source: row.source as VoucherSource,
    ref: row.refType && row.refId ? { type: row.refType, id: row.refId } : null,
    issuedAt: row.issuedAt,
    storeId: row.storeId,
    hold: row.holdId
      ? { holdId: row.holdId, storeId: row.heldStoreId, terminalId: row.heldTerminalId, until: row.heldUntil }
      : null,
    purchaseId: row.purchaseId,
    discount: row.discount,
  };
}

/** The facts the pure rules read. */
export function factsOf(row: VoucherRow): VoucherFacts {
  return {
    customerId: row.customerId,
    status: row.status as VoucherStatus,
    terms: row.terms as unknown as VoucherTerms,
    validFrom: row.validFrom,
    validUntil: row.validUntil,
    hold: row.holdId ? { storeId: row.heldStoreId, terminalId: row.heldTerminalId, until: row.heldUntil } : null,
  };
}

/** What an entry records besides its kind and the new status. */
export interface VoucherMove {
  kind: VoucherEntryKind;
  status: VoucherStatus;
  /** Fields of the row to set with the move. */
  set?: Partial<Omit<VoucherRow, 'id' | 'status' | 'lastSeq'>>;
  amount?: number;
  storeId?: string | null;
  ref?: { type: string; id: string } | null;
  details?: Record<string, JsonValue>;
  /** Further conditions the row must meet (besides its status and entry count as read). */
  when?: Where<typeof vouchersCollection>;
}

/**
 * Moves a voucher to a new state and appends the entry, if the row is still as it was read (status
 * and entry count): of racing transactions exactly one moves it. Returns the new row, or `undefined`
 * when another got there first (nothing written).
 */
export async function moveVoucher(
  ctx: LoyaltyContext,
  row: VoucherRow,
  move: VoucherMove,
): Promise<VoucherRow | undefined> {
  const seq = row.lastSeq + 1;
  const next = await ctx.tx.consume(
    vouchersCollection,
    row.id,
    { ...move.when, status: row.status, lastSeq: row.lastSeq },
    { ...move.set, status: move.status, lastSeq: seq, updatedAt: ctx.now },
  );
  if (!next) return undefined;
  await ctx.tx.insert(voucherEntriesCollection, {
    id: ctx.id('vce'),
    voucherId: row.id,
    seq,
    at: ctx.now,
    kind: move.kind,
    status: move.status,
    amount: move.amount ?? 0,
    customerId: row.customerId,
    storeId: move.storeId ?? null,
    refType: move.ref?.type ?? null,
    refId: move.ref?.id ?? null,
    actor: actorRef(ctx.actor) as JsonValue,
    details: move.details ?? {},
  });
  return next;
}

/** The refusal for a voucher that is no longer in a state the caller can use. */
export function stateRefusal(row: VoucherRow, path: ReadonlyArray<string | number>, at: Date): never {
  const status = row.status as VoucherStatus;
  const reason: VoucherReason =
    status === 'active'
      ? at.getTime() >= row.validUntil.getTime()
        ? 'expired'
        : 'not_yet_valid'
      : status === 'held'
        ? 'held'
        : status;
  throw voucherRefusal(reason, path, { code: formatCode(row.code), voucherId: row.id, status });
}

const refSchema = z.object({ type: codeSchema, id: idSchema }).strict();
const codeInput = { code: voucherCodeSchema };

/** Input of `vouchers.issue`. */
export const issueVoucherSchema = z
  .object({
    templateId: codeSchema,
    /** The owner; omit for a bearer voucher (a printed campaign voucher) anyone may use. */
    customerId: idSchema.optional(),
    /** `manual` (default), `campaign` or `service-recovery`; points conversion has its own command. */
    source: z.enum(['manual', 'campaign', 'service-recovery']).default('manual'),
    /** What it is for: `{ type: 'case', id }` for service recovery, `{ type: 'campaign', id }` for a campaign. */
    ref: refSchema.optional(),
    storeId: codeSchema.optional(),
    reason: shortTextSchema.optional(),
    /** A member of staff whose authority covers the face value when the actor's does not. */
    approvedBy: codeSchema.optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.source === 'service-recovery' && v.customerId === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['customerId'],
        message: 'a service-recovery voucher is for a customer',
        params: { code: 'required' },
      });
    if (v.source !== 'manual' && v.ref === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['ref'],
        message: `a ${v.source} voucher names what it is for`,
        params: { code: 'required' },
      });
  });

/** Input of `vouchers.convert`. */
export const convertSchema = z
  .object({
    templateId: codeSchema,
    customerId: idSchema,
    /** Vouchers to buy at once (default 1). */
    quantity: z.number().int().min(1).max(10).default(1),
    storeId: codeSchema.optional(),
  })
  .strict();

/** Input of `vouchers.reserve`. */
export const reserveVoucherSchema = z
  .object({
    ...codeInput,
    storeId: codeSchema,
    terminalId: codeSchema,
    /** The buyer (a member's voucher is held only for that member). */
    customerId: idSchema.optional(),
    /** The basket as scanned: checked now against the minimum spend and the categories. */
    basket: z
      .object({ lines: z.array(basketLineSchema).min(1).max(1000) })
      .strict()
      .optional(),
    /** Minutes the hold lasts (default and maximum: the program's `redemption.holdMinutes`). */
    minutes: z
      .number()
      .int()
      .positive()
      .max(24 * 60)
      .optional(),
  })
  .strict();

/** Input of `vouchers.eligible`. */
export const eligibleSchema = z
  .object({
    customerId: idSchema,
    storeId: codeSchema,
    basket: z.object({ lines: z.array(basketLineSchema).min(1).max(1000) }).strict(),
    at: instantSchema.optional(),
  })
  .strict();

/** Input of `vouchers.issue`. */
export type IssueVoucherInput = z.input<typeof issueVoucherSchema>;
/** Input of `vouchers.convert`. */
export type ConvertPointsInput = z.input<typeof convertSchema>;
/** Input of `vouchers.reserve`. */
export type ReserveVoucherInput = z.input<typeof reserveVoucherSchema>;
/** Input of `vouchers.eligible`: the customer, the store and the basket. */
export type EligibleVouchersInput = z.input<typeof eligibleSchema>;

const retireTemplateSchema = z.object({ templateId: codeSchema }).strict();
/** Input of `vouchers.retireTemplate`. */
export type RetireTemplateInput = z.input<typeof retireTemplateSchema>;

const cancelVoucherSchema = z
  .object({
    ...codeInput,
    /** Why, for the voucher's history and the audit. */
    reason: shortTextSchema,
  })
  .strict();
/** Input of `vouchers.cancel`. */
export type CancelVoucherInput = z.input<typeof cancelVoucherSchema>;

const cancelVoucherHoldSchema = z.object(codeInput).strict();
/** Input of `vouchers.cancelHold`. */
export type CancelVoucherHoldInput = z.input<typeof cancelVoucherHoldSchema>;

const ofCustomerSchema = pageSchema
  .extend({
    /** Only the vouchers in this state. */
    status: z.enum(['active', 'held', 'redeemed', 'expired', 'cancelled']).optional(),
  })
  .strict();
/** Filters of `vouchers.ofCustomer`. */
export type CustomerVouchersInput = z.input<typeof ofCustomerSchema>;

/** What `vouchers.convert` returns: the vouchers bought and the points they took. */
export interface VoucherConversion {
  vouchers: Voucher[];
  /** Points taken. */
  points: number;
  /** The ledger entry that took them. */
  entryId: string;
  /** The available balance after it. */
  balance: number;
}

/** A voucher held at a till, from `vouchers.reserve`. */
export interface VoucherHold {
  voucher: Voucher;
  holdId: string;
  /** When the hold lapses if no sale uses it. */
  heldUntil: Date;
  /** What it takes off the basket given (`null` without a basket). */
  discount: number | null;
}

/** A customer's vouchers checked against a basket, from `vouchers.eligible`. */
export interface VoucherEligibility {
  /** Those that apply, the largest discount first. */
  usable: EligibleVoucher[];
  /** Those that do not, each with its reasons. */
  unusable: EligibleVoucher[];
}

/**
 * `crm.loyalty.vouchers`: vouchers (代金券) from templates, issued by hand, for a campaign or for
 * service recovery, or bought with points; held at a till, checked against a basket, looked up by
 * code. Reads need `loyalty.vouchers.read`.
 */
export interface VoucherApi {
  /** Defines (or redefines) a template; vouchers already issued keep the terms they were issued with. */
  defineTemplate(input: VoucherTemplateInput, options: CommandOptions): Promise<VoucherTemplateRecord>;
  /** Stops issuing a template; vouchers already issued stay good. */
  retireTemplate(input: RetireTemplateInput, options: CommandOptions): Promise<VoucherTemplateRecord>;
  /** A template. */
  template(templateId: string): Promise<VoucherTemplateRecord>;
  /** Every template. */
  templates(): Promise<VoucherTemplateRecord[]>;
  /**
   * Issues a voucher by hand, for a campaign, or for service recovery (the complaints module calls
   * this). Needs `loyalty.vouchers.issue` and authority for its face value (`voucher` limit, or
   * `compensation`); idempotent on its key.
   */
  issue(input: IssueVoucherInput, options: CommandOptions): Promise<Voucher>;
  /** A member buys vouchers with points: the points are taken in the same transaction. */
  convert(input: ConvertPointsInput, options: CommandOptions): Promise<VoucherConversion>;
  /** Cancels an unused voucher. */
  cancel(input: CancelVoucherInput, options: CommandOptions): Promise<Voucher>;
  /** Holds a voucher at a till between showing the total and taking payment. */
  reserve(input: ReserveVoucherInput, options: CommandOptions): Promise<VoucherHold>;
  /** Releases a held voucher. */
  cancelHold(input: CancelVoucherHoldInput, options: CommandOptions): Promise<Voucher>;
  /** Which of the customer's vouchers apply to a basket, what each takes off, and why the others do not. */
  eligible(input: EligibleVouchersInput, options: QueryOptions): Promise<VoucherEligibility>;
  /** A voucher by its code (a mistyped code is `VALIDATION_FAILED` before anything is read). */
  lookup(code: string, options: QueryOptions): Promise<Voucher>;
  /** A voucher by id. */
  get(voucherId: string, options: QueryOptions): Promise<Voucher>;
  /** A customer's vouchers, newest first. */
  ofCustomer(customerId: string, options: QueryOptions): Promise<ResultPage<Voucher>>;
  /** A customer's vouchers, newest first, optionally in one state. */
  ofCustomer(
    customerId: string,
    filters: CustomerVouchersInput | undefined,
    options: QueryOptions,
  ): Promise<ResultPage<Voucher>>;
  /** A voucher's entries, in order. */
  history(voucherId: string, options: QueryOptions): Promise<VoucherEntry[]>;
}

/** One of a customer's vouchers checked against a basket. */
export interface EligibleVoucher {
  voucher: Voucher;
  /** What it takes off this basket (0 when it does not apply). */
  discount: number;
  /** The part of the basket it applies to. */
  eligible: number;
  /** Why it does not apply (empty when it does). */
  reasons: VoucherReason[];
}

/** The lines of a basket as the voucher rules read them. */
export function voucherLines(basket: { lines: unknown[] }, path: ReadonlyArray<string | number>): VoucherLine[] {
  return priceBasket({ lines: basket.lines }, path).lines.map((l) => ({ category: l.category, amount: l.net }));
}

/** Loads a defined template; `NOT_FOUND` with `path` otherwise. */
export async function loadTemplate(
  session: StoreSession,
  id: string,
  path: ReadonlyArray<string | number> = ['templateId'],
): Promise<{ template: VoucherTemplate; status: string }> {
  const row = await mustGet(session, voucherTemplatesCollection, id, 'voucher template', { path });
  return { template: row.config as unknown as VoucherTemplate, status: row.status };
}

/** The permission of reads of vouchers (a member's, or a bearer voucher by its code). */
const READ = 'loyalty.vouchers.read';

/** Builds the voucher service (the checkout part registers itself from `voucher-checkout.ts`). */
export function createVoucherService(runtime: LoyaltyRuntime) {
  const { kernel, ledger } = runtime;
  const cfg = runtime.program.config;
  const store = kernel.store;

  /** Makes a voucher from a template and appends its first entry. */
  async function issueInto(
    ctx: LoyaltyContext,
    input: {
      template: VoucherTemplate;
      customerId: string | null;
      source: VoucherSource;
      ref: { type: string; id: string } | null;
      storeId: string | null;
      id?: string;
      details?: Record<string, JsonValue>;
    },
    path: ReadonlyArray<string | number> = ['templateId'],
  ): Promise<VoucherRow> {
    const validity = validityOf(input.template.validity, ctx.now, cfg.timeZone);
    if (!validity)
      throw new InvalidStateError(
        `voucher template ${input.template.id} ended on ${(input.template.validity as { until: string }).until}`,
        { path, reason: 'template_ended' },
      );
    const terms = termsOf(input.template);
    // A voucher bought with points is paid for; any other is given, under authority.
    if (input.source !== 'conversion') ctx.moved('voucher', faceValueOf(terms.value));
    const id = input.id ?? ctx.id('vch');
    for (let attempt = 0; ; attempt++) {
      try {
        const row = await ctx.tx.insert(vouchersCollection, {
          id,
          code: generateCode(),
          templateId: input.template.id,
          customerId: input.customerId,
          status: 'active',
          terms: terms as unknown as JsonValue,
          faceValue: faceValueOf(terms.value),
          validFrom: validity.from,
          validUntil: validity.until,
          source: input.source,
          refType: input.ref?.type ?? null,
          refId: input.ref?.id ?? null,
          issuedAt: ctx.now,
          storeId: input.storeId,
          holdId: null,
          heldUntil: null,
          heldStoreId: null,
          heldTerminalId: null,
          purchaseId: null,
          discount: 0,
          chargedBack: 0,
          lastSeq: 1,
          updatedAt: ctx.now,
        });
        await ctx.tx.insert(voucherEntriesCollection, {
          id: ctx.id('vce'),
          voucherId: id,
          seq: 1,
          at: ctx.now,
          kind: 'issued',
          status: 'active',
          amount: row.faceValue,
          customerId: input.customerId,
          storeId: input.storeId,
          refType: input.ref?.type ?? null,
          refId: input.ref?.id ?? null,
          actor: actorRef(ctx.actor) as JsonValue,
          details: { source: input.source, ...(input.details ?? {}) },
        });
        await ctx.emit(
          'voucher.issued',
          {
            voucherId: id,
            templateId: input.template.id,
            customerId: input.customerId,
            source: input.source,
            faceValue: row.faceValue,
            ref: input.ref,
          },
          { customerId: input.customerId },
        );
        if (input.customerId) {
          await ctx.addTimeline({
            customerId: input.customerId,
            source: 'loyalty',
            kind: 'voucher-issued',
            facts: {
              name: terms.name,
              source: input.source,
              until: localTime(new Date(validity.until.getTime() - 1), cfg.timeZone).date,
            },
            storeId: input.storeId,
            ref: { type: 'voucher', id },
          });
        }
        return row;
      } catch (error) {
        // Two codes of 65 random bits clashing is next to impossible; if it happens, draw again.
        if (
          attempt < 3 &&
          isClienteleError(error, 'CONFLICT') &&
          (error.details['reason'] === 'unique' || error.details['reason'] === 'primary_key') &&
          !(await ctx.tx.get(vouchersCollection, id))
        )
          continue;
        throw error;
      }
    }
  }

  /**
   * Serialises a customer's voucher issues (their loyalty account row is locked for the rest of the
   * transaction), so counting what they hold cannot race another till's issue.
   */
  async function lockCustomer(ctx: LoyaltyContext, customerId: string): Promise<void> {
    await ledger.account(ctx, customerId);
    await ctx.tx.increment(accountsCollection, customerId, 'lastSeq', 0);
  }

  async function checkHolding(
    ctx: LoyaltyContext,
    template: VoucherTemplate,
    customerId: string,
    adding: number,
    path: ReadonlyArray<string | number>,
  ): Promise<void> {
    if (template.perCustomer === undefined) return;
    const held = await ctx.tx.count(vouchersCollection, {
      customerId,
      templateId: template.id,
      status: { in: ['active', 'held'] },
    });
    if (held + adding > template.perCustomer)
      throw new InvalidStateError(
        `customer ${customerId} already holds ${held} of the ${template.perCustomer} ${template.name} ` +
          `vouchers one may hold`,
        { path, reason: 'holding_limit', held, limit: template.perCustomer },
      );
  }

  const defineTemplate = kernel.command({
    name: 'loyalty.vouchers.define-template',
    input: voucherTemplateSchema,
    permission: 'loyalty.vouchers.define',
    idempotency: 'optional',
    async run(ctx, input): Promise<VoucherTemplateRecord> {
      for (const [i, storeId] of (input.stores ?? []).entries())
        if (!(await ctx.tx.get(storesCollection, storeId)))
          throw new NotFoundError('store', storeId, { path: ['stores', i] });
      const existing = await ctx.tx.get(voucherTemplatesCollection, input.id);
      const config = input as unknown as JsonValue;
      const row = existing
        ? await ctx.tx.update(
            voucherTemplatesCollection,
            input.id,
            { name: input.name, config, status: 'active', updatedAt: ctx.now },
            { expectVersion: existing.version },
          )
        : await ctx.tx.insert(voucherTemplatesCollection, {
            id: input.id,
            name: input.name,
            config,
            status: 'active',
            createdAt: ctx.now,
            updatedAt: ctx.now,
          });
      ctx.audit({ type: 'voucher-template', id: input.id }, { faceValue: faceValueOf(input.value) });
      return { ...input, status: 'active', createdAt: row.createdAt, updatedAt: row.updatedAt };
    },
  });

  const retireTemplate = kernel.command({
    name: 'loyalty.vouchers.retire-template',
    input: retireTemplateSchema,
    permission: 'loyalty.vouchers.define',
    idempotency: 'optional',
    async run(ctx, input): Promise<VoucherTemplateRecord> {
      const row = await mustGet(ctx.tx, voucherTemplatesCollection, input.templateId, 'voucher template', {
        path: ['templateId'],
      });
      const next = await ctx.tx.update(
        voucherTemplatesCollection,
        row.id,
        { status: 'retired', updatedAt: ctx.now },
        { expectVersion: row.version },
      );
      ctx.audit({ type: 'voucher-template', id: row.id });
      return {
        ...(row.config as unknown as VoucherTemplate),
        status: 'retired',
        createdAt: next.createdAt,
        updatedAt: next.updatedAt,
      };
    },
  });

  const issue = kernel.command({
    name: 'loyalty.vouchers.issue',
    input: issueVoucherSchema,
    permission: 'loyalty.vouchers.issue',
    idempotency: 'required',
    moves: { gives: ['voucher'], limits: VOUCHER_LIMITS, measure: 'the face value of the voucher' },
    async run(ctx, input): Promise<Voucher> {
      const { template, status } = await loadTemplate(ctx.tx, input.templateId);
      if (status !== 'active')
        throw new InvalidStateError(`voucher template ${template.id} is retired`, {
          path: ['templateId'],
          reason: 'template_retired',
        });
      if (input.storeId && !(await ctx.tx.get(storesCollection, input.storeId)))
        throw new NotFoundError('store', input.storeId, { path: ['storeId'] });
      const customerId = input.customerId ? (await activeMember(ctx.tx, input.customerId)).id : null;
      // Held to the role's `voucher` limit, or its `compensation` limit when it sets none.
      const { approvedBy } = await ctx.requireAuthority(VOUCHER_LIMITS, faceValueOf(template.value), input.approvedBy);
      if (customerId && template.perCustomer !== undefined) {
        await lockCustomer(ctx, customerId);
        await checkHolding(ctx, template, customerId, 1, ['templateId']);
      }
      const details: Record<string, JsonValue> = {};
      if (approvedBy) details['approvedBy'] = approvedBy;
      if (input.reason) details['reason'] = input.reason;
      const row = await issueInto(ctx, {
        template,
        customerId,
        source: input.source,
        ref: input.ref ?? null,
        storeId: input.storeId ?? null,
        details,
      });
      ctx.audit(
        { type: 'voucher', id: row.id, customerId },
        {
          templateId: template.id,
          source: input.source,
          faceValue: row.faceValue,
          ...(approvedBy ? { approvedBy } : {}),
          ...(input.ref ? { refType: input.ref.type, refId: input.ref.id } : {}),
        },
      );
      return toVoucher(row);
    },
  });

  const convert = kernel.command({
    name: 'loyalty.vouchers.convert',
    input: convertSchema,
    permission: 'loyalty.vouchers.convert',
    idempotency: 'required',
    async run(ctx, input): Promise<{ vouchers: Voucher[]; points: number; entryId: string; balance: number }> {
      const { template, status } = await loadTemplate(ctx.tx, input.templateId);
      const conversion = template.conversion;
      if (!conversion)
        throw new InvalidStateError(`voucher template ${template.id} cannot be bought with points`, {
          path: ['templateId'],
          reason: 'not_convertible',
        });
      if (status !== 'active')
        throw new InvalidStateError(`voucher template ${template.id} is retired`, {
          path: ['templateId'],
          reason: 'template_retired',
        });
      if (input.storeId && !(await ctx.tx.get(storesCollection, input.storeId)))
        throw new NotFoundError('store', input.storeId, { path: ['storeId'] });
      const member = await activeMember(ctx.tx, input.customerId);
      const points = conversion.points * input.quantity;
      const account = await ledger.account(ctx, member.id);
      if (account.spendable < conversion.minPoints)
        throw new InsufficientBalanceError(member.id, conversion.minPoints, Math.max(0, account.spendable), {
          path: ['customerId'],
          reason: 'below_min_points',
          minPoints: conversion.minPoints,
        });
      const ids = Array.from({ length: input.quantity }, () => ctx.id('vch'));
      // The guarded debit locks the account row, so the counts below cannot race another till.
      const { entry } = await ledger.debit(ctx, {
        customerId: member.id,
        kind: 'redeem',
        points,
        mode: 'guarded',
        storeId: input.storeId ?? null,
        ref: { type: 'voucher', id: ids[0]! },
        details: { templateId: template.id, vouchers: ids },
      });
      if (conversion.perDay !== undefined) {
        const today = localTime(ctx.now, cfg.timeZone).date;
        const since = startOfLocalDate(today, cfg.timeZone);
        const until = startOfLocalDate(addDaysToDate(today, 1), cfg.timeZone);
        const done = await ctx.tx.count(vouchersCollection, {
          templateId: template.id,
          customerId: member.id,
          issuedAt: { gte: since, lt: until },
          source: 'conversion',
        });
        if (done + input.quantity > conversion.perDay)
          throw new InvalidStateError(
            `a member may buy ${conversion.perDay} ${template.name} vouchers a day; ${done} bought today`,
            { path: ['quantity'], reason: 'daily_limit', limit: conversion.perDay, today: done },
          );
      }
      await checkHolding(ctx, template, member.id, input.quantity, ['quantity']);
      const vouchers: Voucher[] = [];
      for (const id of ids) {
        vouchers.push(
          toVoucher(
            await issueInto(ctx, {
              template,
              customerId: member.id,
              source: 'conversion',
              ref: { type: 'points-entry', id: entry!.id },
              storeId: input.storeId ?? null,
              id,
              details: { points: conversion.points },
            }),
          ),
        );
      }
      const value = valueOfPoints(points, cfg.pointValue);
      await ctx.emit(
        'points.redeemed',
        { customerId: member.id, entryId: entry!.id, points, value, ref: { type: 'voucher', id: ids[0]! } },
        { customerId: member.id },
      );
      ctx.audit(
        { type: 'voucher', id: ids[0]!, customerId: member.id },
        { templateId: template.id, quantity: input.quantity, points },
      );
      return { vouchers, points, entryId: entry!.id, balance: entry!.balanceAfter };
    },
  });

  async function byCode(
    session: StoreSession,
    code: string,
    path: ReadonlyArray<string | number>,
  ): Promise<VoucherRow> {
    const row = await session.getBy(vouchersCollection, 'loyalty_vouchers_code', { code });
    if (!row) throw voucherRefusal('unknown_code', path, { code: formatCode(code) });
    return row;
  }

  const cancel = kernel.command({
    name: 'loyalty.vouchers.cancel',
    input: cancelVoucherSchema,
    permission: 'loyalty.vouchers.cancel',
    idempotency: 'optional',
    async run(ctx, input): Promise<Voucher> {
      const row = await byCode(ctx.tx, input.code, ['code']);
      if (row.status === 'cancelled') return toVoucher(row);
      if (row.status !== 'active') stateRefusal(row, ['code'], ctx.now);
      const next = await moveVoucher(ctx, row, {
        kind: 'cancelled',
        status: 'cancelled',
        details: { reason: input.reason },
      });
      if (!next) stateRefusal((await ctx.tx.get(vouchersCollection, row.id))!, ['code'], ctx.now);
      ctx.audit({ type: 'voucher', id: row.id, customerId: row.customerId }, { faceValue: row.faceValue });
      await ctx.emit(
        'voucher.cancelled',
        { voucherId: row.id, customerId: row.customerId },
        { customerId: row.customerId },
      );
      return toVoucher(next);
    },
  });

  const reserve = kernel.command({
    name: 'loyalty.vouchers.reserve',
    input: reserveVoucherSchema,
    permission: 'sales.record',
    idempotency: 'required',
    async run(ctx, input): Promise<VoucherHold> {
      if (!(await ctx.tx.get(storesCollection, input.storeId)))
        throw new NotFoundError('store', input.storeId, { path: ['storeId'] });
      if (input.minutes !== undefined && input.minutes > cfg.redemption.holdMinutes)
        throw invalid(['minutes'], 'too_long', `holds last at most ${cfg.redemption.holdMinutes} minutes`);
      const row = await byCode(ctx.tx, input.code, ['code']);
      const lines = input.basket ? voucherLines(input.basket, ['basket']) : null;
      const check = checkVoucher(factsOf(row), {
        at: ctx.now,
        storeId: input.storeId,
        terminalId: input.terminalId,
        customerId: input.customerId ?? null,
        lines: lines ?? [],
      });
      // Without a basket, only what does not depend on it is checked now; the sale checks the rest.
      const reasons = lines
        ? check.reasons
        : check.reasons.filter((r) => r !== 'no_eligible_items' && r !== 'below_minimum_spend');
      if (reasons.length)
        throw voucherRefusal(
          reasons[0]!,
          reasons[0] === 'below_minimum_spend' || reasons[0] === 'no_eligible_items' ? ['basket'] : ['code'],
          {
            code: formatCode(row.code),
            reasons,
            eligible: check.eligible,
            minSpend: (row.terms as unknown as VoucherTerms).minSpend,
          },
        );
      if (row.status !== 'active') stateRefusal(row, ['code'], ctx.now);
      const holdId = ctx.id('vhd');
      const heldUntil = min([addMinutes(ctx.now, input.minutes ?? cfg.redemption.holdMinutes), row.validUntil]);
      const next = await moveVoucher(ctx, row, {
        kind: 'held',
        status: 'held',
        set: { holdId, heldUntil, heldStoreId: input.storeId, heldTerminalId: input.terminalId },
        storeId: input.storeId,
        ref: { type: 'voucher-hold', id: holdId },
        details: { terminalId: input.terminalId, until: heldUntil.toISOString() },
      });
      if (!next) stateRefusal((await ctx.tx.get(vouchersCollection, row.id))!, ['code'], ctx.now);
      ctx.audit(
        { type: 'voucher', id: row.id, customerId: row.customerId },
        { holdId, storeId: input.storeId, terminalId: input.terminalId },
      );
      await ctx.emit(
        'voucher.held',
        {
          voucherId: row.id,
          customerId: row.customerId,
          holdId,
          storeId: input.storeId,
          terminalId: input.terminalId,
          until: heldUntil.toISOString(),
        },
        { customerId: row.customerId },
      );
      return { voucher: toVoucher(next), holdId, heldUntil, discount: lines ? check.discount : null };
    },
  });

  /** Releases a held voucher (cancelled at the till, or past its time); `undefined` when it is not held so. */
  async function release(
    ctx: LoyaltyContext,
    row: VoucherRow,
    reason: 'cancelled' | 'expired',
    at: Date = ctx.now,
  ): Promise<VoucherRow | undefined> {
    const when: Where<typeof vouchersCollection> = reason === 'expired' ? { heldUntil: { lte: at } } : {};
    const holdId = row.holdId;
    const next = await moveVoucher(ctx, row, {
      kind: 'released',
      status: 'active',
      set: { holdId: null, heldUntil: null, heldStoreId: null, heldTerminalId: null },
      when,
      ref: holdId ? { type: 'voucher-hold', id: holdId } : null,
      details: { reason },
    });
    if (next)
      await ctx.emit(
        'voucher.hold-released',
        { voucherId: row.id, customerId: row.customerId, holdId: holdId ?? '', reason },
        { customerId: row.customerId },
      );
    return next;
  }

  const cancelHold = kernel.command({
    name: 'loyalty.vouchers.cancel-hold',
    input: cancelVoucherHoldSchema,
    permission: 'sales.record',
    idempotency: 'optional',
    async run(ctx, input): Promise<Voucher> {
      const row = await byCode(ctx.tx, input.code, ['code']);
      if (row.status !== 'held') {
        if (row.status === 'active') return toVoucher(row);
        stateRefusal(row, ['code'], ctx.now);
      }
      const next = await release(ctx, row, 'cancelled');
      if (!next) stateRefusal((await ctx.tx.get(vouchersCollection, row.id))!, ['code'], ctx.now);
      ctx.audit({ type: 'voucher', id: row.id, customerId: row.customerId }, { holdId: row.holdId ?? '' });
      return toVoucher(next);
    },
  });

  /** Releases holds past their time and expires vouchers past their validity (for `runDue`). */
  async function expireDue(
    ctx: LoyaltyContext,
    ids: readonly string[],
    at: Date,
  ): Promise<{ released: number; expired: number }> {
    let released = 0;
    let expired = 0;
    for (const id of ids) {
      let row = await ctx.tx.get(vouchersCollection, id);
      if (!row) continue;
      if (row.status === 'held' && row.heldUntil && row.heldUntil.getTime() <= at.getTime()) {
        const next = await release(ctx, row, 'expired', at);
        if (next) {
          released++;
          row = next;
        }
      }
      if (row.status === 'active' && row.validUntil.getTime() <= at.getTime()) {
        const next = await moveVoucher(ctx, row, {
          kind: 'expired',
          status: 'expired',
          when: { validUntil: { lte: at } },
        });
        if (next) {
          expired++;
          await ctx.emit(
            'voucher.expired',
            { voucherId: row.id, customerId: row.customerId },
            { customerId: row.customerId },
          );
        }
      }
    }
    return { released, expired };
  }

  // Queries: none of them writes.

  async function lookup(code: string): Promise<Voucher> {
    const c = parseInput(voucherCodeSchema, code, ['code']);
    return toVoucher(await byCode(store, c, ['code']));
  }

  async function get(voucherId: string): Promise<Voucher> {
    const id = parseInput(idSchema, voucherId, ['voucherId']);
    const row = await mustGet(store, vouchersCollection, id, 'voucher', { path: ['voucherId'] });
    return toVoucher(row);
  }

  async function ofCustomer(customerId: string, options: CustomerVouchersInput = {}): Promise<ResultPage<Voucher>> {
    const id = parseInput(idSchema, customerId, ['customerId']);
    const q = parseInput(ofCustomerSchema, options);
    const where: Where<typeof vouchersCollection> = { customerId: id, ...(q.status ? { status: q.status } : {}) };
    const page = await store.find(vouchersCollection, {
      where,
      orderBy: [{ field: 'issuedAt', direction: 'desc' }],
      limit: q.limit,
      after: q.after ?? null,
    });
    return { items: page.rows.map(toVoucher), next: page.next };
  }

  async function history(voucherId: string): Promise<VoucherEntry[]> {
    const id = parseInput(idSchema, voucherId, ['voucherId']);
    if (!(await store.get(vouchersCollection, id))) throw new NotFoundError('voucher', id, { path: ['voucherId'] });
    return (
      await store.find(voucherEntriesCollection, {
        where: { voucherId: id },
        orderBy: [{ field: 'seq' }],
        limit: 10_000,
      })
    ).rows;
  }

  async function eligible(input: EligibleVouchersInput): Promise<VoucherEligibility> {
    const q = parseInput(eligibleSchema, input);
    const lines = voucherLines(q.basket, ['basket']);
    const at = q.at ?? kernel.clock.now();
    if (!(await store.get(storesCollection, q.storeId)))
      throw new NotFoundError('store', q.storeId, { path: ['storeId'] });
    const usable: EligibleVoucher[] = [];
    const unusable: EligibleVoucher[] = [];
    let after: string | null = null;
    do {
      const page: { rows: VoucherRow[]; next: string | null } = await store.find(vouchersCollection, {
        where: { customerId: q.customerId, status: { in: ['active', 'held'] } },
        limit: 500,
        after,
      });
      for (const row of page.rows) {
        const c: VoucherCheck = checkVoucher(factsOf(row), { at, storeId: q.storeId, customerId: q.customerId, lines });
        (c.applies ? usable : unusable).push({
          voucher: toVoucher(row),
          discount: c.discount,
          eligible: c.eligible,
          reasons: c.reasons,
        });
      }
      after = page.next;
    } while (after);
    usable.sort((a, b) => b.discount - a.discount || a.voucher.validUntil.getTime() - b.voucher.validUntil.getTime());
    return { usable, unusable };
  }

  async function template(templateId: string): Promise<VoucherTemplateRecord> {
    const id = parseInput(codeSchema, templateId, ['templateId']);
    const row = await mustGet(store, voucherTemplatesCollection, id, 'voucher template', { path: ['templateId'] });
    return {
      ...(row.config as unknown as VoucherTemplate),
      status: row.status as 'active' | 'retired',
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  }

  async function templates(): Promise<VoucherTemplateRecord[]> {
    const rows = (await store.find(voucherTemplatesCollection, { orderBy: [{ field: 'id' }], limit: 10_000 })).rows;
    return rows.map((row) => ({
      ...(row.config as unknown as VoucherTemplate),
      status: row.status as 'active' | 'retired',
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    }));
  }

  const api: VoucherApi = {
    defineTemplate,
    retireTemplate,
    template,
    templates,
    issue,
    convert,
    cancel,
    reserve,
    cancelHold,
    eligible: kernel.query({
      name: 'loyalty.vouchers.eligible',
      permission: READ,
      reads: (_e, [input]) => [input.customerId],
      run: eligible,
    }),
    lookup: kernel.query({
      name: 'loyalty.vouchers.lookup',
      permission: READ,
      reads: (v) => [v.customerId],
      run: lookup,
    }),
    get: kernel.query({ name: 'loyalty.vouchers.get', permission: READ, reads: (v) => [v.customerId], run: get }),
    ofCustomer: kernel.query({
      name: 'loyalty.vouchers.ofCustomer',
      permission: READ,
      reads: (_page, [customerId]) => [customerId],
      run: ofCustomer,
    }),
    history: kernel.query({
      name: 'loyalty.vouchers.history',
      permission: READ,
      reads: (entries) => entries.map((e) => e.customerId),
      run: history,
    }),
  };
  return { api, expireDue };
}

/** The voucher service's internals. */
export type VoucherService = ReturnType<typeof createVoucherService>;
