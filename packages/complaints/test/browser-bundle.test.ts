/**
 * The pure parts must run in a browser (a web POS or a back-office page): bundle the package for
 * the browser platform, prove no Node module is pulled in, and run the state machine, the
 * business-hours clock and the sampler in a sandbox that has only browser globals.
 */
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { loadInBrowser } from '../../../tests/support/browser-sandbox.js';

const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));

describe('@clientele/complaints in a browser', () => {
  it('bundles without Node built-ins and runs its pure parts with browser globals only', async () => {
    const context = await loadInBrowser(entry, 'Complaints', 'packages/complaints/src/sla-clock.ts');
    const out = vm.runInContext(
      `(() => {
        const { nextStatus, addBusinessTime, isSampled, parseComplaintsConfig } = Complaints;
        const cal = {
          timeZone: 'Asia/Shanghai',
          openingHours: { fri: [['08:00', '20:00']], mon: [['08:00', '20:00']] },
          holidays: [],
        };
        return {
          step: nextStatus('complaint', 'received', 'acknowledge').to,
          due: addBusinessTime(cal, new Date('2026-11-06T11:30:00Z'), 7200000).toISOString(),
          sampled: isSampled('s', 'pur_1', 1),
          ladder: parseComplaintsConfig({
            ladders: {
              l: [{
                level: 1, id: 'a', name: 'A', roles: ['r'],
                timeLimits: {
                  low: { acknowledge: 1, resolve: 2 },
                  medium: { acknowledge: 1, resolve: 2 },
                  high: { acknowledge: 1, resolve: 2 },
                },
              }],
            },
          }).routes.complaint,
          process: typeof process,
        };
      })()`,
      context,
    );
    expect(out).toEqual({
      step: 'acknowledged',
      due: '2026-11-09T01:30:00.000Z',
      sampled: true,
      ladder: 'l',
      process: 'undefined',
    });
  });
});
