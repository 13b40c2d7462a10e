import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isClienteleError, type ValidationError } from '@clientele/core';
import {
  compileCondition,
  conditionRegistry,
  defineConditionKind,
  evaluatePredicate,
  pushdownTerms,
  MAX_PUSHDOWN_TERMS,
  type SegmentConditionKind,
} from '@clientele/segments';

const registry = conditionRegistry();
const now = new Date('2026-06-01T00:00:00Z');
const DAY = 86_400_000;

function issuesOf(definition: unknown, reg = registry) {
  try {
    compileCondition(definition, reg);
  } catch (error) {
    expect(isClienteleError(error, 'VALIDATION_FAILED')).toBe(true);
    return (error as ValidationError).issues.map((i) => ({ path: i.path.join('.'), code: i.code }));
  }
  throw new Error('expected a validation error');
}

describe('segment definitions', () => {
  it('name the path of an unknown field, a type mismatch and an unknown condition kind, all at once', () => {
    expect(
      issuesOf({
        any: [
          { field: 'visits', op: 'gte', value: 3 },
          { field: 'vists', op: 'gte', value: 3 },
          {
            all: [
              { field: 'visits', op: 'gte', value: 'ten' },
              { field: 'lastPurchaseAt', op: 'lt', value: { daysAgo: 90 } },
            ],
          },
          { condition: 'birthday-month' },
        ],
      }),
    ).toEqual([
      { path: 'definition.any.1.field', code: 'unknown_field' },
      { path: 'definition.any.2.all.0.value', code: 'type_mismatch' },
      { path: 'definition.any.3.condition', code: 'unknown_condition' },
    ]);
  });

  it('check args of named condition kinds against their schema, and the shape itself', () => {
    expect(issuesOf({ condition: 'inactive-for-days', args: { days: -5 } })).toEqual([
      { path: 'definition.args.days', code: 'too_small' },
    ]);
    expect(issuesOf({ condition: 'rfm-group', args: { groups: [] } })[0]!.path).toBe('definition.args.groups');
    expect(issuesOf({ field: 'visits', op: 'about', value: 1 })[0]!.path).toMatch(/^definition/);
    expect(issuesOf({ all: [] })[0]!.path).toMatch(/^definition/);
    expect(issuesOf({ field: 'keyAccount', op: 'gt', value: true })).toEqual([
      { path: 'definition.op', code: 'type_mismatch' },
    ]);
    expect(issuesOf({ field: 'lastPurchaseAt', op: 'in', value: ['2026-01-01'] })).toEqual([
      { path: 'definition.value', code: 'type_mismatch' },
    ]);
    expect(issuesOf({ field: 'tags', op: 'eq', value: 'vip' })).toEqual([
      { path: 'definition.value', code: 'type_mismatch' },
    ]);
  });

  it('evaluate with SQL null semantics, relative dates and residual fields', () => {
    const p = compileCondition(
      {
        all: [
          { field: 'lastPurchaseAt', op: 'lt', value: { daysAgo: 90 } },
          { field: 'region', op: 'ne', value: 'East' },
        ],
      },
      registry,
    );
    const row = (lastDaysAgo: number | null, region: string | null) => ({
      stats: { lastPurchaseAt: lastDaysAgo === null ? null : new Date(now.getTime() - lastDaysAgo * DAY), region },
    });
    expect(evaluatePredicate(p, row(91, 'West'), now)).toBe(true);
    expect(evaluatePredicate(p, row(89, 'West'), now)).toBe(false);
    expect(evaluatePredicate(p, row(91, 'East'), now)).toBe(false);
    // ne and lt never match null, as in SQL and the port's filters.
    expect(evaluatePredicate(p, row(91, null), now)).toBe(false);
    expect(evaluatePredicate(p, row(null, 'West'), now)).toBe(false);
    const nul = compileCondition({ field: 'region', op: 'isNull', value: true }, registry);
    expect(evaluatePredicate(nul, row(1, null), now)).toBe(true);
    const tagged = compileCondition(
      {
        any: [
          { condition: 'has-tag', args: { tag: 'vip' } },
          { field: 'attributes.tier', op: 'eq', value: 'gold' },
          { condition: 'bought-category', args: { category: 'wine', minSpend: 500 } },
        ],
      },
      registry,
    );
    expect(evaluatePredicate(tagged, { stats: {}, tags: ['vip'] }, now)).toBe(true);
    expect(evaluatePredicate(tagged, { stats: {}, attributes: { tier: 'gold' } }, now)).toBe(true);
    expect(evaluatePredicate(tagged, { stats: {}, categories: { wine: 500 } }, now)).toBe(true);
    expect(
      evaluatePredicate(
        tagged,
        { stats: {}, tags: ['x'], attributes: { tier: 'silver' }, categories: { wine: 499 } },
        now,
      ),
    ).toBe(false);
    const between = compileCondition({ field: 'spend', op: 'between', value: [100, 200] }, registry);
    expect([99, 100, 200, 201].map((spend) => evaluatePredicate(between, { stats: { spend } }, now))).toEqual([
      false,
      true,
      true,
      false,
    ]);
  });

  it('turn into port filters in disjunctive normal form, keeping in memory what a filter cannot hold', () => {
    const p = compileCondition(
      {
        all: [
          {
            any: [
              { field: 'kind', op: 'eq', value: 'organisation' },
              { field: 'valueClass', op: 'eq', value: 'A' },
            ],
          },
          { field: 'spend', op: 'gte', value: 100 },
          { field: 'spend', op: 'gte', value: 500 },
          { condition: 'has-tag', args: { tag: 'vip' } },
          { field: 'lastPurchaseAt', op: 'gte', value: { daysAgo: 30 } },
        ],
      },
      registry,
    );
    const terms = pushdownTerms(p, now)!;
    expect(terms).toHaveLength(2);
    expect(terms[0]!.where).toEqual({
      kind: { eq: 'organisation' },
      spend: { gte: 100 },
      lastPurchaseAt: { gte: new Date(now.getTime() - 30 * DAY) },
    });
    expect(terms[0]!.residual.map((r) => r.type)).toEqual(['compare', 'tag']);
    expect(terms[1]!.where['valueClass']).toEqual({ eq: 'A' });
    const wide = compileCondition(
      {
        all: Array.from({ length: 7 }, (_, i) => ({
          any: [
            { field: 'visits', op: 'eq', value: i },
            { field: 'spend', op: 'eq', value: i },
          ],
        })),
      },
      registry,
    );
    expect(2 ** 7).toBeGreaterThan(MAX_PUSHDOWN_TERMS);
    expect(pushdownTerms(wide, now)).toBeNull();
  });

  it('let a retailer register a condition kind (the Vendure model) and refuse a code twice', () => {
    const bigSpender: SegmentConditionKind<{ yuan: number }> = defineConditionKind({
      code: 'big-spender',
      description: 'spent at least so many yuan in the window',
      args: z.object({ yuan: z.number().int().min(1) }).strict(),
      build: (a) => ({
        all: [
          { field: 'windowSpend', op: 'gte', value: a.yuan * 100 },
          { field: 'kind', op: 'eq', value: 'individual' },
        ],
      }),
    });
    const reg = conditionRegistry([bigSpender as unknown as SegmentConditionKind<never>]);
    const p = compileCondition({ condition: 'big-spender', args: { yuan: 1000 } }, reg);
    expect(evaluatePredicate(p, { stats: { windowSpend: 100_000, kind: 'individual' } }, now)).toBe(true);
    expect(evaluatePredicate(p, { stats: { windowSpend: 99_999, kind: 'individual' } }, now)).toBe(false);
    expect(issuesOf({ condition: 'big-spender', args: { yuan: 0 } }, reg)).toEqual([
      { path: 'definition.args.yuan', code: 'too_small' },
    ]);
    expect(() =>
      conditionRegistry([
        bigSpender as unknown as SegmentConditionKind<never>,
        bigSpender as unknown as SegmentConditionKind<never>,
      ]),
    ).toThrow(/twice/);
  });
});
