/**
 * The wall clock and the calendar arithmetic of `local-time.ts` against oracles that share nothing
 * with it: `Intl.DateTimeFormat` parts for the wall clock, and day numbers and month counts for dates.
 * Also that none of it moves with the host's own time zone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tzScan } from '@date-fns/tz';
import {
  addDaysToDate,
  addMonthsToDate,
  endOfMonthAfter,
  localTime,
  monthKeyAfter,
  periodKey,
  startOfLocalDate,
  type LocalTime,
} from '../src/local-time.js';
import { cardExpiry } from '../src/stored-value-products.js';
import { nextReview, tiersSchema } from '../src/tiers.js';

const DAY = 86_400_000;
const ZONES = Intl.supportedValuesOf('timeZone');
const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const SHORT_WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

const formats = new Map<string, Intl.DateTimeFormat>();
/** What `Intl.DateTimeFormat` shows at `ms` in `zone`. */
function intlWallClock(ms: number, zone: string): { date: string; weekday: string; minute: number } {
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
  const parts = Object.fromEntries(f.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return {
    date: `${parts['year']}-${parts['month']}-${parts['day']}`,
    weekday: WEEKDAYS[SHORT_WEEKDAYS.indexOf(parts['weekday']!)]!,
    minute: Number(parts['hour']) * 60 + Number(parts['minute']),
  };
}

// Dates as day numbers since 1970-01-01: the oracle for calendar arithmetic.
const dayNumber = (date: string) => Date.parse(`${date}T00:00:00Z`) / DAY;
const dateOfDay = (day: number) => new Date(day * DAY).toISOString().slice(0, 10);
const daysIn = (year: number, month: number) =>
  [31, year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][
    month - 1
  ]!;
const pad = (n: number) => String(n).padStart(2, '0');
/** Month `months` after the month of `date`, as year and month 1-12, by counting months. */
function monthAfter(date: string, months: number): [number, number] {
  const count = Number(date.slice(0, 4)) * 12 + Number(date.slice(5, 7)) - 1 + months;
  return [Math.floor(count / 12), (count % 12) + 1];
}
/** The ISO week of a date by its definition: the week (Monday first) holding the year's first Thursday is week 1. */
function isoWeekOracle(date: string): string {
  const day = dayNumber(date);
  const weekday = (((day + 3) % 7) + 7) % 7; // 1970-01-01 was a Thursday: 0 = Monday
  const thursday = day - weekday + 3;
  const year = Number(dateOfDay(thursday).slice(0, 4));
  const week = Math.floor((thursday - dayNumber(`${year}-01-01`)) / 7) + 1;
  return `${year}-W${pad(week)}`;
}
function localOf(date: string): LocalTime {
  const day = dayNumber(date);
  return {
    date,
    year: Number(date.slice(0, 4)),
    month: Number(date.slice(5, 7)),
    day: Number(date.slice(8, 10)),
    weekday: WEEKDAYS[(((day + 3) % 7) + 7) % 7] as LocalTime['weekday'],
    minute: 0,
  };
}

const anyDate = fc
  .integer({ min: dayNumber('1900-01-01'), max: dayNumber('2199-12-31') })
  .map(dateOfDay)
  // Month ends and leap days, where month arithmetic goes wrong.
  .chain((date) =>
    fc.constantFrom(date, `${date.slice(0, 8)}${pad(daysIn(Number(date.slice(0, 4)), Number(date.slice(5, 7))))}`),
  );

describe('the wall clock of an instant', () => {
  // From 1973: `tzOffset` reads Africa/Monrovia's -00:44:30 (until 1972) as +00:44:30, losing the sign of -00.
  it(
    'shows what Intl.DateTimeFormat shows, in every zone, at any instant from 1973 to 2100 and beside ' +
      'changes of offset',
    () => {
      const instant = fc.integer({ min: Date.UTC(1973, 0, 1), max: Date.UTC(2100, 0, 1) });
      const beside = fc
        .tuple(fc.integer({ min: 1973, max: 2099 }), fc.nat(), fc.integer({ min: -120, max: 120 }))
        .map(([year, zonePick, minutes]) => {
          const zone = ZONES[zonePick % ZONES.length]!;
          const changes = tzScan(zone, {
            start: new Date(Date.UTC(year, 0, 1)),
            end: new Date(Date.UTC(year + 1, 0, 1)),
          });
          const base = changes.length ? changes[zonePick % changes.length]!.date.getTime() : Date.UTC(year, 6, 1);
          return [zone, base + minutes * 60_000 + (zonePick % 60_000)] as const;
        });
      fc.assert(
        fc.property(
          fc.oneof(
            fc.tuple(fc.constantFrom(...ZONES), instant).map(([z, t]) => [z, t] as const),
            beside,
          ),
          ([zone, ms]) => {
            const lt = localTime(ms, zone);
            const seen = intlWallClock(ms, zone);
            expect({ zone, at: new Date(ms), ...seen }).toEqual({
              zone,
              at: new Date(ms),
              date: lt.date,
              weekday: lt.weekday,
              minute: lt.minute,
            });
            expect(`${lt.year}-${pad(lt.month)}-${pad(lt.day)}`).toBe(lt.date);
          },
        ),
        { numRuns: 3000 },
      );
    },
  );

  it('refuses a zone the runtime does not know', () => {
    expect(() => localTime(Date.UTC(2026, 0, 1, 0, 17), 'Mars/Olympus_Mons')).toThrow(RangeError);
    expect(() => startOfLocalDate('2026-01-01', 'Mars/Olympus_Mons')).toThrow(RangeError);
  });
});

describe('calendar arithmetic on dates', () => {
  it('adds days as day numbers do', () => {
    fc.assert(
      fc.property(anyDate, fc.integer({ min: -4000, max: 4000 }), (date, days) => {
        expect(addDaysToDate(date, days)).toBe(dateOfDay(dayNumber(date) + days));
      }),
      { numRuns: 2000 },
    );
  });

  it('adds months by counting them, keeping the day or falling back to the month’s last', () => {
    fc.assert(
      fc.property(anyDate, fc.integer({ min: -240, max: 240 }), (date, months) => {
        const [y, m] = monthAfter(date, months);
        const last = daysIn(y, m);
        expect(monthKeyAfter(date, months)).toBe(`${y}-${pad(m)}`);
        expect(endOfMonthAfter(date, months)).toBe(`${y}-${pad(m)}-${pad(last)}`);
        expect(addMonthsToDate(date, months)).toBe(`${y}-${pad(m)}-${pad(Math.min(Number(date.slice(8)), last))}`);
      }),
      { numRuns: 2000 },
    );
  });

  it('keys ISO weeks by the year of their Thursday', () => {
    fc.assert(
      fc.property(anyDate, (date) => {
        expect(periodKey('week', localOf(date))).toBe(isoWeekOracle(date));
      }),
      { numRuns: 2000 },
    );
    expect(periodKey('week', localOf('2026-01-01'))).toBe('2026-W01');
    expect(periodKey('week', localOf('2027-01-01'))).toBe('2026-W53');
    expect(periodKey('week', localOf('2024-12-30'))).toBe('2025-W01');
  });

  it('moves a card’s expiry by calendar months in UTC, keeping the time of day', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2150, 0, 1) }),
        fc.integer({ min: 0, max: 240 }),
        (ms, months) => {
          const date = new Date(ms).toISOString().slice(0, 10);
          const [y, m] = monthAfter(date, months);
          const day = Math.min(Number(date.slice(8)), daysIn(y, m));
          expect(cardExpiry(new Date(ms), months)!.getTime()).toBe(
            Date.parse(`${y}-${pad(m)}-${pad(day)}T00:00:00Z`) + (ms % DAY),
          );
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe("whatever the host's own time zone", () => {
  const hostZone = process.env['TZ'];
  afterEach(() => {
    if (hostZone === undefined) delete process.env['TZ'];
    else process.env['TZ'] = hostZone;
  });

  // Hosts whose own clock skips a whole date, skips or repeats midnight, or moves by half an hour.
  const HOSTS = ['Pacific/Apia', 'America/Santiago', 'America/Havana', 'Australia/Lord_Howe', 'Asia/Shanghai'];
  const tiers = tiersSchema.parse({
    basis: 'points',
    window: { kind: 'rolling', months: 12 },
    review: { kind: 'anniversary', months: 1 },
    levels: [{ code: 'standard', name: 'S', threshold: 0 }],
  });

  // (`localTime` reads a `TZDate` made from the instant, which never consults the host's zone, and keeps
  // its answers by the minute, so asking it again here would prove nothing.)
  it('gives the same dates and instants as under UTC', () => {
    const dates = ['2011-12-29', '2011-12-30', '2011-12-31', '2026-09-05', '2026-09-06', '2026-11-01', '2024-02-29'];
    const zones = ['Pacific/Apia', 'America/Santiago', 'America/Havana', 'Antarctica/Vostok', 'Asia/Jerusalem'];
    const answers = () =>
      dates.flatMap((date) => [
        addDaysToDate(date, 1),
        addDaysToDate(date, -1),
        addMonthsToDate(date, 1),
        endOfMonthAfter(date, 0),
        monthKeyAfter(date, -1),
        periodKey('week', localOf(date)),
        cardExpiry(new Date(`${date}T00:30:00Z`), 1)!.toISOString(),
        ...zones.flatMap((zone) => [
          startOfLocalDate(date, zone).toISOString(),
          nextReview(tiers, new Date(`${date}T12:00:00Z`), zone).toISOString(),
        ]),
      ]);
    process.env['TZ'] = 'UTC';
    const underUtc = answers();
    for (const host of HOSTS) {
      process.env['TZ'] = host;
      expect({ host, answers: answers() }).toEqual({ host, answers: underUtc });
    }
  });
});
