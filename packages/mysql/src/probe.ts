/**
 * A raw view of a store's tables for the conformance kit: it reads them with plain SQL on the host's
 * pool, bypassing the store, so a test sees what was really written.
 */
import type { MysqlPool } from './clients.js';

/** Reads stored rows without going through a store. */
export interface MysqlProbe {
  /** The stored row of `collection` whose primary key is `key` (snake_case columns, raw values), or `undefined`. */
  rawRow(collection: string, key: string, primaryKeyColumn?: string): Promise<Record<string, unknown> | undefined>;
  /** How many rows the table of `collection` holds. */
  rawCount(collection: string): Promise<number>;
}

/** Where the probe reads: the pool the store uses, and the store's database. */
export interface MysqlProbeTarget {
  /** A `mysql2/promise` pool on the same server. */
  pool: MysqlPool;
  /** The store's database; omitted, the connection's default database. */
  database?: string;
}

const quote = (name: string) => `\`${name.replace(/`/g, '``')}\``;

/** A probe of the tables of one store, read through the host's own pool. */
export function mysqlProbe(target: MysqlProbeTarget): MysqlProbe {
  const table = (name: string) =>
    target.database === undefined ? quote(name) : `${quote(target.database)}.${quote(name)}`;
  async function query(text: string, params: unknown[]): Promise<Record<string, unknown>[]> {
    const connection = await target.pool.getConnection();
    try {
      return (await connection.execute(text, params as never[]))[0] as Record<string, unknown>[];
    } finally {
      connection.release();
    }
  }
  return {
    async rawRow(collection, key, primaryKeyColumn = 'id') {
      return (await query(`SELECT * FROM ${table(collection)} WHERE ${quote(primaryKeyColumn)} = ?`, [key]))[0];
    },
    async rawCount(collection) {
      return Number((await query(`SELECT count(*) AS n FROM ${table(collection)}`, []))[0]?.['n'] ?? 0);
    },
  };
}
