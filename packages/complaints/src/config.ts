/**
 * The module's configuration: ladders of levels with their roles and time limits per severity (and
 * per service level), how remedies map to authority limits, the reopen window, root causes, and the
 * survey questionnaires. Plain JSON, checked with zod; a ladder with a gap is refused with the path
 * of the gap.
 */
import {
  codeSchema,
  openingHoursSchema,
  parseInput,
  shortTextSchema,
  timeZoneSchema,
  type BusinessCalendar,
} from '@clientele/core/module';
import * as z from 'zod';
import { CASE_KINDS, type CaseKind } from './case-states.js';
import {
  DEFAULT_INDICATORS,
  DEFAULT_LOW_SCORES,
  INDICATOR_GROUPS,
  SCALES,
  type IndicatorGroup,
  type LowScoreThresholds,
} from './questionnaires.js';
import { DEFAULT_REMEDY_POLICIES, REMEDY_TYPES, type RemedyPolicy, type RemedyType } from './remedies.js';
import { DUE_AT_CLOSING, MAX_PLACEABLE_MINUTES, SLA_HORIZON_DAYS, type DueAtClosing } from './sla-clock.js';

/**
 * Business minutes, at most what the service-level clock can place on any calendar: it looks
 * {@link SLA_HORIZON_DAYS} days ahead, and even a store open round the clock surely has only
 * {@link MAX_PLACEABLE_MINUTES} minutes there. A store's own calendar may place less; that is checked
 * when a case is opened at the store (see `docs/complaints.md`).
 */
const businessMinutes = z
  .number()
  .int('time limits are whole business minutes')
  .min(1)
  .max(
    MAX_PLACEABLE_MINUTES,
    `more than the clock can place: it looks ${SLA_HORIZON_DAYS} days ahead, where even a store open round ` +
      `the clock surely has only ${MAX_PLACEABLE_MINUTES.toLocaleString('en')} business minutes (52 weeks ` +
      `of a 40-hour week are ${(52 * 40 * 60).toLocaleString('en')})`,
  );

/**
 * Time limits of one severity at one level, in business minutes from entering the level. Without
 * `resolve` the agreement is response-only: the case must be acknowledged in time and has no resolve
 * clock. `calendar` names one of the configuration's `calendars` to count them in instead of the
 * store's opening hours.
 */
export const timeLimitSchema = z
  .object({
    acknowledge: businessMinutes,
    resolve: businessMinutes.optional(),
    /** One of `calendars`; omitted, the store's own calendar counts. */
    calendar: codeSchema.optional(),
  })
  .strict()
  .refine((l) => l.resolve === undefined || l.acknowledge <= l.resolve, {
    message: 'acknowledging cannot take longer than resolving',
    path: ['acknowledge'],
  });
/** Time limits of one severity at one level. */
export type TimeLimit = z.output<typeof timeLimitSchema>;

const authorityAction = z.string().regex(/^[a-z][a-z-]*$/, 'authority actions are lower-case words, as in role limits');

/** One level of a ladder. */
export const levelSchema = z
  .object({
    /** Position on the ladder: 1 for the first desk, counting up without gaps. */
    level: z.number().int().min(1).max(20),
    id: codeSchema,
    name: shortTextSchema,
    /** Roles (core role ids) that handle cases at this level. */
    roles: z.array(codeSchema).min(1).max(20),
    /** Limits per severity; every configured severity needs one. */
    timeLimits: z.record(z.string(), timeLimitSchema),
    /** Limits per service level (from the segments module's policies), each covering every severity. */
    serviceLevels: z.record(codeSchema, z.record(z.string(), timeLimitSchema)).optional(),
  })
  .strict();
/** A ladder level as configured. */
export type LevelConfig = z.output<typeof levelSchema>;

/** One question of a questionnaire. */
export const questionSchema = z
  .object({
    id: codeSchema,
    /** An indicator (`quality`, `freshness`, `attitude`, `checkout-wait`, ...). */
    indicator: codeSchema,
    scale: z.enum(SCALES),
    text: shortTextSchema,
  })
  .strict();

/** A questionnaire and when it is sent. */
export const questionnaireSchema = z
  .object({
    id: codeSchema,
    name: shortTextSchema,
    /** `purchase`: sampled after sales; `case-closed`: after every closed case; `manual`: when invited. */
    trigger: z.enum(['purchase', 'case-closed', 'manual']),
    /** Share of purchases sampled (0 to 1), for `purchase`. */
    sampleRate: z.number().min(0).max(1).default(0),
    /** Seed of the sampler; change it to sample a different set of purchases. */
    seed: z.string().min(1).max(100).optional(),
    /** `members`: only purchases by known customers; `all`: anonymous ones too (a code on the receipt). */
    audience: z.enum(['members', 'all']).default('members'),
    /** Days an invitation stays open. */
    expiresAfterDays: z.number().int().min(1).max(365).default(14),
    questions: z.array(questionSchema).min(1).max(40),
    /** Scores at or below which an answer opens a case (default: 2 of 5, 4 of 10). */
    lowScores: z
      .object({ '1-5': z.number().int().min(0).max(5), '0-10': z.number().int().min(-1).max(10) })
      .strict()
      .optional(),
  })
  .strict();
/** A questionnaire. */
export type Questionnaire = z.output<typeof questionnaireSchema>;

/**
 * A calendar of the configuration's own, for clocks that do not keep a store's hours (a desk open round
 * the clock for critical cases). Opening hours and holidays as a store's; without opening hours it is open
 * round the clock. Its holidays are its own: a store's holidays do not close it.
 */
export const serviceCalendarSchema = z
  .object({
    timeZone: timeZoneSchema,
    openingHours: openingHoursSchema.default({}),
    /** Closed dates `YYYY-MM-DD` in its time zone. */
    holidays: z.array(z.iso.date()).max(400).default([]),
  })
  .strict();
/** A calendar of the configuration, as written. */
export type ServiceCalendarInput = z.input<typeof serviceCalendarSchema>;

/** What reopening a closed case does to its clocks (see {@link complaintsConfigSchema}'s `reopen`). */
export const REOPEN_CLOCKS = ['continue', 'restart'] as const;
/** What reopening does to a case's clocks. */
export type ReopenClocks = (typeof REOPEN_CLOCKS)[number];

/** The configuration `complaints(config)` takes. */
export const complaintsConfigSchema = z
  .object({
    /** Severities, mildest first. */
    severities: z.array(codeSchema).min(1).max(10).default(['low', 'medium', 'high']),
    /** Named ladders of levels, e.g. `{ service: [...], quality: [...] }`. */
    ladders: z.record(codeSchema, z.array(levelSchema).min(1).max(20)),
    /** The ladder each kind of case climbs (default: the first ladder). */
    routes: z.partialRecord(z.enum(CASE_KINDS), codeSchema).default({}),
    /** Roles that verify execution before a case closes, per kind (none listed: any handler). */
    verifierRoles: z.partialRecord(z.enum(CASE_KINDS), z.array(codeSchema).min(1)).default({}),
    /** The role-limit action each remedy type is checked against (default: its own name). */
    remedies: z.partialRecord(z.enum(REMEDY_TYPES), z.object({ action: authorityAction }).strict()).default({}),
    /** What one goodwill point is worth in minor units, for authority checks and cause costs. */
    pointValue: z.number().int().min(0).max(1_000_000).default(1),
    /** Days after closing during which a case may be reopened. */
    reopenWindowDays: z.number().int().min(0).max(365).default(14),
    /**
     * What reopening does to the clocks: `continue` (the default) keeps the time that was left when the
     * case was resolved and counts the time it stayed resolved or closed as paused; `restart` gives the level
     * fresh clocks from the reopening and asks for a new acknowledgement.
     */
    reopen: z.enum(REOPEN_CLOCKS).default('continue'),
    /** A due time that falls exactly at closing: `keep` it there (the default), or move it to the `next-opening`. */
    dueAtClosing: z.enum(DUE_AT_CLOSING).default('keep'),
    /** Named calendars a time limit may count in instead of the store's (`timeLimits.high.calendar`). */
    calendars: z.record(codeSchema, serviceCalendarSchema).default({}),
    /** Root causes a case may be closed with (omit to accept any code). */
    causes: z.array(codeSchema).max(500).optional(),
    /** Categories a case may have (omit to accept any code). */
    categories: z.array(codeSchema).max(500).optional(),
    correctiveActions: z
      .object({
        /** Business minutes an overdue action gets at the next level before it escalates again. */
        graceMinutes: businessMinutes.default(480),
        /** The ladder whose levels overdue actions climb (default: the first ladder). */
        ladder: codeSchema.optional(),
      })
      .strict()
      .default({ graceMinutes: 480 }),
    surveys: z
      .object({
        /** Extra indicators and their groups beside the documents' set; naming a built-in one regroups it. */
        indicators: z.record(codeSchema, z.enum(INDICATOR_GROUPS)).default({}),
        questionnaires: z.array(questionnaireSchema).max(50).default([]),
        /** Severity of a case a low score opens. */
        caseSeverity: codeSchema.optional(),
        /** Category of such a case (default `survey-<indicator group>`). */
        caseCategory: codeSchema.optional(),
      })
      .strict()
      .default({ indicators: {}, questionnaires: [] }),
  })
  .strict()
  .superRefine((config, ctx) => {
    const issue = (path: Array<string | number>, code: string, message: string) =>
      ctx.addIssue({ code: 'custom', path, message, params: { code } });
    const severities = new Set(config.severities);
    if (severities.size !== config.severities.length) issue(['severities'], 'duplicate', 'severities are listed twice');
    const ladderIds = Object.keys(config.ladders);
    if (ladderIds.length === 0) issue(['ladders'], 'too_small', 'at least one ladder is needed');
    const checkLimits = (limits: Record<string, TimeLimit>, path: Array<string | number>) => {
      for (const s of config.severities)
        if (!Object.hasOwn(limits, s)) issue([...path, s], 'ladder_gap', `no time limits for severity ${s}`);
      for (const [s, limit] of Object.entries(limits)) {
        if (!severities.has(s)) issue([...path, s], 'unknown_severity', `${s} is not a configured severity`);
        if (limit.calendar !== undefined && !Object.hasOwn(config.calendars, limit.calendar))
          issue([...path, s, 'calendar'], 'unknown_calendar', `no calendar ${limit.calendar} under calendars`);
      }
    };
    for (const [ladderId, levels] of Object.entries(config.ladders)) {
      const ids = new Set<string>();
      levels.forEach((level, i) => {
        if (level.level !== i + 1) {
          issue(
            ['ladders', ladderId, i, 'level'],
            'ladder_gap',
            level.level > i + 1
              ? `level ${i + 1} is missing: levels run 1, 2, 3... without gaps`
              : `level ${level.level} is listed out of order (expected ${i + 1})`,
          );
        }
        if (ids.has(level.id)) issue(['ladders', ladderId, i, 'id'], 'duplicate', `level id ${level.id} is used twice`);
        ids.add(level.id);
        checkLimits(level.timeLimits, ['ladders', ladderId, i, 'timeLimits']);
        for (const [sl, limits] of Object.entries(level.serviceLevels ?? {}))
          checkLimits(limits, ['ladders', ladderId, i, 'serviceLevels', sl]);
      });
    }
    for (const [kind, ladder] of Object.entries(config.routes)) {
      if (!Object.hasOwn(config.ladders, ladder!)) issue(['routes', kind], 'unknown_ladder', `no ladder ${ladder}`);
    }
    if (
      config.correctiveActions.ladder !== undefined &&
      !Object.hasOwn(config.ladders, config.correctiveActions.ladder)
    ) {
      issue(['correctiveActions', 'ladder'], 'unknown_ladder', `no ladder ${config.correctiveActions.ladder}`);
    }
    if (config.causes && new Set(config.causes).size !== config.causes.length)
      issue(['causes'], 'duplicate', 'a cause is listed twice');
    const indicators = { ...DEFAULT_INDICATORS, ...config.surveys.indicators };
    const questionnaireIds = new Set<string>();
    config.surveys.questionnaires.forEach((q, i) => {
      if (questionnaireIds.has(q.id))
        issue(['surveys', 'questionnaires', i, 'id'], 'duplicate', `questionnaire ${q.id} is defined twice`);
      questionnaireIds.add(q.id);
      const questionIds = new Set<string>();
      q.questions.forEach((question, j) => {
        if (questionIds.has(question.id))
          issue(
            ['surveys', 'questionnaires', i, 'questions', j, 'id'],
            'duplicate',
            `question ${question.id} is asked twice`,
          );
        questionIds.add(question.id);
        if (!Object.hasOwn(indicators, question.indicator))
          issue(
            ['surveys', 'questionnaires', i, 'questions', j, 'indicator'],
            'unknown_indicator',
            `unknown indicator ${question.indicator}; add it under surveys.indicators`,
          );
      });
    });
    if (config.categories && config.surveys.questionnaires.length > 0) {
      const category = config.surveys.caseCategory;
      if (!category || !config.categories.includes(category))
        issue(
          ['surveys', 'caseCategory'],
          'unknown_category',
          'with a list of categories, name the one a low survey score opens its case in',
        );
    }
    if (config.surveys.caseSeverity !== undefined && !severities.has(config.surveys.caseSeverity)) {
      issue(
        ['surveys', 'caseSeverity'],
        'unknown_severity',
        `${config.surveys.caseSeverity} is not a configured severity`,
      );
    }
  });
/** The configuration as written (JSON). */
export type ComplaintsConfigInput = z.input<typeof complaintsConfigSchema>;

/** A ladder level, resolved. */
export interface Level {
  level: number;
  id: string;
  name: string;
  roles: readonly string[];
  timeLimits: Readonly<Record<string, TimeLimit>>;
  serviceLevels: Readonly<Record<string, Readonly<Record<string, TimeLimit>>>>;
}

/** The configuration with every default filled in. */
export interface ComplaintsConfig {
  severities: readonly string[];
  ladders: Readonly<Record<string, readonly Level[]>>;
  /** The ladder of each kind. */
  routes: Readonly<Record<CaseKind, string>>;
  verifierRoles: Readonly<Partial<Record<CaseKind, readonly string[]>>>;
  remedies: Readonly<Record<RemedyType, RemedyPolicy>>;
  pointValue: number;
  reopenWindowDays: number;
  /** What reopening does to a case's clocks. */
  reopen: ReopenClocks;
  /** Where a due time that falls exactly at closing is put. */
  dueAtClosing: DueAtClosing;
  /** Named calendars time limits may count in. */
  calendars: Readonly<Record<string, BusinessCalendar>>;
  causes: readonly string[] | null;
  categories: readonly string[] | null;
  correctiveActions: { graceMinutes: number; ladder: string };
  surveys: {
    indicators: Readonly<Record<string, IndicatorGroup>>;
    questionnaires: readonly Questionnaire[];
    caseSeverity: string;
    caseCategory: string | null;
  };
}

/**
 * Checks and completes a configuration. Bad configuration throws `ValidationError`
 * (`VALIDATION_FAILED`) whose issues name each failing path, e.g. `['ladders', 'service', 2, 'level']`
 * with code `ladder_gap` when level 3 is missing.
 */
export function parseComplaintsConfig(input: unknown): ComplaintsConfig {
  const c = parseInput(complaintsConfigSchema, input);
  const first = Object.keys(c.ladders)[0]!;
  const routes = Object.fromEntries(CASE_KINDS.map((k) => [k, c.routes[k] ?? first])) as Record<CaseKind, string>;
  const ladders = Object.fromEntries(
    Object.entries(c.ladders).map(([id, levels]) => [
      id,
      levels.map((l) => ({
        level: l.level,
        id: l.id,
        name: l.name,
        roles: l.roles,
        timeLimits: l.timeLimits,
        serviceLevels: l.serviceLevels ?? {},
      })),
    ]),
  );
  const remedies = { ...DEFAULT_REMEDY_POLICIES } as Record<RemedyType, RemedyPolicy>;
  for (const [type, policy] of Object.entries(c.remedies)) if (policy) remedies[type as RemedyType] = policy;
  return {
    severities: c.severities,
    ladders,
    routes,
    verifierRoles: c.verifierRoles,
    remedies,
    pointValue: c.pointValue,
    reopenWindowDays: c.reopenWindowDays,
    reopen: c.reopen,
    dueAtClosing: c.dueAtClosing,
    calendars: c.calendars,
    causes: c.causes ?? null,
    categories: c.categories ?? null,
    correctiveActions: { graceMinutes: c.correctiveActions.graceMinutes, ladder: c.correctiveActions.ladder ?? first },
    surveys: {
      indicators: { ...DEFAULT_INDICATORS, ...c.surveys.indicators },
      questionnaires: c.surveys.questionnaires,
      caseSeverity: c.surveys.caseSeverity ?? c.severities[Math.floor((c.severities.length - 1) / 2)]!,
      caseCategory: c.surveys.caseCategory ?? null,
    },
  };
}

/** Low-score thresholds of a questionnaire. */
export function lowScoresOf(q: Questionnaire): LowScoreThresholds {
  return q.lowScores ?? DEFAULT_LOW_SCORES;
}
