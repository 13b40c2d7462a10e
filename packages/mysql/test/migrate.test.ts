/**
 * Migrations on MariaDB, where DDL commits at once: the lock belongs to the connection and is waited
 * for, a run cut short after some of its steps is finished by the next, and a failed step leaves the
 * migration unrecorded so it applies once the data is fixed.
 */
import type mysql from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { mysqlStore } from '@clientele/mysql';
import { createTableSql, mysqlDatabaseDialect } from '@clientele/sql';
import { accounts, migrations, notes, vouchers } from './fixtures.js';
import { serverPool, withServer } from './server.js';

withServer(() => {
  const server = serverPool();
  const ids = migrations.map((m) => m.id);

  describe('the migration lock', { timeout: 30_000 }, () => {
    it('waits for GET_LOCK held by another connection, then applies each migration once', async () => {
      const database = server.database('lock');
      const lock = mysqlDatabaseDialect('mariadb', database).migrationLock[0]!;
      const holder = await server.pool.getConnection();
      try {
        const [taken] = await holder.query<mysql.RowDataPacket[]>(lock);
        expect(Object.values(taken[0]!)[0]).toBe(1);
        const store = mysqlStore({ pool: server.pool, database });
        let done = false;
        const running = store.migrate(migrations).then((r) => ((done = true), r));
        // The migrator is seen waiting on the lock by the server before it is released.
        for (;;) {
          const [waiting] = await server.pool.query<mysql.RowDataPacket[]>(
            'SELECT count(*) AS n FROM information_schema.processlist ' +
              "WHERE state LIKE '%lock%' AND info LIKE '%GET_LOCK%'",
          );
          if (Number(waiting[0]!['n']) > 0) break;
          await new Promise((r) => setTimeout(r, 20));
        }
        expect(done).toBe(false);
        await holder.query(mysqlDatabaseDialect('mariadb', database).migrationUnlock![0]!);
        expect(await running).toEqual({ applied: ids, skipped: [] });
        const [again] = await Promise.all([store.migrate(migrations), store.migrate(migrations)]);
        expect(again).toEqual({ applied: [], skipped: ids });
      } finally {
        holder.release();
      }
    });
  });

  describe('steps safe to run again', { timeout: 30_000 }, () => {
    it('finishes a run that was cut short after some tables were made, and records each migration once', async () => {
      const database = server.database('cut');
      const dialect = mysqlDatabaseDialect('mariadb', database);
      // A run that died after its first step: the database and one table exist, nothing is recorded.
      await server.pool.query(dialect.createSchema!);
      await server.pool.query(createTableSql(dialect, accounts));
      const store = mysqlStore({ pool: server.pool, database });
      expect(await store.migrate(migrations)).toEqual({ applied: ids, skipped: [] });
      for (const c of [accounts, vouchers, notes]) expect(await store.count(c)).toBe(0);
      const [recorded] = await server.pool.query<mysql.RowDataPacket[]>(
        `SELECT id FROM \`${database}\`.clientele_migrations`,
      );
      expect(recorded.map((r) => r['id'])).toEqual(ids);
      const [indexes] = await server.pool.query<mysql.RowDataPacket[]>(
        'SELECT DISTINCT index_name AS name FROM information_schema.statistics ' +
          'WHERE table_schema = ? AND table_name = ?',
        [database, 'accounts'],
      );
      // The table made before keeps its indexes, and gains the customer-key one it lacked: none twice.
      expect(indexes.map((r) => r['name']).sort()).toEqual(['PRIMARY', 'accounts__accounts_customer']);
    });
  });
});
