import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createClientele, manualClock, type CoreEvents } from '@clientele/core';
import { defineCollection, defineModule, field, outboxCollection, type Kernel } from '@clientele/core/module';
import { BASKET, CLERK, SYSTEM, freshKey, nextReceipt, openChain } from './support/chain.js';
import { STORE_KINDS } from './support/stores.js';

/** A tiny retailer module: counts card replacements in the same transaction and can fail after emitting. */
const replacements = defineCollection({
  name: 'test_replacements',
  primaryKey: 'id',
  fields: { id: field.string(), oldNumber: field.string(), newNumber: field.string() },
});
type StampEvents = { 'stamp.given': { customerId: string; count: number } };
const stamps = () =>
  defineModule<'stamps', ReturnType<typeof stampsApi>, StampEvents>({
    name: 'stamps',
    collections: [replacements],
    setup(kernel) {
      let due = 0;
      return {
        api: stampsApi(kernel),
        runDue: async () => ({ reminders: ++due }),
        handlers: [
          {
            event: 'card.replaced',
            run: async (ctx, e) => {
              await ctx.tx.insert(replacements, { id: ctx.id('rep'), oldNumber: e.oldNumber, newNumber: e.newNumber });
            },
          },
        ],
      };
    },
  });
function stampsApi(kernel: Kernel<CoreEvents & StampEvents>) {
  return {
    give: kernel.command({
      name: 'stamps.give',
      input: z.object({ customerId: z.string(), count: z.number().int(), failAfterEmit: z.boolean().default(false) }),
      permission: 'stamps.give',
      idempotency: 'optional',
      async run(ctx, input) {
        await ctx.emit(
          'stamp.given',
          { customerId: input.customerId, count: input.count },
          { customerId: input.customerId },
        );
        if (input.failAfterEmit) throw new Error('printer jammed');
        ctx.audit({ type: 'customer', id: input.customerId, customerId: input.customerId });
        return { given: input.count };
      },
    }),
    replacementsSeen: async () => (await kernel.store.find(replacements)).rows.length,
  };
}

describe.each(STORE_KINDS)('events and the outbox on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it('delivers typed events after commit; a failed command emits nothing and leaves no outbox row', async () => {
    const store = await kind.open();
    const errors: string[] = [];
    const crm = createClientele({
      store,
      clock: manualClock('2026-11-02T02:00:00Z'),
      modules: [stamps()],
      onListenerError: (e, type) => errors.push(`${type}: ${(e as Error).message}`),
    });
    await crm.migrate();
    const seen: number[] = [];
    crm.events.on('stamp.given', (e) => void seen.push(e.count));
    crm.events.on('stamp.given', () => {
      throw new Error('listener bug');
    });
    crm.events.on('stamp.given', async () => {
      throw new Error('async listener bug');
    });
    expect(await crm.stamps.give({ customerId: 'cus_1', count: 3 }, SYSTEM)).toEqual({ given: 3 });
    const failed = await crm.stamps
      .give({ customerId: 'cus_1', count: 5, failAfterEmit: true }, SYSTEM)
      .catch((e) => e);
    expect(failed.message).toBe('printer jammed');
    await new Promise((r) => setTimeout(r, 0));
    expect(seen).toEqual([3]);
    expect(errors.sort()).toEqual(['stamp.given: async listener bug', 'stamp.given: listener bug']);
    expect((await crm.outbox.list()).map((e) => [e.type, e.payload])).toEqual([
      ['stamp.given', { customerId: 'cus_1', count: 3 }],
    ]);
    expect(await crm.runDue()).toEqual({ stamps: { reminders: 1 } });
    await crm.close();
  });

  it('runs other modules’ handlers inside the command’s transaction', async () => {
    const store = await kind.open();
    const crm = createClientele({ store, clock: manualClock('2026-11-02T02:00:00Z'), modules: [stamps()] });
    await crm.migrate();
    await crm.stores.create({ id: 'S01', name: 'One', region: 'East', timeZone: 'Asia/Shanghai' }, SYSTEM);
    await crm.cards.defineType({ id: 'GOLD', name: 'Gold', prefix: '88' }, SYSTEM);
    const card = await crm.cards.issue({ typeId: 'GOLD', storeId: 'S01' }, SYSTEM);
    await crm.cards.replace({ number: card.number, storeId: 'S01', reason: 'worn' }, SYSTEM);
    expect(await crm.stamps.replacementsSeen()).toBe(1);
    await crm.close();
  });

  it('relays the outbox in order, at least once, resuming after a failing handler', async () => {
    const { crm } = await openChain(await kind.open());
    const c = await crm.customers.register({ kind: 'individual', name: 'Relay' }, CLERK);
    for (let i = 0; i < 3; i++)
      await crm.purchases.record(
        { storeId: 'S01', terminalId: 'T1', receiptNo: nextReceipt(), customerId: c.id, lines: BASKET },
        { ...CLERK, idempotencyKey: freshKey() },
      );
    const all = await crm.outbox.list();
    expect(all.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(all.map((e) => e.type)).toEqual([
      'customer.registered',
      'purchase.recorded',
      'purchase.recorded',
      'purchase.recorded',
    ]);

    const got: number[] = [];
    let fail = true;
    const handler = async (e: { seq: number }) => {
      if (e.seq === 3 && fail) {
        fail = false;
        throw new Error('broker down');
      }
      got.push(e.seq);
    };
    await expect(crm.outbox.relay(handler, { batchSize: 2 })).rejects.toThrow('broker down');
    expect(await crm.outbox.position()).toBe(2);
    expect(await crm.outbox.relay(handler, { batchSize: 2 })).toEqual({ delivered: 2, position: 4 });
    expect(got).toEqual([1, 2, 3, 4]);
    expect(await crm.outbox.relay(handler)).toEqual({ delivered: 0, position: 4 });
    const other: number[] = [];
    expect(await crm.outbox.relay((e) => void other.push(e.seq), { consumer: 'webhook', maxEvents: 3 })).toEqual({
      delivered: 3,
      position: 3,
    });
    expect(other).toEqual([1, 2, 3]);
  });

  it('keeps outbox sequence numbers unique and gap-free under concurrent commands', async () => {
    const { crm, store } = await openChain(await kind.open());
    await Promise.all(
      Array.from({ length: 12 }, () =>
        crm.purchases.record(
          { storeId: 'S01', terminalId: 'T1', receiptNo: nextReceipt(), lines: BASKET },
          { ...CLERK, idempotencyKey: freshKey() },
        ),
      ),
    );
    const seqs = (await store.find(outboxCollection, { orderBy: [{ field: 'seq' }] })).rows.map((r) => r.seq);
    expect(seqs).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });
});
