/**
 * `checkout.sqlite`: sales per second recording a 5-line member sale through `crm.purchases.record`
 * on SQLite, against hand-written better-sqlite3 statements writing the same rows.
 *
 * Both sides get their own database file, migrated and set up by Clientele in the same way, so the
 * schema, indexes and pragmas (WAL, synchronous=NORMAL) are identical. The baseline then writes, in
 * one `BEGIN IMMEDIATE` transaction per sale, exactly the rows a recorded sale leaves behind:
 * purchases, 5 purchase_lines, timeline, the outbox counter and row, audit_log, idempotency_keys.
 * It does no reads and no validation: it is the floor of what a sale must cost on this schema.
 */
import Database from 'better-sqlite3';
import { createClientele, fingerprint, ulidGenerator, type Clientele } from '@clientele/core';
import { sqliteStore } from '@clientele/sqlite';
import path from 'node:path';
import type { Figure, FigureResult, RunSettings } from '../figure.js';
import { median, round } from '../stats.js';
import { makeTempDir, removeTempDir } from '../temp.js';

const SYSTEM = { actor: { system: 'bench-setup' } } as const;
const CLERK = { staffId: 'E-CLERK' } as const;
const STORE = 'S01';
const TERMINAL = 'T01';
const TARGET_RATIO = 0.5;

/** The five-line basket of the scenario tests: fresh, dairy, grain, snacks, household; one weighed line. */
const BASKET = [
  { sku: 'APPLE-FUJI', category: 'fresh-fruit', quantity: 1.25, unitPrice: 1299 },
  { sku: 'MILK-1L', category: 'dairy', brand: 'Bright', quantity: 2, unitPrice: 650, discount: 100 },
  { sku: 'RICE-5KG', category: 'grain', quantity: 1, unitPrice: 4990 },
  { sku: 'CHIPS', category: 'snacks', quantity: 3, unitPrice: 890 },
  { sku: 'SOAP', category: 'household', quantity: 1, unitPrice: 1250, discount: 250 },
];

interface Sizes {
  /** Members with a card; sales rotate over them so the timeline and indexes spread as in a shop. */
  members: number;
  warmup: number;
  rounds: number;
  salesPerRound: number;
}

const FULL: Sizes = { members: 1000, warmup: 2000, rounds: 5, salesPerRound: 10_000 };
const QUICK: Sizes = { members: 50, warmup: 200, rounds: 3, salesPerRound: 500 };

interface Member {
  customerId: string;
  cardNumber: string;
}

/** A store, a clerk allowed to sell, a card type, and members holding cards: what a sale needs to exist. */
async function setUpChain(crm: Clientele, members: number): Promise<Member[]> {
  await crm.migrate();
  await crm.stores.create({ id: STORE, name: 'Renmin Road', region: 'East', timeZone: 'Asia/Shanghai' }, SYSTEM);
  await crm.roles.define({ id: 'clerk', name: 'Counter clerk', permissions: ['customers.write', 'cards.issue', 'sales.*'], limits: { refund: 5000 } }, SYSTEM);
  await crm.staff.add({ id: CLERK.staffId, name: 'Li Na', storeId: STORE, roleId: 'clerk' }, SYSTEM);
  await crm.cards.defineType({ id: 'GOLD', name: 'Gold', prefix: '88', length: 13 }, SYSTEM);
  const out: Member[] = [];
  for (let i = 0; i < members; i++) {
    const customer = await crm.customers.register({ kind: 'individual', name: `Member ${i}`, phone: `139${String(i).padStart(8, '0')}`, homeStoreId: STORE }, SYSTEM);
    const card = await crm.cards.issue({ typeId: 'GOLD', storeId: STORE, customerId: customer.id }, SYSTEM);
    out.push({ customerId: customer.id, cardNumber: card.number });
  }
  return out;
}

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
    `INSERT INTO purchases (id, store_id, terminal_id, receipt_no, customer_id, card_number, channel, occurred_at, currency, subtotal, discount_total, total, refunded_total, status, line_count, payments, created_at, version)
     VALUES (?, ?, ?, ?, ?, ?, 'store', ?, 'CNY', ?, ?, ?, 0, 'completed', ?, '[]', ?, 1)`,
  );
  const insertLine = db.prepare(
    `INSERT INTO purchase_lines (id, purchase_id, line_no, customer_id, store_id, occurred_at, sku, name, category, brand, quantity_milli, unit_price, discount, amount, returned_milli)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
  );
  const insertTimeline = db.prepare(
    `INSERT INTO timeline (id, customer_id, at, source, kind, summary, store_id, ref_type, ref_id, data)
     VALUES (?, ?, ?, 'purchases', 'purchase', ?, ?, 'purchase', ?, NULL)`,
  );
  const nextSeq = db.prepare(`UPDATE sequences SET value = value + 1 WHERE id = 'outbox' RETURNING value`).pluck();
  const insertOutbox = db.prepare(`INSERT INTO outbox (id, seq, type, customer_id, payload, occurred_at) VALUES (?, ?, 'purchase.recorded', ?, ?, ?)`);
  const insertAudit = db.prepare(
    `INSERT INTO audit_log (id, at, actor, command, outcome, error_code, customer_id, target_type, target_id, details)
     VALUES (?, ?, ?, 'purchases.record', 'ok', NULL, ?, 'purchase', ?, ?)`,
  );
  const insertKey = db.prepare(`INSERT INTO idempotency_keys (key, command, request_hash, result, customer_id, created_at) VALUES (?, 'purchases.record', ?, ?, ?, ?)`);
  const actor = JSON.stringify({ staffId: CLERK.staffId, storeId: STORE, roleId: 'clerk' });

  const write = db.transaction((n: number, member: Member) => {
    const now = new Date();
    const at = now.getTime();
    const id = ids.next('pur');
    const receiptNo = `R${n}`;
    const key = `till-${TERMINAL}-sale-${n}`;
    let subtotal = 0;
    let discountTotal = 0;
    const lines = BASKET.map((l, i) => {
      const quantityMilli = Math.round(l.quantity * 1000);
      const gross = Math.round((quantityMilli * l.unitPrice) / 1000);
      const discount = l.discount ?? 0;
      subtotal += gross;
      discountTotal += discount;
      return { lineNo: i + 1, sku: l.sku, name: null, category: l.category, brand: l.brand ?? null, quantityMilli, unitPrice: l.unitPrice, discount, amount: gross - discount };
    });
    const total = subtotal - discountTotal;
    insertPurchase.run(id, STORE, TERMINAL, receiptNo, member.customerId, member.cardNumber, at, subtotal, discountTotal, total, lines.length, at);
    for (const l of lines) {
      insertLine.run(`${id}:${l.lineNo}`, id, l.lineNo, member.customerId, STORE, at, l.sku, l.name, l.category, l.brand, l.quantityMilli, l.unitPrice, l.discount, l.amount);
    }
    insertTimeline.run(ids.next('tl'), member.customerId, at, `Bought ${lines.length} items for ¥${(total / 100).toFixed(2)} at ${STORE} (receipt ${receiptNo})`, STORE, id);
    const seq = nextSeq.get() as number;
    const iso = now.toISOString();
    const payload = JSON.stringify({ purchaseId: id, customerId: member.customerId, storeId: STORE, total, currency: 'CNY', occurredAt: iso });
    insertOutbox.run(ids.next('evt'), seq, member.customerId, payload, at);
    insertAudit.run(ids.next('aud'), at, actor, member.customerId, id, JSON.stringify({ storeId: STORE, receiptNo, total, idempotencyKey: key }));
    // What a retry must get back: the sale as first returned (dates tagged as Clientele tags them).
    const result = JSON.stringify({
      id, storeId: STORE, terminalId: TERMINAL, receiptNo, customerId: member.customerId, cardNumber: member.cardNumber, channel: 'store',
      occurredAt: { $date: iso }, currency: 'CNY', subtotal, discountTotal, total, refundedTotal: 0, status: 'completed', payments: [],
      lines: lines.map((l) => ({ lineNo: l.lineNo, sku: l.sku, name: l.name, category: l.category, brand: l.brand, quantity: l.quantityMilli / 1000, unitPrice: l.unitPrice, discount: l.discount, amount: l.amount, returnedQuantity: 0 })),
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

async function salesPerSecond(sell: (count: number) => Promise<void>, count: number): Promise<number> {
  const start = process.hrtime.bigint();
  await sell(count);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return count / seconds;
}

const WRITTEN = ['purchases', 'purchase_lines', 'timeline', 'outbox', 'audit_log', 'idempotency_keys'] as const;

/**
 * Proves the baseline wrote what Clientele wrote: the same number of rows in every table a sale
 * touches, the same outbox counter, and in the latest row of each table the same columns null and
 * the same storage class in the others.
 */
function checkSameRows(clienteleFile: string, rawFile: string): void {
  const a = new Database(clienteleFile, { readonly: true });
  const b = new Database(rawFile, { readonly: true });
  try {
    const problems: string[] = [];
    for (const table of WRITTEN) {
      const count = (db: Database.Database) => db.prepare(`SELECT count(*) FROM "${table}"`).pluck().get() as number;
      if (count(a) !== count(b)) problems.push(`${table}: ${count(a)} rows against ${count(b)}`);
      const shape = (db: Database.Database) => {
        const cols = db.prepare(`SELECT name FROM pragma_table_info('${table}')`).pluck().all() as string[];
        const row = db.prepare(`SELECT ${cols.map((c) => `typeof("${c}") AS "${c}"`).join(', ')} FROM "${table}" ORDER BY rowid DESC LIMIT 1`).get();
        return JSON.stringify(row);
      };
      if (shape(a) !== shape(b)) problems.push(`${table}: latest rows differ in shape: ${shape(a)} against ${shape(b)}`);
    }
    const seq = (db: Database.Database) => db.prepare(`SELECT value FROM sequences WHERE id = 'outbox'`).pluck().get();
    if (seq(a) !== seq(b)) problems.push(`outbox counter: ${String(seq(a))} against ${String(seq(b))}`);
    if (problems.length) throw new Error(`the baseline does not write what Clientele writes:\n  ${problems.join('\n  ')}`);
  } finally {
    a.close();
    b.close();
  }
}

async function run({ quick, log }: RunSettings): Promise<FigureResult> {
  const sizes = quick ? QUICK : FULL;
  const dir = makeTempDir('checkout');
  try {
    const clienteleFile = path.join(dir, 'clientele.db');
    const rawFile = path.join(dir, 'raw.db');

    log(`setting up two identical chains with ${sizes.members} carded members each`);
    const crm = createClientele({ store: sqliteStore({ file: clienteleFile }) });
    const members = await setUpChain(crm, sizes.members);
    // The baseline's database: the same migrations and setup, then Clientele steps aside.
    const setup = createClientele({ store: sqliteStore({ file: rawFile }) });
    const rawMembers = await setUpChain(setup, sizes.members);
    await setup.close();
    const db = new Database(rawFile);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');

    try {
      const tills = { clientele: clienteleTill(crm, members), raw: rawTill(db, rawMembers) };
      log(`warming up: ${sizes.warmup} sales each`);
      await tills.clientele(sizes.warmup);
      await tills.raw(sizes.warmup);

      const rates = { clientele: [] as number[], raw: [] as number[] };
      for (let r = 0; r < sizes.rounds; r++) {
        // Alternate who goes first, so neither always runs on the warmer (or fuller) machine state.
        const order = r % 2 === 0 ? (['clientele', 'raw'] as const) : (['raw', 'clientele'] as const);
        for (const side of order) rates[side].push(await salesPerSecond(tills[side], sizes.salesPerRound));
        log(`round ${r + 1}/${sizes.rounds}: clientele ${Math.round(rates.clientele[r]!)} sales/s, raw ${Math.round(rates.raw[r]!)} sales/s`);
      }
      db.close();
      await crm.close();
      checkSameRows(clienteleFile, rawFile);

      const clientele = round(median(rates.clientele), 0);
      const baseline = round(median(rates.raw), 0);
      const ratio = round(clientele / baseline, 3);
      return {
        id: 'checkout.sqlite',
        unit: 'sales/s',
        clientele,
        baseline,
        ratio,
        higherIsBetter: true,
        target: `ratio >= ${TARGET_RATIO}`,
        met: ratio >= TARGET_RATIO,
        samples: sizes.salesPerRound,
        extra: { rounds: sizes.rounds, members: sizes.members, clienteleUsPerSale: round(1e6 / clientele, 1), baselineUsPerSale: round(1e6 / baseline, 1) },
        note: 'median of rounds; 5-line member sale with card, staff actor and idempotency key; baseline = the same rows via raw prepared statements, one transaction per sale, no reads or validation',
      };
    } finally {
      if (db.open) db.close();
      await crm.close();
    }
  } finally {
    removeTempDir(dir);
  }
}

export const checkoutSqlite: Figure = { id: 'checkout.sqlite', title: 'checkout on SQLite (sales/s)', run };
