/**
 * `@clientele/sql`: the SQL layer Clientele's adapters share. It builds statement text with bound
 * parameters for a {@link Dialect} and maps result rows back to port values; it opens no connection,
 * so an integrator's adapter for another SQL database reuses it with a dialect of its own.
 *
 * @packageDocumentation
 */
export type { Dialect, KeyLimits, ColumnInfo } from './dialect.js';
export { sqliteDialect } from './sqlite-dialect.js';
export { postgresDialect, postgresSchemaDialect } from './postgres-dialect.js';
export { mariadbDialect, mysqlDialect, mysqlDatabaseDialect, type MysqlServer } from './mysql-dialect.js';
export { indexShare, textWidths, fitIndex } from './key-limits.js';
export { ParamList, type SqlStatement } from './params.js';
export { columnName, indexName, tableName } from './naming.js';
export { tableShape, type TableShape } from './table.js';
export { whereConditions, keysetCondition, whereClause } from './where.js';
export {
  createTableSql,
  createIndexSql,
  addColumnSql,
  migrationStepSql,
  stepTable,
  customerKeyIndexSql,
  customerKeyIndex,
  type ExistingSchema,
} from './ddl.js';
export {
  collectionStatements,
  type CollectionStatements,
  type InsertStatement,
  type FindStatement,
} from './statements.js';
export { linkedGetStatements, type LinkedGetStatements } from './linked-get.js';
export { aggregateStatement, type AggregateStatement } from './aggregate.js';
export {
  runMigrations,
  migrationStatements,
  MIGRATIONS_TABLE,
  type MigrationConnection,
  type MigrationStatements,
} from './migrations.js';
export { identifyClash, setsUniqueField, uniqueFieldsOf, type UniqueClash } from './clash.js';
export {
  bulkInsertStatement,
  bulkWriteStatement,
  bulkDeleteStatement,
  shapeOf,
  MAX_ROWS_PER_BULK_WRITE,
  type WriteShape,
} from './bulk-writes.js';
