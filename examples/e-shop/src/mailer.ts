/**
 * The mailer worker: reads `points.expiring` events from NATS JetStream (a durable consumer, so it
 * resumes where it stopped) and writes the e-mail it would send. A message is acknowledged once its
 * e-mail is written; one delivered again (the worker stopped before the ack) rewrites the same file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AckPolicy, type Consumer, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { isClienteleError } from '@clientele/core';
import { SHOP, type ShopCrm } from './program.js';

/** The consumer's durable name. */
export const MAILER = 'mailer';

/** An e-mail, as the mailer would hand it to its mail service. */
export interface Email {
  to: string;
  subject: string;
  text: string;
}

/** What a `points.expiring` message carries (see `natsMessageOf`). */
interface ExpiringMessage {
  id: string;
  data: { customerId: string; points: number; lastDay: string };
}

/** The e-mail telling a member their points expire. Pure. */
export function expiryEmail(member: { name: string; email: string }, points: number, lastDay: string): Email {
  return {
    to: member.email,
    subject: `${points} points expire after ${lastDay}`,
    text: [
      `Dear ${member.name},`,
      '',
      `${points} of your points can be used until ${lastDay} (China time); after that day they expire.`,
      `At checkout, 100 points pay 1 yuan.`,
      '',
      'The tea shop',
    ].join('\n'),
  };
}

/** Where e-mails go: a file per event in `dir` (named by the event, so a redelivery overwrites it), or stdout. */
export function mailbox(dir: string | undefined): (email: Email, eventId: string) => void {
  if (!dir) return (email) => console.log(`--- mail to ${email.to}: ${email.subject}\n${email.text}\n---`);
  mkdirSync(dir, { recursive: true });
  return (email, eventId) =>
    writeFileSync(join(dir, `${eventId}.eml`), `To: ${email.to}\nSubject: ${email.subject}\n\n${email.text}\n`);
}

/** Makes the mailer's durable consumer of `<prefix>.points.expiring` on the stream, unless it is there. */
export async function ensureMailerConsumer(jsm: JetStreamManager, stream: string, prefix: string): Promise<void> {
  await jsm.consumers.add(stream, {
    durable_name: MAILER,
    filter_subject: `${prefix}.points.expiring`,
    ack_policy: AckPolicy.Explicit,
  });
}

/** Writes the e-mail of one message and acknowledges it. */
async function handle(crm: ShopCrm, send: (email: Email, eventId: string) => void, msg: JsMsg): Promise<void> {
  const event = msg.json<ExpiringMessage>();
  try {
    const member = await crm.customers.get(event.data.customerId, SHOP);
    if (member.email && member.consent?.email !== false)
      send(
        expiryEmail({ name: member.displayName, email: member.email }, event.data.points, event.data.lastDay),
        event.id,
      );
  } catch (error) {
    // A member erased since: nobody to write to.
    if (!isClienteleError(error, 'NOT_FOUND')) throw error;
  }
  msg.ack();
}

/** Handles every message waiting for the mailer, then returns how many there were. */
export async function drainMailer(
  crm: ShopCrm,
  js: JetStreamClient,
  stream: string,
  send: (email: Email, eventId: string) => void,
): Promise<number> {
  const consumer = await js.consumers.get(stream, MAILER);
  let handled = 0;
  for (;;) {
    const waiting = (await consumer.info()).num_pending;
    if (waiting === 0) return handled;
    for await (const msg of await consumer.fetch({ max_messages: waiting, expires: 5000 })) {
      await handle(crm, send, msg);
      handled++;
    }
  }
}

/** Handles messages as they come until stopped. */
export async function startMailer(
  crm: ShopCrm,
  js: JetStreamClient,
  stream: string,
  send: (email: Email, eventId: string) => void,
): Promise<{ stop(): void }> {
  const consumer: Consumer = await js.consumers.get(stream, MAILER);
  const messages = await consumer.consume();
  void (async () => {
    for await (const msg of messages) {
      try {
        await handle(crm, send, msg);
      } catch (error) {
        console.error('mailer: message failed, it comes again', error);
        msg.nak(10_000);
      }
    }
  })();
  return { stop: () => void messages.stop() };
}
