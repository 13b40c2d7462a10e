/**
 * The back office in Debian's Chromium, on the demo's data in SQLite: a clerk finds a member and is
 * refused an adjustment past the clerk's limit; customer relations take a complaint from open to
 * closed with a remedy; the heat map shows the counts the SDK reports. Each page is screenshotted
 * (test-artifacts/, git-ignored) and checked with axe-core for serious violations. Then, through the
 * app's routes without the browser (on the same data: the demo is run once), the desk's other steps:
 * pausing, resuming and escalating, and the quality station's exchange.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { serve } from '@hono/node-server';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBackOffice, type OpenedBackOffice } from '../src/open.js';
import { LANGUAGE_COOKIE } from '../src/session.js';
import { launchChromium, serveLocally } from '../../../tests/support/chromium.js';

const artefacts = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'clientele-back-office-'));
const CLERK = { actor: { staffId: 'S01-C1' } };
const HQ = { actor: { system: 'test' } };

let opened: OpenedBackOffice;
let server: ReturnType<typeof serve>;
let base = '';
let browser: Browser;
let caseId = '';
let memberId = '';
let signInChecked = false;

beforeAll(async () => {
  mkdirSync(artefacts, { recursive: true });
  opened = await openBackOffice({ file: join(dir, 'back-office.db'), secret: 'test-secret', defaultLocale: 'en' });
  const crm = opened.crm as unknown as {
    customers: { search(q: object, o: object): Promise<{ items: Array<{ id: string }> }> };
    complaints: { open(i: object, o: object): Promise<{ id: string }> };
  };
  memberId = (await crm.customers.search({ phone: '13800138000' }, CLERK)).items[0]!.id;
  caseId = (
    await crm.complaints.open(
      {
        kind: 'complaint',
        channel: 'counter',
        storeId: 'S01',
        customerId: memberId,
        category: 'dairy',
        severity: 'medium',
        description: 'The yoghurt was past its date.',
      },
      CLERK,
    )
  ).id;
  ({ server, base } = await serveLocally(opened.app.fetch));
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  server?.close();
  await opened?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Screenshots the page and fails on any serious or critical axe-core violation. */
async function checkPage(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(artefacts, `${name}.png`), fullPage: true });
  await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => {
    const result = await (
      globalThis as unknown as {
        axe: { run(): Promise<{ violations: Array<{ id: string; impact: string; nodes: unknown[] }> }> };
      }
    ).axe.run();
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.nodes.length})`);
  });
  expect(violations, `${name}: serious accessibility violations`).toEqual([]);
}

async function signIn(login: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${base}/sign-in`);
  if (!signInChecked) await checkPage(page, 'sign-in');
  signInChecked = true;
  await page.fill('#login', login);
  await page.fill('#password', 'demo');
  await Promise.all([page.waitForURL(`${base}/members`), page.click('button[type=submit]')]);
  return page;
}

describe('the back office in a browser', { timeout: 30_000 }, () => {
  it('lets a clerk find a member and refuses, in words, an adjustment past the clerk’s limit', async () => {
    const page = await signIn('lina');
    // The results come as the clerk types (htmx), before any form is sent.
    await page.fill('#q', '138 0013 8000');
    await page.waitForSelector(`#results a[href="/members/${memberId}"]`);
    expect(page.url()).toBe(`${base}/members`);
    await checkPage(page, 'find-member');
    await Promise.all([page.waitForURL(`${base}/members/${memberId}`), page.click(`a[href="/members/${memberId}"]`)]);
    await expect(page.locator('h1').textContent()).resolves.toBe('张伟');
    await checkPage(page, 'member');
    // The clerk is offered the actions the role permits, each with what the role may give alone.
    await expect(page.locator('form[action$="adjust-points"] legend').textContent()).resolves.toContain(
      'you may give up to CN¥20.00 alone',
    );
    await page.fill('#adjust-points', '5000');
    await page.fill('#adjust-reason', 'makes up for a missed sale');
    await Promise.all([page.waitForURL(/refused=/), page.click('form[action$="adjust-points"] button')]);
    const refusal = await page.locator('.notice.refusal').textContent();
    expect(refusal).toContain('above what your role may give alone');
    expect(refusal).toContain('¥50.00');
    expect(refusal).toContain('¥20.00');
    const audit = (
      opened.crm as unknown as {
        audit: { list(q: object, o: object): Promise<{ items: Array<{ command: string; errorCode: string | null }> }> };
      }
    ).audit;
    const refused = (await audit.list({ outcome: 'refused' }, HQ)).items;
    expect(refused.some((r) => r.command === 'loyalty.adjust' && r.errorCode === 'AUTHORITY_EXCEEDED')).toBe(true);
    // In Chinese: the page's texts, and the timeline's lines as the SDK writes them for that language.
    await Promise.all([page.waitForURL(`${base}/members/${memberId}`), page.click('a.lang')]);
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('zh-CN');
    await expect(page.locator('h2#profile').textContent()).resolves.toBe('资料');
    const lines = await page.locator('ol.timeline li').allTextContents();
    expect(lines.some((l) => /购买 \d+ 种商品，共 ¥[\d,]+\.\d\d/.test(l))).toBe(true);
    await checkPage(page, 'member-zh');
    await page.close();
  });

  it('lets customer relations take a complaint from open to closed with a remedy', async () => {
    const page = await signIn('zhaomin');
    await page.goto(`${base}/complaints`);
    await page.waitForSelector(`a[href="/complaints/${caseId}"]`);
    await checkPage(page, 'complaint-desk');
    await page.goto(`${base}/complaints/${caseId}`);
    await checkPage(page, 'complaint-case');
    const step = async (name: string, fill: Record<string, string> = {}) => {
      for (const [selector, value] of Object.entries(fill)) {
        if (selector.startsWith('select')) await page.selectOption(selector.slice(6), value);
        else await page.fill(selector, value);
      }
      await Promise.all([page.waitForURL(/(done|refused)=/), page.click(`form[action$="/${name}"] button`)]);
      const refusal = await page.locator('.notice.refusal').count();
      expect(refusal ? await page.locator('.notice.refusal').textContent() : null, name).toBeNull();
    };
    await step('acknowledge');
    await step('investigate');
    await step('propose', { 'select#remedy-type': 'compensation', '#remedy-amount': '30' });
    if (await page.locator('form[action$="/approve"]').count()) await step('approve');
    await step('accept');
    await step('execute');
    await step('verify');
    await step('close', { 'select#close-cause': 'stale-goods' });
    await expect(page.locator('p.status').textContent()).resolves.toContain('Status: Closed');
    const cx = (
      opened.crm as unknown as {
        complaints: {
          get(id: string, o: object): Promise<{ status: string; remedies: Array<{ amount: number; status: string }> }>;
        };
      }
    ).complaints;
    const closed = await cx.get(caseId, HQ);
    expect(closed.status).toBe('closed');
    expect(closed.remedies).toMatchObject([{ amount: 3000, status: 'executed' }]);
    await checkPage(page, 'complaint-closed');
    await page.close();
  });

  it('shows on the heat map the customers per RFM cell that the SDK reports', async () => {
    const sdk = (opened.crm as unknown as { segments: { match(d: object, o: object): Promise<string[]> } }).segments;
    const expected: Array<[number, number, number]> = [];
    for (let r = 1; r <= 5; r++)
      for (let f = 1; f <= 5; f++) {
        const definition = {
          all: [
            { field: 'rScore', op: 'eq', value: r },
            { field: 'fScore', op: 'eq', value: f },
          ],
        };
        expected.push([f - 1, r - 1, (await sdk.match(definition, HQ)).length]);
      }
    expect(expected.some(([, , n]) => n > 0)).toBe(true);
    const page = await signIn('zhaomin');
    await page.goto(`${base}/segments`);
    await page.waitForSelector('#rfm-chart[data-drawn="true"]');
    const shown = await page.evaluate(() => {
      type Chart = { getOption(): { series: Array<{ data: unknown }> } };
      const { echarts, document } = globalThis as unknown as {
        document: { getElementById(id: string): unknown };
        echarts: { getInstanceByDom(el: unknown): Chart };
      };
      return echarts.getInstanceByDom(document.getElementById('rfm-chart')).getOption().series[0]!.data;
    });
    expect(shown).toEqual(expected);
    await checkPage(page, 'segments');
    await page.close();
  });
});

type CaseView = { id: string; status: string; level: number; sla: { paused: boolean } };
/** The SDK's complaints, to set cases up and check what the forms did. */
const desk = () =>
  (
    opened.crm as unknown as {
      complaints: {
        open(i: object, o: object): Promise<CaseView>;
        get(id: string, o: object): Promise<CaseView>;
        history(id: string, o: object): Promise<Array<{ action: string }>>;
      };
    }
  ).complaints;

/** Signs in through the form; answers the session cookie. */
async function sessionOf(login: string): Promise<string> {
  const reply = await opened.app.request('/sign-in', {
    method: 'POST',
    body: new URLSearchParams({ login, password: 'demo' }),
  });
  expect(reply.status).toBe(303);
  return reply.headers.get('set-cookie')!.split(';')[0]!;
}

/** Sends a step's form; answers where it leads back to, failing on a refusal. */
async function step(cookie: string, caseId: string, name: string, fields: Record<string, string> = {}) {
  const reply = await opened.app.request(`/complaints/${caseId}/${name}`, {
    method: 'POST',
    headers: { cookie },
    body: new URLSearchParams(fields),
  });
  expect(reply.status).toBe(303);
  const location = decodeURIComponent(reply.headers.get('location') ?? '');
  expect(location, name).not.toContain('refused=');
  return location;
}

describe('the complaint desk’s steps', { timeout: 30_000 }, () => {
  it('pauses and resumes a complaint’s clocks, shown on the desk in business time, and escalates it', async () => {
    const clerk = await sessionOf('lina');
    const c = await desk().open(
      {
        kind: 'complaint',
        channel: 'phone',
        storeId: 'S01',
        customerId: memberId,
        category: 'service',
        severity: 'low',
        description: 'Waited twenty minutes at the till.',
      },
      CLERK,
    );
    const queue = await (await opened.app.request('/complaints', { headers: { cookie: clerk } })).text();
    const row = queue.slice(queue.indexOf(`/complaints/${c.id}`));
    expect(row.slice(0, row.indexOf('</tr>'))).toMatch(/\d+ business minutes? left/);
    // The queue the desk reloads every minute is the same part on its own.
    const reloaded = await (await opened.app.request('/complaints/queue', { headers: { cookie: clerk } })).text();
    expect(reloaded).toMatch(/^<div id="queue" hx-get="\/complaints\/queue\?status=open" hx-trigger="every 60s"/);
    expect(reloaded).toContain(`/complaints/${c.id}`);

    await step(clerk, c.id, 'acknowledge');
    await step(clerk, c.id, 'pause', { note: 'Waiting for the receipt number.' });
    expect((await desk().get(c.id, HQ)).sla.paused).toBe(true);
    const paused = await (await opened.app.request(`/complaints/${c.id}`, { headers: { cookie: clerk } })).text();
    expect(paused).toContain('paused (due');
    await step(clerk, c.id, 'resume');
    expect((await desk().get(c.id, HQ)).sla.paused).toBe(false);
    // A clerk may not escalate (the demo's clerk role lacks complaints.escalate): refused in words.
    const refused = await opened.app.request(`/complaints/${c.id}/escalate`, {
      method: 'POST',
      headers: { cookie: clerk },
      body: new URLSearchParams({ note: 'Asks for the manager.' }),
    });
    expect(decodeURIComponent(refused.headers.get('location') ?? '')).toContain(
      'Refused: your role may not do this (complaints.escalate).',
    );
    expect((await desk().get(c.id, HQ)).level).toBe(1);
    await step(await sessionOf('wangqiang'), c.id, 'escalate', { note: 'Asks for the manager.' });
    expect((await desk().get(c.id, HQ)).level).toBe(2);
  });

  it('takes an after-sales exchange through the quality station’s steps to closed', async () => {
    const quality = await sessionOf('liugong');
    const relations = await sessionOf('zhaomin');
    const c = await desk().open(
      {
        kind: 'after-sales',
        request: 'exchange',
        channel: 'counter',
        storeId: 'S01',
        customerId: memberId,
        category: 'appliances',
        severity: 'medium',
        description: 'The rice cooker stopped heating on the third day.',
      },
      { actor: { staffId: 'S01-Q1' } },
    );
    const page = await (await opened.app.request(`/complaints/${c.id}`, { headers: { cookie: quality } })).text();
    expect(page).toContain('Quality station (three guarantees)');
    expect(page).toContain('<dd>Medium</dd>');
    // In Chinese, the module's codes (severity, status) are words too.
    const chinese = await opened.app.request(`/complaints/${c.id}`, {
      headers: { cookie: `${quality}; ${LANGUAGE_COOKIE}=zh-CN` },
    });
    const zh = await chinese.text();
    expect(zh).toContain('<dd>中</dd>');
    expect(zh).toContain('已受理');
    expect(zh).not.toContain('<dd>medium</dd>');
    await step(quality, c.id, 'acknowledge');
    await step(quality, c.id, 'explain', { note: 'A fault within 15 days is exchanged.' });
    await step(quality, c.id, 'mediate');
    await step(quality, c.id, 'rule', { decision: 'exchange', amount: '299.00' });
    await step(quality, c.id, 'execute', { ownerStaffId: 'S01-Q1', task: 'Hand over a new rice cooker' });
    await step(quality, c.id, 'completeTask', { note: 'Handed over and tested.' });
    await step(relations, c.id, 'verify', { note: 'The customer confirms it works.' });
    await step(relations, c.id, 'close', { rootCause: 'faulty-product' });
    expect((await desk().get(c.id, HQ)).status).toBe('closed');
    const actions = (await desk().history(c.id, HQ)).map((h) => h.action);
    expect(actions).toEqual(
      expect.arrayContaining(['acknowledge', 'explain', 'mediate', 'rule', 'execute', 'verify', 'close']),
    );
  });
});
