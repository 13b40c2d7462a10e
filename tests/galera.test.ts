/**
 * Clientele on a three-node MariaDB Galera cluster (synchronous multi-primary replication), started by
 * `scripts/galera.sh`: the conformance kit with every store's operations spread round-robin over the
 * nodes; a certification conflict (another node committed the same row first) runs the transaction again
 * and, past the bound, is `CONFLICT` with nothing written; till processes on all three nodes racing for
 * one voucher and one card; and a node killed in the middle of selling, whose tills carry on on another
 * node with the same idempotency keys. Each part runs in a database of its own, dropped afterwards.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import { type ConflictError, createClientele, isClienteleError } from '@clientele/core';
import { defineCollection, field } from '@clientele/core/module';
import { loyalty } from '@clientele/loyalty';
import { type MysqlStore, mysqlProbe, mysqlStore } from '@clientele/mysql';
import { runStoreConformance } from '@clientele/testkit';
import { BASKET, CLERK, EARN_ALL_PROGRAM, SYSTEM, openChain } from './support/chain.js';
import { GALERA_URLS, galera, roundRobin, startGalera } from './support/galera.js';

const BASKET_TOTAL = 1624 + 1200 + 4990 + 2670 + 1000;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TERMINAL_PROCESS = fileURLToPath(new URL('./fixtures/mysql-terminals.ts', import.meta.url));

// Started before the tests are registered: whether they run or are skipped (with the reason) depends on it.
const unavailable = await startGalera();
const nodes = GALERA_URLS.map((uri) => mysql.createPool({ uri, connectionLimit: 12 }));
const made: string[] = [];
afterAll(async () => {
  try {
    // Node 1 stays up through every test; DDL reaches every node.
    if (!unavailable) for (const d of made) await nodes[0]!.query(`DROP DATABASE IF EXISTS \`${d}\``);
    for (const pool of nodes) await pool.end();
  } finally {
    await galera('stop');
  }
}, 60_000);

/** A database name of this run's own, dropped after the file. */
function fresh(label: string): string {
  const d = `clientele_g${label}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  made.push(d);
  return d;
}

/** The first row of a query on node 1, numbers given as text (sums) turned into numbers. */
async function q(sql: string): Promise<Record<string, number | string | null>> {
  const [rows] = await nodes[0]!.query<mysql.RowDataPacket[]>(sql);
  return Object.fromEntries(
    Object.entries(rows[0] ?? {}).map(([k, v]) => [k, typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v]),
  ) as Record<string, number | string | null>;
}

/** What the sales left in the database: counts, sums and the outbox numbering. */
async function ledger(database: string) {
  const d = `\`${database}\``;
  return {
    sales: (await q(`SELECT count(*) AS n FROM ${d}.purchases`)).n,
    distinctReceipts: (await q(`SELECT count(DISTINCT terminal_id, receipt_no) AS n FROM ${d}.purchases`)).n,
    total: (await q(`SELECT sum(total) AS n FROM ${d}.purchases`)).n,
    lines: (await q(`SELECT count(*) AS n FROM ${d}.purchase_lines`)).n,
    saleEvents: (await q(`SELECT count(*) AS n FROM ${d}.outbox WHERE type = 'purchase.recorded'`)).n,
    keys: (await q(`SELECT count(*) AS n FROM ${d}.idempotency_keys WHERE command = 'purchases.record'`)).n,
    outboxGapFree: (
      await q(`SELECT (count(*) = max(seq) AND count(DISTINCT seq) = count(*) AND min(seq) = 1) AS ok FROM ${d}.outbox`)
    ).ok,
  };
}

/** Transactions the nodes aborted for a conflict with another node's write, so far (certification, brute force). */
async function certificationConflicts(): Promise<number> {
  let sum = 0;
  for (const pool of nodes) {
    const [rows] = await pool.query<mysql.RowDataPacket[]>(
      "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_cert_failures', 'wsrep_local_bf_aborts')",
    );
    for (const row of rows) sum += Number(row['Value']);
  }
  return sum;
}

/** A migrated chain with loyalty, a bearer voucher, a gift card of 100 yuan and carded members, set up on node 1. */
async function chainWithMoney(database: string, members: number) {
  const { crm } = await openChain(mysqlStore({ pool: nodes[0]!, database }), { modules: [loyalty(EARN_ALL_PROGRAM)] });
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
  return { code: voucher.code, card: card.number, cards };
}

const accounts = defineCollection({
  name: 'accounts',
  fields: { id: field.string(), balance: field.integer() },
  primaryKey: 'id',
  indexes: [],
});
const notes = defineCollection({
  name: 'notes',
  fields: { id: field.string(), text: field.string() },
  primaryKey: 'id',
  indexes: [],
});

if (unavailable) {
  console.warn(unavailable);
  it.skip(unavailable, () => undefined);
} else {
  // Every operation and transaction of a kit store takes its connection from the next node in turn, except
  // migrate(): GET_LOCK holds on one node only, so migrations (which every till may run at start) go to one
  // node. Fifty writers of one row on three nodes certify-conflict far more often than they wait for each
  // other's locks on one server: the store gets 30 attempts instead of 10.
  const spread = roundRobin(nodes);
  const retry = { attempts: 30 };
  runStoreConformance('mysql (MariaDB Galera, three nodes round-robin)', {
    async create() {
      const database = fresh('k');
      const store = mysqlStore({ pool: spread, database, retry });
      const migrator = mysqlStore({ pool: nodes[0]!, database, retry });
      return {
        ...store,
        migrate: (migrations) => migrator.migrate(migrations),
        close: async () => {
          await migrator.close();
          await store.close();
        },
      } as MysqlStore;
    },
    probe: (store) => mysqlProbe({ pool: spread, database: (store as MysqlStore).database! }),
  });

  describe('certification conflicts between nodes', () => {
    it('runs a transaction again when another node commits the same row first; past the bound, CONFLICT', async () => {
      const database = fresh('c');
      const one = mysqlStore({ pool: nodes[0]!, database });
      const two = mysqlStore({ pool: nodes[1]!, database, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 } });
      await one.migrate([
        {
          id: 'galera/0001',
          steps: [accounts, notes].map((c) => ({ op: 'createCollection', collection: c }) as const),
        },
      ]);
      await one.insert(accounts, { id: 'A1', balance: 100 });

      // Node 2 writes the row and, before it commits, node 1 commits a write of the same row: node 2's
      // transaction loses certification (errno 1213) and runs again whole, once.
      let attempts = 0;
      await two.transaction(async (tx) => {
        attempts++;
        await tx.increment(accounts, 'A1', 'balance', 10);
        await tx.insert(notes, { id: `N${attempts}`, text: 'credited' });
        if (attempts === 1) await one.increment(accounts, 'A1', 'balance', 1);
      });
      expect(attempts).toBe(2);
      expect(await one.get(accounts, 'A1')).toMatchObject({ balance: 111 });
      expect((await one.find(notes, {})).rows.map((n) => n.id)).toEqual(['N2']);

      // The same race on every attempt: after three, CONFLICT, and nothing of any attempt is left.
      attempts = 0;
      const error = await two
        .transaction(async (tx) => {
          attempts++;
          await tx.increment(accounts, 'A1', 'balance', 10);
          await tx.insert(notes, { id: `M${attempts}`, text: 'credited' });
          await one.increment(accounts, 'A1', 'balance', 1);
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(attempts).toBe(3);
      expect(isClienteleError(error, 'CONFLICT') && (error as ConflictError).reason).toBe('serialization');
      expect(((error as ConflictError).cause as { errno?: number }).errno).toBe(1213);
      expect(await one.get(accounts, 'A1')).toMatchObject({ balance: 114 });
      expect((await one.find(notes, {})).rows.map((n) => n.id)).toEqual(['N2']);
      await one.close();
      await two.close();
    });
  });

  describe('tills on three nodes', () => {
    it('sell, redeem one voucher once and never overspend one card: separate processes on three nodes', async () => {
      const database = fresh('r');
      const { code, card, cards } = await chainWithMoney(database, 6);
      const perTerminal = 3;
      // Two till processes of four terminals each: terminal i of the eight works on node i mod 3.
      const conflictsBefore = await certificationConflicts();
      const startAt = Date.now() + 4000;
      const env = { CARDS: cards.join(','), VOUCHER: code, GIFT_CARD: card, CLOCK: '2026-11-02T03:00:00Z' };
      const reports = await Promise.all(
        [0, 1].map((p) => {
          const urls = [0, 1, 2, 3].map((i) => GALERA_URLS[(4 * p + i) % 3]!);
          const terminals = ['A', 'B', 'C', 'D'].map((t) => `P${p}${t}`);
          return tillProcess(urls, database, terminals, perTerminal, startAt, env);
        }),
      );
      expect(reports.map((r) => r.sold)).toEqual([12, 12]);
      // The nodes did refuse writes that lost certification (the outbox counter alone is written by every
      // sale), and yet every sale is there once: those transactions ran again.
      expect(await certificationConflicts()).toBeGreaterThan(conflictsBefore);
      const voucher = reports.flatMap((r) => r.voucher);
      const spends = reports.flatMap((r) => r.card);
      // A till that lost certification every time gets CONFLICT; none is taken twice or lost.
      expect(voucher.filter((r) => r === 'ok')).toHaveLength(1);
      expect(voucher.filter((r) => r !== 'ok' && r !== 'redeemed' && r !== 'CONFLICT')).toEqual([]);
      const spent = spends.filter((r) => r === 'ok').length;
      expect(spent).toBeLessThanOrEqual(3);
      expect(spends.filter((r) => r !== 'ok' && r !== 'insufficient_balance' && r !== 'CONFLICT')).toEqual([]);

      const d = `\`${database}\``;
      expect(await q(`SELECT count(*) AS n FROM ${d}.loyalty_voucher_entries WHERE kind = 'redeemed'`)).toEqual({
        n: 1,
      });
      const money = await q(
        `SELECT c.balance AS balance, (SELECT sum(amount) FROM ${d}.loyalty_sv_entries e WHERE ` +
          `e.card_number = c.number) AS entries, (SELECT sum(captured) FROM ${d}.loyalty_sv_payments p ` +
          `WHERE p.card_number = c.number) AS spent FROM ${d}.loyalty_sv_cards c WHERE c.number = '${card}'`,
      );
      expect(money).toEqual({ balance: 10000 - 3000 * spent, entries: 10000 - 3000 * spent, spent: 3000 * spent });
      const memberSales = 8 * perTerminal;
      const paidSales = 1 + spent; // the voucher's sale and the card's
      expect(await ledger(database)).toMatchObject({
        sales: memberSales + paidSales,
        distinctReceipts: memberSales + paidSales,
        saleEvents: memberSales + paidSales,
        keys: memberSales + paidSales,
        outboxGapFree: 1,
      });
      expect(await q(`SELECT count(*) AS n FROM ${d}.loyalty_entries WHERE kind = 'earn'`)).toEqual({ n: memberSales });
    }, 60_000);

    it('loses no committed sale when a node is killed mid-run; its tills finish on another node', async () => {
      const database = fresh('k');
      const { cards } = await chainWithMoney(database, 6);
      const tills = 6;
      const perTerminal = 6;
      // Till t starts on node t mod 3, each with a connection of its own; node 3's tills move to node 1 or 2.
      const pools = Array.from({ length: tills }, (_, t) => ({
        home: mysql.createPool({ uri: GALERA_URLS[t % 3]!, connectionLimit: 1 }),
        spare: mysql.createPool({ uri: GALERA_URLS[t % 2]!, connectionLimit: 1 }),
      }));
      const committed = new Map<string, string>();
      const unavailableAt: string[] = [];
      const failures: unknown[] = [];
      let killed: Promise<string> | undefined;
      // Node 3's tills wait at their third sale until node 3 is dead, so each of them meets the dead node
      // whatever the pace of the others (a loaded machine let one finish first).
      let killIssued!: () => void;
      const issued = new Promise<void>((resolve) => (killIssued = resolve));
      try {
        await Promise.all(
          pools.map(async ({ home, spare }, t) => {
            let crm = createClientele({ store: mysqlStore({ pool: home, database, acquireTimeoutMs: 5000 }) });
            for (let n = 1; n <= perTerminal; n++) {
              const receiptNo = `G${t}-${n}`;
              const input = {
                storeId: 'S01',
                terminalId: `G${t}`,
                receiptNo,
                cardNumber: cards[(n + t) % 6]!,
                lines: BASKET,
              };
              const key = { ...CLERK, idempotencyKey: `till-${receiptNo}` };
              // A third of the way in, node 3 dies as in a power cut.
              if (t === 0 && n === 3) {
                killed = galera('kill', '3');
                killIssued();
              }
              if (t % 3 === 2 && n === 3) {
                await issued;
                await killed;
              }
              for (;;) {
                try {
                  committed.set(receiptNo, (await crm.purchases.record(input, key)).id);
                  break;
                } catch (error) {
                  if (!isClienteleError(error, 'STORE_UNAVAILABLE') || t % 3 !== 2) {
                    failures.push(error);
                    break;
                  }
                  // The till moves to a live node and sends the same sale with the same key.
                  unavailableAt.push(receiptNo);
                  crm = createClientele({ store: mysqlStore({ pool: spare, database }) });
                }
              }
            }
          }),
        );
        await killed;
      } finally {
        for (const { home, spare } of pools) {
          await home.end().catch(() => undefined);
          await spare.end();
        }
      }
      expect(failures).toEqual([]);
      // Node 3's two tills (2 and 5) each lost their node once, then sold on.
      expect(new Set(unavailableAt.map((r) => r.split('-')[0]))).toEqual(new Set(['G2', 'G5']));
      expect(unavailableAt).toHaveLength(2);
      const sales = tills * perTerminal;
      expect(committed.size).toBe(sales);
      expect(await ledger(database)).toEqual({
        sales,
        distinctReceipts: sales,
        total: sales * BASKET_TOTAL,
        lines: sales * 5,
        saleEvents: sales,
        keys: sales,
        outboxGapFree: 1,
      });
      // Every sale a till was told is recorded is there, under the id it was told.
      const [rows] = await nodes[0]!.query<mysql.RowDataPacket[]>(
        `SELECT id, receipt_no FROM \`${database}\`.purchases`,
      );
      expect(new Map(rows.map((r) => [r['receipt_no'] as string, r['id'] as string]))).toEqual(committed);
    }, 60_000);
  });
}

/** What one till process reports: sales recorded, then each terminal's voucher and card outcome. */
interface ProcessReport {
  sold: number;
  voucher: string[];
  card: string[];
}

/** Runs one till process whose terminals connect to `urls` in turn. */
function tillProcess(
  urls: string[],
  database: string,
  terminals: string[],
  count: number,
  startAt: number,
  env: Record<string, string>,
): Promise<ProcessReport> {
  return new Promise((resolve, reject) => {
    const args = [urls.join(','), database, terminals.join(','), String(count), String(startAt)];
    const proc = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=@clientele/source', TERMINAL_PROCESS, ...args],
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
      if (code !== 0) reject(new Error(`till process exited with ${code}: ${err}`));
      else resolve(JSON.parse(out));
    });
  });
}
