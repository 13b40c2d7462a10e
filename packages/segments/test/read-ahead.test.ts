/**
 * Pages read ahead: each page's reads go out as soon as the page before it knows where it ends, never
 * more than `depth` pages beyond the one in use; a page that ends elsewhere than its first read said
 * passes over what was sent beyond it; `stop` drops everything.
 */
import { describe, expect, it } from 'vitest';
import { ReadAhead } from '../src/read-ahead.js';

/** Pages of ten keys, 'k00' to 'k49': a read reports where it ends at once and resolves when released. */
function pages() {
  const sent: Array<string | null> = [];
  const release: Array<() => void> = [];
  const end = (after: string | null) => {
    const last = (after === null ? -1 : Number(after.slice(1))) + 10;
    return last >= 49 ? null : `k${String(last).padStart(2, '0')}`;
  };
  const read = async (after: string | null, ends: (upper: string | null) => void) => {
    sent.push(after);
    await Promise.resolve();
    ends(end(after));
    await new Promise<void>((resolve) => release.push(resolve));
    return `page after ${after}`;
  };
  return { sent, release, read };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('ReadAhead', () => {
  it('sends the next pages as their starts become known, up to its depth', async () => {
    const p = pages();
    const ahead = new ReadAhead(p.read, 2);
    const first = ahead.next(null);
    await settle();
    // The page in use and two beyond it, each sent once the one before it knew its end.
    expect(p.sent).toEqual([null, 'k09', 'k19']);
    p.release.forEach((r) => r());
    expect(await first).toBe('page after null');
    // Taking the next page makes room for one more.
    const second = ahead.next('k09');
    await settle();
    expect(p.sent).toEqual([null, 'k09', 'k19', 'k29']);
    p.release.forEach((r) => r());
    expect(await second).toBe('page after k09');
    // The last page ends the pass: nothing is sent beyond it.
    ahead.next('k19');
    ahead.next('k29');
    ahead.next('k39');
    await settle();
    expect(p.sent).toEqual([null, 'k09', 'k19', 'k29', 'k39']);
  });

  it('passes over what was sent for a page that ends elsewhere, and sends the page asked for', async () => {
    const p = pages();
    const ahead = new ReadAhead(p.read, 2);
    ahead.next(null);
    await settle();
    // The first page ended at 'k05' after all (many customers came): the pages sent for 'k09' on are dropped.
    const page = ahead.next('k05');
    await settle();
    expect(p.sent).toEqual([null, 'k09', 'k19', 'k05', 'k15', 'k25']);
    p.release.forEach((r) => r());
    expect(await page).toBe('page after k05');
  });

  it('reads only the page asked for with depth 0, and nothing ahead after stop', async () => {
    const p = pages();
    const none = new ReadAhead(p.read, 0);
    none.next(null);
    await settle();
    expect(p.sent).toEqual([null]);
    const q = pages();
    const ahead = new ReadAhead(q.read, 2);
    ahead.next(null);
    ahead.stop();
    await settle();
    expect(q.sent).toEqual([null]);
    // After a stop the next page is read afresh.
    ahead.next('k09');
    await settle();
    expect(q.sent).toEqual([null, 'k09', 'k19', 'k29']);
  });
});
