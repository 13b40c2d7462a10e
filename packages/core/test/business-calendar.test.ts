import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  addBusinessMinutes,
  isOpen,
  localDate,
  localDateTime,
  openIntervals,
  type BusinessCalendar,
} from '../src/model/business-calendar.js';

const shanghai: BusinessCalendar = {
  timeZone: 'Asia/Shanghai',
  openingHours: {
    mon: [
      ['08:00', '12:00'],
      ['13:00', '22:00'],
    ],
    tue: [['08:00', '22:00']],
    sat: [['09:00', '21:00']],
  },
  holidays: ['2026-11-03'],
};

describe('business calendar', () => {
  it('gives local dates and times in the store’s zone', () => {
    expect(localDate(new Date('2026-11-01T17:30:00Z'), 'Asia/Shanghai')).toBe('2026-11-02');
    expect(localDateTime(new Date('2026-11-01T17:30:00Z'), 'Asia/Shanghai')).toBe('2026-11-02 01:30');
    expect(localDate(new Date('2026-11-01T17:30:00Z'), 'Europe/London')).toBe('2026-11-01');
  });

  it('knows opening hours, lunch breaks and holidays', () => {
    expect(isOpen(shanghai, new Date('2026-11-02T02:00:00Z'))).toBe(true); // Mon 10:00
    expect(isOpen(shanghai, new Date('2026-11-02T04:30:00Z'))).toBe(false); // Mon 12:30 lunch
    expect(isOpen(shanghai, new Date('2026-11-03T02:00:00Z'))).toBe(false); // Tue holiday
    expect(isOpen(shanghai, new Date('2026-11-04T02:00:00Z'))).toBe(false); // Wed closed
  });

  it('counts business minutes across breaks, closed days and holidays', () => {
    // Mon 11:30 + 60 business minutes: 30 before lunch, 30 after → 13:30 local.
    expect(addBusinessMinutes(shanghai, new Date('2026-11-02T03:30:00Z'), 60).toISOString()).toBe(
      '2026-11-02T05:30:00.000Z',
    );
    // Mon 21:00 + 120: 60 on Monday, Tue holiday, Wed-Fri closed, Sat 09:00 + 60 → Sat 10:00 local.
    expect(addBusinessMinutes(shanghai, new Date('2026-11-02T13:00:00Z'), 120).toISOString()).toBe(
      '2026-11-07T02:00:00.000Z',
    );
    // Starting while closed begins at the next opening.
    expect(addBusinessMinutes(shanghai, new Date('2026-11-01T20:00:00Z'), 0).toISOString()).toBe(
      '2026-11-02T00:00:00.000Z',
    );
    expect(() => addBusinessMinutes({ timeZone: 'UTC', openingHours: {}, holidays: [] }, new Date(), 1)).toThrow(
      RangeError,
    );
  });
});

const ZONES = Intl.supportedValuesOf('timeZone');
const WEEKDAY_KEYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const formats = new Map<string, Intl.DateTimeFormat>();
/** The wall clock at `at` in `zone` as `Intl.DateTimeFormat` shows it. */
function intlWallClock(at: Date, zone: string): { date: string; time: string; weekday: string } {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
    });
    formats.set(zone, f);
  }
  const p = Object.fromEntries(f.formatToParts(at).map((x) => [x.type, x.value]));
  return {
    date: `${p['year']}-${p['month']}-${p['day']}`,
    time: `${p['hour']}:${p['minute']}`,
    weekday: p['weekday']!.toLowerCase(),
  };
}

const hhmm = fc
  .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
  .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
const calendarArb: fc.Arbitrary<BusinessCalendar> = fc
  .record({
    timeZone: fc.constantFrom(...ZONES),
    days: fc.array(
      fc.array(
        fc.tuple(hhmm, fc.oneof(hhmm, fc.constant('24:00'))).filter(([a, b]) => a < b),
        { maxLength: 3 },
      ),
      { minLength: 7, maxLength: 7 },
    ),
    holidays: fc.array(
      fc.integer({ min: Date.UTC(2026, 0, 1) / 86_400_000, max: Date.UTC(2027, 0, 31) / 86_400_000 }),
      {
        maxLength: 20,
      },
    ),
  })
  .map(({ timeZone, days, holidays }) => ({
    timeZone,
    openingHours: Object.fromEntries(WEEKDAY_KEYS.map((d, i) => [d, days[i]!])),
    holidays: holidays.map((d) => new Date(d * 86_400_000).toISOString().slice(0, 10)),
  }));
// From 1973: `tzOffset` reads Africa/Monrovia's -00:44:30 (until 1972) as +00:44:30.
const anyInstant = fc.integer({ min: Date.UTC(1973, 0, 1), max: Date.UTC(2100, 0, 1) }).map((t) => new Date(t));

describe('business calendar against Intl.DateTimeFormat', () => {
  it('reads local dates and times as Intl.DateTimeFormat does, in every zone', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ZONES), anyInstant, (zone, at) => {
        const seen = intlWallClock(at, zone);
        expect({ zone, at, local: localDateTime(at, zone) }).toEqual({ zone, at, local: `${seen.date} ${seen.time}` });
        expect(localDate(at, zone)).toBe(seen.date);
      }),
      { numRuns: 2000 },
    );
  });

  it(
    'is open exactly when the wall clock Intl.DateTimeFormat shows is inside an opening interval of a ' + 'working day',
    () => {
      const instant = fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2027, 0, 31) }).map((t) => new Date(t));
      fc.assert(
        fc.property(calendarArb, instant, (calendar, at) => {
          const seen = intlWallClock(at, calendar.timeZone);
          const intervals = calendar.openingHours[seen.weekday as (typeof WEEKDAY_KEYS)[number]] ?? [];
          const open =
            !calendar.holidays.includes(seen.date) && intervals.some(([a, b]) => seen.time >= a && seen.time < b);
          expect(isOpen(calendar, at)).toBe(open);
        }),
        { numRuns: 2000 },
      );
    },
  );

  it('opens only when the store is open, in order, from the instant asked', () => {
    fc.assert(
      fc.property(calendarArb, fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2027, 0, 1) }), (calendar, t) => {
        const from = new Date(t);
        let last = t;
        for (const { start, end } of openIntervals(calendar, from, 14)) {
          expect(start.getTime()).toBeGreaterThanOrEqual(last);
          expect(end.getTime()).toBeGreaterThan(start.getTime());
          for (const probe of [start.getTime(), Math.floor((start.getTime() + end.getTime()) / 2), end.getTime() - 1])
            expect({ at: new Date(probe), open: isOpen(calendar, new Date(probe)) }).toEqual({
              at: new Date(probe),
              open: true,
            });
          last = end.getTime();
        }
      }),
      { numRuns: 300 },
    );
  });
});

/** The instants of 2026 at which `zone`'s offset changes, to the millisecond (days stepped, then halved). */
function offsetChanges2026(zone: string): number[] {
  const offset = (t: number) => {
    const p = Object.fromEntries(
      new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })
        .formatToParts(t)
        .map((x) => [x.type, x.value]),
    );
    return p['timeZoneName'];
  };
  const out: number[] = [];
  const day = 86_400_000;
  for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2027, 0, 1); t += day) {
    if (offset(t) === offset(t + day)) continue;
    let low = t;
    let high = t + day;
    while (high - low > 1) {
      const mid = Math.floor((low + high) / 2);
      if (offset(mid) === offset(t)) low = mid;
      else high = mid;
    }
    out.push(high);
  }
  return out;
}

// Zones whose clocks change in 2026, each change a case: spring forward (a skipped hour) and back (a repeated one).
const CHANGES = ['America/New_York', 'America/Santiago', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Beirut'].flatMap(
  (zone) => offsetChanges2026(zone).map((at) => ({ zone, at })),
);

describe('business calendar on the days the clocks change', () => {
  it('finds a change in each zone it tries', () => {
    for (const zone of ['America/New_York', 'America/Santiago', 'Europe/London', 'Australia/Lord_Howe'])
      expect(CHANGES.filter((c) => c.zone === zone).length, zone).toBeGreaterThanOrEqual(2);
  });

  it('gives opening intervals that hold every open instant and no closed one, at their edges and between', {
    timeout: 60_000,
  }, () => {
    fc.assert(
      fc.property(calendarArb, fc.constantFrom(...CHANGES), (calendar, change) => {
        const cal = { ...calendar, timeZone: change.zone };
        const from = change.at - 36 * 3_600_000;
        const intervals = [...openIntervals(cal, new Date(from), 4)];
        const inside = (t: number) => intervals.some((i) => t >= i.start.getTime() && t < i.end.getTime());
        const probes: number[] = [change.at - 1, change.at];
        const to = change.at + 36 * 3_600_000;
        for (let t = from; t < to; t += 10 * 60_000) probes.push(t);
        for (const i of intervals)
          for (const edge of [i.start.getTime(), i.end.getTime()]) probes.push(edge - 1, edge, edge + 1);
        // Intervals start at `from` at the earliest and are looked for 4 days ahead: only probes between.
        for (const t of probes.filter((p) => p >= from && p < to))
          expect({ at: new Date(t), open: inside(t) }).toEqual({ at: new Date(t), open: isOpen(cal, new Date(t)) });
      }),
      { numRuns: 80 },
    );
  });

  it('adds business minutes exactly: the opening time between the start and the result is what was added', () => {
    fc.assert(
      fc.property(
        calendarArb,
        fc.constantFrom(...CHANGES),
        fc.integer({ min: -48 * 60, max: 0 }),
        fc.integer({ min: 0, max: 3 * 24 * 60 }),
        (calendar, change, before, minutes) => {
          const cal = { ...calendar, timeZone: change.zone };
          const from = new Date(change.at + before * 60_000);
          let due: Date;
          try {
            due = addBusinessMinutes(cal, from, minutes);
          } catch {
            return; // a calendar with no opening time within a year
          }
          let counted = 0;
          for (const { start, end } of openIntervals(cal, from)) {
            if (start >= due) break;
            counted += Math.min(end.getTime(), due.getTime()) - start.getTime();
          }
          expect(counted).toBe(minutes * 60_000);
          expect(due.getTime()).toBeGreaterThanOrEqual(from.getTime());
        },
      ),
      { numRuns: 300 },
    );
  });
});
