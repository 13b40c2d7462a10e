/**
 * A recorded sale on the server, seen through the statements it sends: what each round trip is for,
 * that a sale made again answers with the first result, and that the events of one command are
 * numbered together, in the order they were emitted.
 */
import { describe, expect, it } from 'vitest';
import { createClientele } from '@clientele/core';
import { defineModule, outboxCollection, purchaseLinesCollection, purchasesCollection } from '@clientele/core/module';
import type { AnyModule, Clientele } from '@clientele/core';
import { postgresStore } from '@clientele/postgres';
import { BASKET } from '../../../tests/support/chain.js';
import { recording, serverPool, withServer } from './server.js';

const SYSTEM = { actor: { system: 'test-setup' } } as const;
const CLERK = { actor: { staffId: 'E1' } } as const;

/** A module whose handler of `purchase.recorded` emits two events of its own in the same transaction. */
const echo = defineModule<'echo', object, { 'echo.heard': { purchaseId: string; n: number } }>({
  name: 'echo',
  setup() {
    return {
      api: {},
      handlers: [
        {
          event: 'purchase.recorded',
          run: async (ctx, p) => {
            await ctx.emit('echo.heard', { purchaseId: p.purchaseId, n: 1 });
            await ctx.emit('echo.heard', { purchaseId: p.purchaseId, n: 2 });
          },
        },
      ],
    };
  },
});

withServer(() => {
  const server = serverPool();

  async function chain(modules: AnyModule[] = []): Promise<{ crm: Clientele; texts: string[]; card: string }> {
    const { pool, texts } = recording(server.pool);
    const crm = createClientele({
      store: postgresStore({ pool, schema: server.schema('sale') }),
      modules,
    }) as unknown as Clientele;
    await crm.migrate();
    await crm.stores.create({ id: 'S01', name: 'Renmin Road', region: 'East', timeZone: 'Asia/Shanghai' }, SYSTEM);
    await crm.roles.define(
      { id: 'clerk', name: 'Clerk', permissions: ['customers.write', 'cards.*', 'sales.*'], limits: { refund: 5000 } },
      SYSTEM,
    );
    await crm.staff.add({ id: 'E1', name: 'Li Na', storeId: 'S01', roleId: 'clerk' }, SYSTEM);
    await crm.cards.defineType({ id: 'GOLD', name: 'Gold', prefix: '88', length: 13 }, SYSTEM);
    const member = await crm.customers.register({ kind: 'individual', name: '王芳', homeStoreId: 'S01' }, SYSTEM);
    const card = await crm.cards.issue({ typeId: 'GOLD', storeId: 'S01', customerId: member.id }, SYSTEM);
    texts.length = 0;
    return { crm, texts, card: card.number };
  }

  describe('a 5-line member sale', { timeout: 30_000 }, () => {
    it(
      'costs 12 statements: the clerk with their role, then one transaction with the card and its holder in ' +
        'one read, all lines in one insert and the outbox counter last',
      async () => {
        const { crm, texts, card } = await chain();
        await crm.purchases.record(
          { storeId: 'S01', terminalId: 'T1', receiptNo: 'R1', cardNumber: card, lines: BASKET },
          { ...CLERK, idempotencyKey: 'till-T1-R1' },
        );
        // Each statement by its verb and table.
        const what = texts.map((t) => {
          const table = /(?:FROM|INTO|UPDATE) "[^"]+"\."([^"]+)"/.exec(t)?.[1];
          return table === undefined ? t.split(' ')[0]! : `${t.split(' ')[0]} ${table}`;
        });
        expect(what).toEqual([
          // The clerk left-joined to their role.
          'SELECT staff',
          'BEGIN',
          'SELECT stores',
          // The card left-joined to its holder.
          'SELECT cards',
          'INSERT purchases',
          'INSERT purchase_lines',
          'INSERT timeline',
          'INSERT audit_log',
          'INSERT idempotency_keys',
          'UPDATE sequences',
          'INSERT outbox',
          'COMMIT',
        ]);
        expect(await crm.store.count(purchaseLinesCollection)).toBe(5);
        await crm.close();
      },
    );

    it(
      'made again with its key, answers with the first sale even after the card was blocked, and writes ' + 'nothing',
      async () => {
        const { crm, card } = await chain();
        const sale = { storeId: 'S01', terminalId: 'T1', receiptNo: 'R2', cardNumber: card, lines: BASKET };
        const first = await crm.purchases.record(sale, { ...CLERK, idempotencyKey: 'till-T1-R2' });
        await crm.cards.block({ number: card, reason: 'reported stolen' }, CLERK);
        const events = (await crm.outbox.list()).length;
        // The work of the retry fails (the card is blocked now); the stored result answers instead.
        expect(await crm.purchases.record(sale, { ...CLERK, idempotencyKey: 'till-T1-R2' })).toEqual(first);
        // With other input, the key is refused, whatever the work would have said.
        const other = await crm.purchases
          .record({ ...sale, receiptNo: 'R3' }, { ...CLERK, idempotencyKey: 'till-T1-R2' })
          .catch((e: unknown) => e);
        expect(other).toMatchObject({ code: 'IDEMPOTENCY_MISMATCH' });
        // A receipt taken by another key is a clash on the receipt, not a replay.
        const clash = await crm.purchases
          .record({ ...sale, cardNumber: undefined }, { ...CLERK, idempotencyKey: 'till-T1-R2-other' })
          .catch((e: unknown) => e);
        expect(clash).toMatchObject({ code: 'CONFLICT', path: ['receiptNo'] });
        expect(await crm.store.count(purchasesCollection)).toBe(1);
        expect(await crm.store.count(purchaseLinesCollection)).toBe(5);
        expect((await crm.outbox.list()).length).toBe(events);
        await crm.close();
      },
    );

    it(
      'numbers the events of one command together, in the order they were emitted, with one counter ' + 'update',
      async () => {
        const { crm, texts, card } = await chain([echo]);
        const before = (await crm.outbox.list()).at(-1)?.seq ?? 0;
        texts.length = 0;
        const sale = await crm.purchases.record(
          { storeId: 'S01', terminalId: 'T1', receiptNo: 'R4', cardNumber: card, lines: BASKET },
          { ...CLERK, idempotencyKey: 'till-T1-R4' },
        );
        const sent = texts.slice();
        const events = await crm.outbox.list({ afterSeq: before });
        expect(events.map((e) => [e.seq - before, e.type, (e.payload as { n?: number }).n ?? null])).toEqual([
          [1, 'purchase.recorded', null],
          [2, 'echo.heard', 1],
          [3, 'echo.heard', 2],
        ]);
        expect(events.every((e) => (e.payload as { purchaseId: string }).purchaseId === sale.id)).toBe(true);
        // One counter update and one insert for the three events.
        expect(sent.filter((t) => t.startsWith('UPDATE') && t.includes('"sequences"'))).toHaveLength(1);
        expect(sent.filter((t) => t.includes('"outbox"'))).toHaveLength(1);
        expect(await crm.store.count(outboxCollection)).toBeGreaterThanOrEqual(3);
        await crm.close();
      },
    );
  });
});
