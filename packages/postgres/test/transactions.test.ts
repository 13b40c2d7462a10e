/**
 * Transactions on a real server: races PostgreSQL detects (serialization failures, deadlocks) and
 * the lost update the adapter detects are run again a bounded number of times, then a typed CONFLICT;
 * a failed statement never lets a commit pass for a success; a clash undoes only its own write.
 */
import { describe, expect, it } from 'vitest';
import { isClienteleError } from '@clientele/core';
import { nextSequence } from '@clientele/core/module';
import { coreMigrations } from '@clientele/core/adapter';
import type { Store } from '@clientele/core';
import { postgresStore } from '@clientele/postgres';
import type { IsolationLevel } from '@clientele/postgres';
import { account, accounts, barrier, migrations, notes, rejection, vouchers } from './fixtures.js';
import { serverPool, withServer } from './server.js';

withServer(() => {
  const server = serverPool();

  async function open(options: { isolation?: IsolationLevel; attempts?: number } = {}): Promise<Store> {
    const store = postgresStore({
      pool: server.pool,
      schema: server.schema('tx'),
      ...(options.isolation ? { isolation: options.isolation } : {}),
      retry: { attempts: options.attempts ?? 10, baseDelayMs: 1, maxDelayMs: 20 },
    });
    await store.migrate(migrations);
    return store;
  }

  describe('races run again', { timeout: 30_000 }, () => {
    it('runs a serializable transaction that lost to a concurrent one again, so both take effect', async () => {
      const store = await open({ isolation: 'serializable' });
      await store.insert(accounts, account('a', 0));
      await store.insert(accounts, account('b', 0));
      // Write skew: each reads both balances, then raises its own by the sum it saw plus one.
      const gate = barrier(2);
      let runs = 0;
      const raise = (id: string) =>
        store.transaction(async (tx) => {
          runs++;
          const sum = ((await tx.get(accounts, 'a'))?.balance ?? 0) + ((await tx.get(accounts, 'b'))?.balance ?? 0);
          if (runs <= 2) await gate.wait();
          await tx.update(accounts, id, { balance: sum + 1 });
        });
      await Promise.all([raise('a'), raise('b')]);
      expect(runs).toBeGreaterThan(2);
      // Serial outcome: one ran first (1), the other saw it (2).
      const balances = [(await store.get(accounts, 'a'))!.balance, (await store.get(accounts, 'b'))!.balance].sort();
      expect(balances).toEqual([1, 2]);
    });

    it('runs the victim of a deadlock again', async () => {
      const store = await open();
      await store.insert(accounts, account('a', 0));
      await store.insert(accounts, account('b', 0));
      const gate = barrier(2);
      let runs = 0;
      const crossed = (first: string, second: string) =>
        store.transaction(async (tx) => {
          runs++;
          await tx.increment(accounts, first, 'balance', 1);
          if (runs <= 2) await gate.wait();
          await tx.increment(accounts, second, 'balance', 10);
        });
      await Promise.all([crossed('a', 'b'), crossed('b', 'a')]);
      expect(runs).toBe(3);
      expect((await store.get(accounts, 'a'))!.balance).toBe(11);
      expect((await store.get(accounts, 'b'))!.balance).toBe(11);
    });

    it('gives up after the configured attempts with CONFLICT (serialization), having written nothing', async () => {
      const store = await open({ isolation: 'serializable', attempts: 1 });
      await store.insert(accounts, account('a', 0));
      await store.insert(accounts, account('b', 0));
      const gate = barrier(2);
      const raise = (id: string) =>
        store.transaction(async (tx) => {
          const sum = (await tx.get(accounts, 'a'))!.balance + (await tx.get(accounts, 'b'))!.balance;
          await gate.wait();
          await tx.update(accounts, id, { balance: sum + 1, note: 'raised' });
        });
      const outcomes = await Promise.allSettled([raise('a'), raise('b')]);
      const failed = outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason);
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({ code: 'CONFLICT', reason: 'serialization', details: { attempts: 1 } });
      expect(await store.count(accounts, { note: 'raised' })).toBe(1);
    });
  });

  describe('no lost update at read committed', { timeout: 30_000 }, () => {
    it('runs again a transaction whose row was changed after it read it, so neither change is lost', async () => {
      const store = await open();
      await store.insert(accounts, account('a', 100));
      let runs = 0;
      let changed!: () => void;
      const read = new Promise<void>((r) => (changed = r));
      let resume!: () => void;
      const go = new Promise<void>((r) => (resume = r));
      // Read-modify-write without expectVersion, as a module reading a row and writing it back does.
      const tx = store.transaction(async (t) => {
        runs++;
        const row = (await t.get(accounts, 'a'))!;
        if (runs === 1) {
          changed();
          await go;
        }
        return t.update(accounts, 'a', { balance: row.balance - 30 });
      });
      await read;
      await store.update(accounts, 'a', { note: 'changed meanwhile', balance: 150 });
      resume();
      const written = await tx;
      expect(runs).toBe(2);
      expect(written).toMatchObject({ balance: 120, note: 'changed meanwhile', version: 3 });
    });

    it('still reports a stale expectVersion as CONFLICT (version) without running again', async () => {
      const store = await open();
      await store.insert(accounts, account('a', 1));
      await store.update(accounts, 'a', { balance: 2 });
      let runs = 0;
      const error = await rejection(
        store.transaction(async (tx) => {
          runs++;
          await tx.get(accounts, 'a');
          await tx.update(accounts, 'a', { balance: 3 }, { expectVersion: 1 });
        }),
      );
      expect(error).toMatchObject({ code: 'CONFLICT', reason: 'version' });
      expect(runs).toBe(1);
    });
  });

  describe('counters', { timeout: 30_000 }, () => {
    it('gives eight transactions that first use a counter at once the numbers 1 to 8, each once', async () => {
      const store = postgresStore({ pool: server.pool, schema: server.schema('seq') });
      await store.migrate(coreMigrations);
      const gate = barrier(8);
      const taken = await Promise.all(
        Array.from({ length: 8 }, () =>
          store.transaction(async (tx) => {
            await gate.wait();
            // The counter row does not exist yet: each of them finds none, and all but one find it created meanwhile.
            return nextSequence(tx, 'receipts');
          }),
        ),
      );
      expect([...taken].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    });
  });

  describe('failures inside a transaction', { timeout: 30_000 }, () => {
    it('undoes only the clashing write: the transaction goes on and commits the rest, as on every store', async () => {
      const store = await open();
      await store.insert(notes, { id: 'n1', code: 'taken', text: 'first', data: null });
      await store.transaction(async (tx) => {
        await tx.insert(notes, { id: 'n2', code: 'free', text: 'kept', data: null });
        expect(await rejection(tx.insert(notes, { id: 'n3', code: 'taken', text: 'clash', data: null }))).toMatchObject(
          { reason: 'unique', details: { index: 'notes_code' } },
        );
        expect(await rejection(tx.insert(notes, { id: 'n1', code: 'other', text: 'clash', data: null }))).toMatchObject(
          { reason: 'primary_key' },
        );
        expect(await rejection(tx.update(notes, 'n2', { code: 'taken' }))).toMatchObject({ reason: 'unique' });
        expect(
          await rejection(
            tx.insertMany(notes, [
              { id: 'n4', code: 'c4', text: 'x', data: null },
              { id: 'n5', code: 'taken', text: 'x', data: null },
            ]),
          ),
        ).toMatchObject({ code: 'CONFLICT' });
        await tx.insert(notes, { id: 'n6', code: 'after', text: 'kept too', data: null });
      });
      const rows = (await store.find(notes)).rows.map((r) => [r.id, r.code]);
      expect(rows).toEqual([
        ['n1', 'taken'],
        ['n2', 'free'],
        ['n6', 'after'],
      ]);
    });

    it('never commits a transaction after a statement the server failed, even if the callback went on', async () => {
      const store = await open({ attempts: 1 });
      let long = '';
      for (let i = 0; i < 3000; i++) long += String.fromCodePoint(0x4e00 + ((i * 7919) % 20000));
      const error = await rejection(
        store.transaction(async (tx) => {
          await tx.insert(vouchers, { id: 'v1', status: 'active', usedBy: null });
          // The index refuses the entry: PostgreSQL aborts the transaction. The callback swallows it.
          await tx.insert(notes, { id: 'n1', code: long, text: 'x', data: null }).catch(() => undefined);
          // Later calls in the same transaction say so, and so does the transaction itself.
          expect(await rejection(tx.get(vouchers, 'v1'))).toMatchObject({ code: 'VALIDATION_FAILED' });
          return 'done';
        }),
      );
      expect(isClienteleError(error, 'VALIDATION_FAILED')).toBe(true);
      expect(await store.count(vouchers)).toBe(0);
    });

    it('rolls back when the callback throws, and the session is dead afterwards', async () => {
      const store = await open();
      let kept: Parameters<Parameters<Store['transaction']>[0]>[0] | undefined;
      await rejection(
        store.transaction(async (tx) => {
          kept = tx;
          await tx.insert(vouchers, { id: 'v1', status: 'active', usedBy: null });
          throw new Error('till crashed');
        }),
      );
      expect(await store.count(vouchers)).toBe(0);
      expect(await rejection(kept!.get(vouchers, 'v1'))).toMatchObject({ code: 'INVALID_STATE' });
    });
  });
});
