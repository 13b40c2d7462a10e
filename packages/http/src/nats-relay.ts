/**
 * The outbox relayed to NATS JetStream. Each event is published with its id as the message id
 * (`Nats-Msg-Id`), and the outbox position moves only after JetStream acknowledged it; a relay that
 * stops between the two publishes the event again on its next run, and the stream's duplicate window
 * drops the second copy. The relay takes the host's JetStream client, so this package needs no NATS
 * code of its own.
 */
import * as z from 'zod';
import type { Clientele, OutboxEvent } from '@clientele/core';
import { parseInput } from '@clientele/core/module';

/**
 * What the relay needs of a JetStream client: `jetstream(connection)` from `@nats-io/jetstream`
 * is one. `publish` resolves once the stream stored the message (or found it a duplicate).
 */
export interface JetStreamPublisher {
  publish(
    subject: string,
    payload: Uint8Array,
    options: { msgID: string; timeout?: number },
  ): Promise<{ stream: string; seq: number; duplicate: boolean }>;
}

/** Options of {@link natsRelay}. */
export interface NatsRelayOptions {
  /** The JetStream client the events are published with. */
  js: JetStreamPublisher;
  /** The first tokens of every subject: `points.expiring` goes to `<prefix>.points.expiring` (default `clientele`). */
  subjectPrefix?: string;
  /** The outbox consumer whose position the relay keeps (default `nats`). */
  consumer?: string;
  /** Events read from the outbox per query (default 100). */
  batchSize?: number;
  /** How long one publish may wait for JetStream's acknowledgement, ms (default 5 s). */
  timeoutMs?: number;
}

/** What one run of the relay did. */
export interface NatsRound {
  /** Events JetStream stored. */
  published: number;
  /** Events JetStream already held (published before a stop that came before the position moved). */
  duplicates: number;
  /** The outbox position after the run: the `seq` of the last event acknowledged. */
  position: number;
}

/** A NATS message of an outbox event: where it goes, its id, and its JSON body. */
export interface NatsEventMessage {
  subject: string;
  /** The event's id: sent as `Nats-Msg-Id`, the same on every attempt. */
  msgID: string;
  body: string;
}

const tokens = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

const natsRelayOptionsSchema = z
  .object({
    js: z.custom<JetStreamPublisher>(
      (v) => typeof v === 'object' && v !== null && typeof (v as JetStreamPublisher).publish === 'function',
      'a JetStream client: jetstream(connection) from @nats-io/jetstream',
    ),
    subjectPrefix: z.string().max(100).regex(tokens, 'subject tokens joined by dots').default('clientele'),
    consumer: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/)
      .default('nats'),
    batchSize: z.number().int().min(1).max(10_000).default(100),
    timeoutMs: z.number().int().min(1).max(600_000).default(5000),
  })
  .strict();

/**
 * The message an outbox event becomes: subject `<prefix>.<event type>`, message id the event's id,
 * and a body of `{ id, seq, type, customerId, occurredAt, data }` (`data` is the event's payload).
 */
export function natsMessageOf(subjectPrefix: string, event: OutboxEvent): NatsEventMessage {
  return {
    subject: `${subjectPrefix}.${event.type}`,
    msgID: event.id,
    body: JSON.stringify({
      id: event.id,
      seq: event.seq,
      type: event.type,
      customerId: event.customerId,
      occurredAt: event.occurredAt.toISOString(),
      data: event.payload,
    }),
  };
}

/**
 * Publishes the outbox's events to NATS JetStream, in order and at least once, each with its id as
 * `Nats-Msg-Id`, so that a stream with a duplicate window holds each event once. `run()` publishes
 * every event after the consumer's position and moves the position after each acknowledgement; call
 * it from your scheduler. A publish that fails stops the run there (it rethrows): the event comes
 * again next run. Several relays of one consumer at once do not both advance: the slower stops with
 * a `CONFLICT` (and what it published is dropped as a duplicate).
 */
export function natsRelay(crm: Clientele<any>, options: NatsRelayOptions) {
  const o = parseInput(natsRelayOptionsSchema, options, ['options']);
  const encoder = new TextEncoder();
  return {
    /** The subject an event type is published to. */
    subjectOf(type: string): string {
      return `${o.subjectPrefix}.${type}`;
    },
    /** Publishes every event not yet acknowledged; resolves with what it did. */
    async run(): Promise<NatsRound> {
      let published = 0;
      let duplicates = 0;
      const { position } = await crm.outbox.relay(
        async (event: OutboxEvent) => {
          const message = natsMessageOf(o.subjectPrefix, event);
          const ack = await o.js.publish(message.subject, encoder.encode(message.body), {
            msgID: message.msgID,
            timeout: o.timeoutMs,
          });
          if (ack.duplicate) duplicates++;
          else published++;
        },
        { consumer: o.consumer, batchSize: o.batchSize },
      );
      return { published, duplicates, position };
    },
  };
}

/** A NATS relay, as {@link natsRelay} makes it. */
export type NatsRelay = ReturnType<typeof natsRelay>;
