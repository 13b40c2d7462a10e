/**
 * Grouped aggregates pushed down to SQL, returning exactly what core's `aggregateByScan` returns:
 * `sum` of no rows is 0, one row without `groupBy` even on empty input, groups ordered by `sortGroups`,
 * and the extended measures (a measure's own `where`, `series`) as core computes them.
 */
import { checkAggregate, normaliseWhere, sortGroups } from '@clientele/core/adapter';
import type {
  AggregateQuery,
  AggregateRow,
  CollectionSpec,
  Measure,
  NormalisedWhere,
  ScalarValue,
  Where,
} from '@clientele/core/adapter';
import type { Dialect } from './dialect.js';
import { ParamList } from './params.js';
import type { SqlStatement } from './params.js';
import type { CollectionStatements } from './statements.js';
import { keysetCondition, whereClause, whereConditions } from './where.js';

/** An aggregate query and the decoders of its result rows. */
export interface AggregateStatement extends SqlStatement {
  /** Turns the fetched rows into port values, sorted as core sorts groups. */
  decode(rows: readonly Record<string, unknown>[]): AggregateRow[];
  /**
   * As {@link AggregateStatement.decode}, for rows fetched as arrays of values in select order (the
   * group-by values, then the measures), which drivers give without building an object per row.
   */
  decodeValues(rows: readonly (readonly unknown[])[]): AggregateRow[];
}

/**
 * The values of a `series` measure from the dialect's text of comma-separated integers, ascending.
 * Databases usually aggregate in index order already, so the sort is skipped when it is not needed.
 */
function parseSeries(value: unknown): number[] {
  if (value === null || value === undefined) return [];
  const text = String(value);
  const out: number[] = [];
  let n = 0;
  let negative = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 44) {
      out.push(negative ? -n : n);
      n = 0;
      negative = false;
    } else if (c === 45) negative = true;
    else n = n * 10 + (c - 48);
  }
  out.push(negative ? -n : n);
  for (let i = 1; i < out.length; i++) {
    if (out[i]! < out[i - 1]!) return out.sort((a, b) => a - b);
  }
  return out;
}

/** Conditions that no null satisfies, in SQL as in core's `matches`. */
const NULL_FREE_OPS = new Set(['gt', 'gte', 'lt', 'lte', 'in', 'startsWith']);

/**
 * Whether no row with a null `field` can pass `where`: the field is not nullable, or a condition on it
 * excludes null.
 */
function nullFree(collection: CollectionSpec, where: NormalisedWhere, field: string): boolean {
  if (!collection.fields[field]!.nullable) return true;
  return where.some(
    ({ field: f, condition }) =>
      f === field &&
      Object.entries(condition).some(
        ([op, v]) =>
          v !== undefined &&
          (NULL_FREE_OPS.has(op) || ((op === 'eq' || op === 'ne') && v !== null) || (op === 'isNull' && v === false)),
      ),
  );
}

/** ` NULLS FIRST` where a null may come and the dialect's ascending order does not already put it first. */
function nullsFirst(dialect: Dialect, collection: CollectionSpec, where: NormalisedWhere, field: string): string {
  return dialect.ascendingNullsFirst || nullFree(collection, where, field) ? '' : ' NULLS FIRST';
}

/**
 * Builds a `GROUP BY` query with `count`, `sum`, `min`, `max` and `series` measures, each optionally
 * filtered by its own `where`; with `after` or `limit`, a page of groups in group order (a keyset bound
 * on the group-by columns, `ORDER BY ... NULLS FIRST`, `LIMIT`). Grouped by the primary key, every
 * group is one row, so the query reads the rows without grouping them (the same values, less work).
 */
export function aggregateStatement(statements: CollectionStatements, query: AggregateQuery): AggregateStatement {
  const { shape } = statements;
  const { dialect, collection, codec } = shape;
  checkAggregate(collection, query);
  const q = dialect.quoteIdentifier;
  const groupBy = [...(query.groupBy ?? [])] as string[];
  const measures = Object.entries(query.measures) as Array<[string, Measure]>;
  const params = new ParamList(dialect);
  const paged = query.limit !== undefined || query.after !== undefined;
  const perRow = groupBy.includes(collection.primaryKey);

  // Parameters are bound in text order: the select list (measure filters) comes before WHERE.
  const select: string[] = groupBy.map((f, i) => `${shape.columns.get(f)!} AS ${q(`g${i}`)}`);
  measures.forEach(([, m], i) => {
    const alias = q(`m${i}`);
    const filter =
      m.where === undefined ? null : whereConditions(shape, normaliseWhere(collection, m.where as Where), params);
    // A filter with no conditions (`{}`) keeps every row, as core's `matches` does.
    const test = filter === null || filter.length === 0 ? null : filter.join(' AND ');
    const only = (expression: string, otherwise = '') =>
      test === null ? expression : `CASE WHEN ${test} THEN ${expression}${otherwise} END`;
    if (m.fn === 'count')
      select.push(`${perRow ? only('1', ' ELSE 0') : test === null ? 'count(*)' : `count(${only('1')})`} AS ${alias}`);
    else if (m.fn === 'sum') {
      // A net sum subtracts row by row, a null counting as 0 on either side, as core's fallback does.
      const col =
        m.minus === undefined
          ? shape.columns.get(m.field!)!
          : `(coalesce(${shape.columns.get(m.field!)!}, 0) - coalesce(${shape.columns.get(m.minus)!}, 0))`;
      select.push(`${perRow ? only(`coalesce(${col}, 0)`, ' ELSE 0') : `coalesce(sum(${only(col)}), 0)`} AS ${alias}`);
    } else if (m.fn === 'series') {
      const col = shape.columns.get(m.field!)!;
      if (perRow) select.push(`${only(col)} AS ${alias}`);
      else {
        if (!dialect.seriesAggregate) throw new TypeError(`the ${dialect.name} dialect cannot aggregate a series`);
        select.push(
          `${dialect.seriesAggregate(only(col), collection.fields[m.field!]!.kind as 'integer' | 'timestamp')} ` +
            `AS ${alias}`,
        );
      }
    } else
      select.push(
        `${perRow ? only(shape.columns.get(m.field!)!) : `${m.fn}(${only(shape.compared(m.field!))})`} AS ${alias}`,
      );
  });

  const where = normaliseWhere(collection, query.where);
  const conditions = whereConditions(shape, where, params);
  const groupOrder = groupBy.map((field) => ({ field, desc: false }));
  // Keyset paging over the groups: a null key sorts first, and `col > ?` never matches one, as core's fallback.
  if (query.after !== undefined) conditions.push(`(${keysetCondition(shape, groupOrder, query.after, params)})`);
  const group = groupBy.length && !perRow ? ` GROUP BY ${groupBy.map((f) => shape.columns.get(f)!).join(', ')}` : '';
  // Paged queries order in SQL (nulls first, as core's `sortGroups`) so that LIMIT takes the first groups. Where
  // no null can come, the order is said without `NULLS FIRST`: PostgreSQL reads an ascending index nulls last,
  // so the clause would make it sort every page of groups that the index already gives in order.
  const ascending = (f: string) => `${shape.compared(f)} ASC${nullsFirst(dialect, collection, where, f)}`;
  const order = paged ? ` ORDER BY ${groupBy.map(ascending).join(', ')}` : '';
  const limit = query.limit !== undefined ? ` LIMIT ${params.add(query.limit)}` : '';
  const text = `SELECT ${select.join(', ')} FROM ${shape.table}${whereClause(conditions)}${group}${order}${limit}`;

  // Decoders resolved once per statement, not per row (pages of groups can be large).
  const outputs: Array<{ name: string; alias: string; decode: (v: unknown) => ScalarValue | number[] }> = [
    ...groupBy.map((f, i) => ({
      name: f,
      alias: `g${i}`,
      decode: (v: unknown) => codec.decodeValue(f, v) as ScalarValue,
    })),
    ...measures.map(([name, m], i) => ({
      name,
      alias: `m${i}`,
      decode: measureDecoder(m, perRow, (v) => codec.decodeValue(m.field!, v)),
    })),
  ];
  const finish = (out: AggregateRow[]) => (paged ? out : sortGroups(out, groupBy));
  return {
    text,
    params: params.values,
    decode(rows) {
      const out: AggregateRow[] = new Array(rows.length);
      for (let r = 0; r < rows.length; r++) {
        const raw = rows[r]!;
        const row: AggregateRow = {};
        for (const c of outputs) row[c.name] = c.decode(raw[c.alias]);
        out[r] = row;
      }
      // A page already comes in group order from SQL (the conformance kit checks it); only whole results are sorted
      // here.
      return finish(out);
    },
    decodeValues(rows) {
      const out: AggregateRow[] = new Array(rows.length);
      const n = outputs.length;
      for (let r = 0; r < rows.length; r++) {
        const raw = rows[r]!;
        const row: AggregateRow = {};
        for (let c = 0; c < n; c++) row[outputs[c]!.name] = outputs[c]!.decode(raw[c]);
        out[r] = row;
      }
      return finish(out);
    },
  };
}

/** How one measure's column becomes its port value. */
function measureDecoder(
  m: Measure,
  perRow: boolean,
  decodeField: (v: unknown) => unknown,
): (v: unknown) => ScalarValue | number[] {
  // count and sum come back as bigint or numeric text from some drivers.
  if (m.fn === 'count' || m.fn === 'sum') return (v) => (v === null || v === undefined ? 0 : Number(v));
  if (m.fn === 'series') {
    if (!perRow) return parseSeries;
    return (v) => {
      if (v === null || v === undefined) return [];
      const value = decodeField(v);
      return [value instanceof Date ? value.getTime() : (value as number)];
    };
  }
  return (v) => decodeField(v) as ScalarValue;
}
