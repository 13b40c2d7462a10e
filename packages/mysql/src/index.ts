/**
 * `@clientele/mysql`: Clientele's store on MariaDB (10.11 or later) and MySQL (8.0 or later), for a
 * chain that shares one database across its stores and terminals. It runs on a `mysql2/promise` pool
 * with the same SQL as every other adapter, from `@clientele/sql`'s MySQL dialect.
 *
 * @packageDocumentation
 */
export {
  mysqlStore,
  type MysqlStore,
  type MysqlStoreOptions,
  type MysqlCommonOptions,
  type MysqlPoolOptions,
  type MysqlUriOptions,
} from './mysql-store.js';
export type { RetryPolicy } from './retry.js';
export type { MysqlPool, MysqlPoolConnection, MysqlResult } from './clients.js';
export { mysqlProbe, type MysqlProbe, type MysqlProbeTarget } from './probe.js';
