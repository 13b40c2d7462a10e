/**
 * Placing due times on a calendar inside a command, and the error when one cannot be placed: which
 * calendar (a store's, or one the configuration names), how much opening time it has within the
 * clock's horizon, and which time limit asked for more. Store calendars are given after the
 * configuration, so this is where a limit the configuration allows but a thin calendar cannot carry is
 * caught.
 */
import { InvalidStateError, invalid, type BusinessCalendar, type ValidationIssue } from '@clientele/core/module';
import type { ComplaintsConfig, Level, TimeLimit } from './config.js';
import { ladderNamed, levelOf, limitsWithPath } from './ladder.js';
import {
  SLA_HORIZON_DAYS,
  lastPlace,
  openTimeWithinHorizon,
  placeBusinessTime,
  slaCalendar,
  weeklyOpenMinutes,
  type DueAtClosing,
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

/**
 * A calendar as the clocks use it: the case's store, the named calendar (null: the store's own) and the
 * rule at closing.
 */
export interface DueCalendar {
  storeId: string;
  /** One of the configuration's `calendars`, or null for the store's own opening hours. */
  calendarId: string | null;
  calendar: BusinessCalendar;
  dueAtClosing: DueAtClosing;
}

const figure = (n: number) => n.toLocaleString('en');

/** How a calendar is named in messages. */
function calendarName(due: DueCalendar): string {
  return due.calendarId === null ? `store ${due.storeId}'s calendar` : `calendar ${due.calendarId}`;
}

/**
 * The configuration's calendar `calendarId` as the clocks use it for a case at `storeId` (round the
 * clock when it has no opening hours); `INVALID_STATE` (reason `not_configured`) when the configuration
 * in force no longer has it.
 */
export function namedCalendar(config: ComplaintsConfig, storeId: string, calendarId: string): DueCalendar {
  const calendar = Object.hasOwn(config.calendars, calendarId) ? config.calendars[calendarId] : undefined;
  if (!calendar)
    throw new InvalidStateError(`calendar ${calendarId} is not in the configuration in force`, {
      reason: 'not_configured',
      calendar: calendarId,
    });
  return { storeId, calendarId, calendar: slaCalendar(calendar), dueAtClosing: config.dueAtClosing };
}

/** The calendar a time limit counts in: the one it names, else the store's. */
export function calendarFor(config: ComplaintsConfig, store: DueCalendar, limits: TimeLimit): DueCalendar {
  return limits.calendar === undefined ? store : namedCalendar(config, store.storeId, limits.calendar);
}

/**
 * The instant `ms` of the calendar's opening time after `from`. When the calendar has too little
 * opening time within the clock's horizon it throws: `VALIDATION_FAILED` at `subject.inputPath` for a
 * time the caller asked for, else `INVALID_STATE` (reason `beyond_sla_horizon`, the configuration path
 * in `details.configPath`, the command's input path in `path`).
 */
export function placeDue(
  due: DueCalendar,
  from: Date,
  ms: number,
  subject: DueSubject,
  path: ReadonlyArray<string | number> = [],
): Date {
  const at = placeBusinessTime(due.calendar, from, ms, due.dueAtClosing);
  if (at) return at;
  const weekly = weeklyOpenMinutes(due.calendar);
  const available = Math.floor(openTimeWithinHorizon(due.calendar, from) / millisecondsInMinute);
  const minutes = Math.ceil(ms / millisecondsInMinute);
  const where = subject.configPath ? ` (${subject.configPath.join('.')})` : '';
  const message =
    `${calendarName(due)} (${figure(Math.round((weekly / 60) * 100) / 100)} business hours a ` +
    `week, ${due.calendar.timeZone}) cannot place ` +
    `${subject.what}${where}, ${figure(minutes)} business minutes: within the ${SLA_HORIZON_DAYS} days the ` +
    `clock looks ahead it is open ` +
    `${figure(available)} business minutes, and a due time must fall ${lastPlace(due.dueAtClosing)}`;
  if (subject.inputPath) throw invalid(subject.inputPath, 'beyond_sla_horizon', message);
  throw new InvalidStateError(message, {
    reason: 'beyond_sla_horizon',
    storeId: due.storeId,
    ...(due.calendarId !== null ? { calendar: due.calendarId } : {}),
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

/** A level's due times and the calendar they were placed on. */
export interface PlacedLevel {
  acknowledgeBy: Date;
  /** Null for a response-only agreement. */
  resolveBy: Date | null;
  /** The named calendar, or null for the store's. */
  calendarId: string | null;
}

/**
 * The due times of a level entered at `enteredAt`, each placed on the calendar its limits name (the
 * store's by default).
 */
export function levelDue(
  config: ComplaintsConfig,
  store: DueCalendar,
  position: LevelPosition,
  level: number,
  enteredAt: Date,
  path: ReadonlyArray<string | number> = [],
): PlacedLevel {
  const lvl = levelOf(ladderNamed(config, position.ladder), level);
  const { limits, path: below } = limitsWithPath(lvl, position.severity, position.serviceLevel);
  const due = calendarFor(config, store, limits);
  const place = (clock: 'acknowledge' | 'resolve', minutes: number) =>
    placeDue(
      due,
      enteredAt,
      minutes * millisecondsInMinute,
      {
        what: `the ${clock} limit of level ${lvl.id}`,
        configPath: ['ladders', position.ladder, level - 1, ...below, clock],
      },
      path,
    );
  return {
    acknowledgeBy: place('acknowledge', limits.acknowledge),
    resolveBy: limits.resolve === undefined ? null : place('resolve', limits.resolve),
    calendarId: due.calendarId,
  };
}

/** The longest limit of a set of time limits: its resolve limit, or its acknowledge limit when it is response-only. */
function longestOf(limits: TimeLimit): { minutes: number; clock: 'acknowledge' | 'resolve' } {
  return limits.resolve === undefined
    ? { minutes: limits.acknowledge, clock: 'acknowledge' }
    : { minutes: limits.resolve, clock: 'resolve' };
}

/**
 * Checks, when a case is opened, that each calendar its ladder's levels count in (the store's, or a
 * named one) can place the longest limit of those levels from now, so a ladder a calendar cannot carry
 * is refused at once rather than when a case climbs to the level weeks later.
 */
export function checkLadderFits(
  config: ComplaintsConfig,
  store: DueCalendar,
  position: LevelPosition,
  from: Date,
  path: ReadonlyArray<string | number> = [],
): void {
  const ladder = ladderNamed(config, position.ladder);
  const longest = new Map<
    string | null,
    { level: Level; index: number; minutes: number; clock: string; below: string[] }
  >();
  for (const [index, level] of ladder.entries()) {
    const { limits, path: below } = limitsWithPath(level, position.severity, position.serviceLevel);
    const key = limits.calendar ?? null;
    const { minutes, clock } = longestOf(limits);
    const found = longest.get(key);
    if (!found || minutes > found.minutes) longest.set(key, { level, index, minutes, clock, below });
  }
  for (const [calendarId, worst] of longest) {
    // Level 1's own limits are placed as the case enters it, with the same error.
    if (worst.index === 0) continue;
    placeDue(
      calendarId === null ? store : namedCalendar(config, store.storeId, calendarId),
      from,
      worst.minutes * millisecondsInMinute,
      {
        what: `the ${worst.clock} limit of level ${worst.level.id}`,
        configPath: ['ladders', position.ladder, worst.index, ...worst.below, worst.clock],
      },
      path,
    );
  }
}

/** Every time limit of the configuration with its path, per ladder. */
function* everyLimit(
  config: ComplaintsConfig,
): Generator<{ ladder: string; limits: TimeLimit; path: Array<string | number> }> {
  for (const [ladder, levels] of Object.entries(config.ladders)) {
    for (const [i, level] of levels.entries()) {
      const tables: Array<[Array<string | number>, Readonly<Record<string, TimeLimit>>]> = [
        [['timeLimits'], level.timeLimits],
        ...Object.entries(level.serviceLevels).map(
          ([sl, t]) => [['serviceLevels', sl], t] as [Array<string | number>, Readonly<Record<string, TimeLimit>>],
        ),
      ];
      for (const [below, table] of tables)
        for (const [severity, limits] of Object.entries(table))
          yield { ladder, limits, path: ['ladders', ladder, i, ...below, severity] };
    }
  }
}

/** Whether a calendar can place `minutes` from `from` under the rule at closing. */
function fits(calendar: BusinessCalendar, from: Date, minutes: number, dueAtClosing: DueAtClosing): boolean {
  const open = openTimeWithinHorizon(calendar, from);
  const ms = minutes * millisecondsInMinute;
  return dueAtClosing === 'keep' ? ms <= open : ms < open;
}

/**
 * What stops a store's calendar from carrying the configured ladders: for each ladder, its longest
 * limit counted in the store's hours (over every level, severity and service level; limits that name
 * a calendar of their own are left to {@link calendarIssues}) when the store's opening time within the
 * clock's horizon from `from` is too little. Core refuses a store created or changed with such a
 * calendar, and the module refuses to start over a store that has one, so a ladder a store cannot
 * carry is caught when either is configured rather than when a case reaches the level.
 */
export function storeCalendarIssues(
  config: ComplaintsConfig,
  calendar: BusinessCalendar,
  from: Date,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const worst = new Map<string, { minutes: number; path: Array<string | number> }>();
  for (const { ladder, limits, path } of everyLimit(config)) {
    if (limits.calendar !== undefined) continue;
    const { minutes, clock } = longestOf(limits);
    const found = worst.get(ladder);
    if (!found || minutes > found.minutes) worst.set(ladder, { minutes, path: [...path, clock] });
  }
  for (const [ladder, w] of worst) {
    if (fits(calendar, from, w.minutes, config.dueAtClosing)) continue;
    issues.push({
      path: ['openingHours'],
      code: 'beyond_sla_horizon',
      message:
        `the ${ladder} complaints ladder's limit at ${w.path.join('.')} is ${figure(w.minutes)} ` +
        `business minutes, more than this calendar opens in the ${SLA_HORIZON_DAYS} days the clock looks ` +
        `ahead (${figure(Math.floor(openTimeWithinHorizon(calendar, from) / millisecondsInMinute))} minutes, ` +
        `${figure(weeklyOpenMinutes(calendar))} a week)`,
    });
  }
  return issues;
}

/**
 * What stops the configuration's own calendars from carrying the limits that name them: for each
 * named calendar, its longest limit when the calendar's opening time within the clock's horizon from
 * `from` is too little, at `['calendars', id, 'openingHours']`. The module refuses to start with such a
 * calendar.
 */
export function calendarIssues(config: ComplaintsConfig, from: Date): ValidationIssue[] {
  const worst = new Map<string, { minutes: number; path: Array<string | number> }>();
  for (const { limits, path } of everyLimit(config)) {
    if (limits.calendar === undefined) continue;
    const { minutes, clock } = longestOf(limits);
    const found = worst.get(limits.calendar);
    if (!found || minutes > found.minutes) worst.set(limits.calendar, { minutes, path: [...path, clock] });
  }
  const issues: ValidationIssue[] = [];
  for (const [id, w] of worst) {
    const calendar = slaCalendar(config.calendars[id]!);
    if (fits(calendar, from, w.minutes, config.dueAtClosing)) continue;
    issues.push({
      path: ['calendars', id, 'openingHours'],
      code: 'beyond_sla_horizon',
      message:
        `calendar ${id} cannot carry the limit at ${w.path.join('.')}, ${figure(w.minutes)} business minutes: ` +
        `it opens ${figure(Math.floor(openTimeWithinHorizon(calendar, from) / millisecondsInMinute))} minutes ` +
        `in the ${SLA_HORIZON_DAYS} days the clock looks ahead`,
    });
  }
  return issues;
}
