/**
 * `clientele import stored-value` as a retailer runs it: a GBK-encoded card export with Chinese
 * headers and a mapping, checked with `--dry-run` (nothing written), imported (each card's balance the
 * sum of its entries, bad rows in the rejects file by column and reason), and run again (nothing twice).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import iconv from 'iconv-lite';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientele, type AnyModule, type ClienteleOptions } from '@clientele/core';
import { cardNumberFor } from '@clientele/core/module';
import type { LoyaltyApi } from '@clientele/loyalty';
import { sqliteStore } from '@clientele/sqlite';
import { chainIn, run, tempDir } from './support.js';

const config = fileURLToPath(new URL('./fixtures/loyalty.config.mjs', import.meta.url));
const temp = tempDir();
const db = join(temp.dir, 'crm.db');
const file = join(temp.dir, 'cards.csv');
const mapFile = join(temp.dir, 'cards.map.json');

const GOOD = 40;
const gift = (i: number) => cardNumberFor('95', 1000 + i, 16);

/** The bad lines, by their line in the file: the column at fault and the code. */
const BAD: Array<{ cells: string[]; column: string; code: string }> = [
  { cells: ['B1', gift(901), 'GIFT', '', 'S01', '-500', '2025-03-01 10:00'], column: '余额', code: 'too_small' },
  { cells: ['B2', gift(902), 'GIFT', '', 'S01', '12.5', '2025-03-01 10:00'], column: '余额', code: 'invalid_type' },
  {
    cells: ['B3', gift(903), 'GIFT', '', 'S01', '800', '2025-02-30 10:00'],
    column: '开卡时间',
    code: 'invalid_format',
  },
  { cells: ['B4', '', 'MEMBER', 'M404', 'S01', '800', '2025-03-01 10:00'], column: '会员编号', code: 'not_found' },
  { cells: ['B5', gift(905), 'SILVER', '', 'S01', '800', '2025-03-01 10:00'], column: '卡类型', code: 'not_found' },
];

/** Good rows: bearer gift cards, and two member balances without a card number. */
function goodCells(i: number): string[] {
  if (i < 2) return [`P${i}`, '', 'MEMBER', 'M1', 'S02', String(10_000 + i), '2024-06-01 09:30'];
  return [`G${i}`, gift(i), 'GIFT', '', i % 2 ? 'S01' : 'S02', String(100 * i), '2025-03-01 10:00'];
}
const goodTotal = Array.from({ length: GOOD }, (_, i) => Number(goodCells(i)[5])).reduce((a, b) => a + b, 0);

beforeAll(async () => {
  await chainIn(db);
  const options = (await import(pathToFileURL(config).href)) as {
    default: Omit<ClienteleOptions<readonly AnyModule[]>, 'store'>;
  };
  const crm = createClientele({ ...options.default, store: sqliteStore({ file: db }) }) as unknown as ReturnType<
    typeof createClientele
  > & { loyalty: LoyaltyApi };
  await crm.migrate();
  const HQ = { actor: { system: 'setup' } };
  await crm.loyalty.storedValue.defineProduct({ id: 'GIFT', name: '礼品卡', kind: 'anonymous', prefix: '95' }, HQ);
  await crm.loyalty.storedValue.defineProduct({ id: 'MEMBER', name: '会员储值', kind: 'named', prefix: '96' }, HQ);
  await crm.imports.customers(
    { rows: [{ sourceId: 'M1', customer: { kind: 'individual', name: '孙丽', phone: '13900000001' } }] },
    { actor: { system: 'import' } },
  );
  await crm.close();
  const lines = ['编号,卡号,卡类型,会员编号,门店,余额,开卡时间'];
  for (let i = 0; i < GOOD; i++) lines.push(goodCells(i).join(','));
  for (const b of BAD) lines.push(b.cells.join(','));
  writeFileSync(file, iconv.encode(`${lines.join('\n')}\n`, 'gbk'));
  writeFileSync(
    mapFile,
    JSON.stringify({
      columns: {
        编号: 'sourceId',
        卡号: 'cardNumber',
        卡类型: 'productId',
        会员编号: 'customerSourceId',
        门店: 'storeId',
        余额: 'balance',
        开卡时间: { path: 'issuedAt', type: 'instant', offset: '+08:00' },
      },
    }),
  );
}, 60_000);

afterAll(() => temp.remove());

function query<T>(sql: string): T {
  const reader = new Database(db, { readonly: true });
  try {
    return reader.prepare(sql).get() as T;
  } finally {
    reader.close();
  }
}
const cards = () => query<{ n: number }>('SELECT count(*) AS n FROM loyalty_sv_cards').n;

describe('clientele import stored-value', () => {
  const args = [
    'import',
    'stored-value',
    file,
    '--store',
    `sqlite:${db}`,
    '--config',
    config,
    '--map',
    mapFile,
    '--encoding',
    'gbk',
  ];
  const rows = GOOD + BAD.length;

  it('describes the kind in its help', async () => {
    const help = await run(['import', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain(
      'what the file holds: customers, organisations, sales, points, stored-value',
    );
  }, 60_000);

  it('checks the file with --dry-run, writing nothing but the rejects file', async () => {
    const dry = await run([...args, '--dry-run', '--no-progress']);
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(3);
    expect(dry.stdout).toContain(
      `stored-value: ${rows} rows read, ${GOOD} would import, 0 imported before, ${BAD.length} rejected`,
    );
    expect(cards()).toBe(0);
    expect(query<{ n: number }>('SELECT count(*) AS n FROM loyalty_sv_entries').n).toBe(0);
    expect(query<{ n: number }>('SELECT count(*) AS n FROM import_keys').n).toBe(1);
  }, 60_000);

  it('imports each good card with its balance once, and rejects each bad line by column and reason', async () => {
    const first = await run(args);
    expect(first.code).toBe(3);
    expect(first.stdout).toContain(
      `stored-value: ${rows} rows read, ${GOOD} imported, 0 imported before, ${BAD.length} rejected`,
    );
    // Progress on stderr (not a terminal): the closing line.
    expect(first.stderr).toMatch(new RegExp(`import: ${rows} rows, 100% of the file`));
    expect(cards()).toBe(GOOD);
    const sums = query<{ balances: number; entries: number; off: number; opening: number }>(
      'SELECT (SELECT sum(balance) FROM loyalty_sv_cards) AS balances, ' +
        '(SELECT sum(amount) FROM loyalty_sv_entries) AS entries, ' +
        "(SELECT count(*) FROM loyalty_sv_entries WHERE kind = 'opening' AND ref_type = 'import') AS opening, " +
        '(SELECT count(*) FROM loyalty_sv_cards c WHERE c.balance <> ' +
        '(SELECT coalesce(sum(e.amount), 0) FROM loyalty_sv_entries e WHERE e.card_number = c.number)) AS off',
    );
    expect(sums).toEqual({ balances: goodTotal, entries: goodTotal, off: 0, opening: GOOD });
    const issued = query<{ at: number }>(`SELECT activated_at AS at FROM loyalty_sv_cards WHERE number = '${gift(2)}'`);
    expect(issued.at).toBe(Date.parse('2025-03-01T02:00:00Z'));

    const rejects = parse(readFileSync(`${file}.rejects.csv`), { columns: true }) as Array<Record<string, string>>;
    expect(rejects.map((r) => [Number(r['line']), r['column'], r['code']])).toEqual(
      BAD.map((b, i) => [GOOD + i + 2, b.column, b.code]),
    );
    expect(rejects.every((r) => r['reason'])).toBe(true);

    const again = await run([...args, '--no-progress']);
    expect(again.code).toBe(3);
    expect(again.stdout).toContain(
      `stored-value: ${rows} rows read, 0 imported, ${GOOD} imported before, ${BAD.length} rejected`,
    );
    expect(cards()).toBe(GOOD);
    expect(query<{ n: number }>('SELECT sum(amount) AS n FROM loyalty_sv_entries').n).toBe(goodTotal);
  }, 60_000);
});
