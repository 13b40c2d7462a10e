/**
 * `segments.rebuild.sqlite`: seconds to rebuild customer statistics, RFM scores and classes, and
 * segment memberships with `crm.segments.rebuild({ parts: ['stats', 'membership'] })` on SQLite,
 * against one hand-written SQL statement computing the same RFM figures (recency, frequency and
 * monetary per customer and their quintile scores with `ntile`). `segments.rebuild.rss`: the peak
 * resident memory (MiB) of the process that runs a rebuild (each rebuild runs in a process of its
 * own), against the 1 GiB limit.
 *
 * The data set (1,000,000 customers, about 10,000,000 purchase lines) is written with raw bulk
 * inserts into a database that Clientele migrated, so schema and indexes are Clientele's own; the
 * indexes are built after the rows. Both sides then read the same file. The rebuild is measured
 * twice: the first build (no statistics yet: every row and membership is new) and a nightly rebuild
 * after a further day of sales (1% of customers bought again): the headline is the nightly one, the
 * first build is reported beside it.
 */
import Database from 'better-sqlite3';
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClientele, customersCollection, purchaseLinesCollection, purchasesCollection } from '@clientele/core';
import { segments } from '@clientele/segments';
import { sqliteStore } from '@clientele/sqlite';
import type { Figure, FigureResult, RunSettings } from '../figure.js';
import { median, round, seededRandom } from '../stats.js';
import { makeTempDir, removeTempDir } from '../temp.js';

const SYSTEM = { actor: { system: 'bench' } } as const;
const TARGET_RATIO = 1.5;
const RSS_LIMIT_MIB = 1024;
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

/** Writes customers, purchases and lines with prepared statements in large transactions; indexes afterwards. */
function buildData(file: string, sizes: Sizes, log: (m: string) => void): { purchases: number; lines: number } {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const big = [customersCollection, purchasesCollection, purchaseLinesCollection];
  // Clientele's own index definitions, including the one the segments module adds to purchases.
  const indexes = db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (${big.map(() => '?').join(', ')})`).all(...big.map((c) => c.name)) as Array<{ name: string; sql: string }>;
  for (const i of indexes) db.exec(`DROP INDEX "${i.name}"`);
  const random = seededRandom(20261101);
  const insC = db.prepare(
    `INSERT INTO customers (id, kind, is_customer, is_supplier, status, merged_into, display_name, name_key, phone, email, tax_id, region, industry, size_class, home_store_id, profile, tags, consent, attributes, completeness, missing, last_verified_at, created_at, updated_at, version)
     VALUES (?, ?, 1, 0, 'active', NULL, ?, ?, NULL, NULL, NULL, ?, ?, NULL, ?, '{}', '[]', '{}', '{}', 50, '[]', NULL, ?, ?, 1)`,
  );
  const insP = db.prepare(
    `INSERT INTO purchases (id, store_id, terminal_id, receipt_no, customer_id, card_number, channel, occurred_at, currency, subtotal, discount_total, total, refunded_total, status, line_count, payments, created_at, version)
     VALUES (?, ?, 'T1', ?, ?, NULL, 'store', ?, 'CNY', ?, 0, ?, 0, 'completed', ?, '[]', ?, 1)`,
  );
  const insL = db.prepare(
    `INSERT INTO purchase_lines (id, purchase_id, line_no, customer_id, store_id, occurred_at, sku, name, category, brand, quantity_milli, unit_price, discount, amount, returned_milli)
     VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, NULL, 1000, ?, 0, ?, 0)`,
  );
  let purchases = 0;
  let lines = 0;
  const write = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const id = `cus_${String(i).padStart(8, '0')}`;
      const store = `S0${i % 5}`;
      const organisation = i % 50 === 0;
      insC.run(id, organisation ? 'organisation' : 'individual', `Member ${i}`, `member ${i}`, `R${i % 7}`, organisation ? `ind-${i % 9}` : null, store, END - SPAN, END - SPAN);
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
          insL.run(`${pid}:${l}`, pid, l, id, store, Math.floor(at), `SKU-${Math.floor(random() * 2000)}`, CATEGORIES[Math.floor(random() * random() * CATEGORIES.length)]!, price, price);
          lines++;
        }
        insP.run(pid, store, pid, id, Math.floor(at), total, total, n, Math.floor(at));
        at = Math.min(END - 1, at + gap * (0.3 + random() * 1.4));
      }
    }
  });
  const step = 10_000;
  for (let i = 0; i < sizes.customers; i += step) {
    write(i, Math.min(sizes.customers, i + step));
    if ((i / step) % 20 === 0) log(`  ${i.toLocaleString('en')} customers, ${lines.toLocaleString('en')} lines`);
  }
  log(`building ${indexes.length} indexes`);
  for (const i of indexes) db.exec(i.sql);
  db.exec('ANALYZE');
  db.close();
  return { purchases, lines };
}

/** One more day of sales for 1% of customers, written raw (the statistics do not know of them). */
function addDay(file: string, sizes: Sizes): void {
  const db = new Database(file);
  const random = seededRandom(7);
  const insP = db.prepare(
    `INSERT INTO purchases (id, store_id, terminal_id, receipt_no, customer_id, card_number, channel, occurred_at, currency, subtotal, discount_total, total, refunded_total, status, line_count, payments, created_at, version)
     VALUES (?, 'S01', 'T9', ?, ?, NULL, 'store', ?, 'CNY', ?, 0, ?, 0, 'completed', 1, '[]', ?, 1)`,
  );
  const insL = db.prepare(
    `INSERT INTO purchase_lines (id, purchase_id, line_no, customer_id, store_id, occurred_at, sku, name, category, brand, quantity_milli, unit_price, discount, amount, returned_milli)
     VALUES (?, ?, 1, ?, 'S01', ?, 'SKU-1', NULL, 'cat-00', NULL, 1000, ?, 0, ?, 0)`,
  );
  db.transaction(() => {
    for (let k = 0; k < sizes.customers / 100; k++) {
      const i = Math.floor(random() * sizes.customers);
      const pid = `pur_day_${k}`;
      const at = END + Math.floor(random() * DAY_MS);
      const total = 100 + Math.floor(random() * 5000);
      insP.run(pid, pid, `cus_${String(i).padStart(8, '0')}`, at, total, total, at);
      insL.run(`${pid}:1`, pid, `cus_${String(i).padStart(8, '0')}`, at, total, total);
    }
  })();
  db.close();
}

/** The hand-written statement: RFM figures per buying customer and their quintile scores. */
const RFM_SQL = `WITH c AS (
  SELECT customer_id, max(occurred_at) AS r,
         sum(CASE WHEN occurred_at >= ? THEN 1 ELSE 0 END) AS f,
         sum(CASE WHEN occurred_at >= ? THEN total - refunded_total ELSE 0 END) AS m
  FROM purchases WHERE status = 'completed' AND customer_id IS NOT NULL GROUP BY customer_id)
SELECT customer_id, r, f, m, ntile(5) OVER (ORDER BY r) AS rs, ntile(5) OVER (ORDER BY f) AS fs, ntile(5) OVER (ORDER BY m) AS ms FROM c`;

function baseline(file: string, now: number): { seconds: number; rows: number } {
  const db = new Database(file, { readonly: true });
  try {
    const since = now - WINDOW_DAYS * DAY_MS;
    const start = process.hrtime.bigint();
    let rows = 0;
    for (const _ of db.prepare(RFM_SQL).raw().iterate(since, since)) rows++;
    return { seconds: Number(process.hrtime.bigint() - start) / 1e9, rows };
  } finally {
    db.close();
  }
}

const MIB = 1024 * 1024;
const CHILD = 'SEGMENTS_BENCH_CHILD';

interface ChildTask {
  file: string;
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

/**
 * One rebuild in a process of its own, so its memory is measured alone: the data set was built and
 * the baseline ran in the parent, whose allocator keeps what they used.
 */
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
  try {
    const crm = createClientele({ store: sqliteStore({ file: task.file }), clock: { now: () => new Date(task.now) }, modules: [segments({ rfm: { windowDays: WINDOW_DAYS } })] });
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
          if (now - lastLog > 5000) {
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
  }
}

if (process.env[CHILD]) await childMain(JSON.parse(process.env[CHILD]) as ChildTask);

async function run({ quick, log }: RunSettings): Promise<FigureResult[]> {
  const sizes = quick ? QUICK : FULL;
  const dir = makeTempDir('segments');
  try {
    const file = path.join(dir, 'crm.db');
    const crm = createClientele({ store: sqliteStore({ file }), clock: { now: () => new Date(END) }, modules: [segments({ rfm: { windowDays: WINDOW_DAYS } })] });
    await crm.migrate();
    await crm.close();
    log(`writing ${sizes.customers.toLocaleString('en')} customers and their purchases`);
    const built = buildData(file, sizes, log);
    log(`${built.purchases.toLocaleString('en')} purchases, ${built.lines.toLocaleString('en')} lines`);

    const base: number[] = [];
    let baseRows = 0;
    for (let i = 0; i < sizes.baselineRuns; i++) {
      const b = baseline(file, END);
      base.push(b.seconds);
      baseRows = b.rows;
      log(`baseline statement: ${b.seconds.toFixed(2)} s (${b.rows.toLocaleString('en')} customers)`);
    }

    log('first build (no statistics yet), in a process of its own');
    const first = await rebuildInChild({ file, now: END, define: true }, log);
    log(`first build: ${first.seconds.toFixed(2)} s, ${first.written.toLocaleString('en')} rows written, ${first.joined.toLocaleString('en')} joined; peak ${first.maxRssMiB.toFixed(0)} MiB`);
    if (first.customers !== sizes.customers) throw new Error(`the rebuild saw ${first.customers} customers, expected ${sizes.customers}`);
    if (first.buyers !== baseRows) throw new Error(`the rebuild scored ${first.buyers} buyers, the statement ${baseRows}`);

    addDay(file, sizes);
    const nextDay = END + DAY_MS + 3_600_000;
    log('nightly rebuild (a day later, 1% of customers bought again), in a process of its own');
    const again = await rebuildInChild({ file, now: nextDay, define: false }, log);
    log(`nightly rebuild: ${again.seconds.toFixed(2)} s, ${again.written.toLocaleString('en')} rows written, ${again.joined} joined, ${again.left} left; peak ${again.maxRssMiB.toFixed(0)} MiB`);
    const nightBase = baseline(file, nextDay);
    log(`baseline statement a day later: ${nightBase.seconds.toFixed(2)} s`);

    const baselineSeconds = round(median([...base, nightBase.seconds]), 2);
    const clientele = round(again.seconds, 2);
    const ratio = round(clientele / baselineSeconds, 3);
    const peak = Math.max(first.maxRssMiB, again.maxRssMiB);
    const extra = {
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
    };
    return [
      {
        id: 'segments.rebuild.sqlite',
        unit: 's',
        clientele,
        baseline: baselineSeconds,
        ratio,
        higherIsBetter: false,
        target: `ratio <= ${TARGET_RATIO}`,
        met: ratio <= TARGET_RATIO,
        extra,
        note: 'nightly rebuild of statistics, RFM, classes, churn and 3 segment memberships from all purchases; baseline = one SQL statement with ntile RFM scores; first build from empty statistics in extra',
      },
      {
        id: 'segments.rebuild.rss',
        unit: 'MiB',
        clientele: round(peak, 0),
        baseline: RSS_LIMIT_MIB,
        ratio: round(peak / RSS_LIMIT_MIB, 3),
        higherIsBetter: false,
        target: `peak < ${RSS_LIMIT_MIB} MiB`,
        met: peak < RSS_LIMIT_MIB,
        extra: { firstBuildPeakMiB: round(first.maxRssMiB, 0), nightlyPeakMiB: round(again.maxRssMiB, 0) },
        note: 'peak resident memory of the process that runs the rebuild (first build and nightly, each in its own process), against the 1 GiB limit',
      },
    ];
  } finally {
    removeTempDir(dir);
  }
}

let pending: Promise<FigureResult[]> | null = null;
/** Both figures come from one run over one data set; the second figure reuses the first's run. */
function once(settings: RunSettings): Promise<FigureResult[]> {
  pending ??= run(settings);
  return pending;
}

export const segmentsRebuildSqlite: Figure = {
  id: 'segments.rebuild.sqlite',
  title: 'segments rebuild on SQLite, 1M customers and 10M purchase lines (s)',
  run: async (settings) => (await once(settings))[0]!,
};

export const segmentsRebuildRss: Figure = {
  id: 'segments.rebuild.rss',
  title: 'peak memory of the segments rebuild (MiB)',
  run: async (settings) => (await once(settings))[1]!,
};
