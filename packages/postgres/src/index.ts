/**
 * `@clientele/postgres`: Clientele's store on PostgreSQL, for a chain that shares one database across
 * its stores and terminals. It runs on node-postgres against a server, or on PGlite in process (tests,
 * a back office in the browser), with the same SQL as every other adapter from `@clientele/sql`.
 *
 * @packageDocumentation
 */
export {
  postgresStore,
  type PostgresStore,
  type PostgresStoreOptions,
  type PostgresCommonOptions,
  type PostgresPoolOptions,
  type PostgresConnectionStringOptions,
  type PostgresPgliteOptions,
  type IsolationLevel,
} from './postgres-store.js';
export type { RetryPolicy } from './retry.js';
export type { PurgeOptions, PurgeResult } from './purge.js';
export type {
  PgPool,
  PgPoolClient,
  PgQueryConfig,
  PgQueryResult,
  PGliteDatabase,
  PGliteTransaction,
  PGliteResult,
  ResultField,
} from './clients.js';
export { postgresProbe, type PostgresProbe, type PostgresProbeTarget } from './probe.js';
