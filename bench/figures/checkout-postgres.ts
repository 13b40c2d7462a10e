/**
 * `checkout.postgres.8`: sales per second when eight terminals record 5-line member sales at the same
 * time through `crm.purchases.record` on PostgreSQL, against raw node-postgres writing the same rows
 * with the same eight concurrent connections.
 *
 * Both sides get their own schema on the server at `CLIENTELE_PG_URL`, migrated and set up by
 * Clientele in the same way, so tables and indexes are identical. The baseline then writes, in one
 * read-committed transaction per sale and in the order Clientele writes them, exactly the rows a
 * recorded sale leaves behind: purchases, 5 purchase_lines, timeline, audit_log, idempotency_keys, then
 * the outbox counter and row (last, so the one row every sale updates stays locked the shortest time).
 * It does no reads and no validation: the floor of what a sale costs on this schema. Clientele also
 * resolves the clerk (staff and role, one joined read), reads the store, the card and the customer, and validates:
 * 14 statements a sale (its 5 lines in one) against the baseline's 12.
 */
import pg from 'pg';
import { createClientele, ulidGenerator, type Clientele } from '@clientele/core';
import { fingerprint } from '@clientele/core/module';
import { postgresStore } from '@clientele/postgres';
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

const PG_URL = process.env['CLIENTELE_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const TERMINALS = 8;

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

/** Terminal `t` writing the same rows with raw node-postgres statements, one transaction per sale. */
function rawTill(pool: pg.Pool, schema: string, members: readonly Member[], t: number): Till {
  const ids = ulidGenerator();
  const s = `"${schema}"`;
  const terminal = `T${t}`;
  const q = {
    purchase: `INSERT INTO ${s}.purchases (id, store_id, terminal_id, receipt_no, customer_id, card_number,
          channel, occurred_at, currency, subtotal, discount_total, total, refunded_total, status, line_count,
          payments, created_at, version)
      VALUES ($1, $2, $3, $4, $5, $6, 'store', $7, 'CNY', $8, $9, $10, 0, 'completed', $11, '[]', $12, 1)`,
    line: `INSERT INTO ${s}.purchase_lines (id, purchase_id, line_no, customer_id, store_id, occurred_at, sku,
          name, category, brand, quantity_milli, unit_price, discount, amount, returned_milli)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 0)`,
    timeline: `INSERT INTO ${s}.timeline (id, customer_id, at, source, kind, summary, store_id, ref_type, ref_id, data)
      VALUES ($1, $2, $3, 'purchases', 'purchase', $4, $5, 'purchase', $6, $7)`,
    seq: `UPDATE ${s}.sequences SET value = value + 1 WHERE id = 'outbox' RETURNING value`,
    outbox:
      `INSERT INTO ${s}.outbox (id, seq, type, customer_id, payload, occurred_at) VALUES ($1, $2, ` +
      `'purchase.recorded', $3, $4, $5)`,
    audit: `INSERT INTO ${s}.audit_log (id, at, actor, command, outcome, error_code, customer_id, target_type,
          target_id, details)
      VALUES ($1, $2, $3, 'purchases.record', 'ok', NULL, $4, 'purchase', $5, $6)`,
    key:
      `INSERT INTO ${s}.idempotency_keys (key, command, request_hash, result, customer_id, created_at) ` +
      `VALUES ($1, 'purchases.record', $2, $3, $4, $5)`,
  };
  const named = (name: string, text: string, values: unknown[]) => ({ name: `raw_${schema}_${name}`, text, values });
  const actor = JSON.stringify({ staffId: CLERK.staffId, storeId: STORE, roleId: 'clerk' });
  let n = 0;

  async function sale(client: pg.PoolClient, member: Member): Promise<void> {
    n++;
    const now = new Date();
    const id = ids.next('pur');
    const receiptNo = `R${n}`;
    const key = `till-${terminal}-sale-${n}`;
    const { lines, subtotal, discountTotal, total } = PRICED;
    await client.query('BEGIN');
    try {
      await client.query(
        named('purchase', q.purchase, [
          id,
          STORE,
          terminal,
          receiptNo,
          member.customerId,
          member.cardNumber,
          now,
          subtotal,
          discountTotal,
          total,
          lines.length,
          now,
        ]),
      );
      for (const l of lines) {
        await client.query(
          named('line', q.line, [
            `${id}:${l.lineNo}`,
            id,
            l.lineNo,
            member.customerId,
            STORE,
            now,
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
      }
      await client.query(
        named('timeline', q.timeline, [
          ids.next('tl'),
          member.customerId,
          now,
          '',
          STORE,
          id,
          saleTimelineData(receiptNo),
        ]),
      );
      const iso = now.toISOString();
      await client.query(
        named('audit', q.audit, [
          ids.next('aud'),
          now,
          actor,
          member.customerId,
          id,
          JSON.stringify({ storeId: STORE, receiptNo, total, idempotencyKey: key }),
        ]),
      );
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
      await client.query(
        named('key', q.key, [
          key,
          fingerprint(`purchases.record\n${JSON.stringify(request)}`),
          result,
          member.customerId,
          now,
        ]),
      );
      const seq = (await client.query(named('seq', q.seq, []))).rows[0].value as string;
      const payload = JSON.stringify({
        purchaseId: id,
        customerId: member.customerId,
        storeId: STORE,
        total,
        currency: 'CNY',
        occurredAt: iso,
      });
      await client.query(named('outbox', q.outbox, [ids.next('evt'), seq, member.customerId, payload, now]));
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
  }

  return async (count) => {
    // One connection per terminal, held for the round, as a till keeps its own.
    const client = await pool.connect();
    try {
      for (let i = 0; i < count; i++) await sale(client, members[((n + 1) * TERMINALS + t) % members.length]!);
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
async function checkSameRows(pool: pg.Pool, a: string, b: string): Promise<void> {
  const problems: string[] = [];
  const count = async (schema: string, table: string) =>
    Number((await pool.query(`SELECT count(*) AS n FROM "${schema}"."${table}"`)).rows[0].n);
  for (const table of WRITTEN) {
    const [x, y] = [await count(a, table), await count(b, table)];
    if (x !== y) problems.push(`${table}: ${x} rows against ${y}`);
  }
  const seq = async (schema: string) =>
    (await pool.query(`SELECT value FROM "${schema}".sequences WHERE id = 'outbox'`)).rows[0]?.value;
  const [sa, sb] = [await seq(a), await seq(b)];
  if (sa !== sb) problems.push(`outbox counter: ${String(sa)} against ${String(sb)}`);
  // Every sale once: no receipt twice per terminal, totals exact.
  const totals = async (schema: string) =>
    (
      await pool.query(
        `SELECT count(DISTINCT (terminal_id, receipt_no)) AS n, sum(total) AS s FROM "${schema}".purchases`,
      )
    ).rows[0];
  const [ta, tb] = [await totals(a), await totals(b)];
  if (ta.n !== tb.n || ta.s !== tb.s)
    problems.push(`distinct sales and sum of totals: ${ta.n}/${ta.s} against ${tb.n}/${tb.s}`);
  if (problems.length)
    throw new Error(`the baseline does not write what Clientele writes:\n  ${problems.join('\n  ')}`);
}

async function run({ quick, log }: RunSettings): Promise<FigureResult> {
  const sizes = quick ? QUICK : FULL;
  const tag = `${process.pid.toString(36)}_${Date.now().toString(36)}`;
  const schemas = { clientele: `clientele_bench_c_${tag}`, raw: `clientele_bench_r_${tag}` };
  // Room for eight tills and the read each Clientele command makes before its transaction.
  const pool = new pg.Pool({ connectionString: PG_URL, max: TERMINALS * 2 });
  pool.on('error', () => undefined);
  try {
    log(
      `setting up two identical chains with ${sizes.members} carded members each (schemas ` +
        `${schemas.clientele}, ${schemas.raw})`,
    );
    const crm = createClientele({ store: postgresStore({ pool, schema: schemas.clientele }) });
    const members = await setUpChain(crm, sizes.members);
    const setup = createClientele({ store: postgresStore({ pool, schema: schemas.raw }) });
    const rawMembers = await setUpChain(setup, sizes.members);
    await setup.close();

    const tills = {
      clientele: Array.from({ length: TERMINALS }, (_, t) => clienteleTill(crm, members, t + 1)),
      raw: Array.from({ length: TERMINALS }, (_, t) => rawTill(pool, schemas.raw, rawMembers, t + 1)),
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
    await checkSameRows(pool, schemas.clientele, schemas.raw);
    await crm.close();

    return throughputFigure(
      'checkout.postgres.8',
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
          `idempotency key; Clientele at its default (read committed, lost updates detected, races run ` +
          `again); baseline = the same rows via raw node-postgres, read committed, one transaction per ` +
          `sale, no reads or validation`,
      },
    );
  } finally {
    for (const schema of Object.values(schemas))
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await pool.end();
  }
}

export const checkoutPostgres: Figure = {
  id: 'checkout.postgres.8',
  title: 'checkout on PostgreSQL, 8 terminals at once (sales/s)',
  run,
};
