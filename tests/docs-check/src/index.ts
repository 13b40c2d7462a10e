/**
 * A stand-in for the adapter a storage-adapter guide writes: its examples are tests in the
 * adapter's own repository and import it from '../src/index.js'. Only its shape matters here.
 */
import type Database from 'better-sqlite3';
import { memoryStore, type Store } from '@clientele/core';
import type mysql from 'mysql2/promise';

/** The guide's SQLite-like adapter: one database handle per store. */
export function myStore(options: { database: Database.Database }): Store {
  void options;
  return memoryStore();
}

/** The guide's MySQL adapter: a pool and the database (schema) the store lives in. */
export function mysqlStore(options: { pool: ReturnType<typeof mysql.createPool>; database: string }): Store {
  void options;
  return memoryStore();
}
