/**
 * Errors as RFC 9457 problem details carrying the SDK's code, the issues with their paths and the
 * reason codes: for refusals of the SDK and for what is wrong with the request itself (its JSON, its
 * media type, its size, its route). And what a successful answer looks like: times in ISO 8601 with an
 * offset, money in minor units beside its currency, lists paged by an opaque cursor.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { Store } from '@clientele/core';
import { BASKET } from '../../../tests/support/chain.js';
import { STORE_KINDS } from '../../../tests/support/stores.js';
import { clienteleApi } from '../src/index.js';
import { SYSTEM, call, openKeyedChain } from './support.js';

const KINDS = STORE_KINDS.filter((k) => k.name !== 'memory');
afterAll(async () => {
  for (const k of KINDS) await k.cleanup();
});

const ISO_WITH_OFFSET = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

async function setUp(store: Store, options: Parameters<typeof clienteleApi>[1] = {}) {
  const chain = await openKeyedChain(store);
  const manager = (await chain.keys.create({ name: 'Office', actor: { staffId: 'E-MANAGER' } }, SYSTEM)).token;
  const clerk = (await chain.keys.create({ name: 'Till', actor: { staffId: 'E-CLERK' } }, SYSTEM)).token;
  return { chain, manager, clerk, app: clienteleApi(chain.crm, options) };
}

describe.each(KINDS)('problem details on $name', (kind) => {
  it('refuses a body that is not JSON, not JSON typed, empty, not UTF-8 or over the limit', async () => {
    const { chain, manager, app } = await setUp(await kind.open(), { bodyLimit: 1000 });
    const path = '/customers/register';
    const malformed = await call(app, 'POST', path, {
      key: manager,
      text: '{"kind": "individual",',
      type: 'application/json',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.type).toBe('application/problem+json');
    expect(malformed.body).toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ path: [], code: 'malformed_json' }] });
    const text = await call(app, 'POST', path, { key: manager, text: 'kind=individual', type: 'text/plain' });
    expect([text.status, text.body.reason]).toEqual([415, 'unsupported_media_type']);
    const untyped = await call(app, 'POST', path, { key: manager, text: '{}' });
    expect(untyped.status).toBe(415);
    const empty = await call(app, 'POST', path, { key: manager, text: '', type: 'application/json' });
    expect([empty.status, empty.body.issues[0].code]).toEqual([400, 'malformed_json']);
    const notUtf8 = await app.request(path, {
      method: 'POST',
      headers: { authorization: `Bearer ${manager}`, 'content-type': 'application/json' },
      body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
    });
    expect(notUtf8.status).toBe(400);
    const big = { kind: 'individual', name: 'x'.repeat(2000) };
    const declared = await call(app, 'POST', path, { key: manager, json: big });
    expect([declared.status, declared.body.reason, declared.body.limit]).toEqual([413, 'body_too_large', 1000]);
    // Sent in chunks with no length header: counted as it is read.
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 5; i++) controller.enqueue(new TextEncoder().encode(' '.repeat(300)));
        controller.close();
      },
    });
    const streamed = await app.request(path, {
      method: 'POST',
      headers: { authorization: `Bearer ${manager}`, 'content-type': 'application/json' },
      body: chunks,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(await chain.crm.customers.search({}, { actor: { staffId: 'E-MANAGER' } })).toMatchObject({ items: [] });
    await chain.crm.close();
  });

  it('answers unknown routes, wrong methods and wrong parameters with problems', async () => {
    const { chain, manager, app } = await setUp(await kind.open());
    const unknown = await call(app, 'GET', '/customers/everything', { key: manager });
    expect([unknown.status, unknown.type, unknown.body.reason]).toEqual([
      404,
      'application/problem+json',
      'unknown_route',
    ]);
    const method = await call(app, 'DELETE', '/customers/get', { key: manager });
    expect([method.status, method.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    const extra = await call(app, 'GET', '/customers/search?phone=13800138000&everything=1', { key: manager });
    expect(extra.status).toBe(400);
    expect(extra.body.issues[0]).toMatchObject({ path: ['everything'], code: 'unrecognized_keys' });
    const twice = await call(app, 'GET', '/customers/search?phone=1&phone=2', { key: manager });
    expect(twice.body.issues[0]).toMatchObject({ path: ['phone'], code: 'repeated' });
    const limit = await call(app, 'GET', '/customers/search?limit=many', { key: manager });
    expect([limit.status, limit.body.issues[0].path]).toEqual([400, ['limit']]);
    const notObject = await call(app, 'POST', '/loyalty/quote-for', { key: manager, json: [1, 2] });
    expect([notObject.status, notObject.body.issues[0].code]).toEqual([400, 'invalid_type']);
    await chain.crm.close();
  });

  it("carries the SDK's code, the issues with their paths, the reason and the facts of a refusal", async () => {
    const { chain, manager, clerk, app } = await setUp(await kind.open());
    const invalid = await call(app, 'POST', '/customers/register', {
      key: manager,
      json: { kind: 'individual', phone: 'call me', tags: ['ok', 7] },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.type).toBe(
      'https://github.com/clientele/clientele/blob/main/docs/http.md#problem-validation-failed',
    );
    expect(invalid.body.issues.map((i: { path: unknown[] }) => i.path)).toEqual(
      expect.arrayContaining([['name'], ['phone'], ['tags', 1]]),
    );
    const missing = await call(app, 'GET', '/customers/get?customerId=cus_nobody', { key: manager });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: 'NOT_FOUND', what: 'customer', path: ['customerId'] });

    const member = await call(app, 'POST', '/customers/register', {
      key: manager,
      json: { kind: 'individual', name: '张伟', phone: '13800138000' },
    });
    const sold = await call(app, 'POST', '/purchases/record', {
      key: clerk,
      idempotencyKey: 'sale-problems-1',
      json: { storeId: 'S01', terminalId: 'T1', receiptNo: 'R1', customerId: member.body.id, lines: BASKET },
    });
    expect(sold.status).toBe(200);
    // Taking the whole basket back is above a clerk's refund limit of 50 yuan.
    const refund = await call(app, 'POST', '/purchases/return', {
      key: clerk,
      idempotencyKey: 'return-problems-1',
      json: {
        purchaseId: sold.body.id,
        storeId: 'S01',
        lines: BASKET.map((_, i) => ({ lineNo: i + 1, quantity: BASKET[i]!.quantity })),
        reason: 'changed mind',
      },
    });
    expect(refund.status).toBe(403);
    expect(refund.body).toMatchObject({ code: 'AUTHORITY_EXCEEDED', action: 'refund', limit: 5000 });
    expect(refund.body.amount).toBeGreaterThan(5000);
    const voided = await call(app, 'POST', '/purchases/void', {
      key: manager,
      idempotencyKey: 'void-problems-1',
      json: { purchaseId: sold.body.id, reason: 'rang up twice' },
    });
    expect(voided.status).toBe(200);
    const twice = await call(app, 'POST', '/purchases/void', {
      key: manager,
      idempotencyKey: 'void-problems-2',
      json: { purchaseId: sold.body.id, reason: 'again' },
    });
    expect([twice.status, twice.body.code]).toEqual([409, 'INVALID_STATE']);
    // The state that refused it, under a name that does not clash with the HTTP status.
    expect(twice.body.state).toBe('voided');
    await chain.crm.close();
  });

  it('says nothing of an unexpected failure but a 500, and reports it to the host', async () => {
    const inner = await kind.open();
    let failing = false;
    const store = new Proxy(inner, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (prop === 'find' && typeof value === 'function')
          return (...args: unknown[]) => {
            if (failing) throw new Error('socket reset by 10.0.0.7 for user crm_admin');
            return value.apply(target, args);
          };
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const onError = vi.fn();
    const { chain, manager, app } = await setUp(store, { onError });
    failing = true;
    const reply = await call(app, 'GET', '/customers/search?phone=13800138000', { key: manager });
    failing = false;
    expect(reply.status).toBe(500);
    expect(reply.body).toMatchObject({ code: 'INTERNAL', status: 500 });
    expect(JSON.stringify(reply.body)).not.toContain('crm_admin');
    expect(onError).toHaveBeenCalledTimes(1);
    await chain.crm.close();
  });
});

describe.each(KINDS)('answers on $name', (kind) => {
  it('gives times in ISO 8601 with an offset, money in minor units with the currency, lists by cursor', async () => {
    const { chain, manager, clerk, app } = await setUp(await kind.open());
    const ids: string[] = [];
    for (const [i, name] of ['甲', '乙', '丙'].entries()) {
      const made = await call(app, 'POST', '/customers/register', {
        key: manager,
        json: { kind: 'individual', name, phone: `1390000000${i}`, homeStoreId: 'S01' },
      });
      ids.push(made.body.id);
      expect(made.body.createdAt).toMatch(ISO_WITH_OFFSET);
    }
    const sold = await call(app, 'POST', '/purchases/record', {
      key: clerk,
      idempotencyKey: 'sale-answers-1',
      json: {
        storeId: 'S01',
        terminalId: 'T1',
        receiptNo: 'R9',
        customerId: ids[0],
        occurredAt: '2026-11-02T09:30:00+08:00',
        lines: BASKET,
      },
    });
    expect(sold.body).toMatchObject({ currency: 'CNY', occurredAt: '2026-11-02T01:30:00.000Z' });
    expect(Number.isInteger(sold.body.total)).toBe(true);

    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const cursor = after ? `&after=${encodeURIComponent(after)}` : '';
      const query = `/customers/search?storeId=S01&limit=2${cursor}`;
      const page = await call(app, 'GET', query, { key: manager });
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((c: { id: string }) => c.id));
      after = page.body.next;
      pages++;
    } while (after);
    expect(pages).toBe(2);
    expect(seen.sort()).toEqual([...ids].sort());
    await chain.crm.close();
  });
});
