/**
 * The client's written-out table of how each shipped read is sent agrees with the bindings the server
 * makes from `READS`: the same reads, the same method, and the same request fields from the same
 * arguments. The reads a host describes to the client are sent from their schemas, before the table.
 */
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { createClient, type ClientOptions } from '../src/client.js';
import { readBinding } from '../src/operations.js';
import { READ_WIRE, readWire } from '../src/read-wire.js';
import { READS } from '../src/reads.js';

describe('READ_WIRE', () => {
  it('lists exactly the reads of READS', () => {
    expect(Object.keys(READ_WIRE).sort()).toEqual(READS.map((r) => r.path).sort());
    expect(readWire('customers.register')).toBeUndefined();
    expect(readWire('toString')).toBeUndefined();
  });

  it.each(READS.map((spec) => [spec.path, spec] as const))('%s is sent as the server binds it', (_path, spec) => {
    const server = readBinding(spec);
    const client = readWire(spec.path)!;
    expect(client.method).toBe(server.method);
    // Each argument a distinct value (an object where the read takes one), so a field in the wrong
    // place or an argument read as the wrong kind shows.
    const args = spec.args.map((arg, i) => ('field' in arg ? `value-${i}` : { [`field-${i}`]: i, shared: i }));
    expect(client.fieldsOf(args)).toEqual(server.fieldsOf(args));
    expect(client.fieldsOf([])).toEqual({});
    if (spec.args.some((arg) => !('field' in arg))) {
      const bad = spec.args.map(() => 7);
      expect(() => client.fieldsOf(bad)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
      expect(() => server.fieldsOf(bad)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    }
  });
});

type Call = (...args: unknown[]) => Promise<unknown>;
/** The calls these tests make: the client is typed by a crm they do not build. */
interface Calls {
  loyalty: { vouchers: { ofCustomer: Call }; quoteFor: Call };
  purchases: { record: Call };
  cards: { lookup: Call };
  shop: { orders: Call; search: Call };
}

describe('createClient', () => {
  /** A client whose requests are kept, each answered with `{}`. */
  function recording(reads?: ClientOptions['reads']) {
    const sent: Array<{ url: string; method: string; body: unknown }> = [];
    const fetch = async (url: string, init: RequestInit) => {
      sent.push({
        url,
        method: init.method!,
        body: init.body === undefined ? undefined : JSON.parse(String(init.body)),
      });
      return new Response('{}');
    };
    return { client: createClient('http://crm.test/api/', { fetch, reads }) as unknown as Calls, sent };
  }

  it('sends shipped reads by the table, commands as POST bodies', async () => {
    const { client, sent } = recording();
    await client.loyalty.vouchers.ofCustomer('c_1', { limit: 5 });
    await client.loyalty.quoteFor({ customerId: 'c_1', storeId: 'S01' }, { lines: [] });
    await client.purchases.record({ receiptNo: 'R1' }, { idempotencyKey: 'k-1' });
    expect(sent).toEqual([
      {
        url: 'http://crm.test/api/loyalty/vouchers/of-customer?customerId=c_1&limit=5',
        method: 'GET',
        body: undefined,
      },
      {
        url: 'http://crm.test/api/loyalty/quote-for',
        method: 'POST',
        body: { context: { customerId: 'c_1', storeId: 'S01' }, basket: { lines: [] } },
      },
      { url: 'http://crm.test/api/purchases/record', method: 'POST', body: { receiptNo: 'R1' } },
    ]);
  });

  it("sends a host's own reads from their schemas, before a shipped read of the same path", async () => {
    const { client, sent } = recording([
      {
        path: 'shop.orders',
        args: [{ field: 'orderId', schema: z.string() }, { fields: z.object({ limit: z.number().optional() }) }],
      },
      { path: 'shop.search', args: [{ field: 'filter', schema: z.object({ q: z.string() }) }] },
      { path: 'cards.lookup', args: [{ field: 'cardNo', schema: z.string() }] },
    ]);
    await client.shop.orders('o_1', { limit: 3 });
    await client.shop.search({ q: 'tea' });
    await client.cards.lookup('8800');
    expect(sent).toEqual([
      { url: 'http://crm.test/api/shop/orders?orderId=o_1&limit=3', method: 'GET', body: undefined },
      { url: 'http://crm.test/api/shop/search', method: 'POST', body: { filter: { q: 'tea' } } },
      { url: 'http://crm.test/api/cards/lookup?cardNo=8800', method: 'GET', body: undefined },
    ]);
  });
});
