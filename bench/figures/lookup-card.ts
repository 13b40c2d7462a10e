/**
 * `lookup.card`: p99 latency of `crm.cards.lookup(number)` (the card and its customer) among
 * 1,000,000 members on SQLite, against the two indexed SELECTs a hand-written lookup runs.
 * Clientele reads both rows with one joined statement (the store's `getLinked` push-down).
 *
 * A million members through the public commands would take far too long, so the data set is
 * bulk-inserted with raw statements into Clientele's migrated schema, each row shaped as Clientele
 * writes it (see `columnsOf` in customer-record.ts and `cards.issue`).
 */
import Database from 'better-sqlite3';
import { DEFAULT_COMPLETENESS, createClientele, ulidGenerator, type JsonValue } from '@clientele/core';
import { cardNumberFor, completenessOf, nameKey } from '@clientele/core/module';
import { sqliteStore } from '@clientele/sqlite';
import { statSync } from 'node:fs';
import path from 'node:path';
import type { Figure, FigureResult, RunSettings } from '../figure.js';
import { median, percentile, round, seededRandom, shuffle } from '../stats.js';
import { makeTempDir, removeTempDir } from '../temp.js';

const SYSTEM = { actor: { system: 'bench-setup' } } as const;
const CASHIER = { actor: { staffId: 'S01-C1' } } as const;
const TARGET_P99_US = 50;
const PREFIX = '88';
const CARD_LENGTH = 13;
/** The memory map is sized in steps of 64 MiB. */
const MAP_STEP = 64 * 1024 ** 2;

interface Sizes {
  members: number;
  /** Rows per bulk transaction: big enough to amortise commits, small enough to report progress. */
  batch: number;
  /** Lookups per side after the full warm-up pass, to settle the JIT. */
  warmup: number;
  lookups: number;
  /** Measuring rounds; the figure is the median round's. */
  rounds: number;
}

const FULL: Sizes = { members: 1_000_000, batch: 50_000, warmup: 2_000, lookups: 20_000, rounds: 5 };
const QUICK: Sizes = { members: 20_000, batch: 10_000, warmup: 500, lookups: 2_000, rounds: 3 };

const FAMILY = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', 'Smith', 'Nguyen', 'García', 'Müller'];
const GIVEN = ['芳', '伟', '娜', '敏', '静', '强', '磊', '洋', '艳', '军', 'Anna', 'Li Wei', 'José', 'Karin'];

/** Creates the schema and the few rows a card needs (store, card type) through Clientele itself. */
async function migrate(file: string): Promise<void> {
  const crm = createClientele({ store: sqliteStore({ file }) });
  await crm.migrate();
  await crm.stores.create({ id: 'S01', name: 'Renmin Road', region: 'East', timeZone: 'Asia/Shanghai' }, SYSTEM);
  await crm.stores.create({ id: 'S02', name: 'Hillside', region: 'West', timeZone: 'Asia/Shanghai' }, SYSTEM);
  await crm.cards.defineType({ id: 'GOLD', name: 'Gold', prefix: PREFIX, length: CARD_LENGTH }, SYSTEM);
  // The till's cashier, whose role grants reading cards: each lookup is checked against it.
  await crm.roles.define({ id: 'cashier', name: 'Cashier', permissions: ['cards.read', 'sales.record'] }, SYSTEM);
  await crm.staff.add({ id: 'S01-C1', name: 'Li Na', storeId: 'S01', roleId: 'cashier' }, SYSTEM);
  await crm.close();
}

/** Bulk-inserts `members` individual customers, each with one active Gold card; returns the card numbers. */
function populate(file: string, sizes: Sizes, log: (message: string) => void): string[] {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const insertCustomer = db.prepare(
    `INSERT INTO customers (id, kind, is_customer, is_supplier, status, merged_into, display_name, name_key,
          phone, email, tax_id, region, industry, size_class,
       home_store_id, profile, tags, consent, attributes, completeness, missing, last_verified_at, created_at,
          updated_at, version)
     VALUES (?, 'individual', 1, 0, 'active', NULL, ?, ?, ?, ?, NULL, NULL, NULL, NULL, ?, ?, ?, ?, '{}', ?, ?,
          NULL, ?, ?, 1)`,
  );
  const insertCard = db.prepare(
    `INSERT INTO cards (number, type_id, customer_id, status, status_reason, issued_store_id, issued_at,
          expires_at, replaces, replaced_by, updated_at, version)
     VALUES (?, 'GOLD', ?, 'active', NULL, ?, ?, NULL, NULL, NULL, ?, 1)`,
  );
  const random = seededRandom(20261102);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  // Registration times spread over the last two years, in order, as a real member base grows.
  const start = Date.now() - 2 * 365 * 24 * 3600 * 1000;
  const step = Math.max(1, Math.floor((Date.now() - start) / sizes.members));
  let at = start;
  const ids = ulidGenerator(() => at);
  const numbers: string[] = new Array(sizes.members);

  const insertBatch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      at = start + i * step;
      const name = `${pick(FAMILY)}${pick(GIVEN)}`;
      const fields: Record<string, JsonValue> = {
        name,
        gender: random() < 0.7 ? pick(['female', 'male'] as const) : null,
        birthDate:
          random() < 0.5
            ? `19${50 + Math.floor(random() * 50)}-0${1 + Math.floor(random() * 9)}-1${Math.floor(random() * 9)}`
            : null,
        address: null,
        phone: `1${3 + Math.floor(random() * 6)}${String(i).padStart(9, '0')}`,
        email: random() < 0.3 ? `member${i}@example.com` : null,
        homeStoreId: random() < 0.6 ? 'S01' : 'S02',
        tags: random() < 0.1 ? ['vip'] : [],
        consent: random() < 0.4 ? { sms: true } : {},
      };
      const { score, missing } = completenessOf('individual', fields, DEFAULT_COMPLETENESS);
      const id = ids.next('cus');
      insertCustomer.run(
        id,
        name,
        nameKey(name),
        fields['phone'],
        fields['email'],
        fields['homeStoreId'],
        JSON.stringify({ name, gender: fields['gender'], birthDate: fields['birthDate'], address: null }),
        JSON.stringify(fields['tags']),
        JSON.stringify(fields['consent']),
        score,
        JSON.stringify(missing),
        at,
        at,
      );
      const number = cardNumberFor(PREFIX, i + 1, CARD_LENGTH);
      insertCard.run(number, id, fields['homeStoreId'], at, at);
      numbers[i] = number;
    }
  });

  const began = process.hrtime.bigint();
  for (let from = 0; from < sizes.members; from += sizes.batch) {
    const to = Math.min(sizes.members, from + sizes.batch);
    insertBatch.immediate(from, to);
    if (to % (sizes.batch * 4) === 0 || to === sizes.members) {
      const seconds = Number(process.hrtime.bigint() - began) / 1e9;
      log(
        `inserted ${to.toLocaleString('en-US')} / ${sizes.members.toLocaleString('en-US')} members with cards ` +
          `(${seconds.toFixed(1)} s)`,
      );
    }
  }
  // The card counter as `cards.issue` would have left it, so the data set is consistent.
  db.prepare(
    `INSERT INTO sequences (id, value) VALUES ('card:GOLD', ?) ON CONFLICT (id) DO UPDATE SET value = excluded.value`,
  ).run(sizes.members);
  // Both sides then read from the main file, not from a huge write-ahead log.
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return numbers;
}

function nanoseconds(): bigint {
  return process.hrtime.bigint();
}

async function run({ quick, log }: RunSettings): Promise<FigureResult> {
  const sizes = quick ? QUICK : FULL;
  const dir = makeTempDir('lookup');
  try {
    const file = path.join(dir, 'members.db');
    await migrate(file);
    log(`building ${sizes.members.toLocaleString('en-US')} members with cards (raw bulk inserts)`);
    const numbers = populate(file, sizes, log);

    // A till server for a million members maps the whole file (the store's `mmapBytes`, as the
    // SQLite adapter's README advises for a large member base), so a lookup reads memory instead of
    // making a system call per page; the default 256 MiB covers about half of this file.
    const mmapBytes = Math.ceil(statSync(file).size / MAP_STEP) * MAP_STEP;
    log(`file ${(statSync(file).size / 1024 ** 2).toFixed(0)} MiB, mapped by both sides`);
    const crm = createClientele({ store: sqliteStore({ file, mmapBytes }) });
    await crm.migrate();
    // The baseline reads through its own read-only connection, as Clientele's store does.
    const db = new Database(file, { readonly: true });
    // The same page cache and memory map as the store's own connections, so only the code differs.
    db.pragma(`mmap_size = ${mmapBytes}`);
    db.pragma('cache_size = -16384');
    try {
      const cardByNumber = db.prepare('SELECT * FROM cards WHERE number = ?');
      const customerById = db.prepare('SELECT * FROM customers WHERE id = ?');
      // The baseline: what a hand-written lookup runs, the card and then its customer.
      const rawLookup = (number: string): boolean => {
        const card = cardByNumber.get(number) as { customer_id: string | null } | undefined;
        return (card?.customer_id ? customerById.get(card.customer_id) : undefined) !== undefined;
      };
      // A second reference, shown beside it: the one joined SELECT Clientele's store sends, raw.
      const cardWithCustomer = db.prepare(
        'SELECT * FROM cards LEFT JOIN customers ON customers.id = cards.customer_id WHERE cards.number = ?',
      );
      const rawJoined = (number: string): boolean =>
        (cardWithCustomer.get(number) as { id: string | null } | undefined)?.id != null;
      const clienteleLookup = async (number: string): Promise<boolean> =>
        (await crm.cards.lookup(number, CASHIER)).customer !== null;
      const sides = { clientele: clienteleLookup, raw: rawLookup, joined: rawJoined };
      const names = Object.keys(sides) as Array<keyof typeof sides>;

      const random = seededRandom(7);
      const draw = () => numbers[Math.floor(random() * numbers.length)]!;
      // Steady state of a till server that has run a while: every member looked up once by each
      // side (in random order, through its own connection and memory map), so no side is
      // measured on first-touch page faults another has already paid.
      log(`warming up: every card looked up once by each side, then ${sizes.warmup} more`);
      for (const number of shuffle([...numbers], random)) for (const name of names) await sides[name](number);
      for (let i = 0; i < sizes.warmup; i++) for (const name of names) await sides[name](draw());

      // All sides interleaved in one shuffled sequence, so they share the machine's state (caches, GC);
      // several rounds, each with its own percentiles, and the median round reported, so one burst
      // of outside load on the machine does not decide the figure.
      type Side = keyof typeof sides;
      const rounds: Array<Record<Side, number[]>> = [];
      log(`measuring ${sizes.rounds} rounds of ${sizes.lookups.toLocaleString('en-US')} random lookups by each side`);
      for (let r = 0; r < sizes.rounds; r++) {
        const tasks = shuffle(
          Array.from({ length: names.length * sizes.lookups }, (_, i) => ({
            side: names[i % names.length]!,
            number: draw(),
          })),
          random,
        );
        const times: Record<Side, number[]> = { clientele: [], raw: [], joined: [] };
        for (const { side, number } of tasks) {
          const t0 = nanoseconds();
          const found = await sides[side](number);
          const t1 = nanoseconds();
          if (!found) throw new Error(`card ${number} came back without its customer (${side})`);
          times[side].push(Number(t1 - t0) / 1000);
        }
        rounds.push(times);
      }
      /** The median over rounds of one side's percentile `p`. */
      const figure = (side: Side, p: number) => round(median(rounds.map((times) => percentile(times[side], p))), 1);

      const byRound = (side: Side) => rounds.map((times) => percentile(times[side], 99));
      for (const side of names)
        log(
          `p99 by round, ${side}: ${byRound(side)
            .map((v) => v.toFixed(1))
            .join(', ')} µs`,
        );
      const clientele = figure('clientele', 99);
      const baseline = figure('raw', 99);
      return {
        id: 'lookup.card',
        unit: 'µs',
        clientele,
        baseline,
        ratio: round(clientele / baseline, 3),
        higherIsBetter: false,
        target: `clientele p99 < ${TARGET_P99_US} µs`,
        met: clientele < TARGET_P99_US,
        samples: sizes.rounds * sizes.lookups,
        extra: {
          members: sizes.members,
          rounds: sizes.rounds,
          clienteleP50: figure('clientele', 50),
          baselineP50: figure('raw', 50),
          clienteleP99: clientele,
          baselineP99: baseline,
          clienteleP99Worst: round(Math.max(...byRound('clientele')), 1),
          baselineP99Worst: round(Math.max(...byRound('raw')), 1),
          clienteleP999: figure('clientele', 99.9),
          baselineP999: figure('raw', 99.9),
          rawJoinedP50: figure('joined', 50),
          rawJoinedP99: figure('joined', 99),
        },
        note:
          "median of rounds of each side's p99 over random lookups by card number (card with its " +
          "customer: one joined statement through the store's getLinked); baseline = two indexed SELECTs " +
          'with raw prepared statements on a read-only connection (rawJoined = the one joined SELECT, raw); ' +
          'all sides map the whole file (mmapBytes) and have a 16 MiB page cache',
      };
    } finally {
      db.close();
      await crm.close();
    }
  } finally {
    removeTempDir(dir);
  }
}

export const lookupCard: Figure = { id: 'lookup.card', title: 'card lookup among 1M members (p99 µs)', run };
