/** Business minutes between now and a due time, counted in a store's opening hours. */
import { openIntervals, type BusinessCalendar } from '@clientele/core';

/** Business minutes from `now` to `due` (0 once it is due): only the time the store is open counts. */
export function businessMinutesLeft(calendar: BusinessCalendar, now: Date, due: Date): number {
  if (due.getTime() <= now.getTime()) return 0;
  let ms = 0;
  for (const open of openIntervals(calendar, now, 60)) {
    if (open.start.getTime() >= due.getTime()) break;
    ms += Math.min(open.end.getTime(), due.getTime()) - open.start.getTime();
  }
  return Math.floor(ms / 60_000);
}
