/** A collection seen as a SQL table: quoted names, the select list and the row codec, computed once. */
import { createRowCodec } from '@clientele/core/adapter';
import type { CollectionSpec, RowCodec } from '@clientele/core/adapter';
import type { Dialect } from './dialect.js';
import { columnName, tableName } from './naming.js';

/** The SQL names and codec of one collection in one dialect. */
export interface TableShape {
  /** The dialect the names are quoted for. */
  readonly dialect: Dialect;
  /** The collection the table stores. */
  readonly collection: CollectionSpec;
  /** The table name as statements write it: quoted, and schema-qualified when the dialect is bound to a schema. */
  readonly table: string;
  /** Field names, in column order. */
  readonly fields: readonly string[];
  /** The quoted column of every field. */
  readonly columns: ReadonlyMap<string, string>;
  /** The quoted primary key column. */
  readonly pk: string;
  /** Every column, aliased to its field name, so a result row decodes without renaming. */
  readonly selectList: string;
  /** Converts between port values and stored values. */
  readonly codec: RowCodec;
  /**
   * The quoted column of a field, with the dialect's binary collation when it is a string (for comparing and ordering).
   */
  compared(field: string): string;
}

/** Builds the shape of a collection. */
export function tableShape(dialect: Dialect, collection: CollectionSpec): TableShape {
  const q = dialect.quoteIdentifier;
  const fields = Object.keys(collection.fields);
  const columns = new Map<string, string>();
  const comparedColumns = new Map<string, string>();
  for (const f of fields) {
    const col = q(columnName(f));
    columns.set(f, col);
    comparedColumns.set(f, collection.fields[f]!.kind === 'string' ? col + dialect.stringCollation : col);
  }
  const selectList = fields
    .map((f) => {
      const c = columnName(f);
      return c === f ? q(c) : `${q(c)} AS ${q(f)}`;
    })
    .join(', ');
  return {
    dialect,
    collection,
    table: tableName(dialect, collection.name),
    fields,
    columns,
    pk: columns.get(collection.primaryKey)!,
    selectList,
    codec: createRowCodec(collection, dialect.codec),
    compared(field) {
      const c = comparedColumns.get(field);
      if (c === undefined) throw new TypeError(`${collection.name} has no field ${field}`);
      return c;
    },
  };
}
