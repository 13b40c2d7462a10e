/**
 * The schema of a store's opening hours, apart from the calendar's arithmetic (`business-calendar.ts`),
 * so that what reads only the calendar's weekdays or time zones does not carry it.
 */
import * as z from 'zod';
import { WEEKDAYS } from './business-calendar.js';

const hhmm = z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$/, 'time must be HH:MM');
/** A closing time may also be `23:59:59`, the day's last second included: it closes at midnight, as `24:00` does. */
const closing = z
  .string()
  .regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$|^23:59:59$/, 'time must be HH:MM (a day may close at 23:59:59)');

/** Schema of `OpeningHours`: each interval opens before it closes. */
export const openingHoursSchema = z.partialRecord(
  z.enum(WEEKDAYS),
  z.array(z.tuple([hhmm, closing]).refine(([a, b]) => a < b, 'opening time must be before closing time')).max(6),
);
