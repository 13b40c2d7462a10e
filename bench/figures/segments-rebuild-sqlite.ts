/**
 * `segments.rebuild.sqlite`: seconds to rebuild customer statistics, RFM scores and classes, and
 * segment memberships with `crm.segments.rebuild({ parts: ['stats', 'membership'] })` on SQLite,
 * against one hand-written SQL statement computing the same RFM figures (recency, frequency and
 * monetary per customer and their quintile scores with `ntile`). `segments.rebuild.rss`: the peak
 * resident memory (MiB) of the process that runs a rebuild (each rebuild runs in a process of its
 * own), against the 1 GiB limit.
 *
 * The data set (1,000,000 customers, about 10,000,000 purchase lines; see `bench/segments-dataset.ts`)
 * is written with raw bulk inserts into a database that Clientele migrated, so schema and indexes are
 * Clientele's own; the indexes are built after the rows. Both sides then read the same file. After
 * the first build (no statistics yet: every row and membership is new), each of several rounds adds
 * a further day of sales (1% of customers bought again) and times the statement and the nightly
 * rebuild one right after the other on that data, in alternating order: the headline is the median
 * nightly rebuild against the median statement, with every round's times and the first build in
 * `extra`.
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import { createClientele } from '@clientele/core';
import { customersCollection, purchaseLinesCollection, purchasesCollection } from '@clientele/core/module';
import { segments } from '@clientele/segments';
import { sqliteStore } from '@clientele/sqlite';
import { figuresOfOneRun, type FigureResult, type RunSettings } from '../figure.js';
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
import { makeTempDir, removeTempDir } from '../temp.js';

const RSS_LIMIT_MIB = 1024;
const CHILD = 'SEGMENTS_BENCH_CHILD';

/** Prepared inserts of drawn rows into the data set's tables. */
function sqliteSink(db: Database.Database): DataSink {
  const insC = db.prepare(
    `INSERT INTO customers (id, kind, is_customer, is_supplier, status, merged_into, display_name, name_key,
          phone, email, tax_id, region, industry, size_class, home_store_id, profile, tags, consent, attributes,
          completeness, missing, last_verified_at, created_at, updated_at, version)
     VALUES (?, ?, 1, 0, 'active', NULL, ?, ?, NULL, NULL, NULL, ?, ?, NULL, ?, '{}', '[]', '{}', '{}', 50, '[]',
          NULL, ?, ?, 1)`,
  );
  const insP = db.prepare(
    `INSERT INTO purchases (id, store_id, terminal_id, receipt_no, customer_id, card_number, channel, occurred_at,
          currency, subtotal, discount_total, total, refunded_total, status, line_count, payments, created_at, version)
     VALUES (?, ?, ?, ?, ?, NULL, 'store', ?, 'CNY', ?, 0, ?, 0, 'completed', ?, '[]', ?, 1)`,
  );
  const insL = db.prepare(
    `INSERT INTO purchase_lines (id, purchase_id, line_no, customer_id, store_id, occurred_at, sku, name,
          category, brand, quantity_milli, unit_price, discount, amount, returned_milli)
     VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, NULL, 1000, ?, 0, ?, 0)`,
  );
  return {
    customer: (c) =>
      insC.run(c.id, c.kind, c.displayName, c.nameKey, c.region, c.industry, c.homeStoreId, c.createdAt, c.createdAt),
    purchase: (p) =>
      insP.run(p.id, p.storeId, p.terminalId, p.id, p.customerId, p.at, p.total, p.total, p.lineCount, p.at),
    line: (l) =>
      insL.run(l.id, l.purchaseId, l.lineNo, l.customerId, l.storeId, l.at, l.sku, l.category, l.price, l.price),
  };
}

/** Writes customers, purchases and lines in large transactions; indexes afterwards. */
export function buildData(file: string, sizes: Sizes, log: (m: string) => void): { purchases: number; lines: number } {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const big = [customersCollection, purchasesCollection, purchaseLinesCollection];
  // Clientele's own index definitions, including the one the segments module adds to purchases.
  const indexes = db
    .prepare(
      `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ` +
        `(${big.map(() => '?').join(', ')})`,
    )
    .all(...big.map((c) => c.name)) as Array<{ name: string; sql: string }>;
  for (const i of indexes) db.exec(`DROP INDEX "${i.name}"`);
  const draw = new DataSetDraw();
  const sink = sqliteSink(db);
  const write = db.transaction((from: number, to: number) => draw.customers(from, to, sink));
  const step = 10_000;
  for (let i = 0; i < sizes.customers; i += step) {
    write(i, Math.min(sizes.customers, i + step));
    if ((i / step) % 20 === 0) log(`  ${i.toLocaleString('en')} customers, ${draw.lines.toLocaleString('en')} lines`);
  }
  log(`building ${indexes.length} indexes`);
  for (const i of indexes) db.exec(i.sql);
  db.exec('ANALYZE');
  db.close();
  return { purchases: draw.purchases, lines: draw.lines };
}

/** The further day of sales number `day`, written raw (the statistics do not know of them). */
export function addDay(file: string, sizes: Sizes, day: number): void {
  const db = new Database(file);
  const sink = sqliteSink(db);
  db.transaction(() => drawNextDay(sizes, sink, day))();
  db.close();
}

export function baseline(file: string, now: number): { seconds: number; rows: number } {
  const db = new Database(file, { readonly: true });
  try {
    const since = windowStart(now);
    const start = process.hrtime.bigint();
    let rows = 0;
    for (const _ of db.prepare(rfmStatement('purchases', '?')).raw().iterate(since, since)) rows++;
    return { seconds: Number(process.hrtime.bigint() - start) / 1e9, rows };
  } finally {
    db.close();
  }
}

await serveRebuildChild<string>(
  CHILD,
  (task) => ({
    crm: createClientele({
      store: sqliteStore({ file: task.where }),
      clock: { now: () => new Date(task.now) },
      modules: [segments(SEGMENTS_CONFIG)],
    }),
  }),
  5000,
);

async function run({ quick, log }: RunSettings): Promise<FigureResult[]> {
  const sizes = quick ? QUICK : FULL;
  const dir = makeTempDir('segments');
  try {
    const file = path.join(dir, 'crm.db');
    const crm = createClientele({
      store: sqliteStore({ file }),
      clock: { now: () => new Date(END) },
      modules: [segments(SEGMENTS_CONFIG)],
    });
    await crm.migrate();
    await crm.close();
    log(`writing ${sizes.customers.toLocaleString('en')} customers and their purchases`);
    const built = buildData(file, sizes, log);
    log(`${built.purchases.toLocaleString('en')} purchases, ${built.lines.toLocaleString('en')} lines`);

    const m = await measureRebuilds(
      sizes,
      {
        baseline: async (now) => baseline(file, now),
        rebuild: (now, define) => rebuildInChild(import.meta.url, CHILD, { where: file, now, define }, log),
        addDay: async (day) => addDay(file, sizes, day),
      },
      log,
    );
    const peak = Math.max(m.first.maxRssMiB, ...m.rounds.map((r) => r.nightly.maxRssMiB));
    return [
      nightlyFigure(
        'segments.rebuild.sqlite',
        m,
        { customers: sizes.customers, purchases: built.purchases, lines: built.lines, ...m.extra },
        'nightly rebuild of statistics, RFM, classes, churn and 3 segment memberships from all purchases ' +
          '(thresholds kept within the default tolerance, 1% of the buyers); ' +
          'baseline = one SQL statement with ntile RFM scores; medians of alternating rounds on the same ' +
          'data; per-round times and first build from empty statistics in extra',
      ),
      {
        id: 'segments.rebuild.rss',
        unit: 'MiB',
        clientele: round(peak, 0),
        baseline: RSS_LIMIT_MIB,
        ratio: round(peak / RSS_LIMIT_MIB, 3),
        higherIsBetter: false,
        target: `peak < ${RSS_LIMIT_MIB} MiB`,
        met: peak < RSS_LIMIT_MIB,
        extra: {
          firstBuildPeakMiB: round(m.first.maxRssMiB, 0),
          nightlyPeakMiB: round(Math.max(...m.rounds.map((r) => r.nightly.maxRssMiB)), 0),
        },
        note:
          'peak resident memory of the process that runs the rebuild (first build and nightly, each in ' +
          'its own process), against the 1 GiB limit',
      },
    ];
  } finally {
    removeTempDir(dir);
  }
}

/** Both figures come from one run over one data set. */
export const [segmentsRebuildSqlite, segmentsRebuildRss] = figuresOfOneRun(run, [
  { id: 'segments.rebuild.sqlite', title: 'segments rebuild on SQLite, 1M customers and 10M purchase lines (s)' },
  { id: 'segments.rebuild.rss', title: 'peak memory of the segments rebuild (MiB)' },
]);
