/**
 * Where a local date begins and ends, against a reference read off `@date-fns/tz` minute by minute,
 * in every IANA zone this runtime knows, 2000-2040.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TZDate, tzScan } from '@date-fns/tz';
import { endOfLocalDate, localTime, startOfLocalDate } from '../src/local-time.js';
import { expiryOf, nextReview, tiersSchema } from '../src/index.js';
import { validityOf } from '../src/voucher-templates.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const ZONES = Intl.supportedValuesOf('timeZone');
const FIRST_DAY = Date.UTC(2000, 0, 1) / DAY;
const LAST_DAY = Date.UTC(2040, 11, 31) / DAY;

const pad = (n: number) => String(n).padStart(2, '0');
const dateOfDay = (day: number) => new Date(day * DAY).toISOString().slice(0, 10);
const nextDate = (date: string) => dateOfDay(Date.parse(`${date}T00:00:00Z`) / DAY + 1);

/** What the wall clock shows at `ms` in `zone`, read through `TZDate`. */
function wallClock(ms: number, zone: string): { date: string; offset: number } {
  const d = new TZDate(ms, zone);
  return { date: `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`, offset: d.getTimezoneOffset() };
}

/**
 * The first instant whose `TZDate` shows `date` or later. Offsets lie within -12..+14 hours, so the
 * date has not begun 15 hours before its midnight read as UTC and has begun 13 hours after. It steps
 * by the hour; in an hour where the offset changes it looks minute by minute, and in an hour the
 * date arrives under one offset it halves the hour down to the minute. Changes of offset fall on
 * whole minutes, which the last check confirms.
 */
function referenceStart(date: string, zone: string): number {
  const utcMidnight = Date.parse(`${date}T00:00:00Z`);
  const arrived = (t: number) => wallClock(t, zone).date >= date;
  const exact = (t: number) => {
    if (arrived(t - 1)) throw new Error(`${zone} ${date}: begins between whole minutes`);
    return t;
  };
  let hour = utcMidnight - 15 * HOUR;
  let seen = wallClock(hour, zone);
  if (seen.date >= date) throw new Error(`${zone} ${date}: already begun 15 hours before midnight UTC`);
  for (; hour < utcMidnight + 13 * HOUR; hour += HOUR) {
    const end = wallClock(hour + HOUR, zone);
    if (end.offset !== seen.offset) {
      for (let t = hour + MINUTE; t <= hour + HOUR; t += MINUTE) if (arrived(t)) return exact(t);
    } else if (end.date >= date) {
      let lo = hour;
      let hi = hour + HOUR;
      while (hi - lo > MINUTE) {
        const mid = lo + Math.floor((hi - lo) / MINUTE / 2) * MINUTE;
        if (arrived(mid)) hi = mid;
        else lo = mid;
      }
      return exact(hi);
    }
    seen = end;
  }
  throw new Error(`${zone} ${date}: not begun 13 hours after midnight UTC`);
}

const references = new Map<string, number>();
function reference(date: string, zone: string): number {
  const key = `${zone}|${date}`;
  let start = references.get(key);
  if (start === undefined) references.set(key, (start = referenceStart(date, zone)));
  return start;
}

function expectReference(date: string, zone: string): void {
  const start = startOfLocalDate(date, zone).getTime();
  const end = endOfLocalDate(date, zone).getTime();
  expect({ zone, date, start: new Date(start) }).toEqual({ zone, date, start: new Date(reference(date, zone)) });
  expect({ zone, date, end: new Date(end) }).toEqual({ zone, date, end: new Date(reference(nextDate(date), zone)) });
}

/** Changes of offset in `zone` within `year`, as `tzScan` finds them (to the hour after each). */
const changesCache = new Map<string, Date[]>();
function changesIn(zone: string, year: number): Date[] {
  const key = `${zone}|${year}`;
  let changes = changesCache.get(key);
  if (!changes) {
    changes = tzScan(zone, { start: new Date(Date.UTC(year, 0, 1)), end: new Date(Date.UTC(year + 1, 0, 1)) }).map(
      (c) => c.date,
    );
    changesCache.set(key, changes);
  }
  return changes;
}

// In parts, each a few seconds at most on a busy machine.
const QUARTER = Math.ceil(ZONES.length / 4);
const zoneParts = [0, 1, 2, 3].map((q) => ZONES.slice(q * QUARTER, (q + 1) * QUARTER));
const decades: Array<[number, number]> = [
  [2000, 2009],
  [2010, 2019],
  [2020, 2029],
  [2030, 2040],
];

describe('where a local date begins and ends', () => {
  it('knows every IANA zone', () => {
    expect(ZONES.length).toBeGreaterThan(400);
    expect(zoneParts.flat()).toEqual(ZONES);
  });

  it.each(zoneParts.map((zones) => [zones[0], zones[zones.length - 1], zones] as const))(
    'agrees with @date-fns/tz in every zone from %s to %s on dates from 2000 to 2040, half of them beside a ' +
      'change of offset',
    (_first, _last, zones) => {
      const anyDay = fc.integer({ min: FIRST_DAY, max: LAST_DAY }).map(dateOfDay);
      for (const zone of zones) {
        // A day a change of offset falls on or next to, in a random year (any day if the year has none).
        const besideChange = fc
          .tuple(
            fc.integer({ min: 2000, max: 2040 }),
            fc.nat(),
            fc.integer({ min: -1, max: 1 }),
            fc.integer({ min: 0, max: 364 }),
          )
          .map(([year, pick, shift, day]) => {
            const changes = changesIn(zone, year);
            if (changes.length === 0) return dateOfDay(Date.UTC(year, 0, 1) / DAY + day);
            const local = wallClock(changes[pick % changes.length]!.getTime() - HOUR, zone).date;
            return dateOfDay(Date.parse(`${local}T00:00:00Z`) / DAY + shift);
          });
        fc.assert(
          fc.property(fc.oneof(anyDay, besideChange), (date) => expectReference(date, zone)),
          { numRuns: 8 },
        );
      }
    },
  );

  it.each(decades)(
    'agrees with @date-fns/tz on every date a change of offset moves across midnight from %i to %i, in every zone',
    (from, to) => {
      let checked = 0;
      for (const zone of ZONES) {
        for (let year = from; year <= to; year++) {
          for (const change of changesIn(zone, year)) {
            // The change lies in the hour before `change`: check every date from the one before it to the one after.
            const before = wallClock(change.getTime() - HOUR, zone).date;
            const after = wallClock(change.getTime(), zone).date;
            if (before === after) continue;
            const [first, last] = before < after ? [before, after] : [after, before];
            for (let date = first; date <= nextDate(last); date = nextDate(date)) {
              expectReference(date, zone);
              checked++;
            }
          }
        }
      }
      // Chile, Cuba and Lebanon change at midnight every year: a scan that found few is broken.
      expect(checked).toBeGreaterThan(100);
    },
  );

  const cases: Array<[string, string, string, string, string]> = [
    // zone, date, its start, its end, why
    [
      'America/Santiago',
      '2026-09-05',
      '2026-09-05T04:00:00Z',
      '2026-09-06T04:00:00Z',
      'the clock goes from 23:59:59 to 01:00: the 6th begins at 01:00',
    ],
    [
      'America/Santiago',
      '2026-04-05',
      '2026-04-05T04:00:00Z',
      '2026-04-06T04:00:00Z',
      'at midnight the clock goes back to 23:00 of the 4th: the 5th begins when it shows 00:00 again',
    ],
    [
      'Pacific/Apia',
      '2011-12-29',
      '2011-12-29T10:00:00Z',
      '2011-12-30T10:00:00Z',
      'the 30th was skipped: the 29th ends where the 31st begins',
    ],
    [
      'Pacific/Apia',
      '2011-12-30',
      '2011-12-30T10:00:00Z',
      '2011-12-30T10:00:00Z',
      'a skipped date begins and ends where the next existing date begins',
    ],
    [
      'Pacific/Apia',
      '2011-12-31',
      '2011-12-30T10:00:00Z',
      '2011-12-31T10:00:00Z',
      'the first day after the skip begins at its midnight, +14:00',
    ],
    [
      'America/Havana',
      '2026-03-07',
      '2026-03-07T05:00:00Z',
      '2026-03-08T05:00:00Z',
      'midnight becomes 01:00 on the 8th',
    ],
    [
      'America/Havana',
      '2026-11-01',
      '2026-11-01T04:00:00Z',
      '2026-11-02T05:00:00Z',
      'at 01:00 the clock goes back to 00:00: the 1st begins at the first midnight',
    ],
    ['Asia/Beirut', '2026-03-28', '2026-03-27T22:00:00Z', '2026-03-28T22:00:00Z', 'midnight becomes 01:00 on the 29th'],
    [
      'Asia/Beirut',
      '2026-10-24',
      '2026-10-23T21:00:00Z',
      '2026-10-24T22:00:00Z',
      'at midnight the clock goes back to 23:00 of the 24th: the 25th begins an hour later',
    ],
    [
      'America/St_Johns',
      '2005-10-29',
      '2005-10-29T02:30:00Z',
      '2005-10-30T02:30:00Z',
      'at 00:01 on the 30th the clock went back to 23:01 of the 29th: the 30th began the first time it showed 00:00',
    ],
    ['Asia/Shanghai', '2026-09-05', '2026-09-04T16:00:00Z', '2026-09-05T16:00:00Z', 'no change of offset: midnight'],
  ];
  it.each(cases)('%s %s begins at %s and ends at %s: %s', (zone, date, start, end) => {
    expect(startOfLocalDate(date, zone)).toEqual(new Date(start));
    expect(endOfLocalDate(date, zone)).toEqual(new Date(end));
    expect(startOfLocalDate(nextDate(date), zone)).toEqual(new Date(end));
    expect(referenceStart(date, zone)).toBe(Date.parse(start));
    expect(referenceStart(nextDate(date), zone)).toBe(Date.parse(end));
  });

  it('ends points, vouchers and tier reviews when the next local date begins in Santiago and Apia', () => {
    // Earned on 6 August in Santiago, usable 30 days: through 5 September, until 01:00 on the 6th.
    expect(expiryOf({ kind: 'days', days: 30 }, new Date('2026-08-06T16:00:00Z'), 'America/Santiago')).toEqual({
      lastDay: '2026-09-05',
      expiresAt: new Date('2026-09-06T04:00:00Z'),
    });
    expect(expiryOf({ kind: 'days', days: 1 }, new Date('2011-12-28T12:00:00Z'), 'Pacific/Apia')).toEqual({
      lastDay: '2011-12-29',
      expiresAt: new Date('2011-12-30T10:00:00Z'),
    });
    expect(
      validityOf(
        { kind: 'fixed', from: '2026-08-01', until: '2026-09-05' },
        new Date('2026-07-20T12:00:00Z'),
        'America/Santiago',
      ),
    ).toEqual({ from: new Date('2026-08-01T04:00:00Z'), until: new Date('2026-09-06T04:00:00Z') });
    expect(
      validityOf(
        { kind: 'fixed', from: '2026-09-06', until: '2026-09-30' },
        new Date('2026-07-20T12:00:00Z'),
        'America/Santiago',
      )!.from,
    ).toEqual(new Date('2026-09-06T04:00:00Z'));
    expect(validityOf({ kind: 'days', days: 1 }, new Date('2026-09-04T12:00:00Z'), 'America/Santiago')!.until).toEqual(
      new Date('2026-09-06T04:00:00Z'),
    );
    const tiers = tiersSchema.parse({
      basis: 'points',
      window: { kind: 'calendar-year' },
      review: { kind: 'yearly', on: '09-06' },
      levels: [{ code: 'standard', name: 'S', threshold: 0 }],
    });
    expect(nextReview(tiers, new Date('2026-01-10T12:00:00Z'), 'America/Santiago')).toEqual(
      new Date('2026-09-06T04:00:00Z'),
    );
  });

  it(
    'reads the wall clock right beside a change of offset that is not on a quarter hour, whatever was asked ' + 'first',
    () => {
      // St. John's, 3 April 2005: at 00:01 (-03:30) the clock went to 01:01 (-02:30), at 03:31 UTC.
      expect(localTime(new Date('2005-04-03T03:40:00Z'), 'America/St_Johns')).toMatchObject({
        date: '2005-04-03',
        minute: 70,
      });
      expect(localTime(new Date('2005-04-03T03:30:00Z'), 'America/St_Johns')).toMatchObject({
        date: '2005-04-03',
        minute: 0,
      });
      expect(localTime(new Date('2005-04-03T03:31:00Z'), 'America/St_Johns')).toMatchObject({
        date: '2005-04-03',
        minute: 61,
      });
      expect(startOfLocalDate('2005-04-03', 'America/St_Johns')).toEqual(new Date('2005-04-03T03:30:00Z'));
    },
  );
});
