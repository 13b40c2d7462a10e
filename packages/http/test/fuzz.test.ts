/**
 * Wrong bodies over HTTP: more than a thousand generated wrong inputs across every command route
 * (mutations of a valid input of each: wrong types, missing and extra fields, hostile text, numbers
 * out of range, deep nesting, poisons that survive JSON), garbage that is not JSON at all, and wrong
 * parameters to every read. None is answered with a 5xx; each refusal is a problem with a code; and
 * afterwards every table holds what it held before, but for the audit entries of refusals.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { auditLog } from '@clientele/core/module';
import { commandSamples } from '../../../tests/support/command-samples.js';
import { dumpTables, openFullChain } from '../../../tests/support/full-chain.js';
import { STORE_KINDS } from '../../../tests/support/stores.js';
import { holdsPoison, materialize, oddText, planArb, wrongValue } from '../../../tests/support/wrong-values.js';
import { clienteleApi, operationsOf } from '../src/index.js';
import { call } from './support.js';

/** Wrong bodies per command route (about 90 routes: well over 1,000 in all). */
const RUNS_PER_COMMAND = 14;
const CODES = [
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

const KINDS = STORE_KINDS.filter((k) => k.name !== 'memory');
afterAll(async () => {
  for (const k of KINDS) await k.cleanup();
});

const keepRow = (collection: string, row: Record<string, unknown>) =>
  !(collection === auditLog.name && row['outcome'] === 'refused');

function refuses(schema: z.ZodType, value: unknown): boolean {
  try {
    return !schema.safeParse(value).success;
  } catch {
    return true;
  }
}

/** JSON text of a generated value, or `null` when JSON cannot carry it (a BigInt, a cycle, a trap). */
function jsonOf(value: unknown): string | null {
  try {
    const text = JSON.stringify(value);
    return typeof text === 'string' ? text : null;
  } catch {
    return null;
  }
}

describe.each(KINDS)('wrong requests on $name', async (kind) => {
  const chain = await openFullChain(await kind.open());
  afterAll(() => chain.crm.close());
  const app = clienteleApi(chain.crm, { authenticate: () => ({ staffId: 'E-ROOT' }) });
  const { operations } = operationsOf(chain.crm);
  const commands = operations.filter((o) => o.kind === 'command');
  const reads = operations.filter((o) => o.kind === 'read');
  const samples = commandSamples(chain.ids);
  const baseline = await dumpTables(chain, keepRow);
  let sent = 0;
  let keys = 0;

  /** Sends a request and checks it was refused with a problem, never a 5xx. */
  async function expectRefused(method: string, route: string, init: Parameters<typeof call>[3]) {
    const reply = await call(app, method, route, { idempotencyKey: `fuzz-${kind.name}-${++keys}`, ...init });
    sent++;
    if (reply.status >= 500 || reply.status < 400)
      throw new Error(`${method} ${route} answered ${reply.status}: ${JSON.stringify(reply.body).slice(0, 300)}`);
    expect(reply.type).toBe('application/problem+json');
    expect(CODES).toContain(reply.body.code);
    return reply;
  }

  it('has a valid sample of every command route to mutate', () => {
    expect(commands.filter((c) => !samples[c.name]?.length).map((c) => c.name)).toEqual([]);
    expect(commands.length * RUNS_PER_COMMAND).toBeGreaterThanOrEqual(1000);
  });

  for (const op of commands) {
    it(`${op.route}: refuses ${RUNS_PER_COMMAND} wrong bodies without a 5xx`, async () => {
      const valid = samples[op.name] ?? [];
      await fc.assert(
        fc.asyncProperty(planArb(valid.length), async (plan) => {
          const text = jsonOf(materialize(plan, valid));
          fc.pre(text !== null);
          // What reaches the server is what JSON carried: only bodies still wrong after the trip count.
          const received = JSON.parse(text!);
          fc.pre(holdsPoison(received) || refuses(op.input, received));
          await expectRefused('POST', op.route, { text: text!, type: 'application/json' });
        }),
        { numRuns: RUNS_PER_COMMAND, maxSkipsPerRun: 100 },
      );
    }, 60_000);
  }

  it('refuses bodies that are not JSON, or not JSON typed, on any command route', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...commands),
        fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 })),
        fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/xml'),
        async (op, text, type) => {
          fc.pre(type !== 'application/json' || !isJson(text));
          await expectRefused('POST', op.route, { text, type });
        },
      ),
      { numRuns: 150 },
    );
  }, 60_000);

  it('answers wrong parameters of every read without a 5xx', async () => {
    const params = fc.array(
      fc.tuple(
        fc.oneof(fc.constantFrom('limit', 'after', 'customerId', 'storeId', 'x'), fc.string({ maxLength: 6 })),
        oddText,
      ),
      {
        maxLength: 4,
      },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...reads), params, wrongValue, async (op, pairs, body) => {
        let reply: Awaited<ReturnType<typeof call>>;
        if (op.method === 'get') {
          const query = new URLSearchParams();
          for (const [k, v] of pairs) query.append(k, v);
          reply = await call(app, 'GET', `${op.route}?${query}`);
        } else {
          const text = jsonOf(body);
          fc.pre(text !== null);
          reply = await call(app, 'POST', op.route, { text: text!, type: 'application/json' });
        }
        if (reply.status >= 500) throw new Error(`${op.route} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
      }),
      { numRuns: 300 },
    );
  }, 60_000);

  it(`sent more than 1,000 wrong bodies, and every table holds what it held before`, async () => {
    expect(sent).toBeGreaterThanOrEqual(1000);
    expect(await dumpTables(chain, keepRow)).toEqual(baseline);
  }, 60_000);
});

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
