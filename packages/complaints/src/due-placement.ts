/**
 * Placing due times on a store's calendar inside a command, and the error when one cannot be placed:
 * which store, how much opening time its calendar has within the clock's horizon, and which time
 * limit asked for more. Store calendars are given after the configuration, so this is where a limit
 * the configuration allows but a thin calendar cannot carry is caught.
 */
import { InvalidStateError, invalid, type BusinessCalendar, type ValidationIssue } from '@clientele/core/module';
import type { ComplaintsConfig, Level } from './config.js';
import { ladderNamed, levelOf, limitsWithPath } from './ladder.js';
import {
  SLA_HORIZON_DAYS,
  openTimeWithinHorizon,
  placeBusinessTime,
  weeklyOpenMinutes,
  type LevelDeadlines,
} from './sla-clock.js';
import { millisecondsInMinute } from 'date-fns/constants';

/** What asks for a due time, for the error when it cannot be placed. */
export interface DueSubject {
  /** A few words: `the resolve limit of level counter`, `the execution task`. */
  what: string;
  /** Where the limit is in the configuration, when it comes from there: the error is then `INVALID_STATE`. */
  configPath?: ReadonlyArray<string | number>;
  /** The input field that asked for it, when it comes from the input: the error is then `VALIDATION_FAILED` there. */
  inputPath?: ReadonlyArray<string | number>;
}

/** A store's calendar as the clocks use it, with the store's id for messages. */
export interface StoreCalendar {
  storeId: string;
  calendar: BusinessCalendar;
}

const figure = (n: number) => n.toLocaleString('en');

/**
 * The instant `ms` of the store's opening time after `from`. When the store's calendar has less
 * opening time than that within the clock's horizon it throws: `VALIDATION_FAILED` at
 * `subject.inputPath` for a time the caller asked for, else `INVALID_STATE` (reason
 * `beyond_sla_horizon`, the configuration path in `details.configPath`, the command's input path in
 * `path`).
 */
export function placeDue(
  store: StoreCalendar,
  from: Date,
  ms: number,
  subject: DueSubject,
  path: ReadonlyArray<string | number> = [],
): Date {
  const at = placeBusinessTime(store.calendar, from, ms);
  if (at) return at;
  const weekly = weeklyOpenMinutes(store.calendar);
  const available = Math.floor(openTimeWithinHorizon(store.calendar, from) / millisecondsInMinute);
  const minutes = Math.ceil(ms / millisecondsInMinute);
  const where = subject.configPath ? ` (${subject.configPath.join('.')})` : '';
  const message =
    `store ${store.storeId}'s calendar (${figure(Math.round((weekly / 60) * 100) / 100)} business hours a ` +
    `week, ${store.calendar.timeZone}) cannot place ` +
    `${subject.what}${where}, ${figure(minutes)} business minutes: within the ${SLA_HORIZON_DAYS} days the ` +
    `clock looks ahead the store is open ` +
    `${figure(available)} business minutes, and a due time must fall before the last of them ends`;
  if (subject.inputPath) throw invalid(subject.inputPath, 'beyond_sla_horizon', message);
  throw new InvalidStateError(message, {
    reason: 'beyond_sla_horizon',
    storeId: store.storeId,
    minutes,
    availableMinutes: available,
    weeklyOpenMinutes: weekly,
    horizonDays: SLA_HORIZON_DAYS,
    ...(subject.configPath ? { configPath: [...subject.configPath] } : {}),
    path: [...path],
  });
}

/** Where a case is on its ladder, for placing its level's clocks. */
export interface LevelPosition {
  ladder: string;
  severity: string;
  serviceLevel: string | null;
}

/** The two due times of a level entered at `enteredAt`, each placed on the store's calendar. */
export function levelDue(
  config: ComplaintsConfig,
  store: StoreCalendar,
  position: LevelPosition,
  level: number,
  enteredAt: Date,
  path: ReadonlyArray<string | number> = [],
): LevelDeadlines {
  const lvl = levelOf(ladderNamed(config, position.ladder), level);
  const { limits, path: below } = limitsWithPath(lvl, position.severity, position.serviceLevel);
  const place = (clock: 'acknowledge' | 'resolve') =>
    placeDue(
      store,
      enteredAt,
      limits[clock] * millisecondsInMinute,
      {
        what: `the ${clock} limit of level ${lvl.id}`,
        configPath: ['ladders', position.ladder, level - 1, ...below, clock],
      },
      path,
    );
  return { acknowledgeBy: place('acknowledge'), resolveBy: place('resolve') };
}

/**
 * Checks, when a case is opened, that the store's calendar can place the longest resolve limit of
 * every level of the case's ladder from now, so a ladder the store cannot carry is refused at once
 * rather than when a case climbs to the level weeks later.
 */
export function checkLadderFits(
  config: ComplaintsConfig,
  store: StoreCalendar,
  position: LevelPosition,
  from: Date,
  path: ReadonlyArray<string | number> = [],
): void {
  const ladder = ladderNamed(config, position.ladder);
  let longest: { level: Level; index: number; minutes: number; below: string[] } | null = null;
  for (const [index, level] of ladder.entries()) {
    const { limits, path: below } = limitsWithPath(level, position.severity, position.serviceLevel);
    if (!longest || limits.resolve > longest.minutes) longest = { level, index, minutes: limits.resolve, below };
  }
  // Level 1's own limits are placed as the case enters it, with the same error.
  if (!longest || longest.index === 0) return;
  placeDue(
    store,
    from,
    longest.minutes * millisecondsInMinute,
    {
      what: `the resolve limit of level ${longest.level.id}`,
      configPath: ['ladders', position.ladder, longest.index, ...longest.below, 'resolve'],
    },
    path,
  );
}

/**
 * What stops a store's calendar from carrying the configured ladders: for each ladder, its longest
 * resolve limit (over every level, severity and service level) when the store's opening time within
 * the clock's horizon from `from` is less. Core refuses a store created or changed with such a
 * calendar, and the module refuses to start over a store that has one, so a ladder a store cannot
 * carry is caught when either is configured rather than when a case reaches the level.
 */
export function storeCalendarIssues(
  config: ComplaintsConfig,
  calendar: BusinessCalendar,
  from: Date,
): ValidationIssue[] {
  const open = openTimeWithinHorizon(calendar, from);
  const issues: ValidationIssue[] = [];
  for (const [ladder, levels] of Object.entries(config.ladders)) {
    let longest: { minutes: number; path: Array<string | number> } | null = null;
    levels.forEach((level, i) => {
      const tables: Array<[Array<string | number>, Readonly<Record<string, { resolve: number }>>]> = [
        [['timeLimits'], level.timeLimits],
        ...Object.entries(level.serviceLevels).map(
          ([sl, t]) =>
            [['serviceLevels', sl], t] as [Array<string | number>, Readonly<Record<string, { resolve: number }>>],
        ),
      ];
      for (const [below, table] of tables) {
        for (const [severity, limits] of Object.entries(table)) {
          if (!longest || limits.resolve > longest.minutes)
            longest = { minutes: limits.resolve, path: ['ladders', ladder, i, ...below, severity, 'resolve'] };
        }
      }
    });
    const worst = longest as { minutes: number; path: Array<string | number> } | null;
    if (!worst || worst.minutes * millisecondsInMinute <= open) continue;
    issues.push({
      path: ['openingHours'],
      code: 'beyond_sla_horizon',
      message:
        `the ${ladder} complaints ladder's limit at ${worst.path.join('.')} is ${figure(worst.minutes)} ` +
        `business minutes, more than this calendar opens in the ${SLA_HORIZON_DAYS} days the clock looks ` +
        `ahead (${figure(Math.floor(open / millisecondsInMinute))} minutes, ${figure(weeklyOpenMinutes(calendar))} ` +
        `a week)`,
    });
  }
  return issues;
}
