/**
 * Optimistic versions and the atomic primitives for money, checked with real racers launched together
 * through `Promise.all`, so an adapter that reads then writes without a guard in the database loses.
 */
import { expect } from 'vitest';
import { assertConflict, describeError, expectCode, expectConflict } from '../assertions.js';
import { barrier, range, settle } from '../async-tools.js';
import { accounts, customers, newAccount, newCustomer, newVoucher, vouchers } from '../fixtures.js';
import type { Suite } from '../harness.js';
import { expectStored } from '../probe-checks.js';

const MAX = Number.MAX_SAFE_INTEGER;

/** Tests of versions, increments and consumes, each with real racers. */
export const concurrencySuite = {
  title: 'concurrency',
  tests: {
    async 'version.conflict'(h) {
      const { store } = h;
      const v1 = await store.insert(customers, newCustomer(1));
      const v2 = await store.update(customers, v1.id, { points: 10 }, { expectVersion: 1 });
      expect(v2.version, 'an update with the current version succeeds and bumps it').toBe(2);

      await expectConflict(
        store.update(customers, v1.id, { points: 99 }, { expectVersion: 1 }),
        'version',
        'update with a stale version',
      );
      await expectConflict(
        store.update(customers, v1.id, { points: 99 }, { expectVersion: 3 }),
        'version',
        'update with a future version',
      );
      await expectConflict(
        store.delete(customers, v1.id, { expectVersion: 1 }),
        'version',
        'delete with a stale version',
      );
      expect(await store.get(customers, v1.id), 'stale writes change nothing').toEqual(v2);

      const v3 = await store.update(customers, v1.id, { name: 'no expectation' });
      expect(v3.version, 'an update without expectVersion still bumps the version').toBe(3);

      await store.insert(accounts, newAccount(1, 10));
      expect(
        (await store.increment(accounts, 'acct-001', 'balance', 5)).row.version,
        'an applied increment bumps the version',
      ).toBe(2);
      await store.insert(vouchers, newVoucher(1));
      expect(
        (await store.consume(vouchers, 'vch-001', { status: 'active' }, { status: 'used' }))?.version,
        'a consume bumps the version',
      ).toBe(2);

      expect(await store.delete(customers, v1.id, { expectVersion: 3 }), 'delete with the current version').toBe(true);
      expect(await store.get(customers, v1.id), 'deleted').toBeUndefined();
    },

    async 'version.eight-contenders'(h) {
      const { store } = h;
      await store.insert(customers, newCustomer(1, { name: 'original' }));
      const allHaveRead = barrier(8);
      const outcomes = await Promise.all(
        range(8).map((i) =>
          settle(
            (async () => {
              const seen = await store.get(customers, 'cust-001');
              // Every contender reads before any writes, so all hold version 1.
              await allHaveRead.wait();
              expect(seen?.version, `contender ${i} read the row`).toBe(1);
              return store.update(customers, 'cust-001', { name: `contender ${i}` }, { expectVersion: seen!.version });
            })(),
          ),
        ),
      );
      const winners = outcomes.flatMap((o, i) => (o.ok ? [i] : []));
      expect(winners.length, `exactly one of 8 contenders may win; winners: ${JSON.stringify(winners)}`).toBe(1);
      for (const o of outcomes) if (!o.ok) assertConflict(o.error, 'version', 'a losing contender');
      const winner = winners[0]!;
      const final = await store.get(customers, 'cust-001');
      expect(final?.name, 'the row holds the winner\u2019s value').toBe(`contender ${winner}`);
      expect(final?.version, 'one write happened').toBe(2);
      await expectStored(h, customers, 'cust-001', [`contender ${winner}`]);
    },

    async 'increment.guard'(h) {
      const { store } = h;
      await store.insert(accounts, newAccount(1, 100));
      const spent = await store.increment(accounts, 'acct-001', 'balance', -30, { min: 0 });
      expect(spent, 'a decrement within the guard').toEqual({
        applied: true,
        row: { ...newAccount(1, 70), version: 2 },
      });

      const refused = await store.increment(accounts, 'acct-001', 'balance', -80, { min: 0 });
      expect(refused, 'a decrement below min is not applied and returns the unchanged row').toEqual({
        applied: false,
        row: { ...newAccount(1, 70), version: 2 },
      });
      expect(await store.get(accounts, 'acct-001'), 'a refused increment changes nothing').toEqual({
        ...newAccount(1, 70),
        version: 2,
      });

      expect(
        (await store.increment(accounts, 'acct-001', 'balance', 31, { max: 100 })).applied,
        'an increment above max',
      ).toBe(false);
      expect(
        (await store.increment(accounts, 'acct-001', 'balance', 30, { min: 0, max: 100 })).row.balance,
        'an increment up to max exactly',
      ).toBe(100);
      expect(
        (await store.increment(accounts, 'acct-001', 'balance', -100, { min: 0 })).row.balance,
        'a decrement down to min exactly',
      ).toBe(0);
      const free = await store.increment(accounts, 'acct-001', 'balance', -50);
      expect(free.applied && free.row.balance, 'without a guard a balance may go negative').toBe(-50);
      expect((await store.get(accounts, 'acct-001'))?.version, 'only applied increments bump the version').toBe(5);

      await expectCode(
        store.increment(accounts, 'acct-missing', 'balance', 1),
        'NOT_FOUND',
        'increment of a missing row',
      );
      await expectStored(h, accounts, 'acct-001', [-50]);
    },

    async 'increment.race-never-overspends'(h) {
      const { store } = h;
      await store.insert(accounts, newAccount(1, 20));
      const results = await Promise.all(
        range(50).map(() => settle(store.increment(accounts, 'acct-001', 'balance', -1, { min: 0 }))),
      );
      const failures = results.flatMap((r) => (r.ok ? [] : [describeError(r.error)]));
      expect(failures, 'no racer may fail with an error; a refused decrement is applied: false').toEqual([]);
      const values = results.flatMap((r) => (r.ok ? [r.value] : []));
      expect(values.filter((r) => r.applied).length, 'exactly 20 of 50 decrements apply').toBe(20);
      for (const r of values) expect(r.row.balance, 'no racer ever sees a negative balance').toBeGreaterThanOrEqual(0);
      const final = await store.get(accounts, 'acct-001');
      expect(final?.balance, 'the balance ends at 0').toBe(0);
      expect(final?.version, 'each applied decrement bumped the version once').toBe(21);
      await expectStored(h, accounts, 'acct-001', [0, 21]);
    },

    async 'increment.no-lost-update'(h) {
      const { store } = h;
      await store.insert(accounts, newAccount(1, 1000));
      const deltas = range(50).map((i) => (i % 2 === 0 ? 7 : -3));
      const results = await Promise.all(deltas.map((d) => settle(store.increment(accounts, 'acct-001', 'balance', d))));
      expect(
        results.every((r) => r.ok && r.value.applied),
        `every unguarded increment applies: ${results
          .filter((r) => !r.ok)
          .map((r) => describeError((r as { error: unknown }).error))
          .join('; ')}`,
      ).toBe(true);
      const final = await store.get(accounts, 'acct-001');
      expect(final?.balance, 'no increment is lost').toBe(1000 + 25 * 7 - 25 * 3);
      expect(final?.version, 'every increment bumped the version').toBe(51);

      // Near the edge of safe integers the sum must still be exact.
      await store.insert(accounts, newAccount(2, MAX - 100));
      await Promise.all(range(10).map(() => store.increment(accounts, 'acct-002', 'balance', 10)));
      expect((await store.get(accounts, 'acct-002'))?.balance, 'concurrent increments up to 2^53 - 1').toBe(MAX);
      await expectStored(h, accounts, 'acct-001', [1100]);
    },

    async 'consume.once-among-eight'(h) {
      const { store } = h;
      await store.insert(vouchers, newVoucher(1));
      const at = new Date('2024-06-18T10:00:00.123Z');
      const outcomes = await Promise.all(
        range(8).map((i) =>
          settle(
            store.consume(
              vouchers,
              'vch-001',
              { status: 'active' },
              { status: 'redeemed', redeemedBy: `till-${i}`, redeemedAt: at },
            ),
          ),
        ),
      );
      const errors = outcomes.flatMap((o) => (o.ok ? [] : [describeError(o.error)]));
      expect(errors, 'a racer that loses gets undefined, not an error').toEqual([]);
      const winners = outcomes.flatMap((o, i) => (o.ok && o.value !== undefined ? [i] : []));
      expect(winners.length, `exactly one of 8 racers takes the voucher; winners: ${JSON.stringify(winners)}`).toBe(1);
      const winner = winners[0]!;
      const expected = {
        ...newVoucher(1),
        status: 'redeemed',
        redeemedBy: `till-${winner}`,
        redeemedAt: at,
        version: 2,
      };
      expect((outcomes[winner] as { value: unknown }).value, 'the winner gets the updated row').toEqual(expected);
      expect(await store.get(vouchers, 'vch-001'), 'the stored row is the winner\u2019s').toEqual(expected);

      expect(
        await store.consume(vouchers, 'vch-001', { status: 'active' }, { status: 'redeemed', redeemedBy: 'late' }),
        'a used voucher cannot be consumed again',
      ).toBeUndefined();
      expect(
        await store.consume(vouchers, 'vch-missing', { status: 'active' }, { status: 'redeemed' }),
        'consume of a missing row',
      ).toBeUndefined();
      expect(await store.get(vouchers, 'vch-001'), 'a refused consume changes nothing').toEqual(expected);
      expect(await store.get(vouchers, 'vch-missing'), 'consume never creates a row').toBeUndefined();
      await expectStored(h, vouchers, 'vch-001', ['redeemed', `till-${winner}`]);
    },
  },
} satisfies Suite;
