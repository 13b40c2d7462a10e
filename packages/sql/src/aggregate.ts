/**
 * Grouped aggregates pushed down to SQL, returning exactly what core's `aggregateByScan` returns:
 * `sum` of no rows is 0, one row without `groupBy` even on empty input, groups ordered by `sortGroups`.
 */
import { checkAggregate, normaliseWhere, sortGroups } from '@clientele/core';
import type { AggregateQuery, AggregateRow, ScalarValue } from '@clientele/core';
import { ParamList } from './params.js';
import type { SqlStatement } from './params.js';
import type { CollectionStatements } from './statements.js';
import { whereClause, whereConditions } from './where.js';

/** An aggregate query and the decoder of its result rows. */
export interface AggregateStatement extends SqlStatement {
  /** Turns the fetched rows into port values, sorted as core sorts groups. */
  decode(rows: readonly Record<string, unknown>[]): AggregateRow[];
}

/** Builds a `GROUP BY` query with `count`, `sum`, `min` and `max` measures. */
export function aggregateStatement(statements: CollectionStatements, query: AggregateQuery): AggregateStatement {
  const { shape } = statements;
  const { dialect, collection, codec } = shape;
  checkAggregate(collection, query);
  const q = dialect.quoteIdentifier;
  const groupBy = [...(query.groupBy ?? [])] as string[];
  const measures = Object.entries(query.measures);
  const params = new ParamList(dialect);
  const conditions = whereConditions(shape, normaliseWhere(collection, query.where), params);

  // Aliases are positional so that measure names never need quoting rules of their own.
  const select: string[] = groupBy.map((f, i) => `${shape.columns.get(f)!} AS ${q(`g${i}`)}`);
  measures.forEach(([, m], i) => {
    const alias = q(`m${i}`);
    if (m.fn === 'count') select.push(`count(*) AS ${alias}`);
    else if (m.fn === 'sum') select.push(`coalesce(sum(${shape.columns.get(m.field!)!}), 0) AS ${alias}`);
    else select.push(`${m.fn}(${shape.compared(m.field!)}) AS ${alias}`);
  });
  const group = groupBy.length ? ` GROUP BY ${groupBy.map((f) => shape.columns.get(f)!).join(', ')}` : '';
  const text = `SELECT ${select.join(', ')} FROM ${shape.table}${whereClause(conditions)}${group}`;

  return {
    text,
    params: params.values,
    decode(rows) {
      const out = rows.map((raw) => {
        const row: AggregateRow = {};
        groupBy.forEach((f, i) => {
          row[f] = codec.decodeValue(f, raw[`g${i}`]) as ScalarValue;
        });
        measures.forEach(([name, m], i) => {
          const v = raw[`m${i}`];
          // count and sum come back as bigint or numeric text from some drivers.
          if (m.fn === 'count' || m.fn === 'sum') row[name] = v === null || v === undefined ? 0 : Number(v);
          else row[name] = codec.decodeValue(m.field!, v) as ScalarValue;
        });
        return row;
      });
      return sortGroups(out, groupBy);
    },
  };
}
