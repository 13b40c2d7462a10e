/**
 * What differs between SQL databases, and nothing else: the statement builders in this package
 * ask a {@link Dialect} for every piece of syntax or typing that is not standard SQL.
 */
import type { CodecOptions, FieldKind } from '@clientele/core/adapter';

/** The syntax and typing of one SQL database, as the statement builders need them. */
export interface Dialect {
  /** Short name (`sqlite`, `postgres`, `mysql`). */
  readonly name: string;

  /** The marker of the `n`-th bound parameter, counting from 1 (`?` or `$n`). */
  placeholder(n: number): string;

  /** Quotes an identifier (table, column or index name). */
  quoteIdentifier(name: string): string;

  /**
   * The full name of a table as statements write it: quoted and, for a dialect bound to one schema,
   * qualified with it. Without it, tables are named by {@link Dialect.quoteIdentifier} alone and found
   * through the connection's default schema.
   */
  qualifyTable?(table: string): string;

  /** The column type of a field kind, including any collation the column must carry. */
  columnType(kind: FieldKind): string;

  /** How values of each kind are stored physically; given to core's `createRowCodec`. */
  readonly codec: CodecOptions;

  /**
   * Appended to a string column wherever it is compared or ordered, so strings sort by code point as
   * core's `compareStrings` does (`''` where the default collation is already binary).
   */
  readonly stringCollation: string;

  /** Whether `INSERT`/`UPDATE ... RETURNING` is supported; without it an adapter re-reads the row. */
  readonly returning: boolean;

  /**
   * Wraps the new value of an `increment` so that the server reports it with the statement's outcome,
   * where there is no `RETURNING` (MySQL and MariaDB: `LAST_INSERT_ID(expr)`, whose value the OK packet
   * carries as its insert id). Used only where the increment's guard keeps the value at 1 or more (the
   * insert id is unsigned, and 0 means none). An adapter whose row holds nothing but its key and the
   * counter then needs no read after the write. Absent: the expression is written as it is.
   */
  incrementValue?(expression: string): string;

  /** The most bound parameters one statement may carry (bulk inserts are chunked under it). */
  readonly maxParameters: number;

  /** The longest identifier the database keeps without truncating it. */
  readonly maxIdentifierLength: number;

  /**
   * A case-sensitive prefix test of a string column. `param` binds a value and returns its marker,
   * so a dialect may bind the prefix (or derived values) as often as its syntax needs.
   */
  startsWith(column: string, prefix: string, param: (value: unknown) => string): string;

  /** The statement that opens a transaction holding the write lock from its start. */
  readonly beginWrite: string;

  /**
   * Extra statements run first inside a migration transaction to serialise migrators (empty when `beginWrite` already
   * does).
   */
  readonly migrationLock: readonly string[];

  /** Whether `ALTER TABLE ... ADD COLUMN IF NOT EXISTS` exists; without it an adapter checks the columns first. */
  readonly addColumnIfNotExists: boolean;

  /**
   * `false` where `CREATE INDEX IF NOT EXISTS` is missing (MySQL 8): the statement is written without it, and
   * the migration loop creates only the indexes `listIndexes` does not list.
   */
  readonly createIndexIfNotExists?: boolean;

  /**
   * Whether a new table's indexes are declared in its `CREATE TABLE` (MySQL: each DDL statement commits and
   * syncs on its own, so one statement per table instead of one per index makes migrating several times faster).
   */
  readonly indexesInCreateTable?: boolean;

  /**
   * Storage settings for a table whose collection is `rewrittenInBulk`, as the text of a `WITH (...)` list
   * (PostgreSQL: an autovacuum that runs after a bulk rewrite, not after a fifth of the table); none where
   * the database keeps no old row versions to clean up.
   */
  readonly bulkRewriteSettings?: string;

  /**
   * A query listing a table's columns as rows with a `name` column; `tableParam` is the marker binding the table name.
   * Under {@link Dialect.keyLimits}, each row also has `chars` (the characters a text column holds, else null)
   * and `nullable` (`'YES'` or `'NO'`).
   */
  listColumns(tableParam: string): string;

  /** A query listing the names of the indexes in the dialect's tables' schema, as rows with a `name` column. */
  readonly listIndexes: string;

  /** The statement creating the schema the dialect names its tables in, if missing; `runMigrations` runs it first. */
  readonly createSchema?: string;

  /**
   * A bound parameter carrying one column's values as an array, typed (`$1::text[]`), for a database
   * whose driver binds arrays and that has `unnest` and `= ANY(...)`. With it, the bulk statements
   * (`bulkInsertStatement`, `bulkWriteStatement`, `bulkDeleteStatement`) carry any number of rows in
   * one parameter per column; `marker` is the parameter's {@link Dialect.placeholder}.
   */
  arrayParameter?(marker: string, kind: FieldKind): string;

  /**
   * An aggregate of the non-null values of an integer or timestamp expression as one text of
   * comma-separated decimal integers (a timestamp as epoch milliseconds), in any order; null when there
   * are none. Backs the `series` measure; an adapter whose dialect lacks it must not declare
   * the `aggregateSeries` trait.
   */
  seriesAggregate?(expression: string, kind: 'integer' | 'timestamp'): string;

  /**
   * The clause after `VALUES (...)` that handles a clash on `conflictColumns`: do nothing
   * (`update` empty) or overwrite the `update` columns with the new values.
   */
  onConflict(conflictColumns: readonly string[], update: readonly string[]): string;

  /**
   * For a database whose index keys are limited in bytes (InnoDB): the limits, and how to type bounded text.
   * With them, each string column is typed by what its collection declares (a key, a field of an index,
   * free text), so that every declared index fits, and an index added later narrows or takes prefixes of
   * the columns it covers (see {@link KeyLimits}).
   */
  readonly keyLimits?: KeyLimits;

  /**
   * Whether ascending order already puts nulls first (MySQL, MariaDB), so `NULLS FIRST` is never written:
   * the database may lack the clause.
   */
  readonly ascendingNullsFirst?: boolean;

  /**
   * Statements that release the migration lock, for a database whose lock belongs to the connection rather
   * than to the transaction (MySQL's `GET_LOCK`, which must outlive DDL that commits at once).
   */
  readonly migrationUnlock?: readonly string[];
}

/** The key limits of a database and how it types bounded text; a dialect that has them states them. */
export interface KeyLimits {
  /** Bytes one index key may hold (InnoDB: 3,072). */
  readonly indexBytes: number;
  /** Bytes one character may take in a key (utf8mb4: 4). */
  readonly bytesPerChar: number;
  /** Characters a primary key or a customer key holds: the longest string key the store keeps. */
  readonly keyChars: number;
  /** Bytes a field of another kind takes in an index key. */
  fixedBytes(kind: FieldKind): number;
  /** The type of text of at most `chars` characters (with the collation every string column has). */
  boundedText(chars: number): string;
  /** The statement redefining a column as `type`, before a unique index that needs it narrower. */
  resizeColumn(table: string, column: string, type: string, nullable: boolean): string;
}

/** What an index added later needs to know of a column that exists. */
export interface ColumnInfo {
  /** Characters the column holds, or `null` when it is not text. */
  readonly chars: number | null;
  /** Whether it takes null. */
  readonly nullable: boolean;
}
