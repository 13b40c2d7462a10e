/**
 * The MariaDB store runs the same conformance kit as every adapter: a database of its own per store,
 * checked through a raw probe on the same pool. The guide to writing a storage adapter shows this file
 * as the test an adapter's author writes, so it uses nothing of this repository's.
 */
import mysql from 'mysql2/promise';
import { afterAll, it } from 'vitest';
import { runStoreConformance } from '@clientele/testkit';
import { mysqlProbe, mysqlStore, type MysqlStore } from '@clientele/mysql';

const url = process.env['CLIENTELE_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/';
const pool = mysql.createPool({ uri: url, connectionLimit: 20 });
const databases: string[] = [];
afterAll(async () => {
  for (const database of databases) await pool.query(`DROP DATABASE IF EXISTS \`${database}\``);
  await pool.end();
});

// Without a server the kit is skipped with a warning; where CI is set, that is a failure.
const reachable = await pool.query('SELECT 1').then(
  () => true,
  (error: Error) => {
    if (process.env['CI']) throw new Error(`MariaDB at ${url} is unreachable: ${error.message}`);
    return false;
  },
);
if (!reachable) {
  console.warn(`MariaDB at ${url} is unreachable: conformance skipped (set CI to make this a failure)`);
  it.skip(`MariaDB at ${url} is unreachable`, () => undefined);
} else {
  runStoreConformance('mysql (MariaDB)', {
    // A fresh, empty store per test: a database of its own, which migrate() creates.
    async create() {
      const database = `conformance_${process.pid}_${databases.length + 1}`;
      databases.push(database);
      return mysqlStore({ pool, database });
    },
    // Reads rows straight from the database, so the kit checks what was really stored.
    probe: (store) => mysqlProbe({ pool, database: (store as MysqlStore).database! }),
  });
}
