/**
 * `crm.imports`: an old system's customers (with their cards) and sales (with their returns) brought in
 * a batch at a time: each batch in one transaction with bulk writes, each row checked on its own (a bad
 * row is reported and the good ones go in), each row imported once whatever the number of runs.
 */
import type { z } from 'zod';
import type { JsonValue } from '../store/schema.js';
import { isClienteleError } from '../errors.js';
import { formatMoney } from '../money.js';
import type { CommandContext, CommandOptions, Kernel, QueryOptions } from '../runtime/module.js';
import { timeline } from '../runtime/collections.js';
import type { StoreSession } from '../store/port.js';
import { parseInput } from '../validation.js';
import { cardTypesCollection, cardsCollection } from './card-collections.js';
import { customersCollection } from './customer-collections.js';
import { columnsOf, type ProfileFields } from './customer-record.js';
import { DEFAULT_COMPLETENESS, type CompletenessRules } from './customer-schemas.js';
import { importKeysCollection } from './import-collections.js';
import {
  IMPORT_PERMISSION,
  compiledOf,
  customerImportRowSchema,
  existingKeys,
  importBatchSchema,
  importKey,
  importedKeys,
  newRows,
  parseRows,
  reject,
  saleImportRowSchema,
  type CustomerImportRow,
  type ImportBatch,
  type ImportRejection,
  type ImportResult,
  type Parsed,
  type SaleImportRow,
} from './import-rows.js';
import { storesCollection } from './organisation-collections.js';
import { purchaseLinesCollection, purchaseReturnsCollection, purchasesCollection } from './purchase-collections.js';
import { fromMilli, lineGross, refundFor, saleTotals, toMilli } from './purchase-math.js';

type CustomerRow = z.output<typeof customerImportRowSchema>;
type SaleRow = z.output<typeof saleImportRowSchema>;

/**
 * `crm.imports`: bulk imports from the system a retailer leaves. Commands need `data.import` (a system
 * actor such as `{ system: 'import' }` has it); each takes up to 5,000 rows, writes them in one
 * transaction and returns what it imported, skipped (imported before) and rejected (with each issue).
 */
export interface ImportsService {
  /**
   * Members, organisations and suppliers with their cards. A row's `sourceId` is its key: a row imported
   * before is skipped. Rows are refused for what `customers.register` and `cards.issue` refuse, and for a
   * card number already issued or given twice. Imports write no history, timeline entry or event per
   * row; the batch's audit entry records it.
   */
  customers(batch: ImportBatch<CustomerImportRow>, options: CommandOptions): Promise<ImportResult>;
  /**
   * Historic sales with their returns, as they were: no points are earned and no module acts on them
   * (their points come in as balances). They show on the buyer's timeline at their own dates and feed
   * segments at the next rebuild.
   */
  sales(batch: ImportBatch<SaleImportRow>, options: CommandOptions): Promise<ImportResult>;
  /** What `customers` would do with the batch, checked against the store; writes nothing. */
  checkCustomers(batch: ImportBatch<CustomerImportRow>, options: QueryOptions): Promise<ImportResult>;
  /** What `sales` would do with the batch, checked against the store; writes nothing. */
  checkSales(batch: ImportBatch<SaleImportRow>, options: QueryOptions): Promise<ImportResult>;
}

/** What the import service needs of the instance's settings. */
export interface ImportSettings {
  completeness: CompletenessRules;
  attributes: z.ZodType<Record<string, unknown>>;
}

interface Plan<T> {
  fresh: Array<Parsed<T>>;
  result: ImportResult;
}

/** Whether the row at `index` was rejected. */
function isRejected(rejected: readonly ImportRejection[], index: number): boolean {
  for (const r of rejected) if (r.index === index) return true;
  return false;
}

/** Customer rows that passed their schemas (attributes included), and the rejections of those that did not. */
interface ParsedCustomers {
  parsed: Array<Parsed<CustomerRow>>;
  rejected: readonly ImportRejection[];
}

/** Checks customer rows against their schemas: what needs no store. */
function parseCustomers(rows: readonly unknown[], settings: ImportSettings): ParsedCustomers {
  const rejected: ImportRejection[] = [];
  const parsed = parseRows(customerImportRowSchema, rows, rejected);
  // Compiled as the rows' schema is: it parses the attributes of every row.
  const attributes = compiledOf(settings.attributes);
  for (const p of parsed) {
    try {
      p.row.customer.attributes = parseInput(attributes, p.row.customer.attributes ?? {}, [
        'customer',
        'attributes',
      ]) as Record<string, JsonValue>;
    } catch (error) {
      const issues = (error as { issues?: ImportRejection['issues'] }).issues ?? [];
      for (const i of issues) reject(rejected, p, [...i.path], i.code, i.message);
    }
  }
  return { parsed: rejected.length ? parsed.filter((p) => !isRejected(rejected, p.index)) : parsed, rejected };
}

/**
 * Checks parsed customer rows against the store: stores, card types and, with `lookups`, the import
 * keys and card numbers already there. Without `lookups` every key and number counts as new: the plan
 * of a batch that would clash with neither, which the write's unique keys confirm (see
 * {@link importCustomers}).
 */
async function planCustomers(
  session: StoreSession,
  { parsed, rejected: refused }: ParsedCustomers,
  lookups: boolean,
): Promise<CustomerPlan> {
  const rejected = [...refused];
  const known = lookups
    ? await importedKeys(
        session,
        parsed.map((p) => importKey('customer', p.row.sourceId)),
      )
    : new Map<string, string>();
  const { fresh, skipped } = newRows(parsed, 'customer', known, rejected);
  const storeIds = new Set<string>();
  const typeIds = new Set<string>();
  const numbers: string[] = [];
  for (const { row } of fresh) {
    if (row.customer.homeStoreId) storeIds.add(row.customer.homeStoreId);
    for (const c of row.cards ?? []) {
      storeIds.add(c.storeId);
      typeIds.add(c.typeId);
      numbers.push(c.number);
    }
  }
  const stores = await existingKeys(session, storesCollection, 'id', storeIds);
  const types = new Map(
    (
      await session.find(cardTypesCollection, { where: { id: { in: [...typeIds] } }, limit: Math.max(1, typeIds.size) })
    ).rows.map((t) => [t.id, t]),
  );
  const issued = lookups ? await existingKeys(session, cardsCollection, 'number', numbers) : new Set<string>();
  const inBatch = new Set<string>();
  const good: Array<Parsed<CustomerRow>> = [];
  for (const p of fresh) {
    const before = rejected.length;
    const home = p.row.customer.homeStoreId;
    if (home && !stores.has(home))
      reject(rejected, p, ['customer', 'homeStoreId'], 'not_found', `store not found: ${home}`);
    const cards = p.row.cards ?? [];
    // Loops, not callbacks: no function per row of every batch.
    for (let i = 0; i < cards.length; i++) {
      const c = cards[i]!;
      const type = types.get(c.typeId);
      if (!stores.has(c.storeId))
        reject(rejected, p, ['cards', i, 'storeId'], 'not_found', `store not found: ${c.storeId}`);
      if (!type) reject(rejected, p, ['cards', i, 'typeId'], 'not_found', `card type not found: ${c.typeId}`);
      else if (c.number.length !== type.length || !c.number.startsWith(type.prefix))
        reject(
          rejected,
          p,
          ['cards', i, 'number'],
          'wrong_type',
          `${type.name} numbers have ${type.length} digits and start with ${type.prefix}`,
        );
      if (issued.has(c.number) || inBatch.has(c.number))
        reject(rejected, p, ['cards', i, 'number'], 'duplicate', `card ${c.number} already exists`);
    }
    const accepted = rejected.length === before && !isRejected(rejected, p.index);
    // A rejected row's numbers stay free: the row that holds the number legitimately may come later.
    if (accepted) {
      for (const c of p.row.cards ?? []) inBatch.add(c.number);
      good.push(p);
    }
  }
  const storeRejected = rejected.length !== refused.length;
  rejected.sort((a, b) => a.index - b.index);
  return {
    fresh: good,
    validityMonths: new Map([...types.values()].map((t) => [t.id, t.validityMonths])),
    storeRejected,
    result: { imported: good.length, skipped, rejected },
  };
}

/** A plan of customer rows, with what the write needs of the card types. */
interface CustomerPlan extends Plan<CustomerRow> {
  /** Each card type's validity, by id (null: cards of the type do not expire). */
  validityMonths: Map<string, number | null>;
  /** Whether a row was refused for what the store holds, or for a key or number given twice. */
  storeRejected: boolean;
}

/**
 * Imports a batch of customer rows inside the command's transaction. A batch whose rows clash with
 * nothing the store holds (the common case: a first run, or the part of a file a crashed run never
 * reached) is written without reading the import keys and card numbers first: the unique keys of the
 * write find a clash instead. When one does, what the batch wrote is taken out again and the batch is
 * planned with those reads and written the checked way, so the outcome is the same either way.
 */
async function importCustomers(
  ctx: CommandContext,
  rows: readonly unknown[],
  settings: ImportSettings,
): Promise<ImportResult> {
  const parsed = parseCustomers(rows, settings);
  const hopeful = await planCustomers(ctx.tx, parsed, false);
  // A row refused for a clash, a missing store or type may be one imported before (to be skipped): the
  // reads decide, so such a batch takes the checked way at once.
  if (!hopeful.storeRejected && (hopeful.fresh.length === 0 || (await writeCustomers(ctx, hopeful, settings, true))))
    return hopeful.result;
  const plan = await planCustomers(ctx.tx, parsed, true);
  if (plan.fresh.length) await writeCustomers(ctx, plan, settings, false);
  return plan.result;
}

/**
 * Writes a plan's rows: their import keys, cards and customers. With `hopeful` (a plan made without
 * reading keys and numbers), a clash on an import key or a card number writes nothing and returns
 * false: the keys go first, so a batch imported before clashes before anything is written, and the
 * batch's own keys are taken out again when a card number clashes after them.
 */
async function writeCustomers(
  ctx: CommandContext,
  plan: CustomerPlan,
  settings: ImportSettings,
  hopeful: boolean,
): Promise<boolean> {
  const customers: Array<Parameters<StoreSession['insert']>[1]> = [];
  const cards: Array<Parameters<StoreSession['insert']>[1]> = [];
  const keys: Array<Parameters<StoreSession['insert']>[1]> = [];
  const types = plan.validityMonths;
  for (const { row } of plan.fresh) {
    const { kind, verified } = row.customer;
    // The parsed row is the fields as they are (its `kind` and `verified` are no profile field, and a
    // field left undefined reads as one not given): no copy per row.
    const fields = (
      kind === 'supplier' ? { ...row.customer, supplier: row.customer.supplier ?? { categories: [] } } : row.customer
    ) as ProfileFields;
    const id = ctx.id('cus');
    const at = row.registeredAt ?? ctx.now;
    const record: Record<string, unknown> = columnsOf(kind, fields, settings.completeness);
    record['id'] = id;
    record['status'] = 'active';
    record['mergedInto'] = null;
    record['lastVerifiedAt'] = verified ? at : null;
    record['createdAt'] = at;
    record['updatedAt'] = ctx.now;
    customers.push(record as Parameters<StoreSession['insert']>[1]);
    for (const c of row.cards ?? []) {
      const issuedAt = c.issuedAt ?? at;
      const months = types.get(c.typeId);
      cards.push({
        number: c.number,
        typeId: c.typeId,
        customerId: id,
        status: 'active',
        statusReason: null,
        issuedStoreId: c.storeId,
        issuedAt,
        expiresAt: months ? addMonths(issuedAt, months) : null,
        replaces: null,
        replacedBy: null,
        updatedAt: ctx.now,
      });
    }
    keys.push({
      id: importKey('customer', row.sourceId),
      kind: 'customer',
      sourceId: row.sourceId,
      targetId: id,
      customerId: id,
      importedAt: ctx.now,
    });
  }
  // `insertMany` is all or nothing, and a clash leaves the transaction usable on every store.
  const clashed = (error: unknown) => hopeful && isClienteleError(error, 'CONFLICT');
  try {
    await ctx.tx.insertMany(importKeysCollection, keys as never);
  } catch (error) {
    if (clashed(error)) return false;
    throw error;
  }
  if (cards.length)
    try {
      await ctx.tx.insertMany(cardsCollection, cards as never);
    } catch (error) {
      if (!clashed(error)) throw error;
      await ctx.tx.deleteMany(
        importKeysCollection,
        keys.map((k) => k['id'] as string),
      );
      return false;
    }
  await ctx.tx.insertMany(customersCollection, customers as never);
  return true;
}

function addMonths(date: Date, months: number): Date {
  const d = new Date(date.getTime());
  d.setUTCMonth(d.getUTCMonth() + months);
  return d;
}

/** A sale row resolved against the store: its buyer, and the card it names. */
interface ResolvedSale {
  customerId: string | null;
  cardNumber: string | null;
}

async function planSales(
  session: StoreSession,
  rows: readonly unknown[],
): Promise<Plan<SaleRow> & { buyers: Map<number, ResolvedSale> }> {
  const rejected: ImportRejection[] = [];
  const parsed = parseRows(saleImportRowSchema, rows, rejected);
  for (const p of parsed)
    if (!p.row.sale.occurredAt)
      reject(rejected, p, ['sale', 'occurredAt'], 'required', 'an imported sale says when it happened');
  const known = await importedKeys(session, [
    ...parsed.map((p) => importKey('sale', p.row.sourceId)),
    ...parsed.flatMap((p) => (p.row.customerSourceId ? [importKey('customer', p.row.customerSourceId)] : [])),
  ]);
  const { fresh, skipped } = newRows(
    parsed.filter((p) => !rejected.some((r) => r.index === p.index)),
    'sale',
    known,
    rejected,
  );
  const stores = await existingKeys(
    session,
    storesCollection,
    'id',
    fresh.flatMap((p) => [p.row.sale.storeId, ...(p.row.returns ?? []).flatMap((r) => (r.storeId ? [r.storeId] : []))]),
  );
  const customerIds = await existingKeys(
    session,
    customersCollection,
    'id',
    fresh.flatMap((p) => (p.row.sale.customerId ? [p.row.sale.customerId] : [])),
  );
  const cardNumbers = fresh.flatMap((p) => (p.row.sale.cardNumber ? [p.row.sale.cardNumber] : []));
  const holders = new Map<string, string | null>();
  for (let i = 0; i < cardNumbers.length; i += 1000) {
    const page = await session.find(cardsCollection, {
      where: { number: { in: cardNumbers.slice(i, i + 1000) } },
      select: ['number', 'customerId'],
      limit: 1000,
    });
    for (const c of page.rows) holders.set(c.number, c.customerId);
  }
  const receipts = new Set<string>();
  const receiptOf = (s: { storeId: string; terminalId: string; receiptNo: string }) =>
    `${s.storeId}\u0000${s.terminalId}\u0000${s.receiptNo}`;
  const buyers = new Map<number, ResolvedSale>();
  const good: Array<Parsed<SaleRow>> = [];
  for (const p of fresh) {
    const { sale } = p.row;
    const bad = () => rejected.some((r) => r.index === p.index);
    if (!stores.has(sale.storeId))
      reject(rejected, p, ['sale', 'storeId'], 'not_found', `store not found: ${sale.storeId}`);
    let customerId: string | null = null;
    if (p.row.customerSourceId) {
      customerId = known.get(importKey('customer', p.row.customerSourceId)) ?? null;
      if (!customerId)
        reject(
          rejected,
          p,
          ['customerSourceId'],
          'not_found',
          `customer ${p.row.customerSourceId} was not imported (import customers first)`,
        );
    } else if (sale.customerId) {
      customerId = sale.customerId;
      if (!customerIds.has(customerId))
        reject(rejected, p, ['sale', 'customerId'], 'not_found', `customer not found: ${customerId}`);
    }
    if (sale.cardNumber !== undefined) {
      if (!holders.has(sale.cardNumber))
        reject(rejected, p, ['sale', 'cardNumber'], 'not_found', `card not found: ${sale.cardNumber}`);
      else customerId ??= holders.get(sale.cardNumber) ?? null;
    }
    const receipt = receiptOf(sale);
    // Within the batch only: a receipt recorded before clashes on the receipt's unique index when written.
    if (receipts.has(receipt))
      reject(rejected, p, ['sale', 'receiptNo'], 'duplicate', `receipt ${sale.receiptNo} comes twice in the batch`);
    const sold = sale.lines.map((l) => toMilli(l.quantity)!);
    const back = sold.map(() => 0);
    (p.row.returns ?? []).forEach((r, i) => {
      if (r.storeId && !stores.has(r.storeId))
        reject(rejected, p, ['returns', i, 'storeId'], 'not_found', `store not found: ${r.storeId}`);
      r.lines.forEach((l, j) => {
        const n = l.lineNo - 1;
        if (n >= sold.length)
          reject(rejected, p, ['returns', i, 'lines', j, 'lineNo'], 'not_found', `the sale has no line ${l.lineNo}`);
        else if ((back[n] = back[n]! + toMilli(l.quantity)!) > sold[n]!)
          reject(
            rejected,
            p,
            ['returns', i, 'lines', j, 'quantity'],
            'too_many',
            `more of line ${l.lineNo} returned than was sold`,
          );
      });
    });
    if (!bad()) {
      receipts.add(receipt);
      buyers.set(p.index, { customerId, cardNumber: sale.cardNumber ?? null });
      good.push(p);
    }
  }
  rejected.sort((a, b) => a.index - b.index);
  return { fresh: good, buyers, result: { imported: good.length, skipped, rejected } };
}

const lineCount = (n: number) => `${n} line${n === 1 ? '' : 's'}`;

async function writeSales(
  ctx: CommandContext,
  plan: Plan<SaleRow> & { buyers: Map<number, ResolvedSale> },
  currencyOf: string,
): Promise<void> {
  const purchases: Array<Record<string, unknown>> = [];
  const lines: Array<Record<string, unknown>> = [];
  const returns: Array<Record<string, unknown>> = [];
  const entries: Array<Record<string, unknown>> = [];
  const keys: Array<Record<string, unknown>> = [];
  for (const p of plan.fresh) {
    const { sale } = p.row;
    const { customerId, cardNumber } = plan.buyers.get(p.index)!;
    const id = ctx.id('pur');
    const occurredAt = sale.occurredAt!;
    const currency = sale.currency ?? currencyOf;
    const computed = sale.lines.map((l) => {
      const quantityMilli = toMilli(l.quantity)!;
      const gross = lineGross(quantityMilli, l.unitPrice);
      return { ...l, quantityMilli, gross, amount: gross - l.discount, returnedMilli: 0 };
    });
    const totals = saleTotals(computed);
    const payments = (sale.payments ?? []).map((x) => ({
      method: x.method,
      amount: x.amount,
      reference: x.reference ?? null,
    }));
    let refundedTotal = 0;
    (p.row.returns ?? []).forEach((r, i) => {
      const returnId = `${id}:r${i + 1}`;
      const returned = r.lines.map((l) => {
        const line = computed[l.lineNo - 1]!;
        const milli = toMilli(l.quantity)!;
        const amount = refundFor(line.amount, line.quantityMilli, line.returnedMilli, milli);
        line.returnedMilli += milli;
        return { lineNo: l.lineNo, quantity: l.quantity, amount };
      });
      const amount = returned.reduce((s, l) => s + l.amount, 0);
      refundedTotal += amount;
      const storeId = r.storeId ?? sale.storeId;
      returns.push({
        id: returnId,
        purchaseId: id,
        customerId,
        storeId,
        at: r.at,
        amount,
        lines: returned,
        reason: r.reason,
        approvedBy: null,
        deductions: [],
        payable: amount,
        tenders: [{ via: 'till', method: payments[0]?.method ?? 'cash', reference: null, amount, settled: false }],
      });
      if (customerId)
        entries.push({
          id: ctx.id('tl'),
          customerId,
          at: r.at,
          source: 'purchases',
          kind: 'return',
          summary:
            `Returned ${lineCount(returned.length)} of receipt ${sale.receiptNo}: ` +
            `${formatMoney(amount, currency)} refunded`,
          storeId,
          refType: 'return',
          refId: returnId,
          data: null,
        });
    });
    purchases.push({
      id,
      storeId: sale.storeId,
      terminalId: sale.terminalId,
      receiptNo: sale.receiptNo,
      customerId,
      cardNumber,
      channel: sale.channel,
      occurredAt,
      currency,
      ...totals,
      refundedTotal,
      status: 'completed',
      lineCount: computed.length,
      payments,
      createdAt: ctx.now,
    });
    computed.forEach((l, i) =>
      lines.push({
        id: `${id}:${i + 1}`,
        purchaseId: id,
        lineNo: i + 1,
        customerId,
        storeId: sale.storeId,
        occurredAt,
        sku: l.sku,
        name: l.name ?? null,
        category: l.category,
        brand: l.brand ?? null,
        quantityMilli: l.quantityMilli,
        unitPrice: l.unitPrice,
        discount: l.discount,
        amount: l.amount,
        returnedMilli: l.returnedMilli,
      }),
    );
    if (customerId)
      entries.push({
        id: ctx.id('tl'),
        customerId,
        at: occurredAt,
        source: 'purchases',
        kind: 'purchase',
        summary:
          `Bought ${lineCount(computed.length)} for ${formatMoney(totals.total, currency)} ` +
          `at ${sale.storeId} (receipt ${sale.receiptNo})`,
        storeId: sale.storeId,
        refType: 'purchase',
        refId: id,
        data: { imported: true, quantity: fromMilli(computed.reduce((s, l) => s + l.quantityMilli, 0)) },
      });
    keys.push({
      id: importKey('sale', p.row.sourceId),
      kind: 'sale',
      sourceId: p.row.sourceId,
      targetId: id,
      customerId,
      importedAt: ctx.now,
    });
  }
  const tx = ctx.tx;
  await tx.insertMany(purchasesCollection, purchases as never);
  await tx.insertMany(purchaseLinesCollection, lines as never);
  if (returns.length) await tx.insertMany(purchaseReturnsCollection, returns as never);
  if (entries.length) await tx.insertMany(timeline, entries as never);
  await tx.insertMany(importKeysCollection, keys as never);
}

/** Builds `crm.imports`. */
export function createImportService(
  kernel: Kernel,
  settings: ImportSettings = { completeness: DEFAULT_COMPLETENESS, attributes: undefined as never },
): ImportsService {
  const customers = kernel.command({
    name: 'imports.customers',
    input: importBatchSchema,
    permission: IMPORT_PERMISSION,
    idempotency: 'optional',
    async run(ctx, input) {
      const result = await importCustomers(ctx, input.rows, settings);
      ctx.audit(
        { type: 'import', id: 'customers' },
        { imported: result.imported, skipped: result.skipped, rejected: result.rejected.length },
      );
      return result;
    },
  });
  const sales = kernel.command({
    name: 'imports.sales',
    input: importBatchSchema,
    permission: IMPORT_PERMISSION,
    idempotency: 'optional',
    async run(ctx, input) {
      const plan = await planSales(ctx.tx, input.rows);
      if (plan.fresh.length) await writeSales(ctx, plan, kernel.currency);
      ctx.audit(
        { type: 'import', id: 'sales' },
        { imported: plan.result.imported, skipped: plan.result.skipped, rejected: plan.result.rejected.length },
      );
      return plan.result;
    },
  });
  return {
    customers: customers as unknown as ImportsService['customers'],
    sales: sales as unknown as ImportsService['sales'],
    checkCustomers: kernel.query({
      name: 'imports.checkCustomers',
      permission: IMPORT_PERMISSION,
      run: (batch: ImportBatch<CustomerImportRow>) =>
        planCustomers(kernel.store, parseCustomers(parseInput(importBatchSchema, batch).rows, settings), true).then(
          (p) => p.result,
        ),
    }),
    checkSales: kernel.query({
      name: 'imports.checkSales',
      permission: IMPORT_PERMISSION,
      run: (batch: ImportBatch<SaleImportRow>) =>
        planSales(kernel.store, parseInput(importBatchSchema, batch).rows).then((p) => p.result),
    }),
  };
}
