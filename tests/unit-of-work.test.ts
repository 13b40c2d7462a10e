/**
 * A unit of work (`kernel.unitOfWork`) keeps a command's guarantees for a module's internal steps: its
 * writes and its events' outbox rows commit in one transaction with its audit entry, listeners hear
 * the events only after commit, and a body that throws (or an actor without the permission) leaves
 * nothing but, for a refusal, the audit of it. It takes its input as given, with no schema.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createClientele, manualClock, type CoreEvents } from '@clientele/core';
import { auditLog, defineCollection, defineModule, field, outboxCollection, type Kernel } from '@clientele/core/module';
import { STORE_KINDS } from './support/stores.js';

const tallies = defineCollection({
  name: 'test_tallies',
  primaryKey: 'id',
  fields: { id: field.string(), value: field.integer() },
});
type TallyEvents = { 'tally.counted': { id: string; value: number } };

/** A module whose internal step adds a typed array's values to tallies (one row each) and emits per row. */
const counting = () =>
  defineModule<'counting', ReturnType<typeof countingApi>, TallyEvents>({
    name: 'counting',
    collections: [tallies],
    setup: (kernel) => ({ api: countingApi(kernel) }),
  });

function countingApi(kernel: Kernel<CoreEvents & TallyEvents>) {
  const step = kernel.unitOfWork<{ values: Int32Array; failAfter: number | null }, number>({
    name: 'counting.step',
    permission: 'counting.run',
    async run(ctx, input) {
      let i = 0;
      for (const value of input.values) {
        if (i === input.failAfter) throw new Error('disk full');
        const id = `t${i++}`;
        await ctx.tx.insert(tallies, { id, value });
        await ctx.emit('tally.counted', { id, value });
      }
      ctx.audit({ type: 'tallies', id: 'step' }, { count: i });
      return i;
    },
  });
  return {
    /** Runs the step as the given actor, resolved once. */
    async run(values: Int32Array, failAfter: number | null, actor: { system: string } | { staffId: string }) {
      return step({ values, failAfter }, await kernel.resolveActor(actor));
    },
  };
}

describe.each(STORE_KINDS)('units of work on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it('commits writes, audit entry and outbox rows together; listeners hear the events after commit', async () => {
    const store = await kind.open();
    const crm = createClientele({ store, clock: manualClock('2026-11-02T02:00:00Z'), modules: [counting()] });
    await crm.migrate();
    const heard: Array<Promise<{ event: string; rows: number }>> = [];
    crm.events.on('tally.counted', (e) => {
      // The listener runs after commit: the rows of the whole step are there already.
      heard.push(store.count(tallies).then((rows) => ({ event: e.id, rows })));
    });
    expect(await crm.counting.run(new Int32Array([5, 7]), null, { system: 'test' })).toBe(2);
    expect(await Promise.all(heard)).toEqual([
      { event: 't0', rows: 2 },
      { event: 't1', rows: 2 },
    ]);
    expect((await store.find(tallies)).rows.map((r) => r.value).sort()).toEqual([5, 7]);
    expect((await crm.outbox.list()).map((e) => [e.type, e.payload])).toEqual([
      ['tally.counted', { id: 't0', value: 5 }],
      ['tally.counted', { id: 't1', value: 7 }],
    ]);
    const audit = (await store.find(auditLog, { where: { command: 'counting.step' } })).rows;
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      outcome: 'ok',
      targetType: 'tallies',
      targetId: 'step',
      details: { count: 2 },
      actor: { system: 'test' },
    });
    // Internal work is no command: transports do not list it.
    expect(crm.commands().some((c) => c.name === 'counting.step')).toBe(false);
    await crm.close();
  });

  it('leaves nothing when the body throws, and audits a refused actor without running the body', async () => {
    const store = await kind.open();
    const crm = createClientele({ store, clock: manualClock('2026-11-02T02:00:00Z'), modules: [counting()] });
    await crm.migrate();
    const heard: string[] = [];
    crm.events.on('tally.counted', (e) => void heard.push(e.id));
    await expect(crm.counting.run(new Int32Array([5, 7, 9]), 2, { system: 'test' })).rejects.toThrow('disk full');
    // Listeners are called, synchronously, right after commit: by now they would have heard.
    expect(heard).toEqual([]);
    expect(await store.count(tallies)).toBe(0);
    expect(await store.count(outboxCollection)).toBe(0);
    expect(await store.count(auditLog, { command: 'counting.step' })).toBe(0);

    await crm.roles.define(
      { id: 'clerk', name: 'Clerk', permissions: ['customers.read'] },
      { actor: { system: 'test' } },
    );
    await crm.stores.create(
      { id: 'S01', name: 'One', region: 'East', timeZone: 'Asia/Shanghai' },
      { actor: { system: 'test' } },
    );
    await crm.staff.add({ id: 'E-1', name: 'Ann', roleId: 'clerk', storeId: 'S01' }, { actor: { system: 'test' } });
    const refused = await crm.counting.run(new Int32Array([1]), null, { staffId: 'E-1' }).catch((e) => e);
    expect(refused).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(await store.count(tallies)).toBe(0);
    expect((await store.find(auditLog, { where: { command: 'counting.step' } })).rows).toMatchObject([
      { outcome: 'refused', errorCode: 'PERMISSION_DENIED' },
    ]);
    await crm.close();
  });
});
