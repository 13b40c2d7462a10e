/**
 * Starts the shop on PostgreSQL: the web server, the relay worker, the mailer worker and the
 * scheduler that runs due work (points expiring, vouchers lapsing), all in this one process.
 *
 *   npm start -w @clientele/example-e-shop
 *
 * Settings from the environment (defaults in brackets): DATABASE_URL
 * [postgres://postgres@127.0.0.1:5432/test], DATABASE_SCHEMA [eshop], NATS_URL
 * [nats://127.0.0.1:4222], PORT [8080], MAIL_DIR [unset: e-mails go to stdout].
 */
import { serve } from '@hono/node-server';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { createClientele } from '@clientele/core';
import { apiKeys } from '@clientele/http';
import { loyalty } from '@clientele/loyalty';
import { postgresStore } from '@clientele/postgres';
import { ensureMailerConsumer, mailbox, startMailer } from './mailer.js';
import { PROGRAM, SHOP, defineShop, type ShopCrm } from './program.js';
import { ensureStream, relayWorker } from './relay-worker.js';
import { shopApp } from './shop.js';

const env = (name: string, fallback: string) => process.env[name] || fallback;
const STREAM = 'ESHOP';
const SUBJECTS = 'eshop';

const pool = new pg.Pool({ connectionString: env('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/test') });
const crm = createClientele({
  store: postgresStore({ pool, schema: env('DATABASE_SCHEMA', 'eshop') }),
  modules: [loyalty(PROGRAM), apiKeys()],
}) as unknown as ShopCrm & { apiKeys: ReturnType<ReturnType<typeof apiKeys>['setup']>['api'] };
await crm.migrate();
await defineShop(crm);

// The first start makes a key for the back office; its token is shown this once.
if ((await crm.apiKeys.list({}, SHOP)).items.length === 0) {
  const { token } = await crm.apiKeys.create(
    {
      name: 'Back office',
      actor: { system: 'back-office' },
      permissions: ['customers.read', 'sales.read', 'loyalty.read', 'loyalty.vouchers.read', 'loyalty.reports'],
    },
    SHOP,
  );
  console.log(`back-office API key (shown once): ${token}`);
}

const nc = await connect({ servers: env('NATS_URL', 'nats://127.0.0.1:4222') });
const jsm = await jetstreamManager(nc);
const js = jetstream(nc);
await ensureStream(jsm, STREAM, SUBJECTS);
await ensureMailerConsumer(jsm, STREAM, SUBJECTS);

const port = Number(env('PORT', '8080'));
const server = serve({ fetch: shopApp(crm).fetch, port });
const relay = relayWorker(crm, js, SUBJECTS).start(2000);
const mailer = await startMailer(crm, js, STREAM, mailbox(process.env['MAIL_DIR']));
const due = setInterval(() => void crm.runDue().catch((error) => console.error('runDue failed', error)), 60_000);
console.log(`shop on http://localhost:${port}/shop, Clientele's API on http://localhost:${port}/crm/docs`);

process.once('SIGINT', () => {
  clearInterval(due);
  relay.stop();
  mailer.stop();
  server.close();
  void nc.drain().then(() => crm.close());
});
