/**
 * A raw view of a PostgreSQL schema for the conformance kit: it reads tables with plain SQL on the
 * host's pool or PGlite instance, bypassing the store, so a test sees what was really written.
 */
import type { PGliteDatabase, PgPool, ResultField } from './clients.js';

/** Reads stored rows without going through a store. */
export interface PostgresProbe {
  /** The stored row of `collection` whose primary key is `key` (snake_case columns, raw values), or `undefined`. */
  rawRow(collection: string, key: string, primaryKeyColumn?: string): Promise<Record<string, unknown> | undefined>;
  /** How many rows the table of `collection` holds. */
  rawCount(collection: string): Promise<number>;
}

/** Where the probe reads: the same pool or PGlite instance the store uses, and the store's schema. */
export type PostgresProbeTarget = ({ pool: PgPool; pglite?: never } | { pglite: PGliteDatabase; pool?: never }) & {
  /** The store's schema; omitted, the connection's current schema. */
  schema?: string;
};

const BIGINT = 20;
const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** `bigint` columns as exact integers: a number when it is safe, else a `bigint` (drivers give text). */
function exactIntegers(
  rows: Record<string, unknown>[],
  fields: readonly ResultField[] | undefined,
): Record<string, unknown>[] {
  const wide = (fields ?? []).filter((f) => f.dataTypeID === BIGINT).map((f) => f.name);
  if (wide.length === 0) return rows;
  return rows.map((row) => {
    const out = { ...row };
    for (const name of wide) {
      const v = out[name];
      if (typeof v === 'string' || typeof v === 'bigint') {
        const n = BigInt(v);
        out[name] = n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
      }
    }
    return out;
  });
}

/** A probe of the tables of one store, read through the host's own client. */
export function postgresProbe(target: PostgresProbeTarget): PostgresProbe {
  const table = (name: string) =>
    target.schema === undefined ? quote(name) : `${quote(target.schema)}.${quote(name)}`;
  async function query(text: string, params: unknown[]): Promise<Record<string, unknown>[]> {
    if (target.pglite) {
      const result = await target.pglite.query(text, params);
      return exactIntegers(result.rows as Record<string, unknown>[], result.fields);
    }
    const client = await target.pool!.connect();
    try {
      const result = await client.query({ text, values: params });
      return exactIntegers(result.rows, result.fields);
    } finally {
      client.release();
    }
  }
  return {
    async rawRow(collection, key, primaryKeyColumn = 'id') {
      return (await query(`SELECT * FROM ${table(collection)} WHERE ${quote(primaryKeyColumn)} = $1`, [key]))[0];
    },
    async rawCount(collection) {
      return Number((await query(`SELECT count(*) AS "n" FROM ${table(collection)}`, []))[0]?.['n'] ?? 0);
    },
  };
}
