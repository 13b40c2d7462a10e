/** Collections of sales, their lines, and returns. */
import { defineCollection, field, nullable, type JsonValue } from '../store/schema.js';

/** A sale. Amounts are integer minor units in `currency`. */
export const purchasesCollection = defineCollection({
  name: 'purchases',
  primaryKey: 'id',
  versioned: true,
  fields: {
    id: field.string(),
    storeId: field.string(),
    terminalId: field.string(),
    receiptNo: field.string(),
    customerId: nullable(field.string()),
    cardNumber: nullable(field.string()),
    channel: field.string(),
    occurredAt: field.timestamp(),
    currency: field.string(),
    subtotal: field.integer(),
    discountTotal: field.integer(),
    total: field.integer(),
    refundedTotal: field.integer(),
    status: field.string(),
    lineCount: field.integer(),
    payments: field.json<Array<{ method: string; amount: number; reference: string | null }>>(),
    createdAt: field.timestamp(),
  },
  indexes: [
    { name: 'purchases_receipt', fields: ['storeId', 'terminalId', 'receiptNo'], unique: true },
    { name: 'purchases_customer_at', fields: ['customerId', 'occurredAt'] },
    { name: 'purchases_store_at', fields: ['storeId', 'occurredAt'] },
  ],
  customerKey: 'customerId',
  // A payment's reference is whatever the till sent (a card or hold id, a bank reference).
  scrub: ['payments'],
  plain: ['storeId', 'terminalId', 'receiptNo', 'cardNumber', 'channel', 'currency', 'status'],
});

/** One line of a sale. Quantities are thousandths (weighed goods: 1.25 kg is 1250). */
export const purchaseLinesCollection = defineCollection({
  name: 'purchase_lines',
  primaryKey: 'id',
  fields: {
    id: field.string(),
    purchaseId: field.string(),
    lineNo: field.integer(),
    customerId: nullable(field.string()),
    storeId: field.string(),
    occurredAt: field.timestamp(),
    sku: field.string(),
    name: nullable(field.string()),
    category: field.string(),
    brand: nullable(field.string()),
    quantityMilli: field.integer(),
    unitPrice: field.integer(),
    discount: field.integer(),
    amount: field.integer(),
    returnedMilli: field.integer(),
  },
  indexes: [
    { name: 'purchase_lines_purchase', fields: ['purchaseId', 'lineNo'], unique: true },
    { name: 'purchase_lines_customer_at', fields: ['customerId', 'occurredAt'] },
    { name: 'purchase_lines_category_at', fields: ['category', 'occurredAt'] },
  ],
  customerKey: 'customerId',
  plain: ['purchaseId', 'storeId', 'sku', 'name', 'category', 'brand'],
});

/** A return against a sale. */
export const purchaseReturnsCollection = defineCollection({
  name: 'purchase_returns',
  primaryKey: 'id',
  fields: {
    id: field.string(),
    purchaseId: field.string(),
    customerId: nullable(field.string()),
    storeId: field.string(),
    at: field.timestamp(),
    amount: field.integer(),
    lines: field.json<Array<{ lineNo: number; quantity: number; amount: number }>>(),
    reason: field.string(),
    approvedBy: nullable(field.string()),
    /**
     * What modules charged against the refund (points already spent, a voucher's discount no longer
     * earned); null on returns recorded before deductions existed.
     */
    deductions: nullable(field.json<Array<{ source: string; amount: number; reason: string }>>()),
    /** The refund after deductions: what goes back to the customer, across tenders; null as above (then `amount`). */
    payable: nullable(field.integer()),
    /** What went back through which tender; null on returns recorded before tenders were kept (all at the till). */
    tenders: nullable(field.json<StoredTender[]>()),
  },
  indexes: [
    { name: 'purchase_returns_purchase', fields: ['purchaseId'] },
    { name: 'purchase_returns_customer', fields: ['customerId', 'at'] },
  ],
  customerKey: 'customerId',
  // Tenders name card numbers and voucher codes only; scrubbed all the same, as a sale's payments are.
  scrub: ['reason', 'deductions', 'tenders'],
  plain: ['purchaseId', 'storeId', 'lines', 'approvedBy'],
});

/** A payment of a sale, as stored. */
export type StoredPayment = { method: string; amount: number; reference: string | null };
/** How part of a refund goes back to the customer. */
export interface StoredTender {
  /**
   * `card`: credited back to a stored-value card; `points`: points restored; `voucher`: a voucher that
   * paid is active again (its value is kept back from the money, see `deductions`); `account`: credited
   * to the organisation's account it was charged to; `till`: paid by the till in the sale's own tender.
   */
  via: 'card' | 'points' | 'voucher' | 'account' | 'till';
  /** The sale's payment method it goes back through (`cash` for a sale recorded without payments). */
  method: string;
  /** The card number, voucher code or payment reference, when there is one. */
  reference: string | null;
  /** Minor units (for points and vouchers, their money value). */
  amount: number;
  /** Points restored, for `points`. */
  points?: number;
  /** Whether Clientele has already given it back (cards, points, vouchers); `till` entries the till pays. */
  settled: boolean;
}
/** A returned line, as stored. */
export type StoredReturnLine = { lineNo: number; quantity: number; amount: number };
/** Keeps the JSON types in one place. */
export type PurchaseJson = JsonValue;
