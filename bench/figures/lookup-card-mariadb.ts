/**
 * `lookup.card.mariadb`: p99 latency of `crm.cards.lookup(number)` (the card and its customer) among
 * 1,000,000 members on MariaDB, against the two indexed SELECTs a hand-written lookup runs with raw
 * mysql2 prepared statements. Clientele reads both rows with one joined statement (the store's
 * `getLinked` push-down); the raw joined SELECT is shown beside it.
 *
 * A million members through the public commands would take far too long, so the data set is
 * bulk-inserted with multi-row raw statements into Clientele's migrated database, each row shaped as
 * Clientele writes it (see `columnsOf` in customer-record.ts and `cards.issue`). The database is on the
 * server at `CLIENTELE_MYSQL_URL`, of its own, and dropped afterwards.
 */
import mysql from 'mysql2/promise';
import { DEFAULT_COMPLETENESS, createClientele, ulidGenerator, type JsonValue } from '@clientele/core';
import { cardNumberFor, completenessOf, nameKey } from '@clientele/core/module';
import { mysqlStore } from '@clientele/mysql';
import type { Figure, FigureResult, RunSettings } from '../figure.js';
import { median, percentile, round, seededRandom, shuffle } from '../stats.js';

const MYSQL_URL = process.env['CLIENTELE_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/';
const SYSTEM = { actor: { system: 'bench-setup' } } as const;
const CASHIER = { actor: { staffId: 'S01-C1' } } as const;
/** Clientele's lookup at most twice the raw pair of SELECTs at the 99th percentile. */
const TARGET_RATIO = 2;
const PREFIX = '88';
const CARD_LENGTH = 13;

interface Sizes {
  members: number;
  /** Rows per multi-row INSERT (each statement its own transaction). */
  batch: number;
  /** Lookups per side before measuring, to load the pages and settle the JIT. */
  warmup: number;
  lookups: number;
  /** Measuring rounds; the figure is the median round's. */
  rounds: number;
}

const FULL: Sizes = { members: 1_000_000, batch: 2_000, warmup: 20_000, lookups: 10_000, rounds: 5 };
const QUICK: Sizes = { members: 20_000, batch: 2_000, warmup: 1_000, lookups: 1_000, rounds: 3 };

const FAMILY = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', 'Smith', 'Nguyen', 'García', 'Müller'];
const GIVEN = ['芳', '伟', '娜', '敏', '静', '强', '磊', '洋', '艳', '军', 'Anna', 'Li Wei', 'José', 'Karin'];

const CUSTOMER_COLUMNS =
  'id, kind, is_customer, is_supplier, status, merged_into, display_name, name_key, phone, email, tax_id, ' +
  'region, industry, size_class, home_store_id, profile, tags, consent, attributes, completeness, missing, ' +
  'last_verified_at, created_at, updated_at, version';
const CARD_COLUMNS =
  'number, type_id, customer_id, status, status_reason, issued_store_id, issued_at, expires_at, replaces, ' +
  'replaced_by, updated_at, version';

/** Creates the schema and the few rows a card needs (stores, card type, the cashier) through Clientele itself. */
async function migrate(pool: mysql.Pool, database: string): Promise<void> {
  const crm = createClientele({ store: mysqlStore({ pool, database }) });
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
async function populate(
  pool: mysql.Pool,
  database: string,
  sizes: Sizes,
  log: (message: string) => void,
): Promise<string[]> {
  const d = `\`${database}\``;
  const random = seededRandom(20261102);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  // Registration times spread over the last two years, in order, as a real member base grows.
  const start = Date.now() - 2 * 365 * 24 * 3600 * 1000;
  const step = Math.max(1, Math.floor((Date.now() - start) / sizes.members));
  let at = start;
  const ids = ulidGenerator(() => at);
  const numbers: string[] = new Array(sizes.members);
  const began = process.hrtime.bigint();
  for (let from = 0; from < sizes.members; from += sizes.batch) {
    const to = Math.min(sizes.members, from + sizes.batch);
    const customers: unknown[][] = [];
    const cards: unknown[][] = [];
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
      customers.push([
        id,
        'individual',
        1,
        0,
        'active',
        null,
        name,
        nameKey(name),
        fields['phone'],
        fields['email'],
        null,
        null,
        null,
        null,
        fields['homeStoreId'],
        JSON.stringify({ name, gender: fields['gender'], birthDate: fields['birthDate'], address: null }),
        JSON.stringify(fields['tags']),
        JSON.stringify(fields['consent']),
        '{}',
        score,
        JSON.stringify(missing),
        null,
        at,
        at,
        1,
      ]);
      const number = cardNumberFor(PREFIX, i + 1, CARD_LENGTH);
      cards.push([number, 'GOLD', id, 'active', null, fields['homeStoreId'], at, null, null, null, at, 1]);
      numbers[i] = number;
    }
    // `query` (not `execute`) expands the nested arrays into one multi-row VALUES list.
    await pool.query(`INSERT INTO ${d}.customers (${CUSTOMER_COLUMNS}) VALUES ?`, [customers]);
    await pool.query(`INSERT INTO ${d}.cards (${CARD_COLUMNS}) VALUES ?`, [cards]);
    if (to % (sizes.batch * 50) === 0 || to === sizes.members) {
      const seconds = Number(process.hrtime.bigint() - began) / 1e9;
      log(
        `inserted ${to.toLocaleString('en-US')} / ${sizes.members.toLocaleString('en-US')} members with cards ` +
          `(${seconds.toFixed(1)} s)`,
      );
    }
  }
  // The card counter as `cards.issue` would have left it, so the data set is consistent.
  await pool.query(
    `INSERT INTO ${d}.sequences (id, \`value\`) VALUES ('card:GOLD', ?) ON DUPLICATE KEY UPDATE \`value\` = ?`,
    [sizes.members, sizes.members],
  );
  return numbers;
}

async function run({ quick, log }: RunSettings): Promise<FigureResult> {
  const sizes = quick ? QUICK : FULL;
  const database = `clientele_bench_l_${process.pid.toString(36)}_${Date.now().toString(36)}`;
  const setup = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 2 });
  // Each side reads through a connection of its own, as a till server's store and a hand-written lookup would.
  const storePool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 1 });
  const rawPool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 1 });
  try {
    await migrate(setup, database);
    log(
      `building ${sizes.members.toLocaleString('en-US')} members with cards (raw bulk inserts, database ${database})`,
    );
    const numbers = await populate(setup, database, sizes, log);
    const crm = createClientele({ store: mysqlStore({ pool: storePool, database }) });
    await crm.migrate();
    const raw = await rawPool.getConnection();
    try {
      const d = `\`${database}\``;
      // The baseline: what a hand-written lookup runs, the card and then its customer, both prepared.
      const rawLookup = async (number: string): Promise<boolean> => {
        const [cards] = await raw.execute<mysql.RowDataPacket[]>(`SELECT * FROM ${d}.cards WHERE number = ?`, [number]);
        const customerId = cards[0]?.['customer_id'] as string | null | undefined;
        if (!customerId) return false;
        const [customers] = await raw.execute<mysql.RowDataPacket[]>(`SELECT * FROM ${d}.customers WHERE id = ?`, [
          customerId,
        ]);
        return customers.length === 1;
      };
      // A second reference, shown beside it: one joined SELECT, as Clientele's store sends, raw.
      const joined =
        `SELECT * FROM ${d}.cards LEFT JOIN ${d}.customers ON customers.id = cards.customer_id ` +
        'WHERE cards.number = ?';
      const rawJoined = async (number: string): Promise<boolean> =>
        ((await raw.execute<mysql.RowDataPacket[]>(joined, [number]))[0][0]?.['id'] ?? null) !== null;
      const clienteleLookup = async (number: string): Promise<boolean> =>
        (await crm.cards.lookup(number, CASHIER)).customer !== null;
      const sides = { clientele: clienteleLookup, raw: rawLookup, joined: rawJoined };
      type Side = keyof typeof sides;
      const names = Object.keys(sides) as Side[];

      const random = seededRandom(7);
      const draw = () => numbers[Math.floor(random() * numbers.length)]!;
      log(`warming up: ${sizes.warmup.toLocaleString('en-US')} random lookups by each side`);
      for (let i = 0; i < sizes.warmup; i++) for (const name of names) await sides[name](draw());

      // All sides interleaved in one shuffled sequence, so they share the server's state (buffer pool, load);
      // several rounds, each with its own percentiles, and the median round reported.
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
          const t0 = process.hrtime.bigint();
          const found = await sides[side](number);
          const t1 = process.hrtime.bigint();
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
      const ratio = round(clientele / baseline, 3);
      return {
        id: 'lookup.card.mariadb',
        unit: 'µs',
        clientele,
        baseline,
        ratio,
        higherIsBetter: false,
        target: `ratio <= ${TARGET_RATIO}`,
        met: ratio <= TARGET_RATIO,
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
          rawJoinedP50: figure('joined', 50),
          rawJoinedP99: figure('joined', 99),
        },
        note:
          "median of rounds of each side's p99 over random lookups by card number (card with its customer: " +
          "one joined statement through the store's getLinked, and the cashier's permission checked); " +
          'baseline = two indexed SELECTs as raw mysql2 prepared statements (rawJoined = the one joined ' +
          'SELECT, raw); each side on a connection of its own to the same server',
      };
    } finally {
      raw.release();
      await crm.close();
    }
  } finally {
    await setup.query(`DROP DATABASE IF EXISTS \`${database}\``).catch(() => undefined);
    for (const pool of [setup, storePool, rawPool]) await pool.end();
  }
}

export const lookupCardMariadb: Figure = {
  id: 'lookup.card.mariadb',
  title: 'card lookup among 1M members on MariaDB (p99 µs)',
  run,
};
