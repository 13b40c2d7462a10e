/**
 * Starts the back office on the supermarket demo's data, on embedded SQLite:
 * `npm start -w @clientele/example-back-office`, then open http://localhost:8090 and sign in (as
 * `lina`, a counter clerk, or `zhaomin`, customer relations; password `demo`).
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { openBackOffice } from './open.js';

const file = process.env['BACK_OFFICE_DB'] ?? fileURLToPath(new URL('../back-office.db', import.meta.url));
const port = Number(process.env['PORT'] ?? 8090);
const secret = process.env['SESSION_SECRET'] ?? randomBytes(32).toString('hex');

const { app, made } = await openBackOffice({ file, secret });
if (made) console.log(`Made ${file} from the supermarket demo.`);
serve({ fetch: app.fetch, port }, () =>
  console.log(`Back office on http://localhost:${port} (sign in as lina or zhaomin, password demo)`),
);
