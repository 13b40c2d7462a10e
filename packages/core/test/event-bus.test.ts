/**
 * The event bus: subscriptions are per type and listener, so one function listening to several
 * types, or to one type twice, is unsubscribed exactly where it was asked; `onAny` likewise.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEventHub, type Listener } from '../src/runtime/events.js';

type Events = { a: number; b: number; c: number };

function hub() {
  const reported: unknown[] = [];
  return { bus: createEventHub<Events>((e) => void reported.push(e)), reported };
}

describe('event bus', () => {
  it('keeps a listener on other types when it is taken off one (off and the returned function)', () => {
    const { bus } = hub();
    const seen: string[] = [];
    const listener = (n: number) => void seen.push(`got ${n}`);
    const offA = bus.on('a', listener);
    bus.on('b', listener);
    bus.on('c', listener);
    offA();
    bus.off('c', listener);
    bus.emit('a', 1);
    bus.emit('b', 2);
    bus.emit('c', 3);
    expect(seen).toEqual(['got 2']);
  });

  it('calls a listener given twice for one type twice; off removes one, each returned function its own', () => {
    const { bus } = hub();
    let calls = 0;
    const listener = () => void calls++;
    const first = bus.on('a', listener);
    const second = bus.on('a', listener);
    bus.emit('a', 1);
    expect(calls).toBe(2);
    bus.off('a', listener);
    bus.emit('a', 1);
    expect(calls).toBe(3);
    // `off` took the earliest subscription: the first function has nothing left to end, the second does.
    first();
    bus.emit('a', 1);
    expect(calls).toBe(4);
    second();
    second();
    bus.emit('a', 1);
    expect(calls).toBe(4);
    // Off with nothing subscribed is harmless.
    bus.off('a', listener);
    bus.off('b', listener);
  });

  it('ends onAny subscriptions one by one, and a listener there is independent of on', () => {
    const { bus } = hub();
    const seen: string[] = [];
    const any = (type: string, n: unknown) => void seen.push(`${type}${String(n)}`);
    const end1 = bus.onAny(any);
    const end2 = bus.onAny(any);
    bus.on('a', any as unknown as Listener<number>);
    bus.emit('a', 1);
    expect(seen.sort()).toEqual(['1undefined', 'a1', 'a1']);
    seen.length = 0;
    end1();
    end1();
    bus.emit('b', 2);
    expect(seen).toEqual(['b2']);
    end2();
    bus.emit('b', 3);
    expect(seen).toEqual(['b2']);
  });

  it('reports what listeners throw or reject, and goes on to the next listener', async () => {
    const { bus, reported } = hub();
    const seen: number[] = [];
    bus.on('a', () => {
      throw new Error('sync');
    });
    bus.on('a', async () => {
      throw new Error('async');
    });
    bus.on('a', (n) => void seen.push(n));
    bus.emit('a', 7);
    await new Promise((r) => setTimeout(r, 0));
    expect(seen).toEqual([7]);
    expect(reported.map((e) => (e as Error).message).sort()).toEqual(['async', 'sync']);
  });

  it('matches a model of subscriptions under any sequence of on, off, unsubscribe and emit', () => {
    const types = ['a', 'b', 'c'] as const;
    const step = fc.oneof(
      fc.record({ op: fc.constant('on' as const), type: fc.constantFrom(...types), listener: fc.nat({ max: 2 }) }),
      fc.record({ op: fc.constant('off' as const), type: fc.constantFrom(...types), listener: fc.nat({ max: 2 }) }),
      fc.record({ op: fc.constant('end' as const), which: fc.nat() }),
      fc.record({ op: fc.constant('emit' as const), type: fc.constantFrom(...types) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const { bus } = hub();
        const calls: string[] = [];
        const listeners = [0, 1, 2].map((i) => (n: number) => void calls.push(`${i}:${n}`));
        // The model: subscriptions in order, each with its type, listener and whether it is live.
        const subs: Array<{ type: string; listener: number; live: boolean; end: () => void }> = [];
        let n = 0;
        for (const s of steps) {
          if (s.op === 'on')
            subs.push({ type: s.type, listener: s.listener, live: true, end: bus.on(s.type, listeners[s.listener]!) });
          else if (s.op === 'off') {
            bus.off(s.type, listeners[s.listener]!);
            const earliest = subs.find((x) => x.live && x.type === s.type && x.listener === s.listener);
            if (earliest) earliest.live = false;
          } else if (s.op === 'end') {
            const sub = subs[s.which % Math.max(1, subs.length)];
            if (sub) {
              sub.end();
              sub.live = false;
            }
          } else {
            calls.length = 0;
            bus.emit(s.type, ++n);
            const expected = subs.filter((x) => x.live && x.type === s.type).map((x) => `${x.listener}:${n}`);
            expect(calls).toEqual(expected);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
