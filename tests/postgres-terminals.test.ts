/**
 * A chain on one shared PostgreSQL: eight terminals record member sales at the same time, each on a
 * connection of its own, first in one process and then spread over separate processes. Every sale is
 * recorded once, totals are exact to the fen, the outbox numbers every event once without a gap, and
 * no terminal sees a deadlock or any other error. Then the eight terminals all try to redeem one
 * voucher (exactly one does) and to spend one stored-value card that covers only some of them (the
 * sum spent never passes the balance, which never goes below zero), first as connections of one
 * process, then as separate till processes that also earn points on every member sale.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createClientele, isClienteleError } from '@clientele/core';
import { loyalty, refusalReason } from '@clientele/loyalty';
import { postgresStore } from '@clientele/postgres';
import { BASKET, CLERK, EARN_ALL_PROGRAM, SYSTEM, openChain } from './support/chain.js';
import { PG_URL, STORE_KINDS, serverSchemas } from './support/stores.js';

const BASKET_TOTAL = 1624 + 1200 + 4990 + 2670 + 1000;
const TERMINALS = 8;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TERMINAL_PROCESS = fileURLToPath(new URL('./fixtures/pg-terminals.ts', import.meta.url));

const server = STORE_KINDS.some((k) => k.name === 'postgres');
const { admin, fresh } = serverSchemas();

/** A migrated chain in a fresh schema, with `members` carded members; returns the schema and card numbers. */
async function chainWithMembers(members: number): Promise<{ schema: string; cards: string[] }> {
  const schema = fresh('terminals');
  const setup = new pg.Pool({ connectionString: PG_URL, max: 4 });
  try {
    const { crm } = await openChain(postgresStore({ pool: setup, schema }));
    const cards: string[] = [];
    for (let i = 0; i < members; i++) {
      const c = await crm.customers.register({ kind: 'individual', name: `会员 ${i}` }, CLERK);
      cards.push((await crm.cards.issue({ typeId: 'GOLD', storeId: 'S01', customerId: c.id }, CLERK)).number);
    }
    return { schema, cards };
  } finally {
    await setup.end();
  }
}

/** What a day of `sales` sales left in the schema: counts, sums and the outbox numbering. */
async function ledger(schema: string) {
  const q = async (sql: string) => (await admin.query(sql)).rows[0] as Record<string, string | null>;
  const s = `"${schema}"`;
  return {
    sales: Number((await q(`SELECT count(*) AS n FROM ${s}.purchases`)).n),
    distinctReceipts: Number((await q(`SELECT count(DISTINCT (terminal_id, receipt_no)) AS n FROM ${s}.purchases`)).n),
    total: Number((await q(`SELECT sum(total) AS n FROM ${s}.purchases`)).n),
    lineAmounts: Number((await q(`SELECT sum(amount) AS n FROM ${s}.purchase_lines`)).n),
    lines: Number((await q(`SELECT count(*) AS n FROM ${s}.purchase_lines`)).n),
    saleEvents: Number((await q(`SELECT count(*) AS n FROM ${s}.outbox WHERE type = 'purchase.recorded'`)).n),
    keys: Number((await q(`SELECT count(*) AS n FROM ${s}.idempotency_keys WHERE command = 'purchases.record'`)).n),
    // Outbox numbers 1..n, each once: the relay can deliver in order without waiting on a gap.
    outboxGapFree: (
      await q(`SELECT (count(*) = max(seq) AND count(DISTINCT seq) = count(*) AND min(seq) = 1) AS ok FROM ${s}.outbox`)
    ).ok,
    outboxCounter:
      Number((await q(`SELECT value AS n FROM ${s}.sequences WHERE id = 'outbox'`)).n) ===
      Number((await q(`SELECT max(seq) AS n FROM ${s}.outbox`)).n),
    perCustomer: (await admin.query(`SELECT customer_id, count(*)::int AS n FROM ${s}.purchases GROUP BY customer_id`))
      .rows.length,
  };
}

const PROGRAM = { id: 'tiantian', timeZone: 'Asia/Shanghai' };

/**
 * A migrated chain with loyalty in a fresh schema: a bearer voucher (10 % off), a gift card holding
 * 100 yuan and `members` carded members.
 */
async function chainWithMoney(
  members = 0,
  program: typeof PROGRAM = PROGRAM,
): Promise<{ schema: string; code: string; card: string; cards: string[] }> {
  const schema = fresh('money');
  const setup = new pg.Pool({ connectionString: PG_URL, max: 4 });
  try {
    const { crm } = await openChain(postgresStore({ pool: setup, schema }), { modules: [loyalty(program)] });
    const api = (crm as unknown as { loyalty: import('@clientele/loyalty').LoyaltyApi }).loyalty;
    await api.vouchers.defineTemplate(
      {
        id: 'TEN-PCT',
        name: '10% off',
        value: { kind: 'percent', percent: 10, max: 1500 },
        validity: { kind: 'days', days: 30 },
      },
      SYSTEM,
    );
    await api.storedValue.defineProduct({ id: 'GIFT', name: 'Gift card', kind: 'anonymous' }, SYSTEM);
    const voucher = await api.vouchers.issue(
      { templateId: 'TEN-PCT', source: 'campaign', ref: { type: 'campaign', id: 'race' } },
      { ...SYSTEM, idempotencyKey: 'issue-race-voucher' },
    );
    const card = await api.storedValue.sell(
      { productId: 'GIFT', storeId: 'S01', amount: 10000 },
      { ...CLERK, idempotencyKey: 'sell-race-card' },
    );
    const cards: string[] = [];
    for (let i = 0; i < members; i++) {
      const c = await crm.customers.register({ kind: 'individual', name: `会员 ${i}` }, CLERK);
      cards.push((await crm.cards.issue({ typeId: 'GOLD', storeId: 'S01', customerId: c.id }, CLERK)).number);
    }
    return { schema, code: voucher.code, card: card.number, cards };
  } finally {
    await setup.end();
  }
}

/** What one till process reports: sales recorded, then each terminal's voucher and card outcome. */
interface ProcessReport {
  sold: number;
  voucher: string[];
  card: string[];
}

function terminalProcess(
  schema: string,
  terminals: string[],
  count: number,
  startAt: number,
  env: Record<string, string>,
): Promise<ProcessReport> {
  return new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--conditions=@clientele/source',
        TERMINAL_PROCESS,
        PG_URL,
        schema,
        terminals.join(','),
        String(count),
        String(startAt),
      ],
      {
        cwd: ROOT,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    proc.on('error', reject);
    proc.on('close', (code) => {
      if (code !== 0) reject(new Error(`terminal process exited with ${code}: ${err}`));
      else resolve(JSON.parse(out));
    });
  });
}

describe('eight terminals on one PostgreSQL', () => {
  if (!server) {
    it.skip(`PostgreSQL at ${PG_URL} is unreachable: skipped`, () => undefined);
    return;
  }

  it('records every sale once with exact totals when eight connections sell at once', async () => {
    const { schema, cards } = await chainWithMembers(12);
    const perTerminal = 10;
    const pools = Array.from({ length: TERMINALS }, () => new pg.Pool({ connectionString: PG_URL, max: 1 }));
    try {
      const terminals = pools.map((pool) => createClientele({ store: postgresStore({ pool, schema }) }));
      const failures: unknown[] = [];
      await Promise.all(
        terminals.map(async (crm, t) => {
          for (let n = 1; n <= perTerminal; n++) {
            const receiptNo = `T${t}-${n}`;
            const input = {
              storeId: 'S01',
              terminalId: `T${t}`,
              receiptNo,
              cardNumber: cards[(n * 5 + t) % cards.length]!,
              lines: BASKET,
            };
            try {
              const sale = await crm.purchases.record(input, { ...CLERK, idempotencyKey: `till-${receiptNo}` });
              // A terminal that lost the answer retries with its key: the same sale comes back, nothing twice.
              if (n % 4 === 0)
                expect(await crm.purchases.record(input, { ...CLERK, idempotencyKey: `till-${receiptNo}` })).toEqual(
                  sale,
                );
            } catch (error) {
              failures.push(error);
            }
          }
        }),
      );
      expect(failures).toEqual([]);
      const day = await ledger(schema);
      const sales = TERMINALS * perTerminal;
      expect(day).toMatchObject({
        sales,
        distinctReceipts: sales,
        total: sales * BASKET_TOTAL,
        lineAmounts: sales * BASKET_TOTAL,
        lines: sales * 5,
        saleEvents: sales,
        keys: sales,
        outboxGapFree: true,
        outboxCounter: true,
        perCustomer: 12,
      });
    } finally {
      for (const p of pools) await p.end();
    }
  }, 60_000);

  it('redeems one voucher exactly once and never overspends one card when eight connections pay with them at ' +
    'once', async () => {
    const { schema, code, card } = await chainWithMoney();
    const pools = Array.from({ length: TERMINALS }, () => new pg.Pool({ connectionString: PG_URL, max: 1 }));
    try {
      // The tills' clock is the test chain's (the voucher is valid from 2 November 2026).
      const clock = { now: () => new Date('2026-11-02T03:00:00Z') };
      const terminals = pools.map((pool) =>
        createClientele({ store: postgresStore({ pool, schema }), clock, modules: [loyalty(PROGRAM)] as const }),
      );
      const outcome = (p: Promise<unknown>) =>
        p.then(
          () => 'ok',
          (e: unknown) => (isClienteleError(e) ? (refusalReason(e) ?? e.code) : `crash: ${String(e)}`),
        );
      const results = await Promise.all(
        terminals.map(async (crm, t) => {
          const sale = (
            kind: string,
            payments: Array<{ method: string; amount: number; reference?: string }>,
            total: number,
          ) =>
            crm.purchases.record(
              {
                storeId: 'S01',
                terminalId: `T${t}`,
                receiptNo: `${kind}-${t}`,
                lines: [{ sku: 'RICE-5KG', category: 'grain', quantity: 1, unitPrice: total }],
                payments,
              },
              { ...CLERK, idempotencyKey: `till-${kind}-${t}` },
            );
          return Promise.all([
            outcome(
              sale(
                'V',
                [
                  { method: 'voucher', amount: 1000, reference: code },
                  { method: 'cash', amount: 9000 },
                ],
                10000,
              ),
            ),
            outcome(
              sale(
                'C',
                [
                  { method: 'stored-value', amount: 3000, reference: card },
                  { method: 'cash', amount: 100 },
                ],
                3100,
              ),
            ),
          ]);
        }),
      );
      const voucher = results.map((r) => r[0]);
      const spends = results.map((r) => r[1]);
      // No deadlock, no lost connection, no clash: only the refusals the money rules give.
      expect(voucher.filter((r) => r === 'ok')).toHaveLength(1);
      expect(voucher.filter((r) => r !== 'ok')).toEqual(new Array(TERMINALS - 1).fill('redeemed'));
      expect(spends.filter((r) => r === 'ok')).toHaveLength(3);
      expect(spends.filter((r) => r !== 'ok')).toEqual(new Array(TERMINALS - 3).fill('insufficient_balance'));
      const s = `"${schema}"`;
      const q = async (sql: string) => (await admin.query(sql)).rows[0] as Record<string, string | null>;
      expect(await q(`SELECT status, last_seq::int AS seq FROM ${s}.loyalty_vouchers WHERE code = '${code}'`)).toEqual({
        status: 'redeemed',
        seq: 2,
      });
      expect(await q(`SELECT count(*)::int AS n FROM ${s}.loyalty_voucher_entries WHERE kind = 'redeemed'`)).toEqual({
        n: 1,
      });
      const money = await q(
        `SELECT c.balance::int AS balance, c.available::int AS available, (SELECT sum(amount)::int FROM ` +
          `${s}.loyalty_sv_entries e WHERE e.card_number = c.number) AS entries, (SELECT sum(captured)::int ` +
          `FROM ${s}.loyalty_sv_payments p WHERE p.card_number = c.number) AS spent FROM ` +
          `${s}.loyalty_sv_cards c WHERE c.number = '${card}'`,
      );
      expect(money).toEqual({ balance: 1000, available: 1000, entries: 1000, spent: 9000 });
      expect(await q(`SELECT count(*)::int AS n FROM ${s}.purchases`)).toEqual({ n: 4 });
      expect(
        (await q(`SELECT (count(*) = max(seq) AND count(DISTINCT seq) = count(*)) AS ok FROM ${s}.outbox`)).ok,
      ).toBe(true);
    } finally {
      for (const p of pools) await p.end();
    }
  }, 60_000);

  it('sells, earns, redeems one voucher once and never overspends one card when the terminals are separate ' +
    'processes', async () => {
    const { schema, code, card, cards } = await chainWithMoney(8, EARN_ALL_PROGRAM);
    const perTerminal = 6;
    // Four till processes of two terminals each, each terminal with a connection of its own.
    const startAt = Date.now() + 3000;
    const groups = [0, 1, 2, 3].map((p) => [`P${p}A`, `P${p}B`]);
    const env = { CARDS: cards.join(','), VOUCHER: code, GIFT_CARD: card, CLOCK: '2026-11-02T03:00:00Z' };
    const reports = await Promise.all(
      groups.map((terminals) => terminalProcess(schema, terminals, perTerminal, startAt, env)),
    );
    expect(reports.map((r) => r.sold)).toEqual([12, 12, 12, 12]);
    const voucher = reports.flatMap((r) => r.voucher);
    const spends = reports.flatMap((r) => r.card);
    // No deadlock, no lost connection, no clash: only the refusals the money rules give.
    expect(voucher.filter((r) => r === 'ok')).toHaveLength(1);
    expect(voucher.filter((r) => r !== 'ok')).toEqual(new Array(TERMINALS - 1).fill('redeemed'));
    expect(spends.filter((r) => r === 'ok')).toHaveLength(3);
    expect(spends.filter((r) => r !== 'ok')).toEqual(new Array(TERMINALS - 3).fill('insufficient_balance'));

    const memberSales = TERMINALS * perTerminal;
    const sales = memberSales + 1 + 3;
    const total = memberSales * BASKET_TOTAL + 10000 + 3 * 3100;
    expect(await ledger(schema)).toMatchObject({
      sales,
      distinctReceipts: sales,
      total,
      lineAmounts: total,
      lines: memberSales * 5 + 4,
      saleEvents: sales,
      keys: sales,
      outboxGapFree: true,
      outboxCounter: true,
    });
    const s = `"${schema}"`;
    const q = async (sql: string) => (await admin.query(sql)).rows[0] as Record<string, string | number | null>;
    expect(await q(`SELECT count(*)::int AS n FROM ${s}.loyalty_voucher_entries WHERE kind = 'redeemed'`)).toEqual({
      n: 1,
    });
    const money = await q(
      `SELECT c.balance::int AS balance, (SELECT sum(amount)::int FROM ${s}.loyalty_sv_entries e WHERE ` +
        `e.card_number = c.number) AS entries, (SELECT sum(captured)::int FROM ${s}.loyalty_sv_payments p ` +
        `WHERE p.card_number = c.number) AS spent FROM ${s}.loyalty_sv_cards c WHERE c.number = '${card}'`,
    );
    expect(money).toEqual({ balance: 1000, entries: 1000, spent: 9000 });

    // Every member sale earned once, what the program's quote says a basket earns.
    const pool = new pg.Pool({ connectionString: PG_URL, max: 1 });
    try {
      const crm = createClientele({
        store: postgresStore({ pool, schema }),
        modules: [loyalty(EARN_ALL_PROGRAM)] as const,
      });
      const members = (
        await admin.query(`SELECT DISTINCT customer_id FROM ${s}.purchases WHERE customer_id IS NOT NULL`)
      ).rows.map((r: { customer_id: string }) => r.customer_id);
      const perBasket = crm.loyalty.quote(
        { lines: BASKET },
        await crm.loyalty.contextFor({ customerId: members[0]!, storeId: 'S01' }, SYSTEM),
      ).points;
      expect(perBasket).toBeGreaterThan(0);
      expect(
        await q(`SELECT count(*)::int AS n, sum(points)::int AS points FROM ${s}.loyalty_entries WHERE kind = 'earn'`),
      ).toEqual({ n: memberSales, points: memberSales * perBasket });
      let held = 0;
      for (const id of members) {
        const balance = await crm.loyalty.balance(id, SYSTEM);
        const { n } = await q(`SELECT count(*)::int AS n FROM ${s}.purchases WHERE customer_id = '${id}'`);
        expect(balance.available + balance.pending).toBe(Number(n) * perBasket);
        held += balance.available + balance.pending;
      }
      expect(held).toBe(memberSales * perBasket);
    } finally {
      await pool.end();
    }
  }, 90_000);
});
