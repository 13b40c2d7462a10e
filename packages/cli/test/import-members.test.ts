/**
 * The importer as a retailer runs it: a 100,000-row members export with 1% bad rows, killed halfway
 * and run again. Every bad row ends in the rejects file with its reason, every good one in the store,
 * each once.
 */
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import iconv from 'iconv-lite';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardNumberFor } from '@clientele/core/module';
import { chainIn, run, start, tempDir } from './support.js';

const ROWS = 100_000;
const temp = tempDir();
const db = join(temp.dir, 'crm.db');
const file = join(temp.dir, 'members.csv');
const mapFile = join(temp.dir, 'members.map.json');

/** What is wrong with row `i` (from 0), by design: 1 row in 100, four kinds of fault. */
function faultOf(i: number): 'phone' | 'duplicate-card' | 'store' | 'encoding' | null {
  if (i % 400 === 37) return 'phone';
  if (i % 400 === 161) return 'duplicate-card';
  if (i % 400 === 273) return 'store';
  if (i % 400 === 389) return 'encoding';
  return null;
}

const card = (i: number) => cardNumberFor('88', 100_000 + i, 13);

/** Writes the export: UTF-8 with Chinese headers, but for the lines of a wrong encoding (GBK bytes). */
async function writeExport(): Promise<Map<number, string>> {
  const expected = new Map<number, string>();
  const out = createWriteStream(file);
  out.write('会员编号,姓名,手机,门店,卡号,注册时间\n');
  for (let i = 0; i < ROWS; i++) {
    const fault = faultOf(i);
    const line = i + 2;
    const phone = fault === 'phone' ? '13-CALL-ME' : `139${String(i).padStart(8, '0')}`;
    // A duplicate takes the card of a good row 100 lines before (in another batch, or the same one).
    const number = fault === 'duplicate-card' ? card(i - 100) : card(i);
    const store = fault === 'store' ? 'S99' : i % 2 ? 'S01' : 'S02';
    const text = `M${i},会员${i},${phone},${store},${number},2019-03-01 08:30\n`;
    const bytes =
      fault === 'encoding'
        ? Buffer.concat([
            Buffer.from(`M${i},`),
            iconv.encode('张三', 'gbk'),
            Buffer.from(`,${phone},${store},${number},\n`),
          ])
        : Buffer.from(text);
    if (fault) expected.set(line, fault);
    if (!out.write(bytes)) await once(out, 'drain');
  }
  await new Promise<void>((resolve) => out.end(resolve));
  return expected;
}

let expected: Map<number, string>;

beforeAll(async () => {
  await chainIn(db);
  expected = await writeExport();
  writeFileSync(
    mapFile,
    JSON.stringify({
      columns: {
        会员编号: 'sourceId',
        姓名: 'customer.name',
        手机: 'customer.phone',
        门店: 'customer.homeStoreId',
        卡号: 'cards.0.number',
        注册时间: { path: 'registeredAt', type: 'instant', offset: '+08:00' },
      },
      values: { 'customer.kind': 'individual', 'cards.0.typeId': 'GOLD', 'cards.0.storeId': 'S01' },
    }),
  );
}, 60_000);

afterAll(() => temp.remove());

function countOf(table: string): number {
  const reader = new Database(db, { readonly: true });
  try {
    return (reader.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n;
  } catch {
    return 0;
  } finally {
    reader.close();
  }
}

describe('clientele import customers, 100,000 rows', () => {
  it('imports each good row once across a kill and a run again, and rejects each bad row with its reason', async () => {
    const args = ['import', 'customers', file, '--store', `sqlite:${db}`, '--map', mapFile, '--no-progress'];
    const first = start(args);
    // Killed without warning once some batches are in and before the end.
    for (let n = 0; n < 600; n++) {
      await new Promise((r) => setTimeout(r, 100));
      const imported = countOf('import_keys');
      if (imported >= 20_000) break;
    }
    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');
    const before = countOf('customers');
    expect(before).toBeGreaterThanOrEqual(20_000);
    expect(before).toBeLessThan(ROWS - expected.size);

    const second = await run(args);
    expect(second.stderr).toBe('');
    // Exit code 3: finished, with rejected rows.
    expect(second.code).toBe(3);
    const good = ROWS - expected.size;
    expect(second.stdout).toContain(
      `customers: ${ROWS} rows read, ${good - before} imported, ${before} imported before, ${expected.size} rejected`,
    );
    expect(countOf('customers')).toBe(good);
    expect(countOf('import_keys')).toBe(good);
    expect(countOf('cards')).toBe(good);
    const reader = new Database(db, { readonly: true });
    const dupes = reader
      .prepare('SELECT count(*) AS n FROM (SELECT source_id FROM import_keys GROUP BY source_id HAVING count(*) > 1)')
      .get() as { n: number };
    const sample = reader
      .prepare(
        'SELECT c.display_name AS name, c.phone, c.home_store_id AS store, c.created_at AS at ' +
          "FROM import_keys k JOIN customers c ON c.id = k.target_id WHERE k.source_id = 'M1'",
      )
      .get() as Record<string, unknown>;
    reader.close();
    expect(dupes.n).toBe(0);
    expect(sample).toMatchObject({
      name: '会员1',
      phone: '13900000001',
      store: 'S01',
      at: Date.parse('2019-03-01T00:30:00Z'),
    });

    const rejects = parse(readFileSync(`${file}.rejects.csv`), { columns: true }) as Array<Record<string, string>>;
    const byLine = new Map(rejects.map((r) => [Number(r['line']), r]));
    expect(rejects.length).toBe(expected.size);
    const want = {
      phone: ['手机', 'invalid_format'],
      'duplicate-card': ['卡号', 'duplicate'],
      store: ['门店', 'not_found'],
      encoding: ['', 'encoding'],
    };
    const wrong = [...expected].filter(([line, fault]) => {
      const r = byLine.get(line);
      const [column, code] = want[fault as keyof typeof want];
      return !r || r['column'] !== column || r['code'] !== code || !r['reason'];
    });
    expect(wrong).toEqual([]);
    expect(byLine.get(39)!['reason']).toBe('not a phone number');
  }, 90_000);
});
