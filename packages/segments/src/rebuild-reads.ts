/**
 * The reads of a rebuild over a range of customers in key order, each one statement (or a page of
 * them): the active buying customers (with the fields the statistics copy, or their versions only),
 * their purchase summaries (and reading one into a customer's figures), the stored rows' hashes, and
 * how many customers a range holds.
 */
import {
  compareStrings,
  customersCollection,
  purchasesCollection,
  type AggregateRow,
  type StoreSession,
} from '@clientele/core/module';
import { customerStatsCollection } from './collections.js';
import type { ResolvedSegmentsConfig } from './config.js';
import type { FigureScratch, StatsSettings } from './customer-stats.js';
import { GROUP_PAGE, summaryFrom, summaryMeasures } from './stats-store.js';

/** A customer-id range `(from, to]` as a port condition (`null`: unbounded on that side). */
export function idRange(from: string | null, to: string | null): Record<string, string> {
  const range: Record<string, string> = {};
  if (from !== null) range['gt'] = from;
  if (to !== null) range['lte'] = to;
  return range;
}

/** Whether a range from {@link idRange} is bounded on either side. */
export function bounded(range: Record<string, string>): boolean {
  return 'gt' in range || 'lte' in range;
}

/**
 * The purchase summaries of the customers in a range who bought, ascending by customer: one grouped
 * aggregate per page of customers.
 */
export async function summariesInRange(
  session: StoreSession,
  from: string | null,
  to: string | null,
  windowStart: number,
): Promise<AggregateRow[]> {
  const range = idRange(from, to);
  const measures = summaryMeasures(windowStart);
  const out: AggregateRow[] = [];
  let after: string | null = null;
  for (;;) {
    const page: AggregateRow[] = await session.aggregate(purchasesCollection, {
      where: { customerId: bounded(range) ? range : { isNull: false }, status: 'completed' },
      groupBy: ['customerId'],
      measures,
      limit: GROUP_PAGE,
      ...(after !== null ? { after: [after] } : {}),
    });
    for (const g of page) out.push(g);
    if (page.length < GROUP_PAGE) return out;
    after = page[page.length - 1]!['customerId'] as string;
  }
}

/**
 * Walks groups sorted by `customerId` alongside customers in the same (code point) order: `take(id)`
 * returns the group of that customer, if any, and `passed` collects the groups of ids it went by.
 */
export class SortedGroups {
  private i = 0;
  constructor(
    private readonly groups: readonly AggregateRow[],
    private readonly passed: string[] | null = null,
  ) {}

  take(id: string): AggregateRow | undefined {
    const groups = this.groups;
    while (this.i < groups.length) {
      const g = groups[this.i]!;
      const gid = g['customerId'] as string;
      if (gid === id) {
        this.i++;
        return g;
      }
      if (compareStrings(gid, id) > 0) return undefined;
      this.passed?.push(gid);
      this.i++;
    }
    return undefined;
  }

  /** The ids of the groups not taken yet (after the last customer). */
  rest(): string[] {
    const out = this.passed ?? [];
    while (this.i < this.groups.length) out.push(this.groups[this.i++]!['customerId'] as string);
    return out;
  }
}

/** The fields of a customer the statistics copy, as aggregate measures over one row each. */
const COPIED = {
  version: { fn: 'min', field: 'version' },
  kind: { fn: 'min', field: 'kind' },
  region: { fn: 'min', field: 'region' },
  industry: { fn: 'min', field: 'industry' },
  sizeClass: { fn: 'min', field: 'sizeClass' },
  homeStoreId: { fn: 'min', field: 'homeStoreId' },
  status: { fn: 'min', field: 'status' },
} as const;

/** The customers with a statistics row: buying customers, active or erased (whose figures stay in the totals). */
export const ACTIVE_BUYERS = { status: { in: ['active', 'erased'] }, isCustomer: true } as const;

/**
 * The active buying customers in `(after, upper]` (`null`: unbounded), at most `limit`, ascending, with
 * the fields the statistics copy (`id` and {@link COPIED}), or only their versions.
 */
export async function customersIn(
  session: StoreSession,
  after: string | null,
  upper: string | null,
  limit: number,
  fields: 'copied' | 'version',
): Promise<AggregateRow[]> {
  // Grouped by the primary key, each group is one customer: the store reads the rows without grouping.
  return session.aggregate(customersCollection, {
    where: upper === null ? ACTIVE_BUYERS : { ...ACTIVE_BUYERS, id: { lte: upper } },
    groupBy: ['id'],
    measures: fields === 'copied' ? COPIED : { version: COPIED.version },
    limit,
    ...(after !== null ? { after: [after] } : {}),
  });
}

/**
 * How many active buying customers a range holds and the sum of their versions, from an index. Every
 * change of a customer through the store raises its version, and the rows' versions never exceed the
 * customers', so when both figures equal those of the stored rows of the range, no customer in it
 * changed, came or went since its row was derived.
 */
export async function versionsInRange(
  session: StoreSession,
  after: string | null,
  upper: string,
): Promise<{ count: number; sum: number }> {
  const [g] = await session.aggregate(customersCollection, {
    where: { ...ACTIVE_BUYERS, id: idRange(after, upper) },
    measures: { count: { fn: 'count' }, sum: { fn: 'sum', field: 'version' } },
  });
  return { count: g!['count'] as number, sum: g!['sum'] as number };
}

/**
 * The fields of a stored statistics row that a chunk compares: its hashes and the customer version it was derived from.
 */
const STORED_FIELDS = ['customerId', 'digest', 'scoresDigest', 'customerVersion'] as const;

/**
 * The next page of stored statistics rows after `after`, ascending: their hashes and customer versions
 * (a projection, read from their covering index, with no grouping), as rows the chunk walks beside
 * the aggregates' groups.
 */
export async function storedAfter(session: StoreSession, after: string | null, limit: number): Promise<AggregateRow[]> {
  const page = await session.find(customerStatsCollection, {
    where: after !== null ? { customerId: { gt: after } } : {},
    limit,
    select: STORED_FIELDS,
  });
  return page.rows;
}

/** The settings a rebuild reads purchase summaries with. */
export function summarySettings(config: ResolvedSegmentsConfig): StatsSettings {
  return { windowDays: config.rfm.windowDays, maxGaps: config.churn.maxGaps };
}

const NEVER_BOUGHT: readonly number[] = [];

/** Reads a customer's group of {@link summaryMeasures} (none: never bought) into `scratch`, as of `asOf`. */
export function readSummary(
  scratch: FigureScratch,
  g: AggregateRow | undefined,
  asOf: Date,
  config: ResolvedSegmentsConfig,
  settings: StatsSettings,
): void {
  if (g === undefined) scratch.read(NEVER_BOUGHT, 0, 0, asOf, settings, config.churn);
  else {
    const s = summaryFrom(g);
    scratch.read(s.times, s.spend, s.windowSpend, asOf, settings, config.churn);
  }
}
