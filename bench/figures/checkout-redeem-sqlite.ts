/**
 * `checkout.redeem.sqlite`: sales per second of a checkout that redeems a voucher and spends a
 * stored-value card, through `crm.purchases.record` with the loyalty module on SQLite, against
 * hand-written better-sqlite3 statements doing the same writes.
 *
 * The sale: the five-line basket of the scenario tests, anonymous, paid 10 % with a campaign voucher
 * (a bearer voucher, each sale its own), 50 yuan with a gift card (one card for the till, spent again
 * and again), the rest in cash. Both sides get their own database file, migrated and set up by
 * Clientele in the same way (the vouchers issued and the card sold through the API), so schema,
 * indexes and pragmas are identical (WAL, the store's default `synchronous = FULL`, secure_delete).
 * The baseline then writes, in one `BEGIN IMMEDIATE` transaction
 * per sale, exactly the rows such a sale leaves behind: the purchase and its lines (one statement);
 * the voucher taken with one guarded update (`status = 'active'`) and its entry; the card debited
 * with one guarded update (`available >= amount`), its entry and the payment record; three outbox
 * events (one statement) and their counter; the audit entry; the idempotency record. It reads nothing
 * and validates nothing: the floor of what such a sale costs on this schema.
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import { createClientele, ulidGenerator } from '@clientele/core';
import { fingerprint } from '@clientele/core/module';
import { loyalty } from '@clientele/loyalty';
import { sqliteStore } from '@clientele/sqlite';
import {
  BASKET,
  CLERK,
  PRICED,
  STORE,
  SYSTEM,
  alternateRounds,
  checkSameRows,
  openShop,
  salesRate,
  throughputFigure,
} from '../checkout.js';
import type { Figure, FigureResult, RunSettings } from '../figure.js';
import { median, round } from '../stats.js';
import { makeTempDir, removeTempDir } from '../temp.js';

const TERMINAL = 'T01';
const CARD_SPEND = 5000;

const VOUCHER = Math.floor(PRICED.total / 10);
const CASH = PRICED.total - VOUCHER - CARD_SPEND;

interface Sizes {
  warmup: number;
  rounds: number;
  salesPerRound: number;
}
const FULL: Sizes = { warmup: 1000, rounds: 9, salesPerRound: 1500 };
const QUICK: Sizes = { warmup: 200, rounds: 3, salesPerRound: 300 };

type Crm = ReturnType<typeof openCrm>;
function openCrm(file: string) {
  return createClientele({
    store: sqliteStore({ file }),
    modules: [loyalty({ id: 'bench', timeZone: 'Asia/Shanghai' })] as const,
  });
}

/**
 * A store, a clerk, a 10 % campaign template, a gift-card product; `vouchers` vouchers and one card with plenty on it.
 */
async function setUpChain(crm: Crm, vouchers: number): Promise<{ codes: string[]; card: string }> {
  await openShop(crm, ['customers.write', 'sales.*']);
  await crm.loyalty.vouchers.defineTemplate(
    {
      id: 'TEN-PCT',
      name: '10% off',
      value: { kind: 'percent', percent: 10, max: 5000 },
      validity: { kind: 'days', days: 3650 },
      stackable: true,
    },
    SYSTEM,
  );
  await crm.loyalty.storedValue.defineProduct({ id: 'GIFT', name: 'Gift card', kind: 'anonymous' }, SYSTEM);
  const codes: string[] = [];
  for (let i = 0; i < vouchers; i++) {
    codes.push(
      (
        await crm.loyalty.vouchers.issue(
          { templateId: 'TEN-PCT', source: 'campaign', ref: { type: 'campaign', id: 'bench' } },
          { ...SYSTEM, idempotencyKey: `bench-voucher-${i}` },
        )
      ).code,
    );
  }
  const card = await crm.loyalty.storedValue.sell(
    { productId: 'GIFT', storeId: STORE, amount: 1_000_000_000 },
    { actor: CLERK, idempotencyKey: 'bench-card' },
  );
  return { codes, card: card.number };
}

/** Sales through Clientele's public API, one after another as one till would. */
function clienteleTill(crm: Crm, stakes: { codes: string[]; card: string }) {
  let n = 0;
  return async function sell(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const code = stakes.codes[n]!;
      n++;
      await crm.purchases.record(
        {
          storeId: STORE,
          terminalId: TERMINAL,
          receiptNo: `R${n}`,
          lines: BASKET,
          payments: [
            { method: 'voucher', amount: VOUCHER, reference: code },
            { method: 'stored-value', amount: CARD_SPEND, reference: stakes.card },
            { method: 'cash', amount: CASH },
          ],
        },
        { actor: CLERK, idempotencyKey: `till-${TERMINAL}-sale-${n}` },
      );
    }
  };
}

/** The same sales with raw prepared statements: the same rows, columns and kinds of values. */
function rawTill(db: Database.Database, stakes: { codes: string[]; card: string }) {
  const ids = ulidGenerator();
  const insertPurchase = db.prepare(
    `INSERT INTO purchases (id, store_id, terminal_id, receipt_no, customer_id, card_number, channel, occurred_at,
          currency, subtotal, discount_total, total, refunded_total, status, line_count, payments, created_at, version)
     VALUES (?, ?, ?, ?, NULL, NULL, 'store', ?, 'CNY', ?, ?, ?, 0, 'completed', ?, ?, ?, 1)`,
  );
  // The lines in one statement, and the three events in one: what a hand-written till would do.
  const insertLines = db.prepare(
    `INSERT INTO purchase_lines (id, purchase_id, line_no, customer_id, store_id, occurred_at, sku, name,
          category, brand, quantity_milli, unit_price, discount, amount, returned_milli)
     VALUES ${PRICED.lines.map(() => '(?, ?, ?, NULL, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, 0)').join(', ')}`,
  );
  const takeVoucher = db.prepare(
    `UPDATE loyalty_vouchers SET status = 'redeemed', purchase_id = ?, discount = ?, charged_back = 0,
          hold_id = NULL, held_until = NULL, held_store_id = NULL, held_terminal_id = NULL,
          last_seq = last_seq + 1, updated_at = ?
     WHERE code = ? AND status = 'active' RETURNING id, customer_id, last_seq`,
  );
  const voucherEntry = db.prepare(
    `INSERT INTO loyalty_voucher_entries (id, voucher_id, seq, at, kind, status, amount, customer_id, store_id,
          ref_type, ref_id, actor, details)
     VALUES (?, ?, ?, ?, 'redeemed', 'redeemed', ?, ?, ?, 'purchase', ?, ?, ?)`,
  );
  const debitCard = db.prepare(
    `UPDATE loyalty_sv_cards SET balance = balance - ?, available = available - ?, last_seq = last_seq + 1
     WHERE number = ? AND available >= ? RETURNING balance, last_seq, product_id, store_id`,
  );
  const cardEntry = db.prepare(
    `INSERT INTO loyalty_sv_entries (id, card_number, seq, at, kind, amount, balance_after, product_id,
          issuer_store_id, store_id, customer_id, payment_id, ref_type, ref_id, actor, details)
     VALUES (?, ?, ?, ?, 'spend', ?, ?, ?, ?, ?, NULL, ?, 'purchase', ?, ?, '{}')`,
  );
  const cardPayment = db.prepare(
    `INSERT INTO loyalty_sv_payments (id, card_number, customer_id, status, amount, captured, refunded, store_id,
          terminal_id, created_at, expires_at, closed_at, purchase_id, ref_type, ref_id)
     VALUES (?, ?, NULL, 'captured', ?, ?, 0, ?, ?, ?, NULL, ?, ?, 'purchase', ?)`,
  );
  const nextSeqs = db.prepare(`UPDATE sequences SET value = value + 3 WHERE id = 'outbox' RETURNING value`).pluck();
  const insertOutbox = db.prepare(
    `INSERT INTO outbox (id, seq, type, customer_id, payload, occurred_at) VALUES (?, ?, ?, NULL, ?, ?), (?, ` +
      `?, ?, NULL, ?, ?), (?, ?, ?, NULL, ?, ?)`,
  );
  const insertAudit = db.prepare(
    `INSERT INTO audit_log (id, at, actor, command, outcome, error_code, customer_id, target_type, target_id, details)
     VALUES (?, ?, ?, 'purchases.record', 'ok', NULL, NULL, 'purchase', ?, ?)`,
  );
  const insertKey = db.prepare(
    `INSERT INTO idempotency_keys (key, command, request_hash, result, customer_id, created_at) VALUES (?, ` +
      `'purchases.record', ?, ?, NULL, ?)`,
  );
  const actor = JSON.stringify({ staffId: CLERK.staffId, storeId: STORE, roleId: 'clerk' });

  const write = db.transaction((n: number, code: string) => {
    const now = new Date();
    const at = now.getTime();
    const iso = now.toISOString();
    const id = ids.next('pur');
    const receiptNo = `R${n}`;
    const key = `till-${TERMINAL}-sale-${n}`;
    const payments = [
      { method: 'voucher', amount: VOUCHER, reference: code },
      { method: 'stored-value', amount: CARD_SPEND, reference: stakes.card },
      { method: 'cash', amount: CASH, reference: null },
    ];
    insertPurchase.run(
      id,
      STORE,
      TERMINAL,
      receiptNo,
      at,
      PRICED.subtotal,
      PRICED.discountTotal,
      PRICED.total,
      PRICED.lines.length,
      JSON.stringify(payments),
      at,
    );
    insertLines.run(
      PRICED.lines.flatMap((l) => [
        `${id}:${l.lineNo}`,
        id,
        l.lineNo,
        STORE,
        at,
        l.sku,
        l.category,
        l.brand,
        l.quantityMilli,
        l.unitPrice,
        l.discount,
        l.amount,
      ]),
    );
    const voucher = takeVoucher.get(id, VOUCHER, at, code) as
      | { id: string; customer_id: string | null; last_seq: number }
      | undefined;
    if (!voucher) throw new Error(`voucher ${code} is not active`);
    voucherEntry.run(
      ids.next('vce'),
      voucher.id,
      voucher.last_seq,
      at,
      VOUCHER,
      voucher.customer_id,
      STORE,
      id,
      actor,
      JSON.stringify({ receiptNo, terminalId: TERMINAL }),
    );
    const card = debitCard.get(CARD_SPEND, CARD_SPEND, stakes.card, CARD_SPEND) as
      | { balance: number; last_seq: number; product_id: string; store_id: string }
      | undefined;
    if (!card) throw new Error('the card cannot cover the spend');
    const paymentId = ids.next('svp');
    cardEntry.run(
      ids.next('sve'),
      stakes.card,
      card.last_seq,
      at,
      -CARD_SPEND,
      card.balance,
      card.product_id,
      card.store_id,
      STORE,
      paymentId,
      id,
      actor,
    );
    cardPayment.run(paymentId, stakes.card, CARD_SPEND, CARD_SPEND, STORE, TERMINAL, at, at, id, id);
    const seq = nextSeqs.get() as number;
    insertOutbox.run(
      ids.next('evt'),
      seq - 2,
      'purchase.recorded',
      JSON.stringify({
        purchaseId: id,
        customerId: null,
        storeId: STORE,
        total: PRICED.total,
        currency: 'CNY',
        occurredAt: iso,
      }),
      at,
      ids.next('evt'),
      seq - 1,
      'voucher.redeemed',
      JSON.stringify({ voucherId: voucher.id, customerId: null, purchaseId: id, storeId: STORE, discount: VOUCHER }),
      at,
      ids.next('evt'),
      seq,
      'stored-value.spent',
      JSON.stringify({
        paymentId,
        cardNumber: stakes.card,
        customerId: null,
        storeId: STORE,
        amount: CARD_SPEND,
        ref: { type: 'purchase', id },
      }),
      at,
    );
    insertAudit.run(
      ids.next('aud'),
      at,
      actor,
      id,
      JSON.stringify({ storeId: STORE, receiptNo, total: PRICED.total, idempotencyKey: key }),
    );
    // What a retry must get back: the sale as first returned (dates tagged as Clientele tags them).
    const result = JSON.stringify({
      id,
      storeId: STORE,
      terminalId: TERMINAL,
      receiptNo,
      customerId: null,
      cardNumber: null,
      channel: 'store',
      occurredAt: { $date: iso },
      currency: 'CNY',
      subtotal: PRICED.subtotal,
      discountTotal: PRICED.discountTotal,
      total: PRICED.total,
      refundedTotal: 0,
      status: 'completed',
      payments,
      lines: PRICED.lines.map((l) => ({
        lineNo: l.lineNo,
        sku: l.sku,
        name: null,
        category: l.category,
        brand: l.brand,
        quantity: l.quantityMilli / 1000,
        unitPrice: l.unitPrice,
        discount: l.discount,
        amount: l.amount,
        returnedQuantity: 0,
      })),
      createdAt: { $date: iso },
    });
    const request = { storeId: STORE, terminalId: TERMINAL, receiptNo, lines: BASKET, payments };
    insertKey.run(key, fingerprint(`purchases.record\n${JSON.stringify(request)}`), result, at);
  });

  let n = 0;
  return async function sell(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const code = stakes.codes[n]!;
      n++;
      // Same lock mode as Clientele's transactions.
      write.immediate(n, code);
    }
  };
}

/**
 * Sales per second of wall-clock time, and per second of this process's CPU time (less disturbed by other processes).
 */
const WRITTEN = [
  'purchases',
  'purchase_lines',
  'outbox',
  'audit_log',
  'idempotency_keys',
  'loyalty_vouchers',
  'loyalty_voucher_entries',
  'loyalty_sv_cards',
  'loyalty_sv_entries',
  'loyalty_sv_payments',
] as const;

/** Besides the rows: the same outbox counter, vouchers redeemed, card balance, and last events. */
const CHECKS = [
  `SELECT value FROM sequences WHERE id = 'outbox'`,
  `SELECT count(*) FROM loyalty_vouchers WHERE status = 'redeemed'`,
  `SELECT balance || '/' || available || '/' || last_seq FROM loyalty_sv_cards`,
  `SELECT group_concat(type) FROM (SELECT type FROM outbox ORDER BY seq DESC LIMIT 3)`,
];

async function run({ quick, log }: RunSettings): Promise<FigureResult> {
  const sizes = quick ? QUICK : FULL;
  const vouchers = sizes.warmup + sizes.rounds * sizes.salesPerRound;
  const dir = makeTempDir('checkout-redeem');
  try {
    const clienteleFile = path.join(dir, 'clientele.db');
    const rawFile = path.join(dir, 'raw.db');

    log(`setting up two identical chains with ${vouchers} campaign vouchers and a gift card each`);
    const crm = openCrm(clienteleFile);
    const stakes = await setUpChain(crm, vouchers);
    const setup = openCrm(rawFile);
    const rawStakes = await setUpChain(setup, vouchers);
    await setup.close();
    const db = new Database(rawFile);
    // What the store sets on a file it opens, at its default durability.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('secure_delete = ON');

    try {
      const tills = { clientele: clienteleTill(crm, stakes), raw: rawTill(db, rawStakes) };
      log(`warming up: ${sizes.warmup} sales each`);
      await tills.clientele(sizes.warmup);
      await tills.raw(sizes.warmup);

      const measured = await alternateRounds(
        sizes.rounds,
        (side) => salesRate(tills[side], sizes.salesPerRound),
        (r, rate) =>
          log(
            `round ${r + 1}/${sizes.rounds}: ` +
              `clientele ${Math.round(rate.clientele.wall)} sales/s (${Math.round(rate.clientele.cpu)} per CPU-s), ` +
              `raw ${Math.round(rate.raw.wall)} sales/s (${Math.round(rate.raw.cpu)} per CPU-s)`,
          ),
      );
      db.close();
      await crm.close();
      checkSameRows(clienteleFile, rawFile, WRITTEN, CHECKS);

      const cpu = {
        clientele: median(measured.clientele.map((m) => m.cpu)),
        raw: median(measured.raw.map((m) => m.cpu)),
      };
      return throughputFigure(
        'checkout.redeem.sqlite',
        { clientele: measured.clientele.map((m) => m.wall), raw: measured.raw.map((m) => m.wall) },
        {
          samples: sizes.salesPerRound,
          extra: (clientele, baseline) => ({
            rounds: sizes.rounds,
            vouchers,
            clienteleUsPerSale: round(1e6 / clientele, 1),
            baselineUsPerSale: round(1e6 / baseline, 1),
            clienteleSalesPerCpuSecond: round(cpu.clientele, 0),
            baselineSalesPerCpuSecond: round(cpu.raw, 0),
            cpuRatio: round(cpu.clientele / cpu.raw, 3),
          }),
          note:
            'median of rounds; anonymous 5-line sale paid with a campaign voucher, a gift card and cash, ' +
            'staff actor and idempotency key; synchronous = FULL (the default) and secure_delete on both ' +
            'sides; baseline = the same rows via raw prepared statements (one guarded update each for ' +
            'voucher and card), one transaction per sale, no reads or validation; the CPU figures count ' +
            'only the CPU time of this process (no waiting for the disk or for a busy machine)',
        },
      );
    } finally {
      if (db.open) db.close();
      await crm.close();
    }
  } finally {
    removeTempDir(dir);
  }
}

export const checkoutRedeemSqlite: Figure = {
  id: 'checkout.redeem.sqlite',
  title: 'checkout redeeming a voucher and spending a card on SQLite (sales/s)',
  run,
};
