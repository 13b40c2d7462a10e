import { describe, expect, it } from 'vitest';
import {
  addBusinessMinutes,
  isOpen,
  localDate,
  localDateTime,
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
