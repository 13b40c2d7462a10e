/**
 * The web till in Debian's Chromium: a sale rung up online is on central; offline, three sales are
 * queued in the till's PGlite store in IndexedDB with points pending sync; the page is reloaded while
 * still offline (the service worker serves it, the queue is still there); back online, the till
 * replays, and central has each offline sale exactly once, with the points the online sale earned.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { serve } from '@hono/node-server';
import { purchasesCollection } from '@clientele/core/module';
import { entriesCollection } from '@clientele/loyalty';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webTillApp } from '../src/app.js';
import { TERMINAL_ID, openCentral, type OpenedCentral } from '../src/central.js';
import { CHROMIUM, chromiumPresent, launchChromium, serveLocally } from '../../../tests/support/chromium.js';

const artefacts = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
// Without Chromium the test is skipped with a warning on a workstation; on CI it is installed.
const haveChromium = chromiumPresent() || Boolean(process.env['CI']);
if (!haveChromium)
  console.warn(`web till: ${CHROMIUM} is missing, the browser test is skipped (scripts/install-chromium.sh)`);

let dir = '';
let central: OpenedCentral;
let server: ReturnType<typeof serve>;
let base = '';
let browser: Browser;

beforeAll(async () => {
  if (!haveChromium) return;
  mkdirSync(artefacts, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'clientele-web-till-'));
  central = await openCentral(join(dir, 'central.db'));
  ({ server, base } = await serveLocally((await webTillApp(central)).fetch));
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  server?.close();
  await central?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Waits for the page's till to have started (its store opened, the service worker ready). */
async function ready(page: Page): Promise<void> {
  await page.waitForSelector('body[data-ready="yes"]', { timeout: 60_000 }).catch(async (error: Error) => {
    throw new Error(`${error.message}\npage says: ${await page.locator('#message').textContent()}`);
  });
}

/** Rings up two litres of milk and a box of eggs on `card`; answers the row the sale got. */
async function ringUp(page: Page, card: string, expectStatus: 'recorded' | 'queued'): Promise<string> {
  const before = await page.locator('#sales tbody tr').count();
  await page.fill('#card', card);
  await page.click('button[data-sku="MILK-1L"]');
  await page.click('button[data-sku="MILK-1L"]');
  await page.click('button[data-sku="EGGS-10"]');
  await page.click('#quote');
  await page.waitForSelector('#quote-out p[data-points]');
  const quoted = await page.locator('#quote-out p').getAttribute('data-points');
  await page.click('#record');
  await expect.poll(() => page.locator('#sales tbody tr').count(), { timeout: 20_000 }).toBe(before + 1);
  const row = page.locator('#sales tbody tr').first();
  await expect(row.getAttribute('data-status')).resolves.toBe(expectStatus);
  // The receipt promises what the quote said (nothing for a card the till has not seen online).
  await expect(row.getAttribute('data-points')).resolves.toBe(quoted);
  return (await row.getAttribute('data-receipt'))!;
}

/** Central's sales of the web till, each with the points it earned there. */
async function onCentral(): Promise<Array<{ receiptNo: string; points: number }>> {
  const store = central.crm.store;
  const sales = await store.find(purchasesCollection, { where: { terminalId: TERMINAL_ID }, limit: 100 });
  return Promise.all(
    sales.rows.map(async (p) => {
      const earned = await store.find(entriesCollection, {
        where: { refType: 'purchase', refId: p.id, kind: 'earn' },
        limit: 10,
      });
      return { receiptNo: p.receiptNo, points: earned.rows.reduce((s, e) => s + e.points + e.pendingPoints, 0) };
    }),
  );
}

describe.skipIf(!haveChromium)('the web till in a browser', () => {
  let context: BrowserContext;

  it('queues sales offline in IndexedDB, keeps them over a reload, and records each on central once', {
    timeout: 120_000,
  }, async () => {
    context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(base);
    await ready(page);
    await expect(page.locator('#link').getAttribute('data-state')).resolves.toBe('online');
    const [zhang, li] = central.cards;

    // Online: the sale is on central as it is rung up.
    const online = await ringUp(page, zhang!.number, 'recorded');
    const onlinePoints = Number(await page.locator('#sales tbody tr').first().getAttribute('data-points'));
    expect(onlinePoints).toBeGreaterThan(0);
    expect((await onCentral()).map((s) => s.receiptNo)).toEqual([online]);

    // Offline: three sales queued with points pending sync, none on central.
    await context.setOffline(true);
    await page.waitForSelector('#link[data-state="offline"]');
    const offline = [await ringUp(page, zhang!.number, 'queued')];
    await expect(page.locator('#sales tbody tr').first().getAttribute('data-points')).resolves.toBe(
      String(onlinePoints),
    );
    // A card this till never saw online: queued with its points left to central.
    offline.push(await ringUp(page, li!.number, 'queued'));
    await expect(page.locator('#quote-out p').textContent()).resolves.toContain('not known at this till');
    await expect(page.locator('#sales tbody tr').first().getAttribute('data-points')).resolves.toBe('');
    offline.push(await ringUp(page, zhang!.number, 'queued'));
    await expect
      .poll(() => page.locator('#message').textContent(), { timeout: 20_000 })
      .toContain('points pending sync');
    // The count is drawn after the row: wait for it.
    await expect.poll(() => page.locator('#queued').textContent(), { timeout: 20_000 }).toBe('3');
    await page.screenshot({ path: join(artefacts, 'offline.png'), fullPage: true });
    expect(await onCentral()).toHaveLength(1);

    // Reloaded while still offline: the page comes from the service worker, the queue from IndexedDB.
    await page.reload();
    await ready(page);
    // The count is drawn after the row: wait for it.
    await expect.poll(() => page.locator('#queued').textContent(), { timeout: 20_000 }).toBe('3');
    const queuedRows = await page
      .locator('#sales tbody tr[data-status="queued"]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-receipt')));
    expect(queuedRows.sort()).toEqual([...offline].sort());
    expect(await onCentral()).toHaveLength(1);

    // Online again: the till replays its queue.
    await context.setOffline(false);
    await expect.poll(() => page.locator('#queued').textContent(), { timeout: 20_000 }).toBe('0');
    await page.waitForSelector('#link[data-state="online"]');
    await page.screenshot({ path: join(artefacts, 'synced.png'), fullPage: true });
    const sales = await onCentral();
    const receipts = sales.map((s) => s.receiptNo).sort();
    expect(receipts).toEqual([online, ...offline].sort());
    // Each offline sale once, with the points the same basket earned online.
    for (const receipt of offline) {
      const found = sales.filter((s) => s.receiptNo === receipt);
      expect(found).toHaveLength(1);
      expect(found[0]!.points).toBe(onlinePoints);
    }

    await expect(page.locator('#sales tbody tr[data-status="recorded"]').count()).resolves.toBe(4);

    // Started again online (it replays and refreshes as it starts): nothing is sent twice.
    await page.reload();
    await ready(page);
    await expect.poll(() => page.locator('#queued').textContent(), { timeout: 20_000 }).toBe('0');
    expect(await onCentral()).toHaveLength(4);
    await context.close();
  });
});
