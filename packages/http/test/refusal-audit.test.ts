/**
 * Requests without a valid key cannot fill the audit log: a 401 of each kind is audited at most once
 * per window, the next entry counting those left out; a 403 (a known caller) is audited every time.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Clientele } from '@clientele/core';
import { auditLog, scan } from '@clientele/core/module';
import { STORE_KINDS } from '../../../tests/support/stores.js';
import { clienteleApi } from '../src/index.js';
import { refusalThrottle } from '../src/refusal-throttle.js';
import { SYSTEM, call, openKeyedChain } from './support.js';

afterAll(async () => {
  for (const k of STORE_KINDS) await k.cleanup();
});

async function refusals(crm: Clientele) {
  const rows: Array<{ reason?: string; suppressed?: number; targetId: string | null }> = [];
  for await (const row of scan(crm.store, auditLog))
    if (row.outcome === 'refused') rows.push({ ...(row.details as { reason?: string }), targetId: row.targetId });
  return rows;
}

describe('refusalThrottle', () => {
  it('lets the first of a kind through per window and counts the rest onto the next', () => {
    const t = refusalThrottle(1000);
    expect(t.admit('missing_key', 0)).toEqual({ write: true, suppressed: 0 });
    expect(t.admit('missing_key', 999)).toEqual({ write: false, suppressed: 0 });
    expect(t.admit('unknown_key', 500)).toEqual({ write: true, suppressed: 0 });
    expect(t.admit('missing_key', 999)).toEqual({ write: false, suppressed: 0 });
    expect(t.admit('missing_key', 1000)).toEqual({ write: true, suppressed: 2 });
    expect(t.admit('missing_key', 5000)).toEqual({ write: true, suppressed: 0 });
  });

  it('with a window of 0 lets every one through', () => {
    const t = refusalThrottle(0);
    for (let i = 0; i < 3; i++) expect(t.admit('missing_key', 0)).toEqual({ write: true, suppressed: 0 });
  });
});

describe.each(STORE_KINDS)('audit of refusals on $name', (kind) => {
  it('audits a flood of keyless requests once per minute, counting the rest, and every 403', async () => {
    const chain = await openKeyedChain(await kind.open());
    const { token } = await chain.keys.create({ name: 'Guard', actor: { staffId: 'E-GUARD' } }, SYSTEM);
    const { key: lost, token: lostToken } = await chain.keys.create(
      { name: 'Lost till', actor: { staffId: 'E-CLERK' } },
      SYSTEM,
    );
    await chain.keys.revoke({ keyId: lost.id, reason: 'lost' }, SYSTEM);
    const app = clienteleApi(chain.crm);
    const path = '/customers/search?phone=13800138000';

    for (let i = 0; i < 30; i++) expect((await call(app, 'GET', path)).status).toBe(401);
    for (let i = 0; i < 5; i++) expect((await call(app, 'GET', path, { key: lostToken })).status).toBe(401);
    for (let i = 0; i < 3; i++) expect((await call(app, 'GET', path, { key: token })).status).toBe(403);
    const rows = await refusals(chain.crm);
    expect(rows.filter((r) => r.reason)).toEqual([
      { reason: 'missing_key', transport: 'http', targetId: null },
      { reason: 'revoked_key', transport: 'http', targetId: lost.id },
    ]);
    // The guard is known: each of its refusals is an entry of its own.
    expect(rows.filter((r) => (r as { permission?: string }).permission === 'customers.read')).toHaveLength(3);

    chain.clock.advance(60_000);
    expect((await call(app, 'GET', path)).status).toBe(401);
    expect((await refusals(chain.crm)).at(-1)).toEqual({
      reason: 'missing_key',
      transport: 'http',
      suppressed: 29,
      targetId: null,
    });
    await chain.crm.close();
  });

  it('audits every 401 when the window is 0', async () => {
    const chain = await openKeyedChain(await kind.open());
    const app = clienteleApi(chain.crm, { unauthenticatedAuditWindowMs: 0 });
    for (let i = 0; i < 4; i++) await call(app, 'GET', '/customers/search?phone=13800138000');
    expect((await refusals(chain.crm)).map((r) => r.reason)).toEqual(Array(4).fill('missing_key'));
    await chain.crm.close();
  });
});
