/**
 * No raw error on any input: every public command of core and the modules (found through the command
 * registry, plus the public functions that run several commands) gets at least 300 generated wrong
 * inputs and wrong options, on SQLite, by an actor whose role grants everything. Each must be refused
 * with a `ClienteleError` carrying a code, and afterwards every table holds exactly what it held
 * before, but for the audit entries of refusals.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { actorSchema, isClienteleError, type CommandInfo, type ErrorCode, type QueryInfo } from '@clientele/core';
import { auditLog, cardNumberSchema, idempotencyKeySchema } from '@clientele/core/module';
import { pinSchema } from '@clientele/loyalty';
import { rebuildSchema } from '@clientele/segments';
import { sqliteStore } from '@clientele/sqlite';
import { authorizeSchema, sellSchema, spendSchema } from '../packages/loyalty/src/stored-value-service.js';
import { commandSamples } from './support/command-samples.js';
import { ROOT, dumpTables, openFullChain } from './support/full-chain.js';
import {
  POISONS,
  holdsPoison,
  materialize,
  planArb,
  poisonValue,
  wrongValue,
  type Poison,
} from './support/wrong-values.js';

/** Wrong inputs per command (the property's runs; inputs that turn out valid are skipped, not counted). */
const RUNS = 300;
/** Wrong options per command, given with a valid input. */
const OPTION_RUNS = 60;

const CODES: readonly ErrorCode[] = [
  'VALIDATION_FAILED',
  'NOT_FOUND',
  'CONFLICT',
  'INSUFFICIENT_BALANCE',
  'PERMISSION_DENIED',
  'AUTHORITY_EXCEEDED',
  'IDEMPOTENCY_MISMATCH',
  'INVALID_STATE',
  'STORE_UNAVAILABLE',
  'UNSUPPORTED',
];

const dir = mkdtempSync(join(tmpdir(), 'clientele-wrong-input-'));
const chain = await openFullChain(sqliteStore({ file: join(dir, 'crm.db') }));
afterAll(async () => {
  await chain.crm.close();
  rmSync(dir, { recursive: true, force: true });
});

type Fn = ((input: unknown, options: unknown) => Promise<unknown>) & { info?: CommandInfo | QueryInfo };

/** A registered command (read queries carry an `info` too, without an input schema). */
const isCommand = (fn: Fn): fn is Fn & { info: CommandInfo } => fn.info !== undefined && 'input' in fn.info;

/** Public functions that run several commands, with the schema they parse their input with. */
const registry = new Map(chain.crm.commands().map((c) => [c.name, c]));
const WRAPPERS: Record<string, z.ZodType> = {
  'complaints.settleAtCounter': registry.get('complaints.settle')!.input,
  'complaints.execute': registry.get('complaints.execute')!.input,
  'loyalty.storedValue.sell': sellSchema,
  'loyalty.storedValue.authorize': authorizeSchema,
  'loyalty.storedValue.spend': spendSchema,
  'loyalty.storedValue.setPin': z.object({ cardNumber: cardNumberSchema, pin: pinSchema }).strict(),
  // Called without input, a rebuild runs every part.
  'segments.rebuild': rebuildSchema.nullish(),
};

/** Functions on `crm` that only read (queries), so need no wrong-input run here. */
const READS = new Set([
  'customers.get',
  'customers.search',
  'customers.history',
  'customers.needingReview',
  'customers.duplicatesOf',
  'customers.findDuplicates',
  'customers.listMerges',
  'cards.get',
  'cards.lookup',
  'cards.ofCustomer',
  'purchases.get',
  'purchases.byReceipt',
  'purchases.ofCustomer',
  'purchases.returnsOf',
  'interactions.list',
  'timeline',
  'stores.get',
  'stores.list',
  'stores.calendar',
  'roles.get',
  'staff.get',
  'staff.list',
  'staff.authorityFor',
  'audit.list',
  'imports.checkCustomers',
  'imports.checkSales',
  'loyalty.imports.checkPoints',
  'loyalty.imports.checkStoredValue',
  'loyalty.quote',
  'loyalty.explain',
  'loyalty.contextFor',
  'loyalty.quoteFor',
  'loyalty.balance',
  'loyalty.statement',
  'loyalty.expirySchedule',
  'loyalty.liability',
  'loyalty.saleAward',
  'loyalty.previewReturn',
  'loyalty.tierProgress',
  'loyalty.vouchers.template',
  'loyalty.vouchers.templates',
  'loyalty.vouchers.eligible',
  'loyalty.vouchers.lookup',
  'loyalty.vouchers.get',
  'loyalty.vouchers.ofCustomer',
  'loyalty.vouchers.history',
  'loyalty.storedValue.product',
  'loyalty.storedValue.card',
  'loyalty.storedValue.statement',
  'loyalty.storedValue.ofCustomer',
  'loyalty.storedValue.isCardNumber',
  'loyalty.storedValue.liability',
  'complaints.get',
  'complaints.byNumber',
  'complaints.list',
  'complaints.history',
  'complaints.archive.search',
  'complaints.reports.sla',
  'complaints.reports.causes',
  'complaints.actions.get',
  'complaints.actions.list',
  'complaints.surveys.questionnaires',
  'complaints.surveys.invitations',
  'complaints.surveys.scores',
  'complaints.surveys.satisfaction',
  'complaints.runDue',
  'segments.get',
  'segments.list',
  'segments.match',
  'segments.members',
  'segments.segmentsOf',
  'segments.policyFor',
  'segments.stats',
  'segments.atRisk',
  'segments.distribution',
  'segments.credit.check',
  'segments.credit.status',
  'segments.credit.ledger',
  'segments.keyAccounts.due',
  'segments.keyAccounts.get',
  'segments.reports.structure',
  'segments.recommendations.boughtTogether',
  'segments.recommendations.nextCategories',
  'migrate',
  'runDue',
  'close',
  'commands',
  'queries',
  'segments.forModules.segmentsOf',
  'segments.forModules.policyFor',
]);

/** Registered commands that only wrappers and `runDue` run: no function on `crm` is one of them. */
const INTERNAL_STEPS = [
  String.raw`loyalty\.(expire|release|warn|review)`,
  String.raw`loyalty\.stored-value\.(sell|authorize|spend|set-pin|pin-failed|expire)`,
  String.raw`loyalty\.vouchers\.expire`,
  String.raw`complaints\.(record-remedy|issue-remedy|execute|settle|escalate-due|actions\.escalate-due)`,
  String.raw`surveys\.expire`,
  String.raw`key-accounts\.announce-due`,
  String.raw`segments\.(rebuild|apply-membership)`,
];
const INTERNAL_STEP = new RegExp(`^(${INTERNAL_STEPS.join('|')})`);

/** Every function reachable on `crm` (nested API objects included), by its path. */
function functionsOf(root: object): Map<string, Fn> {
  const out = new Map<string, Fn>();
  const seen = new Set<object>();
  const stack: Array<{ value: object; path: string }> = [{ value: root, path: '' }];
  while (stack.length) {
    const { value, path } = stack.pop()!;
    if (seen.has(value)) continue;
    seen.add(value);
    for (const key of Object.keys(value)) {
      // The store, clock, event bus and outbox are infrastructure, not the command surface.
      if (path === '' && ['store', 'clock', 'events', 'outbox'].includes(key)) continue;
      const child = (value as Record<string, unknown>)[key];
      const at = path ? `${path}.${key}` : key;
      if (typeof child === 'function') out.set(at, child as Fn);
      else if (child !== null && typeof child === 'object') stack.push({ value: child, path: at });
    }
  }
  return out;
}

const functions = functionsOf(chain.crm);
const TARGETS = [...functions]
  .filter(([path, fn]) => isCommand(fn) || path in WRAPPERS)
  .map(([path, fn]) => ({ path, fn, schema: isCommand(fn) ? fn.info.input : WRAPPERS[path]! }));
const SAMPLES = commandSamples(chain.ids);

const isRefusal = (row: Record<string, unknown>) => row['outcome'] === 'refused';
const keepRow = (collection: string, row: Record<string, unknown>) => !(collection === auditLog.name && isRefusal(row));
const baseline = await dumpTables(chain, keepRow);

let keys = 0;
const freshKey = () => `wrong-input-${++keys}`;

function refuses(schema: z.ZodType, value: unknown): boolean {
  try {
    return !schema.safeParse(value).success;
  } catch {
    return true;
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error)
    return `${error.name}: ${error.message.slice(0, 300)}\n${error.stack?.split('\n').slice(1, 6).join('\n')}`;
  return String(error);
}

/** Calls `fn` and checks that it refused with a coded `ClienteleError`. */
async function expectRefused(path: string, fn: Fn, input: unknown, options: unknown): Promise<ErrorCode> {
  let error: unknown = null;
  try {
    await fn(input, options);
  } catch (e) {
    error = e;
  }
  if (error === null) throw new Error(`${path} accepted a wrong input`);
  if (!isClienteleError(error) || !CODES.includes(error.code))
    throw new Error(`${path} threw a raw error: ${describeError(error)}`);
  return error.code;
}

type OptionsPlan =
  | { kind: 'not-an-object'; value: unknown }
  | { kind: 'no-actor'; withKey: boolean }
  | { kind: 'actor'; actor: unknown }
  | { kind: 'actor-poison'; poison: Poison }
  | { kind: 'key'; key: unknown }
  | { kind: 'key-poison'; poison: Poison };

const optionsPlan: fc.Arbitrary<OptionsPlan> = fc.oneof(
  fc.record({
    kind: fc.constant('not-an-object' as const),
    value: fc.constantFrom(undefined, null, 'E-ROOT', 42, [], true),
  }),
  fc.record({ kind: fc.constant('no-actor' as const), withKey: fc.boolean() }),
  fc.record({
    kind: fc.constant('actor' as const),
    actor: fc.oneof(
      wrongValue,
      fc.constantFrom(
        { staffId: 'E-NOBODY' },
        { staffId: 'bad id!' },
        { staffId: '' },
        { system: '' },
        { system: 'x'.repeat(65) },
        { staffId: 'E-ROOT', system: 'x' },
        { staffId: 'E-ROOT', extra: 1 },
        { staffId: 12 },
        { StaffId: 'E-ROOT' },
        [{ staffId: 'E-ROOT' }],
      ),
    ),
  }),
  fc.record({ kind: fc.constant('actor-poison' as const), poison: fc.constantFrom(...POISONS) }),
  fc.record({
    kind: fc.constant('key' as const),
    key: fc.oneof(
      wrongValue,
      fc.constantFrom(
        'short',
        '',
        'x'.repeat(201),
        'key\u0000abcdefgh',
        'key\u001b[0mabcdef',
        'key\ud800abcdefgh',
        12345678,
      ),
    ),
  }),
  fc.record({ kind: fc.constant('key-poison' as const), poison: fc.constantFrom(...POISONS) }),
);

function optionsOf(plan: OptionsPlan): unknown {
  switch (plan.kind) {
    case 'not-an-object':
      return plan.value;
    case 'no-actor':
      return plan.withKey ? { idempotencyKey: freshKey() } : {};
    case 'actor':
      return { actor: plan.actor, idempotencyKey: freshKey() };
    case 'actor-poison':
      return { actor: poisonValue(plan.poison), idempotencyKey: freshKey() };
    case 'key':
      return { ...ROOT, idempotencyKey: plan.key };
    case 'key-poison':
      return { ...ROOT, idempotencyKey: poisonValue(plan.poison) };
  }
}

const optionsSchema = z.object({ actor: actorSchema, idempotencyKey: idempotencyKeySchema.optional() });

/** Whether the options are wrong: malformed, or naming a staff member who does not exist. */
function wrongOptions(options: unknown): boolean {
  if (holdsPoison(options) || refuses(optionsSchema, options)) return true;
  const actor = (options as { actor: Record<string, unknown> }).actor;
  return 'staffId' in actor && actor['staffId'] !== 'E-ROOT';
}

describe('wrong input to any command', () => {
  it('finds every command: each function on crm is a registered command, a known command wrapper, or a read', () => {
    const unclassified = [...functions]
      .filter(([path, fn]) => !isCommand(fn) && !(path in WRAPPERS) && !READS.has(path))
      .map(([path]) => path);
    expect(unclassified).toEqual([]);
    const reached = new Set(TARGETS.map((t) => (isCommand(t.fn) ? t.fn.info.name : undefined)).filter(Boolean));
    // Every registered command is reached from crm, but the internal steps that wrappers and runDue run.
    const unreached = chain.crm
      .commands()
      .filter((c) => !reached.has(c.name))
      .map((c) => c.name);
    for (const name of unreached) expect(name).toMatch(INTERNAL_STEP);
    expect(TARGETS.length).toBeGreaterThanOrEqual(80);
  });

  it('has a valid sample input of every command, accepted by its schema', () => {
    const missing = TARGETS.filter((t) => !SAMPLES[t.path]?.length).map((t) => t.path);
    expect(missing).toEqual([]);
    const invalid = TARGETS.flatMap((t) =>
      (SAMPLES[t.path] ?? []).flatMap((sample, i) => {
        const r = t.schema.safeParse(sample);
        return r.success
          ? []
          : [`${t.path}[${i}]: ${r.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`];
      }),
    );
    expect(invalid).toEqual([]);
  });

  for (const target of TARGETS) {
    it(`${target.path}: refuses ${RUNS} wrong inputs and ${OPTION_RUNS} wrong options with coded errors, ` +
      `changing nothing`, async () => {
      const samples = SAMPLES[target.path] ?? [];
      const codes = new Set<ErrorCode>();
      await fc.assert(
        fc.asyncProperty(planArb(samples.length), async (plan) => {
          const input = materialize(plan, samples);
          // A mutation may by chance give a valid input: only wrong ones count.
          fc.pre(holdsPoison(input) || refuses(target.schema, input));
          codes.add(await expectRefused(target.path, target.fn, input, { ...ROOT, idempotencyKey: freshKey() }));
        }),
        { numRuns: RUNS, maxSkipsPerRun: 20 },
      );
      await fc.assert(
        fc.asyncProperty(fc.nat(), optionsPlan, async (pick, plan) => {
          const options = optionsOf(plan);
          fc.pre(wrongOptions(options));
          await expectRefused(target.path, target.fn, structuredClone(samples[pick % samples.length]), options);
        }),
        { numRuns: OPTION_RUNS, maxSkipsPerRun: 20 },
      );
      expect(codes.has('VALIDATION_FAILED')).toBe(true);
      expect(await dumpTables(chain, keepRow)).toEqual(baseline);
      // 360 attempts each; a PIN check hashes (PBKDF2) on every one that gets that far.
    }, 30_000);
  }
});
