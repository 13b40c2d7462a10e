/**
 * The web till in the browser: `createTill` with its own store in PGlite, persisted in IndexedDB,
 * and central over HTTP. Sales are rung up on central while it answers, else queued in IndexedDB
 * with points pending sync, and replayed when the browser is back online.
 */
import { PGlite } from '@electric-sql/pglite';
import { createClient } from '@clientele/http';
import { postgresStore, type PostgresStore } from '@clientele/postgres';
import { createTill, httpCentral, opsCollection, type Till } from '@clientele/till';
import type { ProgramInput } from '@clientele/loyalty';

/** What the server tells the page (`/till/config.json`, kept by the service worker for offline starts). */
interface TillConfig {
  terminalId: string;
  storeId: string;
  apiKey: string;
  program: ProgramInput;
  products: Array<{ sku: string; name: string; category: string; unitPrice: number }>;
  cards: Array<{ number: string; name: string }>;
}

type Line = { sku: string; category: string; quantity: number; unitPrice: number };

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const yuan = (fen: number) => `¥${(fen / 100).toFixed(2)}`;
const basket = new Map<string, Line>();
let till: Till;
/** The till's own store, read for the list of sales. */
let local: PostgresStore;
let config: TillConfig;

function say(text: string): void {
  $('message').textContent = text;
}

/** The link as the page sees it: the browser's own view, and whether the last sync reached central. */
function showLink(state: 'online' | 'offline' | 'syncing'): void {
  const el = $('link');
  el.dataset['state'] = state;
  el.textContent = state === 'online' ? 'Online' : state === 'offline' ? 'Offline: sales are queued' : 'Syncing…';
}

function renderBasket(): void {
  const list = $('lines');
  list.replaceChildren();
  let total = 0;
  for (const line of basket.values()) {
    const product = config.products.find((p) => p.sku === line.sku)!;
    const li = document.createElement('li');
    li.textContent = `${line.quantity} × ${product.name} ${yuan(line.unitPrice * line.quantity)}`;
    list.append(li);
    total += line.unitPrice * line.quantity;
  }
  $('total').textContent = `Total ${yuan(total)}`;
}

const STATUS: Record<string, string> = {
  recorded: 'recorded',
  queued: 'queued · points pending sync',
  refused: 'refused by central: to reconcile',
  cancelled: 'cancelled',
};

/** The till's log, newest first: what central has and what is still queued. */
async function renderSales(): Promise<void> {
  const page = await local.find(opsCollection, { orderBy: [{ field: 'seq', direction: 'desc' }], limit: 20 });
  const body = $('sales').querySelector('tbody')!;
  body.replaceChildren();
  for (const op of page.rows) {
    const sale = op.sale as { receiptNo: string; cardNumber?: string; lines: Line[] };
    const tr = document.createElement('tr');
    tr.dataset['receipt'] = sale.receiptNo;
    tr.dataset['status'] = op.status;
    tr.dataset['points'] = String(op.quotedPoints ?? '');
    const total = sale.lines.reduce((sum, l) => sum + l.unitPrice * l.quantity, 0);
    for (const text of [
      sale.receiptNo,
      sale.cardNumber ?? '—',
      yuan(total),
      op.quotedPoints === null ? '—' : String(op.quotedPoints),
      STATUS[op.status] ?? op.status,
    ]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    body.append(tr);
  }
  $('queued').textContent = String(await till.queued());
}

function saleInput(): { cardNumber?: string; lines: Line[] } {
  const card = $<HTMLInputElement>('card').value.replace(/\s+/g, '');
  return { ...(card ? { cardNumber: card } : {}), lines: [...basket.values()] };
}

async function quote(): Promise<void> {
  const input = saleInput();
  const out = $('quote-out');
  out.replaceChildren();
  const head = document.createElement('p');
  // A card this till has never seen online: it cannot know the member, central will work the points out.
  if (input.cardNumber && !(await till.lookup(input.cardNumber))) {
    head.dataset['points'] = '';
    head.textContent =
      'This card is not known at this till yet: its points are worked out when the sale reaches central.';
    out.append(head);
    return;
  }
  const q = await till.quote(input);
  head.dataset['points'] = String(q.points);
  head.textContent = `This sale earns ${q.points} points.`;
  const why = document.createElement('ul');
  for (const text of q.explanation) {
    const li = document.createElement('li');
    li.textContent = text;
    why.append(li);
  }
  out.append(head, why);
}

async function record(): Promise<void> {
  const receipt = await till.ringUp(saleInput());
  const points = receipt.points === null ? '' : `: ${receipt.points} points`;
  say(
    receipt.status === 'recorded'
      ? `Sale ${receipt.receiptNo} recorded${points}.`
      : `Sale ${receipt.receiptNo} queued${points} (${receipt.notice}).`,
  );
  basket.clear();
  renderBasket();
  showLink(receipt.status === 'recorded' ? 'online' : 'offline');
  await renderSales();
}

let syncing = false;
/** Replays the queue when the browser says it is online; the till stops at the first unanswered sale. */
async function sync(): Promise<void> {
  if (syncing || !navigator.onLine) return;
  syncing = true;
  try {
    showLink('syncing');
    const result = await till.sync();
    showLink(result.online ? 'online' : 'offline');
  } catch (error) {
    say(`Sync failed: ${(error as Error).message}`);
  } finally {
    syncing = false;
    await renderSales();
  }
}

/** Runs a handler, saying in words what went wrong. */
const guarded = (fn: () => Promise<void>) => () =>
  void fn().catch((error: unknown) => say((error as Error).message ?? String(error)));

async function start(): Promise<void> {
  if ('serviceWorker' in navigator) await navigator.serviceWorker.register('/sw.js');
  config = (await (await fetch('/till/config.json')).json()) as TillConfig;
  $('terminal').textContent = `${config.storeId} / ${config.terminalId}`;
  const options = $('demo-cards');
  for (const card of config.cards) {
    const option = document.createElement('option');
    option.value = card.number;
    option.label = card.name;
    options.append(option);
  }
  for (const product of config.products) {
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset['sku'] = product.sku;
    button.textContent = `${product.name} ${yuan(product.unitPrice)}`;
    button.addEventListener('click', () => {
      const line = basket.get(product.sku);
      if (line) line.quantity++;
      else
        basket.set(product.sku, {
          sku: product.sku,
          category: product.category,
          quantity: 1,
          unitPrice: product.unitPrice,
        });
      renderBasket();
    });
    $('products').append(button);
  }

  // The till's own store: PostgreSQL in WebAssembly, its files kept in IndexedDB.
  const pglite = await PGlite.create({ dataDir: `idb://clientele-till-${config.storeId}-${config.terminalId}` });
  local = postgresStore({ pglite });
  const central = httpCentral(createClient(new URL('/api', location.href).href, { apiKey: config.apiKey }), {
    program: config.program,
  });
  till = await createTill({
    terminalId: config.terminalId,
    storeId: config.storeId,
    local,
    central,
    retryAfterMs: 2000,
  });

  $('quote').addEventListener('click', guarded(quote));
  $('record').addEventListener('click', guarded(record));
  $('clear').addEventListener('click', () => {
    basket.clear();
    renderBasket();
  });
  window.addEventListener('online', () => void sync());
  window.addEventListener('offline', () => showLink('offline'));
  // While anything is queued and the browser thinks it is online, try again now and then.
  setInterval(() => void till.queued().then((n) => (n > 0 ? sync() : undefined)), 5000);

  renderBasket();
  if (navigator.onLine) await sync();
  else showLink('offline');
  await renderSales();
  if ('serviceWorker' in navigator) await navigator.serviceWorker.ready;
  document.body.dataset['ready'] = 'yes';
}

void start().catch((error: unknown) => say(`The till could not start: ${(error as Error).message}`));
