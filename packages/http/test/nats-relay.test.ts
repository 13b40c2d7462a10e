/**
 * The outbox relayed to NATS JetStream: each event is published with its id as `Nats-Msg-Id`, and a
 * relay stopped after JetStream acknowledged an event but before the outbox position moved publishes
 * it again when it restarts, which the stream's duplicate window drops: the stream holds each event
 * once. The stop is injected in process on every store, and is a real SIGKILL of a relay process on
 * the stores a second process can open.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isClienteleError, type Clientele, type Store } from '@clientele/core';
import { loyalty } from '@clientele/loyalty';
import { postgresStore } from '@clientele/postgres';
import { sqliteStore } from '@clientele/sqlite';
import { BASKET, CLERK, EARN_ALL_PROGRAM, freshKey, nextReceipt, openChain } from '../../../tests/support/chain.js';
import { natsTestServer } from '../../../tests/support/nats.js';
import { PG_URL, STORE_KINDS, serverSchemas } from '../../../tests/support/stores.js';
import { natsMessageOf, natsRelay, type JetStreamPublisher } from '../src/index.js';

const nats = await natsTestServer();
const pgServer = serverSchemas();
const dir = mkdtempSync(join(tmpdir(), 'clientele-nats-'));
afterAll(async () => {
  await nats?.close();
  for (const k of STORE_KINDS) await k.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** A chain with loyalty (so a sale writes several events) and `sales` member sales recorded. */
async function chainWithSales(store: Store, sales: number): Promise<Clientele> {
  const { crm } = await openChain(store, { modules: [loyalty(EARN_ALL_PROGRAM)] });
  const member = await crm.customers.register({ kind: 'individual', name: '张伟' }, CLERK);
  for (let i = 0; i < sales; i++)
    await crm.purchases.record(
      { storeId: 'S01', terminalId: 'T1', receiptNo: nextReceipt(), customerId: member.id, lines: BASKET },
      { ...CLERK, idempotencyKey: freshKey('nats-sale') },
    );
  return crm;
}

/** Publishes through `js` until the `stopAfter`-th acknowledgement, then fails as a relay killed there would. */
function dyingAfter(js: JetStreamPublisher, stopAfter: number): JetStreamPublisher {
  let acked = 0;
  return {
    async publish(subject, payload, options) {
      const ack = await js.publish(subject, payload, options);
      if (++acked === stopAfter) throw new Error('relay killed after the publish, before the position moved');
      return ack;
    },
  };
}

describe('natsMessageOf', () => {
  it('sends an event to <prefix>.<type> with its id as the message id and its facts in the body', () => {
    const at = new Date('2026-11-02T02:00:00Z');
    const message = natsMessageOf('shop', {
      id: 'evt_1',
      seq: 7,
      type: 'points.expiring',
      payload: { customerId: 'cus_1', points: 120 },
      customerId: 'cus_1',
      occurredAt: at,
    } as never);
    expect(message.subject).toBe('shop.points.expiring');
    expect(message.msgID).toBe('evt_1');
    expect(JSON.parse(message.body)).toEqual({
      id: 'evt_1',
      seq: 7,
      type: 'points.expiring',
      customerId: 'cus_1',
      occurredAt: '2026-11-02T02:00:00.000Z',
      data: { customerId: 'cus_1', points: 120 },
    });
  });

  it('refuses options without a JetStream client or with a subject prefix NATS cannot take', async () => {
    const crm = await chainWithSales(await STORE_KINDS[0]!.open(), 0);
    const js = { publish: async () => ({ stream: 'S', seq: 1, duplicate: false }) };
    for (const bad of [{}, { js: {} }, { js, subjectPrefix: 'a b' }, { js, subjectPrefix: 'a..b' }, { js, extra: 1 }]) {
      let caught: unknown;
      try {
        natsRelay(crm, bad as never);
      } catch (error) {
        caught = error;
      }
      expect(isClienteleError(caught, 'VALIDATION_FAILED')).toBe(true);
    }
  });
});

describe.runIf(!!nats).each(STORE_KINDS)('the NATS relay on $name', (kind) => {
  it('publishes every event once, in order, with its id as Nats-Msg-Id, and nothing more on the next run', async () => {
    const crm = await chainWithSales(await kind.open(), 2);
    const events = await crm.outbox.list({ limit: 1000 });
    const { name, prefix } = await nats!.freshStream('all');
    const relay = natsRelay(crm, { js: nats!.js, subjectPrefix: prefix });

    expect(await relay.run()).toEqual({ published: events.length, duplicates: 0, position: events.at(-1)!.seq });
    expect(await relay.run()).toEqual({ published: 0, duplicates: 0, position: events.at(-1)!.seq });
    const held = await nats!.messages(name);
    expect(held.map((m) => m.msgId)).toEqual(events.map((e) => e.id));
    expect(held.map((m) => m.subject)).toEqual(events.map((e) => `${prefix}.${e.type}`));
    expect(held.map((m) => m.body.data)).toEqual(events.map((e) => e.payload));
    expect(await crm.outbox.position('nats')).toBe(events.at(-1)!.seq);
  });

  it('restarted after a stop between publish and position move, leaves each event once in the stream', async () => {
    const crm = await chainWithSales(await kind.open(), 2);
    const events = await crm.outbox.list({ limit: 1000 });
    expect(events.length).toBeGreaterThan(3);
    const { name, prefix } = await nats!.freshStream('fault');
    const stopAt = 3;

    const dying = natsRelay(crm, { js: dyingAfter(nats!.js, stopAt), subjectPrefix: prefix });
    await expect(dying.run()).rejects.toThrow(/relay killed/);
    // JetStream has three events; the position says two.
    expect(await crm.outbox.position('nats')).toBe(events[stopAt - 2]!.seq);
    expect((await nats!.messages(name)).length).toBe(stopAt);

    const restarted = natsRelay(crm, { js: nats!.js, subjectPrefix: prefix });
    expect(await restarted.run()).toEqual({
      published: events.length - stopAt,
      duplicates: 1,
      position: events.at(-1)!.seq,
    });
    expect((await nats!.messages(name)).map((m) => m.msgId)).toEqual(events.map((e) => e.id));
  });
});

/** Where a relay process finds the store: a file, or a schema on the server. */
const PROCESS_KINDS = [
  {
    name: 'sqlite',
    place: () => join(dir, `relay-${Math.random().toString(36).slice(2)}.db`),
    open: (file: string) => sqliteStore({ file }),
  },
  ...(STORE_KINDS.some((k) => k.name === 'postgres')
    ? [
        {
          name: 'postgres',
          place: () => pgServer.fresh('nats'),
          open: (schema: string) => postgresStore({ pool: pgServer.admin, schema }),
        },
      ]
    : []),
];

const child = fileURLToPath(new URL('./fixtures/nats-relay-child.ts', import.meta.url));
const root = fileURLToPath(new URL('../../..', import.meta.url));

function startRelay(kind: string, place: string, prefix: string, stopAfter: number): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', '--conditions=@clientele/source', child, kind, place], {
    cwd: root,
    env: {
      ...process.env,
      CLIENTELE_PG_URL: PG_URL,
      CLIENTELE_NATS_URL: process.env['CLIENTELE_NATS_URL'] ?? 'nats://127.0.0.1:4222',
      SUBJECT_PREFIX: prefix,
      STOP_AFTER: String(stopAfter),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** The first line matching `pattern` the child prints; rejects if it exits first. */
function lineOf(proc: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    proc.stderr!.on('data', (d) => (err += String(d)));
    proc.stdout!.on('data', (d) => {
      out += String(d);
      const m = out.match(pattern);
      if (m) resolve(m[0]);
    });
    proc.on('exit', (code) => reject(new Error(`relay exited with ${code}; stdout: ${out}; stderr: ${err}`)));
  });
}

describe.runIf(!!nats).each(PROCESS_KINDS)('a relay process killed with SIGKILL on $name', (kind) => {
  it('publishes the event it was killed on again when restarted, and the stream keeps it once', async () => {
    const place = kind.place();
    const crm = await chainWithSales(kind.open(place), 2);
    const events = await crm.outbox.list({ limit: 1000 });
    const { name, prefix } = await nats!.freshStream('kill');
    const stopAt = 4;

    const proc = startRelay(kind.name, place, prefix, stopAt);
    const line = await lineOf(proc, /ACKED \S+/);
    expect(line).toBe(`ACKED ${events[stopAt - 1]!.id}`);
    proc.removeAllListeners('exit');
    const gone = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await gone;

    // Killed after JetStream stored the fourth event and before the position moved past the third.
    expect(await crm.outbox.position('nats')).toBe(events[stopAt - 2]!.seq);
    expect((await nats!.messages(name)).length).toBe(stopAt);

    const restarted = await natsRelay(crm, { js: nats!.js, subjectPrefix: prefix }).run();
    expect(restarted).toEqual({ published: events.length - stopAt, duplicates: 1, position: events.at(-1)!.seq });
    const held = await nats!.messages(name);
    expect(held.map((m) => m.msgId)).toEqual(events.map((e) => e.id));
    expect(new Set(held.map((m) => m.msgId)).size).toBe(held.length);
    if (kind.name === 'sqlite') await crm.close();
  }, 60_000);
});
