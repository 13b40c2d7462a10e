/** Schema statements: tables, columns and indexes, each safe to run again. */
import { InvalidStateError } from '@clientele/core/adapter';
import type { CollectionSpec, FieldSpec, IndexSpec, MigrationStep } from '@clientele/core/adapter';
import type { Dialect } from './dialect.js';
import { fitIndex, textWidths } from './key-limits.js';
import type { ColumnInfo } from './dialect.js';
import { columnName, indexName, tableName } from './naming.js';

/** The column type of a field: by its kind, or for a string under key limits by what its collection declares. */
function fieldType(dialect: Dialect, collection: CollectionSpec | undefined, field: string, spec: FieldSpec): string {
  const limits = dialect.keyLimits;
  if (!limits || !collection || spec.kind !== 'string') return dialect.columnType(spec.kind);
  const chars = textWidths(limits, collection).get(field);
  return chars === null || chars === undefined ? dialect.columnType('string') : limits.boundedText(chars);
}

/** `CREATE TABLE IF NOT EXISTS` for a collection: one column per field, `NOT NULL` unless nullable, the primary key. */
export function createTableSql(dialect: Dialect, collection: CollectionSpec): string {
  const q = dialect.quoteIdentifier;
  const columns = Object.entries(collection.fields).map(
    ([name, spec]) =>
      `${q(columnName(name))} ${fieldType(dialect, collection, name, spec)}${spec.nullable ? '' : ' NOT NULL'}`,
  );
  columns.push(`PRIMARY KEY (${q(columnName(collection.primaryKey))})`);
  if (dialect.indexesInCreateTable) {
    const byCustomer = customerKeyIndex(collection);
    for (const index of byCustomer ? [...collection.indexes, byCustomer] : collection.indexes) {
      const cols = index.fields.map((f) => q(columnName(f))).join(', ');
      columns.push(`${index.unique ? 'UNIQUE ' : ''}INDEX ${q(indexName(dialect, collection.name, index))} (${cols})`);
    }
  }
  const settings = collection.rewrittenInBulk && dialect.bulkRewriteSettings;
  const table = `CREATE TABLE IF NOT EXISTS ${tableName(dialect, collection.name)} (${columns.join(', ')})`;
  return settings ? `${table} WITH (${settings})` : table;
}

/** Sets the bulk-rewrite storage settings on a table that exists (safe to repeat); none where the dialect has none. */
function bulkRewriteSql(dialect: Dialect, collection: CollectionSpec): string[] {
  const settings = collection.rewrittenInBulk && dialect.bulkRewriteSettings;
  return settings ? [`ALTER TABLE ${tableName(dialect, collection.name)} SET (${settings})`] : [];
}

/**
 * `CREATE [UNIQUE] INDEX IF NOT EXISTS` for one index of a table. Given the table's `columns` under key
 * limits, a text column wider than its share of the key is indexed by a prefix (see `fitIndex`).
 */
export function createIndexSql(
  dialect: Dialect,
  table: string,
  index: IndexSpec,
  columns?: ReadonlyMap<string, ColumnInfo>,
): string {
  const q = dialect.quoteIdentifier;
  const parts =
    dialect.keyLimits && columns
      ? fitIndex(dialect.keyLimits, index, columns).parts
      : index.fields.map((f) => ({ column: columnName(f), prefix: undefined }));
  const cols = parts.map((p) => `${q(p.column)}${p.prefix === undefined ? '' : `(${p.prefix})`}`).join(', ');
  const ifNotExists = dialect.createIndexIfNotExists === false ? '' : 'IF NOT EXISTS ';
  return (
    `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX ${ifNotExists}${q(indexName(dialect, table, index))} ` +
    `ON ${tableName(dialect, table)} (${cols})`
  );
}

/** An index over columns that exist: under key limits, a unique index first narrows text columns too wide for it. */
function addIndexSql(
  dialect: Dialect,
  table: string,
  index: IndexSpec,
  columns: ReadonlyMap<string, ColumnInfo> | undefined,
): string[] {
  const limits = dialect.keyLimits;
  if (!limits || !columns) return [createIndexSql(dialect, table, index)];
  const out: string[] = [];
  const fitted = new Map(columns);
  for (const { column, chars } of fitIndex(limits, index, columns).narrow) {
    const nullable = columns.get(column)!.nullable;
    out.push(
      limits.resizeColumn(
        tableName(dialect, table),
        dialect.quoteIdentifier(column),
        limits.boundedText(chars),
        nullable,
      ),
    );
    fitted.set(column, { chars, nullable });
  }
  out.push(createIndexSql(dialect, table, index, fitted));
  return out;
}

/**
 * `ALTER TABLE ... ADD COLUMN`. The column is nullable whatever the field says: rows that exist when
 * it is added have no value for it (as in the memory store), and the port checks every write.
 */
export function addColumnSql(
  dialect: Dialect,
  table: string,
  field: string,
  spec: FieldSpec,
  collection?: CollectionSpec,
): string {
  const q = dialect.quoteIdentifier;
  const ifNotExists = dialect.addColumnIfNotExists ? 'IF NOT EXISTS ' : '';
  const column = `${q(columnName(field))} ${fieldType(dialect, collection, field, spec)}`;
  return `ALTER TABLE ${tableName(dialect, table)} ADD COLUMN ${ifNotExists}${column}`;
}

/** The table a migration step changes. */
export function stepTable(step: MigrationStep): string {
  return step.op === 'createCollection' ? step.collection.name : step.collection;
}

/** What a migration step's statements depend on besides the columns' names. */
export interface ExistingSchema {
  /** The table's columns now, by name, for a dialect with key limits (`listColumns` gives `chars`, `nullable`). */
  readonly columns?: ReadonlyMap<string, ColumnInfo>;
  /** The indexes that exist (physical names): these are not created again. */
  readonly indexes?: ReadonlySet<string>;
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
  existing: ExistingSchema = {},
): string[] {
  const table = stepTable(step);
  const missing = (index: IndexSpec) => !existing.indexes?.has(indexName(dialect, table, index));
  if (step.op === 'createCollection') {
    const c = step.collection;
    if (existingColumns.size === 0 && dialect.indexesInCreateTable) return [createTableSql(dialect, c)];
    if (existingColumns.size === 0)
      return [createTableSql(dialect, c), ...c.indexes.filter(missing).map((i) => createIndexSql(dialect, table, i))];
    const out: string[] = [];
    const columns = existing.columns && new Map(existing.columns);
    const widths = dialect.keyLimits && textWidths(dialect.keyLimits, c);
    for (const [name, spec] of Object.entries(c.fields)) {
      if (existingColumns.has(columnName(name))) continue;
      out.push(addColumnSql(dialect, table, name, spec, c));
      columns?.set(columnName(name), {
        chars: spec.kind === 'string' ? (widths?.get(name) ?? 0xffffffff) : null,
        nullable: true,
      });
    }
    for (const index of c.indexes.filter(missing)) out.push(...addIndexSql(dialect, table, index, columns));
    out.push(...bulkRewriteSql(dialect, c));
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
  return missing(step.index) ? addIndexSql(dialect, table, step.index, existing.columns) : [];
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
