/**
 * `checkout.sqlite` and `checkout.sqlite.normal`: sales per second recording a 5-line member sale
 * through `crm.purchases.record` on SQLite, against hand-written better-sqlite3 statements writing the
 * same rows. `checkout.sqlite` runs at the store's default durability (`synchronous = FULL`: each
 * commit waits for the log to reach the disk), `checkout.sqlite.normal` at `durability: 'normal'`
 * (`synchronous = NORMAL`); each baseline runs at the same setting as its figure.
 *
 * Both sides get their own database file, migrated and set up by Clientele in the same way, so the
 * schema, indexes and pragmas (WAL, the figure's synchronous setting, secure_delete) are identical.
 * The baseline then writes, in one `BEGIN IMMEDIATE` transaction per sale, exactly the rows a
 * recorded sale leaves behind: purchases, 5 purchase_lines, timeline, the outbox counter and row,
 * audit_log, idempotency_keys. It does no reads and no validation: it is the floor of what a sale
 * must cost on this schema.
 */
import Database from 'better-sqlite3';
import { createClientele, ulidGenerator, type Clientele } from '@clientele/core';
import { fingerprint } from '@clientele/core/module';
import { sqliteStore, type SqliteDurability } from '@clientele/sqlite';
import path from 'node:path';
import {
  BASKET,
  CLERK,
  PRICED,
  STORE,
  addMembers,
  alternateRounds,
  checkSameRows,
  openShop,
  salesRate,
  throughputFigure,
  type Member,
  saleTimelineData,
} from '../checkout.js';
import type { Figure, FigureResult, RunSettings } from '../figure.js';
import { round } from '../stats.js';
import { makeTempDir, removeTempDir } from '../temp.js';

const TERMINAL = 'T01';

interface Sizes {
  /** Members with a card; sales rotate over them so the timeline and indexes spread as in a shop. */
  members: number;
  warmup: number;
  rounds: number;
  salesPerRound: number;
}

const FULL: Sizes = { members: 1000, warmup: 2000, rounds: 5, salesPerRound: 10_000 };
const QUICK: Sizes = { members: 50, warmup: 200, rounds: 3, salesPerRound: 500 };

/** Records sales through Clientele's public API, one after another as one till would. */
function clienteleTill(crm: Clientele, members: readonly Member[]) {
  let n = 0;
  return async function sell(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      n++;
      const member = members[n % members.length]!;
      await crm.purchases.record(
        { storeId: STORE, terminalId: TERMINAL, receiptNo: `R${n}`, cardNumber: member.cardNumber, lines: BASKET },
        { actor: CLERK, idempotencyKey: `till-${TERMINAL}-sale-${n}` },
      );
    }
  };
}

/** The same sales written with raw prepared statements: the same rows, columns and kinds of values. */
function rawTill(db: Database.Database, members: readonly Member[]) {
  const ids = ulidGenerator();
  const insertPurchase = db.prepare(
    `INSERT INTO purchases (id, store_id, terminal_id, receipt_no, customer_id, card_number, channel, occurred_at,
          currency, subtotal, discount_total, total, refunded_total, status, line_count, payments, created_at, version)
     VALUES (?, ?, ?, ?, ?, ?, 'store', ?, 'CNY', ?, ?, ?, 0, 'completed', ?, '[]', ?, 1)`,
  );
  const insertLine = db.prepare(
    `INSERT INTO purchase_lines (id, purchase_id, line_no, customer_id, store_id, occurred_at, sku, name,
          category, brand, quantity_milli, unit_price, discount, amount, returned_milli)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
  );
  const insertTimeline = db.prepare(
    `INSERT INTO timeline (id, customer_id, at, source, kind, summary, store_id, ref_type, ref_id, data)
     VALUES (?, ?, ?, 'purchases', 'purchase', ?, ?, 'purchase', ?, ?)`,
  );
  const nextSeq = db.prepare(`UPDATE sequences SET value = value + 1 WHERE id = 'outbox' RETURNING value`).pluck();
  const insertOutbox = db.prepare(
    `INSERT INTO outbox (id, seq, type, customer_id, payload, occurred_at) VALUES (?, ?, 'purchase.recorded', ?, ?, ?)`,
  );
  const insertAudit = db.prepare(
    `INSERT INTO audit_log (id, at, actor, command, outcome, error_code, customer_id, target_type, target_id, details)
     VALUES (?, ?, ?, 'purchases.record', 'ok', NULL, ?, 'purchase', ?, ?)`,
  );
  const insertKey = db.prepare(
    `INSERT INTO idempotency_keys (key, command, request_hash, result, customer_id, created_at) VALUES (?, ` +
      `'purchases.record', ?, ?, ?, ?)`,
  );
  const actor = JSON.stringify({ staffId: CLERK.staffId, storeId: STORE, roleId: 'clerk' });

  const write = db.transaction((n: number, member: Member) => {
    const now = new Date();
    const at = now.getTime();
    const id = ids.next('pur');
    const receiptNo = `R${n}`;
    const key = `till-${TERMINAL}-sale-${n}`;
    const { lines, subtotal, discountTotal, total } = PRICED;
    insertPurchase.run(
      id,
      STORE,
      TERMINAL,
      receiptNo,
      member.customerId,
      member.cardNumber,
      at,
      subtotal,
      discountTotal,
      total,
      lines.length,
      at,
    );
    for (const l of lines) {
      insertLine.run(
        `${id}:${l.lineNo}`,
        id,
        l.lineNo,
        member.customerId,
        STORE,
        at,
        l.sku,
        l.name,
        l.category,
        l.brand,
        l.quantityMilli,
        l.unitPrice,
        l.discount,
        l.amount,
      );
    }
    insertTimeline.run(ids.next('tl'), member.customerId, at, '', STORE, id, saleTimelineData(receiptNo));
    const seq = nextSeq.get() as number;
    const iso = now.toISOString();
    const payload = JSON.stringify({
      purchaseId: id,
      customerId: member.customerId,
      storeId: STORE,
      total,
      currency: 'CNY',
      occurredAt: iso,
    });
    insertOutbox.run(ids.next('evt'), seq, member.customerId, payload, at);
    insertAudit.run(
      ids.next('aud'),
      at,
      actor,
      member.customerId,
      id,
      JSON.stringify({ storeId: STORE, receiptNo, total, idempotencyKey: key }),
    );
    // What a retry must get back: the sale as first returned (dates tagged as Clientele tags them).
    const result = JSON.stringify({
      id,
      storeId: STORE,
      terminalId: TERMINAL,
      receiptNo,
      customerId: member.customerId,
      cardNumber: member.cardNumber,
      channel: 'store',
      occurredAt: { $date: iso },
      currency: 'CNY',
      subtotal,
      discountTotal,
      total,
      refundedTotal: 0,
      status: 'completed',
      payments: [],
      lines: lines.map((l) => ({
        lineNo: l.lineNo,
        sku: l.sku,
        name: l.name,
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
    const request = { storeId: STORE, terminalId: TERMINAL, receiptNo, cardNumber: member.cardNumber, lines: BASKET };
    insertKey.run(key, fingerprint(`purchases.record\n${JSON.stringify(request)}`), result, member.customerId, at);
  });

  let n = 0;
  return async function sell(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      n++;
      // Same lock mode as Clientele's transactions.
      write.immediate(n, members[n % members.length]!);
    }
  };
}

/** The tables a recorded sale writes. */
const WRITTEN = ['purchases', 'purchase_lines', 'timeline', 'outbox', 'audit_log', 'idempotency_keys'] as const;
/** Besides the rows: the same outbox counter. */
const CHECKS = [`SELECT value FROM sequences WHERE id = 'outbox'`];

/** The shop and `members` carded members, through Clientele's API on both sides. */
async function setUpChain(crm: Clientele, members: number): Promise<Member[]> {
  await openShop(crm, ['customers.write', 'cards.issue', 'sales.*']);
  return addMembers(crm, members);
}

/** The figure at one durability setting: Clientele at `durability`, the baseline at the same `synchronous`. */
async function run(id: string, durability: SqliteDurability, { quick, log }: RunSettings): Promise<FigureResult> {
  const sizes = quick ? QUICK : FULL;
  const synchronous = durability === 'full' ? 'FULL' : 'NORMAL';
  const dir = makeTempDir('checkout');
  try {
    const clienteleFile = path.join(dir, 'clientele.db');
    const rawFile = path.join(dir, 'raw.db');

    log(`setting up two identical chains with ${sizes.members} carded members each (synchronous = ${synchronous})`);
    const crm = createClientele({ store: sqliteStore({ file: clienteleFile, durability }) });
    const members = await setUpChain(crm, sizes.members);
    // The baseline's database: the same migrations and setup, then Clientele steps aside.
    const setup = createClientele({ store: sqliteStore({ file: rawFile, durability }) });
    const rawMembers = await setUpChain(setup, sizes.members);
    await setup.close();
    const db = new Database(rawFile);
    // What the store sets on a file it opens.
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous}`);
    db.pragma('secure_delete = ON');

    try {
      const tills = { clientele: clienteleTill(crm, members), raw: rawTill(db, rawMembers) };
      log(`warming up: ${sizes.warmup} sales each`);
      await tills.clientele(sizes.warmup);
      await tills.raw(sizes.warmup);

      const rates = await alternateRounds(
        sizes.rounds,
        async (side) => (await salesRate(tills[side], sizes.salesPerRound)).wall,
        (r, rate) =>
          log(
            `round ${r + 1}/${sizes.rounds}: clientele ${Math.round(rate.clientele)} sales/s, ` +
              `raw ${Math.round(rate.raw)} sales/s`,
          ),
      );
      db.close();
      await crm.close();
      checkSameRows(clienteleFile, rawFile, WRITTEN, CHECKS);

      return throughputFigure(id, rates, {
        samples: sizes.salesPerRound,
        extra: (clientele, baseline) => ({
          rounds: sizes.rounds,
          members: sizes.members,
          clienteleUsPerSale: round(1e6 / clientele, 1),
          baselineUsPerSale: round(1e6 / baseline, 1),
        }),
        note:
          `median of rounds; 5-line member sale with card, staff actor and idempotency key; synchronous = ` +
          `${synchronous} on both sides (durability: ` +
          `'${durability}'${durability === 'full' ? ', the default' : ''}), secure_delete on; baseline = ` +
          `the same rows via raw prepared statements, one transaction per sale, no reads or validation`,
      });
    } finally {
      if (db.open) db.close();
      await crm.close();
    }
  } finally {
    removeTempDir(dir);
  }
}

export const checkoutSqlite: Figure = {
  id: 'checkout.sqlite',
  title: 'checkout on SQLite at the default durability, synchronous = FULL (sales/s)',
  run: (settings) => run('checkout.sqlite', 'full', settings),
};

export const checkoutSqliteNormal: Figure = {
  id: 'checkout.sqlite.normal',
  title: "checkout on SQLite at durability: 'normal', synchronous = NORMAL (sales/s)",
  run: (settings) => run('checkout.sqlite.normal', 'normal', settings),
};
