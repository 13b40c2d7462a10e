/**
 * `checkout.mariadb.8`: sales per second when eight terminals record 5-line member sales at the same
 * time through `crm.purchases.record` on MariaDB, against raw mysql2 writing the same rows with the
 * same eight concurrent connections.
 *
 * Both sides get their own database on the server at `CLIENTELE_MYSQL_URL`, migrated and set up by
 * Clientele in the same way, so tables and indexes are identical. The baseline then writes, in one
 * read-committed transaction per sale and in the order Clientele writes them, exactly the rows a
 * recorded sale leaves behind: purchases, 5 purchase_lines, timeline, audit_log, idempotency_keys, then
 * the outbox counter (one update whose new value comes back as the insert id, `LAST_INSERT_ID(expr)`, as
 * MariaDB has no `UPDATE ... RETURNING`) and row, last, so the one row every sale updates stays locked the
 * shortest time. A deadlock runs the sale again, as the
 * store does. It does no reads and no validation: the floor of what a sale costs on this schema.
 * Clientele also resolves the clerk (staff and role, one joined read), reads the store, the card and the
 * customer, reads each row it updates back, and validates.
 */
import mysql from 'mysql2/promise';
import { createClientele, ulidGenerator, type Clientele } from '@clientele/core';
import { fingerprint } from '@clientele/core/module';
import { mysqlStore } from '@clientele/mysql';
import {
  BASKET,
  CLERK,
  PRICED,
  STORE,
  addMembers,
  alternateRounds,
  openShop,
  throughputFigure,
  type Member,
  saleTimelineData,
} from '../checkout.js';
import type { Figure, FigureResult, RunSettings } from '../figure.js';
import { median, round } from '../stats.js';

const MYSQL_URL = process.env['CLIENTELE_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/';
const TERMINALS = 8;
const DEADLOCK = 1213;

interface Sizes {
  members: number;
  /** Sales per terminal before measuring. */
  warmup: number;
  rounds: number;
  /** Sales per terminal per round (eight terminals each sell this many). */
  salesPerTerminal: number;
}

const FULL: Sizes = { members: 1000, warmup: 50, rounds: 5, salesPerTerminal: 200 };
const QUICK: Sizes = { members: 40, warmup: 10, rounds: 3, salesPerTerminal: 40 };

/** The shop and `members` carded members, through Clientele's API on both sides. */
async function setUpChain(crm: Clientele, members: number): Promise<Member[]> {
  await openShop(crm, ['customers.write', 'cards.issue', 'sales.*']);
  // Eight at a time: setting up a thousand members one round trip after another takes long enough.
  return addMembers(crm, members, TERMINALS);
}

/** One till's sales: `count` of them, one after another, as one terminal sells. */
type Till = (count: number) => Promise<void>;

/** Terminal `t` recording sales through Clientele's public API. */
function clienteleTill(crm: Clientele, members: readonly Member[], t: number): Till {
  const terminal = `T${t}`;
  let n = 0;
  return async (count) => {
    for (let i = 0; i < count; i++) {
      n++;
      const member = members[(n * TERMINALS + t) % members.length]!;
      await crm.purchases.record(
        { storeId: STORE, terminalId: terminal, receiptNo: `R${n}`, cardNumber: member.cardNumber, lines: BASKET },
        { actor: CLERK, idempotencyKey: `till-${terminal}-sale-${n}` },
      );
    }
  };
}

/** Terminal `t` writing the same rows with raw mysql2 prepared statements, one transaction per sale. */
function rawTill(pool: mysql.Pool, database: string, members: readonly Member[], t: number): Till {
  const ids = ulidGenerator();
  const d = `\`${database}\``;
  const terminal = `T${t}`;
  const q = {
    purchase: `INSERT INTO ${d}.purchases (id, store_id, terminal_id, receipt_no, customer_id, card_number,
          channel, occurred_at, currency, subtotal, discount_total, total, refunded_total, status, line_count,
          payments, created_at, version)
      VALUES (?, ?, ?, ?, ?, ?, 'store', ?, 'CNY', ?, ?, ?, 0, 'completed', ?, '[]', ?, 1)`,
    // The five lines in one statement, as the store's insert of many rows sends them.
    lines: `INSERT INTO ${d}.purchase_lines (id, purchase_id, line_no, customer_id, store_id, occurred_at, sku,
          name, category, brand, quantity_milli, unit_price, discount, amount, returned_milli)
      VALUES ${PRICED.lines.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)').join(', ')}`,
    timeline: `INSERT INTO ${d}.timeline (id, customer_id, at, source, kind, summary, store_id, ref_type, ref_id, data)
      VALUES (?, ?, ?, 'purchases', 'purchase', ?, ?, 'purchase', ?, ?)`,
    // The new value comes back as the OK packet's insert id: no read after the update.
    seq: `UPDATE ${d}.sequences SET \`value\` = LAST_INSERT_ID(\`value\` + 1) WHERE id = 'outbox'`,
    outbox:
      `INSERT INTO ${d}.outbox (id, seq, type, customer_id, payload, occurred_at) VALUES (?, ?, ` +
      `'purchase.recorded', ?, ?, ?)`,
    audit: `INSERT INTO ${d}.audit_log (id, at, actor, command, outcome, error_code, customer_id, target_type,
          target_id, details)
      VALUES (?, ?, ?, 'purchases.record', 'ok', NULL, ?, 'purchase', ?, ?)`,
    key:
      `INSERT INTO ${d}.idempotency_keys (\`key\`, command, request_hash, result, customer_id, created_at) ` +
      `VALUES (?, 'purchases.record', ?, ?, ?, ?)`,
  };
  const actor = JSON.stringify({ staffId: CLERK.staffId, storeId: STORE, roleId: 'clerk' });
  let n = 0;

  async function write(client: mysql.PoolConnection, member: Member, sale: number): Promise<void> {
    const now = new Date();
    // Timestamps are BIGINT epoch milliseconds in Clientele's MariaDB schema.
    const ms = now.getTime();
    const id = ids.next('pur');
    const receiptNo = `R${sale}`;
    const key = `till-${terminal}-sale-${sale}`;
    const { lines, subtotal, discountTotal, total } = PRICED;
    await client.query('START TRANSACTION');
    try {
      await client.execute(q.purchase, [
        id,
        STORE,
        terminal,
        receiptNo,
        member.customerId,
        member.cardNumber,
        ms,
        subtotal,
        discountTotal,
        total,
        lines.length,
        ms,
      ]);
      await client.execute(
        q.lines,
        lines.flatMap((l) => [
          `${id}:${l.lineNo}`,
          id,
          l.lineNo,
          member.customerId,
          STORE,
          ms,
          l.sku,
          l.name,
          l.category,
          l.brand,
          l.quantityMilli,
          l.unitPrice,
          l.discount,
          l.amount,
        ]),
      );
      await client.execute(q.timeline, [
        ids.next('tl'),
        member.customerId,
        ms,
        '',
        STORE,
        id,
        saleTimelineData(receiptNo),
      ]);
      const iso = now.toISOString();
      await client.execute(q.audit, [
        ids.next('aud'),
        ms,
        actor,
        member.customerId,
        id,
        JSON.stringify({ storeId: STORE, receiptNo, total, idempotencyKey: key }),
      ]);
      const result = JSON.stringify({
        id,
        storeId: STORE,
        terminalId: terminal,
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
      const request = { storeId: STORE, terminalId: terminal, receiptNo, cardNumber: member.cardNumber, lines: BASKET };
      await client.execute(q.key, [
        key,
        fingerprint(`purchases.record\n${JSON.stringify(request)}`),
        result,
        member.customerId,
        ms,
      ]);
      const [counted] = await client.execute<mysql.ResultSetHeader>(q.seq, []);
      const payload = JSON.stringify({
        purchaseId: id,
        customerId: member.customerId,
        storeId: STORE,
        total,
        currency: 'CNY',
        occurredAt: iso,
      });
      await client.execute(q.outbox, [ids.next('evt'), counted.insertId, member.customerId, payload, ms]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
  }

  return async (count) => {
    // One connection per terminal, held for the round, as a till keeps its own.
    const client = await pool.getConnection();
    try {
      await client.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
      for (let i = 0; i < count; i++) {
        n++;
        const member = members[(n * TERMINALS + t) % members.length]!;
        // A deadlock's victim runs the sale again, as the store does (it has not happened in practice:
        // the one row every sale updates is taken last).
        for (let attempt = 1; ; attempt++) {
          try {
            await write(client, member, n);
            break;
          } catch (error) {
            if ((error as { errno?: number }).errno !== DEADLOCK || attempt >= 10) throw error;
          }
        }
      }
    } finally {
      client.release();
    }
  };
}

/** One round: sales per second of eight tills selling `count` each at once, and this process's CPU time per sale. */
async function measure(tills: readonly Till[], count: number): Promise<{ rate: number; cpuMs: number }> {
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  // Every till finishes (or fails) before the round ends, so a failure leaves no till still writing.
  const outcomes = await Promise.allSettled(tills.map((sell) => sell(count)));
  const failed = outcomes.find((o) => o.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  const sales = tills.length * count;
  return { rate: sales / seconds, cpuMs: (used.user + used.system) / 1000 / sales };
}

const WRITTEN = ['purchases', 'purchase_lines', 'timeline', 'outbox', 'audit_log', 'idempotency_keys'] as const;

/**
 * Proves the baseline wrote what Clientele wrote: as many rows in every table a sale touches, and the same outbox
 * counter.
 */
async function checkSameRows(pool: mysql.Pool, a: string, b: string): Promise<void> {
  const problems: string[] = [];
  const first = async (sql: string): Promise<Record<string, unknown>> =>
    (await pool.query<mysql.RowDataPacket[]>(sql))[0][0] ?? {};
  const count = async (database: string, table: string) =>
    Number((await first(`SELECT count(*) AS n FROM \`${database}\`.\`${table}\``))['n']);
  for (const table of WRITTEN) {
    const [x, y] = [await count(a, table), await count(b, table)];
    if (x !== y) problems.push(`${table}: ${x} rows against ${y}`);
  }
  const seq = async (database: string) =>
    Number((await first(`SELECT \`value\` FROM \`${database}\`.sequences WHERE id = 'outbox'`))['value']);
  const [sa, sb] = [await seq(a), await seq(b)];
  if (sa !== sb) problems.push(`outbox counter: ${String(sa)} against ${String(sb)}`);
  // Every sale once: no receipt twice per terminal, totals exact.
  const totals = async (database: string) =>
    first(`SELECT count(DISTINCT terminal_id, receipt_no) AS n, sum(total) AS s FROM \`${database}\`.purchases`);
  const [ta, tb] = [await totals(a), await totals(b)];
  if (String(ta['n']) !== String(tb['n']) || String(ta['s']) !== String(tb['s']))
    problems.push(`distinct sales and sum of totals: ${ta['n']}/${ta['s']} against ${tb['n']}/${tb['s']}`);
  if (problems.length)
    throw new Error(`the baseline does not write what Clientele writes:\n  ${problems.join('\n  ')}`);
}

async function run({ quick, log }: RunSettings): Promise<FigureResult> {
  const sizes = quick ? QUICK : FULL;
  const tag = `${process.pid.toString(36)}_${Date.now().toString(36)}`;
  const databases = { clientele: `clientele_bench_c_${tag}`, raw: `clientele_bench_r_${tag}` };
  // The baseline's pool (and the setup's), with no stack captured per statement, as the store's own
  // pool has it; Clientele opens its own pool from the URL, as a till server does.
  const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: TERMINALS * 2, trace: false });
  try {
    log(
      `setting up two identical chains with ${sizes.members} carded members each (databases ` +
        `${databases.clientele}, ${databases.raw})`,
    );
    // Room for eight tills and the read each Clientele command makes before its transaction.
    const crm = createClientele({
      store: mysqlStore({ uri: MYSQL_URL, poolSize: TERMINALS * 2, database: databases.clientele }),
    });
    const members = await setUpChain(crm, sizes.members);
    const setup = createClientele({ store: mysqlStore({ pool, database: databases.raw }) });
    const rawMembers = await setUpChain(setup, sizes.members);
    await setup.close();

    const tills = {
      clientele: Array.from({ length: TERMINALS }, (_, t) => clienteleTill(crm, members, t + 1)),
      raw: Array.from({ length: TERMINALS }, (_, t) => rawTill(pool, databases.raw, rawMembers, t + 1)),
    };
    log(`warming up: ${sizes.warmup} sales per terminal each`);
    await measure(tills.clientele, sizes.warmup);
    await measure(tills.raw, sizes.warmup);

    const measured = await alternateRounds(
      sizes.rounds,
      (side) => measure(tills[side], sizes.salesPerTerminal),
      (r, m) =>
        log(
          `round ${r + 1}/${sizes.rounds}: clientele ${Math.round(m.clientele.rate)} sales/s, ` +
            `raw ${Math.round(m.raw.rate)} sales/s`,
        ),
    );
    await checkSameRows(pool, databases.clientele, databases.raw);
    await crm.close();

    return throughputFigure(
      'checkout.mariadb.8',
      { clientele: measured.clientele.map((m) => m.rate), raw: measured.raw.map((m) => m.rate) },
      {
        samples: sizes.salesPerTerminal * TERMINALS,
        extra: () => ({
          terminals: TERMINALS,
          rounds: sizes.rounds,
          members: sizes.members,
          // CPU of this (single-threaded) Node process per sale: eight tills share it, as they would a POS server.
          clienteleCpuMsPerSale: round(median(measured.clientele.map((m) => m.cpuMs)), 2),
          baselineCpuMsPerSale: round(median(measured.raw.map((m) => m.cpuMs)), 2),
        }),
        note:
          `median of rounds; 8 terminals at once, each a 5-line member sale with card, staff actor and ` +
          `idempotency key; Clientele at its default on a pool of its own (read committed, lost updates ` +
          `detected, races run again); both pools without mysql2's per-statement stack trace; baseline = ` +
          `the same rows via raw mysql2 prepared statements, read committed, one transaction per sale, no ` +
          `reads or validation`,
      },
    );
  } finally {
    for (const database of Object.values(databases))
      await pool.query(`DROP DATABASE IF EXISTS \`${database}\``).catch(() => undefined);
    await pool.end();
  }
}

export const checkoutMariadb: Figure = {
  id: 'checkout.mariadb.8',
  title: 'checkout on MariaDB, 8 terminals at once (sales/s)',
  run,
};
