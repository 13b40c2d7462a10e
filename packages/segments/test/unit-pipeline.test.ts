/**
 * Units of work two at a time on a server: never more than `depth` running, results taken in the order
 * sent, a failure thrown only once the units beside it have settled; at depth 1 each unit is finished
 * before `send` returns, as if awaited in place.
 */
import { describe, expect, it } from 'vitest';
import { UnitPipeline, unitsAtOnce } from '../src/unit-pipeline.js';

/** Units that start when sent and finish when released, in any order the test chooses. */
function units() {
  const running = new Set<number>();
  const release = new Map<number, (outcome: number | Error) => void>();
  let most = 0;
  const unit = (n: number) => () => {
    running.add(n);
    most = Math.max(most, running.size);
    return new Promise<number>((resolve, reject) =>
      release.set(n, (outcome) => {
        running.delete(n);
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      }),
    );
  };
  return { running, release, unit, most: () => most };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('UnitPipeline', () => {
  it('runs at most `depth` units and takes their results in the order sent', async () => {
    const u = units();
    const results: number[] = [];
    const pipeline = new UnitPipeline<number>(2, (r) => results.push(r));
    await pipeline.send(u.unit(1));
    // One running: `send` returned at once, and the next one goes beside it.
    expect([...u.running]).toEqual([1]);
    const second = pipeline.send(u.unit(2));
    await settle();
    expect([...u.running]).toEqual([1, 2]);
    // The second finishes first: its result waits for the first's, and `send` waits for the first.
    u.release.get(2)!(20);
    await settle();
    expect(results).toEqual([]);
    u.release.get(1)!(10);
    await second;
    // The second's result is taken when room is next needed: it finished, so the third goes at once.
    expect(results).toEqual([10]);
    await pipeline.send(u.unit(3));
    expect(results).toEqual([10, 20]);
    expect([...u.running]).toEqual([3]);
    const drained = pipeline.drain();
    u.release.get(3)!(30);
    await drained;
    expect(results).toEqual([10, 20, 30]);
    expect(u.most()).toBe(2);
  });

  it('at depth 1 finishes each unit before send returns', async () => {
    const u = units();
    const results: number[] = [];
    const pipeline = new UnitPipeline<number>(1, (r) => results.push(r));
    const first = pipeline.send(u.unit(1));
    await settle();
    expect(results).toEqual([]);
    u.release.get(1)!(10);
    await first;
    expect(results).toEqual([10]);
    expect(u.running.size).toBe(0);
  });

  it('throws a failure only after the unit beside it has settled', async () => {
    const u = units();
    const results: number[] = [];
    const pipeline = new UnitPipeline<number>(2, (r) => results.push(r));
    await pipeline.send(u.unit(1));
    const second = pipeline.send(u.unit(2));
    let thrown: unknown = null;
    second.catch((error: unknown) => (thrown = error));
    u.release.get(1)!(new Error('chunk 1 failed'));
    await settle();
    // The second unit still runs: nothing is thrown while it may still write.
    expect(thrown).toBeNull();
    u.release.get(2)!(20);
    await expect(second).rejects.toThrow('chunk 1 failed');
    expect(u.running.size).toBe(0);
    // Nothing is left to wait for.
    await pipeline.drain();
    expect(results).toEqual([]);
  });

  it('runs two units at once on a database server, one on an embedded database', () => {
    expect(unitsAtOnce({ capabilities: { server: true } })).toBe(2);
    expect(unitsAtOnce({ capabilities: {} })).toBe(1);
  });
});
