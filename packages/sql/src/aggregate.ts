/**
 * Grouped aggregates pushed down to SQL, returning exactly what core's `aggregateByScan` returns:
 * `sum` of no rows is 0, one row without `groupBy` even on empty input, groups ordered by `sortGroups`.
 */
import { checkAggregate, normaliseWhere, sortGroups } from '@clientele/core';
import type { AggregateQuery, AggregateRow, ScalarValue } from '@clientele/core';
import { ParamList } from './params.js';
import type { SqlStatement } from './params.js';
import type { CollectionStatements } from './statements.js';
import { keysetCondition, whereClause, whereConditions } from './where.js';

/** An aggregate query and the decoder of its result rows. */
export interface AggregateStatement extends SqlStatement {
  /** Turns the fetched rows into port values, sorted as core sorts groups. */
  decode(rows: readonly Record<string, unknown>[]): AggregateRow[];
}

/**
 * Builds a `GROUP BY` query with `count`, `sum`, `min` and `max` measures; with `after` or `limit`, a page
 * of groups in group order (a keyset bound on the group-by columns, `ORDER BY ... NULLS FIRST`, `LIMIT`).
 */
export function aggregateStatement(statements: CollectionStatements, query: AggregateQuery): AggregateStatement {
  const { shape } = statements;
  const { dialect, collection, codec } = shape;
  checkAggregate(collection, query);
  const q = dialect.quoteIdentifier;
  const groupBy = [...(query.groupBy ?? [])] as string[];
  const measures = Object.entries(query.measures);
  const params = new ParamList(dialect);
  const conditions = whereConditions(shape, normaliseWhere(collection, query.where), params);
  const paged = query.limit !== undefined || query.after !== undefined;
  const groupOrder = groupBy.map((field) => ({ field, desc: false }));
  // Keyset paging over the groups: a null key sorts first, and `col > ?` never matches one, as core's fallback.
  if (query.after !== undefined) conditions.push(`(${keysetCondition(shape, groupOrder, query.after, params)})`);

  // Aliases are positional so that measure names never need quoting rules of their own.
  const select: string[] = groupBy.map((f, i) => `${shape.columns.get(f)!} AS ${q(`g${i}`)}`);
  measures.forEach(([, m], i) => {
    const alias = q(`m${i}`);
    if (m.fn === 'count') select.push(`count(*) AS ${alias}`);
    else if (m.fn === 'sum') select.push(`coalesce(sum(${shape.columns.get(m.field!)!}), 0) AS ${alias}`);
    else select.push(`${m.fn}(${shape.compared(m.field!)}) AS ${alias}`);
  });
  const group = groupBy.length ? ` GROUP BY ${groupBy.map((f) => shape.columns.get(f)!).join(', ')}` : '';
  // Paged queries order in SQL (nulls first, as core's `sortGroups`) so that LIMIT takes the first groups.
  const order = paged ? ` ORDER BY ${groupBy.map((f) => `${shape.compared(f)} ASC NULLS FIRST`).join(', ')}` : '';
  const limit = query.limit !== undefined ? ` LIMIT ${params.add(query.limit)}` : '';
  const text = `SELECT ${select.join(', ')} FROM ${shape.table}${whereClause(conditions)}${group}${order}${limit}`;

  // Aliases and decoders resolved once per statement, not per row (pages of groups can be large).
  const outputs: Array<{ name: string; alias: string; decode: (v: unknown) => ScalarValue }> = [
    ...groupBy.map((f, i) => ({ name: f, alias: `g${i}`, decode: (v: unknown) => codec.decodeValue(f, v) as ScalarValue })),
    ...measures.map(([name, m], i) => ({
      name,
      alias: `m${i}`,
      // count and sum come back as bigint or numeric text from some drivers.
      decode: m.fn === 'count' || m.fn === 'sum' ? (v: unknown) => (v === null || v === undefined ? 0 : Number(v)) : (v: unknown) => codec.decodeValue(m.field!, v) as ScalarValue,
    })),
  ];
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
      // A page already comes in group order from SQL (the conformance kit checks it); only whole results are sorted here.
      return paged ? out : sortGroups(out, groupBy);
    },
  };
}
