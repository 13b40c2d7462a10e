/**
 * The README's import walk works on the sample export: the old system's members (GBK, its own
 * headers) and sales go into the demo's chain, the bad rows into the rejects files with their reasons.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createClientele } from '@clientele/core';
import { sqliteStore } from '@clientele/sqlite';
import { openChain } from '../src/chain.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsx = fileURLToPath(new URL('../../../node_modules/tsx/dist/cli.mjs', import.meta.url));
const bin = fileURLToPath(new URL('../../../packages/cli/src/bin.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'clientele-walk-'));
const db = join(dir, 'supermarket.db');

/** Runs the command as the README does; resolves with its exit code and output (a non-zero code is not thrown). */
async function clientele(...args: string[]): Promise<{ code: number; stdout: string }> {
  const cmd = [tsx, '--conditions=@clientele/source', bin, ...args, '--store', `sqlite:${db}`];
  return promisify(execFile)(process.execPath, cmd, { cwd: root }).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
  );
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the import walk of the README', () => {
  it('brings the sample members and sales into the chain and rejects the bad rows with reasons', async () => {
    const crm = createClientele({ store: sqliteStore({ file: db }) });
    await crm.migrate();
    await openChain(crm);
    await crm.close();
    const rejects = (file: string) => readFileSync(join(root, 'import', `${file}.rejects.csv`), 'utf8');
    try {
      const members = await clientele(
        'import',
        'customers',
        'import/members.csv',
        '--encoding',
        'gbk',
        '--map',
        'import/members.map.json',
      );
      expect(members).toEqual({ code: 3, stdout: expect.stringContaining('8 rows read, 5 imported') });
      expect(rejects('members.csv')).toContain('6,手机,invalid_format,not a phone number');
      const sales = await clientele('import', 'sales', 'import/sales.csv', '--map', 'import/sales.map.json');
      expect(sales).toEqual({ code: 3, stdout: expect.stringContaining('4 rows read, 3 imported') });
      expect(rejects('sales.csv')).toContain('6,会员编号,not_found,customer OLD-1005 was not imported');
    } finally {
      for (const f of ['members.csv', 'sales.csv']) rmSync(join(root, 'import', `${f}.rejects.csv`), { force: true });
    }
    const check = createClientele({ store: sqliteStore({ file: db }) });
    const chen = await check.cards.lookup('8800009000014', { actor: { system: 'check' } });
    expect(chen.customer).toMatchObject({ name: '陈静', homeStoreId: 'S01' });
    const bought = await check.purchases.ofCustomer(chen.customer!.id, { actor: { system: 'check' } });
    expect(bought.items.map((p) => [p.receiptNo, p.total])).toEqual([['000101', 4990 + 2 * 1250]]);
    await check.close();
  }, 60_000);
});
