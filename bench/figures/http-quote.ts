/**
 * `http.quote`: the p99 latency of a points quote for a member's basket through the HTTP API
 * (`POST /loyalty/quote-for`: the member's context read from the store, then the quote), sent one
 * after another from a second process, beside the same quote through the SDK in process
 * (`crm.loyalty.quoteFor`) on the same PostgreSQL schema. The target, 10 ms, is what a till can
 * wait for at every scan without the cashier noticing.
 */
import pg from 'pg';
import { createClientele, type Clientele } from '@clientele/core';
import { apiKeys, type ApiKeysApi } from '@clientele/http';
import { loyalty, type LoyaltyApi } from '@clientele/loyalty';
import { postgresStore } from '@clientele/postgres';
import { BASKET, CLERK, STORE, SYSTEM, addMembers, alternateRounds, openShop } from '../checkout.js';
import type { Figure, FigureResult, RunSettings } from '../figure.js';
import { clientProcess, serveApi } from '../http.js';
import { median, percentile, round } from '../stats.js';

const PG_URL = process.env['CLIENTELE_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const TARGET_P99_MS = 10;

interface Sizes {
  warmup: number;
  rounds: number;
  quotes: number;
}
const FULL: Sizes = { warmup: 500, rounds: 5, quotes: 2000 };
const QUICK: Sizes = { warmup: 20, rounds: 3, quotes: 100 };

/** One point per yuan; double on dairy. */
const PROGRAM = {
  id: 'bench',
  timeZone: 'Asia/Shanghai',
  earn: [
    { id: 'base', name: 'Everything', kind: 'per-spend' as const, every: 100 },
    { id: 'dairy', name: 'Dairy', kind: 'multiplier' as const, factor: 2, when: { category: ['dairy'] } },
  ],
};

interface Round {
  p99Ms: number;
  p50Ms: number;
}

async function run({ quick, log }: RunSettings): Promise<FigureResult> {
  const sizes = quick ? QUICK : FULL;
  const schema = `clientele_bench_q_${process.pid.toString(36)}_${Date.now().toString(36)}`;
  const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
  pool.on('error', () => undefined);
  const client = clientProcess();
  let api: Awaited<ReturnType<typeof serveApi>> | null = null;
  try {
    const crm = createClientele({
      store: postgresStore({ pool, schema }),
      modules: [loyalty(PROGRAM), apiKeys()],
    }) as unknown as Clientele & { loyalty: LoyaltyApi; apiKeys: ApiKeysApi };
    await openShop(crm, ['customers.write', 'cards.issue', 'sales.*', 'loyalty.read']);
    const [member] = await addMembers(crm, 1);
    const { token } = await crm.apiKeys.create({ name: 'Bench till', actor: CLERK }, SYSTEM);
    api = await serveApi(crm);
    const context = { customerId: member!.customerId, storeId: STORE };
    const basket = { lines: BASKET };
    const points = (await crm.loyalty.quoteFor(context, basket, { actor: CLERK })).points;
    log(`schema ${schema}: a 5-line basket earns ${points} points`);

    const { url } = api;
    const viaHttp = async (count: number): Promise<Round> => {
      const r = await client.run({
        kind: 'quote',
        url,
        token,
        path: '/loyalty/quote-for',
        body: { context, basket },
        count,
      });
      return { p99Ms: r.p99Ms, p50Ms: r.p50Ms };
    };
    const inProcess = async (count: number): Promise<Round> => {
      const latencies: number[] = [];
      for (let i = 0; i < count; i++) {
        const t = process.hrtime.bigint();
        await crm.loyalty.quoteFor(context, basket, { actor: CLERK });
        latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
      return { p99Ms: percentile(latencies, 99), p50Ms: percentile(latencies, 50) };
    };

    await viaHttp(sizes.warmup);
    await inProcess(sizes.warmup);
    const measured = await alternateRounds(
      sizes.rounds,
      (side) => (side === 'clientele' ? viaHttp(sizes.quotes) : inProcess(sizes.quotes)),
      (r, m) =>
        log(
          `round ${r + 1}/${sizes.rounds}: ` +
            `HTTP p99 ${round(m.clientele.p99Ms, 2)} ms (p50 ${round(m.clientele.p50Ms, 2)}), ` +
            `in process p99 ${round(m.raw.p99Ms, 2)} ms (p50 ${round(m.raw.p50Ms, 2)})`,
        ),
    );
    await crm.close();

    const clientele = round(median(measured.clientele.map((m) => m.p99Ms)), 2);
    const baseline = round(median(measured.raw.map((m) => m.p99Ms)), 2);
    return {
      id: 'http.quote',
      unit: 'ms',
      clientele,
      baseline,
      ratio: round(clientele / baseline, 3),
      higherIsBetter: false,
      target: `p99 < ${TARGET_P99_MS} ms`,
      met: clientele < TARGET_P99_MS,
      samples: sizes.quotes,
      extra: {
        rounds: sizes.rounds,
        httpP50Ms: round(median(measured.clientele.map((m) => m.p50Ms)), 2),
        inProcessP50Ms: round(median(measured.raw.map((m) => m.p50Ms)), 2),
        points,
      },
      note:
        'median over rounds of each round’s p99; one request at a time from a second process (keep-alive), ' +
        'staff key; baseline = crm.loyalty.quoteFor in process on the same schema',
    };
  } finally {
    client.close();
    await api?.close();
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await pool.end();
  }
}

export const httpQuote: Figure = {
  id: 'http.quote',
  title: 'a points quote through the HTTP API on PostgreSQL: p99 latency (ms)',
  run,
};
