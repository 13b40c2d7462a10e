/**
 * A sale on PostgreSQL whose connection the server terminates in the middle (`pg_terminate_backend`,
 * as a failover or an administrator does): the till gets a typed STORE_UNAVAILABLE, nothing of that
 * sale remains, and the till's retry with the same idempotency key records it once on a fresh
 * connection.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { isClienteleError } from '@clientele/core';
import { defineModule } from '@clientele/core/module';
import { postgresStore } from '@clientele/postgres';
import { BASKET, CLERK, freshKey, nextReceipt, openChain, snapshot } from './support/chain.js';
import { PG_URL, STORE_KINDS, serverSchemas } from './support/stores.js';

const server = STORE_KINDS.some((k) => k.name === 'postgres');
const { admin, fresh } = serverSchemas();

describe('a PostgreSQL connection lost in the middle of a sale', () => {
  if (!server) {
    it.skip(`PostgreSQL at ${PG_URL} is unreachable: skipped`, () => undefined);
    return;
  }

  it('leaves no partial sale, answers STORE_UNAVAILABLE, and the retry succeeds on a fresh connection', async () => {
    const name = `clientele_till_${Math.random().toString(36).slice(2, 10)}`;
    const schema = fresh('fault');
    const pool = new pg.Pool({ connectionString: PG_URL, max: 3, application_name: name });
    pool.on('error', () => undefined);
    let cut = false;
    let terminated = 0;
    // Runs inside the sale's transaction, after the purchase and its lines are written, before commit.
    const cable = defineModule({
      name: 'cable',
      setup() {
        return {
          api: {},
          handlers: [
            {
              event: 'purchase.recorded',
              run: async () => {
                if (!cut) return;
                cut = false;
                const r = await admin.query(
                  `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity ` +
                    `WHERE application_name = $1 AND state = 'idle in transaction'`,
                  [name],
                );
                terminated = r.rows[0].n;
              },
            },
          ],
        };
      },
    });
    try {
      const { crm } = await openChain(postgresStore({ pool, schema }), { modules: [cable] });
      const member = await crm.customers.register({ kind: 'individual', name: '周杰' }, CLERK);
      const card = await crm.cards.issue({ typeId: 'GOLD', storeId: 'S01', customerId: member.id }, CLERK);
      const input = {
        storeId: 'S01',
        terminalId: 'T3',
        receiptNo: nextReceipt(),
        cardNumber: card.number,
        lines: BASKET,
      };
      const key = freshKey('till-3');
      const events: string[] = [];
      crm.events.on('purchase.recorded', (e) => void events.push(e.purchaseId));
      const before = await snapshot(crm);

      cut = true;
      const error = await crm.purchases.record(input, { ...CLERK, idempotencyKey: key }).catch((e: unknown) => e);
      expect(terminated).toBe(1);
      expect(isClienteleError(error, 'STORE_UNAVAILABLE')).toBe(true);
      expect(await snapshot(crm)).toEqual(before);
      expect(events).toEqual([]);

      const sale = await crm.purchases.record(input, { ...CLERK, idempotencyKey: key });
      expect(sale).toMatchObject({
        customerId: member.id,
        total: 1624 + 1200 + 4990 + 2670 + 1000,
        status: 'completed',
      });
      expect(events).toEqual([sale.id]);
      expect(await crm.purchases.record(input, { ...CLERK, idempotencyKey: key })).toEqual(sale);
      const purchases = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".purchases`);
      expect(purchases.rows[0].n).toBe(1);
    } finally {
      await pool.end();
    }
  }, 30_000);
});
