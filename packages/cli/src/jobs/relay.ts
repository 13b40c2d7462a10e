/** `clientele relay --to nats://... | https://...`: the outbox's events out, through the HTTP package's relays. */
import { isClienteleError, type AnyModule, type Clientele } from '@clientele/core';
import { UsageError } from '../failure.js';

/** One round of a relay, described in a line. */
export type RelayRound = () => Promise<string>;

/** Opens the relay `to` names: NATS JetStream, or the webhook relay to the endpoints registered in the store. */
export async function openRelay(
  crm: Clientele<AnyModule[]>,
  to: string,
  options: { subjectPrefix?: string | undefined } = {},
): Promise<{ round: RelayRound; close(): Promise<void> }> {
  const http = await import('@clientele/http');
  if (/^nats:\/\//.test(to)) {
    // Optional peers, loaded only for a NATS relay.
    const transport = '@nats-io/transport-node';
    const jetstreamName = '@nats-io/jetstream';
    const { connect } = (await import(transport)) as {
      connect(o: { servers: string }): Promise<{ close(): Promise<void> }>;
    };
    const { jetstream } = (await import(jetstreamName)) as { jetstream(nc: unknown): unknown };
    const url = new URL(to);
    const nc = await connect({ servers: `${url.hostname}:${url.port || '4222'}` });
    const js = jetstream(nc) as Parameters<typeof http.natsRelay>[1]['js'];
    let relay: ReturnType<typeof http.natsRelay>;
    try {
      relay = http.natsRelay(crm, { js, ...(options.subjectPrefix ? { subjectPrefix: options.subjectPrefix } : {}) });
    } catch (error) {
      await nc.close();
      // The only option the relay checks here is the prefix: a bad one is wrong usage.
      throw isClienteleError(error, 'VALIDATION_FAILED')
        ? new UsageError(`relay --subject-prefix ${options.subjectPrefix}: ${error.message}`)
        : error;
    }
    return {
      async round() {
        const r = await relay.run();
        return `relay: ${r.published} published, ${r.duplicates} already held, position ${r.position}`;
      },
      close: () => nc.close(),
    };
  }
  if (options.subjectPrefix !== undefined) throw new UsageError('relay: --subject-prefix is for a NATS relay');
  if (/^https?:\/\//.test(to)) {
    const endpoints = await crm.store.find(http.webhookEndpointsCollection, { where: { active: true }, limit: 1000 });
    if (!endpoints.rows.some((e) => e.url === to))
      throw new UsageError(
        `relay --to ${to}: no active webhook endpoint has this URL (register it with the webhooks module first)`,
      );
    const relay = http.webhookRelay(crm);
    return {
      async round() {
        const r = await relay.run();
        return `relay: ${r.events} events, ${r.delivered} delivered, ${r.retrying} to retry, ${r.dead} set aside`;
      },
      close: async () => undefined,
    };
  }
  throw new UsageError(`relay --to ${to}: give nats://host:port or the https:// URL of a webhook endpoint`);
}
