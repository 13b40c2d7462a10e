/**
 * A web POS quotes offline: the loyalty package must bundle for the browser with no Node module and
 * quote with nothing but what a browser has.
 */
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { loadInBrowser } from '../../../tests/support/browser-sandbox.js';
import { PROGRAM } from './support.js';

const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));

describe('@clientele/loyalty in a browser', () => {
  it('bundles for the browser platform without Node built-ins and quotes with browser globals only', async () => {
    const context = await loadInBrowser(entry, 'Loyalty', 'packages/loyalty/src/quote.ts');
    const script = `(() => {
      const { compileProgram, quote, explainQuote } = Loyalty;
      const program = compileProgram(${JSON.stringify(PROGRAM)});
      const q = quote(program, { lines: [
        { sku: 'APPLE', name: 'Fresh produce', category: 'fresh-fruit', quantity: 2, unitPrice: 4325 },
        { sku: 'CIG', category: 'tobacco', quantity: 1, unitPrice: 3000 },
      ] }, { at: new Date('2026-11-07T02:00:00Z'), timeZone: 'Asia/Shanghai', storeId: 'S01', tier: 'gold' });
      return {
        points: q.points,
        first: q.lines[0].text,
        total: explainQuote(q, program.money).at(-1),
        process: typeof process,
        require: typeof require,
      };
    })()`;
    const out = vm.runInContext(script, context);
    // 8 fresh, +8 weekend, +4 gold.
    expect(out).toEqual({
      points: 20,
      first:
        'Fresh produce ¥86.50: Fresh food: every ¥10.00 = 1 point → 8; x1.5 Gold members +4; x2 Weekend +8 = 20 points',
      total: 'Total: 20 points, worth ¥0.20',
      process: 'undefined',
      require: 'undefined',
    });
  });
});
