/**
 * The jobs of the `clientele` command, run as a child process the way a scheduler runs them: `migrate`
 * (its plan on SQLite, PostgreSQL and MariaDB, read without changing anything), `stats`, `export-customer`,
 * `erase-customer`, `rebuild-segments` and `run-due`, each checked against what the SDK put in or reads back.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coreMigrations } from '@clientele/core/adapter';
import { createClientele, manualClock, type AnyModule, type Clientele, type ClienteleOptions } from '@clientele/core';
import type { LoyaltyApi } from '@clientele/loyalty';
import { sqliteStore } from '@clientele/sqlite';
import { EXIT } from '../src/exit-codes.js';
import { main, type Streams } from '../src/main.js';
import { chainIn, run, tempDir } from './support.js';

const config = fileURLToPath(new URL('./fixtures/jobs.config.mjs', import.meta.url));
const temp = tempDir();
afterAll(() => temp.remove());

const HQ = { actor: { system: 'setup' } };
const coreIds = coreMigrations.map((m) => m.id);

/** The `applied` and `pending` ids `migrate --status` printed. */
function statusOf(stdout: string): { applied: string[]; pending: string[] } {
  const lines = stdout.trim().split('\n').filter(Boolean);
  const ids = (word: string) => lines.filter((l) => l.startsWith(`${word} `)).map((l) => l.slice(word.length).trim());
  expect(lines.length).toBe(ids('applied').length + ids('pending').length);
  return { applied: ids('applied'), pending: ids('pending') };
}

/** The plan of a store, from `migrate --status`: fresh, everything pending; after `migrate`, everything applied. */
async function expectPlanLifecycle(store: string, beforeApply: () => Promise<void> = async () => {}): Promise<void> {
  const [before, sql] = await Promise.all([
    run(['--store', store, 'migrate', '--status']),
    run(['--store', store, 'migrate', '--sql']),
  ]);
  expect(before.stderr).toBe('');
  expect(before.code).toBe(EXIT.ok);
  expect(statusOf(before.stdout)).toEqual({ applied: [], pending: coreIds });
  expect(sql.code).toBe(EXIT.ok);
  for (const table of ['customers', 'stores', 'outbox'])
    expect(sql.stdout).toMatch(new RegExp(`CREATE TABLE (IF NOT EXISTS )?[^\\s]*["\`]${table}["\`]`));
  await beforeApply();

  const migrated = await run(['--store', store, 'migrate']);
  expect(migrated.code).toBe(EXIT.ok);
  expect(migrated.stdout).toContain(`migrate: ${coreIds.length} applied, 0 already applied`);

  const [after, none] = await Promise.all([
    run(['--store', store, 'migrate', '--status']),
    run(['--store', store, 'migrate', '--sql']),
  ]);
  expect(after.code).toBe(EXIT.ok);
  expect(statusOf(after.stdout)).toEqual({ applied: coreIds, pending: [] });
  // Nothing pending: nothing to review.
  expect([none.code, none.stdout]).toEqual([EXIT.ok, '']);
}

const PG_URL = process.env['CLIENTELE_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const MYSQL_URL = process.env['CLIENTELE_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/';

/** Whether a server answers; in CI an unreachable server is an error. */
async function reachable(name: string, url: string, probe: () => Promise<unknown>): Promise<boolean> {
  try {
    await probe();
    return true;
  } catch (error) {
    if (process.env['CI'])
      throw new Error(`${name} at ${url} is unreachable and CI is set: ${(error as Error).message}`);
    console.warn(`${name} at ${url} is unreachable: its migrate test skipped (set CI to make this a failure)`);
    return false;
  }
}

const PG_UP = await reachable('PostgreSQL', PG_URL, async () => {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
});

const MYSQL_UP = await reachable('MariaDB', MYSQL_URL, async () => {
  const connection = await mysql.createConnection({ uri: MYSQL_URL, connectTimeout: 3000 });
  await connection.query('SELECT 1');
  await connection.end();
});

/** A schema or database name of this run's own. */
const RUN = `clientele_cli_${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;

/** The MariaDB URL naming `database`. */
function mysqlUrl(database: string): string {
  const url = new URL(MYSQL_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Runs one statement on the MariaDB server. */
async function onMysql(text: string, params: unknown[] = []): Promise<unknown> {
  const connection = await mysql.createConnection({ uri: MYSQL_URL });
  try {
    return (await connection.query(text, params))[0];
  } finally {
    await connection.end();
  }
}

afterAll(async () => {
  if (PG_UP) {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${RUN}" CASCADE`);
    await client.end();
  }
  if (MYSQL_UP) await onMysql(`DROP DATABASE IF EXISTS \`${RUN}\``);
});

describe.concurrent('migrate', () => {
  it('on SQLite: --status and --sql read a file not made yet as empty, not making it; migrate applies', async () => {
    const db = join(temp.dir, 'plan.db');
    await expectPlanLifecycle(`sqlite:${db}`, async () => expect(existsSync(db)).toBe(false));
  }, 120_000);

  it("on SQLite: --status and --sql leave an existing file as it was, and plan the modules' migrations", async () => {
    const db = join(temp.dir, 'untouched.db');
    await chainIn(db);
    const before = { bytes: readFileSync(db), mtime: statSync(db).mtimeMs };
    const [status, sql] = await Promise.all([
      run(['--store', `sqlite:${db}`, '--config', config, 'migrate', '--status']),
      run(['--store', `sqlite:${db}`, '--config', config, 'migrate', '--sql']),
    ]);
    expect(status.code).toBe(EXIT.ok);
    const plan = statusOf(status.stdout);
    expect(plan.applied).toEqual(coreIds);
    expect(plan.pending).toEqual(expect.arrayContaining(['loyalty/0001-initial', 'segments/0001-initial']));
    expect(plan.pending.every((id) => !coreIds.includes(id))).toBe(true);
    expect(sql.stdout).toMatch(/CREATE TABLE (IF NOT EXISTS )?"segment_customer_stats"/);
    expect(sql.stdout).not.toMatch(/CREATE TABLE (IF NOT EXISTS )?"customers"/);
    expect(readFileSync(db).equals(before.bytes)).toBe(true);
    expect(statSync(db).mtimeMs).toBe(before.mtime);
  }, 120_000);

  it.skipIf(!PG_UP)(
    'on PostgreSQL: --status plans every migration in a schema not made yet, none after',
    async () => {
      const url = new URL(PG_URL);
      url.searchParams.set('schema', RUN);
      await expectPlanLifecycle(url.toString(), async () => {
        const client = new pg.Client({ connectionString: PG_URL });
        await client.connect();
        const { rows } = await client.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [RUN]);
        await client.end();
        expect(rows).toEqual([]);
      });
    },
    120_000,
  );

  it.skipIf(!MYSQL_UP)(
    "on MariaDB: --status reads a database not made yet as empty; plans every migration in the URL's database",
    async () => {
      const missing = `${RUN}_none`;
      const status = await run(['--store', mysqlUrl(missing), 'migrate', '--status']);
      expect(status.stderr).toBe('');
      expect(status.code).toBe(EXIT.ok);
      expect(statusOf(status.stdout)).toEqual({ applied: [], pending: coreIds });
      expect(await onMysql('SHOW DATABASES LIKE ?', [missing])).toEqual([]);
      // The store opened from the URL keeps its tables in the URL's database, made beforehand.
      await onMysql(`CREATE DATABASE \`${RUN}\``);
      await expectPlanLifecycle(mysqlUrl(RUN));
      const tables = (await onMysql('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ?', [
        RUN,
      ])) as { t: string }[];
      expect(tables.map((r) => r.t)).toEqual(expect.arrayContaining(['customers', 'stores', 'outbox']));
    },
    120_000,
  );
});

type Crm = Clientele<AnyModule[]> & { loyalty: LoyaltyApi };

/** The SDK on the chain's file, with the jobs' configuration, at `clock`'s time. */
async function openCrm(file: string, clock = manualClock(new Date())): Promise<Crm> {
  const options = (await import(pathToFileURL(config).href)) as {
    default: Omit<ClienteleOptions<readonly AnyModule[]>, 'store'>;
  };
  return createClientele({ ...options.default, clock, store: sqliteStore({ file }) }) as unknown as Crm;
}

// Runs beside the migrate tests; its own tests run one after the other, on one file.
describe.concurrent('jobs on a chain', () => {
  const db = join(temp.dir, 'chain.db');
  const store = ['--store', `sqlite:${db}`, '--config', config];
  const CUSTOMERS = 7;
  const ids: string[] = [];

  beforeAll(async () => {
    await chainIn(db);
    const crm = await openCrm(db);
    await crm.migrate();
    for (let i = 0; i < CUSTOMERS; i++)
      ids.push(
        (
          await crm.customers.register(
            { kind: 'individual', name: `会员${i}`, phone: `139${String(i).padStart(8, '0')}`, homeStoreId: 'S01' },
            HQ,
          )
        ).id,
      );
    await crm.close();
  }, 60_000);

  /** The rows of `table` in the chain's file. */
  const rowsOf = (table: string) => {
    const file = new Database(db, { readonly: true });
    try {
      return (file.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n;
    } finally {
      file.close();
    }
  };

  it.sequential('stats counts the rows put in', async () => {
    const result = await run([...store, 'stats', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(EXIT.ok);
    const stats = JSON.parse(result.stdout) as {
      collections: Record<string, number>;
      outboxPositions: Record<string, number>;
    };
    expect(stats.collections['customers']).toBe(CUSTOMERS);
    expect(stats.collections['stores']).toBe(2);
    expect(stats.collections['segment_customer_stats']).toBe(rowsOf('segment_customer_stats'));
    expect(stats.collections['outbox']).toBe(rowsOf('outbox'));
    expect(stats.outboxPositions).toEqual({ nats: 0, webhooks: 0 });
  }, 60_000);

  it.sequential('rebuild-segments writes every customer’s figures again', async () => {
    // Registering wrote each customer's figures: lose them, as a restore from an older backup might.
    const file = new Database(db);
    file.exec('DELETE FROM "segment_customer_stats"');
    file.close();
    expect(rowsOf('segment_customer_stats')).toBe(0);
    const result = await run([...store, 'rebuild-segments']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toMatch(/^rebuild-segments: \{.*\}\n$/);
    expect(rowsOf('segment_customer_stats')).toBe(CUSTOMERS);
  }, 60_000);

  it.sequential('run-due once releases a points hold past its time', async () => {
    // The hold was taken two hours ago, for five minutes.
    const crm = await openCrm(db, manualClock(new Date(Date.now() - 2 * 3_600_000)));
    const id = ids[0]!;
    await crm.loyalty.adjust(
      { customerId: id, points: 500, reason: 'welcome' },
      { ...HQ, idempotencyKey: 'jobs-adjust-1' },
    );
    await crm.loyalty.reserve(
      { customerId: id, points: 120, storeId: 'S01', terminalId: 'T1', minutes: 5 },
      { ...HQ, idempotencyKey: 'jobs-hold-1' },
    );
    expect(await crm.loyalty.balance(id, HQ)).toMatchObject({ held: 120, spendable: 380 });
    await crm.close();

    const result = await run([...store, 'run-due']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toMatch(/^run-due [^\n]*\bloyalty\.holdsExpired 1\b[^\n]*\n$/);

    const after = await openCrm(db);
    expect(await after.loyalty.balance(id, HQ)).toMatchObject({ held: 0, spendable: 500 });
    await after.close();
  }, 60_000);

  it.sequential('export-customer prints the customer’s data, and writes it with --out', async () => {
    const id = ids[1]!;
    const file = join(temp.dir, 'export.json');
    const [printed, written] = await Promise.all([
      run([...store, 'export-customer', id]),
      run([...store, 'export-customer', id, '--out', file]),
    ]);
    expect(printed.code).toBe(EXIT.ok);
    const data = JSON.parse(printed.stdout) as { customerId: string; collections: Record<string, unknown[]> };
    expect(data.customerId).toBe(id);
    expect(data.collections['customers']).toEqual([
      expect.objectContaining({ id, displayName: '会员1', phone: '13900000001' }),
    ]);
    expect([written.code, written.stdout]).toEqual([EXIT.ok, '']);
    expect(JSON.parse(readFileSync(file, 'utf8')).collections['customers'][0].phone).toBe('13900000001');
  }, 60_000);

  it.sequential('erase-customer erases the personal data; the others keep theirs', async () => {
    const id = ids[2]!;
    const result = await run([...store, 'erase-customer', id, '--reason', 'the customer asked']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toMatch(new RegExp(`^erase-customer: \\{"customerId":"${id}"`));
    const crm = await openCrm(db);
    const erased = await crm.customers.get(id, HQ);
    expect(erased.id).toBe(id);
    expect(JSON.stringify(erased)).not.toMatch(/会员2|13900000002/);
    expect(await crm.customers.get(ids[3]!, HQ)).toMatchObject({ displayName: '会员3', phone: '13900000003' });
    await crm.close();
  }, 60_000);

  it.sequential('an unknown customer: NOT_FOUND, one line, exit 4; rebuild-segments without segments: 2', async () => {
    const [exported, erased, rebuilt] = await Promise.all([
      run([...store, 'export-customer', 'cus_nobody']),
      run([...store, 'erase-customer', 'cus_nobody', '--reason', 'asked']),
      run(['--store', `sqlite:${db}`, 'rebuild-segments']),
    ]);
    for (const result of [exported, erased]) {
      expect(result.code).toBe(EXIT.refused);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^clientele: NOT_FOUND: [^\n]*cus_nobody[^\n]*\n$/);
    }
    expect(rebuilt.code).toBe(EXIT.usage);
    expect(rebuilt.stderr).toBe('clientele: rebuild-segments: the configuration installs no segments module\n');
  }, 60_000);
});

/** Runs the command in this process: what it printed and its exit code. */
async function inProcess(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const streams = {
    stdout: { write: (s: string) => ((stdout += s), true) },
    stderr: { write: (s: string) => ((stderr += s), true) },
  } as unknown as Streams;
  const code = await main(args, streams);
  return { code, stdout, stderr };
}

describe('usage', () => {
  it('a bad store URL is exit 2 and one line, from the command as from every job', async () => {
    const child = await run(['--store', 'redis://127.0.0.1/0', 'stats']);
    expect(child.code).toBe(EXIT.usage);
    expect(child.stderr).toBe(
      'clientele: store redis://127.0.0.1/0: give sqlite:<file>, postgres://... or mysql://...\n',
    );
    for (const url of ['redis://127.0.0.1/0', 'sqlite::memory:', 'sqlite:'])
      for (const job of [['stats'], ['migrate'], ['migrate', '--status'], ['run-due'], ['rebuild-segments']]) {
        const result = await inProcess(['--store', url, ...job]);
        expect(result.code).toBe(EXIT.usage);
        expect(result.stderr).toMatch(/^clientele: store [^\n]+\n$/);
      }
  }, 60_000);

  it.each([
    ['migrate', ['--status', '--sql']],
    ['run-due', ['--every <interval>']],
    ['relay', ['--to <url>', '--subject-prefix <prefix>', '--every <interval>']],
    ['rebuild-segments', []],
    ['export-customer', ['<customerId>', '--out <file>']],
    ['erase-customer', ['<customerId>', '--reason <text>']],
    ['stats', ['--json']],
  ])('%s --help exits 0 and names its options', async (command, options) => {
    const result = await inProcess([command, '--help']);
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toMatch(new RegExp(`^Usage: clientele ${command} `));
    for (const option of options) expect(result.stdout).toContain(option);
  });
});
