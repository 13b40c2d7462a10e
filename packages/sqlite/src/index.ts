/**
 * `@clientele/sqlite`: Clientele's embedded store on better-sqlite3, the default for a single shop.
 *
 * @packageDocumentation
 */
export {
  sqliteStore,
  type SqliteStoreOptions,
  type SqliteFileOptions,
  type SqliteDatabaseOptions,
  type SqliteDurability,
  type SqliteCheckpoint,
  type SqliteIdleCheckpoint,
} from './sqlite-store.js';
export { sqliteProbe, type SqliteProbe } from './probe.js';
