/**
 * On PostgreSQL an erasure clears every live row, but the rows' old versions keep the values in the
 * tables' files until `purgeErased()` rewrites them. The test reads the relation files themselves
 * (`pg_read_binary_file`, as the superuser the test server runs as) after a checkpoint.
 */
import { describe, expect, it } from 'vitest';
import { postgresStore } from '@clientele/postgres';
import { SYSTEM, openChain } from './support/chain.js';
import { PERSONAL, personalMember, valuesIn, valuesInBytes } from './support/erasure-scenario.js';
import { PG_URL, STORE_KINDS, serverSchemas } from './support/stores.js';

const { admin, fresh } = serverSchemas();
const query = (text: string, params: unknown[] = []) => admin.query(text, params);

/** The values in any column of any live row of the schema's tables. */
async function valuesInLiveRows(schema: string): Promise<string[]> {
  const { rows } = await query(`SELECT tablename FROM pg_tables WHERE schemaname = $1`, [schema]);
  const parts: string[] = [];
  for (const r of rows)
    parts.push(
      (await query(`SELECT coalesce(json_agg(t)::text, '') AS text FROM "${schema}"."${r['tablename'] as string}" t`))
        .rows[0]!['text'] as string,
    );
  return valuesIn(parts.join('\n'));
}

/** Each table's file number. */
async function fileNodes(schema: string): Promise<Record<string, string>> {
  const { rows } = await query(
    `SELECT c.relname AS name, pg_relation_filenode(c.oid)::text AS node FROM pg_class c JOIN pg_namespace n ` +
      `ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'`,
    [schema],
  );
  return Object.fromEntries(rows.map((r) => [r['name'], r['node']]));
}

/**
 * The values found in the schema's relation files (tables, their indexes, TOAST tables and their
 * indexes), by relation, once a checkpoint has written every changed page.
 */
async function valuesInFiles(schema: string): Promise<Record<string, string[]>> {
  await query('CHECKPOINT');
  const { rows } = await query(
    `WITH t AS (SELECT c.oid, c.reltoastrelid
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = $1 AND c.relkind = 'r'),
          rels AS (SELECT oid FROM t UNION ALL SELECT reltoastrelid FROM t WHERE reltoastrelid <> 0
                   UNION ALL SELECT i.indexrelid FROM pg_index i
                              WHERE i.indrelid IN (SELECT oid FROM t UNION ALL SELECT reltoastrelid FROM t))
     SELECT r.oid::regclass::text AS name, pg_read_binary_file(pg_relation_filepath(r.oid)) AS bytes FROM rels r`,
    [schema],
  );
  const out: Record<string, string[]> = {};
  for (const r of rows) {
    const found = valuesInBytes(r['bytes'] as Buffer);
    if (found.length) out[r['name'] as string] = found;
  }
  return out;
}

describe.runIf(STORE_KINDS.some((k) => k.name === 'postgres'))(
  'erasure and purgeErased on PostgreSQL',
  { timeout: 120_000 },
  () => {
    it(
      'leaves old row versions holding the values until purgeErased rewrites the tables; then no file and no ' +
        'statistic holds one',
      async () => {
        const schema = fresh('purge');
        const store = postgresStore({ connectionString: PG_URL, schema });
        const { crm } = await openChain(store);
        const customerId = await personalMember(crm);
        await crm.privacy.eraseCustomer({ customerId, reason: 'customer request' }, SYSTEM);
        expect(await valuesInLiveRows(schema)).toEqual([]);

        // What the erasure alone leaves: dead row versions and index entries with the values.
        const left = Object.values(await valuesInFiles(schema)).flat();
        expect(left).toEqual(
          expect.arrayContaining([PERSONAL.name, PERSONAL.oldPhone, PERSONAL.phone, PERSONAL.email, PERSONAL.note]),
        );

        const before = await fileNodes(schema);
        const result = await store.purgeErased();
        expect(result).toEqual({ tables: Object.keys(before).sort(), checkpoint: true });
        const after = await fileNodes(schema);
        for (const table of Object.keys(before)) expect(after[table], `${table} rewritten`).not.toBe(before[table]);

        expect(await valuesInFiles(schema)).toEqual({});
        expect(await valuesInLiveRows(schema)).toEqual([]);
        // The planner statistics were gathered anew from live rows only.
        const stats = await query(
          `SELECT coalesce(json_agg(s)::text, '') AS text FROM pg_stats s WHERE schemaname = $1`,
          [schema],
        );
        expect(valuesIn(stats.rows[0]!['text'] as string)).toEqual([]);
        // Purchases and the erased record are still there.
        expect(await crm.customers.get(customerId, SYSTEM)).toMatchObject({ status: 'erased', phone: null });
        await store.close();
      },
    );
  },
);
