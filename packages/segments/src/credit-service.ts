/**
 * Credit for organisations buying on account: accounts (limit, payment terms, what happens past the
 * limit), the append-only ledger of charges, payments and credit notes, approvals given ahead of a
 * sale, and the check that runs inside every sale's transaction.
 */
import * as z from 'zod';
import {
  mustGet,
  NotFoundError,
  codeSchema,
  customersCollection,
  idSchema,
  invalid,
  minorUnitsSchema,
  parseInput,
  purchasesCollection,
  scan,
  shortTextSchema,
  staffCollection,
  type CommandOptions,
  type QueryOptions,
  type RefundCollector,
  type RowOf,
  type StoreSession,
} from '@clientele/core/module';
import {
  creditAccountsCollection,
  creditApprovalsCollection,
  creditEntriesCollection,
  customerStatsCollection,
} from './collections.js';
import type { ResolvedSegmentsConfig } from './config.js';
import { CreditLimitError, NoCreditAccountError } from './credit-error.js';
import {
  allocate,
  checkCredit,
  rateCredit,
  type ChargeState,
  type CreditCheck,
  type CreditMode,
  type CreditRating,
} from './credit-rules.js';
import { refreshCustomer } from './stats-store.js';
import type { SegmentsContext } from './events.js';
import type { SegmentsRuntime } from './runtime.js';
import { millisecondsInDay, millisecondsInMinute } from 'date-fns/constants';

/** The permission of reads of credit accounts and their ledgers. */
const READ = 'credit.read';

/** A credit account. */
export type CreditAccount = RowOf<typeof creditAccountsCollection>;
/** An entry of the credit ledger. */
export type CreditEntry = RowOf<typeof creditEntriesCollection>;
/** An approval of a sale on account beyond the limit. */
export type CreditApproval = RowOf<typeof creditApprovalsCollection>;

/** The charges of a customer, for the rating. */
export async function chargesOf(session: StoreSession, customerId: string): Promise<ChargeState[]> {
  const out: ChargeState[] = [];
  for await (const e of scan(session, creditEntriesCollection, { where: { customerId, kind: 'charge' } })) {
    out.push({
      id: e.id,
      amount: e.amount,
      settled: e.settled,
      at: e.at,
      dueAt: e.dueAt ?? e.at,
      settledAt: e.settledAt,
    });
  }
  return out;
}

/** A customer's credit rating now. */
export async function ratingOf(session: StoreSession, customerId: string, now: Date, config: ResolvedSegmentsConfig) {
  return rateCredit(await chargesOf(session, customerId), now, config.credit.rating);
}

/**
 * The credit ratings now of the customers with an account in a range of ids (`range`: a port
 * condition on `customerId`, empty for all), for a rebuild's chunk.
 */
export async function ratingsInRange(
  session: StoreSession,
  range: Record<string, string>,
  now: Date,
  config: ResolvedSegmentsConfig,
): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  for await (const account of scan(
    session,
    creditAccountsCollection,
    Object.keys(range).length ? { where: { customerId: range } } : {},
  )) {
    out.set(account.customerId, (await ratingOf(session, account.customerId, now, config)).rating);
  }
  return out;
}

/** Input of `credit.setAccount`. */
export const setAccountSchema = z
  .object({
    customerId: idSchema,
    /** The most the organisation may owe, minor units. */
    limit: minorUnitsSchema,
    /** Days after a sale that it is due (default 30). */
    termsDays: z.number().int().min(0).max(365).default(30),
    /** Past the limit: refuse the sale, let it through with a warning, or require an approver with authority. */
    mode: z.enum(['block', 'warn', 'approve']).default('block'),
    /** No sale on account at all while set. */
    onHold: z.boolean().default(false),
  })
  .strict();

/** Input of `credit.check`. */
export const creditCheckSchema = z.object({ customerId: idSchema, amount: minorUnitsSchema }).strict();

/** Input of `credit.approve`. */
export const approveSchema = z
  .object({
    customerId: idSchema,
    /** The sale on account to allow, minor units (the approval covers a sale up to this amount, once). */
    amount: minorUnitsSchema.refine((a) => a > 0, 'approvals are for a positive amount'),
    /** A member of staff with `credit` authority for the excess, when the actor lacks it. */
    approvedBy: codeSchema.optional(),
  })
  .strict();

/** Input of `credit.recordPayment`. */
export const paymentSchema = z
  .object({
    customerId: idSchema,
    amount: minorUnitsSchema.refine((a) => a > 0, 'payments are positive'),
    reference: shortTextSchema.optional(),
  })
  .strict();

/** An account's standing. */
export interface CreditStatus extends CreditRating {
  account: CreditAccount;
  /** Credit left (never negative). */
  available: number;
  /** Charges not yet settled, oldest first. */
  open: Array<{ entryId: string; purchaseId: string | null; amount: number; due: number; dueAt: Date }>;
}

/** Input of `credit.setAccount`. */
export type SetAccountInput = z.input<typeof setAccountSchema>;
/** Input of `credit.approve`. */
export type ApproveCreditInput = z.input<typeof approveSchema>;
/** Input of `credit.recordPayment`. */
export type CreditPaymentInput = z.input<typeof paymentSchema>;

/** What `credit.recordPayment` returns: the payment's entry and what is still owed. */
export interface CreditPaymentResult {
  entry: CreditEntry;
  /** What the organisation still owes, minor units. */
  outstanding: number;
}

/**
 * `crm.segments.credit`: credit accounts of organisations buying on account: limits, terms, approvals
 * past the limit, payments, ratings. Changes need `credit.manage`, approvals `credit.approve`,
 * payments `credit.payments`; reads `credit.read`.
 */
export interface CreditApi {
  /** Opens or changes an organisation's credit account (a negative limit is refused). */
  setAccount(input: SetAccountInput, options: CommandOptions): Promise<CreditAccount>;
  /** Checks a sale on account of `amount` (minor units) before it is rung up; changes nothing. */
  check(customerId: string, amount: number, options: QueryOptions): Promise<CreditCheck>;
  /** Approves, ahead of the sale, one sale on account past the limit (needs `credit` authority for the excess). */
  approve(input: ApproveCreditInput, options: CommandOptions): Promise<CreditApproval>;
  /** Records a payment; it settles the oldest charges first. */
  recordPayment(input: CreditPaymentInput, options: CommandOptions): Promise<CreditPaymentResult>;
  /** The account, its rating (A-D) and open charges. */
  status(customerId: string, options: QueryOptions): Promise<CreditStatus>;
  /** Every ledger entry of a customer, oldest first. */
  ledger(customerId: string, options: QueryOptions): Promise<CreditEntry[]>;
}

/** Builds the credit service. */
export function createCreditService(runtime: SegmentsRuntime) {
  const { kernel, config, registry } = runtime;
  async function loadAccount(
    session: StoreSession,
    customerId: string,
    path: Array<string | number> = ['customerId'],
  ): Promise<CreditAccount> {
    const account = await mustGet(session, creditAccountsCollection, customerId, 'credit account', { path });
    return account;
  }

  /** Appends an entry and moves the cached balance in the same transaction. */
  async function append(
    ctx: SegmentsContext,
    account: CreditAccount,
    entry: Omit<CreditEntry, 'id' | 'at' | 'settled' | 'settledAt' | 'customerId'> & { id?: string },
  ): Promise<{ entry: CreditEntry; outstanding: number }> {
    const row = await ctx.tx.insert(creditEntriesCollection, {
      customerId: account.customerId,
      at: ctx.now,
      settled: 0,
      settledAt: null,
      ...entry,
      id: entry.id ?? ctx.id('cre'),
    });
    const updated = await ctx.tx.increment(creditAccountsCollection, account.customerId, 'outstanding', entry.amount);
    return { entry: row, outstanding: updated.row.outstanding };
  }

  /** Settles charges with `amount` (payments oldest due first, credit notes their own sale's charge first). */
  async function settle(
    ctx: SegmentsContext,
    customerId: string,
    amount: number,
    purchaseId: string | null,
  ): Promise<void> {
    const open = (await chargesOf(ctx.tx, customerId)).filter((c) => c.settled < c.amount);
    const own = purchaseId ? open.filter((c) => c.id === chargeIdOf(purchaseId)) : [];
    let left = amount;
    for (const group of [own, open.filter((c) => !own.includes(c))]) {
      for (const a of allocate(group, left)) {
        const charge = open.find((c) => c.id === a.id)!;
        await ctx.tx.update(creditEntriesCollection, a.id, {
          settled: charge.settled + a.take,
          settledAt: a.full ? ctx.now : null,
        });
        left -= a.take;
      }
    }
  }

  async function syncRating(ctx: SegmentsContext, customerId: string): Promise<void> {
    const rating = (await ratingOf(ctx.tx, customerId, ctx.now, config)).rating;
    const stats = await ctx.tx.get(customerStatsCollection, customerId);
    if (stats && stats.creditRating !== rating)
      await refreshCustomer(ctx, customerId, config, registry, { creditRating: rating });
  }

  const setAccount = kernel.command({
    name: 'credit.set-account',
    input: setAccountSchema,
    permission: 'credit.manage',
    idempotency: 'optional',
    async run(ctx, input) {
      const customer = await ctx.tx.get(customersCollection, input.customerId);
      if (customer?.status !== 'active')
        throw new NotFoundError('customer', input.customerId, { path: ['customerId'] });
      if (customer.kind === 'individual')
        throw invalid(
          ['customerId'],
          'not_organisation',
          'credit accounts are for organisations and suppliers that buy',
        );
      const prev = await ctx.tx.get(creditAccountsCollection, input.customerId);
      const row = prev
        ? await ctx.tx.update(creditAccountsCollection, input.customerId, {
            limit: input.limit,
            termsDays: input.termsDays,
            mode: input.mode,
            onHold: input.onHold,
            updatedAt: ctx.now,
          })
        : await ctx.tx.insert(creditAccountsCollection, {
            customerId: input.customerId,
            currency: kernel.currency,
            limit: input.limit,
            termsDays: input.termsDays,
            mode: input.mode,
            onHold: input.onHold,
            outstanding: 0,
            createdAt: ctx.now,
            updatedAt: ctx.now,
          });
      ctx.audit(
        { type: 'credit-account', id: input.customerId, customerId: input.customerId },
        { limit: input.limit, termsDays: input.termsDays, mode: input.mode, onHold: input.onHold },
      );
      return row;
    },
  });

  const approve = kernel.command({
    name: 'credit.approve',
    input: approveSchema,
    permission: 'credit.approve',
    idempotency: 'optional',
    moves: {
      gives: ['credit'],
      limits: ['credit'],
      measure: "the part of the approved amount above the customer's credit limit",
    },
    async run(ctx, input) {
      const account = await loadAccount(ctx.tx, input.customerId);
      const check = checkCredit({ ...account, mode: account.mode as CreditMode }, input.amount);
      if (account.onHold) throw new CreditLimitError(account.customerId, check, true);
      if (input.approvedBy && !(await ctx.tx.get(staffCollection, input.approvedBy)))
        throw new NotFoundError('staff', input.approvedBy, { path: ['approvedBy'] });
      const { approvedBy } = await ctx.requireAuthority('credit', check.excess, input.approvedBy);
      const who = approvedBy ?? (ctx.actor.kind === 'staff' ? ctx.actor.staffId : `system:${ctx.actor.name}`);
      const row = await ctx.tx.insert(creditApprovalsCollection, {
        id: ctx.id('cra'),
        customerId: account.customerId,
        maxAmount: input.amount,
        approvedBy: who,
        status: 'active',
        expiresAt: new Date(ctx.now.getTime() + config.credit.approvalValidMinutes * millisecondsInMinute),
        usedFor: null,
        createdAt: ctx.now,
      });
      ctx.audit(
        { type: 'credit-approval', id: row.id, customerId: account.customerId },
        { amount: input.amount, excess: check.excess, approvedBy: who },
      );
      return row;
    },
  });

  const recordPayment = kernel.command({
    name: 'credit.record-payment',
    input: paymentSchema,
    permission: 'credit.payments',
    idempotency: 'required',
    async run(ctx, input) {
      const account = await loadAccount(ctx.tx, input.customerId);
      const { entry, outstanding } = await append(ctx, account, {
        kind: 'payment',
        amount: -input.amount,
        purchaseId: null,
        reference: input.reference ?? null,
        dueAt: null,
      });
      await settle(ctx, account.customerId, input.amount, null);
      ctx.audit(
        { type: 'credit-account', id: account.customerId, customerId: account.customerId },
        { entryId: entry.id, amount: input.amount },
      );
      await ctx.emit(
        'credit.payment-recorded',
        { customerId: account.customerId, entryId: entry.id, amount: input.amount, outstanding },
        { customerId: account.customerId },
      );
      await syncRating(ctx, account.customerId);
      return { entry, outstanding };
    },
  });

  /** The part of a sale paid on account. */
  function onAccount(payments: ReadonlyArray<{ method: string; amount: number }>): number {
    return payments.filter((p) => p.method === config.credit.method).reduce((s, p) => s + p.amount, 0);
  }

  /**
   * The check inside a sale's transaction (`purchase.recorded`): within the limit the sale is charged;
   * past it, `block` refuses it (`CreditLimitError`, the sale rolls back), `warn` lets it through and
   * emits `credit.limit-exceeded`, `approve` needs an approval given ahead (single use) or an actor
   * whose `credit` authority covers the excess, else `AUTHORITY_EXCEEDED` rolls the sale back.
   */
  async function onSale(ctx: SegmentsContext, purchaseId: string): Promise<void> {
    const purchase = await ctx.tx.get(purchasesCollection, purchaseId);
    if (!purchase) return;
    const amount = onAccount(purchase.payments);
    if (amount === 0) return;
    if (!purchase.customerId)
      throw invalid(['payments'], 'account_needs_customer', 'a sale on account needs a known customer');
    const account = await ctx.tx.get(creditAccountsCollection, purchase.customerId);
    if (!account) {
      if (config.credit.requireAccount) throw new NoCreditAccountError(purchase.customerId, amount);
      return;
    }
    const check = checkCredit({ ...account, mode: account.mode as CreditMode }, amount);
    let approvedBy: string | null = null;
    if (check.decision === 'blocked') throw new CreditLimitError(account.customerId, check, account.onHold);
    if (check.decision === 'approval-required') {
      const approval = await findApproval(ctx, account.customerId, amount);
      if (approval) {
        const used = await ctx.tx.consume(
          creditApprovalsCollection,
          approval.id,
          { status: 'active' },
          { status: 'used', usedFor: purchaseId },
        );
        if (!used) throw new CreditLimitError(account.customerId, check, false);
        approvedBy = approval.approvedBy;
      } else {
        await ctx.requireAuthority('credit', check.excess);
        approvedBy = ctx.actor.kind === 'staff' ? ctx.actor.staffId : `system:${ctx.actor.name}`;
      }
    }
    await append(ctx, account, {
      id: chargeIdOf(purchaseId),
      kind: 'charge',
      amount,
      purchaseId,
      reference: purchase.receiptNo,
      dueAt: new Date(purchase.occurredAt.getTime() + account.termsDays * millisecondsInDay),
    });
    if (check.decision !== 'ok') {
      await ctx.emit(
        'credit.limit-exceeded',
        {
          customerId: account.customerId,
          purchaseId,
          decision: check.decision === 'warn' ? 'warn' : 'approved',
          excess: check.excess,
          approvedBy,
        },
        { customerId: account.customerId },
      );
    }
  }

  async function findApproval(
    ctx: SegmentsContext,
    customerId: string,
    amount: number,
  ): Promise<CreditApproval | undefined> {
    for await (const a of scan(ctx.tx, creditApprovalsCollection, { where: { customerId, status: 'active' } })) {
      if (a.expiresAt.getTime() > ctx.now.getTime() && a.maxAmount >= amount) return a;
    }
    return undefined;
  }

  /** A return or void of a sale charged on account gives a credit note for what is still charged. */
  /**
   * A return or void of a sale on account credits the account first, up to what it was charged and not
   * yet credited, from what is left of the refund once deductions are kept back and other tenders (a
   * card) have taken their share; a void (`refund` null) credits all that is left of the charge.
   */
  async function onReversal(ctx: SegmentsContext, purchaseId: string, refund: RefundCollector | null): Promise<void> {
    const c = await ctx.tx.get(creditEntriesCollection, chargeIdOf(purchaseId));
    if (!c) return;
    let credited = 0;
    for await (const e of scan(ctx.tx, creditEntriesCollection, { where: { purchaseId, kind: 'credit-note' } }))
      credited -= e.amount;
    const left = refund === null ? Number.MAX_SAFE_INTEGER : refund.left();
    const amount = Math.min(left, c.amount - credited);
    if (amount <= 0) return;
    const account = await loadAccount(ctx.tx, c.customerId);
    await append(ctx, account, { kind: 'credit-note', amount: -amount, purchaseId, reference: null, dueAt: null });
    await settle(ctx, c.customerId, amount, purchaseId);
    refund?.settle({ via: 'account', method: config.credit.method, reference: c.customerId, amount });
  }

  async function check(customerId: string, amount: number): Promise<CreditCheck> {
    const input = parseInput(creditCheckSchema, { customerId, amount });
    const account = await loadAccount(kernel.store, input.customerId);
    return checkCredit({ ...account, mode: account.mode as CreditMode }, input.amount);
  }

  async function status(customerId: string): Promise<CreditStatus> {
    const id = parseInput(idSchema, customerId, ['customerId']);
    const account = await loadAccount(kernel.store, id);
    const now = kernel.clock.now();
    const charges = await chargesOf(kernel.store, id);
    const open = charges
      .filter((c) => c.settled < c.amount)
      .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime())
      .map((c) => ({
        entryId: c.id,
        purchaseId: purchaseOfCharge(c.id),
        amount: c.amount,
        due: c.amount - c.settled,
        dueAt: c.dueAt,
      }));
    return {
      account,
      available: Math.max(0, account.limit - account.outstanding),
      open,
      ...(await ratingOf(kernel.store, id, now, config)),
    };
  }

  async function ledger(customerId: string): Promise<CreditEntry[]> {
    const id = parseInput(idSchema, customerId, ['customerId']);
    const out: CreditEntry[] = [];
    for await (const e of scan(kernel.store, creditEntriesCollection, {
      where: { customerId: id },
      orderBy: [{ field: 'at' }],
    }))
      out.push(e);
    return out;
  }

  const api: CreditApi = {
    setAccount,
    check: kernel.query({
      name: 'segments.credit.check',
      permission: READ,
      reads: (_check, [customerId]) => [customerId],
      run: check,
    }),
    approve,
    recordPayment,
    status: kernel.query({
      name: 'segments.credit.status',
      permission: READ,
      reads: (s) => [s.account.customerId],
      run: status,
    }),
    ledger: kernel.query({
      name: 'segments.credit.ledger',
      permission: READ,
      reads: (_entries, [customerId]) => [customerId],
      run: ledger,
    }),
  };
  return {
    api,
    onSale,
    onReversal,
    onAccount,
  };
}

/** The ledger id of the charge for a sale: one charge per sale. */
export function chargeIdOf(purchaseId: string): string {
  return `chg_${purchaseId}`;
}

function purchaseOfCharge(id: string): string | null {
  return id.startsWith('chg_') ? id.slice(4) : null;
}
