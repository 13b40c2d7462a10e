/**
 * The HTTP benchmarks' clients, in a process of their own (so that they do not share the server's
 * event loop): the parent sends a job over IPC, this process runs it against the API with keep-alive
 * connections and answers with its timings.
 *
 * - `sales`: `terminals` tills at once, each recording `count` sales one after another through
 *   `POST /purchases/record` with an `Idempotency-Key`, as a till does.
 * - `quote`: `count` requests one after another to `path` with `body`.
 */
import http from 'node:http';
import { percentile } from './stats.js';

/** A job the parent sends. */
export type ClientJob =
  | {
      kind: 'sales';
      url: string;
      token: string;
      terminals: number;
      count: number;
      cards: readonly string[];
      /** The sale's fixed part (store and lines); the till fills in terminal, receipt and card. */
      sale: Record<string, unknown>;
    }
  | { kind: 'quote'; url: string; token: string; path: string; body: unknown; count: number };

/** What a job measured: requests per second by the clock, and each request's latency. */
export interface ClientResult {
  rate: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One POST; resolves with the status once the whole answer is read. */
function post(url: URL, path: string, body: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (d: string) => (text += d));
        response.on('end', () =>
          response.statusCode === 200
            ? resolve(200)
            : reject(new Error(`${path}: HTTP ${response.statusCode} ${text.slice(0, 500)}`)),
        );
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** Sales per till, across jobs: receipts and idempotency keys never repeat. */
const sold = new Map<number, number>();

async function run(job: ClientJob): Promise<ClientResult> {
  const url = new URL(job.url);
  const auth = { authorization: `Bearer ${job.token}` };
  const latencies: number[] = [];
  const timed = async (send: () => Promise<number>) => {
    const t = process.hrtime.bigint();
    await send();
    latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
  };
  const start = process.hrtime.bigint();
  if (job.kind === 'sales') {
    await Promise.all(
      Array.from({ length: job.terminals }, async (_, i) => {
        const t = i + 1;
        for (let k = 0; k < job.count; k++) {
          const n = (sold.get(t) ?? 0) + 1;
          sold.set(t, n);
          const terminalId = `T${t}`;
          const body = JSON.stringify({
            ...job.sale,
            terminalId,
            receiptNo: `R${n}`,
            cardNumber: job.cards[(n * job.terminals + t) % job.cards.length],
          });
          await timed(() =>
            post(url, '/purchases/record', body, { ...auth, 'idempotency-key': `till-${terminalId}-sale-${n}` }),
          );
        }
      }),
    );
  } else {
    const body = JSON.stringify(job.body);
    for (let k = 0; k < job.count; k++) await timed(() => post(url, job.path, body, auth));
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return {
    rate: latencies.length / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    requests: latencies.length,
  };
}

process.on('message', (job: ClientJob | { kind: 'exit' }) => {
  if (job.kind === 'exit') {
    agent.destroy();
    process.disconnect();
    return;
  }
  run(job).then(
    (result) => process.send!({ ok: true, result }),
    (error: unknown) => process.send!({ ok: false, error: String((error as Error).stack ?? error) }),
  );
});
