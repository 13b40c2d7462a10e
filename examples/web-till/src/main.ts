/**
 * Starts the web till's server on a SQLite file (made with the demo's chain on first start):
 * `npm start -w @clientele/example-web-till`, then open http://localhost:8091 in a browser.
 */
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { webTillApp } from './app.js';
import { openCentral } from './central.js';

const file = process.env['WEB_TILL_DB'] ?? fileURLToPath(new URL('../central.db', import.meta.url));
const port = Number(process.env['PORT'] ?? 8091);

const central = await openCentral(file);
if (central.made) console.log(`Made ${file} with the demo's store and members.`);
const app = await webTillApp(central);
serve({ fetch: app.fetch, port }, () => {
  console.log(`Web till on http://localhost:${port}`);
  for (const card of central.cards) console.log(`  card ${card.number}  ${card.name}`);
});
