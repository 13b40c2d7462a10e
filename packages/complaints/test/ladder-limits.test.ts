/**
 * Time limits against the calendars they run on, over generated ladders and store calendars: either
 * the configuration is refused with `VALIDATION_FAILED` naming every offending limit, or every case
 * command (open, pause and resume, escalation by hand and by `runDue`, the steps to closing, reopening,
 * even after the store's hours change) succeeds or fails with a `ClienteleError`, never a raw error.
 * A refusal because the store's calendar cannot place a limit names the store and the limit, and is
 * right: the clock indeed cannot place that limit there.
 */
import {
  createClientele,
  isClienteleError,
  memoryStore,
  type ClienteleError,
  type OpeningHours,
  type ValidationError,
} from '@clientele/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { complaints, type ComplaintsConfigInput } from '../src/index.js';
import { MAX_PLACEABLE_MINUTES, placeBusinessTime, slaCalendar } from '../src/sla-clock.js';
import { CLERK, GM, MANAGER, QUALITY, RELATIONS, SYSTEM, TIANTIAN, openWorld } from './support/world.js';

const MIN = 60_000;
const SEVERITIES = ['low', 'high'] as const;
const ROLES = ['clerk', 'manager', 'relations'] as const;

/** Limits from a few minutes to past what any calendar can place, with the edges often. */
const limit = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 1, max: 5_000 }) },
  { weight: 2, arbitrary: fc.integer({ min: 5_000, max: 200_000 }) },
  { weight: 2, arbitrary: fc.integer({ min: 200_000, max: MAX_PLACEABLE_MINUTES }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(0, MAX_PLACEABLE_MINUTES, MAX_PLACEABLE_MINUTES + 1, 2 * MAX_PLACEABLE_MINUTES),
  },
);
/** Limits the configuration accepts, mostly short, some as long as allowed. */
const validLimit = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 5_000 }) },
  { weight: 2, arbitrary: fc.integer({ min: 5_000, max: 200_000 }) },
  { weight: 2, arbitrary: fc.integer({ min: 200_000, max: MAX_PLACEABLE_MINUTES }) },
);
const validClocks = fc
  .tuple(validLimit, validLimit)
  .map(([a, b]) => ({ acknowledge: Math.min(a, b), resolve: Math.max(a, b) }));
const validLadder = fc.array(fc.record({ low: validClocks, high: validClocks }), { minLength: 1, maxLength: 3 });

/** Acknowledge and resolve, mostly in order. */
const clocks = fc
  .tuple(limit, limit, fc.integer({ min: 0, max: 9 }))
  .map(([a, b, swap]) =>
    swap === 0
      ? { acknowledge: Math.max(a, b), resolve: Math.min(a, b) }
      : { acknowledge: Math.min(a, b), resolve: Math.max(a, b) },
  );
const ladder = fc.array(fc.record({ low: clocks, high: clocks }), { minLength: 1, maxLength: 3 });

const hhmm = fc
  .integer({ min: 0, max: 48 })
  .map((half) =>
    half === 48 ? '24:00' : `${String(Math.floor(half / 2)).padStart(2, '0')}:${half % 2 ? '30' : '00'}`,
  );
const interval = fc.tuple(hhmm, hhmm).filter(([a, b]) => a < b) as fc.Arbitrary<[string, string]>;
/** Store calendars from none at all (open round the clock) to an hour a week, with many holidays or none. */
const calendar = fc
  .record({
    timeZone: fc.constantFrom('Asia/Shanghai', 'Europe/London', 'America/New_York', 'Australia/Lord_Howe', 'UTC'),
    days: fc.array(fc.array(interval, { maxLength: 2 }), { minLength: 7, maxLength: 7 }),
    holidays: fc.uniqueArray(fc.integer({ min: 0, max: 500 }), { maxLength: 60 }),
  })
  .map(({ timeZone, days, holidays }) => ({
    timeZone,
    openingHours: Object.fromEntries(
      ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']
        .map((w, i) => [w, days[i]!])
        .filter(([, d]) => (d as unknown[]).length > 0),
    ) as OpeningHours,
    holidays: holidays.map((n) => new Date(Date.UTC(2026, 10, 1) + n * 86_400_000).toISOString().slice(0, 10)),
  }));

/** A store that opens half an hour a week: about 1,560 business minutes in the clock's horizon. */
const thinCalendar = fc
  .record({ timeZone: fc.constantFrom('Asia/Shanghai', 'Europe/London'), day: fc.constantFrom('mon', 'wed', 'sat') })
  .map(({ timeZone, day }) => ({
    timeZone,
    openingHours: { [day]: [['09:00', '09:30']] } as OpeningHours,
    holidays: [] as string[],
  }));

function configOf(
  levels: Array<{ low: { acknowledge: number; resolve: number }; high: { acknowledge: number; resolve: number } }>,
  graceMinutes: number,
): ComplaintsConfigInput {
  return {
    severities: [...SEVERITIES],
    // Customer relations works at the top of every ladder, so one actor can take a case to the end.
    ladders: {
      service: levels.map((timeLimits, i) => ({
        level: i + 1,
        id: `desk-${i + 1}`,
        name: `Desk ${i + 1}`,
        roles: i === levels.length - 1 ? [...new Set([ROLES[i]!, 'relations'])] : [ROLES[i]!],
        timeLimits,
      })),
    },
    causes: ['other'],
    correctiveActions: { graceMinutes },
  };
}

/** The paths of every limit the configuration must refuse. */
function offending(levels: Parameters<typeof configOf>[0], graceMinutes: number): string[] {
  const out: string[] = [];
  const bad = (n: number) => n < 1 || n > MAX_PLACEABLE_MINUTES;
  levels.forEach((l, i) => {
    for (const s of SEVERITIES) {
      const base = `ladders.service.${i}.timeLimits.${s}`;
      if (bad(l[s].acknowledge) || l[s].acknowledge > l[s].resolve) out.push(`${base}.acknowledge`);
      if (bad(l[s].resolve)) out.push(`${base}.resolve`);
    }
  });
  if (bad(graceMinutes)) out.push('correctiveActions.graceMinutes');
  return out.sort();
}

/** Runs a command: its result, or its `ClienteleError`; any other error fails the test. */
async function attempt<T>(run: () => Promise<T>): Promise<{ ok: T } | { error: ClienteleError }> {
  try {
    return { ok: await run() };
  } catch (error) {
    if (!isClienteleError(error)) throw new Error(`a raw error escaped: ${String(error)}`, { cause: error });
    return { error };
  }
}

/** The limit at a configuration path, e.g. `['ladders', 'service', 1, 'timeLimits', 'high', 'resolve']`. */
function limitAt(levels: Parameters<typeof configOf>[0], path: ReadonlyArray<string | number>): number {
  const [, , i, , s, clock] = path as [string, string, number, string, 'low' | 'high', 'acknowledge' | 'resolve'];
  return levels[i]![s][clock];
}

describe('time limits against store calendars, over generated ladders and calendars', () => {
  it(
    'refuses a configuration exactly when a limit is one no calendar can place (or out of order), naming ' +
      'every such limit',
    () => {
      let refused = 0;
      fc.assert(
        fc.property(ladder, limit, (levels, grace) => {
          const expected = offending(levels, grace);
          let error: unknown = null;
          try {
            complaints(configOf(levels, grace));
          } catch (e) {
            error = e;
          }
          if (expected.length === 0) return error === null;
          refused++;
          expect(error).toMatchObject({ code: 'VALIDATION_FAILED' });
          expect([...new Set((error as ValidationError).issues.map((i) => i.path.join('.')))].sort()).toEqual(expected);
          return true;
        }),
        { numRuns: 400 },
      );
      expect(refused).toBeGreaterThan(0);
    },
  );

  it('refuses a store whose calendar cannot carry the ladders when it is created or changed, naming the ' +
    'limit; on any other calendar every case command ends in a result or a ClienteleError', async () => {
    let refusedStores = 0;
    let refusedChanges = 0;
    let opened = 0;
    let reopened = 0;
    /** The store refusal names the ladder's longest resolve limit, and is right: the clock cannot place it there. */
    const expectRightRefusal = (
      e: ClienteleError,
      levels: Parameters<typeof configOf>[0],
      cal: { timeZone: string; openingHours: OpeningHours; holidays: readonly string[] },
      at: Date,
    ) => {
      expect(e).toMatchObject({ code: 'VALIDATION_FAILED', path: ['openingHours'] });
      const issue = (e as ValidationError).issues[0]!;
      expect(issue.code).toBe('beyond_sla_horizon');
      const path = /at (ladders\.[^ ]+) is/
        .exec(issue.message)![1]!
        .split('.')
        .map((p) => (/^[0-9]+$/.test(p) ? Number(p) : p));
      const minutes = limitAt(levels, path);
      expect(minutes).toBe(Math.max(...levels.flatMap((l) => SEVERITIES.map((sev) => l[sev].resolve))));
      expect(placeBusinessTime(slaCalendar({ ...cal, holidays: [...cal.holidays] }), at, minutes * MIN)).toBeNull();
    };
    await fc.assert(
      fc.asyncProperty(
        validLadder,
        calendar,
        fc.option(fc.oneof(calendar, thinCalendar), { nil: undefined }),
        fc.constantFrom(...SEVERITIES),
        fc.integer({ min: 0, max: 5 * 86_400_000 }),
        async (levels, cal, changed, severity, wait) => {
          const input = configOf(levels, 480);
          const world = await openWorld(memoryStore(), { config: input, roundTheClock: true });
          const { crm, clock, customerId } = world;
          const created = await attempt(() =>
            crm.stores.create({ id: 'S09', name: 'Generated store', region: 'East', ...cal }, SYSTEM),
          );
          if ('error' in created) {
            refusedStores++;
            expectRightRefusal(created.error, levels, cal, clock.now());
            return;
          }
          // A store the ladders fit takes cases: opening never fails for lack of opening time.
          const first = await attempt(() =>
            crm.complaints.open(
              {
                kind: 'complaint',
                channel: 'counter',
                storeId: 'S09',
                customerId,
                category: 'service',
                severity,
                description: 'Generated.',
              },
              CLERK,
            ),
          );
          expect(first, 'open').toHaveProperty('ok');
          if (!('ok' in first)) return;
          opened++;
          const id = first.ok.id;
          const top = RELATIONS;
          const steps: Array<() => Promise<unknown>> = [
            () => crm.complaints.pause({ caseId: id, note: 'Waiting for the receipt.' }, CLERK),
            async () => clock.advance(wait),
            async () => {
              if (!changed) return undefined;
              const r = await attempt(() => crm.stores.update({ id: 'S09', ...changed }, SYSTEM));
              if ('error' in r) {
                refusedChanges++;
                expectRightRefusal(r.error, levels, changed, clock.now());
              }
              return r;
            },
            () => crm.complaints.resume({ caseId: id }, CLERK),
            async () => {
              const c = await crm.complaints.get(id, SYSTEM);
              if (c.dueAt) clock.set(new Date(c.dueAt.getTime() + 1));
              return crm.runDue();
            },
            () => crm.complaints.escalate({ caseId: id, note: 'By hand.' }, MANAGER),
            () => crm.complaints.acknowledge({ caseId: id }, top),
            () => crm.complaints.investigate({ caseId: id }, top),
            () => crm.complaints.propose({ caseId: id, remedies: [{ type: 'compensation', amount: 100 }] }, top),
            () => crm.complaints.answer({ caseId: id, accepted: true }, top),
            () => crm.complaints.execute({ caseId: id }, top),
            () => crm.complaints.verify({ caseId: id }, top),
            () => crm.complaints.close({ caseId: id, rootCause: 'other' }, top),
            () =>
              crm.complaints.actions.create(
                { caseId: id, description: 'Check the shelf.', ownerStaffId: 'E-CLERK', dueInMinutes: 60 },
                top,
              ),
            async () => clock.advance(86_400_000),
            () => crm.complaints.reopen({ caseId: id, note: 'It happened again.' }, top),
            () => crm.runDue(new Date(clock.now().getTime() + 30 * 86_400_000)),
          ];
          for (const step of steps) {
            const r = await attempt(step);
            // Time passing (holidays ahead, a clock change) may still leave a later level unplaceable: typed, naming
            // the store.
            if ('error' in r && r.error.details['reason'] === 'beyond_sla_horizon') {
              expect(r.error).toMatchObject({ code: 'INVALID_STATE', path: ['caseId'], details: { storeId: 'S09' } });
              expect(r.error.message).toContain("store S09's calendar");
            }
            if ('ok' in r && step === steps[steps.length - 2]) reopened++;
          }
          // What runDue could not do it reported; those are typed too.
          for (const { error: e } of world.reported) expect(isClienteleError(e), String(e)).toBe(true);
        },
      ),
      { numRuns: 80 },
    );
    // The generators reach every branch: a store refused, a change of hours refused, and cases run to reopening.
    expect(refusedStores).toBeGreaterThan(0);
    expect(refusedChanges).toBeGreaterThan(0);
    expect(opened).toBeGreaterThan(0);
    expect(reopened).toBeGreaterThan(0);
  }, 120_000);

  it('stops the host at start-up when an existing store cannot carry the configured ladders', async () => {
    const store = memoryStore();
    const first = createClientele({ store, modules: [complaints(TIANTIAN)] });
    await first.migrate();
    const office: [string, string][] = [['08:00', '20:00']];
    await first.stores.create(
      {
        id: 'S05',
        name: 'Office desk',
        region: 'East',
        timeZone: 'Asia/Shanghai',
        openingHours: { mon: office, tue: office, wed: office, thu: office, fri: office },
      },
      SYSTEM,
    );
    // A later configuration whose top level resolves within 200,000 business minutes: a 60-hour week opens about
    // 188,000 in a year.
    const longer = {
      ...TIANTIAN,
      ladders: {
        ...TIANTIAN.ladders,
        service: TIANTIAN.ladders!['service']!.map((l, i) =>
          i === 4 ? { ...l, timeLimits: { ...l.timeLimits, low: { acknowledge: 480, resolve: 200_000 } } } : l,
        ),
      },
    };
    const second = createClientele({ store, modules: [complaints(longer)] });
    const error = await second.migrate().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED', path: ['stores', 'S05', 'openingHours'] });
    expect((error as Error).message).toContain('ladders.service.4.timeLimits.low.resolve is 200,000 business minutes');
    // Nothing of the new configuration's seeding ran against the store; the first configuration still starts.
    await expect(createClientele({ store, modules: [complaints(TIANTIAN)] }).migrate()).resolves.toBeDefined();
  });

  it(
    'keeps cases opened under an earlier configuration readable, and refuses what their level, severity or ' +
      'ladder no longer allows with INVALID_STATE',
    async () => {
      const store = memoryStore();
      const before = await openWorld(store);
      const { crm, clock, customerId } = before;
      const high = await crm.complaints.open(
        {
          kind: 'complaint',
          channel: 'phone',
          storeId: 'S02',
          customerId,
          category: 'service',
          severity: 'high',
          description: 'Spoiled cake.',
        },
        CLERK,
      );
      let climbed = await crm.complaints.open(
        {
          kind: 'complaint',
          channel: 'phone',
          storeId: 'S02',
          customerId,
          category: 'service',
          severity: 'low',
          description: 'Rude reply.',
        },
        CLERK,
      );
      for (let i = 0; i < 3; i++) climbed = await crm.complaints.escalate({ caseId: climbed.id, note: 'Up.' }, GM);
      expect(climbed.level).toBe(4);
      const repair = await crm.complaints.open(
        {
          kind: 'after-sales',
          request: 'repair',
          channel: 'counter',
          storeId: 'S02',
          customerId,
          category: 'appliances',
          severity: 'low',
          description: 'Kettle leaks.',
        },
        QUALITY,
      );

      // The chain now runs a two-level service ladder, without the quality station and without `high`.
      type Limits = Record<
        string,
        { acknowledge: number; resolve?: number | undefined; calendar?: string | undefined }
      >;
      const drop = (limits: Limits): Limits => Object.fromEntries(Object.entries(limits).filter(([s]) => s !== 'high'));
      const service = TIANTIAN.ladders['service']!.slice(0, 2).map((l) => ({
        ...l,
        timeLimits: drop(l.timeLimits),
        ...(l.serviceLevels ? { serviceLevels: { priority: drop(l.serviceLevels['priority']!) } } : {}),
      }));
      const later = createClientele({
        store,
        clock,
        modules: [
          complaints({
            ...TIANTIAN,
            severities: ['low', 'medium'],
            ladders: { service },
            routes: {},
            verifierRoles: {},
          }),
        ],
      });
      await later.migrate();

      expect(await later.complaints.get(climbed.id, SYSTEM)).toMatchObject({
        level: 4,
        levelId: 'level-4',
        levelName: 'Level 4 (no longer configured)',
      });
      expect(await later.complaints.get(repair.id, SYSTEM)).toMatchObject({
        levelName: 'Level 1 (no longer configured)',
      });
      const refusals = [
        await attempt(() => later.complaints.acknowledge({ caseId: climbed.id }, GM)),
        await attempt(() => later.complaints.acknowledge({ caseId: repair.id }, GM)),
        await attempt(() => later.complaints.escalate({ caseId: high.id, note: 'Up.' }, GM)),
      ];
      expect(refusals).toEqual([
        {
          error: expect.objectContaining({
            code: 'INVALID_STATE',
            details: expect.objectContaining({ reason: 'not_configured', level: 4 }),
          }),
        },
        {
          error: expect.objectContaining({
            code: 'INVALID_STATE',
            details: expect.objectContaining({ reason: 'not_configured', ladder: 'quality' }),
          }),
        },
        {
          error: expect.objectContaining({
            code: 'INVALID_STATE',
            details: expect.objectContaining({ reason: 'not_configured', severity: 'high' }),
          }),
        },
      ]);
      // What falls due meanwhile: the case above the new top is marked overdue (both its clocks); the others are
      // reported, typed.
      const reported: unknown[] = [];
      const withReports = createClientele({
        store,
        clock,
        modules: [
          complaints({
            ...TIANTIAN,
            severities: ['low', 'medium'],
            ladders: { service },
            routes: {},
            verifierRoles: {},
          }),
        ],
        onListenerError: (e) => void reported.push(e),
      });
      clock.advance(60 * 86_400_000);
      const counts = (await withReports.runDue())['complaints']!;
      expect(counts).toMatchObject({ overdue: 2, errors: 2 });
      expect(reported).toHaveLength(2);
      for (const e of reported)
        expect(e).toMatchObject({
          code: 'INVALID_STATE',
          details: expect.objectContaining({ reason: 'not_configured' }),
        });
    },
  );
});
