/**
 * `segments.rebuild.postgres`: seconds to rebuild customer statistics, RFM scores and classes, and
 * segment memberships with `crm.segments.rebuild({ parts: ['stats', 'membership'] })` on PostgreSQL
 * (the server at `CLIENTELE_PG_URL`), against one hand-written SQL statement computing the same RFM
 * figures (recency, frequency and monetary per customer and their quintile scores with `ntile`).
 *
 * The data set is the one of `segments.rebuild.sqlite`, drawn by the same seeded generator (1,000,000
 * customers, about 10,000,000 purchase lines; 20,000 customers with `--quick`). It is written with raw
 * bulk inserts (one array per column) into a fresh schema that Clientele migrated, so tables and
 * indexes are Clientele's own; the secondary indexes are built after the rows. The schema is dropped
 * afterwards. The rebuild is measured twice, each in a process of its own: the first build (no
 * statistics yet) and a nightly rebuild after a further day of sales (1% of customers bought again).
 * The headline is the nightly one; the first build and the peak memory are reported beside it.
 *
 * `SEGMENTS_PG_CUSTOMERS` sets another number of customers (the data set of a full run takes a while
 * to write on a small server).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createClientele } from '@clientele/core';
import { postgresStore } from '@clientele/postgres';
import { segments } from '@clientele/segments';
import type { Figure, FigureResult, RunSettings } from '../figure.js';
import { median, round, seededRandom } from '../stats.js';

const PG_URL = process.env['CLIENTELE_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const SYSTEM = { actor: { system: 'bench' } } as const;
const TARGET_RATIO = 1.5;
const DAY_MS = 86_400_000;
const END = Date.UTC(2026, 9, 1);
const SPAN = 730 * DAY_MS;
const WINDOW_DAYS = 365;

interface Sizes {
  customers: number;
  baselineRuns: number;
}
const FULL: Sizes = { customers: 1_000_000, baselineRuns: 3 };
const QUICK: Sizes = { customers: 20_000, baselineRuns: 1 };

const CATEGORIES = Array.from({ length: 40 }, (_, i) => `cat-${String(i).padStart(2, '0')}`);
/** Customers written per round of statements: about 25,000 purchases and 100,000 lines. */
const CUSTOMERS_PER_BATCH = 10_000;

/** An epoch-millisecond array parameter as `timestamptz`, exactly (integer microseconds, no float). */
const ts = (column: string) => `timestamptz 'epoch' + ${column} * interval '1 millisecond'`;

function statements(schema: string) {
  const s = `"${schema}"`;
  return {
    customers: `INSERT INTO ${s}.customers (id, kind, is_customer, is_supplier, status, merged_into, display_name, name_key, phone, email, tax_id, region, industry, size_class, home_store_id, profile, tags, consent, attributes, completeness, missing, last_verified_at, created_at, updated_at, version)
      SELECT id, kind, true, false, 'active', NULL, dn, nk, NULL, NULL, NULL, region, industry, NULL, home, '{}'::json, '[]'::json, '{}'::json, '{}'::json, 50, '[]'::json, NULL, ${ts('ms')}, ${ts('ms')}, 1
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[]) AS u(id, kind, dn, nk, region, industry, home, ms)`,
    purchases: `INSERT INTO ${s}.purchases (id, store_id, terminal_id, receipt_no, customer_id, card_number, channel, occurred_at, currency, subtotal, discount_total, total, refunded_total, status, line_count, payments, created_at, version)
      SELECT id, store, terminal, id, customer, NULL, 'store', ${ts('ms')}, 'CNY', total, 0, total, 0, 'completed', n, '[]'::json, ${ts('ms')}, 1
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[]) AS u(id, store, terminal, customer, ms, total, n)`,
    lines: `INSERT INTO ${s}.purchase_lines (id, purchase_id, line_no, customer_id, store_id, occurred_at, sku, name, category, brand, quantity_milli, unit_price, discount, amount, returned_milli)
      SELECT id, purchase, line_no, customer, store, ${ts('ms')}, sku, NULL, category, NULL, 1000, price, 0, price, 0
      FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::bigint[]) AS u(id, purchase, line_no, customer, store, ms, sku, category, price)`,
  };
}

/** Column arrays of one batch, in the order of the statements above. */
class Batch {
  customers: unknown[][] = Array.from({ length: 8 }, () => []);
  purchases: unknown[][] = Array.from({ length: 7 }, () => []);
  lines: unknown[][] = Array.from({ length: 9 }, () => []);
}

const push = (columns: unknown[][], ...values: unknown[]) => values.forEach((v, i) => columns[i]!.push(v));

/** The index definitions of the big tables other than their primary keys, which the load drops and builds again afterwards. */
async function secondaryIndexes(client: pg.PoolClient, schema: string): Promise<Array<{ name: string; sql: string }>> {
  const r = await client.query<{ name: string; sql: string }>(
    `SELECT i.indexname AS name, i.indexdef AS sql FROM pg_indexes i
     WHERE i.schemaname = $1 AND i.tablename = ANY($2::text[])
       AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.connamespace = $1::regnamespace)`,
    [schema, ['customers', 'purchases', 'purchase_lines']],
  );
  return r.rows;
}

/**
 * Writes customers, purchases and lines, drawn exactly as `segments.rebuild.sqlite` draws them, a
 * batch of customers per round of three statements; secondary indexes afterwards.
 */
async function buildData(pool: pg.Pool, schema: string, sizes: Sizes, log: (m: string) => void): Promise<{ purchases: number; lines: number }> {
  const client = await pool.connect();
  try {
    // A load that can be written again from scratch needs no flush per statement.
    await client.query('SET synchronous_commit = off');
    await client.query(`SET maintenance_work_mem = '512MB'`);
    const indexes = await secondaryIndexes(client, schema);
    for (const i of indexes) await client.query(`DROP INDEX "${schema}"."${i.name}"`);
    const sql = statements(schema);
    const random = seededRandom(20261101);
    let purchases = 0;
    let lines = 0;
    for (let from = 0; from < sizes.customers; from += CUSTOMERS_PER_BATCH) {
      const b = new Batch();
      for (let i = from; i < Math.min(sizes.customers, from + CUSTOMERS_PER_BATCH); i++) {
        const id = `cus_${String(i).padStart(8, '0')}`;
        const store = `S0${i % 5}`;
        const organisation = i % 50 === 0;
        push(b.customers, id, organisation ? 'organisation' : 'individual', `Member ${i}`, `member ${i}`, `R${i % 7}`, organisation ? `ind-${i % 9}` : null, store, END - SPAN);
        // 15% never bought; the others a skewed number of visits at their own rhythm.
        const visits = random() < 0.15 ? 0 : Math.min(60, Math.floor(-Math.log(1 - random()) * 2.4) + 1);
        const first = END - Math.floor(random() * SPAN);
        const gap = (END - first) / Math.max(1, visits);
        let at = first;
        for (let v = 0; v < visits; v++) {
          const pid = `pur_${String(purchases++).padStart(9, '0')}`;
          const n = 1 + Math.floor(random() * 7);
          let total = 0;
          for (let l = 1; l <= n; l++) {
            const price = 100 + Math.floor(random() * 5000);
            total += price;
            push(b.lines, `${pid}:${l}`, pid, l, id, store, Math.floor(at), `SKU-${Math.floor(random() * 2000)}`, CATEGORIES[Math.floor(random() * random() * CATEGORIES.length)]!, price);
            lines++;
          }
          push(b.purchases, pid, store, 'T1', id, Math.floor(at), total, n);
          at = Math.min(END - 1, at + gap * (0.3 + random() * 1.4));
        }
      }
      await client.query(sql.customers, b.customers);
      if (b.purchases[0]!.length) {
        await client.query(sql.purchases, b.purchases);
        await client.query(sql.lines, b.lines);
      }
      if ((from / CUSTOMERS_PER_BATCH) % 20 === 0) log(`  ${from.toLocaleString('en')} customers, ${lines.toLocaleString('en')} lines`);
    }
    log(`building ${indexes.length} indexes`);
    for (const i of indexes) await client.query(i.sql);
    for (const table of ['customers', 'purchases', 'purchase_lines']) await client.query(`ANALYZE "${schema}"."${table}"`);
    return { purchases, lines };
  } finally {
    client.release();
  }
}

/** One more day of sales for 1% of customers, written raw (the statistics do not know of them). */
async function addDay(pool: pg.Pool, schema: string, sizes: Sizes): Promise<void> {
  const random = seededRandom(7);
  const b = new Batch();
  for (let k = 0; k < sizes.customers / 100; k++) {
    const i = Math.floor(random() * sizes.customers);
    const customer = `cus_${String(i).padStart(8, '0')}`;
    const pid = `pur_day_${k}`;
    const at = END + Math.floor(random() * DAY_MS);
    const total = 100 + Math.floor(random() * 5000);
    push(b.purchases, pid, 'S01', 'T9', customer, at, total, 1);
    push(b.lines, `${pid}:1`, pid, 1, customer, 'S01', at, 'SKU-1', 'cat-00', total);
  }
  const sql = statements(schema);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(sql.purchases, b.purchases);
    await client.query(sql.lines, b.lines);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}

/** The hand-written statement: RFM figures per buying customer and their quintile scores. */
const rfmSql = (schema: string) => `WITH c AS (
  SELECT customer_id, max(occurred_at) AS r,
         sum(CASE WHEN occurred_at >= $1 THEN 1 ELSE 0 END) AS f,
         sum(CASE WHEN occurred_at >= $1 THEN total - refunded_total ELSE 0 END) AS m
  FROM "${schema}".purchases WHERE status = 'completed' AND customer_id IS NOT NULL GROUP BY customer_id)
SELECT customer_id, r, f, m, ntile(5) OVER (ORDER BY r) AS rs, ntile(5) OVER (ORDER BY f) AS fs, ntile(5) OVER (ORDER BY m) AS ms FROM c`;

/** Runs the statement and reads every row, through a cursor as a client streams a large result. */
async function baseline(pool: pg.Pool, schema: string, now: number): Promise<{ seconds: number; rows: number }> {
  const client = await pool.connect();
  try {
    const since = new Date(now - WINDOW_DAYS * DAY_MS);
    const start = process.hrtime.bigint();
    let rows = 0;
    await client.query('BEGIN READ ONLY');
    await client.query({ text: `DECLARE rfm NO SCROLL CURSOR FOR ${rfmSql(schema)}`, values: [since] });
    for (;;) {
      const page = await client.query({ text: 'FETCH 50000 FROM rfm', rowMode: 'array' });
      rows += page.rows.length;
      if (page.rows.length < 50000) break;
    }
    await client.query('COMMIT');
    return { seconds: Number(process.hrtime.bigint() - start) / 1e9, rows };
  } finally {
    client.release();
  }
}

const MIB = 1024 * 1024;
const CHILD = 'SEGMENTS_PG_BENCH_CHILD';

interface ChildTask {
  schema: string;
  now: number;
  define: boolean;
}
interface ChildResult {
  seconds: number;
  written: number;
  joined: number;
  left: number;
  customers: number;
  buyers: number;
  /** Peak resident memory of the whole rebuilding process. */
  maxRssMiB: number;
}

/** One rebuild in a process of its own, so that its memory is measured alone. */
function rebuildInChild(task: ChildTask, log: (m: string) => void): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [], { env: { ...process.env, [CHILD]: JSON.stringify(task) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (m: { progress?: string; result?: ChildResult; error?: string }) => {
      if (m.progress) log(m.progress);
      if (m.result) resolve(m.result);
      if (m.error) reject(new Error(m.error));
    });
    child.on('exit', (code) => (code === 0 ? undefined : reject(new Error(`rebuild process exited with ${code}`))));
  });
}

async function childMain(task: ChildTask): Promise<void> {
  const send = (m: unknown) => process.send!(m);
  const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
  pool.on('error', () => undefined);
  try {
    const crm = createClientele({ store: postgresStore({ pool, schema: task.schema }), clock: { now: () => new Date(task.now) }, modules: [segments({ rfm: { windowDays: WINDOW_DAYS } })] });
    if (task.define) {
      await crm.segments.define({ id: 'at-risk', name: 'At risk', definition: { condition: 'churn-risk' }, policy: { pointsMultiplier: 2 } }, SYSTEM);
      await crm.segments.define({ id: 'champions', name: 'Champions', definition: { condition: 'rfm-group', args: { groups: ['champions', 'loyal'] } }, policy: { serviceLevel: 'priority' } }, SYSTEM);
      await crm.segments.define(
        { id: 'big-organisations', name: 'Large organisations', definition: { all: [{ field: 'kind', op: 'eq', value: 'organisation' }, { any: [{ field: 'valueClass', op: 'eq', value: 'A' }, { field: 'volumeClass', op: 'eq', value: 'large' }] }] }, policy: { freeDelivery: true } },
        SYSTEM,
      );
    }
    let lastLog = 0;
    const start = process.hrtime.bigint();
    const result = await crm.segments.rebuild(
      {
        parts: ['stats', 'membership'],
        onProgress: (p) => {
          const now = Date.now();
          if (now - lastLog > 10_000) {
            lastLog = now;
            send({ progress: `  ${p.part}: ${p.done.toLocaleString('en')}/${p.total.toLocaleString('en')}, ${Math.round(process.memoryUsage().rss / MIB)} MiB` });
          }
        },
      },
      SYSTEM,
    );
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    await crm.close();
    send({ result: { seconds, written: result.written, joined: result.joined, left: result.left, customers: result.customers, buyers: result.thresholds?.buyers ?? 0, maxRssMiB: (process.resourceUsage().maxRSS * 1024) / MIB } satisfies ChildResult });
  } catch (error) {
    send({ error: String((error as Error).stack ?? error) });
  } finally {
    await pool.end();
  }
}

if (process.env[CHILD]) await childMain(JSON.parse(process.env[CHILD]) as ChildTask);

async function run({ quick, log }: RunSettings): Promise<FigureResult> {
  const chosen = Number(process.env['SEGMENTS_PG_CUSTOMERS'] ?? 0);
  const sizes: Sizes = chosen > 0 ? { customers: chosen, baselineRuns: quick ? 1 : 3 } : quick ? QUICK : FULL;
  const schema = `clientele_bench_seg_${process.pid.toString(36)}_${Date.now().toString(36)}`;
  const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
  pool.on('error', () => undefined);
  try {
    const crm = createClientele({ store: postgresStore({ pool, schema }), clock: { now: () => new Date(END) }, modules: [segments({ rfm: { windowDays: WINDOW_DAYS } })] });
    await crm.migrate();
    await crm.close();
    log(`writing ${sizes.customers.toLocaleString('en')} customers and their purchases into schema ${schema}`);
    const loadStart = Date.now();
    const built = await buildData(pool, schema, sizes, log);
    log(`${built.purchases.toLocaleString('en')} purchases, ${built.lines.toLocaleString('en')} lines in ${((Date.now() - loadStart) / 1000).toFixed(0)} s`);

    const base: number[] = [];
    let baseRows = 0;
    for (let i = 0; i < sizes.baselineRuns; i++) {
      const b = await baseline(pool, schema, END);
      base.push(b.seconds);
      baseRows = b.rows;
      log(`baseline statement: ${b.seconds.toFixed(2)} s (${b.rows.toLocaleString('en')} customers)`);
    }

    log('first build (no statistics yet), in a process of its own');
    const first = await rebuildInChild({ schema, now: END, define: true }, log);
    log(`first build: ${first.seconds.toFixed(2)} s, ${first.written.toLocaleString('en')} rows written, ${first.joined.toLocaleString('en')} joined; peak ${first.maxRssMiB.toFixed(0)} MiB`);
    if (first.customers !== sizes.customers) throw new Error(`the rebuild saw ${first.customers} customers, expected ${sizes.customers}`);
    if (first.buyers !== baseRows) throw new Error(`the rebuild scored ${first.buyers} buyers, the statement ${baseRows}`);

    await addDay(pool, schema, sizes);
    const nextDay = END + DAY_MS + 3_600_000;
    log('nightly rebuild (a day later, 1% of customers bought again), in a process of its own');
    const again = await rebuildInChild({ schema, now: nextDay, define: false }, log);
    log(`nightly rebuild: ${again.seconds.toFixed(2)} s, ${again.written.toLocaleString('en')} rows written, ${again.joined} joined, ${again.left} left; peak ${again.maxRssMiB.toFixed(0)} MiB`);
    const nightBase = await baseline(pool, schema, nextDay);
    log(`baseline statement a day later: ${nightBase.seconds.toFixed(2)} s`);

    const baselineSeconds = round(median([...base, nightBase.seconds]), 2);
    const clientele = round(again.seconds, 2);
    const ratio = round(clientele / baselineSeconds, 3);
    return {
      id: 'segments.rebuild.postgres',
      unit: 's',
      clientele,
      baseline: baselineSeconds,
      ratio,
      higherIsBetter: false,
      target: `ratio <= ${TARGET_RATIO}`,
      met: ratio <= TARGET_RATIO,
      extra: {
        customers: sizes.customers,
        purchases: built.purchases,
        lines: built.lines,
        firstBuildSeconds: round(first.seconds, 2),
        firstBuildRatio: round(first.seconds / baselineSeconds, 3),
        firstBuildRowsWritten: first.written,
        firstBuildJoined: first.joined,
        nightlyRowsWritten: again.written,
        nightlyJoined: again.joined,
        nightlyLeft: again.left,
        firstBuildPeakMiB: round(first.maxRssMiB, 0),
        nightlyPeakMiB: round(again.maxRssMiB, 0),
      },
      note: 'nightly rebuild of statistics, RFM, classes, churn and 3 segment memberships from all purchases, on the PostgreSQL server; baseline = one SQL statement with ntile RFM scores, read through a cursor; first build from empty statistics and peak memory in extra',
    };
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await pool.end();
  }
}

export const segmentsRebuildPostgres: Figure = {
  id: 'segments.rebuild.postgres',
  title: 'segments rebuild on PostgreSQL, 1M customers and 10M purchase lines (s)',
  run,
};
