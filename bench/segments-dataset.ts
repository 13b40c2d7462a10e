/**
 * The data set of the segments rebuild figures, drawn by one seeded generator so that every store is
 * measured on the same customers, purchases and lines: 1,000,000 customers and about 10,000,000
 * purchase lines (20,000 customers with `--quick`), two years of shopping up to {@link END}, and a
 * further day of sales for 1% of customers. Also the hand-written RFM statement both figures time.
 * Each figure writes the rows its own way (prepared statements, column arrays).
 */
import { seededRandom } from './stats.js';

export const DAY_MS = 86_400_000;
/** The instant of the first build: the data set's purchases all come before it. */
export const END = Date.UTC(2026, 9, 1);
/** The instant of the nightly rebuild after `day` further days of sales (1: the first night after {@link END}). */
export function nightOf(day: number): number {
  return END + day * DAY_MS + 3_600_000;
}
/** The instant of the first nightly rebuild, after the further day of sales. */
export const NEXT_DAY = nightOf(1);
/** The RFM window of the rebuild and of the statement. */
export const WINDOW_DAYS = 365;
const SPAN = 730 * DAY_MS;

/** How large a run is. */
export interface Sizes {
  customers: number;
  /**
   * Measured rounds: each adds a further day of sales, then times the statement and the nightly
   * rebuild one after the other on that data, in alternating order.
   */
  rounds: number;
}
export const FULL: Sizes = { customers: 1_000_000, rounds: 5 };
export const QUICK: Sizes = { customers: 20_000, rounds: 3 };

const CATEGORIES = Array.from({ length: 40 }, (_, i) => `cat-${String(i).padStart(2, '0')}`);

/** A customer as drawn: an active buying customer, created {@link SPAN} before {@link END}. */
export interface DrawnCustomer {
  id: string;
  kind: 'individual' | 'organisation';
  displayName: string;
  nameKey: string;
  region: string;
  industry: string | null;
  homeStoreId: string;
  /** Epoch milliseconds (created and last updated). */
  createdAt: number;
}

/** A completed purchase as drawn, with no refunds. */
export interface DrawnPurchase {
  id: string;
  storeId: string;
  terminalId: string;
  customerId: string;
  /** Epoch milliseconds. */
  at: number;
  /** Minor units (subtotal and total alike: no discount). */
  total: number;
  lineCount: number;
}

/** A purchase line as drawn: one unit at its price, no discount, nothing returned. */
export interface DrawnLine {
  id: string;
  purchaseId: string;
  lineNo: number;
  customerId: string;
  storeId: string;
  /** Epoch milliseconds. */
  at: number;
  sku: string;
  category: string;
  price: number;
}

/** Where drawn rows go. A purchase's lines come before the purchase (its total is their sum). */
export interface DataSink {
  customer(c: DrawnCustomer): void;
  purchase(p: DrawnPurchase): void;
  line(l: DrawnLine): void;
}

/** The customer of a number, as the ids are drawn. */
export function customerId(i: number): string {
  return `cus_${String(i).padStart(8, '0')}`;
}

/**
 * The seeded generator of the data set. Customers are drawn in number order, in as many calls of
 * {@link DataSetDraw.customers} as the writer likes (one per transaction or per batch): the same
 * calls over `0 .. sizes.customers` give the same rows whatever the steps.
 */
export class DataSetDraw {
  private readonly random = seededRandom(20261101);
  purchases = 0;
  lines = 0;

  /** Draws customers `from` (inclusive) to `to` (exclusive) with their purchases and lines into `sink`. */
  customers(from: number, to: number, sink: DataSink): void {
    const random = this.random;
    for (let i = from; i < to; i++) {
      const id = customerId(i);
      const store = `S0${i % 5}`;
      const organisation = i % 50 === 0;
      sink.customer({
        id,
        kind: organisation ? 'organisation' : 'individual',
        displayName: `Member ${i}`,
        nameKey: `member ${i}`,
        region: `R${i % 7}`,
        industry: organisation ? `ind-${i % 9}` : null,
        homeStoreId: store,
        createdAt: END - SPAN,
      });
      // 15% never bought; the others a skewed number of visits at their own rhythm.
      const visits = random() < 0.15 ? 0 : Math.min(60, Math.floor(-Math.log(1 - random()) * 2.4) + 1);
      const first = END - Math.floor(random() * SPAN);
      const gap = (END - first) / Math.max(1, visits);
      let at = first;
      for (let v = 0; v < visits; v++) {
        const pid = `pur_${String(this.purchases++).padStart(9, '0')}`;
        const n = 1 + Math.floor(random() * 7);
        let total = 0;
        for (let l = 1; l <= n; l++) {
          const price = 100 + Math.floor(random() * 5000);
          total += price;
          sink.line({
            id: `${pid}:${l}`,
            purchaseId: pid,
            lineNo: l,
            customerId: id,
            storeId: store,
            at: Math.floor(at),
            sku: `SKU-${Math.floor(random() * 2000)}`,
            category: CATEGORIES[Math.floor(random() * random() * CATEGORIES.length)]!,
            price,
          });
          this.lines++;
        }
        sink.purchase({
          id: pid,
          storeId: store,
          terminalId: 'T1',
          customerId: id,
          at: Math.floor(at),
          total,
          lineCount: n,
        });
        at = Math.min(END - 1, at + gap * (0.3 + random() * 1.4));
      }
    }
  }
}

/**
 * One more day of sales after {@link END}: 1% of customers (drawn at random) buy one line each. `day`
 * numbers the days (1, the default: the day after {@link END}; each measured round adds the next one).
 */
export function drawNextDay(sizes: Sizes, sink: Pick<DataSink, 'purchase' | 'line'>, day = 1): void {
  const random = seededRandom(day === 1 ? 7 : 7 + day * 7919);
  for (let k = 0; k < sizes.customers / 100; k++) {
    const customer = customerId(Math.floor(random() * sizes.customers));
    const pid = day === 1 ? `pur_day_${k}` : `pur_day${day}_${k}`;
    const at = END + (day - 1) * DAY_MS + Math.floor(random() * DAY_MS);
    const total = 100 + Math.floor(random() * 5000);
    sink.line({
      id: `${pid}:1`,
      purchaseId: pid,
      lineNo: 1,
      customerId: customer,
      storeId: 'S01',
      at,
      sku: 'SKU-1',
      category: 'cat-00',
      price: total,
    });
    sink.purchase({ id: pid, storeId: 'S01', terminalId: 'T9', customerId: customer, at, total, lineCount: 1 });
  }
}

/**
 * The hand-written statement: RFM figures per buying customer (recency, frequency and monetary
 * within the window) and their quintile scores with `ntile`. `since` is the placeholder of the
 * window's start, which the statement uses twice (`?` twice on SQLite, `$1` on PostgreSQL).
 */
export function rfmStatement(purchasesTable: string, since: string): string {
  return `WITH c AS (
  SELECT customer_id, max(occurred_at) AS r,
         sum(CASE WHEN occurred_at >= ${since} THEN 1 ELSE 0 END) AS f,
         sum(CASE WHEN occurred_at >= ${since} THEN total - refunded_total ELSE 0 END) AS m
  FROM ${purchasesTable} WHERE status = 'completed' AND customer_id IS NOT NULL GROUP BY customer_id)
SELECT customer_id, r, f, m, ntile(5) OVER (ORDER BY r) AS rs, ntile(5) OVER (ORDER BY f) AS fs,
        ntile(5) OVER (ORDER BY m) AS ms FROM c`;
}

/** The start of the RFM window ending at `now`, epoch milliseconds. */
export function windowStart(now: number): number {
  return now - WINDOW_DAYS * DAY_MS;
}
