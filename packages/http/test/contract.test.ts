/**
 * The contract: every function on a crm with every shipped module is served or excluded by name, the
 * document at /openapi.json is valid OpenAPI 3.1 and describes each served operation from its own
 * schema, and /docs serves the interactive reference.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { Hono } from 'hono';
import { beforeAll, describe, expect, it } from 'vitest';
import { createClientele, memoryStore, type Clientele } from '@clientele/core';
import { unclassifiedFields } from '@clientele/core/module';
import { complaints } from '@clientele/complaints';
import { loyalty } from '@clientele/loyalty';
import { segments } from '@clientele/segments';
import { TIANTIAN } from '../../complaints/test/support/world.js';
import { PROGRAM } from '../../loyalty/test/support.js';
import {
  EXCLUDED,
  READS,
  WRAPPERS,
  apiKeys,
  apiKeysCollection,
  clienteleApi,
  operationsOf,
  routeOf,
  webhookDeliveriesCollection,
  webhookEndpointsCollection,
  webhooks,
} from '../src/index.js';
import { functionsOf } from '../src/operations.js';
import { call } from './support.js';

const crm = createClientele({
  store: memoryStore(),
  modules: [loyalty(PROGRAM), complaints(TIANTIAN), segments(), apiKeys(), webhooks()],
}) as unknown as Clientele;
const app = clienteleApi(crm, { authenticate: () => ({ staffId: 'E-ANY' }) });
const { operations, unrouted } = operationsOf(crm);
let doc: any;

beforeAll(async () => {
  await crm.migrate();
  doc = (await call(app, 'GET', '/openapi.json')).body;
});

describe('the operation table', () => {
  it('serves or excludes every function on crm, and names no function that is not there', () => {
    expect(unrouted).toEqual([]);
    const functions = functionsOf(crm);
    expect(EXCLUDED.map((e) => e.path).filter((p) => !functions.has(p))).toEqual([]);
    expect(READS.map((r) => r.path).filter((p) => !functions.has(p))).toEqual([]);
    const served = new Set(operations.map((o) => o.name));
    for (const path of functions.keys()) expect(served.has(path) || EXCLUDED.some((e) => e.path === path)).toBe(true);
  });

  it('serves every registered command that is reachable on crm, with its own schema and permission', () => {
    const byAudit = new Map(operations.filter((o) => o.kind === 'command').map((o) => [o.audited, o]));
    const registry = crm.commands();
    const reachable = registry.filter((c) => byAudit.has(c.name));
    // The rest are internal steps run by due work and by the wrappers (expiry, escalation, PIN failures).
    expect(reachable.length).toBeGreaterThanOrEqual(70);
    for (const c of reachable) {
      const op = byAudit.get(c.name)!;
      expect(op.permission).toBe(c.permission);
      expect(op.idempotency).toBe(c.idempotency);
      // A wrapper takes what its command is then given (a PIN, not the stamp of its check).
      const wrapper = WRAPPERS.find((w) => w.path === op.name);
      if (!wrapper) expect(op.input).toBe(c.input);
    }
    // Key management stays with the host.
    expect(operations.some((o) => o.name.startsWith('apiKeys.'))).toBe(false);
  });

  it('routes each function at its kebab-case path, reads with plain fields as GET', () => {
    expect(routeOf('loyalty.storedValue.setPin')).toBe('/loyalty/stored-value/set-pin');
    const get = (name: string) => operations.find((o) => o.name === name)!;
    expect([get('customers.get').method, get('customers.get').route]).toEqual(['get', '/customers/get']);
    expect(get('loyalty.quoteFor').method).toBe('post');
    expect(get('purchases.record').method).toBe('post');
    expect(get('timeline').fields!.get('sources')).toBe('array');
    expect(get('customers.search').fields!.get('limit')).toBe('integer');
  });
});

describe('the collections of the package', () => {
  it('declare every string and JSON field personal, free text or plain', () => {
    const own = [apiKeysCollection, webhookEndpointsCollection, webhookDeliveriesCollection];
    expect(own.flatMap((c) => unclassifiedFields(c).map((f) => `${c.name}.${f}`))).toEqual([]);
  });
});

describe('/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
  });

  it('describes every served operation once, from the same schemas', () => {
    const described = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
      Object.entries(item).map(([method, o]) => ({ path, method, o })),
    );
    expect(described).toHaveLength(operations.length);
    const ids = described.map((d) => d.o.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    const record = doc.paths['/purchases/record'].post;
    const body = record.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(expect.arrayContaining(['storeId', 'terminalId', 'receiptNo', 'lines']));
    expect(body.properties.lines.items.properties.unitPrice.type).toBe('integer');
    expect(body.additionalProperties).toBe(false);
    const key = record.parameters.find((p: any) => p.name === 'Idempotency-Key');
    expect(key).toMatchObject({ in: 'header', required: true });
    expect(record.responses['422'].content['application/problem+json'].schema.$ref).toBe(
      '#/components/schemas/Problem',
    );
    const search = doc.paths['/customers/search'].get;
    expect(search.parameters.map((p: any) => p.name)).toEqual(
      expect.arrayContaining(['phone', 'email', 'name', 'limit', 'after']),
    );
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('names the server where the app is mounted', async () => {
    const host = new Hono().route('/crm/v1', app);
    const mounted = (await call(host, 'GET', '/crm/v1/openapi.json')).body;
    expect(mounted.servers).toEqual([{ url: '/crm/v1' }]);
    const proxied = clienteleApi(crm, { publicUrl: 'https://pos.example.com/crm', authenticate: () => null });
    expect((await call(proxied, 'GET', '/openapi.json')).body.servers).toEqual([
      { url: 'https://pos.example.com/crm' },
    ]);
  });
});

describe('/docs', () => {
  it('serves the interactive reference, reading the document beside it', async () => {
    const reply = await call(app, 'GET', '/docs');
    expect(reply.status).toBe(200);
    expect(reply.type).toMatch(/^text\/html/);
    expect(reply.body).toContain('@scalar/api-reference');
    expect(reply.body).toContain('"url":"./openapi.json"');
  });

  it('is left out with docs: false', async () => {
    const closed = clienteleApi(crm, { docs: false, authenticate: () => null });
    expect((await call(closed, 'GET', '/openapi.json')).status).toBe(404);
    expect((await call(closed, 'GET', '/docs')).status).toBe(404);
  });
});
