/**
 * The demo runs to the end as `npm run demo` runs it, fits a terminal, and shows every gift card
 * being sold before the liability table counts it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COLUMNS, displayWidth } from '../src/print.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsx = fileURLToPath(new URL('../../../node_modules/tsx/dist/cli.mjs', import.meta.url));

describe('the supermarket demo', () => {
  it('runs to the end, every line fits the terminal, and every card in the liability table was sold on ' +
    'screen', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [tsx, '--conditions=@clientele/source', 'src/main.ts'],
      {
        cwd: root,
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    const lines = stdout.split('\n');
    expect(lines.at(-2)).toContain('Done.');
    expect(lines.filter((l) => displayWidth(l) > COLUMNS)).toEqual([]);

    // The story: members, points, a voucher, a complaint and a segment report.
    for (const part of [
      'Registering customers',
      'Loyalty: Tiantian points',
      'turns points into a voucher',
      'Complaints:',
      'Segment',
    ]) {
      expect(stdout).toContain(part);
    }

    // Each store's count of cards in the liability table is the number of cards it sold on screen before it.
    const at = lines.findIndex((l) => /^ {2}Store\s+Product\s+Cards/.test(l));
    const before = lines.slice(0, at).join('\n');
    const rows = lines.slice(at).filter((l) => /^ {2}S\d\d\s+GIFT\s/.test(l));
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      const [store, , cards] = row.trim().split(/\s+/);
      const sold = before.match(new RegExp(`${store} sells gift card|sold at ${store}`, 'g')) ?? [];
      expect({ store, sold: sold.length }).toEqual({ store, sold: Number(cards) });
    }
  }, 180_000);
});
