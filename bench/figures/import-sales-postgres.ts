/**
 * `import.sales.postgres`: historic sale lines from a CSV export (four lines a sale) into PostgreSQL
 * through the `clientele import sales` command (a child process: it groups the lines of each sale,
 * validates each sale with `purchases.record`'s schema, checks its store, and writes sales, lines and
 * idempotency keys in batches of 1,000 sales), against raw `pg` reading the same file with the same parser
 * and inserting the same sale and line rows with multi-row INSERTs (no COPY), 1,000 sales a transaction.
 * Sale lines per second; the ratio is Clientele's rate over the raw rate (target at least 0.4).
 *
 * Both sides get their own schema on the server at `CLIENTELE_PG_URL`, migrated by Clientele.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import pg from 'pg';
import { parse } from 'csv-parse';
import { createClientele, ulidGenerator } from '@clientele/core';
import { postgresStore } from '@clientele/postgres';
import { runCli } from '../cli-run.js';
import type { Figure, FigureResult } from '../figure.js';
import { round } from '../stats.js';
import { makeTempDir, removeTempDir } from '../temp.js';

const PG_URL = process.env['CLIENTELE_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const SYSTEM = { actor: { system: 'bench-setup' } } as const;
const TARGET_RATIO = 0.4;
const LINES_PER_SALE = 4;
const SALES_PER_BATCH = 1000;
const CATEGORIES = ['grain', 'dairy', 'meat', 'drinks', 'fresh', 'household'];

const HEADER =
  'sourceId,sale.storeId,sale.terminalId,sale.receiptNo,sale.occurredAt,' +
  'sale.lines.0.sku,sale.lines.0.category,sale.lines.0.quantity,sale.lines.0.unitPrice';

async function writeExport(file: string, lines: number): Promise<void> {
  const out = createWriteStream(file);
  out.write(`${HEADER}\n`);
  const start = Date.parse('2024-01-01T02:00:00Z');
  for (let i = 0; i < lines; i++) {
    const sale = Math.floor(i / LINES_PER_SALE);
    const at = new Date(start + sale * 60_000).toISOString();
    const row =
      `OLD-${sale},${sale % 2 ? 'S01' : 'S02'},POS-${sale % 8},R${sale},${at},` +
      `SKU-${i % 500},${CATEGORIES[i % CATEGORIES.length]},${1 + (i % 3)},${100 + (i % 97) * 10}\n`;
    if (!out.write(row)) await once(out, 'drain');
  }
  await new Promise<void>((resolve) => out.end(resolve));
}

async function chainIn(pool: pg.Pool, schema: string): Promise<void> {
  const crm = createClientele({ store: postgresStore({ pool, schema }) });
  await crm.migrate();
  await crm.stores.create({ id: 'S01', name: 'Renmin Road', region: 'East', timeZone: 'Asia/Shanghai' }, SYSTEM);
  await crm.stores.create({ id: 'S02', name: 'Hillside', region: 'West', timeZone: 'Asia/Shanghai' }, SYSTEM);
}

/** The baseline: the same file and parser, the same sale and line rows, multi-row INSERTs; seconds. */
async function rawImport(pool: pg.Pool, schema: string, csv: string): Promise<number> {
  const started = performance.now();
  const client = await pool.connect();
  const ids = ulidGenerator(() => Date.now());
  type Sale = { key: string; fields: Record<string, string>; lines: Array<Record<string, string>> };
  const write = async (sales: Sale[]) => {
    const now = new Date();
    const saleValues: unknown[] = [];
    const lineValues: unknown[] = [];
    const saleRows: string[] = [];
    const lineRows: string[] = [];
    for (const s of sales) {
      const id = ids.next('pur');
      let total = 0;
      s.lines.forEach((l, i) => {
        const quantityMilli = Number(l['sale.lines.0.quantity']) * 1000;
        const amount = Number(l['sale.lines.0.quantity']) * Number(l['sale.lines.0.unitPrice']);
        total += amount;
        const v = [`${id}:${i + 1}`, id, i + 1, null, s.fields['sale.storeId'], new Date(s.fields['sale.occurredAt']!)];
        v.push(l['sale.lines.0.sku'], null, l['sale.lines.0.category'], null, quantityMilli);
        v.push(Number(l['sale.lines.0.unitPrice']), 0, amount, 0);
        const n = lineValues.length;
        lineRows.push(`(${v.map((_, k) => `$${n + k + 1}`).join(', ')})`);
        lineValues.push(...v);
      });
      const v: unknown[] = [id, s.fields['sale.storeId'], s.fields['sale.terminalId'], s.fields['sale.receiptNo']];
      v.push(null, null);
      v.push('store', new Date(s.fields['sale.occurredAt']!), 'CNY', total, 0, total, 0, 'completed');
      v.push(s.lines.length, '[]', now, 1);
      const n = saleValues.length;
      saleRows.push(`(${v.map((_, k) => `$${n + k + 1}`).join(', ')})`);
      saleValues.push(...v);
    }
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO "${schema}".purchases (id, store_id, terminal_id, receipt_no, customer_id, card_number, channel,
         occurred_at, currency, subtotal, discount_total, total, refunded_total, status, line_count, payments,
         created_at, version) VALUES ${saleRows.join(', ')}`,
      saleValues,
    );
    // A statement takes at most 65,535 parameters: lines go in slices.
    const perLine = 15;
    const slice = Math.floor(60_000 / perLine);
    for (let i = 0; i < lineRows.length; i += slice) {
      const rows = lineRows.slice(i, i + slice);
      const values = lineValues.slice(i * perLine, (i + rows.length) * perLine);
      const renumbered = rows.map(
        (_, r) => `(${Array.from({ length: perLine }, (_, k) => `$${r * perLine + k + 1}`).join(', ')})`,
      );
      await client.query(
        `INSERT INTO "${schema}".purchase_lines (id, purchase_id, line_no, customer_id, store_id, occurred_at, sku,
           name, category, brand, quantity_milli, unit_price, discount, amount, returned_milli)
         VALUES ${renumbered.join(', ')}`,
        values,
      );
    }
    await client.query('COMMIT');
  };
  let batch: Sale[] = [];
  for await (const record of createReadStream(csv).pipe(parse({ columns: true }))) {
    const r = record as Record<string, string>;
    const last = batch[batch.length - 1];
    if (last && last.key === r['sourceId']) {
      last.lines.push(r);
      continue;
    }
    if (batch.length === SALES_PER_BATCH) {
      await write(batch);
      batch = [];
    }
    batch.push({ key: r['sourceId']!, fields: r, lines: [r] });
  }
  if (batch.length) await write(batch);
  client.release();
  return (performance.now() - started) / 1000;
}

export const importSalesPostgres: Figure = {
  id: 'import.sales.postgres',
  title: 'sale lines from CSV into PostgreSQL: clientele import vs raw batched INSERTs',
  async run(settings): Promise<FigureResult> {
    const lines = settings.quick ? 20_000 : 1_000_000;
    const dir = makeTempDir('import-sales');
    const run = `${process.pid.toString(36)}_${Date.now().toString(36)}`;
    const schemas = { cli: `bench_import_cli_${run}`, raw: `bench_import_raw_${run}` };
    const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
    try {
      const csv = path.join(dir, 'sales.csv');
      settings.log(`  writing ${lines.toLocaleString('en')} sale lines`);
      await writeExport(csv, lines);
      await chainIn(pool, schemas.cli);
      await chainIn(pool, schemas.raw);
      settings.log('  raw batched INSERTs');
      const rawSeconds = await rawImport(pool, schemas.raw, csv);
      settings.log('  clientele import sales');
      const url = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schemas.cli}`;
      const cli = await runCli(['import', 'sales', csv, '--store', url, '--no-progress']);
      if (cli.code !== 0) throw new Error(`clientele import exited ${cli.code}: ${cli.stdout}${cli.stderr}`);
      const clientele = lines / cli.seconds;
      const baseline = lines / rawSeconds;
      return {
        id: 'import.sales.postgres',
        unit: 'lines/s',
        clientele: round(clientele, 0),
        baseline: round(baseline, 0),
        ratio: round(clientele / baseline, 3),
        higherIsBetter: true,
        target: `>= ${TARGET_RATIO} of the raw rate`,
        met: clientele / baseline >= TARGET_RATIO,
        samples: lines,
        extra: {
          clienteleSeconds: round(cli.seconds, 1),
          rawSeconds: round(rawSeconds, 1),
          peakRssMiB: round(cli.peakRssMiB, 0),
        },
        note: 'the command as a child process, its start-up included',
      };
    } finally {
      for (const s of Object.values(schemas))
        await pool.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`).catch(() => undefined);
      await pool.end();
      removeTempDir(dir);
    }
  },
};
