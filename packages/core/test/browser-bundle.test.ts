/**
 * Core must run in a browser (a web POS quotes offline): bundle it for the browser platform, prove
 * no Node module is pulled in, and run a sale in a sandbox that has only browser globals.
 */
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { loadInBrowser } from '../../../tests/support/browser-sandbox.js';

const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));

describe('@clientele/core in a browser', () => {
  it('bundles for the browser platform without Node built-ins and runs a sale with browser globals only', async () => {
    const context = await loadInBrowser(entry, 'Clientele', 'packages/core/src/clientele.ts');
    const script = `(async () => {
      const { createClientele, memoryStore, manualClock } = Clientele;
      const crm = createClientele({ store: memoryStore(), clock: manualClock('2026-11-02T02:00:00Z') });
      await crm.migrate();
      const sys = { actor: { system: 'browser' } };
      await crm.stores.create({ id: 'S01', name: 'Web', region: 'East', timeZone: 'Asia/Shanghai' }, sys);
      const c = await crm.customers.register({ kind: 'individual', name: '王芳' }, sys);
      const sale = await crm.purchases.record(
        { storeId: 'S01', terminalId: 'W1', receiptNo: 'W0001', customerId: c.id,
          lines: [{ sku: 'A', category: 'fresh', quantity: 1.5, unitPrice: 1999 }] },
        { ...sys, idempotencyKey: 'web-sale-0001' },
      );
      return {
        total: sale.total, customer: sale.customerId === c.id, process: typeof process, require: typeof require,
      };
    })()`;
    const out = await vm.runInContext(script, context);
    expect(out).toEqual({ total: 2999, customer: true, process: 'undefined', require: 'undefined' });
  });
});
