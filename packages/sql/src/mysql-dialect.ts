/**
 * MariaDB (10.11 or later) and MySQL (8.0 or later) on InnoDB: `?` parameters, backquoted names, utf8mb4
 * text in a binary collation that keeps trailing spaces significant (MariaDB's `utf8mb4_nopad_bin`,
 * MySQL's `utf8mb4_0900_bin`: code point order, as the other stores compare), each string column typed
 * by what its collection declares so every index fits InnoDB's 3,072-byte keys (see `key-limits.ts`),
 * `BIGINT` integers, timestamps as `BIGINT` epoch milliseconds (exact, and the same whatever time zone the
 * host's pool is set to), `TINYINT` booleans, JSON as `LONGTEXT` kept as written (MySQL's `JSON` type
 * would reorder keys). Neither server has `UPDATE ... RETURNING` or `NULLS FIRST`; DDL commits at once,
 * and the migration lock is `GET_LOCK`, which belongs to the connection and outlives those commits.
 */
import type { FieldKind } from '@clientele/core/adapter';
import type { Dialect } from './dialect.js';
import type { KeyLimits } from './dialect.js';
import { prefixBound } from './postgres-dialect.js';

/** Which server a MySQL-family dialect writes for. */
export type MysqlServer = 'mariadb' | 'mysql';

/** The binary collation without trailing-space padding of each server. */
const COLLATION: Record<MysqlServer, string> = { mariadb: 'utf8mb4_nopad_bin', mysql: 'utf8mb4_0900_bin' };

/** The longest string key (primary key, customer key) in characters: one the 3,072-byte key holds thrice over. */
const KEY_CHARS = 255;

const quote = (name: string): string => `\`${name.replace(/`/g, '``')}\``;
const literal = (text: string): string => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

function keyLimits(text: string): KeyLimits {
  return {
    indexBytes: 3072,
    bytesPerChar: 4,
    keyChars: KEY_CHARS,
    fixedBytes: (kind) => (kind === 'boolean' ? 1 : 8),
    boundedText: (chars) => `VARCHAR(${chars}) ${text}`,
    resizeColumn: (table, column, type, nullable) =>
      `ALTER TABLE ${table} MODIFY ${column} ${type}${nullable ? ' NULL' : ' NOT NULL'}`,
  };
}

/** The dialect of `server`, naming tables in `database` (a literal) or in the connection's own (`DATABASE()`). */
function build(server: MysqlServer, database: string | undefined): Dialect {
  const collation = COLLATION[server];
  const text = `CHARACTER SET utf8mb4 COLLATE ${collation}`;
  const types: Record<FieldKind, string> = {
    // Free text; a key or an indexed field is `VARCHAR` instead (see `keyLimits`).
    string: `LONGTEXT ${text}`,
    integer: 'BIGINT',
    boolean: 'TINYINT',
    timestamp: 'BIGINT',
    json: `LONGTEXT ${text}`,
  };
  const schema = database === undefined ? 'DATABASE()' : literal(database);
  // GET_LOCK names are at most 64 characters: the database's name goes in as a digest.
  const lockName = `CONCAT('clientele_migrate_', MD5(${schema}))`;
  const maria = server === 'mariadb';
  return Object.freeze({
    name: server,
    placeholder: () => '?',
    quoteIdentifier: quote,
    ...(database === undefined ? {} : { qualifyTable: (table: string) => `${quote(database)}.${quote(table)}` }),
    columnType: (kind) => types[kind],
    codec: { dates: 'epoch-ms', booleans: 'integer', json: 'text' },
    // Every string column is declared in the binary collation; a bound value takes the column's.
    stringCollation: '',
    returning: false,
    // The new value comes back as the OK packet's insert id: a counter needs no read after its update.
    incrementValue: (expression) => `LAST_INSERT_ID(${expression})`,
    maxParameters: 65535,
    maxIdentifierLength: 64,
    // The range lets an index seek to the prefix; LEFT (which counts characters) keeps the test exact.
    startsWith: (column, prefix, param) => {
      const n = Array.from(prefix).length;
      const bound = prefixBound(prefix);
      if (bound === undefined) return `LEFT(${column}, ${param(n)}) = ${param(prefix)}`;
      // Each `?` binds a value of its own: the prefix is bound twice.
      return (
        `(${column} >= ${param(prefix)} AND ${column} < ${param(bound)} AND ` +
        `LEFT(${column}, ${param(n)}) = ${param(prefix)})`
      );
    },
    beginWrite: 'START TRANSACTION',
    // Waits up to ten minutes for another migrator; the store checks the result (1: taken).
    migrationLock: [`SELECT GET_LOCK(${lockName}, 600) AS ${quote('locked')}`],
    migrationUnlock: [`SELECT RELEASE_LOCK(${lockName}) AS ${quote('released')}`],
    addColumnIfNotExists: maria,
    createIndexIfNotExists: maria,
    indexesInCreateTable: true,
    listColumns: (tableParam) =>
      `SELECT column_name AS ${quote('name')}, character_maximum_length AS ${quote('chars')}, ` +
      `is_nullable AS ${quote('nullable')} FROM information_schema.columns WHERE table_schema = ${schema} ` +
      `AND table_name = ${tableParam}`,
    listIndexes:
      `SELECT DISTINCT index_name AS ${quote('name')} FROM information_schema.statistics ` +
      `WHERE table_schema = ${schema}`,
    ...(database === undefined
      ? {}
      : {
          createSchema: `CREATE DATABASE IF NOT EXISTS ${quote(database)} CHARACTER SET utf8mb4 COLLATE ${collation}`,
        }),
    // Integers and epoch-millisecond timestamps are both BIGINT, which GROUP_CONCAT writes in decimal. Its
    // result is cut at `group_concat_max_len`: an adapter raises that limit and checks the count.
    seriesAggregate: (expression) => `GROUP_CONCAT(${expression})`,
    // MySQL cannot name the key a clash is on: any unique key of the row triggers the clause.
    onConflict: (conflictColumns, update) =>
      `ON DUPLICATE KEY UPDATE ${
        update.length === 0
          ? `${conflictColumns[0]} = ${conflictColumns[0]}`
          : update.map((c) => `${c} = VALUES(${c})`).join(', ')
      }`,
    keyLimits: keyLimits(text),
    ascendingNullsFirst: true,
  } satisfies Dialect);
}

/** The MariaDB dialect (10.11 or later), naming tables in the connection's database. */
export const mariadbDialect: Dialect = build('mariadb', undefined);

/** The MySQL dialect (8.0 or later), naming tables in the connection's database. */
export const mysqlDialect: Dialect = build('mysql', undefined);

const bound = new Map<string, Dialect>();

/**
 * The dialect of `server` bound to one database: every table is named `` `database`.`table` ``, so statements
 * do not depend on the connection's default database. One object per pair, so statements are built once.
 */
export function mysqlDatabaseDialect(server: MysqlServer, database: string): Dialect {
  const key = `${server}\u0000${database}`;
  let dialect = bound.get(key);
  if (!dialect) {
    dialect = build(server, database);
    bound.set(key, dialect);
  }
  return dialect;
}
