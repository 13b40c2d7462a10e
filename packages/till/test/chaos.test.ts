/**
 * Chaos: three tills in processes of their own ring up 2,250 sales (CHAOS_SALES_PER_TILL sets a till's share)
 * against one central Clientele on PostgreSQL over HTTP, while this controller cuts each till's
 * link at random, kills central and kills tills with SIGKILL. After the links heal and every log
 * is replayed: each sale is on central once, each member's points are what an always-online run of
 * the same sales gives, no balance is below zero, no allowance paid more than it held, and each
 * till's reconciliation list holds exactly the sales central refused.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Socket, createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createClientele, memoryStore, manualClock } from '@clientele/core';
import { auditLog, purchasesCollection, scan } from '@clientele/core/module';
import { apiKeys } from '@clientele/http';
import { loyalty } from '@clientele/loyalty';
import { postgresStore } from '@clientele/postgres';
import { sqliteStore } from '@clientele/sqlite';
import { PG_URL, serverSchemas } from '../../../tests/support/stores.js';
import { opsCollection, reconciliationCollection } from '../src/index.js';
import { PROGRAM } from './fixtures/chaos-program.js';
import { removeTillFiles, tillFile } from './support.js';

const SYSTEM = { actor: { system: 'chaos-setup' } } as const;
const TERMINALS = ['T1', 'T2', 'T3'] as const;
// 750 sales a till: over 2,000 recorded between the three (a sale refused at the till, past an allowance or cut off
// by a kill, is never recorded); the whole run takes about 40 s.
const PER_TILL = Number(process.env['CHAOS_SALES_PER_TILL'] ?? 750);
const MEMBERS = 24;
const OPENING = 400;
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

const { fresh } = serverSchemas();
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  removeTillFiles();
});

/** Starts a fixture; resolves when it prints `ready`, and tells each later line to `onLine`. */
function start(name: string, args: string[], env: Record<string, string>, ready: string, onLine = (_l: string) => {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@clientele/source', fixture(name), ...args], {
    env: { ...process.env, CLIENTELE_PG_URL: PG_URL, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let errors = '';
  child.stderr!.on('data', (d: Buffer) => void (errors = (errors + d.toString()).slice(-4000)));
  const started = new Promise<ChildProcess>((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        if (line === ready) resolve(child);
        onLine(line);
      }
    });
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`${name} ${args[0]} exited ${code}: ${errors}`));
    });
  });
  return { child, started };
}

/** A TCP link from a till to central that the controller can cut. */
function link(target: () => number) {
  const sockets = new Set<Socket>();
  const state = { cut: false };
  const server: Server = createServer((client) => {
    if (state.cut) return void client.destroy();
    const upstream = new Socket();
    upstream.connect(target(), '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  return {
    server,
    state,
    cut() {
      state.cut = true;
      for (const s of sockets) s.destroy();
    },
    heal() {
      state.cut = false;
    },
  };
}

const listen = (server: Server) =>
  new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
const freePort = async () => {
  const s = createServer();
  const port = await listen(s);
  await new Promise((r) => s.close(r));
  return port;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const between = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo));

describe('three tills, one central, links cut and processes killed', () => {
  it('records every sale once and every member has the points of an always-online run', {
    timeout: 420_000,
  }, async () => {
    const setupBegan = Date.now();
    // Central's data: the chain, members with cards and points, a key per till.
    const schema = fresh('till_chaos');
    const pool = new pg.Pool({ connectionString: PG_URL, max: 4, allowExitOnIdle: true });
    pool.on('error', () => undefined);
    const crm = createClientele({ store: postgresStore({ pool, schema }), modules: [loyalty(PROGRAM), apiKeys()] });
    await crm.migrate();
    await crm.stores.create({ id: 'S01', name: 'Renmin Road', region: 'East', timeZone: 'Asia/Shanghai' }, SYSTEM);
    const permissions = ['cards.read', 'sales.record', 'loyalty.read', 'loyalty.vouchers.read'];
    await crm.roles.define(
      { id: 'till', name: 'Till', permissions: [...permissions, 'loyalty.stored-value.read', 'stores.read'] },
      SYSTEM,
    );
    await crm.cards.defineType({ id: 'GOLD', name: 'Gold', prefix: '88', length: 13 }, SYSTEM);
    const members: Array<{ id: string; card: string }> = [];
    for (let i = 0; i < MEMBERS; i++) {
      const m = await crm.customers.register({ kind: 'individual', name: `Member ${i}`, homeStoreId: 'S01' }, SYSTEM);
      const card = await crm.cards.issue({ typeId: 'GOLD', storeId: 'S01', customerId: m.id }, SYSTEM);
      await crm.loyalty.adjust(
        { customerId: m.id, points: OPENING, reason: 'opening' },
        { ...SYSTEM, idempotencyKey: `opening-${m.id}` },
      );
      members.push({ id: m.id, card: card.number });
    }
    const tokens: Record<string, string> = {};
    for (const t of TERMINALS) {
      await crm.staff.add({ id: `S01-${t}`, name: `Till ${t}`, storeId: 'S01', roleId: 'till' }, SYSTEM);
      tokens[t] = (await crm.apiKeys.create({ name: `Till ${t}`, actor: { staffId: `S01-${t}` } }, SYSTEM)).token;
    }

    const port = await freePort();
    const startCentral = () => start('chaos-central.ts', [schema, String(port)], {}, 'READY');
    let central = startCentral();
    await central.started;

    const links = Object.fromEntries(TERMINALS.map((t) => [t, link(() => port)]));
    const proxyPorts = Object.fromEntries(
      await Promise.all(TERMINALS.map(async (t) => [t, await listen(links[t]!.server)] as const)),
    );
    const files = Object.fromEntries(TERMINALS.map((t) => [t, tillFile()]));
    const rung = new Set<string>();
    const drained = new Set<string>();
    const opened = new Set<string>();
    const tills: Record<string, ReturnType<typeof start>> = {};
    const startTill = (t: string) => {
      tills[t] = start(
        'chaos-till.ts',
        [t, String(proxyPorts[t]), files[t]!, String(PER_TILL)],
        { TILL_TOKEN: tokens[t]!, TILL_CARDS: members.map((m) => m.card).join(',') },
        'RUNG',
        (line) => void (line === 'DRAINED' ? drained.add(t) : line === 'OPEN' && opened.add(t)),
      );
      tills[t]!.started.then(() => rung.add(t)).catch(() => undefined);
    };
    for (const t of TERMINALS) startTill(t);
    // The tills open (each looks its members up and is granted their allowances) before the chaos starts.
    for (let waited = 0; opened.size < TERMINALS.length; waited += 100) {
      expect(waited, `tills open: ${[...opened].join(', ')}`).toBeLessThan(60_000);
      await sleep(100);
    }

    // The chaos.
    const faults = { cuts: 0, centralKills: 0, tillKills: 0 };
    const blocked = members.slice(0, 2);
    let blockedYet = false;
    const began = Date.now();
    const setupMs = began - setupBegan;
    // Until every till has rung up its sales and central was killed once: tills that ring up their
    // sales within the first two seconds then meet the kill while they replay.
    while (rung.size < TERMINALS.length || faults.centralKills === 0) {
      await sleep(between(150, 500));
      const roll = Math.random();
      const t = TERMINALS[between(0, 3)]!;
      // At least one kill of central in every run, whatever the dice say.
      const killCentral = Date.now() - began > 2000 && (faults.centralKills === 0 || (roll >= 0.5 && roll < 0.58));
      if (roll < 0.5 && !killCentral) {
        links[t]!.cut();
        faults.cuts++;
        setTimeout(() => links[t]!.heal(), between(200, 2500));
      } else if (killCentral) {
        central.child.kill('SIGKILL');
        faults.centralKills++;
        await sleep(between(200, 1500));
        central = startCentral();
        await central.started;
      } else if (roll < 0.66 && !rung.has(t)) {
        tills[t]!.child.kill('SIGKILL');
        faults.tillKills++;
        await sleep(between(100, 800));
        startTill(t);
      }
      if (!blockedYet && Date.now() - began > 6000) {
        // Cards blocked meanwhile: the tills' offline sales on them are refused on replay.
        for (const m of blocked) await crm.cards.block({ number: m.card, reason: 'reported stolen' }, SYSTEM);
        blockedYet = true;
      }
    }

    // Heal: every link up, central up, and each till replays what is left.
    for (const t of TERMINALS) links[t]!.heal();
    for (const t of TERMINALS) writeFileSync(`${files[t]}.heal`, '');
    for (let waited = 0; drained.size < TERMINALS.length; waited += 200) {
      expect(waited, `tills drained: ${[...drained].join(', ')}`).toBeLessThan(240_000);
      await sleep(200);
    }
    central.child.kill('SIGKILL');
    for (const t of TERMINALS) links[t]!.server.close();

    // Each till's log against central.
    const centralSales = new Map<string, { id: string; customerId: string | null; occurredAt: Date }>();
    let rows = 0;
    for await (const row of scan(crm.store, purchasesCollection)) {
      rows++;
      centralSales.set(`${row.terminalId}:${row.receiptNo}`, row);
    }
    let attempted = 0;
    let refusedOnReplay = 0;
    expect(centralSales.size).toBe(rows);
    for (const t of TERMINALS) {
      const local = sqliteStore({ file: files[t]! });
      const recorded: string[] = [];
      const refused: string[] = [];
      for await (const op of scan(local, opsCollection)) {
        attempted++;
        expect(op.status, `${t} ${op.id}`).not.toBe('queued');
        if (op.status === 'recorded') recorded.push(op.sale['receiptNo'] as string);
        if (op.status === 'refused') refused.push(op.id);
      }
      const filed = [];
      for await (const r of scan(local, reconciliationCollection)) filed.push(r);
      expect(filed.map((r) => r.id).sort()).toEqual(refused.sort());
      // Only the blocked cards' sales are refused (over HTTP the state comes in the message, not as a reason).
      for (const r of filed) expect([r.code, r.message]).toEqual(['INVALID_STATE', expect.stringMatching(/blocked$/)]);
      refusedOnReplay += refused.length;
      const onCentral = [...centralSales.keys()].filter((k) => k.startsWith(`${t}:`)).map((k) => k.slice(3));
      expect(onCentral.sort()).toEqual(recorded.sort());
      await local.close();
    }
    console.log(
      `chaos: ${TERMINALS.length * PER_TILL} sales, ${attempted} in the tills' logs, ` +
        `${centralSales.size} on central, ` +
        `${refusedOnReplay} refused on replay; ${faults.cuts} cuts, ${faults.centralKills} central kills, ` +
        `${faults.tillKills} till kills, setup ${setupMs} ms, chaos and replay ${Date.now() - began} ms`,
    );
    expect(faults.centralKills + faults.tillKills).toBeGreaterThan(0);
    // The default run is the proof the till was asked for: over 2,000 sales recorded between three tills.
    if (process.env['CHAOS_SALES_PER_TILL'] === undefined) expect(attempted).toBeGreaterThanOrEqual(2000);

    // No allowance paid more than it held.
    const granted = new Map<string, number>();
    const drawn = new Map<string, number>();
    for await (const a of scan(crm.store, auditLog)) {
      const d = a.details as Record<string, number | string>;
      if (a.command === 'loyalty.allowances.grant' && a.outcome === 'ok')
        granted.set(a.targetId!, d['points'] as number);
      if (a.command === 'loyalty.allowances.draw' && a.outcome === 'ok') {
        const id = d['allowanceId'] as string;
        drawn.set(id, (drawn.get(id) ?? 0) + (d['points'] as number));
      }
    }
    // Each till was granted an allowance for each member when it opened, and spent some of them offline;
    // every draw is on an allowance central granted, and within it.
    console.log(`chaos: ${granted.size} allowances granted, ${drawn.size} drawn on offline`);
    expect(granted.size).toBeGreaterThanOrEqual(TERMINALS.length * MEMBERS);
    expect(drawn.size).toBeGreaterThan(0);
    for (const id of drawn.keys()) expect(granted.has(id), id).toBe(true);
    for (const [id, points] of drawn) expect(points, id).toBeLessThanOrEqual(granted.get(id) ?? 0);

    // The always-online run: the same sales central recorded, one after another, on a Clientele of its own.
    const reference = createClientele({
      store: memoryStore(),
      clock: manualClock(new Date()),
      modules: [loyalty(PROGRAM)] as const,
    });
    await reference.migrate();
    await reference.stores.create(
      { id: 'S01', name: 'Renmin Road', region: 'East', timeZone: 'Asia/Shanghai' },
      SYSTEM,
    );
    const same = new Map<string, string>();
    for (const m of members) {
      const r = await reference.customers.register({ kind: 'individual', name: 'x', homeStoreId: 'S01' }, SYSTEM);
      await reference.loyalty.adjust(
        { customerId: r.id, points: OPENING, reason: 'opening' },
        { ...SYSTEM, idempotencyKey: `opening-${r.id}` },
      );
      same.set(m.id, r.id);
    }
    const ordered = [...centralSales.values()].sort((a, b) => +new Date(a.occurredAt) - +new Date(b.occurredAt));
    for (const s of ordered) {
      const sale = await crm.purchases.get(s.id, SYSTEM);
      const lines = sale.lines.map((l) => ({
        sku: l.sku,
        category: l.category,
        quantity: l.quantity,
        unitPrice: l.unitPrice,
      }));
      const customerId = sale.customerId ? same.get(sale.customerId)! : undefined;
      const paid = sale.payments.find((p) => p.method === 'points');
      const key = `ref-${sale.terminalId}-${sale.receiptNo}`;
      const payments = [];
      if (paid && customerId) {
        const hold = await reference.loyalty.reserve(
          { customerId, points: paid.amount, storeId: 'S01', terminalId: sale.terminalId },
          { ...SYSTEM, idempotencyKey: `hold-${key}` },
        );
        payments.push({ method: 'points', amount: hold.value, reference: hold.id });
        if (sale.total > hold.value) payments.push({ method: 'cash', amount: sale.total - hold.value });
      }
      await reference.purchases.record(
        {
          storeId: 'S01',
          terminalId: sale.terminalId,
          receiptNo: sale.receiptNo,
          occurredAt: sale.occurredAt,
          ...(customerId ? { customerId } : {}),
          lines,
          ...(payments.length ? { payments } : {}),
        },
        { ...SYSTEM, idempotencyKey: key },
      );
    }
    for (const m of members) {
      const chaos = await crm.loyalty.balance(m.id, SYSTEM);
      const online = await reference.loyalty.balance(same.get(m.id)!, SYSTEM);
      expect(chaos.available, m.id).toBe(online.available);
      expect(chaos.available).toBeGreaterThanOrEqual(0);
      expect(chaos.spendable).toBeGreaterThanOrEqual(0);
    }
    await reference.close();
    await crm.close();
  });
});
