/** Filters and keyset bounds as SQL, with the exact semantics of core's `matches` and `isAfterCursor`. */
import type { NormalisedWhere } from '@clientele/core/adapter';
import type { ParamList } from './params.js';
import type { TableShape } from './table.js';

const COMPARISONS = { gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

/**
 * The conditions of a filter, each a SQL boolean expression, to be joined with `AND`. Comparisons
 * with null never match (as in core), so only `isNull` and `eq`/`ne` with `null` test for null.
 */
export function whereConditions(shape: TableShape, where: NormalisedWhere, params: ParamList): string[] {
  const out: string[] = [];
  for (const { field, condition } of where) {
    const col = shape.columns.get(field)!;
    const cmp = shape.compared(field);
    const bind = (v: unknown) => params.add(shape.codec.encodeValue(field, v));
    for (const [op, arg] of Object.entries(condition)) {
      if (arg === undefined) continue;
      switch (op) {
        case 'isNull':
          out.push(`${col} IS ${arg ? '' : 'NOT '}NULL`);
          break;
        case 'eq':
          out.push(arg === null ? `${col} IS NULL` : `${cmp} = ${bind(arg)}`);
          break;
        case 'ne':
          // SQL's `<>` is unknown for a null column, which excludes it, as core does.
          out.push(arg === null ? `${col} IS NOT NULL` : `${cmp} <> ${bind(arg)}`);
          break;
        case 'gt':
        case 'gte':
        case 'lt':
        case 'lte':
          out.push(`${cmp} ${COMPARISONS[op]} ${bind(arg)}`);
          break;
        case 'in': {
          const list = arg as readonly unknown[];
          out.push(list.length === 0 ? '1 = 0' : `${cmp} IN (${list.map(bind).join(', ')})`);
          break;
        }
        case 'startsWith':
          out.push(shape.dialect.startsWith(col, arg as string, (v) => params.add(v)));
          break;
        default:
          throw new TypeError(`unknown operator ${op}`);
      }
    }
  }
  return out;
}

/**
 * The rows strictly after a keyset position in the given order, for any mix of ascending and
 * descending terms: `(a > ?) OR (a = ? AND ((b < ?) OR (b = ? AND ...)))`, preceded by a
 * non-strict bound on the first term that an index can seek to.
 */
export function keysetCondition(
  shape: TableShape,
  order: ReadonlyArray<{ field: string; desc: boolean }>,
  after: readonly unknown[],
  params: ParamList,
): string {
  const bind = (i: number) => params.add(shape.codec.encodeValue(order[i]!.field, after[i]));
  const build = (i: number): string => {
    const { field, desc } = order[i]!;
    const col = shape.compared(field);
    const strict = `${col} ${desc ? '<' : '>'} ${bind(i)}`;
    if (i === order.length - 1) return strict;
    return `${strict} OR (${col} = ${bind(i)} AND (${build(i + 1)}))`;
  };
  if (order.length === 1) return build(0);
  const first = order[0]!;
  const seek = `${shape.compared(first.field)} ${first.desc ? '<=' : '>='} ${bind(0)}`;
  return `${seek} AND (${build(0)})`;
}

/** Joins conditions into a `WHERE` clause (empty when there are none). */
export function whereClause(conditions: readonly string[]): string {
  return conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;
}
