/**
 * Guarded increment and single-use consume across separate connections: eight stores, each on a
 * pool of one connection, race on the same rows, outside and inside transactions.
 */
import { describe, expect, it } from 'vitest';
import { isClienteleError } from '@clientele/core';
import { postgresStore } from '@clientele/postgres';
import { account, accounts, barrier, migrations, vouchers } from './fixtures.js';
import { separateConnections, serverPool, withServer } from './server.js';

const CONTENDERS = 8;

withServer(() => {
  const server = serverPool();
  const pools = separateConnections(CONTENDERS);

  async function terminals() {
    const schema = server.schema('race');
    const stores = pools.map((pool) => postgresStore({ pool, schema }));
    await stores[0]!.migrate(migrations);
    return stores;
  }

  describe('eight contenders on eight connections', { timeout: 30_000 }, () => {
    it('consume: exactly one takes a single-use voucher, outside and inside transactions', async () => {
      const stores = await terminals();
      await stores[0]!.insert(vouchers, { id: 'v1', status: 'active', usedBy: null });
      const gate = barrier(CONTENDERS);
      const taken = await Promise.all(
        stores.map(async (s, i) => {
          await gate.wait();
          return s.consume(vouchers, 'v1', { status: 'active' }, { status: 'used', usedBy: `T${i}` });
        }),
      );
      const winners = taken.filter((r) => r !== undefined);
      expect(winners).toHaveLength(1);
      expect(await stores[0]!.get(vouchers, 'v1')).toEqual(winners[0]);

      await stores[0]!.insert(vouchers, { id: 'v2', status: 'active', usedBy: null });
      const gate2 = barrier(CONTENDERS);
      const inTx = await Promise.all(
        stores.map((s, i) =>
          s.transaction(async (tx) => {
            await gate2.wait();
            const row = await tx.consume(vouchers, 'v2', { status: 'active' }, { status: 'used', usedBy: `T${i}` });
            // A sale that took the voucher records it in the same transaction.
            if (row) await tx.insert(vouchers, { id: `receipt-${i}`, status: 'paid-with-v2', usedBy: `T${i}` });
            return row !== undefined;
          }),
        ),
      );
      expect(inTx.filter(Boolean)).toHaveLength(1);
      expect(await stores[0]!.count(vouchers, { status: 'paid-with-v2' })).toBe(1);
    });

    it(
      'increment: a balance of 5 taken by 8 at once never goes below the guard, and every applied take is ' + 'counted',
      async () => {
        const stores = await terminals();
        await stores[0]!.insert(accounts, account('card', 5));
        const gate = barrier(CONTENDERS);
        const results = await Promise.all(
          stores.map(async (s) => {
            await gate.wait();
            return s.increment(accounts, 'card', 'balance', -1, { min: 0 });
          }),
        );
        expect(results.filter((r) => r.applied)).toHaveLength(5);
        for (const r of results) expect(r.row.balance).toBeGreaterThanOrEqual(0);
        expect(await stores[0]!.get(accounts, 'card')).toMatchObject({ balance: 0, version: 6 });
      },
    );

    it('increment in transactions: spends that would overdraw change nothing, the rest all land', async () => {
      const stores = await terminals();
      await stores[0]!.insert(accounts, account('card', 1000));
      // Each terminal spends 300 eight times over, with a ledger row per spend in the same transaction.
      const spent = await Promise.all(
        stores.map(async (s, t) => {
          let ok = 0;
          for (let k = 0; k < 8; k++) {
            const applied = await s.transaction(async (tx) => {
              const r = await tx.increment(accounts, 'card', 'balance', -300, { min: 0 });
              if (r.applied)
                await tx.insert(vouchers, { id: `spend-${t}-${k}`, status: 'ledger', usedBy: String(r.row.balance) });
              return r.applied;
            });
            if (applied) ok++;
          }
          return ok;
        }),
      );
      const total = spent.reduce((a, b) => a + b, 0);
      expect(total).toBe(3);
      expect((await stores[0]!.get(accounts, 'card'))!.balance).toBe(100);
      // The ledger agrees with the balance: one row per applied spend, balances after each step distinct.
      const ledger = (await stores[0]!.find(vouchers, { where: { status: 'ledger' } })).rows
        .map((r) => Number(r.usedBy))
        .sort((a, b) => a - b);
      expect(ledger).toEqual([100, 400, 700]);
    });

    it('version: of eight writers that read version 1, exactly one wins and seven get CONFLICT', async () => {
      const stores = await terminals();
      await stores[0]!.insert(accounts, account('a', 0));
      const gate = barrier(CONTENDERS);
      const outcomes = await Promise.allSettled(
        stores.map(async (s, i) => {
          await gate.wait();
          return s.update(accounts, 'a', { balance: i + 1 }, { expectVersion: 1 });
        }),
      );
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      expect(won).toHaveLength(1);
      expect(outcomes.filter((o) => o.status === 'rejected' && isClienteleError(o.reason, 'CONFLICT'))).toHaveLength(7);
      expect((await stores[0]!.get(accounts, 'a'))!.balance).toBe(
        (won[0] as PromiseFulfilledResult<{ balance: number }>).value.balance,
      );
    });
  });
});
