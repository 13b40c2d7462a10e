/**
 * A chain on one shared MariaDB: eight terminals record member sales at the same time, each on a
 * connection of its own. Every sale is recorded once, totals are exact to the fen, the outbox numbers
 * every event once without a gap, and no terminal sees a deadlock or any other error (InnoDB's
 * deadlocks are run again inside the store). Then separate till processes sell, earning points on every
 * member sale, all try to redeem one voucher (exactly one does) and to spend one stored-value card that
 * covers only some of them (the sum spent never passes the balance, which never goes below zero).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import { createClientele } from '@clientele/core';
import { loyalty } from '@clientele/loyalty';
import { mysqlStore } from '@clientele/mysql';
import { BASKET, CLERK, EARN_ALL_PROGRAM, SYSTEM, openChain } from './support/chain.js';
import { MYSQL_URL, STORE_KINDS } from './support/stores.js';

const BASKET_TOTAL = 1624 + 1200 + 4990 + 2670 + 1000;
const TERMINALS = 8;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TERMINAL_PROCESS = fileURLToPath(new URL('./fixtures/mysql-terminals.ts', import.meta.url));

const server = STORE_KINDS.some((k) => k.name === 'mariadb');
const admin = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 2 });
const made: string[] = [];
afterAll(async () => {
  if (server) for (const d of made) await admin.query(`DROP DATABASE IF EXISTS \`${d}\``);
  await admin.end();
});

/** A database name of this run's own, dropped after the file. */
function fresh(label: string): string {
  const d = `clientele_${label}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  made.push(d);
  return d;
}

/** The first row of a query on the admin pool, its numbers (MariaDB gives sums as text) as numbers. */
async function q(sql: string): Promise<Record<string, number | string | null>> {
  const [rows] = await admin.query<mysql.RowDataPacket[]>(sql);
  const row = rows[0] ?? {};
  return Object.fromEntries(
    Object.entries(row).map(([k, v]) => [k, typeof v === 'string' && /^-?\d+(\.0+)?$/.test(v) ? Number(v) : v]),
  ) as Record<string, number | string | null>;
}

/** What the sales left in the database: counts, sums and the outbox numbering. */
async function ledger(database: string) {
  const d = `\`${database}\``;
  return {
    sales: (await q(`SELECT count(*) AS n FROM ${d}.purchases`)).n,
    distinctReceipts: (await q(`SELECT count(DISTINCT terminal_id, receipt_no) AS n FROM ${d}.purchases`)).n,
    total: (await q(`SELECT sum(total) AS n FROM ${d}.purchases`)).n,
    lineAmounts: (await q(`SELECT sum(amount) AS n FROM ${d}.purchase_lines`)).n,
    lines: (await q(`SELECT count(*) AS n FROM ${d}.purchase_lines`)).n,
    saleEvents: (await q(`SELECT count(*) AS n FROM ${d}.outbox WHERE type = 'purchase.recorded'`)).n,
    keys: (await q(`SELECT count(*) AS n FROM ${d}.idempotency_keys WHERE command = 'purchases.record'`)).n,
    // Outbox numbers 1..n, each once: the relay can deliver in order without waiting on a gap.
    outboxGapFree: (
      await q(`SELECT (count(*) = max(seq) AND count(DISTINCT seq) = count(*) AND min(seq) = 1) AS ok FROM ${d}.outbox`)
    ).ok,
    outboxCounter:
      (await q(`SELECT value AS n FROM ${d}.sequences WHERE id = 'outbox'`)).n ===
      (await q(`SELECT max(seq) AS n FROM ${d}.outbox`)).n,
  };
}

const PROGRAM = EARN_ALL_PROGRAM;

/** A migrated chain with loyalty: a bearer voucher (10 % off), a gift card holding 100 yuan, carded members. */
async function chainWithMoney(members: number) {
  const database = fresh('money');
  const setup = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 4 });
  try {
    const { crm } = await openChain(mysqlStore({ pool: setup, database }), { modules: [loyalty(PROGRAM)] });
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
    return { database, code: voucher.code, card: card.number, cards };
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
  database: string,
  terminals: string[],
  count: number,
  startAt: number,
  env: Record<string, string>,
): Promise<ProcessReport> {
  return new Promise((resolve, reject) => {
    const args = [database, terminals.join(','), String(count), String(startAt)];
    const proc = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=@clientele/source', TERMINAL_PROCESS, MYSQL_URL, ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
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

describe('eight terminals on one MariaDB', () => {
  if (!server) {
    it.skip(`MariaDB at ${MYSQL_URL} is unreachable: skipped`, () => undefined);
    return;
  }

  it('records every sale once with exact totals when eight connections sell at once', async () => {
    const { database, cards } = await chainWithMoney(12);
    const perTerminal = 10;
    const pools = Array.from({ length: TERMINALS }, () => mysql.createPool({ uri: MYSQL_URL, connectionLimit: 1 }));
    try {
      const terminals = pools.map((pool) => createClientele({ store: mysqlStore({ pool, database }) }));
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
      const sales = TERMINALS * perTerminal;
      expect(await ledger(database)).toEqual({
        sales,
        distinctReceipts: sales,
        total: sales * BASKET_TOTAL,
        lineAmounts: sales * BASKET_TOTAL,
        lines: sales * 5,
        saleEvents: sales,
        keys: sales,
        outboxGapFree: 1,
        outboxCounter: true,
      });
    } finally {
      for (const p of pools) await p.end();
    }
  }, 90_000);

  it('sells, earns, redeems one voucher once and never overspends one card when the terminals are separate ' +
    'processes', async () => {
    const { database, code, card, cards } = await chainWithMoney(8);
    const perTerminal = 6;
    // Four till processes of two terminals each, each terminal with a connection of its own.
    const startAt = Date.now() + 3000;
    const groups = [0, 1, 2, 3].map((p) => [`P${p}A`, `P${p}B`]);
    const env = { CARDS: cards.join(','), VOUCHER: code, GIFT_CARD: card, CLOCK: '2026-11-02T03:00:00Z' };
    const reports = await Promise.all(
      groups.map((terminals) => terminalProcess(database, terminals, perTerminal, startAt, env)),
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
    expect(await ledger(database)).toEqual({
      sales,
      distinctReceipts: sales,
      total,
      lineAmounts: total,
      lines: memberSales * 5 + 4,
      saleEvents: sales,
      keys: sales,
      outboxGapFree: 1,
      outboxCounter: true,
    });
    const d = `\`${database}\``;
    expect(await q(`SELECT count(*) AS n FROM ${d}.loyalty_voucher_entries WHERE kind = 'redeemed'`)).toEqual({
      n: 1,
    });
    expect(await q(`SELECT status FROM ${d}.loyalty_vouchers WHERE code = '${code}'`)).toEqual({
      status: 'redeemed',
    });
    const money = await q(
      `SELECT c.balance AS balance, (SELECT sum(amount) FROM ${d}.loyalty_sv_entries e WHERE ` +
        `e.card_number = c.number) AS entries, (SELECT sum(captured) FROM ${d}.loyalty_sv_payments p ` +
        `WHERE p.card_number = c.number) AS spent FROM ${d}.loyalty_sv_cards c WHERE c.number = '${card}'`,
    );
    expect(money).toEqual({ balance: 1000, entries: 1000, spent: 9000 });

    // Every member sale earned once, what the program's quote says a basket earns.
    const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 1 });
    try {
      const crm = createClientele({ store: mysqlStore({ pool, database }), modules: [loyalty(PROGRAM)] as const });
      const [rows] = await admin.query<mysql.RowDataPacket[]>(
        `SELECT DISTINCT customer_id AS id FROM ${d}.purchases WHERE customer_id IS NOT NULL`,
      );
      const members = rows.map((r) => r['id'] as string);
      const perBasket = crm.loyalty.quote(
        { lines: BASKET },
        await crm.loyalty.contextFor({ customerId: members[0]!, storeId: 'S01' }, SYSTEM),
      ).points;
      expect(perBasket).toBeGreaterThan(0);
      expect(
        await q(`SELECT count(*) AS n, sum(points) AS points FROM ${d}.loyalty_entries WHERE kind = 'earn'`),
      ).toEqual({ n: memberSales, points: memberSales * perBasket });
      let held = 0;
      for (const id of members) {
        const balance = await crm.loyalty.balance(id, SYSTEM);
        const { n } = await q(`SELECT count(*) AS n FROM ${d}.purchases WHERE customer_id = '${id}'`);
        expect(balance.available + balance.pending).toBe(Number(n) * perBasket);
        held += balance.available + balance.pending;
      }
      expect(held).toBe(memberSales * perBasket);
    } finally {
      await pool.end();
    }
  }, 120_000);
});
