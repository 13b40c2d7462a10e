/** Sales, returns and voids: the records loyalty and segments consume. */
import * as z from 'zod';
import {
  ConflictError,
  InvalidStateError,
  NotFoundError,
  ValidationError,
  invalid,
  isClienteleError,
  type ValidationIssue,
} from '../errors.js';
import { currencySchema } from '../money.js';
import type { CommandContext, CommandOptions, Kernel, QueryOptions, RefundStep, ValueKind } from '../runtime/module.js';
import { deductionFacts } from './timeline-text.js';
import { createRefundCollector } from '../runtime/refunds.js';
import type { StoreSession } from '../store/port.js';
import type { RowOf } from '../store/schema.js';
import {
  cardNumberSchema,
  codeSchema,
  idSchema,
  instantSchema,
  minorUnitsSchema,
  pageSchema,
  parseInput,
  shortTextSchema,
  singleLineTextSchema,
  type PageInput,
} from '../validation.js';
import { cardHolder, cardsCollection } from './card-collections.js';
import type { CustomerRow } from './customer-record.js';
import { resolveActiveCustomer } from './core-reads.js';
import type { ResultPage } from './customer-service.js';
import { storesCollection } from './organisation-collections.js';
import {
  purchaseLinesCollection,
  purchaseReturnsCollection,
  purchasesCollection,
  type StoredPayment,
  type StoredReturnLine,
  type StoredTender,
} from './purchase-collections.js';
import { allocateRefund, fromMilli, lineGross, refundFor, saleTotals, settleRefund, toMilli } from './purchase-math.js';
import { mustGet } from '../store/must-get.js';
import { quantitySchema, saleLineSchema } from './sale-line.js';

/** A payment of a sale. */
export const paymentSchema = z
  .object({
    /** `cash`, `bank-card`, `mobile`, `voucher`, `stored-value`, `account`, ... */
    method: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'payment methods are lower-case words'),
    amount: minorUnitsSchema.refine((a) => a > 0, 'payments are positive'),
    reference: singleLineTextSchema(100).optional(),
  })
  .strict();

/** Input of `purchases.record`. */
export const recordSaleSchema = z
  .object({
    storeId: codeSchema,
    terminalId: codeSchema,
    /** Unique per store and terminal. */
    receiptNo: codeSchema,
    /** When the sale happened (default: now). */
    occurredAt: instantSchema.optional(),
    /** The buyer, when known; or give `cardNumber`; or neither for an anonymous sale. */
    customerId: idSchema.optional(),
    cardNumber: cardNumberSchema.optional(),
    channel: z.enum(['store', 'online', 'phone', 'app']).default('store'),
    currency: currencySchema.optional(),
    lines: z.array(saleLineSchema).min(1, 'a sale has at least one line').max(1000),
    /** If given, they must add up to the total. */
    payments: z.array(paymentSchema).max(20).optional(),
  })
  .strict()
  .superRefine((sale, ctx) => {
    let total = 0;
    sale.lines.forEach((line, i) => {
      const gross = lineGross(toMilli(line.quantity) ?? 0, line.unitPrice);
      if (line.discount > gross)
        ctx.addIssue({
          code: 'custom',
          path: ['lines', i, 'discount'],
          message: `discount ${line.discount} exceeds the line price ${gross}`,
          params: { code: 'discount_exceeds_price' },
        });
      total += gross - line.discount;
    });
    if (sale.payments) {
      const paid = sale.payments.reduce((s, p) => s + p.amount, 0);
      if (paid !== total)
        ctx.addIssue({
          code: 'custom',
          path: ['payments'],
          message: `payments add up to ${paid}, the sale totals ${total}`,
          params: { code: 'payments_mismatch' },
        });
    }
  });
/** Input of `purchases.record`. */
export type RecordSaleInput = z.input<typeof recordSaleSchema>;

/** Input of `purchases.return`. */
export const returnSchema = z
  .object({
    purchaseId: idSchema,
    /** Store taking the goods back. */
    storeId: codeSchema,
    lines: z
      .array(z.object({ lineNo: z.number().int().min(1), quantity: quantitySchema }).strict())
      .min(1)
      .max(1000)
      .superRefine((lines, ctx) => {
        const seen = new Set<number>();
        lines.forEach((l, i) => {
          if (seen.has(l.lineNo))
            ctx.addIssue({
              code: 'custom',
              path: [i, 'lineNo'],
              message: `line ${l.lineNo} is listed twice`,
              params: { code: 'duplicate_line' },
            });
          seen.add(l.lineNo);
        });
      }),
    reason: shortTextSchema,
    /** A member of staff with authority to approve a refund above the actor's own limit. */
    approvedBy: codeSchema.optional(),
  })
  .strict();
/** Input of `purchases.return`. */
export type ReturnInput = z.input<typeof returnSchema>;

/** A line of a recorded sale. */
export interface PurchaseLine {
  lineNo: number;
  sku: string;
  name: string | null;
  category: string;
  brand: string | null;
  quantity: number;
  unitPrice: number;
  discount: number;
  /** What the line cost: quantity × unit price − discount. */
  amount: number;
  returnedQuantity: number;
}

/** A recorded sale. */
export interface Purchase {
  id: string;
  storeId: string;
  terminalId: string;
  receiptNo: string;
  customerId: string | null;
  cardNumber: string | null;
  channel: string;
  occurredAt: Date;
  currency: string;
  subtotal: number;
  discountTotal: number;
  total: number;
  /** Refunded by returns so far. */
  refundedTotal: number;
  status: 'completed' | 'voided';
  payments: StoredPayment[];
  lines: PurchaseLine[];
  createdAt: Date;
}

/** A recorded return: what came back, what was kept back, and what went back through which tender. */
export type PurchaseReturn = Omit<RowOf<typeof purchaseReturnsCollection>, 'tenders'> & {
  /** What went back through which tender (cards, points, vouchers, and what the till pays). */
  tenders: StoredTender[];
  /** What the till pays back, in the sale's own tenders: the `till` entries of `tenders`. */
  dueAtTill: number;
};

/** What the till paid back on a return (all of it on returns recorded before tenders were kept). */
function tillPaid(r: RowOf<typeof purchaseReturnsCollection>): number {
  return r.tenders
    ? r.tenders.filter((t) => t.via === 'till').reduce((s, t) => s + t.amount, 0)
    : (r.payable ?? r.amount);
}

function toReturn(r: RowOf<typeof purchaseReturnsCollection>): PurchaseReturn {
  const tenders = r.tenders ?? [
    { via: 'till' as const, method: 'cash', reference: null, amount: r.payable ?? r.amount, settled: false },
  ];
  return { ...r, tenders, dueAtTill: tillPaid(r) };
}

type PurchaseRow = RowOf<typeof purchasesCollection>;
type LineRow = RowOf<typeof purchaseLinesCollection>;

function toLine(l: LineRow): PurchaseLine {
  return {
    lineNo: l.lineNo,
    sku: l.sku,
    name: l.name,
    category: l.category,
    brand: l.brand,
    quantity: fromMilli(l.quantityMilli),
    unitPrice: l.unitPrice,
    discount: l.discount,
    amount: l.amount,
    returnedQuantity: fromMilli(l.returnedMilli),
  };
}

function toPurchase(p: PurchaseRow, lines: LineRow[]): Purchase {
  return {
    id: p.id,
    storeId: p.storeId,
    terminalId: p.terminalId,
    receiptNo: p.receiptNo,
    customerId: p.customerId,
    cardNumber: p.cardNumber,
    channel: p.channel,
    occurredAt: p.occurredAt,
    currency: p.currency,
    subtotal: p.subtotal,
    discountTotal: p.discountTotal,
    total: p.total,
    refundedTotal: p.refundedTotal,
    status: p.status as Purchase['status'],
    payments: p.payments,
    lines: lines.sort((a, b) => a.lineNo - b.lineNo).map(toLine),
    createdAt: p.createdAt,
  };
}

/** What undoing a sale can give back: money, and through modules' handlers card value, points and vouchers. */
const RETURN_GIVES: readonly ValueKind[] = ['money', 'stored-value', 'points', 'voucher'];

const lineId = (purchaseId: string, lineNo: number) => `${purchaseId}:${lineNo}`;

async function loadLines(session: StoreSession, purchaseId: string): Promise<LineRow[]> {
  return (
    await session.find(purchaseLinesCollection, { where: { purchaseId }, orderBy: [{ field: 'lineNo' }], limit: 1000 })
  ).rows;
}

const voidSchema = z
  .object({
    purchaseId: idSchema,
    reason: shortTextSchema,
    /** A member of staff whose authority covers the sale's total when the actor's does not. */
    approvedBy: codeSchema.optional(),
  })
  .strict();
/** Input of `purchases.void`. */
export type VoidInput = z.input<typeof voidSchema>;

/**
 * `crm.purchases`: sales, returns and voids, the records loyalty and segments consume. Recording
 * needs `sales.record`, returns `sales.return` and a `refund` limit for what goes back, voids
 * `sales.void`; reads `sales.read`. Every command needs an idempotency key: a till retries.
 */
export interface PurchasesService {
  /** Records a sale (member, card or anonymous); a retry with the same key returns the first result. */
  record(input: RecordSaleInput, options: CommandOptions): Promise<Purchase>;
  /**
   * Takes back some or all of a sale's lines, never more than was sold. Modules charge back what the
   * lines earned and give back through their own tenders; the return says what the till pays.
   */
  return(input: ReturnInput, options: CommandOptions): Promise<PurchaseReturn>;
  /** Voids a sale that has no returns: everything it moved goes back. */
  void(input: VoidInput, options: CommandOptions): Promise<Purchase>;
  /** A sale with its lines. */
  get(purchaseId: string, options: QueryOptions): Promise<Purchase>;
  /** A sale by its receipt. */
  byReceipt(storeId: string, terminalId: string, receiptNo: string, options: QueryOptions): Promise<Purchase>;
  /** A customer's sales, newest first. */
  ofCustomer(customerId: string, options: QueryOptions): Promise<ResultPage<Purchase>>;
  /** A page of a customer's sales, newest first. */
  ofCustomer(customerId: string, page: PageInput | undefined, options: QueryOptions): Promise<ResultPage<Purchase>>;
  /** The returns made against a sale, oldest first. */
  returnsOf(purchaseId: string, options: QueryOptions): Promise<PurchaseReturn[]>;
}

/** What the purchase service needs of the installed modules. */
export interface PurchaseSettings {
  /** The payment methods modules give back themselves. */
  tenders: () => ReadonlySet<string>;
  /** Every module's refund steps, in the order they run. */
  refundSteps: () => readonly RefundStep[];
}

/** Builds the purchase service. */
export function createPurchaseService(
  kernel: Kernel,
  settings: PurchaseSettings = { tenders: () => new Set(), refundSteps: () => [] },
): PurchasesService {
  async function resolveBuyer(
    ctx: CommandContext,
    input: z.output<typeof recordSaleSchema>,
  ): Promise<{ customerId: string | null; cardNumber: string | null }> {
    let customerId: string | null = null;
    let holder: CustomerRow | undefined;
    if (input.cardNumber !== undefined) {
      // The card with its holder in one read where the store can: a swiped card is the till's usual buyer.
      const found = await ctx.tx.getLinked(cardsCollection, input.cardNumber, cardHolder);
      if (!found) throw new NotFoundError('card', input.cardNumber, { path: ['cardNumber'] });
      const card = found.row;
      holder = found.linked;
      if (card.status !== 'active')
        throw new InvalidStateError(`card ${card.number} is ${card.status}`, {
          path: ['cardNumber'],
          status: card.status,
          replacedBy: card.replacedBy,
        });
      if (card.expiresAt && card.expiresAt.getTime() <= ctx.now.getTime())
        throw new InvalidStateError(`card ${card.number} expired`, { path: ['cardNumber'] });
      customerId = card.customerId;
    }
    if (input.customerId !== undefined) {
      const customer = await resolveActiveCustomer(ctx.tx, input.customerId, { path: ['customerId'] });
      if (input.cardNumber !== undefined && customerId !== null && customerId !== customer.id) {
        throw invalid(['customerId'], 'card_mismatch', `card ${input.cardNumber} belongs to another customer`);
      }
      customerId = customer.id;
    } else if (customerId !== null) {
      // A merged or closed holder is followed or refused as resolveActiveCustomer does.
      customerId = (
        holder?.status === 'active' ? holder : await resolveActiveCustomer(ctx.tx, customerId, { path: ['cardNumber'] })
      ).id;
    }
    return { customerId, cardNumber: input.cardNumber ?? null };
  }

  const record = kernel.command({
    name: 'purchases.record',
    input: recordSaleSchema,
    permission: 'sales.record',
    idempotency: 'required',
    // Only a module's check inside the sale asks: the segments module's credit check for a sale on account.
    moves: {
      gives: ['credit'],
      limits: ['credit'],
      measure: "the part of a sale on account above the customer's credit limit",
    },
    async run(ctx, input) {
      if (!(await ctx.tx.get(storesCollection, input.storeId)))
        throw new NotFoundError('store', input.storeId, { path: ['storeId'] });
      const { customerId, cardNumber } = await resolveBuyer(ctx, input);
      const id = ctx.id('pur');
      const occurredAt = input.occurredAt ?? ctx.now;
      const currency = input.currency ?? kernel.currency;
      const computed = input.lines.map((l) => {
        const quantityMilli = toMilli(l.quantity)!;
        const gross = lineGross(quantityMilli, l.unitPrice);
        return { ...l, quantityMilli, gross };
      });
      const totals = saleTotals(computed);
      const payments: StoredPayment[] = (input.payments ?? []).map((p) => ({
        method: p.method,
        amount: p.amount,
        reference: p.reference ?? null,
      }));
      let row: PurchaseRow;
      try {
        row = await ctx.tx.insert(purchasesCollection, {
          id,
          storeId: input.storeId,
          terminalId: input.terminalId,
          receiptNo: input.receiptNo,
          customerId,
          cardNumber,
          channel: input.channel,
          occurredAt,
          currency,
          ...totals,
          refundedTotal: 0,
          status: 'completed',
          lineCount: computed.length,
          payments,
          createdAt: ctx.now,
        });
      } catch (error) {
        // The receipt's unique index is the check (the id is fresh): no read before the write, and no
        // window between a read and the write for a second till with the same receipt.
        if (isClienteleError(error, 'CONFLICT') && (error as ConflictError).reason === 'unique') {
          throw new ConflictError(
            'unique',
            `receipt ${input.receiptNo} of terminal ${input.terminalId} is already recorded`,
            { path: ['receiptNo'] },
          );
        }
        throw error;
      }
      const lines: LineRow[] = computed.map((l, i) => ({
        id: lineId(id, i + 1),
        purchaseId: id,
        lineNo: i + 1,
        customerId,
        storeId: input.storeId,
        occurredAt,
        sku: l.sku,
        name: l.name ?? null,
        category: l.category,
        brand: l.brand ?? null,
        quantityMilli: l.quantityMilli,
        unitPrice: l.unitPrice,
        discount: l.discount,
        amount: l.gross - l.discount,
        returnedMilli: 0,
      }));
      // All lines in one bulk write where the store has one (one statement on SQL stores).
      await ctx.tx.insertMany(purchaseLinesCollection, lines);
      ctx.audit(
        { type: 'purchase', id, customerId },
        { storeId: input.storeId, receiptNo: input.receiptNo, total: totals.total },
      );
      if (customerId) {
        await ctx.addTimeline({
          customerId,
          at: occurredAt,
          source: 'purchases',
          kind: 'purchase',
          facts: {
            lines: computed.length,
            total: totals.total,
            currency,
            storeId: input.storeId,
            receiptNo: input.receiptNo,
          },
          storeId: input.storeId,
          ref: { type: 'purchase', id },
        });
      }
      await ctx.emit(
        'purchase.recorded',
        {
          purchaseId: id,
          customerId,
          storeId: input.storeId,
          total: totals.total,
          currency,
          occurredAt: occurredAt.toISOString(),
        },
        { customerId },
      );
      return toPurchase(row, lines);
    },
  });

  const returnPurchase = kernel.command({
    name: 'purchases.return',
    input: returnSchema,
    permission: 'sales.return',
    idempotency: 'required',
    moves: {
      gives: RETURN_GIVES,
      limits: ['refund'],
      measure: 'the refund of the returned lines, before anything is kept back',
    },
    async run(ctx, input) {
      const purchase = await mustGet(ctx.tx, purchasesCollection, input.purchaseId, 'purchase', {
        path: ['purchaseId'],
      });
      if (purchase.status !== 'completed')
        throw new InvalidStateError(`purchase ${purchase.id} is ${purchase.status}`, { path: ['purchaseId'] });
      if (!(await ctx.tx.get(storesCollection, input.storeId)))
        throw new NotFoundError('store', input.storeId, { path: ['storeId'] });
      const returned: StoredReturnLine[] = [];
      const issues: ValidationIssue[] = [];
      for (let i = 0; i < input.lines.length; i++) {
        const want = input.lines[i]!;
        const id = lineId(purchase.id, want.lineNo);
        const line = await ctx.tx.get(purchaseLinesCollection, id);
        if (!line) {
          issues.push({
            path: ['lines', i, 'lineNo'],
            code: 'unknown_line',
            message: `purchase ${purchase.id} has no line ${want.lineNo}`,
          });
          continue;
        }
        const milli = toMilli(want.quantity)!;
        // The guard makes "never more than was sold" hold even for two tills returning at once.
        const r = await ctx.tx.increment(purchaseLinesCollection, id, 'returnedMilli', milli, {
          max: line.quantityMilli,
        });
        if (!r.applied) {
          const left = fromMilli(r.row.quantityMilli - r.row.returnedMilli);
          issues.push({
            path: ['lines', i, 'quantity'],
            code: 'exceeds_sold',
            message: `only ${left} of ${fromMilli(line.quantityMilli)} left to return on line ${want.lineNo}`,
          });
          continue;
        }
        returned.push({
          lineNo: want.lineNo,
          quantity: want.quantity,
          amount: refundFor(line.amount, line.quantityMilli, r.row.returnedMilli - milli, milli),
        });
      }
      if (issues.length) throw new ValidationError(issues);
      const amount = returned.reduce((s, l) => s + l.amount, 0);
      const { approvedBy } = await ctx.requireAuthority('refund', amount, input.approvedBy);
      ctx.moved('money', amount);
      const id = ctx.id('ret');
      await ctx.tx.insert(purchaseReturnsCollection, {
        id,
        purchaseId: purchase.id,
        customerId: purchase.customerId,
        storeId: input.storeId,
        at: ctx.now,
        amount,
        lines: returned,
        reason: input.reason,
        approvedBy,
        deductions: [],
        payable: amount,
        tenders: null,
      });
      await ctx.tx.increment(purchasesCollection, purchase.id, 'refundedTotal', amount, { max: purchase.total });
      const event = {
        purchaseId: purchase.id,
        returnId: id,
        customerId: purchase.customerId,
        amount,
        currency: purchase.currency,
        lines: returned,
      };
      await ctx.emit('purchase.returned', event, { customerId: purchase.customerId });
      // Modules' refund steps run here, in this transaction and in their declared order: they take back
      // what the lines earned, may charge part of the refund back (points already spent, a voucher no
      // longer earned) and give back through their own tenders.
      const refund = createRefundCollector(amount);
      for (const step of settings.refundSteps()) await step.onReturn?.(ctx, event, refund);
      const { deductions, payable: want } = settleRefund(amount, refund.deductions());
      // Read after the sale's row was updated above: a concurrent return of the same sale waits for this
      // one, so neither pays at the till what the other already did.
      const earlier = (
        await ctx.tx.find(purchaseReturnsCollection, { where: { purchaseId: purchase.id }, limit: 1000 })
      ).rows.filter((r) => r.id !== id);
      const { tenders, payable, dueAtTill } = allocateRefund({
        want,
        settled: refund.tenders(),
        payments: purchase.payments,
        moduleMethods: settings.tenders(),
        total: purchase.total,
        tillBefore: earlier.reduce((s, r) => s + tillPaid(r), 0),
      });
      // The return keeps each deduction's source, amount and reason; its facts are the timeline's.
      const kept = deductions.map(({ facts: _facts, ...d }) => d);
      const record = await ctx.tx.update(purchaseReturnsCollection, id, { deductions: kept, payable, tenders });
      const deducted = amount - want;
      ctx.audit(
        { type: 'purchase', id: purchase.id, customerId: purchase.customerId },
        {
          returnId: id,
          amount,
          payable,
          dueAtTill,
          ...(deducted ? { deducted } : {}),
          ...(approvedBy ? { approvedBy } : {}),
        },
      );
      if (purchase.customerId) {
        await ctx.addTimeline({
          customerId: purchase.customerId,
          source: 'purchases',
          kind: 'return',
          facts: {
            lines: returned.length,
            receiptNo: purchase.receiptNo,
            currency: purchase.currency,
            amount,
            payable,
            deducted,
            alreadyRefunded: payable < want ? want - payable : 0,
            reasons: deductions.map((d) => d.reason).join('; '),
            ...deductionFacts(deductions),
          },
          storeId: input.storeId,
          ref: { type: 'return', id },
        });
      }
      return toReturn(record);
    },
  });

  const voidPurchase = kernel.command({
    name: 'purchases.void',
    input: voidSchema,
    permission: 'sales.void',
    idempotency: 'required',
    // A void gives the whole sale back: a role may set a `void` limit, else its `refund` limit applies.
    moves: { gives: RETURN_GIVES, limits: ['void', 'refund'], measure: "the sale's total" },
    async run(ctx, input) {
      const purchase = await mustGet(ctx.tx, purchasesCollection, input.purchaseId, 'purchase', {
        path: ['purchaseId'],
      });
      const { approvedBy } = await ctx.requireAuthority(['void', 'refund'], purchase.total, input.approvedBy);
      ctx.moved('money', purchase.total);
      const voided = await ctx.tx.consume(
        purchasesCollection,
        purchase.id,
        { status: 'completed', refundedTotal: 0 },
        { status: 'voided' },
      );
      if (!voided) {
        const why = purchase.status !== 'completed' ? `is ${purchase.status}` : 'has returns; return the rest instead';
        throw new InvalidStateError(`purchase ${purchase.id} ${why}`, {
          path: ['purchaseId'],
          status: purchase.status,
        });
      }
      ctx.audit(
        { type: 'purchase', id: purchase.id, customerId: purchase.customerId },
        { reason: input.reason, total: purchase.total, ...(approvedBy ? { approvedBy } : {}) },
      );
      if (purchase.customerId) {
        await ctx.addTimeline({
          customerId: purchase.customerId,
          source: 'purchases',
          kind: 'void',
          facts: { receiptNo: purchase.receiptNo },
          storeId: purchase.storeId,
          ref: { type: 'purchase', id: purchase.id },
        });
      }
      const event = {
        purchaseId: purchase.id,
        customerId: purchase.customerId,
        total: purchase.total,
        currency: purchase.currency,
      };
      await ctx.emit('purchase.voided', event, { customerId: purchase.customerId });
      for (const step of settings.refundSteps()) await step.onVoid?.(ctx, event);
      return toPurchase(voided, await loadLines(ctx.tx, purchase.id));
    },
  });

  async function get(purchaseId: string): Promise<Purchase> {
    const id = parseInput(idSchema, purchaseId, ['purchaseId']);
    const p = await mustGet(kernel.store, purchasesCollection, id, 'purchase', { path: ['purchaseId'] });
    return toPurchase(p, await loadLines(kernel.store, id));
  }

  async function byReceipt(storeId: string, terminalId: string, receiptNo: string): Promise<Purchase> {
    const s = parseInput(codeSchema, storeId, ['storeId']);
    const t = parseInput(codeSchema, terminalId, ['terminalId']);
    const r = parseInput(codeSchema, receiptNo, ['receiptNo']);
    const p = await kernel.store.getBy(purchasesCollection, 'purchases_receipt', {
      storeId: s,
      terminalId: t,
      receiptNo: r,
    });
    if (!p) throw new NotFoundError('purchase', `${s}/${t}/${r}`, { path: ['receiptNo'] });
    return toPurchase(p, await loadLines(kernel.store, p.id));
  }

  async function ofCustomer(customerId: string, page: PageInput = {}): Promise<ResultPage<Purchase>> {
    const id = parseInput(idSchema, customerId, ['customerId']);
    const q = parseInput(pageSchema, page);
    const result = await kernel.store.find(purchasesCollection, {
      where: { customerId: id },
      orderBy: [
        { field: 'occurredAt', direction: 'desc' },
        { field: 'id', direction: 'desc' },
      ],
      limit: q.limit,
      after: q.after ?? null,
    });
    const items: Purchase[] = [];
    for (const p of result.rows) items.push(toPurchase(p, await loadLines(kernel.store, p.id)));
    return { items, next: result.next };
  }

  async function returnsOf(purchaseId: string): Promise<PurchaseReturn[]> {
    const id = parseInput(idSchema, purchaseId, ['purchaseId']);
    return (
      await kernel.store.find(purchaseReturnsCollection, {
        where: { purchaseId: id },
        orderBy: [{ field: 'at' }],
        limit: 1000,
      })
    ).rows.map(toReturn);
  }

  return {
    record,
    return: returnPurchase,
    void: voidPurchase,
    get: kernel.query({ name: 'purchases.get', permission: 'sales.read', reads: (p) => [p.customerId], run: get }),
    byReceipt: kernel.query({
      name: 'purchases.byReceipt',
      permission: 'sales.read',
      reads: (p) => [p.customerId],
      run: byReceipt,
    }),
    ofCustomer: kernel.query({
      name: 'purchases.ofCustomer',
      permission: 'sales.read',
      reads: (_page, [customerId]) => [customerId],
      run: ofCustomer,
    }),
    returnsOf: kernel.query({
      name: 'purchases.returnsOf',
      permission: 'sales.read',
      reads: (returns) => returns.map((r) => r.customerId),
      run: returnsOf,
    }),
  };
}

/** @deprecated Renamed {@link PurchasesService}. */
export type PurchaseService = PurchasesService;
