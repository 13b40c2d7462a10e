/**
 * The segments package bundles for the browser (a web POS quotes and checks offline): no Node
 * module is pulled in, and in a sandbox with browser globals only a definition compiles and
 * evaluates, and the module keeps statistics on the memory store.
 */
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { loadInBrowser } from '../../../tests/support/browser-sandbox.js';

const entry = fileURLToPath(new URL('./browser-entry.ts', import.meta.url));

describe('@clientele/segments in a browser', () => {
  it('bundles without Node built-ins and runs with browser globals only', async () => {
    const context = await loadInBrowser(entry, 'Bundle', 'packages/segments/src/index.ts');
    const out = await vm.runInContext(
      `(async () => {
        const { core, seg } = Bundle;
        const p = seg.compileCondition(
          { all: [{ field: 'visits', op: 'gte', value: 2 }, { condition: 'has-tag', args: { tag: 'vip' } }] },
          seg.conditionRegistry(),
        );
        const crm = core.createClientele({
          store: core.memoryStore(), clock: core.manualClock('2026-11-02T02:00:00Z'), modules: [seg.segments()],
        });
        await crm.migrate();
        const sys = { actor: { system: 'browser' } };
        await crm.stores.create({ id: 'S01', name: 'Web', region: 'East', timeZone: 'Asia/Shanghai' }, sys);
        const c = await crm.customers.register({ kind: 'individual', name: '王芳', tags: ['vip'] }, sys);
        for (const n of [1, 2])
          await crm.purchases.record(
            { storeId: 'S01', terminalId: 'W1', receiptNo: 'W' + n, customerId: c.id,
              lines: [{ sku: 'A', category: 'fresh', quantity: 1, unitPrice: 1000 }] },
            { ...sys, idempotencyKey: 'web-sale-000' + n },
          );
        const s = await crm.segments.stats(c.id, sys);
        const match = seg.evaluatePredicate(p, { stats: s, tags: ['vip'] }, new Date());
        return { visits: s.visits, spend: s.spend, match, process: typeof process };
      })()`,
      context,
    );
    expect(out).toEqual({ visits: 2, spend: 2000, match: true, process: 'undefined' });
  });
});
