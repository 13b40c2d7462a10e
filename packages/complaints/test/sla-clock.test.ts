/**
 * Business-hours arithmetic: worked examples across lunch breaks, weekends, holidays and a
 * daylight-saving change, and properties over random calendars and instants: a due time is never
 * inside closed hours (at most at a closing instant, where `keep` leaves it), adding then measuring
 * gives back the same time, and pausing then resuming moves a due time by exactly the business time
 * the pause lasted.
 */
import { isOpen, openIntervals, WEEKDAYS, type BusinessCalendar, type OpeningHours } from '@clientele/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALWAYS_OPEN,
  MAX_PLACEABLE_MINUTES,
  SLA_HORIZON_DAYS,
  addBusinessTime,
  businessTimeBetween,
  levelDeadlines,
  nextDue,
  openTimeWithinHorizon,
  placeBusinessTime,
  resumedDue,
  slaCalendar,
  weeklyOpenMinutes,
} from '../src/sla-clock.js';

const MIN = 60_000;

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** Renmin Road's service desk: weekdays, with a lunch break; closed on 1 January. */
const desk: BusinessCalendar = {
  timeZone: 'Asia/Shanghai',
  openingHours: {
    mon: [
      ['08:00', '12:00'],
      ['13:00', '20:00'],
    ],
    tue: [['08:00', '20:00']],
    wed: [['08:00', '20:00']],
    thu: [['08:00', '20:00']],
    fri: [['08:00', '20:00']],
  },
  holidays: ['2027-01-01'],
};

describe('business time, worked examples', () => {
  it('skips the weekend: Friday 19:30 plus 2 business hours is Monday 09:30', () => {
    const friday = new Date('2026-11-06T11:30:00Z'); // 19:30 in Shanghai
    expect(addBusinessTime(desk, friday, 120 * MIN).toISOString()).toBe('2026-11-09T01:30:00.000Z');
    expect(businessTimeBetween(desk, friday, new Date('2026-11-09T01:30:00Z'))).toBe(120 * MIN);
  });

  it('skips lunch and holidays, and starts a clock begun while closed at the next opening', () => {
    expect(addBusinessTime(desk, new Date('2026-11-09T03:30:00Z'), 60 * MIN).toISOString()).toBe(
      '2026-11-09T05:30:00.000Z',
    ); // Mon 11:30 + 1h → 13:30
    // Thursday 31 December 19:00 + 2h: 1h on Thursday, Friday 1 January is a holiday, the weekend is closed → Monday
    // 09:00.
    expect(addBusinessTime(desk, new Date('2026-12-31T11:00:00Z'), 120 * MIN).toISOString()).toBe(
      '2027-01-04T01:00:00.000Z',
    );
    // Saturday → Monday 08:00
    expect(addBusinessTime(desk, new Date('2026-11-07T02:00:00Z'), 0).toISOString()).toBe('2026-11-09T00:00:00.000Z');
  });

  it('keeps a deadline at closing time there, or moves it to the next opening: the same business instant', () => {
    const tuesday = new Date('2026-11-10T11:00:00Z'); // Tue 19:00 + 1h = closing
    const kept = addBusinessTime(desk, tuesday, 60 * MIN);
    expect(kept.toISOString()).toBe('2026-11-10T12:00:00.000Z'); // Tuesday 20:00
    expect(isOpen(desk, kept)).toBe(false);
    const moved = addBusinessTime(desk, tuesday, 60 * MIN, 'next-opening');
    expect(moved.toISOString()).toBe('2026-11-11T00:00:00.000Z'); // Wednesday 08:00
    expect(isOpen(desk, moved)).toBe(true);
    expect(businessTimeBetween(desk, kept, moved)).toBe(0);
    // Across a holiday the difference shows: Thursday 31 December 19:00 + 1h is due that evening, or on Monday.
    const newYear = new Date('2026-12-31T11:00:00Z');
    expect(addBusinessTime(desk, newYear, 60 * MIN).toISOString()).toBe('2026-12-31T12:00:00.000Z');
    expect(addBusinessTime(desk, newYear, 60 * MIN, 'next-opening').toISOString()).toBe('2027-01-04T00:00:00.000Z');
    // A minute less is inside opening time either way.
    expect(addBusinessTime(desk, tuesday, 59 * MIN, 'next-opening')).toEqual(addBusinessTime(desk, tuesday, 59 * MIN));
  });

  it('closes a day at 23:59:59 as at 24:00: the last second is open, and the day runs to midnight', () => {
    const late: BusinessCalendar = {
      timeZone: 'Asia/Shanghai',
      openingHours: { mon: [['20:00', '23:59:59']] },
      holidays: [],
    };
    const midnight: BusinessCalendar = { ...late, openingHours: { mon: [['20:00', '24:00']] } };
    const monday = new Date('2026-11-02T12:00:00Z'); // 20:00
    expect(weeklyOpenMinutes(late)).toBe(240);
    expect(addBusinessTime(late, monday, 240 * MIN)).toEqual(addBusinessTime(midnight, monday, 240 * MIN));
    expect(addBusinessTime(late, monday, 240 * MIN).toISOString()).toBe('2026-11-02T16:00:00.000Z');
    expect(isOpen(late, new Date('2026-11-02T15:59:59.500Z'))).toBe(true);
  });

  it('counts a daylight-saving day as it is lived (London, 29 March 2026 has 23 hours)', () => {
    const london: BusinessCalendar = {
      timeZone: 'Europe/London',
      openingHours: { sun: [['00:00', '24:00']] },
      holidays: [],
    };
    expect(businessTimeBetween(london, new Date('2026-03-29T00:00:00Z'), new Date('2026-03-30T00:00:00Z'))).toBe(
      23 * 60 * MIN,
    );
    expect(addBusinessTime(london, new Date('2026-03-29T00:00:00Z'), 22 * 60 * MIN).toISOString()).toBe(
      '2026-03-29T22:00:00.000Z',
    );
    // All 23 hours used up: due at the day's end, or at the next opening, the following Sunday at local midnight (BST).
    expect(addBusinessTime(london, new Date('2026-03-29T00:00:00Z'), 23 * 60 * MIN).toISOString()).toBe(
      '2026-03-29T23:00:00.000Z',
    );
    expect(addBusinessTime(london, new Date('2026-03-29T00:00:00Z'), 23 * 60 * MIN, 'next-opening').toISOString()).toBe(
      '2026-04-04T23:00:00.000Z',
    );
  });

  it(
    'treats a store without opening hours as open round the clock, and a calendar that never opens as an ' + 'error',
    () => {
      const web = slaCalendar({ timeZone: 'Asia/Shanghai', openingHours: {}, holidays: [] });
      expect(addBusinessTime(web, new Date('2026-11-07T02:00:00Z'), 90 * MIN).toISOString()).toBe(
        '2026-11-07T03:30:00.000Z',
      );
      expect(slaCalendar(desk)).toBe(desk);
      const never = { timeZone: 'UTC', openingHours: {}, holidays: [] };
      expect(placeBusinessTime(never, new Date(), MIN)).toBeNull();
      expect(caught(() => addBusinessTime(never, new Date(), MIN))).toMatchObject({
        code: 'INVALID_STATE',
        details: { reason: 'beyond_sla_horizon', horizonDays: SLA_HORIZON_DAYS },
      });
      expect(caught(() => addBusinessTime(desk, new Date(), -1))).toMatchObject({
        code: 'VALIDATION_FAILED',
        path: ['ms'],
      });
      expect(caught(() => addBusinessTime(desk, new Date(), 0.5))).toMatchObject({
        code: 'VALIDATION_FAILED',
        path: ['ms'],
      });
    },
  );

  it('looks 366 days ahead: the desk (59 hours a week) places 52 weeks of its hours, and not a year of minutes', () => {
    const from = new Date('2026-11-02T00:00:00Z'); // Monday 08:00, opening time
    expect(weeklyOpenMinutes(desk)).toBe(59 * 60);
    const year = openTimeWithinHorizon(desk, from);
    // The day it starts on and 366 more: 52 full weeks, then Monday to Wednesday, less New Year's Day (a Friday, 12
    // hours).
    expect(year).toBe((52 * 59 + 11 + 12 + 12 - 12) * 60 * MIN);
    // Kept at closing, the last instant of the horizon is a due time; moved to the next opening, it is not.
    expect(placeBusinessTime(desk, from, year)).not.toBeNull();
    expect(placeBusinessTime(desk, from, year + 1)).toBeNull();
    expect(placeBusinessTime(desk, from, year - 1, 'next-opening')).not.toBeNull();
    expect(placeBusinessTime(desk, from, year, 'next-opening')).toBeNull();
    expect(placeBusinessTime(desk, from, MAX_PLACEABLE_MINUTES * MIN)).toBeNull();
    // Overlapping intervals of a day count once.
    expect(
      weeklyOpenMinutes({
        timeZone: 'UTC',
        openingHours: {
          mon: [
            ['08:00', '12:00'],
            ['10:00', '14:00'],
            ['13:00', '13:30'],
          ],
        },
        holidays: [],
      }),
    ).toBe(6 * 60);
  });

  it('picks the earliest pending clock, and nothing while paused', () => {
    const a = new Date('2026-11-09T01:00:00Z');
    const b = new Date('2026-11-09T02:00:00Z');
    expect(nextDue({ acknowledgeBy: b, resolveBy: a, taskDueAt: null, paused: false })).toEqual({
      at: a,
      kind: 'resolve',
    });
    expect(
      nextDue({ acknowledgeBy: a, resolveBy: b, taskDueAt: new Date('2026-11-08T00:00:00Z'), paused: false })?.kind,
    ).toBe('execution');
    expect(nextDue({ acknowledgeBy: a, resolveBy: b, taskDueAt: null, paused: true })).toBeNull();
    expect(nextDue({ acknowledgeBy: null, resolveBy: null, taskDueAt: null, paused: false })).toBeNull();
    const friday = new Date('2026-11-06T11:30:00Z');
    const d = levelDeadlines(desk, friday, { acknowledge: 30, resolve: 120 });
    // Friday 19:30 + 30 minutes is closing time: the acknowledge clock runs out then, or at Monday's opening.
    expect(d).toEqual({ acknowledgeBy: new Date('2026-11-06T12:00:00Z'), resolveBy: new Date('2026-11-09T01:30:00Z') });
    expect(levelDeadlines(desk, friday, { acknowledge: 30, resolve: 120 }, 'next-opening').acknowledgeBy).toEqual(
      new Date('2026-11-09T00:00:00Z'),
    );
    // A response-only agreement has no resolve clock.
    expect(levelDeadlines(desk, friday, { acknowledge: 30 })).toEqual({
      acknowledgeBy: new Date('2026-11-06T12:00:00Z'),
      resolveBy: null,
    });
  });
});

const hhmm = fc
  .integer({ min: 0, max: 47 })
  .map((half) => `${String(Math.floor(half / 2)).padStart(2, '0')}:${half % 2 ? '30' : '00'}`);
const interval = fc.tuple(hhmm, hhmm).filter(([a, b]) => a < b) as fc.Arbitrary<[string, string]>;
/** Random weekly hours (some days closed, split shifts, overlaps) in a random zone, with holidays. */
const calendarArb: fc.Arbitrary<BusinessCalendar> = fc
  .record({
    timeZone: fc.constantFrom('Asia/Shanghai', 'Europe/London', 'America/New_York', 'UTC'),
    days: fc.array(fc.array(interval, { maxLength: 3 }), { minLength: 7, maxLength: 7 }),
    holidays: fc.array(fc.integer({ min: 0, max: 120 }), { maxLength: 8 }),
  })
  // At least six open hours a week, so a few days of business time fit in the year looked ahead.
  .filter((c) => c.days.flat().reduce((sum, [a, b]) => sum + (Number(b.slice(0, 2)) - Number(a.slice(0, 2))), 0) >= 6)
  .map(({ timeZone, days, holidays }) => ({
    timeZone,
    openingHours: Object.fromEntries(
      WEEKDAYS.map((w, i) => [w, days[i]!]).filter(([, d]) => (d as unknown[]).length > 0),
    ) as OpeningHours,
    holidays: holidays.map((n) => new Date(Date.UTC(2026, 9, 1) + n * 86_400_000).toISOString().slice(0, 10)),
  }));
/** Instants in autumn 2026 to early 2027, at any millisecond. */
const instant = fc.integer({ min: Date.UTC(2026, 9, 1), max: Date.UTC(2027, 0, 31) }).map((t) => new Date(t));
const duration = fc.integer({ min: 0, max: 3 * 24 * 60 * 60_000 });
const rule = fc.constantFrom('keep' as const, 'next-opening' as const);

/** Open at `at`, or (kept at closing) at the instant a store closes: open the millisecond before. */
function openOrClosing(cal: BusinessCalendar, at: Date, dueAtClosing: 'keep' | 'next-opening'): boolean {
  if (isOpen(cal, at)) return true;
  return dueAtClosing === 'keep' && isOpen(cal, new Date(at.getTime() - 1));
}

describe('business time, properties', () => {
  it('a due time is never inside closed hours: it is open, or kept at a closing instant', () => {
    fc.assert(
      fc.property(calendarArb, instant, duration, rule, (cal, from, ms, r) => {
        const due = addBusinessTime(cal, from, ms, r);
        return openOrClosing(cal, due, r) && due.getTime() >= from.getTime();
      }),
      { numRuns: 250 },
    );
  });

  it('a due time landing on a closing instant stays there or moves to the next opening, equal in business time', () => {
    fc.assert(
      fc.property(calendarArb, instant, fc.integer({ min: 0, max: 20 }), (cal, from, nth) => {
        // The business time to the end of the nth opening stretch after `from`.
        let ms = 0;
        let n = 0;
        for (const interval of openIntervals(cal, from, 60)) {
          ms += interval.end.getTime() - interval.start.getTime();
          if (n++ === nth) {
            const kept = addBusinessTime(cal, from, ms);
            const moved = addBusinessTime(cal, from, ms, 'next-opening');
            return (
              kept.getTime() === interval.end.getTime() &&
              !isOpen(cal, kept) &&
              isOpen(cal, moved) &&
              moved.getTime() > kept.getTime() &&
              businessTimeBetween(cal, kept, moved) === 0
            );
          }
        }
        return true;
      }),
      { numRuns: 150 },
    );
  });

  it('measuring from a start to its due time gives back exactly the business time added', () => {
    fc.assert(
      fc.property(
        calendarArb,
        instant,
        duration,
        (cal, from, ms) => businessTimeBetween(cal, from, addBusinessTime(cal, from, ms)) === ms,
      ),
      { numRuns: 250 },
    );
  });

  it('business time is additive: from a to c equals a to b plus b to c', () => {
    fc.assert(
      fc.property(
        calendarArb,
        instant,
        fc.integer({ min: 0, max: 10 * 86_400_000 }),
        fc.integer({ min: 0, max: 10 * 86_400_000 }),
        (cal, a, ab, bc) => {
          const b = new Date(a.getTime() + ab);
          const c = new Date(b.getTime() + bc);
          return businessTimeBetween(cal, a, c) === businessTimeBetween(cal, a, b) + businessTimeBetween(cal, b, c);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('counts a stretch the clocks go back in once per pass, not the repeated hour before it', () => {
    // New York, 1 November 2026: clocks go back at 02:00 EDT (06:00Z) to 01:00 EST.
    const night = slaCalendar({
      timeZone: 'America/New_York',
      openingHours: { sun: [['01:30', '02:00']] },
      holidays: [],
    });
    const from = new Date('2026-11-01T05:00:00Z');
    const to = new Date('2026-11-01T08:00:00Z');
    expect(businessTimeBetween(night, from, to)).toBe(60 * 60_000);
    expect(isOpen(night, new Date('2026-11-01T06:10:00Z'))).toBe(false);
    expect(addBusinessTime(night, new Date('2026-11-01T05:59:00Z'), 60_000)).toEqual(new Date('2026-11-01T06:00:00Z'));
    expect(addBusinessTime(night, new Date('2026-11-01T05:59:00Z'), 60_000, 'next-opening')).toEqual(
      new Date('2026-11-01T06:30:00Z'),
    );
  });

  it('pausing then resuming moves the due time by exactly the business time paused', () => {
    fc.assert(
      fc.property(
        calendarArb,
        instant,
        duration,
        fc.integer({ min: 0, max: 3 * 24 * 60 * 60_000 }),
        fc.integer({ min: 0, max: 5 * 24 * 60 * 60_000 }),
        rule,
        (cal, start, limit, pauseAfter, pauseFor, r) => {
          const due = addBusinessTime(cal, start, limit, r);
          const pausedAt = new Date(start.getTime() + (limit === 0 ? 0 : pauseAfter % (limit + 1)));
          fc.pre(pausedAt.getTime() <= due.getTime());
          const resumedAt = new Date(pausedAt.getTime() + pauseFor);
          const moved = resumedDue(cal, due, pausedAt, resumedAt, r);
          const paused = businessTimeBetween(cal, pausedAt, resumedAt);
          // The new due time is as far (in business time) past the old one as the pause lasted,
          // and the business time from the start to it is the limit plus the pause.
          return (
            businessTimeBetween(cal, due, moved) === paused &&
            businessTimeBetween(cal, start, moved) === limit + paused &&
            openOrClosing(cal, moved, r)
          );
        },
      ),
      { numRuns: 250 },
    );
  });
});

describe("the clock's horizon, properties", () => {
  /** Zones with daylight saving, half-hour saving, and a zone that skipped a whole day (Apia, 30 December 2011). */
  const zones = fc.constantFrom(
    'UTC',
    'Asia/Shanghai',
    'Europe/London',
    'America/New_York',
    'America/Santiago',
    'Australia/Lord_Howe',
    'Asia/Tehran',
    'Pacific/Apia',
  );
  const anyInstant = fc.integer({ min: Date.UTC(1995, 0, 1), max: Date.UTC(2060, 0, 1) }).map((t) => new Date(t));

  it(
    'a store open round the clock places the longest limit the configuration allows, from any instant in any ' + 'zone',
    () => {
      fc.assert(
        fc.property(zones, anyInstant, (timeZone, from) => {
          const due = placeBusinessTime(
            { timeZone, openingHours: ALWAYS_OPEN, holidays: [] },
            from,
            MAX_PLACEABLE_MINUTES * MIN,
          );
          return due !== null && due.getTime() > from.getTime();
        }),
        { numRuns: 60 },
      );
    },
  );

  it('places a time exactly when the calendar is open that long in the horizon (longer, to reach an opening)', () => {
    fc.assert(
      fc.property(
        calendarArb,
        instant,
        fc.oneof(fc.constant(0), fc.integer({ min: -2 * MIN, max: 2 * MIN })),
        rule,
        (cal, from, offset, r) => {
          const available = openTimeWithinHorizon(cal, from);
          const ms = Math.max(0, available + offset);
          const due = placeBusinessTime(cal, from, ms, r);
          const fits = r === 'keep' ? ms <= available : ms < available;
          return fits ? due !== null && openOrClosing(cal, due, r) : due === null;
        },
      ),
      { numRuns: 40 },
    );
  });
});
