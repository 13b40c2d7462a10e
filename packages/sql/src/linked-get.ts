/**
 * The one-statement read of a row and the row it links to: the row's table left-joined to the linked
 * table on its primary key, so a lookup such as a card and its holder costs one query, not two.
 */
import type { AnyRow, CollectionSpec } from '@clientele/core/adapter';
import type { Dialect } from './dialect.js';
import type { SqlStatement } from './params.js';
import { collectionStatements, type CollectionStatements } from './statements.js';

/** The statement of one link and the decoding of its result. */
export interface LinkedGetStatements {
  /** Selects the row with this primary key and its linked row's columns (all null when it links nothing). */
  get(key: string): SqlStatement;
  /** Splits and decodes a result row fetched as an array of values: the row's fields, then the linked row's. */
  decodeValues(values: readonly unknown[]): { row: AnyRow; linked: AnyRow | undefined };
  /** Splits and decodes a result row fetched as an object keyed by the select list's aliases. */
  decodeRow(raw: Record<string, unknown>): { row: AnyRow; linked: AnyRow | undefined };
}

/** The linked row's columns are aliased with this prefix, so they never clash with the row's own. */
const LINKED_PREFIX = 'linked.';

const cache = new WeakMap<CollectionStatements, WeakMap<CollectionStatements, Map<string, LinkedGetStatements>>>();

/** The statements reading `collection` with the row its `link.field` names in `link.target`, built once per link. */
export function linkedGetStatements(
  dialect: Dialect,
  collection: CollectionSpec,
  link: { readonly field: string; readonly target: CollectionSpec },
): LinkedGetStatements {
  const from = collectionStatements(dialect, collection);
  const to = collectionStatements(dialect, link.target);
  let byTarget = cache.get(from);
  if (!byTarget) {
    byTarget = new WeakMap();
    cache.set(from, byTarget);
  }
  let byField = byTarget.get(to);
  if (!byField) {
    byField = new Map();
    byTarget.set(to, byField);
  }
  let statements = byField.get(link.field);
  if (!statements) {
    statements = build(dialect, from, to, link.field);
    byField.set(link.field, statements);
  }
  return statements;
}

function build(
  dialect: Dialect,
  from: CollectionStatements,
  to: CollectionStatements,
  field: string,
): LinkedGetStatements {
  const q = dialect.quoteIdentifier;
  const row = from.shape;
  const linked = to.shape;
  const linkColumn = row.columns.get(field);
  if (linkColumn === undefined) throw new TypeError(`${row.collection.name} has no field ${field}`);
  const rowCount = row.fields.length;
  const linkedPk = linked.fields.indexOf(linked.collection.primaryKey);
  const linkedAliases = linked.fields.map((f) => LINKED_PREFIX + f);
  const list = [
    ...row.fields.map((f) => `r.${row.columns.get(f)!} AS ${q(f)}`),
    ...linked.fields.map((f, i) => `l.${linked.columns.get(f)!} AS ${q(linkedAliases[i]!)}`),
  ].join(', ');
  const text =
    `SELECT ${list} FROM ${row.table} AS r LEFT JOIN ${linked.table} AS l ON l.${linked.pk} = r.${linkColumn} ` +
    `WHERE r.${row.pk} = ${dialect.placeholder(1)}`;

  return {
    get: (key) => ({ text, params: [key] }),
    decodeValues(values) {
      const found = values[rowCount + linkedPk];
      return {
        row: row.codec.decodeValues(values),
        linked: found === null || found === undefined ? undefined : linked.codec.decodeValues(values.slice(rowCount)),
      };
    },
    decodeRow(raw) {
      const found = raw[linkedAliases[linkedPk]!];
      if (found === null || found === undefined) return { row: row.codec.decodeRow(raw), linked: undefined };
      const own: Record<string, unknown> = {};
      linked.fields.forEach((f, i) => (own[f] = raw[linkedAliases[i]!]));
      return { row: row.codec.decodeRow(raw), linked: linked.codec.decodeRow(own) };
    },
  };
}
