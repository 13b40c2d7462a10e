/**
 * `http.checkout.postgres.8`: sales per second when eight tills record 5-line member sales at the
 * same time through the HTTP API (`POST /purchases/record` with an API key and an `Idempotency-Key`),
 * against the same sales recorded in process through the SDK (`crm.purchases.record`) on the same
 * PostgreSQL server. The target is at least 0.7 of the in-process rate; the p99 latency of a sale is
 * printed beside each.
 *
 * The tills over HTTP run in a second process (`bench/http-client.ts`) with keep-alive connections,
 * so they do not share the server's event loop; the API is served by `@hono/node-server` in this
 * process. Each side has its own schema, set up in the same way, with the sale shape of
 * `checkout.postgres.8`.
 */
import pg from 'pg';
import { createClientele, type Clientele } from '@clientele/core';
import { apiKeys, type ApiKeysApi } from '@clientele/http';
import { postgresStore } from '@clientele/postgres';
import { BASKET, CLERK, STORE, SYSTEM, addMembers, alternateRounds, openShop, type Member } from '../checkout.js';
import type { Figure, FigureResult, RunSettings } from '../figure.js';
import { clientProcess, serveApi } from '../http.js';
import { median, percentile, round } from '../stats.js';

const PG_URL = process.env['CLIENTELE_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const TERMINALS = 8;
const TARGET_RATIO = 0.7;

interface Sizes {
  members: number;
  warmup: number;
  rounds: number;
  salesPerTerminal: number;
}
const FULL: Sizes = { members: 1000, warmup: 50, rounds: 5, salesPerTerminal: 200 };
const QUICK: Sizes = { members: 40, warmup: 5, rounds: 3, salesPerTerminal: 20 };

/** What one round of one side measured. */
interface Round {
  rate: number;
  p99Ms: number;
}

/** The shop and `members` carded members, with the keys module installed on both sides alike. */
async function setUpChain(pool: pg.Pool, schema: string, members: number) {
  const crm = createClientele({
    store: postgresStore({ pool, schema }),
    modules: [apiKeys()],
  }) as unknown as Clientele & {
    apiKeys: ApiKeysApi;
  };
  await openShop(crm, ['customers.write', 'cards.issue', 'sales.*']);
  return { crm, members: await addMembers(crm, members, TERMINALS) };
}

/** Eight tills in process, each selling `count` sales one after another; sales per second and p99. */
function sdkTills(crm: Clientele, members: readonly Member[]) {
  const sold = new Map<number, number>();
  return async (count: number): Promise<Round> => {
    const latencies: number[] = [];
    const start = process.hrtime.bigint();
    const outcomes = await Promise.allSettled(
      Array.from({ length: TERMINALS }, async (_, i) => {
        const t = i + 1;
        for (let k = 0; k < count; k++) {
          const n = (sold.get(t) ?? 0) + 1;
          sold.set(t, n);
          const member = members[(n * TERMINALS + t) % members.length]!;
          const began = process.hrtime.bigint();
          await crm.purchases.record(
            { storeId: STORE, terminalId: `T${t}`, receiptNo: `R${n}`, cardNumber: member.cardNumber, lines: BASKET },
            { actor: CLERK, idempotencyKey: `till-T${t}-sale-${n}` },
          );
          latencies.push(Number(process.hrtime.bigint() - began) / 1e6);
        }
      }),
    );
    const failed = outcomes.find((o) => o.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return { rate: latencies.length / seconds, p99Ms: percentile(latencies, 99) };
  };
}

async function run({ quick, log }: RunSettings): Promise<FigureResult> {
  const sizes = quick ? QUICK : FULL;
  const tag = `${process.pid.toString(36)}_${Date.now().toString(36)}`;
  const schemas = { http: `clientele_bench_h_${tag}`, sdk: `clientele_bench_s_${tag}` };
  const pool = new pg.Pool({ connectionString: PG_URL, max: TERMINALS * 2 });
  pool.on('error', () => undefined);
  const client = clientProcess();
  let api: Awaited<ReturnType<typeof serveApi>> | null = null;
  try {
    log(`setting up two identical chains with ${sizes.members} carded members each (${Object.values(schemas)})`);
    const viaHttp = await setUpChain(pool, schemas.http, sizes.members);
    const inProcess = await setUpChain(pool, schemas.sdk, sizes.members);
    const { token } = await viaHttp.crm.apiKeys.create({ name: 'Bench tills', actor: CLERK }, SYSTEM);
    api = await serveApi(viaHttp.crm);
    const { url } = api;
    const sale = { storeId: STORE, lines: BASKET };
    const cards = viaHttp.members.map((m) => m.cardNumber);
    const httpTills = async (count: number): Promise<Round> => {
      const r = await client.run({ kind: 'sales', url, token, terminals: TERMINALS, count, cards, sale });
      return { rate: r.rate, p99Ms: r.p99Ms };
    };
    const sdk = sdkTills(inProcess.crm, inProcess.members);

    log(`warming up: ${sizes.warmup} sales per terminal each`);
    await httpTills(sizes.warmup);
    await sdk(sizes.warmup);
    const measured = await alternateRounds(
      sizes.rounds,
      (side) => (side === 'clientele' ? httpTills(sizes.salesPerTerminal) : sdk(sizes.salesPerTerminal)),
      (r, m) =>
        log(
          `round ${r + 1}/${sizes.rounds}: HTTP ${Math.round(m.clientele.rate)} sales/s (p99 ` +
            `${round(m.clientele.p99Ms, 1)} ms), in process ${Math.round(m.raw.rate)} sales/s (p99 ` +
            `${round(m.raw.p99Ms, 1)} ms)`,
        ),
    );

    // Both sides recorded every sale once.
    const expected = TERMINALS * (sizes.warmup + sizes.rounds * sizes.salesPerTerminal);
    for (const schema of Object.values(schemas)) {
      const { n } = (await pool.query(`SELECT count(*)::int AS n FROM "${schema}".purchases`)).rows[0];
      if (n !== expected) throw new Error(`${schema}: ${n} sales recorded, ${expected} sent`);
    }
    await viaHttp.crm.close();
    await inProcess.crm.close();

    const clientele = round(median(measured.clientele.map((m) => m.rate)), 0);
    const baseline = round(median(measured.raw.map((m) => m.rate)), 0);
    const ratio = round(clientele / baseline, 3);
    return {
      id: 'http.checkout.postgres.8',
      unit: 'sales/s',
      clientele,
      baseline,
      ratio,
      higherIsBetter: true,
      target: `ratio >= ${TARGET_RATIO}`,
      met: ratio >= TARGET_RATIO,
      samples: sizes.salesPerTerminal * TERMINALS,
      extra: {
        terminals: TERMINALS,
        rounds: sizes.rounds,
        members: sizes.members,
        httpP99Ms: round(median(measured.clientele.map((m) => m.p99Ms)), 1),
        inProcessP99Ms: round(median(measured.raw.map((m) => m.p99Ms)), 1),
      },
      note:
        'median of rounds; 8 tills at once, each a 5-line member sale with card, staff key and idempotency key; ' +
        'clientele = through the HTTP API from a second process (keep-alive), baseline = the same sales through ' +
        'the SDK in process; p99 = median over rounds of each round’s p99 latency of one sale',
    };
  } finally {
    client.close();
    await api?.close();
    for (const schema of Object.values(schemas))
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await pool.end();
  }
}

export const httpCheckoutPostgres: Figure = {
  id: 'http.checkout.postgres.8',
  title: 'checkout through the HTTP API on PostgreSQL, 8 tills at once, against the SDK in process (sales/s)',
  run,
};
