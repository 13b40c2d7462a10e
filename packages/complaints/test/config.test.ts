/** The configuration: defaults filled in, and every kind of mistake refused with the path of the mistake. */
import { isClienteleError, type ValidationError } from '@clientele/core';
import { describe, expect, it } from 'vitest';
import { MAX_PLACEABLE_MINUTES, parseComplaintsConfig, type ComplaintsConfigInput } from '../src/index.js';
import { approvalLevel, limitsAt, mayActAt } from '../src/ladder.js';
import { TIANTIAN } from './support/world.js';

function issues(config: unknown): Array<{ path: ReadonlyArray<string | number>; code: string }> {
  try {
    parseComplaintsConfig(config);
  } catch (error) {
    expect(isClienteleError(error, 'VALIDATION_FAILED')).toBe(true);
    return (error as ValidationError).issues.map((i) => ({ path: i.path, code: i.code }));
  }
  return [];
}

const service = TIANTIAN.ladders['service']!;
const one = (over: Partial<ComplaintsConfigInput>): ComplaintsConfigInput => ({ ...TIANTIAN, ...over });
const withService = (levels: unknown[]): ComplaintsConfigInput => ({
  ...TIANTIAN,
  ladders: { ...TIANTIAN.ladders, service: levels as never },
});

describe('complaints configuration', () => {
  it(
    'fills in defaults: routes to the first ladder, remedy actions by name, the middle severity for survey ' + 'cases',
    () => {
      const c = parseComplaintsConfig(TIANTIAN);
      expect(c.routes).toEqual({
        complaint: 'service',
        'after-sales': 'quality',
        suggestion: 'service',
        praise: 'service',
      });
      expect(c.remedies.voucher).toEqual({ action: 'voucher' });
      expect(c.surveys.caseSeverity).toBe('medium');
      expect(c.surveys.indicators['checkout-wait']).toBe('purchase');
      expect(c.correctiveActions).toEqual({ graceMinutes: 240, ladder: 'service' });
      const mapped = parseComplaintsConfig(one({ remedies: { voucher: { action: 'compensation' } } }));
      expect(mapped.remedies.voucher).toEqual({ action: 'compensation' });
    },
  );

  it(
    'defaults the service-level options: reopening continues the clocks, a due time at closing stays there, no ' +
      'calendars of its own; and takes a response-only limit and a calendar for a limit',
    () => {
      const c = parseComplaintsConfig(TIANTIAN);
      expect(c).toMatchObject({ reopen: 'continue', dueAtClosing: 'keep', calendars: {} });
      const own = parseComplaintsConfig({
        ...withService([
          {
            ...service[0]!,
            timeLimits: {
              ...service[0]!.timeLimits,
              low: { acknowledge: 60 },
              high: { acknowledge: 5, resolve: 30, calendar: 'hotline' },
            },
          },
          ...service.slice(1),
        ]),
        reopen: 'restart',
        dueAtClosing: 'next-opening',
        calendars: { hotline: { timeZone: 'Asia/Shanghai', openingHours: { sat: [['10:00', '23:59:59']] } } },
      });
      expect(own.ladders['service']![0]!.timeLimits).toMatchObject({
        low: { acknowledge: 60 },
        high: { acknowledge: 5, resolve: 30, calendar: 'hotline' },
      });
      expect(own.ladders['service']![0]!.timeLimits['low']!.resolve).toBeUndefined();
      expect(own).toMatchObject({
        reopen: 'restart',
        dueAtClosing: 'next-opening',
        calendars: {
          hotline: { timeZone: 'Asia/Shanghai', openingHours: { sat: [['10:00', '23:59:59']] }, holidays: [] },
        },
      });
      // A response-only limit still acknowledges within what it would resolve in, when it resolves at all.
      expect(
        issues(
          withService([
            { ...service[0]!, timeLimits: { ...service[0]!.timeLimits, low: { acknowledge: 90, resolve: 60 } } },
            ...service.slice(1),
          ]),
        ),
      ).toEqual([{ path: ['ladders', 'service', 0, 'timeLimits', 'low', 'acknowledge'], code: 'custom' }]);
    },
  );

  it('names the gap in a ladder', () => {
    expect(issues(withService([service[0]!, service[2]!]))).toEqual([
      { path: ['ladders', 'service', 1, 'level'], code: 'ladder_gap' },
    ]);
    expect(issues(withService([{ ...service[0]!, level: 2 }]))).toEqual([
      { path: ['ladders', 'service', 0, 'level'], code: 'ladder_gap' },
    ]);
    expect(
      issues(withService([service[0]!, { ...service[1]!, timeLimits: { low: { acknowledge: 1, resolve: 2 } } }])),
    ).toEqual([
      { path: ['ladders', 'service', 1, 'timeLimits', 'medium'], code: 'ladder_gap' },
      { path: ['ladders', 'service', 1, 'timeLimits', 'high'], code: 'ladder_gap' },
    ]);
    expect(
      issues(withService([{ ...service[0]!, serviceLevels: { gold: { low: { acknowledge: 1, resolve: 2 } } } }])).map(
        (i) => i.path,
      ),
    ).toEqual([
      ['ladders', 'service', 0, 'serviceLevels', 'gold', 'medium'],
      ['ladders', 'service', 0, 'serviceLevels', 'gold', 'high'],
    ]);
  });

  it('refuses other mistakes with their paths', () => {
    expect(issues(one({ routes: { 'after-sales': 'nowhere' } }))).toEqual([
      { path: ['routes', 'after-sales'], code: 'unknown_ladder' },
    ]);
    expect(
      issues(
        withService([
          { ...service[0]!, timeLimits: { ...service[0]!.timeLimits, low: { acknowledge: 300, resolve: 60 } } },
        ]),
      ),
    ).toEqual([{ path: ['ladders', 'service', 0, 'timeLimits', 'low', 'acknowledge'], code: 'custom' }]);
    expect(
      issues(
        withService([
          { ...service[0]!, timeLimits: { ...service[0]!.timeLimits, urgent: { acknowledge: 1, resolve: 2 } } },
        ]),
      ),
    ).toEqual([{ path: ['ladders', 'service', 0, 'timeLimits', 'urgent'], code: 'unknown_severity' }]);
    expect(
      issues(
        one({
          surveys: {
            questionnaires: [
              {
                id: 'q',
                name: 'Q',
                trigger: 'manual',
                questions: [{ id: 'a', indicator: 'smell', scale: '1-5', text: 'Smell' }],
              },
            ],
          },
        }),
      ),
    ).toEqual([{ path: ['surveys', 'questionnaires', 0, 'questions', 0, 'indicator'], code: 'unknown_indicator' }]);
    expect(issues(one({ categories: ['food'] }))).toEqual([
      { path: ['surveys', 'caseCategory'], code: 'unknown_category' },
    ]);
    expect(issues(one({ reopenWindowDays: -1 }))).toEqual([{ path: ['reopenWindowDays'], code: 'too_small' }]);
    expect(issues({ ...TIANTIAN, colour: 'red' })).toEqual([{ path: [], code: 'unrecognized_keys' }]);
    expect(issues(one({ ladders: {}, routes: {} }))).toEqual([{ path: ['ladders'], code: 'too_small' }]);
  });

  it('refuses a time limit no calendar can place, naming the limit and saying why', () => {
    const at = (limits: object) =>
      withService([{ ...service[0]!, timeLimits: { ...service[0]!.timeLimits, ...limits } }, ...service.slice(1)]);
    const longest = MAX_PLACEABLE_MINUTES;
    expect(longest).toBe(525_600);
    expect(issues(at({ low: { acknowledge: 60, resolve: longest } }))).toEqual([]);
    let error: unknown;
    try {
      parseComplaintsConfig(at({ low: { acknowledge: 60, resolve: longest + 1 } }));
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({
      code: 'VALIDATION_FAILED',
      path: ['ladders', 'service', 0, 'timeLimits', 'low', 'resolve'],
    });
    expect((error as ValidationError).issues[0]!.message).toContain(
      'more than the clock can place: it looks 366 days ahead, ' +
        'where even a store open round the clock surely has only 525,600 business minutes',
    );
    expect(issues(one({ correctiveActions: { graceMinutes: longest + 1 } }))).toEqual([
      { path: ['correctiveActions', 'graceMinutes'], code: 'too_big' },
    ]);
    expect(
      issues(
        withService([
          {
            ...service[0]!,
            serviceLevels: {
              gold: {
                low: { acknowledge: 1, resolve: 2 },
                medium: { acknowledge: 1, resolve: 2 },
                high: { acknowledge: 1_000_000, resolve: 1_000_000 },
              },
            },
          },
          ...service.slice(1),
        ]),
      ),
    ).toEqual([
      { path: ['ladders', 'service', 0, 'serviceLevels', 'gold', 'high', 'acknowledge'], code: 'too_big' },
      { path: ['ladders', 'service', 0, 'serviceLevels', 'gold', 'high', 'resolve'], code: 'too_big' },
    ]);
    // Names every object has as a property are still unknown: a ladder, a severity's limits, an indicator.
    expect(issues(one({ routes: { 'after-sales': 'constructor' } }))).toEqual([
      { path: ['routes', 'after-sales'], code: 'unknown_ladder' },
    ]);
    const gaps = issues(one({ severities: ['low', 'medium', 'high', 'constructor'] }));
    // Eight levels on two ladders and the counter's priority limits, each without limits for it.
    expect(gaps).toHaveLength(9);
    expect(gaps.every((i) => i.code === 'ladder_gap' && i.path.at(-1) === 'constructor')).toBe(true);
    expect(
      issues(
        one({
          surveys: {
            questionnaires: [
              {
                id: 'q',
                name: 'Q',
                trigger: 'manual',
                questions: [{ id: 'a', indicator: 'constructor', scale: '1-5', text: 'Odd' }],
              },
            ],
          },
        }),
      ),
    ).toEqual([{ path: ['surveys', 'questionnaires', 0, 'questions', 0, 'indicator'], code: 'unknown_indicator' }]);
  });

  it('picks limits by service level, lets higher desks act on lower cases, and finds who may approve', () => {
    const c = parseComplaintsConfig(TIANTIAN);
    const ladder = c.ladders['service']!;
    expect(limitsAt(ladder[0]!, 'high', 'priority')).toEqual({ acknowledge: 5, resolve: 30 });
    expect(limitsAt(ladder[0]!, 'high', 'bronze')).toEqual({ acknowledge: 15, resolve: 60 });
    expect(limitsAt(ladder[1]!, 'high', 'priority')).toEqual({ acknowledge: 30, resolve: 120 });
    expect(mayActAt(ladder, 1, 'manager')).toBe(true);
    expect(mayActAt(ladder, 2, 'clerk')).toBe(false);
    const limits: Record<string, number> = {
      clerk: 5000,
      manager: 50000,
      relations: 200000,
      'gm-office': 500000,
      gm: 5_000_000,
    };
    const limitOf = (r: string) => limits[r] ?? 0;
    expect(approvalLevel(ladder, 1, limitOf, 30000)).toBe(2);
    expect(approvalLevel(ladder, 1, limitOf, 80000)).toBe(3);
    expect(approvalLevel(ladder, 2, limitOf, 80000)).toBe(3);
    expect(approvalLevel(ladder, 1, limitOf, 99_000_000)).toBe(5);
  });
});
