/**
 * The web till's server: central's HTTP API at `/api`, and the till's page, script, service worker,
 * settings and PGlite's files. The script is bundled once, when the app is made.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { clienteleApi } from '@clientele/http';
import { Hono, type Context } from 'hono';
import { bundlePage, pgliteAssets } from './bundle.js';
import { PROGRAM, STORE_ID, TERMINAL_ID, type OpenedCentral } from './central.js';

/** What the till sells: a few lines of the supermarket demo's shelves (prices in fen). */
export const PRODUCTS = [
  { sku: 'MILK-1L', name: 'Milk 1 L', category: 'dairy', unitPrice: 1350 },
  { sku: 'EGGS-10', name: 'Eggs ×10', category: 'fresh-eggs', unitPrice: 1590 },
  { sku: 'RICE-5KG', name: 'Rice 5 kg', category: 'grain', unitPrice: 4990 },
  { sku: 'SOAP-3', name: 'Soap ×3', category: 'household', unitPrice: 2990 },
] as const;

const page = (name: string) => readFileSync(new URL(`../page/${name}`, import.meta.url));

/** A file served gzipped to a browser that takes it (PGlite's 15 MB are 5 MB so), as is otherwise. */
function served(contents: Uint8Array, type: string): (c: Context) => Response {
  const body = new Uint8Array(contents);
  const gzipped = new Uint8Array(gzipSync(body));
  return (c) => {
    const gzip = /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');
    const headers = { 'content-type': type, vary: 'accept-encoding' };
    return gzip ? c.body(gzipped, 200, { ...headers, 'content-encoding': 'gzip' }) : c.body(body, 200, headers);
  };
}

/** Makes the server's app on an opened central. */
export async function webTillApp(central: OpenedCentral): Promise<Hono> {
  const script = await bundlePage();
  const html = page('index.html');
  const worker = page('sw.js');
  const config = {
    terminalId: TERMINAL_ID,
    storeId: STORE_ID,
    apiKey: central.tillKey,
    program: PROGRAM,
    products: PRODUCTS,
    cards: central.cards,
  };
  const app = new Hono();
  app.route('/api', clienteleApi(central.crm, { docs: false }));
  app.get('/', (c) => c.body(html, 200, { 'content-type': 'text/html; charset=utf-8' }));
  app.get('/till.js', served(script, 'text/javascript; charset=utf-8'));
  app.get('/sw.js', (c) => c.body(worker, 200, { 'content-type': 'text/javascript; charset=utf-8' }));
  app.get('/till/config.json', (c) => c.json(config, 200, { 'cache-control': 'no-store' }));
  for (const asset of pgliteAssets()) app.get(`/${asset.name}`, served(asset.body, asset.type));
  return app;
}
