/** The NATS JetStream server the tests publish to: a connection, fresh streams, and what a stream holds. */
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection, connect } from '@nats-io/transport-node';

/** The server the tests use (JetStream on). */
export const NATS_URL = process.env['CLIENTELE_NATS_URL'] ?? 'nats://127.0.0.1:4222';

/** A connection with its JetStream client and manager. */
export interface NatsTestServer {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** A stream of its own for one test, on subjects `<prefix>.>`; `close` deletes it. */
  freshStream(label: string): Promise<{ name: string; prefix: string }>;
  /** Every message the stream holds, in order: subject, `Nats-Msg-Id` and the JSON body. */
  messages(stream: string): Promise<Array<{ subject: string; msgId: string | undefined; body: any }>>;
  /** Deletes the streams made and closes the connection. */
  close(): Promise<void>;
}

/**
 * Connects to the server. Unreachable with `CI` set, the run fails here; without it, the NATS tests
 * are skipped (the answer is `null`), and say so.
 */
export async function natsTestServer(): Promise<NatsTestServer | null> {
  let nc: NatsConnection;
  try {
    nc = await connect({ servers: NATS_URL, timeout: 3000 });
  } catch (error) {
    if (process.env['CI'])
      throw new Error(`NATS at ${NATS_URL} is unreachable and CI is set: ${(error as Error).message}`);
    console.warn(`NATS at ${NATS_URL} is unreachable: the NATS tests are skipped (set CI to make this a failure)`);
    return null;
  }
  const jsm = await jetstreamManager(nc);
  const made: string[] = [];
  const run = `${process.pid.toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  let count = 0;
  return {
    nc,
    js: jetstream(nc),
    jsm,
    async freshStream(label) {
      const id = `${label}_${run}_${++count}`;
      const name = `CLIENTELE_TEST_${id}`.toUpperCase();
      const prefix = `clientele-test.${id}`;
      // A duplicate window of ten minutes: longer than any test waits between two publishes.
      await jsm.streams.add({ name, subjects: [`${prefix}.>`], duplicate_window: 600 * 1e9 });
      made.push(name);
      return { name, prefix };
    },
    async messages(stream) {
      const { state } = await jsm.streams.info(stream);
      const out: Array<{ subject: string; msgId: string | undefined; body: any }> = [];
      for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
        const m = await jsm.streams.getMessage(stream, { seq });
        if (m) out.push({ subject: m.subject, msgId: m.header?.get('Nats-Msg-Id'), body: m.json() });
      }
      return out;
    },
    async close() {
      for (const name of made.splice(0)) await jsm.streams.delete(name).catch(() => undefined);
      await nc.close();
    },
  };
}
