/**
 * Signed webhooks from the outbox. The `webhooks()` module keeps the endpoints (each with the event
 * types it wants and its signing secret) and one delivery row per endpoint and event; `webhookRelay`
 * turns outbox events into deliveries and sends them, signed per the Standard Webhooks specification,
 * retried with exponential backoff and set aside as dead after a bound, until redelivered by hand.
 */
import * as z from 'zod';
import { InvalidStateError, isClienteleError, type Clientele } from '@clientele/core';
import {
  defineCollection,
  defineModule,
  field,
  idSchema,
  mustGet,
  nullable,
  outboxCollection,
  pageSchema,
  parseInput,
  randomBytes,
  shortTextSchema,
  type Migration,
  type RowOf,
} from '@clientele/core/module';

/** Endpoints: where events go, which ones, and the secret their deliveries are signed with. */
export const webhookEndpointsCollection = defineCollection({
  name: 'http_webhook_endpoints',
  primaryKey: 'id',
  versioned: true,
  fields: {
    id: field.string(),
    url: field.string(),
    /** Event types wanted: exact (`purchase.recorded`), an area (`purchase.*`) or everything (`*`). */
    eventTypes: field.json<string[]>(),
    /** `whsec_` and the key in base64, as Standard Webhooks libraries take it. */
    secret: field.string(),
    active: field.boolean(),
    description: nullable(field.string()),
    createdAt: field.timestamp(),
  },
  plain: ['url', 'eventTypes', 'secret', 'description'],
});

/** One event for one endpoint: sent until the endpoint accepts it, or set aside as dead. */
export const webhookDeliveriesCollection = defineCollection({
  name: 'http_webhook_deliveries',
  primaryKey: 'id',
  versioned: true,
  fields: {
    /** `<endpoint id>.<event id>`: an event relayed twice makes no second delivery. */
    id: field.string(),
    endpointId: field.string(),
    eventId: field.string(),
    seq: field.integer(),
    type: field.string(),
    /** `pending`, `delivered` or `dead`. */
    status: field.string(),
    attempts: field.integer(),
    nextAttemptAt: field.timestamp(),
    lastAttemptAt: nullable(field.timestamp()),
    /** The endpoint's HTTP status at the last attempt (`null`: no answer). */
    lastStatus: nullable(field.integer()),
    lastError: nullable(field.string()),
    deliveredAt: nullable(field.timestamp()),
    createdAt: field.timestamp(),
  },
  indexes: [
    { name: 'http_webhook_deliveries_due', fields: ['status', 'nextAttemptAt'] },
    { name: 'http_webhook_deliveries_endpoint', fields: ['endpointId', 'seq'] },
  ],
  plain: ['endpointId', 'eventId', 'type', 'status', 'lastError'],
});

/** The module's migrations, in order; applied ones are never edited. */
export const webhooksMigrations: readonly Migration[] = [
  {
    id: 'http/0002-webhooks',
    steps: [
      { op: 'createCollection', collection: webhookEndpointsCollection },
      { op: 'createCollection', collection: webhookDeliveriesCollection },
    ],
  },
];

/** An endpoint as its owner sees it (the secret only when it is made). */
export type WebhookEndpoint = Omit<RowOf<typeof webhookEndpointsCollection>, 'secret' | 'version'>;
/** A delivery and how it went. */
export type WebhookDelivery = Omit<RowOf<typeof webhookDeliveriesCollection>, 'version'>;

const eventTypeSchema = z
  .string()
  .max(100)
  .regex(/^(\*|[a-z][a-z-]*(\.[a-z*][a-z-]*)*)$/, 'event types look like area.event, area.* or *');

/** Input of `webhooks.addEndpoint`. */
export const addEndpointSchema = z
  .object({
    url: z.url({ protocol: /^https?$/ }).max(2000),
    eventTypes: z.array(eventTypeSchema).min(1).max(100),
    description: shortTextSchema.optional(),
  })
  .strict();

const deliveriesSchema = pageSchema
  .extend({
    endpointId: idSchema.optional(),
    status: z.enum(['pending', 'delivered', 'dead']).optional(),
  })
  .strict();

/** Whether an endpoint's list of event types takes `type`. */
export function wantsEvent(eventTypes: readonly string[], type: string): boolean {
  return eventTypes.some((t) => t === '*' || t === type || (t.endsWith('.*') && type.startsWith(t.slice(0, -1))));
}

function base64(bytes: Uint8Array): string {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

/**
 * The `webhook-signature` header of a message per Standard Webhooks: `v1,` and the base64 HMAC-SHA256,
 * under the secret's key, of `<id>.<timestamp>.<body>`.
 */
export async function signWebhook(secret: string, id: string, timestamp: number, body: string): Promise<string> {
  const key = await globalThis.crypto.subtle.importKey(
    'raw',
    fromBase64(secret.replace(/^whsec_/, '')),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = await globalThis.crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${id}.${timestamp}.${body}`));
  return `v1,${base64(new Uint8Array(mac))}`;
}

const toEndpoint = ({ secret: _s, version: _v, ...rest }: RowOf<typeof webhookEndpointsCollection>) => rest;
const toDelivery = ({ version: _v, ...rest }: RowOf<typeof webhookDeliveriesCollection>) => rest;

/**
 * The webhooks module: `crm.webhooks` adds and turns off endpoints, lists them and their deliveries,
 * and redelivers one by hand. Changing endpoints needs `webhooks.manage`, reading them `webhooks.read`.
 * `webhookRelay(crm)` does the sending.
 */
export function webhooks() {
  return defineModule({
    name: 'webhooks',
    collections: [webhookEndpointsCollection, webhookDeliveriesCollection],
    migrations: webhooksMigrations,
    setup(kernel) {
      const addEndpoint = kernel.command({
        name: 'webhooks.add-endpoint',
        input: addEndpointSchema,
        permission: 'webhooks.manage',
        idempotency: 'optional',
        async run(ctx, input): Promise<WebhookEndpoint & { secret: string }> {
          const row = await ctx.tx.insert(webhookEndpointsCollection, {
            id: ctx.id('whe'),
            url: input.url,
            eventTypes: [...new Set(input.eventTypes)],
            secret: `whsec_${base64(randomBytes(32))}`,
            active: true,
            description: input.description ?? null,
            createdAt: ctx.now,
          });
          ctx.audit({ type: 'webhook-endpoint', id: row.id }, { eventTypes: row.eventTypes });
          return { ...toEndpoint(row), secret: row.secret };
        },
      });

      const setActive = kernel.command({
        name: 'webhooks.set-endpoint-active',
        input: z.object({ endpointId: idSchema, active: z.boolean() }).strict(),
        permission: 'webhooks.manage',
        idempotency: 'optional',
        async run(ctx, input): Promise<WebhookEndpoint> {
          await mustGet(ctx.tx, webhookEndpointsCollection, input.endpointId, 'webhook endpoint', {
            path: ['endpointId'],
          });
          const row = await ctx.tx.update(webhookEndpointsCollection, input.endpointId, { active: input.active });
          ctx.audit({ type: 'webhook-endpoint', id: row.id }, { active: row.active });
          return toEndpoint(row);
        },
      });

      const redeliver = kernel.command({
        name: 'webhooks.redeliver',
        input: z.object({ deliveryId: idSchema }).strict(),
        permission: 'webhooks.manage',
        idempotency: 'optional',
        async run(ctx, input): Promise<WebhookDelivery> {
          const row = await mustGet(ctx.tx, webhookDeliveriesCollection, input.deliveryId, 'webhook delivery', {
            path: ['deliveryId'],
          });
          if (row.status === 'pending')
            throw new InvalidStateError(`delivery ${row.id} is still being tried`, {
              reason: 'still_pending',
              path: ['deliveryId'],
            });
          const updated = await ctx.tx.update(webhookDeliveriesCollection, row.id, {
            status: 'pending',
            attempts: 0,
            nextAttemptAt: ctx.now,
          });
          ctx.audit({ type: 'webhook-delivery', id: row.id }, { previous: row.status });
          return toDelivery(updated);
        },
      });

      const endpoints = kernel.query({
        name: 'webhooks.endpoints',
        permission: 'webhooks.read',
        async run(): Promise<WebhookEndpoint[]> {
          const page = await kernel.store.find(webhookEndpointsCollection, { limit: 1000 });
          return page.rows.map(toEndpoint);
        },
      });

      const deliveries = kernel.query({
        name: 'webhooks.deliveries',
        permission: 'webhooks.read',
        async run(
          input: z.input<typeof deliveriesSchema> = {},
        ): Promise<{ items: WebhookDelivery[]; next: string | null }> {
          const q = parseInput(deliveriesSchema, input);
          const page = await kernel.store.find(webhookDeliveriesCollection, {
            where: {
              ...(q.endpointId ? { endpointId: q.endpointId } : {}),
              ...(q.status ? { status: q.status } : {}),
            },
            limit: q.limit,
            after: q.after ?? null,
          });
          return { items: page.rows.map(toDelivery), next: page.next };
        },
      });

      return {
        api: {
          /** Adds an endpoint for the event types listed; the answer holds its signing secret. */
          addEndpoint,
          /** Turns an endpoint off (its deliveries wait) or on again. */
          setEndpointActive: setActive,
          /** Sends a dead (or delivered) delivery again, from its first attempt. */
          redeliver,
          /** Every endpoint, without secrets. */
          endpoints,
          /** Deliveries, of one endpoint or in one state. */
          deliveries,
        },
      };
    },
  });
}

/** Options of {@link webhookRelay}. */
export interface WebhookRelayOptions {
  /** How requests are sent (default the global fetch). */
  fetch?: (url: string, init: RequestInit) => Response | Promise<Response>;
  /** Attempts before a delivery is set aside as dead (default 8). */
  maxAttempts?: number;
  /** The wait after the n-th failed attempt, ms (default 10 s doubling each time, at most 6 h). */
  backoff?: (attempt: number) => number;
  /** How long one request may take, ms (default 10 s). */
  timeoutMs?: number;
  /** The outbox consumer whose position the relay keeps (default `webhooks`). */
  consumer?: string;
  /** Deliveries tried per `deliver` call at most (default 100). */
  batchSize?: number;
}

/** What one round of the relay did. */
export interface WebhookRound {
  /** Outbox events read. */
  events: number;
  /** Deliveries made for them. */
  queued: number;
  /** Deliveries the endpoints accepted. */
  delivered: number;
  /** Deliveries that failed and will be tried again. */
  retrying: number;
  /** Deliveries set aside as dead. */
  dead: number;
}

const defaultBackoff = (attempt: number) => Math.min(10_000 * 2 ** (attempt - 1), 6 * 3600_000);

/**
 * Sends the outbox's events to the webhook endpoints. `dispatch()` reads new events (at least once,
 * in order, from the outbox consumer `webhooks`) and makes one delivery per endpoint that wants each;
 * `deliver()` sends the deliveries that are due, each a `POST` of `{ type, timestamp, data }` with the
 * headers `webhook-id` (the event's id, the same on every attempt), `webhook-timestamp` and
 * `webhook-signature`, so any Standard Webhooks library verifies it. A 2xx answer delivers it; anything
 * else is tried again after the backoff, and set aside as dead after `maxAttempts`. `run()` does both:
 * call it from your scheduler. Several relays may run at once: each delivery is claimed before it is sent.
 */
export function webhookRelay(crm: Clientele<any>, options: WebhookRelayOptions = {}) {
  const store = crm.store;
  const send = options.fetch ?? ((url: string, init: RequestInit) => globalThis.fetch(url, init));
  const maxAttempts = options.maxAttempts ?? 8;
  const backoff = options.backoff ?? defaultBackoff;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const batchSize = options.batchSize ?? 100;

  async function activeEndpoints() {
    return (await store.find(webhookEndpointsCollection, { where: { active: true }, limit: 1000 })).rows;
  }

  /** Makes the deliveries of new outbox events. */
  async function dispatch(): Promise<{ events: number; queued: number }> {
    const endpoints = await activeEndpoints();
    let queued = 0;
    const { delivered } = await crm.outbox.relay(
      async (event) => {
        for (const endpoint of endpoints) {
          if (!wantsEvent(endpoint.eventTypes, event.type)) continue;
          try {
            await store.insert(webhookDeliveriesCollection, {
              id: `${endpoint.id}.${event.id}`,
              endpointId: endpoint.id,
              eventId: event.id,
              seq: event.seq,
              type: event.type,
              status: 'pending',
              attempts: 0,
              nextAttemptAt: crm.clock.now(),
              lastAttemptAt: null,
              lastStatus: null,
              lastError: null,
              deliveredAt: null,
              createdAt: crm.clock.now(),
            });
            queued++;
          } catch (error) {
            // The event came again after a stop between its deliveries and the move of the position.
            if (!isClienteleError(error, 'CONFLICT')) throw error;
          }
        }
      },
      { consumer: options.consumer ?? 'webhooks' },
    );
    return { events: delivered, queued };
  }

  /** Sends one delivery it has claimed; returns how it went. */
  async function attempt(
    delivery: RowOf<typeof webhookDeliveriesCollection>,
    endpoint: RowOf<typeof webhookEndpointsCollection>,
  ): Promise<'delivered' | 'retrying' | 'dead'> {
    const now = crm.clock.now();
    const event = await store.get(outboxCollection, delivery.eventId);
    let status: number | null = null;
    let error: string | null = null;
    if (!event) error = 'the event is no longer in the outbox';
    else {
      const body = JSON.stringify({ type: event.type, timestamp: event.occurredAt.toISOString(), data: event.payload });
      const timestamp = Math.floor(now.getTime() / 1000);
      try {
        const response = await send(endpoint.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'webhook-id': event.id,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': await signWebhook(endpoint.secret, event.id, timestamp, body),
          },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        status = response.status;
        await response.body?.cancel().catch(() => undefined);
        if (!response.ok) error = `HTTP ${response.status}`;
      } catch (e) {
        error = (e as Error).message?.slice(0, 500) || 'the request failed';
      }
    }
    const attempts = delivery.attempts + 1;
    const outcome = error === null ? 'delivered' : !event || attempts >= maxAttempts ? 'dead' : 'retrying';
    await store.update(webhookDeliveriesCollection, delivery.id, {
      status: outcome === 'retrying' ? 'pending' : outcome,
      attempts,
      lastAttemptAt: now,
      lastStatus: status,
      lastError: error,
      nextAttemptAt: outcome === 'retrying' ? new Date(now.getTime() + backoff(attempts)) : delivery.nextAttemptAt,
      deliveredAt: outcome === 'delivered' ? now : delivery.deliveredAt,
    });
    return outcome;
  }

  /** Sends the deliveries that are due. */
  async function deliver(): Promise<{ delivered: number; retrying: number; dead: number }> {
    const endpoints = new Map((await activeEndpoints()).map((e) => [e.id, e]));
    const now = crm.clock.now();
    const due = await store.find(webhookDeliveriesCollection, {
      where: { status: 'pending', nextAttemptAt: { lte: now }, endpointId: { in: [...endpoints.keys()] } },
      orderBy: [{ field: 'nextAttemptAt' }],
      limit: batchSize,
    });
    const counts = { delivered: 0, retrying: 0, dead: 0 };
    for (const row of due.rows) {
      let claimed: RowOf<typeof webhookDeliveriesCollection>;
      try {
        // Claimed for the length of one attempt: another relay skips it, and if this one stops, it is due again.
        claimed = await store.update(
          webhookDeliveriesCollection,
          row.id,
          { nextAttemptAt: new Date(now.getTime() + timeoutMs + 60_000) },
          { expectVersion: row.version },
        );
      } catch (error) {
        if (isClienteleError(error, 'CONFLICT')) continue;
        throw error;
      }
      counts[await attempt({ ...claimed, nextAttemptAt: row.nextAttemptAt }, endpoints.get(row.endpointId)!)]++;
    }
    return counts;
  }

  return {
    dispatch,
    deliver,
    /** One round: new events into deliveries, then the due deliveries sent. */
    async run(): Promise<WebhookRound> {
      const made = await dispatch();
      const sent = await deliver();
      return { ...made, ...sent };
    },
  };
}

/** A webhook relay, as {@link webhookRelay} makes it. */
export type WebhookRelay = ReturnType<typeof webhookRelay>;
