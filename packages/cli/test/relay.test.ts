/**
 * `clientele relay --to nats://...` as a child process against the NATS JetStream server: the outbox's
 * events reach the stream once each, in order, under the prefix given, and a second run publishes
 * nothing new; a prefix NATS cannot take is wrong usage.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createClientele } from '@clientele/core';
import { outboxCollection, scan } from '@clientele/core/module';
import { sqliteStore } from '@clientele/sqlite';
import { NATS_URL, natsTestServer } from '../../../tests/support/nats.js';
import { chainIn, run, tempDir } from './support.js';

const nats = await natsTestServer();
const temp = tempDir();
afterAll(async () => {
  await nats?.close();
  temp.remove();
});

describe.skipIf(!nats)('clientele relay --to nats://', () => {
  it("publishes each of the outbox's events once, in order, under --subject-prefix", async () => {
    const file = join(temp.dir, 'crm.db');
    await chainIn(file);
    const crm = createClientele({ store: sqliteStore({ file }) });
    const HQ = { actor: { system: 'setup' } };
    for (const name of ['孙丽', '王强', '李娜']) await crm.customers.register({ kind: 'individual', name }, HQ);
    const events: Array<{ id: string; type: string }> = [];
    for await (const e of scan(crm.store, outboxCollection)) events.push({ id: e.id, type: e.type });
    await crm.close();
    expect(events.filter((e) => e.type === 'customer.registered')).toHaveLength(3);

    const stream = await nats!.freshStream('cli_relay');
    const args = ['relay', '--to', NATS_URL, '--subject-prefix', stream.prefix, '--store', `sqlite:${file}`];
    const first = await run(args);
    expect([first.code, first.stderr]).toEqual([0, '']);
    expect(first.stdout).toMatch(new RegExp(`^relay: ${events.length} published, 0 already held, position \\d+\\n$`));
    const held = await nats!.messages(stream.name);
    expect(held.map((m) => [m.subject, m.msgId, m.body.type])).toEqual(
      events.map((e) => [`${stream.prefix}.${e.type}`, e.id, e.type]),
    );

    const again = await run(args);
    expect([again.code, again.stdout]).toEqual([0, first.stdout.replace(/\d+ published/, '0 published')]);
    expect(await nats!.messages(stream.name)).toHaveLength(events.length);
  }, 60_000);

  it('refuses a subject prefix NATS cannot take, as wrong usage, in one line', async () => {
    const file = join(temp.dir, 'usage.db');
    await chainIn(file);
    const bad = await run(['relay', '--to', NATS_URL, '--subject-prefix', 'a..b', '--store', `sqlite:${file}`]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^clientele: relay --subject-prefix a\.\.b: .+\n$/);
  }, 60_000);
});
