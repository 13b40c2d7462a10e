import { describe, expect, it } from 'vitest';
import { FigureScratch } from '../src/customer-stats.js';
import { Columns, IdColumn } from '../src/rebuild-columns.js';

describe('rebuild columns', () => {
  it('give back every id pushed, across packed blocks and the open one', () => {
    const ids = new IdColumn();
    const pushed: string[] = [];
    // Ids of varied lengths and characters, over two full blocks and part of a third.
    for (let i = 0; i < 9000; i++) {
      const id = i % 7 === 0 ? `客户-${i}` : i % 5 === 0 ? '' : `cus_${String(i).padStart(i % 3 === 0 ? 12 : 8, '0')}`;
      ids.push(id);
      pushed.push(id);
    }
    expect(ids.length).toBe(9000);
    for (let i = 0; i < pushed.length; i++) expect(ids.at(i)).toBe(pushed[i]);
  });

  it("keep each customer's figures and grow past the expected count", () => {
    const now = new Date('2026-10-01T00:00:00Z');
    const settings = { windowDays: 365, maxGaps: 32 };
    const cols = new Columns(10, true);
    // Gaps of 240, 240 and 216 hours: a typical gap of 240.
    const bought = new FigureScratch();
    bought.read(
      [
        now.getTime() - 30 * 86_400_000,
        now.getTime() - 20 * 86_400_000,
        now.getTime() - 10 * 86_400_000,
        now.getTime() - 86_400_000,
      ],
      4000,
      4000,
      now,
      settings,
      { percentile: 90, minGaps: 3, minHours: 24 },
    );
    const never = new FigureScratch();
    never.read([], 0, 0, now, settings, { percentile: 90, minGaps: 3, minHours: 24 });
    for (let i = 0; i < 3000; i++) expect(cols.push(`c${i}`, i % 2 ? bought : never, 3, -i, i)).toBe(i);
    expect(cols.length).toBe(3000);
    expect(cols.ids!.at(2999)).toBe('c2999');
    expect(Number.isNaN(cols.last[0]!)).toBe(true);
    expect(cols.last[1]).toBe(now.getTime() - 86_400_000);
    expect([cols.fv[1], cols.mv[1], cols.typicalGap[1], cols.own[1], cols.digest[1], cols.scores[1]]).toEqual([
      4, 4000, 240, 1, -1, 1,
    ]);
    expect([cols.fv[2], cols.mv[2], cols.own[2], cols.scores[2]]).toEqual([0, 0, 0, 2]);
    expect(Number.isNaN(cols.typicalGap[2]!)).toBe(true);
    expect(new Columns(10, false).ids).toBeNull();
  });
});
