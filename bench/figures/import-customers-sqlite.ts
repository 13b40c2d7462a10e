/**
 * `import.customers.sqlite`: members with their cards from a CSV export into SQLite through the
 * `clientele import customers` command (a child process: it parses, maps, validates each row with the
 * one-at-a-time schemas, checks stores, card types and card numbers, and writes batches of 1,000 with
 * their idempotency keys), against raw better-sqlite3 reading the same file with the same parser and
 * inserting the same customer and card rows in transactions of 1,000. Rows per second; the ratio is
 * Clientele's rate over the raw rate (target at least 0.5).
 *
 * `import.customers.rss`: the command's peak resident memory during that import, MiB (target under 300
 * whatever the file's size: the file is streamed, one batch in memory).
 */
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import Database from 'better-sqlite3';
import { parse } from 'csv-parse';
import { DEFAULT_COMPLETENESS, createClientele, ulidGenerator, type JsonValue } from '@clientele/core';
import { cardNumberFor, completenessOf, nameKey } from '@clientele/core/module';
import { sqliteStore } from '@clientele/sqlite';
import { runCli } from '../cli-run.js';
import type { Figure, FigureResult, RunSettings } from '../figure.js';
import { median, round } from '../stats.js';
import { makeTempDir, removeTempDir } from '../temp.js';

const SYSTEM = { actor: { system: 'bench-setup' } } as const;
const TARGET_RATIO = 0.5;
const RSS_LIMIT_MIB = 300;
const BATCH = 1000;

const HEADER =
  'sourceId,customer.name,customer.phone,customer.homeStoreId,cards.0.number,cards.0.typeId,cards.0.storeId';

async function writeExport(file: string, members: number): Promise<void> {
  const out = createWriteStream(file);
  out.write(`${HEADER}\n`);
  for (let i = 0; i < members; i++) {
    const phone = `139${String(i).padStart(8, '0')}`;
    const line = `M${i},会员${i},${phone},${i % 2 ? 'S01' : 'S02'},${cardNumberFor('88', i + 1, 13)},GOLD,S01\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  await new Promise<void>((resolve) => out.end(resolve));
}

async function chainIn(file: string): Promise<void> {
  const crm = createClientele({ store: sqliteStore({ file }) });
  await crm.migrate();
  await crm.stores.create({ id: 'S01', name: 'Renmin Road', region: 'East', timeZone: 'Asia/Shanghai' }, SYSTEM);
  await crm.stores.create({ id: 'S02', name: 'Hillside', region: 'West', timeZone: 'Asia/Shanghai' }, SYSTEM);
  await crm.cards.defineType({ id: 'GOLD', name: 'Gold', prefix: '88', length: 13 }, SYSTEM);
  await crm.close();
}

/** The baseline: the same file, the same parser, the same rows with hand-written inserts; seconds. */
async function rawImport(db: string, csv: string): Promise<number> {
  const started = performance.now();
  const sqlite = new Database(db);
  // The store's own setting: WAL, and every commit synced (its default durability).
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  const insertCustomer = sqlite.prepare(
    `INSERT INTO customers (id, kind, is_customer, is_supplier, status, merged_into, display_name, name_key,
          phone, email, tax_id, region, industry, size_class, home_store_id, profile, tags, consent, attributes,
          completeness, missing, last_verified_at, created_at, updated_at, version)
     VALUES (?, 'individual', 1, 0, 'active', NULL, ?, ?, ?, NULL, NULL, NULL, NULL, NULL, ?, ?, '[]', '{}', '{}',
          ?, ?, NULL, ?, ?, 1)`,
  );
  const insertCard = sqlite.prepare(
    `INSERT INTO cards (number, type_id, customer_id, status, status_reason, issued_store_id, issued_at,
          expires_at, replaces, replaced_by, updated_at, version)
     VALUES (?, ?, ?, 'active', NULL, ?, ?, NULL, NULL, NULL, ?, 1)`,
  );
  const ids = ulidGenerator(() => Date.now());
  const write = sqlite.transaction((rows: Array<Record<string, string>>) => {
    const now = Date.now();
    for (const r of rows) {
      const name = r['customer.name']!;
      const fields: Record<string, JsonValue> = {
        name,
        phone: r['customer.phone']!,
        homeStoreId: r['customer.homeStoreId']!,
      };
      const { score, missing } = completenessOf('individual', fields, DEFAULT_COMPLETENESS);
      const id = ids.next('cus');
      const profile = JSON.stringify({ name, gender: null, birthDate: null, address: null });
      insertCustomer.run(
        id,
        name,
        nameKey(name),
        fields['phone'],
        fields['homeStoreId'],
        profile,
        score,
        JSON.stringify(missing),
        now,
        now,
      );
      insertCard.run(r['cards.0.number'], r['cards.0.typeId'], id, r['cards.0.storeId'], now, now);
    }
  });
  let batch: Array<Record<string, string>> = [];
  for await (const record of createReadStream(csv).pipe(parse({ columns: true }))) {
    batch.push(record as Record<string, string>);
    if (batch.length === BATCH) {
      write(batch);
      batch = [];
    }
  }
  if (batch.length) write(batch);
  sqlite.close();
  return (performance.now() - started) / 1000;
}

interface Measured {
  members: number;
  /** Median over the rounds. */
  clienteleSeconds: number;
  rawSeconds: number;
  rounds: Array<{ clienteleSeconds: number; rawSeconds: number }>;
  peakRssMiB: number;
}

const measured = new Map<boolean, Promise<Measured>>();

/**
 * One measurement for both figures: several rounds, each importing the file into a fresh database both
 * ways, one right after the other in alternating order (the disk's pace drifts between minutes: a raw
 * run alone took from 20 to 70 s on one machine), reported as the medians.
 */
function measure(settings: RunSettings): Promise<Measured> {
  let m = measured.get(settings.quick);
  if (!m) {
    m = (async () => {
      const members = settings.quick ? 20_000 : 1_000_000;
      const roundCount = settings.quick ? 1 : 3;
      const dir = makeTempDir('import-customers');
      try {
        const csv = path.join(dir, 'members.csv');
        settings.log(`  writing a ${members.toLocaleString('en')}-member export`);
        await writeExport(csv, members);
        const rounds: Measured['rounds'] = [];
        let peakRssMiB = 0;
        for (let round = 0; round < roundCount; round++) {
          const cliDb = path.join(dir, `cli-${round}.db`);
          const rawDb = path.join(dir, `raw-${round}.db`);
          await chainIn(cliDb);
          await chainIn(rawDb);
          const raw = async () => {
            settings.log(`  round ${round + 1}: raw better-sqlite3 inserts`);
            return rawImport(rawDb, csv);
          };
          const cli = async () => {
            settings.log(`  round ${round + 1}: clientele import customers`);
            const run = await runCli(['import', 'customers', csv, '--store', `sqlite:${cliDb}`, '--no-progress']);
            if (run.code !== 0) throw new Error(`clientele import exited ${run.code}: ${run.stdout}${run.stderr}`);
            peakRssMiB = Math.max(peakRssMiB, run.peakRssMiB);
            return run.seconds;
          };
          let rawSeconds: number;
          let clienteleSeconds: number;
          if (round % 2 === 0) {
            rawSeconds = await raw();
            clienteleSeconds = await cli();
          } else {
            clienteleSeconds = await cli();
            rawSeconds = await raw();
          }
          rounds.push({ clienteleSeconds, rawSeconds });
          for (const f of [cliDb, rawDb]) for (const end of ['', '-wal', '-shm']) rmSync(`${f}${end}`, { force: true });
        }
        return {
          members,
          clienteleSeconds: median(rounds.map((r) => r.clienteleSeconds)),
          rawSeconds: median(rounds.map((r) => r.rawSeconds)),
          rounds,
          peakRssMiB,
        };
      } finally {
        removeTempDir(dir);
      }
    })();
    measured.set(settings.quick, m);
  }
  return m;
}

export const importCustomersSqlite: Figure = {
  id: 'import.customers.sqlite',
  title: 'members with cards from CSV into SQLite: clientele import vs raw better-sqlite3 batched inserts',
  async run(settings): Promise<FigureResult> {
    const m = await measure(settings);
    const clientele = m.members / m.clienteleSeconds;
    const baseline = m.members / m.rawSeconds;
    return {
      id: 'import.customers.sqlite',
      unit: 'rows/s',
      clientele: round(clientele, 0),
      baseline: round(baseline, 0),
      ratio: round(clientele / baseline, 3),
      higherIsBetter: true,
      target: `>= ${TARGET_RATIO} of the raw rate`,
      met: clientele / baseline >= TARGET_RATIO,
      samples: m.members,
      extra: {
        clienteleSeconds: round(m.clienteleSeconds, 1),
        rawSeconds: round(m.rawSeconds, 1),
        ...Object.fromEntries(
          m.rounds.flatMap((r, i) => [
            [`round${i + 1}ClienteleSeconds`, round(r.clienteleSeconds, 1)],
            [`round${i + 1}RawSeconds`, round(r.rawSeconds, 1)],
          ]),
        ),
      },
      note:
        'the command as a child process, its start-up included; medians of rounds timed one right after the ' +
        'other in alternating order, each into a fresh database',
    };
  },
};

export const importCustomersRss: Figure = {
  id: 'import.customers.rss',
  title: 'peak resident memory of clientele import customers',
  async run(settings): Promise<FigureResult> {
    const m = await measure(settings);
    return {
      id: 'import.customers.rss',
      unit: 'MiB',
      clientele: round(m.peakRssMiB, 0),
      baseline: RSS_LIMIT_MIB,
      ratio: round(m.peakRssMiB / RSS_LIMIT_MIB, 3),
      higherIsBetter: false,
      target: `peak < ${RSS_LIMIT_MIB} MiB`,
      met: m.peakRssMiB > 0 && m.peakRssMiB < RSS_LIMIT_MIB,
      samples: m.members,
      note: 'the highest peak of the rounds',
    };
  },
};
