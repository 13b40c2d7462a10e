/** Transactions: all or nothing, reads of own writes, joining, and isolation from outside callers. */
import { expect } from 'vitest';
import { assertConflict, rejection } from '../assertions.js';
import { pause, settle } from '../async-tools.js';
import { accounts, customers, newAccount, newCustomer, newSale, newVoucher, sales, vouchers } from '../fixtures.js';
import type { Suite } from '../harness.js';
import { expectNotStored, expectRawCount, expectStored, expectStoredWithout } from '../probe-checks.js';

const CODE_INDEX = 'testkit_customers_code';

/** Long enough for a racer on another connection to get its turn while a transaction stays open. */
const OPEN_FOR_MS = 30;

/**
 * How long the first of two crossing transactions waits for the second to take its row. A store that runs
 * transactions one at a time never lets the second in while the first is open; it then goes on alone.
 */
const WAIT_FOR_OTHER_MS = 500;

/** Tests of rollback, own reads, conflicts, joining and isolation. */
export const transactionsSuite = {
  title: 'transactions',
  tests: {
    async 'transaction.rollback'(h) {
      const { store } = h;
      const kept = await store.insert(customers, newCustomer(1, { name: '赵敏', points: 10 }));
      const doomed = await store.insert(customers, newCustomer(2, { name: '张无忌' }));
      const account = await store.insert(accounts, newAccount(1, 100));
      const voucher = await store.insert(vouchers, newVoucher(1));
      const boom = new Error('the callback failed');

      const error = await rejection(
        store.transaction(async (tx) => {
          await tx.insert(customers, newCustomer(3, { name: '小昭', code: 'C-NEW' }));
          await tx.update(customers, kept.id, { name: 'rolled back name', points: 999 });
          await tx.delete(customers, doomed.id);
          await tx.increment(accounts, account.id, 'balance', -40, { min: 0 });
          await tx.consume(
            vouchers,
            voucher.id,
            { status: 'active' },
            { status: 'redeemed', redeemedBy: 'rolled-back-till' },
          );
          expect(await tx.get(customers, 'cust-003'), 'the insert is visible inside before the failure').toBeDefined();
          throw boom;
        }),
        'a transaction whose callback throws',
      );
      expect(error, 'the transaction rethrows the callback\u2019s own error').toBe(boom);

      expect(await store.get(customers, 'cust-003'), 'the insert is undone').toBeUndefined();
      expect(
        await store.getBy(customers, CODE_INDEX, { code: 'C-NEW' }),
        'the inserted unique value is undone',
      ).toBeUndefined();
      expect(await store.get(customers, kept.id), 'the update is undone').toEqual(kept);
      expect(await store.get(customers, doomed.id), 'the delete is undone').toEqual(doomed);
      expect(await store.get(accounts, account.id), 'the increment is undone').toEqual(account);
      expect(await store.get(vouchers, voucher.id), 'the consume is undone').toEqual(voucher);
      expect(await store.count(customers), 'count after rollback').toBe(2);

      await expectNotStored(h, customers, 'cust-003');
      await expectRawCount(h, customers, 2);
      await expectStored(h, customers, kept.id, ['赵敏', 10]);
      await expectStoredWithout(h, customers, kept.id, ['rolled back name', 999]);
      await expectStored(h, customers, doomed.id, ['张无忌']);
      await expectStored(h, accounts, account.id, [100]);
      await expectStoredWithout(h, vouchers, voucher.id, ['rolled-back-till', 'redeemed']);
    },

    async 'transaction.read-own-writes'(h) {
      const { store } = h;
      await store.insert(customers, newCustomer(9, { code: 'C-OLD' }));
      const result = await store.transaction(async (tx) => {
        const row = newCustomer(1, { code: 'C-TX', tier: 'gold', name: '黄蓉' });
        await tx.insert(customers, row);
        expect(await tx.get(customers, row.id), 'get sees the insert').toEqual({ ...row, version: 1 });
        expect((await tx.getBy(customers, CODE_INDEX, { code: 'C-TX' }))?.id, 'getBy sees the insert').toBe(row.id);
        expect(
          (await tx.find(customers, { where: { tier: 'gold' } })).rows.map((r) => r.id),
          'find sees the insert',
        ).toEqual([row.id]);
        expect(await tx.count(customers), 'count sees the insert').toBe(2);
        await tx.update(customers, row.id, { points: 42 });
        expect((await tx.get(customers, row.id))?.points, 'get sees the update').toBe(42);
        expect((await tx.increment(customers, row.id, 'points', 8)).row.points, 'increment sees the update').toBe(50);
        await tx.delete(customers, 'cust-009');
        expect(await tx.get(customers, 'cust-009'), 'get sees the delete').toBeUndefined();
        expect(await tx.count(customers), 'count sees the delete').toBe(1);
        return { done: true, id: row.id };
      });
      expect(result, 'transaction returns the callback\u2019s result').toEqual({ done: true, id: 'cust-001' });
      expect(await store.get(customers, 'cust-001'), 'the writes are committed').toEqual({
        ...newCustomer(1, { code: 'C-TX', tier: 'gold', name: '黄蓉' }),
        points: 50,
        version: 3,
      });
      expect(await store.get(customers, 'cust-009'), 'the delete is committed').toBeUndefined();
      await expectStored(h, customers, 'cust-001', ['黄蓉', 50]);
      await expectNotStored(h, customers, 'cust-009');
    },

    async 'transaction.conflict-rolls-back'(h) {
      const { store } = h;
      const a = await store.insert(customers, newCustomer(1, { code: 'C-A' }));
      const uniqueClash = await rejection(
        store.transaction(async (tx) => {
          await tx.insert(customers, newCustomer(2, { code: 'C-B' }));
          await tx.update(customers, a.id, { name: 'changed before the clash' });
          await tx.insert(customers, newCustomer(3, { code: 'C-A' }));
        }),
        'a transaction with a unique clash',
      );
      assertConflict(uniqueClash, 'unique', 'a unique clash inside a transaction');
      expect(await store.get(customers, 'cust-002'), 'the insert before the clash is undone').toBeUndefined();
      expect(await store.get(customers, a.id), 'the update before the clash is undone').toEqual(a);

      const versionClash = await rejection(
        store.transaction(async (tx) => {
          await tx.insert(customers, newCustomer(4));
          await tx.update(customers, a.id, { points: 1 }, { expectVersion: 5 });
        }),
        'a transaction with a version clash',
      );
      assertConflict(versionClash, 'version', 'a version clash inside a transaction');
      expect(await store.get(customers, 'cust-004'), 'the insert before the version clash is undone').toBeUndefined();
      expect(await store.count(customers), 'only the first row remains').toBe(1);
      await expectRawCount(h, customers, 1);
      await expectNotStored(h, customers, 'cust-002');
    },

    async 'transaction.nested-joins'(h) {
      const { store } = h;
      const boom = new Error('outer fails after the inner transaction finished');
      const error = await rejection(
        store.transaction(async (tx) => {
          await tx.insert(customers, newCustomer(1));
          const inner = await tx.transaction(async (inner) => {
            expect(await inner.get(customers, 'cust-001'), 'the joined transaction sees the outer write').toBeDefined();
            await inner.insert(customers, newCustomer(2));
            return 7;
          });
          expect(inner, 'the joined transaction returns its result').toBe(7);
          expect(await tx.get(customers, 'cust-002'), 'the outer sees the joined write').toBeDefined();
          throw boom;
        }),
        'an outer transaction that throws',
      );
      expect(error).toBe(boom);
      expect(await store.count(customers), 'the joined write rolls back with the outer transaction').toBe(0);
      await expectRawCount(h, customers, 0);

      await store.transaction(async (tx) => {
        await tx.insert(customers, newCustomer(3));
        await tx.transaction(async (inner) => {
          await inner.insert(customers, newCustomer(4));
        });
      });
      expect(await store.count(customers), 'the joined write commits with the outer transaction').toBe(2);
      await expectStored(h, customers, 'cust-004', ['cust-004']);
    },

    async 'transaction.no-dirty-reads'({ store }) {
      await store.insert(customers, newCustomer(1, { points: 5 }));
      const boom = new Error('roll back');
      let reads: Array<Promise<{ ok: boolean; value?: unknown; error?: unknown }>> = [];
      const error = await rejection(
        store.transaction(async (tx) => {
          await tx.insert(customers, newCustomer(2, { code: 'C-DIRTY' }));
          await tx.update(customers, 'cust-001', { points: 500 });
          // Outside callers, not awaited here: they may wait for the transaction or run beside it, but
          // must never observe writes that are about to be rolled back.
          reads = [
            settle(store.get(customers, 'cust-002')),
            settle(store.get(customers, 'cust-001').then((r) => r?.points)),
            settle(store.count(customers)),
            settle(store.getBy(customers, CODE_INDEX, { code: 'C-DIRTY' })),
            settle(store.find(customers, { where: { points: { gte: 100 } } }).then((p) => p.rows.length)),
          ];
          await pause(OPEN_FOR_MS);
          throw boom;
        }),
        'a transaction that throws',
      );
      expect(error).toBe(boom);
      const [inserted, points, count, byCode, found] = await Promise.all(reads);
      expect(inserted, 'an outside get does not see the uncommitted insert').toEqual({ ok: true, value: undefined });
      expect(points, 'an outside get does not see the uncommitted update').toEqual({ ok: true, value: 5 });
      expect(count, 'an outside count does not see the uncommitted insert').toEqual({ ok: true, value: 1 });
      expect(byCode, 'an outside getBy does not see the uncommitted insert').toEqual({ ok: true, value: undefined });
      expect(found, 'an outside find does not see the uncommitted update').toEqual({ ok: true, value: 0 });
    },

    async 'transaction.deadlock-reruns'(h) {
      const { store } = h;
      await store.insert(accounts, newAccount(1, 0));
      await store.insert(accounts, newAccount(2, 0));
      const runs = { first: 0, second: 0 };
      let overlapped = false;
      let firstHolds!: () => void;
      const firstHeld = new Promise<void>((resolve) => (firstHolds = resolve));
      let secondHolds!: () => void;
      const secondHeld = new Promise<void>((resolve) => (secondHolds = resolve));
      // Each takes one account, then the other's: where transactions run side by side, a deadlock.
      const cross = (name: 'first' | 'second', take: string, then: string) =>
        store.transaction(async (tx) => {
          const run = ++runs[name];
          await tx.insert(sales, newSale(run, { id: `deadlock-${name}-${run}`, label: `${name} run ${run}` }));
          await tx.increment(accounts, take, 'balance', 1);
          if (run > 1) return tx.increment(accounts, then, 'balance', 10);
          if (name === 'first') {
            firstHolds();
            overlapped = await Promise.race([secondHeld.then(() => true), pause(WAIT_FOR_OTHER_MS).then(() => false)]);
          } else secondHolds();
          // The callback swallows a lost race and writes on: the store must refuse that write, keep
          // nothing of this run, and run the whole transaction again.
          return tx.increment(accounts, then, 'balance', 10).catch(async () => {
            await tx.insert(sales, newSale(99, { id: `after-loss-${name}` })).catch(() => undefined);
            return undefined;
          });
        });
      const first = settle(cross('first', 'acct-001', 'acct-002'));
      await firstHeld;
      const second = settle(cross('second', 'acct-002', 'acct-001'));
      const outcomes = await Promise.all([first, second]);
      for (const o of outcomes)
        expect(o.ok, `both transactions commit in the end: ${o.ok ? '' : String(o.error)}`).toBe(true);
      if (overlapped)
        expect([runs.first, runs.second].sort(), 'the deadlock\u2019s loser ran again, the winner once').toEqual([
          1, 2,
        ]);
      expect((await store.get(accounts, 'acct-001'))?.balance, 'each added 1 and 10 once').toBe(11);
      expect((await store.get(accounts, 'acct-002'))?.balance, 'each added 1 and 10 once').toBe(11);
      const ledger = (await store.find(sales, { where: { id: { startsWith: 'deadlock-' } } })).rows.map((r) => r.id);
      expect(ledger, 'only the committed run of each left its row').toEqual([
        `deadlock-first-${runs.first}`,
        `deadlock-second-${runs.second}`,
      ]);
      expect(await store.count(sales), 'nothing written after the lost race was kept').toBe(2);
      await expectRawCount(h, sales, 2);
    },

    async 'transaction.outside-writes-survive-rollback'(h) {
      const { store } = h;
      const boom = new Error('roll back');
      let outside: Promise<{ ok: boolean; error?: unknown }> = Promise.resolve({ ok: false });
      const error = await rejection(
        store.transaction(async (tx) => {
          await tx.insert(customers, newCustomer(1));
          outside = settle(store.insert(customers, newCustomer(2, { name: '郭靖' })));
          await pause(OPEN_FOR_MS);
          throw boom;
        }),
        'a transaction that throws',
      );
      expect(error).toBe(boom);
      const written = await outside;
      expect(written.ok, `the outside insert succeeds: ${String(written.error)}`).toBe(true);
      expect(await store.get(customers, 'cust-001'), 'the transaction\u2019s insert is undone').toBeUndefined();
      expect(
        (await store.get(customers, 'cust-002'))?.name,
        'the outside insert is not rolled back with the transaction',
      ).toBe('郭靖');
      await expectStored(h, customers, 'cust-002', ['郭靖']);
      await expectNotStored(h, customers, 'cust-001');
    },
  },
} satisfies Suite;
