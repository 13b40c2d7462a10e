/**
 * Who calls: API keys per till or system, stored as a hash of their secret, mapped to a member of
 * staff or to a named system with the permissions the key lists, revocable, with their last use
 * recorded; the host's own tokens through `authenticate`. A missing or wrong key is a 401, a key
 * without the permission a 403, and both leave an audit entry.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { isClienteleError, type Clientele } from '@clientele/core';
import { auditLog, scan } from '@clientele/core/module';
import { STORE_KINDS } from '../../../tests/support/stores.js';
import { apiKeysCollection, clienteleApi, hashSecret } from '../src/index.js';
import { SYSTEM, call, openKeyedChain } from './support.js';

const KINDS = STORE_KINDS.filter((k) => k.name !== 'memory');
afterAll(async () => {
  for (const k of KINDS) await k.cleanup();
});

async function refusals(crm: Clientele) {
  const rows = [];
  for await (const row of scan(crm.store, auditLog)) if (row.outcome === 'refused') rows.push(row);
  return rows;
}

describe.each(KINDS)('API keys on $name', (kind) => {
  it('lets a staff key act as its member of staff, records its last use, and keeps only the hash', async () => {
    const chain = await openKeyedChain(await kind.open());
    const { key, token } = await chain.keys.create(
      { name: 'Till 1, Renmin Road', actor: { staffId: 'E-CLERK' } },
      SYSTEM,
    );
    expect(key.lastUsedAt).toBeNull();
    const app = clienteleApi(chain.crm);
    const made = await call(app, 'POST', '/customers/register', {
      key: token,
      json: { kind: 'individual', name: '王芳', phone: '13900001111' },
    });
    expect(made.status).toBe(200);
    const history = await chain.crm.customers.history(made.body.id, { actor: { staffId: 'E-MANAGER' } });
    expect(history.items[0]!.actor).toMatchObject({ staffId: 'E-CLERK' });
    expect((await chain.keys.get(key.id, SYSTEM)).lastUsedAt).toEqual(chain.clock.now());

    const secret = token.split('.')[1]!;
    const row = await chain.crm.store.get(apiKeysCollection, key.id);
    expect(row!.secretHash).toBe(await hashSecret(secret));
    for (const c of [apiKeysCollection, auditLog])
      for await (const r of scan(chain.crm.store, c)) expect(JSON.stringify(r)).not.toContain(secret);
    await chain.crm.close();
  });

  it('refuses a missing, malformed, unknown or revoked key with 401 and audits each', async () => {
    const chain = await openKeyedChain(await kind.open());
    const { key, token } = await chain.keys.create({ name: 'Till 2', actor: { staffId: 'E-MANAGER' } }, SYSTEM);
    const app = clienteleApi(chain.crm);
    const path = `/customers/search?phone=13800138000`;
    const wrongSecret = `${key.id}.${'A'.repeat(43)}`;
    const cases: Array<[string | undefined, string]> = [
      [undefined, 'missing_key'],
      ['not-a-key', 'malformed_key'],
      [wrongSecret, 'unknown_key'],
    ];
    for (const [k, reason] of cases) {
      const reply = await call(app, 'GET', path, k ? { key: k } : {});
      expect(reply.status).toBe(401);
      expect(reply.type).toBe('application/problem+json');
      expect(reply.body).toMatchObject({ code: 'PERMISSION_DENIED', reason, status: 401 });
    }
    expect((await call(app, 'GET', path, { key: token })).status).toBe(200);
    const revoked = await chain.keys.revoke({ keyId: key.id, reason: 'till stolen' }, SYSTEM);
    expect(revoked.revokedAt).toEqual(chain.clock.now());
    const after = await call(app, 'GET', path, { key: token });
    expect([after.status, after.body.reason]).toEqual([401, 'revoked_key']);
    await expect(chain.keys.revoke({ keyId: key.id }, SYSTEM)).rejects.toMatchObject({ code: 'INVALID_STATE' });

    const audited = await refusals(chain.crm);
    expect(audited.map((r) => (r.details as { reason: string }).reason)).toEqual([
      'missing_key',
      'malformed_key',
      'unknown_key',
      'revoked_key',
    ]);
    for (const r of audited) expect(r).toMatchObject({ command: 'customers.search', errorCode: 'PERMISSION_DENIED' });
    expect(audited[2]).toMatchObject({ targetType: 'api-key', targetId: key.id });
    expect((await chain.keys.list({}, SYSTEM)).items).toEqual([]);
    expect((await chain.keys.list({ includeRevoked: true }, SYSTEM)).items.map((k) => k.id)).toEqual([key.id]);
    await chain.crm.close();
  });

  it('refuses with 403 what the key or the role does not allow, and audits it', async () => {
    const chain = await openKeyedChain(await kind.open());
    const app = clienteleApi(chain.crm);
    // A clerk's key narrowed to reading: the role could register, the key may not.
    const reader = await chain.keys.create(
      { name: 'Kiosk', actor: { staffId: 'E-CLERK' }, permissions: ['customers.read'] },
      SYSTEM,
    );
    const member = { kind: 'individual', name: '赵敏', phone: '13900002222' };
    const narrowed = await call(app, 'POST', '/customers/register', { key: reader.token, json: member });
    expect(narrowed.status).toBe(403);
    expect(narrowed.body).toMatchObject({
      code: 'PERMISSION_DENIED',
      reason: 'not_permitted',
      permission: 'customers.write',
    });
    // The guard's role cannot register: core refuses and audits it.
    const guard = await chain.keys.create({ name: 'Door', actor: { staffId: 'E-GUARD' } }, SYSTEM);
    const byRole = await call(app, 'POST', '/customers/register', { key: guard.token, json: member });
    expect([byRole.status, byRole.body.code]).toEqual([403, 'PERMISSION_DENIED']);
    // A read core does not check itself is held to the role by the API.
    const stores = await call(app, 'GET', '/stores/get?storeId=S01', { key: guard.token });
    expect([stores.status, stores.body.permission]).toEqual([403, 'stores.read']);

    const audited = await refusals(chain.crm);
    // Audit ids made in the same instant by the API and by core do not sort by time: compare as a set.
    expect(audited.map((r) => `${r.command} ${JSON.stringify(r.actor)}`).sort()).toEqual([
      'customers.register {"staffId":"E-CLERK"}',
      'customers.register {"staffId":"E-GUARD"}',
      'stores.get {"staffId":"E-GUARD"}',
    ]);
    expect(
      await chain.crm.customers.search({ phone: '13900002222' }, { actor: { staffId: 'E-MANAGER' } }),
    ).toMatchObject({ items: [] });
    await chain.crm.close();
  });

  it('gives a system key only the permissions it lists, and a system key must list them', async () => {
    const chain = await openKeyedChain(await kind.open());
    const app = clienteleApi(chain.crm);
    const missing = await chain.keys
      .create({ name: 'E-shop', actor: { system: 'eshop' } } as never, SYSTEM)
      .catch((e: unknown) => e);
    expect(isClienteleError(missing, 'VALIDATION_FAILED')).toBe(true);
    expect((missing as { path: unknown }).path).toEqual(['permissions']);
    const shop = await chain.keys.create(
      { name: 'E-shop', actor: { system: 'eshop' }, permissions: ['customers.read', 'customers.write'] },
      SYSTEM,
    );
    const made = await call(app, 'POST', '/customers/register', {
      key: shop.token,
      json: { kind: 'individual', name: 'Web Shopper', email: 'web@example.com' },
    });
    expect(made.status).toBe(200);
    const sale = await call(app, 'POST', '/purchases/record', {
      key: shop.token,
      idempotencyKey: 'order-000001',
      json: {
        storeId: 'S01',
        terminalId: 'WEB',
        receiptNo: 'W1',
        lines: [{ sku: 'A', category: 'x', quantity: 1, unitPrice: 100 }],
      },
    });
    expect([sale.status, sale.body.permission]).toEqual([403, 'sales.record']);
    const audited = await refusals(chain.crm);
    expect(audited.at(-1)).toMatchObject({ command: 'purchases.record', actor: { system: 'eshop' } });
    await chain.crm.close();
  });

  it('takes no idempotency key when making a key, and does not serve key management', async () => {
    const chain = await openKeyedChain(await kind.open());
    await expect(
      chain.keys.create({ name: 'Till', actor: { staffId: 'E-CLERK' } }, { ...SYSTEM, idempotencyKey: 'make-key-1' }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED', path: ['options', 'idempotencyKey'] });
    await expect(chain.keys.create({ name: 'Till', actor: { staffId: 'E-NOBODY' } }, SYSTEM)).rejects.toMatchObject({
      code: 'NOT_FOUND',
      path: ['actor', 'staffId'],
    });
    const { token } = await chain.keys.create({ name: 'Till', actor: { staffId: 'E-MANAGER' } }, SYSTEM);
    const app = clienteleApi(chain.crm);
    const reply = await call(app, 'POST', '/api-keys/create', {
      key: token,
      json: { name: 'Mine', actor: { system: 'x' }, permissions: ['*'] },
    });
    expect(reply.status).toBe(404);
    await chain.crm.close();
  });

  it("lets the host's own tokens through authenticate, falling back to keys", async () => {
    const chain = await openKeyedChain(await kind.open());
    const { token } = await chain.keys.create({ name: 'Till', actor: { staffId: 'E-MANAGER' } }, SYSTEM);
    const app = clienteleApi(chain.crm, {
      authenticate: (request) =>
        request.headers.get('authorization') === 'Bearer staff-session-42' ? { staffId: 'E-MANAGER' } : null,
    });
    const path = '/customers/search';
    expect((await call(app, 'GET', path, { key: 'staff-session-42' })).status).toBe(200);
    expect((await call(app, 'GET', path, { key: token })).status).toBe(200);
    expect((await call(app, 'GET', path, { key: 'staff-session-43' })).body.reason).toBe('malformed_key');
    const strict = clienteleApi(chain.crm, {
      authenticate: () => {
        throw new Error('expired token');
      },
    });
    const refused = await call(strict, 'GET', path, { key: token });
    expect([refused.status, refused.body.reason]).toEqual([401, 'rejected_credentials']);
    await chain.crm.close();
  });
});
