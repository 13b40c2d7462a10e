/**
 * What the passes of a rebuild share: its parts and progress, its result, the run's settings (instant,
 * chunk size, actor, progress, cancellation), the customers whose rows changed, and the per-customer
 * columns a stats pass leaves for the membership pass.
 */
import type { ResolvedActor } from '@clientele/core/module';
import type { Columns } from './rebuild-columns.js';
import type { ScoreThresholds } from './scores.js';

/** The parts of a rebuild. */
export const REBUILD_PARTS = ['stats', 'baskets', 'membership'] as const;
/**
 * A part of a rebuild: `stats` (statistics, scores, classes, churn, credit ratings), `baskets` (category spend and
 * bought-together pairs from purchase lines), `membership`.
 */
export type RebuildPart = (typeof REBUILD_PARTS)[number];

/**
 * Progress of a rebuild, reported after every chunk. Besides the parts: `thresholds` (a first build,
 * with no stored thresholds yet, reads the purchases once to find them, so every row is written once
 * with its final scores) and `scores` (rows whose scores moved with the new thresholds).
 */
export interface RebuildProgress {
  part: RebuildPart | 'thresholds' | 'scores';
  done: number;
  total: number;
}

/** What a rebuild did. */
export interface RebuildResult {
  parts: RebuildPart[];
  /** Active buying customers with statistics. */
  customers: number;
  /** Statistics rows written (inserted or changed), and removed. */
  written: number;
  removed: number;
  /** Memberships gained and lost. */
  joined: number;
  left: number;
  /** Bought-together pairs stored. */
  pairs: number;
  thresholds: ScoreThresholds | null;
  cancelled: boolean;
}

/** The settings of one run of a rebuild, as every pass sees them. */
export interface RebuildRun {
  /** The rebuild's instant. */
  asOf: Date;
  /** Customers per chunk. */
  chunk: number;
  /** Who rebuilds, resolved once for every step. */
  actor: ResolvedActor;
  report(part: RebuildProgress['part'], done: number, total: number): void;
  /** Whether the caller asked to stop (checked between chunks). */
  cancelled(): boolean;
}

/** Lets the host's event loop run between chunks (timers, I/O, other requests). */
export function yieldToHost(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate;
  return new Promise((resolve) => (immediate ? immediate(resolve) : setTimeout(resolve, 0)));
}

/** Beyond this many changed rows, a membership pass evaluates every segment in full. */
export const MAX_CHANGED = 200_000;

/** The customers whose statistics rows a rebuild wrote or removed, up to {@link MAX_CHANGED}. */
export class ChangedCustomers {
  readonly ids = new Set<string>();
  overflow = false;

  add(id: string): void {
    if (this.overflow) return;
    this.ids.add(id);
    if (this.ids.size > MAX_CHANGED) {
      this.overflow = true;
      this.ids.clear();
    }
  }
}

/** The per-customer columns of a completed stats part, and the thresholds its rows were scored with. */
export interface RebuiltColumns {
  cols: Columns;
  thresholds: ScoreThresholds;
}

/** A value held until its one use: `take` hands it over and lets it go, so it is not kept any longer. */
export class Held<T> {
  constructor(private value: T | null) {}

  take(): T | null {
    const value = this.value;
    this.value = null;
    return value;
  }
}
