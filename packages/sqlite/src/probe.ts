/**
 * A raw view of a SQLite database for the conformance kit: it reads tables directly, bypassing the
 * store, so a test sees what was really written (column names and stored values as SQLite keeps them).
 */
import Database from 'better-sqlite3';

/** Reads stored rows without going through a store. */
export interface SqliteProbe {
  /** The stored row of `collection` whose primary key is `key` (snake_case columns, raw values), or `undefined`. */
  rawRow(collection: string, key: string, primaryKeyColumn?: string): Promise<Record<string, unknown> | undefined>;
  /** How many rows the table of `collection` holds. */
  rawCount(collection: string): Promise<number>;
  /** Closes the probe's own connection, if it opened one. */
  close(): Promise<void>;
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * A probe of a database file (read through its own read-only connection, so it sees committed data
 * only) or of a connection (needed for `:memory:`, which no other connection can open).
 */
export function sqliteProbe(target: string | Database.Database): SqliteProbe {
  if (typeof target === 'string' && (target === ':memory:' || target === '')) {
    throw new TypeError('an in-memory database can only be probed through its own connection; pass the Database');
  }
  let own: Database.Database | null = null;
  const connection = (): Database.Database => {
    if (typeof target !== 'string') return target;
    own ??= new Database(target, { readonly: true, fileMustExist: true });
    return own;
  };
  const pkColumns = new Map<string, string>();
  const pkOf = (db: Database.Database, table: string): string => {
    let pk = pkColumns.get(table);
    if (pk === undefined) {
      const row = db
        .prepare<[string], { name: string }>('SELECT "name" FROM pragma_table_info(?) WHERE "pk" = 1')
        .get(table);
      if (!row) throw new Error(`table ${table} has no primary key (or does not exist)`);
      pk = row.name;
      pkColumns.set(table, pk);
    }
    return pk;
  };
  return {
    async rawRow(collection, key, primaryKeyColumn) {
      const db = connection();
      const pk = primaryKeyColumn ?? pkOf(db, collection);
      return db
        .prepare<[string], Record<string, unknown>>(`SELECT * FROM ${quote(collection)} WHERE ${quote(pk)} = ?`)
        .get(key);
    },
    async rawCount(collection) {
      const row = connection()
        .prepare<[], { n: number }>(`SELECT count(*) AS "n" FROM ${quote(collection)}`)
        .get();
      return row?.n ?? 0;
    },
    async close() {
      own?.close();
      own = null;
    },
  };
}
