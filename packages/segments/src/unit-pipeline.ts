/**
 * Units of work of a pass sent one after another with up to `depth` running at once. On a database
 * server a unit spends much of its time waiting on round trips: with two at once, the next unit's
 * reads run there while the one before writes and commits. Units sent together must touch disjoint
 * rows (a pass's chunks are disjoint customers). An embedded database runs one transaction at a time:
 * depth 1, each unit finished before the pass goes on, as if awaited in place.
 */
import type { StoreCapabilities } from '@clientele/core/module';

/** Units at once on `store`: two on a database server (a third measured slower on a two-core server), else one. */
export function unitsAtOnce(store: { capabilities: Pick<StoreCapabilities, 'server'> }): number {
  return store.capabilities.server === true ? 2 : 1;
}

/** See the module comment. */
export class UnitPipeline<T> {
  private readonly running: Array<Promise<T>> = [];

  /** `finished` is called with each unit's result, in the order the units were sent. */
  constructor(
    private readonly depth: number,
    private readonly finished: (result: T) => void,
  ) {}

  /** Starts `unit`, then waits until fewer than `depth` units run. */
  async send(unit: () => Promise<T>): Promise<void> {
    const started = unit();
    // A failure is thrown where the unit is awaited, not reported as unhandled meanwhile.
    started.catch(() => undefined);
    this.running.push(started);
    while (this.running.length >= this.depth) await this.settleOldest();
  }

  /** Waits for every unit sent. */
  async drain(): Promise<void> {
    while (this.running.length) await this.settleOldest();
  }

  /** Waits for the oldest unit; if it failed, waits for the others too, then throws its error. */
  private async settleOldest(): Promise<void> {
    const oldest = this.running.shift()!;
    try {
      this.finished(await oldest);
    } catch (error) {
      await Promise.allSettled(this.running.splice(0));
      throw error;
    }
  }
}
