/**
 * The MariaDB store runs the same conformance kit as every adapter: a fresh database per store, checked
 * through a raw probe on the same pool.
 */
import { runStoreConformance } from '@clientele/testkit';
import { mysqlProbe, mysqlStore } from '@clientele/mysql';
import type { MysqlStore } from '@clientele/mysql';
import { serverPool, withServer } from './server.js';

withServer(() => {
  const server = serverPool();
  runStoreConformance('mysql (MariaDB)', {
    create: async () => mysqlStore({ pool: server.pool, database: server.database('conf') }),
    probe: (store) => mysqlProbe({ pool: server.pool, database: (store as MysqlStore).database! }),
  });
});
