/**
 * The per-customer figures a rebuild keeps between its passes (for the population's thresholds, and
 * for each customer's scores under them): a few numbers per customer in typed arrays, which live
 * outside the JavaScript heap, and the ids packed a block at a time into one string. A million
 * customers take about 80 MB, with next to nothing for the garbage collector to trace, so the heap
 * stays small and so does the process.
 */
import type { FigureScratch } from './customer-stats.js';

const BLOCK_BITS = 12;
/** Ids per packed block. */
const BLOCK = 1 << BLOCK_BITS;

/**
 * Strings in push order, packed: each full block of {@link BLOCK} ids is one string and the offsets
 * where each id ends in it (about 4 bytes besides the id's characters, against some 40 for a string
 * of its own in an array).
 */
export class IdColumn {
  private readonly texts: string[] = [];
  private readonly ends: Uint32Array[] = [];
  private open: string[] = [];
  length = 0;

  push(id: string): void {
    this.open.push(id);
    this.length++;
    if (this.open.length === BLOCK) this.seal();
  }

  /** The id at `i` (`0 <= i < length`). */
  at(i: number): string {
    const b = i >>> BLOCK_BITS;
    const j = i & (BLOCK - 1);
    if (b === this.texts.length) return this.open[j]!;
    const ends = this.ends[b]!;
    return this.texts[b]!.slice(j === 0 ? 0 : ends[j - 1]!, ends[j]!);
  }

  /** Forgets every id (the column is then empty, ready for reuse). */
  clear(): void {
    this.texts.length = 0;
    this.ends.length = 0;
    this.open = [];
    this.length = 0;
  }

  private seal(): void {
    const ends = new Uint32Array(BLOCK);
    let end = 0;
    for (let j = 0; j < BLOCK; j++) ends[j] = end += this.open[j]!.length;
    this.texts.push(this.open.join(''));
    this.ends.push(ends);
    this.open = [];
  }
}

/** Per-customer figures, column by column, in the order the customers were pushed. */
export class Columns {
  /** The customers' ids, or null when only the figures are kept (for thresholds alone). */
  readonly ids: IdColumn | null;
  length = 0;
  /** Epoch milliseconds of the last purchase; NaN for a customer who never bought. */
  last: Float64Array;
  /** Visits within the window. */
  fv: Float64Array;
  /** Net spend within the window. */
  mv: Float64Array;
  /** The customer's typical gap in hours; NaN with no gap. */
  typicalGap: Float64Array;
  /** 1 when the customer has gaps enough for a churn threshold of their own. */
  own: Uint8Array;
  /** That threshold in hours; NaN without one. */
  ownHours: Float64Array;
  /** The hashes of the row as stored after the stats pass (the threshold-dependent fields apart). */
  digest: Float64Array;
  scores: Float64Array;

  /** `expected`: how many customers are likely (the columns grow beyond it when more come). */
  constructor(expected: number, keepIds: boolean) {
    this.ids = keepIds ? new IdColumn() : null;
    const n = Math.max(1024, expected);
    this.last = new Float64Array(n);
    this.fv = new Float64Array(n);
    this.mv = new Float64Array(n);
    this.typicalGap = new Float64Array(n);
    this.own = new Uint8Array(n);
    this.ownHours = new Float64Array(n);
    this.digest = new Float64Array(n);
    this.scores = new Float64Array(n);
  }

  /** Adds a customer's figures and the hashes of their stored row; returns where they are. */
  push(id: string, figures: FigureScratch, minGaps: number, digest: number, scores: number): number {
    const i = this.length;
    if (i === this.last.length) this.grow();
    this.ids?.push(id);
    this.last[i] = figures.last;
    this.fv[i] = figures.windowVisits;
    this.mv[i] = figures.windowSpend;
    this.typicalGap[i] = figures.typicalGap;
    this.own[i] = figures.gapCount >= minGaps ? 1 : 0;
    this.ownHours[i] = figures.ownHours;
    this.digest[i] = digest;
    this.scores[i] = scores;
    this.length = i + 1;
    return i;
  }

  /**
   * Forgets every customer, keeping the arrays for reuse: a chunk's columns serve chunk after chunk,
   * as allocating typed arrays costs far more than filling them.
   */
  clear(): void {
    this.length = 0;
    this.ids?.clear();
  }

  /**
   * Adds every customer of `other` (which keeps ids, as these columns must) after those here; returns where the first
   * one is.
   */
  append(other: Columns): number {
    const base = this.length;
    while (this.last.length < base + other.length) this.grow();
    const n = other.length;
    this.last.set(other.last.subarray(0, n), base);
    this.fv.set(other.fv.subarray(0, n), base);
    this.mv.set(other.mv.subarray(0, n), base);
    this.typicalGap.set(other.typicalGap.subarray(0, n), base);
    this.own.set(other.own.subarray(0, n), base);
    this.ownHours.set(other.ownHours.subarray(0, n), base);
    this.digest.set(other.digest.subarray(0, n), base);
    this.scores.set(other.scores.subarray(0, n), base);
    if (this.ids) for (let i = 0; i < n; i++) this.ids.push(other.ids!.at(i));
    this.length = base + n;
    return base;
  }

  private grow(): void {
    const n = this.last.length * 2;
    const grown = <T extends Float64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.last = grown(this.last, (k) => new Float64Array(k));
    this.fv = grown(this.fv, (k) => new Float64Array(k));
    this.mv = grown(this.mv, (k) => new Float64Array(k));
    this.typicalGap = grown(this.typicalGap, (k) => new Float64Array(k));
    this.own = grown(this.own, (k) => new Uint8Array(k));
    this.ownHours = grown(this.ownHours, (k) => new Float64Array(k));
    this.digest = grown(this.digest, (k) => new Float64Array(k));
    this.scores = grown(this.scores, (k) => new Float64Array(k));
  }
}
