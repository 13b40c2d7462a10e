/**
 * The embedded store across processes: a second process sees committed sales, and a till killed
 * with SIGKILL in the middle of a sale leaves no half-written sale behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  auditLog,
  outboxCollection,
  purchaseLinesCollection,
  purchasesCollection,
  timelineCollection,
  idempotencyKeys,
} from '@clientele/core/module';
import { sqliteStore } from '@clientele/sqlite';
import { BASKET, CLERK, freshKey, nextReceipt, openChain } from './support/chain.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const till = fileURLToPath(new URL('./fixtures/till.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'clientele-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function startTill(file: string, mode: 'hang' | 'loop', customerId: string): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', '--conditions=@clientele/source', till, file, mode], {
    cwd: root,
    env: { ...process.env, CUSTOMER_ID: customerId },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function waitFor(child: ChildProcess, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${pattern}; stdout: ${out}; stderr: ${err}`)),
      timeoutMs,
    );
    child.stderr!.on('data', (d) => (err += String(d)));
    child.stdout!.on('data', (d) => {
      out += String(d);
      const m = out.match(pattern);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`till exited with ${code}; stdout: ${out}; stderr: ${err}`));
    });
  });
}

async function killed(child: ChildProcess): Promise<void> {
  child.removeAllListeners('exit');
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
}

describe('SQLite across processes', () => {
  it('a till killed inside a sale leaves nothing of that sale, and the file works on', async () => {
    const file = join(dir, 'hang.db');
    const { crm } = await openChain(sqliteStore({ file }));
    const c = await crm.customers.register({ kind: 'individual', name: 'Crash Test' }, CLERK);
    await crm.close();

    const child = startTill(file, 'hang', c.id);
    await waitFor(child, /IN-SALE/);
    // The child is inside its write transaction now: purchase and lines written, not committed.
    await killed(child);

    const store = sqliteStore({ file });
    expect(await store.count(purchasesCollection)).toBe(0);
    expect(await store.count(purchaseLinesCollection)).toBe(0);
    expect(await store.count(outboxCollection, { type: 'purchase.recorded' })).toBe(0);
    expect(await store.count(idempotencyKeys, { command: 'purchases.record' })).toBe(0);
    expect(await store.count(auditLog, { command: 'purchases.record' })).toBe(0);
    const { crm: again } = await reopen(file);
    const sale = await again.purchases.record(
      { storeId: 'S01', terminalId: 'T1', receiptNo: nextReceipt(), customerId: c.id, lines: BASKET },
      { ...CLERK, idempotencyKey: freshKey() },
    );
    expect(sale.lines).toHaveLength(5);
    await again.close();
    await store.close();
  }, 60_000);

  it('sales committed by a till killed at a random moment are whole, and seen by another process', async () => {
    const file = join(dir, 'loop.db');
    const { crm } = await openChain(sqliteStore({ file }));
    const c = await crm.customers.register({ kind: 'individual', name: 'Loop Test' }, CLERK);
    await crm.close();

    const child = startTill(file, 'loop', c.id);
    await waitFor(child, /SOLD 20\b/);
    // While the till keeps selling, this process already sees the committed sales.
    const watcher = sqliteStore({ file });
    expect(await watcher.count(purchasesCollection)).toBeGreaterThanOrEqual(20);
    await watcher.close();
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 40)));
    await killed(child);

    const store = sqliteStore({ file });
    const purchases = (await store.find(purchasesCollection, { limit: 10_000 })).rows;
    expect(purchases.length).toBeGreaterThanOrEqual(20);
    for (const p of purchases) {
      expect(await store.count(purchaseLinesCollection, { purchaseId: p.id })).toBe(5);
      expect(await store.count(timelineCollection, { refId: p.id })).toBe(1);
      expect(await store.count(auditLog, { targetId: p.id })).toBe(1);
    }
    expect(await store.count(outboxCollection, { type: 'purchase.recorded' })).toBe(purchases.length);
    await store.close();
  }, 60_000);
});

async function reopen(file: string) {
  const { createClientele } = await import('@clientele/core');
  const crm = createClientele({ store: sqliteStore({ file }) });
  await crm.migrate();
  return { crm };
}
