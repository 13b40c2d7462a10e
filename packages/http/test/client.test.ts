/**
 * The typed client: the calls of `crm`, made over HTTP against an app mounted in a host's Hono app,
 * with the types of the SDK (dates as text), retries by idempotency key, and refusals thrown as
 * `ClienteleError`s with the same code, path and issues as in process.
 */
import { Hono } from 'hono';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import { isClienteleError, type Clientele } from '@clientele/core';
import { BASKET } from '../../../tests/support/chain.js';
import { STORE_KINDS } from '../../../tests/support/stores.js';
import {
  ClienteleApiError,
  clienteleApi,
  createClient,
  type RemoteClientele,
  type StandardClientele,
} from '../src/index.js';
import { SYSTEM, openKeyedChain } from './support.js';

const KINDS = STORE_KINDS.filter((k) => k.name !== 'memory');
afterAll(async () => {
  for (const k of KINDS) await k.cleanup();
});

async function caught(promise: Promise<unknown>): Promise<ClienteleApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ClienteleApiError) return error;
    throw error;
  }
  throw new Error('the call was not refused');
}

describe.each(KINDS)('createClient on $name', (kind) => {
  it('makes the calls of crm over HTTP, typed as the SDK, with retries and paging', async () => {
    const chain = await openKeyedChain(await kind.open());
    const manager = (
      await chain.keys.create(
        { name: 'Web shop', actor: { system: 'eshop' }, permissions: ['customers.*', 'sales.*', 'loyalty.*'] },
        SYSTEM,
      )
    ).token;
    const host = new Hono().route('/crm', clienteleApi(chain.crm));
    const fetch = (url: string, init: RequestInit) => host.request(url, init);
    const client = createClient('http://shop.test/crm/', { apiKey: manager, fetch });

    const member = await client.customers.register({
      kind: 'individual',
      name: '李雷',
      phone: '13900003333',
      homeStoreId: 'S01',
    });
    expectTypeOf(member.createdAt).toEqualTypeOf<string>();
    expect(member.createdAt).toBe(chain.clock.now().toISOString());
    const read = await client.customers.get(member.id);
    expect(read.displayName).toBe('李雷');

    const sale = { storeId: 'S01', terminalId: 'T1', receiptNo: 'R1', customerId: member.id, lines: BASKET };
    const first = await client.purchases.record(sale, { idempotencyKey: 'client-sale-0001' });
    const retry = await client.purchases.record(sale, { idempotencyKey: 'client-sale-0001' });
    expect(retry).toEqual(first);
    expectTypeOf(first.total).toEqualTypeOf<number>();
    const byReceipt = await client.purchases.byReceipt('S01', 'T1', 'R1');
    expect(byReceipt.id).toBe(first.id);

    const quote = await client.loyalty.quoteFor({ customerId: member.id, storeId: 'S01' }, { lines: BASKET });
    expect(quote.points).toBeGreaterThan(0);
    const timeline = await client.timeline(member.id, { sources: ['purchases'] });
    expect(timeline.items.map((e) => e.source)).toEqual(['purchases']);

    for (const name of ['甲', '乙']) await client.customers.register({ kind: 'individual', name, homeStoreId: 'S01' });
    const page1 = await client.customers.search({ storeId: 'S01', limit: 2 });
    expect(page1.items).toHaveLength(2);
    const page2 = await client.customers.search({ storeId: 'S01', limit: 2, after: page1.next });
    expect(page2.items.map((c) => c.id)).not.toContain(page1.items[0]!.id);
    expect(page1.items.length + page2.items.length).toBe(3);
    await chain.crm.close();
  });

  it('throws refusals as ClienteleErrors with the code, path and issues of the SDK', async () => {
    const chain = await openKeyedChain(await kind.open());
    const clerk = (await chain.keys.create({ name: 'Till', actor: { staffId: 'E-CLERK' } }, SYSTEM)).token;
    const host = new Hono().route('/', clienteleApi(chain.crm));
    const fetch = (url: string, init: RequestInit) => host.request(url, init);
    const client = createClient<Clientele>('http://shop.test', { apiKey: clerk, fetch });

    const invalid = await caught(client.customers.register({ kind: 'individual', name: '', phone: 'x' }));
    expect(isClienteleError(invalid, 'VALIDATION_FAILED')).toBe(true);
    expect(invalid.status).toBe(400);
    expect(invalid.issues.map((i) => i.path)).toEqual(expect.arrayContaining([['name'], ['phone']]));
    const denied = await caught(client.customers.get('cus_anyone'));
    expect([denied.code, denied.status, denied.details['permission']]).toEqual([
      'PERMISSION_DENIED',
      403,
      'customers.read',
    ]);
    const noKey = createClient<Clientele>('http://shop.test', { fetch });
    const anonymous = await caught(noKey.stores.list());
    expect([anonymous.code, anonymous.status, anonymous.details['reason']]).toEqual([
      'PERMISSION_DENIED',
      401,
      'missing_key',
    ]);
    const down = createClient<Clientele>('http://shop.test', {
      apiKey: clerk,
      fetch: async () => new Response('<html>bad gateway</html>', { status: 502 }),
    });
    const gateway = await caught(down.stores.list());
    expect([gateway.code, gateway.status]).toEqual(['STORE_UNAVAILABLE', 502]);
    await chain.crm.close();
  });
});

describe('a refusal over HTTP', () => {
  it('carries the refusing state back under details.status, as the SDK in process does', () => {
    const error = new ClienteleApiError({
      type: 'https://clientele.dev/problems/invalid-state',
      title: 'Not possible in the current state',
      status: 409,
      detail: 'card 8800000000001 is blocked',
      code: 'INVALID_STATE',
      state: 'blocked',
      path: ['cardNumber'],
    });
    expect([error.code, error.status, error.details['status'], error.path]).toEqual([
      'INVALID_STATE',
      409,
      'blocked',
      ['cardNumber'],
    ]);
  });
});

describe('the client type', () => {
  it('leaves out the reader of queries, the actor of commands, and what is not served', () => {
    type Remote = RemoteClientele<Clientele>;
    expectTypeOf<Parameters<Remote['customers']['get']>>().toEqualTypeOf<[string]>();
    expectTypeOf<Parameters<Remote['purchases']['record']>[1]>().toEqualTypeOf<
      { idempotencyKey?: string } | undefined
    >();
    expectTypeOf<Remote>().not.toHaveProperty('migrate');
    expectTypeOf<Remote>().not.toHaveProperty('store');
  });

  it("leaves out the instance's close and loyalty's explain, and keeps the complaint calls of those names", () => {
    type Remote = RemoteClientele<StandardClientele>;
    expectTypeOf<Remote>().not.toHaveProperty('close');
    expectTypeOf<Remote['loyalty']>().not.toHaveProperty('explain');
    expectTypeOf<Remote['complaints']>().toHaveProperty('close');
    expectTypeOf<Remote['complaints']>().toHaveProperty('explain');
    expectTypeOf<Remote['complaints']>().not.toHaveProperty('runDue');
  });
});
