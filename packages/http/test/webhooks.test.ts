/**
 * Signed webhooks from the outbox: each endpoint gets the events it asked for, once per event however
 * often the outbox hands it over, signed so that the Standard Webhooks library verifies it; a failed
 * delivery is tried again after a growing wait, set aside as dead after the bound, and sent again by
 * hand.
 */
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loyalty } from '@clientele/loyalty';
import { BASKET, EARN_ALL_PROGRAM, SYSTEM, openChain } from '../../../tests/support/chain.js';
import { STORE_KINDS } from '../../../tests/support/stores.js';
import { clienteleApi, webhookRelay, webhooks, webhookDeliveriesCollection } from '../src/index.js';
import { call } from './support.js';

const KINDS = STORE_KINDS.filter((k) => k.name !== 'memory');
afterAll(async () => {
  for (const k of KINDS) await k.cleanup();
});

interface Received {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** A receiver that records each request and answers with the next status given (then 200). */
function receiver(statuses: number[] = []) {
  const got: Received[] = [];
  const fetch = async (url: string, init: RequestInit) => {
    got.push({ url, headers: { ...(init.headers as Record<string, string>) }, body: String(init.body) });
    return new Response('ok', { status: statuses.shift() ?? 200 });
  };
  return { got, fetch };
}

async function openHooked(store: Parameters<typeof openChain>[0]) {
  const chain = await openChain(store, { modules: [loyalty(EARN_ALL_PROGRAM), webhooks()] });
  const crm = chain.crm as typeof chain.crm & { webhooks: ReturnType<ReturnType<typeof webhooks>['setup']>['api'] };
  return { ...chain, crm };
}

describe.each(KINDS)('webhooks on $name', (kind) => {
  it('sends each endpoint the events it wants, once, signed so a Standard Webhooks library verifies them', async () => {
    const { crm, clock } = await openHooked(await kind.open());
    const sales = await crm.webhooks.addEndpoint(
      { url: 'https://shop.example.com/hooks/sales', eventTypes: ['purchase.*'] },
      SYSTEM,
    );
    const all = await crm.webhooks.addEndpoint({ url: 'https://crm-mirror.example.com/in', eventTypes: ['*'] }, SYSTEM);
    expect(sales.secret).toMatch(/^whsec_/);
    const member = await crm.customers.register(
      { kind: 'individual', name: '张伟' },
      { actor: { staffId: 'E-MANAGER' } },
    );
    await crm.purchases.record(
      { storeId: 'S01', terminalId: 'T1', receiptNo: 'R1', customerId: member.id, lines: BASKET },
      { actor: { staffId: 'E-CLERK' }, idempotencyKey: 'hook-sale-0001' },
    );
    const events = await crm.outbox.list({ limit: 1000 });
    const { got, fetch } = receiver();
    const relay = webhookRelay(crm, { fetch });
    const round = await relay.run();
    expect(round.events).toBe(events.length);
    const forSales = events.filter((e) => e.type.startsWith('purchase.'));
    expect(forSales.length).toBeGreaterThan(0);
    expect(round).toMatchObject({
      queued: events.length + forSales.length,
      delivered: events.length + forSales.length,
    });

    const toSales = got.filter((r) => r.url === 'https://shop.example.com/hooks/sales');
    // The library refuses a message more than five minutes from its own clock: let it read the chain's.
    vi.useFakeTimers({ toFake: ['Date'], now: clock.now() });
    expect(toSales.map((r) => r.headers['webhook-id']).sort()).toEqual(forSales.map((e) => e.id).sort());
    for (const r of toSales) {
      const verified = new Webhook(sales.secret).verify(r.body, r.headers) as { type: string; data: unknown };
      const event = events.find((e) => e.id === r.headers['webhook-id'])!;
      expect(verified).toEqual({ type: event.type, timestamp: event.occurredAt.toISOString(), data: event.payload });
      // Signed with the other endpoint's secret, or changed on the way, it is refused.
      expect(() => new Webhook(all.secret).verify(r.body, r.headers)).toThrow();
      expect(() => new Webhook(sales.secret).verify(r.body.replace('"data"', '"data" '), r.headers)).toThrow();
    }
    vi.useRealTimers();

    // The outbox hands the same events over again (a relay that stopped before moving its position):
    // no delivery is made twice.
    const again = webhookRelay(crm, { fetch, consumer: 'webhooks-replay' });
    expect(await again.run()).toMatchObject({ events: events.length, queued: 0, delivered: 0 });
    expect(await crm.store.count(webhookDeliveriesCollection)).toBe(events.length + forSales.length);
    await crm.close();
  });

  it('retries a failed delivery after a growing wait, sets it aside after the bound, redelivers by hand', async () => {
    const { crm, clock } = await openHooked(await kind.open());
    await crm.webhooks.addEndpoint(
      { url: 'https://flaky.example.com/hook', eventTypes: ['customer.registered'] },
      SYSTEM,
    );
    await crm.customers.register({ kind: 'individual', name: '李雷' }, { actor: { staffId: 'E-MANAGER' } });
    const { got, fetch } = receiver([500, 503, 500]);
    const relay = webhookRelay(crm, { fetch, maxAttempts: 3, backoff: (n) => 1000 * 4 ** n });

    expect(await relay.run()).toMatchObject({ queued: 1, retrying: 1 });
    expect(await relay.deliver()).toEqual({ delivered: 0, retrying: 0, dead: 0 });
    clock.advance(3_999);
    expect((await relay.deliver()).retrying).toBe(0);
    clock.advance(1);
    expect(await relay.deliver()).toEqual({ delivered: 0, retrying: 1, dead: 0 });
    clock.advance(16_000);
    expect(await relay.deliver()).toEqual({ delivered: 0, retrying: 0, dead: 1 });
    clock.advance(3_600_000);
    expect(await relay.deliver()).toEqual({ delivered: 0, retrying: 0, dead: 0 });
    expect(got).toHaveLength(3);
    // Every attempt carries the event's id, so the receiver can tell a retry from a new event.
    expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(1);

    const [dead] = (await crm.webhooks.deliveries({ status: 'dead' }, SYSTEM)).items;
    expect(dead).toMatchObject({ attempts: 3, lastStatus: 500, lastError: 'HTTP 500' });
    await crm.webhooks.redeliver({ deliveryId: dead!.id }, SYSTEM);
    expect(await relay.deliver()).toEqual({ delivered: 1, retrying: 0, dead: 0 });
    const [done] = (await crm.webhooks.deliveries({ status: 'delivered' }, SYSTEM)).items;
    expect(done).toMatchObject({ id: dead!.id, attempts: 1, lastStatus: 200, deliveredAt: clock.now() });
    await expect(crm.webhooks.redeliver({ deliveryId: 'whe_none.evt_none' }, SYSTEM)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await crm.close();
  });

  it('keeps the deliveries of a turned-off endpoint waiting, and serves endpoints over HTTP', async () => {
    const { crm } = await openHooked(await kind.open());
    const app = clienteleApi(crm, { authenticate: () => ({ system: 'ops', permissions: ['webhooks.*'] }) });
    const made = await call(app, 'POST', '/webhooks/add-endpoint', {
      json: { url: 'https://erp.example.com/clientele', eventTypes: ['customer.*'] },
    });
    expect(made.status).toBe(200);
    const bad = await call(app, 'POST', '/webhooks/add-endpoint', { json: { url: 'ftp://x', eventTypes: [] } });
    expect(bad.body.issues.map((i: { path: unknown[] }) => i.path)).toEqual([['url'], ['eventTypes']]);
    await call(app, 'POST', '/webhooks/set-endpoint-active', { json: { endpointId: made.body.id, active: false } });
    await crm.customers.register({ kind: 'individual', name: '韩梅梅' }, { actor: { staffId: 'E-MANAGER' } });
    const { got, fetch } = receiver();
    const relay = webhookRelay(crm, { fetch });
    expect(await relay.run()).toMatchObject({ queued: 0, delivered: 0 });
    expect(got).toHaveLength(0);
    const listed = await call(app, 'GET', '/webhooks/endpoints');
    expect(listed.body).toEqual([expect.objectContaining({ id: made.body.id, active: false })]);
    expect(JSON.stringify(listed.body)).not.toContain('whsec_');
    await crm.close();
  });
});
