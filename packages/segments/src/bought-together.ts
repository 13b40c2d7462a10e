/**
 * Association figures from baskets, as pure functions: how often two items (or categories) are bought
 * together (support), how often the second comes with the first (confidence), and how much more often
 * than chance (lift); and a customer's likely next categories.
 */

/** Counts of one pair over a number of baskets. */
export interface PairCounts {
  /** Baskets holding both. */
  together: number;
  /** Baskets holding the first. */
  aCount: number;
  /** Baskets holding the second. */
  bCount: number;
  /** All baskets counted. */
  baskets: number;
}

/** Support, confidence (first → second) and lift of a pair. */
export function pairMetrics(c: PairCounts): { support: number; confidence: number; lift: number } {
  const support = c.baskets ? c.together / c.baskets : 0;
  const confidence = c.aCount ? c.together / c.aCount : 0;
  const lift = c.bCount && c.baskets ? confidence / (c.bCount / c.baskets) : 0;
  return { support, confidence, lift };
}

/** Counts items and unordered pairs of baskets, in memory bounded by the items and pairs kept. */
export class PairCounter {
  /** Baskets seen. */
  baskets = 0;
  /** Baskets holding each item. */
  readonly items = new Map<string, number>();
  /** Baskets holding each pair, keyed `a\u0000b` with a < b. */
  readonly pairs = new Map<string, number>();

  /** Counts a basket: its distinct items and every pair of them (items beyond `maxItems` per basket are not paired). */
  add(items: Iterable<string>, maxItems = 50): void {
    const distinct = [...new Set(items)].sort();
    this.baskets++;
    for (const i of distinct) this.items.set(i, (this.items.get(i) ?? 0) + 1);
    const n = Math.min(distinct.length, maxItems);
    for (let x = 0; x < n; x++)
      for (let y = x + 1; y < n; y++) {
        const key = `${distinct[x]}\u0000${distinct[y]}`;
        this.pairs.set(key, (this.pairs.get(key) ?? 0) + 1);
      }
  }

  /** Both directions of every pair held together in at least `minTogether` baskets. */
  directed(minTogether: number): Array<{ a: string; b: string } & PairCounts> {
    const out: Array<{ a: string; b: string } & PairCounts> = [];
    for (const [key, together] of this.pairs) {
      if (together < minTogether) continue;
      const [a, b] = key.split('\u0000') as [string, string];
      const ca = this.items.get(a)!;
      const cb = this.items.get(b)!;
      out.push({ a, b, together, aCount: ca, bCount: cb, baskets: this.baskets });
      out.push({ a: b, b: a, together, aCount: cb, bCount: ca, baskets: this.baskets });
    }
    return out;
  }
}

/** A category a customer is likely to buy next, and where the likelihood comes from. */
export interface NextCategory {
  category: string;
  /** The combined score, higher first. */
  score: number;
  /** The part from the customer's own history. */
  fromHistory: number;
  /** The part from what shoppers of the same categories buy. */
  fromSimilar: number;
}

/**
 * A customer's likely next categories: half from their own history (share of their spend), half from
 * what shoppers of their categories also buy (confidence of category pairs, weighted by the customer's
 * share of the antecedent). Categories are scored 0-1 and sorted, best first.
 */
export function nextCategories(
  own: Readonly<Record<string, number>>,
  associations: ReadonlyArray<{ a: string; b: string; confidence: number }>,
  limit = 5,
): NextCategory[] {
  const total = Object.values(own).reduce((s, v) => s + Math.max(0, v), 0);
  const share = (c: string) => (total > 0 ? Math.max(0, own[c] ?? 0) / total : 0);
  const similar = new Map<string, number>();
  for (const { a, b, confidence } of associations) {
    const w = share(a);
    if (w > 0) similar.set(b, (similar.get(b) ?? 0) + w * confidence);
  }
  const all = new Set([...Object.keys(own).filter((c) => share(c) > 0), ...similar.keys()]);
  return [...all]
    .map((category) => {
      const fromHistory = share(category);
      const fromSimilar = Math.min(1, similar.get(category) ?? 0);
      return { category, score: (fromHistory + fromSimilar) / 2, fromHistory, fromSimilar };
    })
    .sort((x, y) => y.score - x.score || (x.category < y.category ? -1 : 1))
    .slice(0, limit);
}
