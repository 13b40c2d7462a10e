/**
 * The segments package bundles for the browser (a web POS quotes and checks offline): no Node
 * module is pulled in, and in a sandbox with browser globals only a definition compiles and
 * evaluates, and the module keeps statistics on the memory store.
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('./browser-entry.ts', import.meta.url));

describe('@clientele/segments in a browser', () => {
  it('bundles without Node built-ins and runs with browser globals only', async () => {
    const result = await build({ entryPoints: [entry], bundle: true, platform: 'browser', format: 'iife', globalName: 'Bundle', target: 'es2022', write: false, metafile: true, logLevel: 'silent', conditions: ['@clientele/source'] });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((i) => i.includes('packages/segments/src/index.ts'))).toBe(true);
    expect(inputs.filter((i) => i.startsWith('node:') || /(^|\/)node_modules\/(better-sqlite3|pg)\//.test(i))).toEqual([]);
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/require\(["']node:/);
    const sandbox: Record<string, unknown> = { crypto: globalThis.crypto, TextEncoder, TextDecoder, Intl, console, setTimeout, clearTimeout, queueMicrotask, btoa, atob };
    const context = vm.createContext(sandbox);
    // A browser's structuredClone makes Dates of the page's own realm; Node's would make them foreign to
    // the sandbox, where instanceof Date then fails. The memory store copies rows (Dates, JSON) with it.
    vm.runInContext(
      `globalThis.structuredClone = function clone(v) {
        if (v instanceof Date) return new Date(v.getTime());
        if (Array.isArray(v)) return v.map(clone);
        if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clone(x)]));
        return v;
      };`,
      context,
    );
    vm.runInContext(code, context);
    const out = await vm.runInContext(
      `(async () => {
        const { core, seg } = Bundle;
        const p = seg.compileCondition({ all: [{ field: 'visits', op: 'gte', value: 2 }, { condition: 'has-tag', args: { tag: 'vip' } }] }, seg.conditionRegistry());
        const crm = core.createClientele({ store: core.memoryStore(), clock: core.manualClock('2026-11-02T02:00:00Z'), modules: [seg.segments()] });
        await crm.migrate();
        const sys = { actor: { system: 'browser' } };
        await crm.stores.create({ id: 'S01', name: 'Web', region: 'East', timeZone: 'Asia/Shanghai' }, sys);
        const c = await crm.customers.register({ kind: 'individual', name: '王芳', tags: ['vip'] }, sys);
        for (const n of [1, 2]) await crm.purchases.record({ storeId: 'S01', terminalId: 'W1', receiptNo: 'W' + n, customerId: c.id, lines: [{ sku: 'A', category: 'fresh', quantity: 1, unitPrice: 1000 }] }, { ...sys, idempotencyKey: 'web-sale-000' + n });
        const s = await crm.segments.stats(c.id);
        return { visits: s.visits, spend: s.spend, match: seg.evaluate(p, { stats: s, tags: ['vip'] }, new Date()), process: typeof process };
      })()`,
      context,
    );
    expect(out).toEqual({ visits: 2, spend: 2000, match: true, process: 'undefined' });
  });
});
