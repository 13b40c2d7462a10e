/**
 * Relaying the outbox: events were written in the same transaction as their change; the relay
 * hands them, in `seq` order and at least once, to anything outside the process.
 */
import * as z from 'zod';
import type { Clock } from '../clock.js';
import { isClienteleError } from '../errors.js';
import type { Store } from '../store/port.js';
import type { JsonValue } from '../store/schema.js';
import { parseInput } from '../validation.js';
import { outbox, outboxCursors } from './collections.js';
import type { EventMap } from './events.js';

/** An event as stored in the outbox. */
export type OutboxEvent<E extends EventMap = EventMap> = {
  [K in keyof E & string]: {
    id: string;
    /** Position in the outbox; strictly increasing in commit order. */
    seq: number;
    type: K;
    payload: E[K];
    customerId: string | null;
    occurredAt: Date;
  };
}[keyof E & string];

/** Options of `relay`. */
export interface RelayOptions {
  /** Name of the consumer; each keeps its own position. Default `default`. */
  consumer?: string;
  /** Events read per query. Default 100. */
  batchSize?: number;
  /** Stop after this many events (default: until the outbox is drained). */
  maxEvents?: number;
}

const relayOptionsSchema = z
  .object({
    consumer: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/)
      .default('default'),
    batchSize: z.number().int().min(1).max(10_000).default(100),
    maxEvents: z.number().int().min(1).optional(),
  })
  .strict();

/** The outbox API. */
export interface Outbox<E extends EventMap> {
  /**
   * Delivers events after the consumer's position to `handler`, one at a time in order, and moves the
   * position after each one the handler accepted. If the handler throws, the relay stops there and
   * rethrows; the same event comes again next time (at least once). Two relays of one consumer at
   * once do not both advance: the slower stops with a `CONFLICT`.
   */
  relay(
    handler: (event: OutboxEvent<E>) => Promise<void> | void,
    options?: RelayOptions,
  ): Promise<{ delivered: number; position: number }>;
  /** The consumer's position (the last delivered `seq`, 0 before any). */
  position(consumer?: string): Promise<number>;
  /** Events after a position, in order (for inspection and tests). */
  list(options?: { afterSeq?: number; limit?: number }): Promise<OutboxEvent<E>[]>;
}

/** Creates the outbox API on a store. */
export function createOutbox<E extends EventMap>(store: Store, clock: Clock): Outbox<E> {
  async function cursor(consumer: string) {
    const existing = await store.get(outboxCursors, consumer);
    if (existing) return existing;
    try {
      return await store.insert(outboxCursors, { id: consumer, seq: 0, updatedAt: clock.now() });
    } catch (error) {
      if (!isClienteleError(error, 'CONFLICT')) throw error;
      return (await store.get(outboxCursors, consumer))!;
    }
  }

  const toEvent = (row: {
    id: string;
    seq: number;
    type: string;
    payload: JsonValue;
    customerId: string | null;
    occurredAt: Date;
  }) =>
    ({
      id: row.id,
      seq: row.seq,
      type: row.type,
      payload: row.payload,
      customerId: row.customerId,
      occurredAt: row.occurredAt,
    }) as OutboxEvent<E>;

  return {
    async relay(handler, options = {}) {
      const o = parseInput(relayOptionsSchema, options, ['options']);
      let c = await cursor(o.consumer);
      let delivered = 0;
      for (;;) {
        const room = o.maxEvents === undefined ? o.batchSize : Math.min(o.batchSize, o.maxEvents - delivered);
        if (room <= 0) break;
        const page = await store.find(outbox, {
          where: { seq: { gt: c.seq } },
          orderBy: [{ field: 'seq' }],
          limit: room,
        });
        if (page.rows.length === 0) break;
        for (const row of page.rows) {
          await handler(toEvent(row));
          c = await store.update(
            outboxCursors,
            o.consumer,
            { seq: row.seq, updatedAt: clock.now() },
            { expectVersion: c.version },
          );
          delivered++;
        }
      }
      return { delivered, position: c.seq };
    },
    async position(consumer = 'default') {
      return (await store.get(outboxCursors, consumer))?.seq ?? 0;
    },
    async list(options = {}) {
      const q = parseInput(
        z
          .object({
            afterSeq: z.number().int().min(0).default(0),
            limit: z.number().int().min(1).max(10_000).default(100),
          })
          .strict(),
        options,
        ['options'],
      );
      const page = await store.find(outbox, {
        where: { seq: { gt: q.afterSeq } },
        orderBy: [{ field: 'seq' }],
        limit: q.limit,
      });
      return page.rows.map(toEvent);
    },
  };
}
