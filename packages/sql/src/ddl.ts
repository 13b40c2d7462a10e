/** Schema statements: tables, columns and indexes, each safe to run again. */
import { InvalidStateError } from '@clientele/core/adapter';
import type { CollectionSpec, FieldSpec, IndexSpec, MigrationStep } from '@clientele/core/adapter';
import type { Dialect } from './dialect.js';
import { columnName, indexName, tableName } from './naming.js';

/** `CREATE TABLE IF NOT EXISTS` for a collection: one column per field, `NOT NULL` unless nullable, the primary key. */
export function createTableSql(dialect: Dialect, collection: CollectionSpec): string {
  const q = dialect.quoteIdentifier;
  const columns = Object.entries(collection.fields).map(
    ([name, spec]) => `${q(columnName(name))} ${dialect.columnType(spec.kind)}${spec.nullable ? '' : ' NOT NULL'}`,
  );
  columns.push(`PRIMARY KEY (${q(columnName(collection.primaryKey))})`);
  return `CREATE TABLE IF NOT EXISTS ${tableName(dialect, collection.name)} (${columns.join(', ')})`;
}

/** `CREATE [UNIQUE] INDEX IF NOT EXISTS` for one index of a table. */
export function createIndexSql(dialect: Dialect, table: string, index: IndexSpec): string {
  const q = dialect.quoteIdentifier;
  const cols = index.fields.map((f) => q(columnName(f))).join(', ');
  return (
    `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${q(indexName(dialect, table, index))} ` +
    `ON ${tableName(dialect, table)} (${cols})`
  );
}

/**
 * `ALTER TABLE ... ADD COLUMN`. The column is nullable whatever the field says: rows that exist when
 * it is added have no value for it (as in the memory store), and the port checks every write.
 */
export function addColumnSql(dialect: Dialect, table: string, field: string, spec: FieldSpec): string {
  const q = dialect.quoteIdentifier;
  const ifNotExists = dialect.addColumnIfNotExists ? 'IF NOT EXISTS ' : '';
  const column = `${q(columnName(field))} ${dialect.columnType(spec.kind)}`;
  return `ALTER TABLE ${tableName(dialect, table)} ADD COLUMN ${ifNotExists}${column}`;
}

/** The table a migration step changes. */
export function stepTable(step: MigrationStep): string {
  return step.op === 'createCollection' ? step.collection.name : step.collection;
}

/**
 * The statements of one migration step, given the columns its table has now (an empty set when the
 * table does not exist). Creating a collection that exists adds what it lacks, as the memory store
 * widens its declaration; adding a field that exists does nothing.
 */
export function migrationStepSql(
  dialect: Dialect,
  step: MigrationStep,
  existingColumns: ReadonlySet<string>,
): string[] {
  const table = stepTable(step);
  if (step.op === 'createCollection') {
    const c = step.collection;
    const out: string[] = [];
    if (existingColumns.size === 0) out.push(createTableSql(dialect, c));
    else {
      for (const [name, spec] of Object.entries(c.fields)) {
        if (!existingColumns.has(columnName(name))) out.push(addColumnSql(dialect, table, name, spec));
      }
    }
    for (const index of c.indexes) out.push(createIndexSql(dialect, table, index));
    return out;
  }
  if (existingColumns.size === 0) throw new InvalidStateError(`unknown collection ${table}`, { collection: table });
  if (step.op === 'addField') {
    if (!step.spec.nullable)
      throw new InvalidStateError(
        `added field ${table}.${step.field} must be nullable: rows that exist have no value for it`,
        { collection: table },
      );
    return existingColumns.has(columnName(step.field)) ? [] : [addColumnSql(dialect, table, step.field, step.spec)];
  }
  return [createIndexSql(dialect, table, step.index)];
}

/**
 * An index on the customer key of a collection that declares one but has no index leading with it,
 * so that a customer's rows are found without a scan (export, erasure, merge, a timeline) and the
 * column is ready to be the distribution key when tables are sharded by customer. `undefined` when the
 * key is the primary key or an index already leads with it.
 */
export function customerKeyIndexSql(dialect: Dialect, collection: CollectionSpec): string | undefined {
  const index = customerKeyIndex(collection);
  return index && createIndexSql(dialect, collection.name, index);
}

/**
 * The index {@link customerKeyIndexSql} creates (named `customer_key`), or `undefined` when the collection needs none.
 */
export function customerKeyIndex(collection: CollectionSpec): IndexSpec | undefined {
  const key = collection.customerKey;
  if (key === undefined || key === collection.primaryKey) return undefined;
  if (collection.indexes.some((index) => index.fields[0] === key)) return undefined;
  return { name: 'customer_key', fields: [key] };
}
