/**
 * `segments.rebuild.postgres`: seconds to rebuild customer statistics, RFM scores and classes, and
 * segment memberships with `crm.segments.rebuild({ parts: ['stats', 'membership'] })` on PostgreSQL
 * (the server at `CLIENTELE_PG_URL`), against one hand-written SQL statement computing the same RFM
 * figures (recency, frequency and monetary per customer and their quintile scores with `ntile`).
 *
 * The data set is the one of `segments.rebuild.sqlite`, drawn by the same seeded generator (1,000,000
 * customers, about 10,000,000 purchase lines; 20,000 customers with `--quick`; see
 * `bench/segments-dataset.ts`). It is written with raw bulk inserts (one array per column) into a
 * fresh schema that Clientele migrated, so tables and indexes are Clientele's own; the secondary
 * indexes are built after the rows, then the tables vacuumed and analysed, as after any bulk load.
 * The schema is dropped afterwards. After the first build (no statistics yet), each of several rounds
 * first does what autovacuum would do in the day (the tables past its thresholds vacuumed: the
 * statistics tables declare a threshold for their nightly rewrite), then adds a further day of sales
 * (1% of customers bought again) and times the statement and the nightly rebuild (each rebuild in a
 * process of its own) one right after the other on that data, in alternating order. The headline is
 * the median nightly rebuild against the median statement; every round's times, the first build and
 * the peak memory are in `extra`.
 *
 * `SEGMENTS_PG_CUSTOMERS` sets another number of customers (the data set of a full run takes a while
 * to write on a small server).
 */
import pg from 'pg';
import { createClientele } from '@clientele/core';
import { postgresStore } from '@clientele/postgres';
import { segments } from '@clientele/segments';
import type { Figure, FigureResult, RunSettings } from '../figure.js';
import {
  DataSetDraw,
  END,
  FULL,
  QUICK,
  drawNextDay,
  rfmStatement,
  windowStart,
  type DataSink,
  type Sizes,
} from '../segments-dataset.js';
import {
  SEGMENTS_CONFIG,
  measureRebuilds,
  nightlyFigure,
  rebuildInChild,
  serveRebuildChild,
} from '../segments-rebuild.js';
import { round } from '../stats.js';

const PG_URL = process.env['CLIENTELE_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const CHILD = 'SEGMENTS_PG_BENCH_CHILD';
/** Customers written per round of statements: about 25,000 purchases and 100,000 lines. */
const CUSTOMERS_PER_BATCH = 10_000;

/** An epoch-millisecond array parameter as `timestamptz`, exactly (integer microseconds, no float). */
const ts = (column: string) => `timestamptz 'epoch' + ${column} * interval '1 millisecond'`;

function statements(schema: string) {
  const s = `"${schema}"`;
  return {
    customers: `INSERT INTO ${s}.customers (id, kind, is_customer, is_supplier, status, merged_into, display_name,
          name_key, phone, email, tax_id, region, industry, size_class, home_store_id, profile, tags, consent,
          attributes, completeness, missing, last_verified_at, created_at, updated_at, version)
      SELECT id, kind, true, false, 'active', NULL, dn, nk, NULL, NULL, NULL, region, industry, NULL, home,
          '{}'::json, '[]'::json, '{}'::json, '{}'::json, 50, '[]'::json, NULL, ${ts('ms')}, ${ts('ms')}, 1
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
          $8::bigint[]) AS u(id, kind, dn, nk, region, industry, home, ms)`,
    purchases: `INSERT INTO ${s}.purchases (id, store_id, terminal_id, receipt_no, customer_id, card_number,
          channel, occurred_at, currency, subtotal, discount_total, total, refunded_total, status, line_count,
          payments, created_at, version)
      SELECT id, store, terminal, id, customer, NULL, 'store', ${ts('ms')}, 'CNY', total, 0, total, 0,
          'completed', n, '[]'::json, ${ts('ms')}, 1
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[],
          $7::bigint[]) AS u(id, store, terminal, customer, ms, total, n)`,
    lines: `INSERT INTO ${s}.purchase_lines (id, purchase_id, line_no, customer_id, store_id, occurred_at, sku,
          name, category, brand, quantity_milli, unit_price, discount, amount, returned_milli)
      SELECT id, purchase, line_no, customer, store, ${ts('ms')}, sku, NULL, category, NULL, 1000, price, 0, price, 0
      FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::text[],
          $8::text[], $9::bigint[]) AS u(id, purchase, line_no, customer, store, ms, sku, category, price)`,
  };
}

/** Column arrays of one batch, in the order of the statements above. */
class Batch implements DataSink {
  customers: unknown[][] = Array.from({ length: 8 }, () => []);
  purchases: unknown[][] = Array.from({ length: 7 }, () => []);
  lines: unknown[][] = Array.from({ length: 9 }, () => []);

  customer(c: Parameters<DataSink['customer']>[0]): void {
    push(this.customers, c.id, c.kind, c.displayName, c.nameKey, c.region, c.industry, c.homeStoreId, c.createdAt);
  }
  purchase(p: Parameters<DataSink['purchase']>[0]): void {
    push(this.purchases, p.id, p.storeId, p.terminalId, p.customerId, p.at, p.total, p.lineCount);
  }
  line(l: Parameters<DataSink['line']>[0]): void {
    push(this.lines, l.id, l.purchaseId, l.lineNo, l.customerId, l.storeId, l.at, l.sku, l.category, l.price);
  }
}

const push = (columns: unknown[][], ...values: unknown[]) => values.forEach((v, i) => columns[i]!.push(v));

/**
 * The index definitions of the big tables other than their primary keys, which the load drops and builds again
 * afterwards.
 */
async function secondaryIndexes(client: pg.PoolClient, schema: string): Promise<Array<{ name: string; sql: string }>> {
  const r = await client.query<{ name: string; sql: string }>(
    `SELECT i.indexname AS name, i.indexdef AS sql FROM pg_indexes i
     WHERE i.schemaname = $1 AND i.tablename = ANY($2::text[])
       AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                       WHERE c.conname = i.indexname AND c.connamespace = $1::regnamespace)`,
    [schema, ['customers', 'purchases', 'purchase_lines']],
  );
  return r.rows;
}

/**
 * Writes customers, purchases and lines, a batch of customers per round of three statements; secondary indexes
 * afterwards.
 */
export async function buildData(
  pool: pg.Pool,
  schema: string,
  sizes: Sizes,
  log: (m: string) => void,
): Promise<{ purchases: number; lines: number }> {
  const client = await pool.connect();
  try {
    // A load that can be written again from scratch needs no flush per statement.
    await client.query('SET synchronous_commit = off');
    await client.query(`SET maintenance_work_mem = '512MB'`);
    const indexes = await secondaryIndexes(client, schema);
    for (const i of indexes) await client.query(`DROP INDEX "${schema}"."${i.name}"`);
    const sql = statements(schema);
    const draw = new DataSetDraw();
    for (let from = 0; from < sizes.customers; from += CUSTOMERS_PER_BATCH) {
      const b = new Batch();
      draw.customers(from, Math.min(sizes.customers, from + CUSTOMERS_PER_BATCH), b);
      await client.query(sql.customers, b.customers);
      if (b.purchases[0]!.length) {
        await client.query(sql.purchases, b.purchases);
        await client.query(sql.lines, b.lines);
      }
      if ((from / CUSTOMERS_PER_BATCH) % 20 === 0)
        log(`  ${from.toLocaleString('en')} customers, ${draw.lines.toLocaleString('en')} lines`);
    }
    log(`building ${indexes.length} indexes`);
    for (const i of indexes) await client.query(i.sql);
    // As after any bulk load: statistics, and the visibility map that index-only scans need (the
    // statement reads the table whole and needs neither).
    for (const table of ['customers', 'purchases', 'purchase_lines'])
      await client.query(`VACUUM (ANALYZE) "${schema}"."${table}"`);
    return { purchases: draw.purchases, lines: draw.lines };
  } finally {
    client.release();
  }
}

/** The further day of sales number `day`, written raw (the statistics do not know of them). */
export async function addDay(pool: pg.Pool, schema: string, sizes: Sizes, day: number): Promise<void> {
  const b = new Batch();
  drawNextDay(sizes, b, day);
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

/** PostgreSQL's autovacuum thresholds at their defaults: a base number of rows and a share of the table. */
const AUTOVACUUM_DEFAULTS = {
  autovacuum_vacuum_threshold: 50,
  autovacuum_vacuum_scale_factor: 0.2,
  autovacuum_vacuum_insert_threshold: 1000,
  autovacuum_vacuum_insert_scale_factor: 0.2,
  autovacuum_analyze_threshold: 50,
  autovacuum_analyze_scale_factor: 0.1,
};

/**
 * What autovacuum does in the day between two nights, done at once so that every round starts alike:
 * each table of the schema whose dead, inserted or changed rows have passed autovacuum's thresholds
 * (the defaults, or the table's own settings, as the statistics tables set for their nightly rewrite)
 * is vacuumed or analysed as autovacuum would, and no other. Returns the tables it cleaned up.
 */
export async function settle(pool: pg.Pool, schema: string): Promise<string[]> {
  const { rows } = await pool.query<{
    table: string;
    dead: string;
    inserted: string;
    changed: string;
    tuples: number;
    options: string[] | null;
  }>(
    `SELECT s.relname AS table, s.n_dead_tup AS dead, s.n_ins_since_vacuum AS inserted,
            s.n_mod_since_analyze AS changed, greatest(c.reltuples, 0) AS tuples, c.reloptions AS options
       FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
      WHERE s.schemaname = $1`,
    [schema],
  );
  const vacuumed: string[] = [];
  for (const r of rows) {
    const own = Object.fromEntries((r.options ?? []).map((o) => o.split('=') as [string, string]));
    const setting = (name: keyof typeof AUTOVACUUM_DEFAULTS) => Number(own[name] ?? AUTOVACUUM_DEFAULTS[name]);
    type Setting = keyof typeof AUTOVACUUM_DEFAULTS;
    const past = (count: string, threshold: Setting, scale: Setting) =>
      Number(count) > setting(threshold) + setting(scale) * r.tuples;
    const vacuum =
      past(r.dead, 'autovacuum_vacuum_threshold', 'autovacuum_vacuum_scale_factor') ||
      past(r.inserted, 'autovacuum_vacuum_insert_threshold', 'autovacuum_vacuum_insert_scale_factor');
    const analyze = past(r.changed, 'autovacuum_analyze_threshold', 'autovacuum_analyze_scale_factor');
    const table = `"${schema}"."${r.table}"`;
    if (vacuum) await pool.query(`VACUUM ${analyze ? '(ANALYZE) ' : ''}${table}`);
    else if (analyze) await pool.query(`ANALYZE ${table}`);
    if (vacuum || analyze) vacuumed.push(`${r.table}${vacuum ? '' : ' (analysed)'}`);
  }
  return vacuumed;
}

/** Runs the statement and reads every row, through a cursor as a client streams a large result. */
export async function baseline(pool: pg.Pool, schema: string, now: number): Promise<{ seconds: number; rows: number }> {
  const client = await pool.connect();
  try {
    const since = new Date(windowStart(now));
    const start = process.hrtime.bigint();
    let rows = 0;
    await client.query('BEGIN READ ONLY');
    await client.query({
      text: `DECLARE rfm NO SCROLL CURSOR FOR ${rfmStatement(`"${schema}".purchases`, '$1')}`,
      values: [since],
    });
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

await serveRebuildChild<string>(
  CHILD,
  (task) => {
    const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
    pool.on('error', () => undefined);
    return {
      crm: createClientele({
        store: postgresStore({ pool, schema: task.where }),
        clock: { now: () => new Date(task.now) },
        modules: [segments(SEGMENTS_CONFIG)],
      }),
      dispose: () => pool.end(),
    };
  },
  10_000,
);

async function run({ quick, log }: RunSettings): Promise<FigureResult> {
  const chosen = Number(process.env['SEGMENTS_PG_CUSTOMERS'] ?? 0);
  const sizes: Sizes =
    chosen > 0 ? { customers: chosen, rounds: quick ? QUICK.rounds : FULL.rounds } : quick ? QUICK : FULL;
  const schema = `clientele_bench_seg_${process.pid.toString(36)}_${Date.now().toString(36)}`;
  const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
  pool.on('error', () => undefined);
  try {
    const crm = createClientele({
      store: postgresStore({ pool, schema }),
      clock: { now: () => new Date(END) },
      modules: [segments(SEGMENTS_CONFIG)],
    });
    await crm.migrate();
    await crm.close();
    log(`writing ${sizes.customers.toLocaleString('en')} customers and their purchases into schema ${schema}`);
    const loadStart = Date.now();
    const built = await buildData(pool, schema, sizes, log);
    const loadSeconds = ((Date.now() - loadStart) / 1000).toFixed(0);
    const loaded = `${built.purchases.toLocaleString('en')} purchases, ${built.lines.toLocaleString('en')} lines`;
    log(`${loaded} in ${loadSeconds} s`);

    const m = await measureRebuilds(
      sizes,
      {
        baseline: (now) => baseline(pool, schema, now),
        rebuild: (now, define) => rebuildInChild(import.meta.url, CHILD, { where: schema, now, define }, log),
        addDay: (day) => addDay(pool, schema, sizes, day),
        settle: () => settle(pool, schema),
      },
      log,
    );
    return nightlyFigure(
      'segments.rebuild.postgres',
      m,
      {
        customers: sizes.customers,
        purchases: built.purchases,
        lines: built.lines,
        ...m.extra,
        firstBuildPeakMiB: round(m.first.maxRssMiB, 0),
        nightlyPeakMiB: round(Math.max(...m.rounds.map((r) => r.nightly.maxRssMiB)), 0),
      },
      'nightly rebuild of statistics, RFM, classes, churn and 3 segment memberships from all purchases ' +
        '(thresholds kept within the default tolerance, 1% of the buyers), on ' +
        'the PostgreSQL server; baseline = one SQL statement with ntile RFM scores, read through a cursor; ' +
        "medians of alternating rounds on the same data (before each night, the tables past autovacuum's " +
        'thresholds vacuumed, as autovacuum would in the day); per-round times, first build from empty statistics ' +
        'and peak memory in extra',
    );
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
