/**
 * The relay worker: every few seconds, the outbox's new events go to NATS JetStream, each once in
 * the stream (its id is the message id, so a relay restarted after a crash publishes nothing twice).
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import { natsRelay, type JetStreamPublisher } from '@clientele/http';
import type { ShopCrm } from './program.js';

/** The stream's duplicate window: a relay down for longer than this could store an event twice. */
const DUPLICATE_WINDOW_NS = 15 * 60 * 1e9;

/** Makes the stream of the shop's events (subjects `<prefix>.>`) unless it is there. */
export async function ensureStream(jsm: JetStreamManager, name: string, prefix: string): Promise<void> {
  try {
    await jsm.streams.info(name);
  } catch {
    await jsm.streams.add({ name, subjects: [`${prefix}.>`], duplicate_window: DUPLICATE_WINDOW_NS });
  }
}

/** The relay worker: `runOnce` publishes what is new; `start` does so every `everyMs` until stopped. */
export function relayWorker(crm: ShopCrm, js: JetStreamPublisher, subjectPrefix: string) {
  const relay = natsRelay(crm, { js, subjectPrefix });
  return {
    runOnce: () => relay.run(),
    start(everyMs: number): { stop(): void } {
      let running = false;
      const tick = async () => {
        if (running) return; // the last run is still going
        running = true;
        try {
          const round = await relay.run();
          if (round.published) console.log(`relay: ${round.published} events published`);
        } catch (error) {
          // The event that failed stays in the outbox and is published on the next run.
          console.error('relay: run failed, trying again', error);
        } finally {
          running = false;
        }
      };
      void tick();
      const timer = setInterval(() => void tick(), everyMs);
      return { stop: () => clearInterval(timer) };
    },
  };
}
