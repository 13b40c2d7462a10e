/**
 * The check of a row to insert: a good row passes, and a bad one is refused naming the same field as
 * the field-by-field check, whatever the order of its keys or where its fault lies.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isClienteleError, type ValidationError } from '../src/errors.js';
import { checkRow, goodNewRowCheck } from '../src/store/query.js';
import { defineCollection, field, nullable, type AnyRow } from '../src/store/schema.js';

const accounts = defineCollection({
  name: 'accounts',
  primaryKey: 'id',
  versioned: true,
  fields: {
    id: field.string(),
    holder: nullable(field.string()),
    balance: field.integer(),
    openedAt: field.timestamp(),
    data: nullable(field.json()),
  },
  indexes: [],
});

const good = (): AnyRow => ({ id: 'a1', holder: null, balance: 5, openedAt: new Date(0), data: { tags: ['x'] } });

/** The issue a refused row gets, as `[path, message]`, or null when it passes. */
function refusal(row: AnyRow): [string, string] | null {
  try {
    checkRow(accounts, row, 'insert');
    return null;
  } catch (error) {
    if (!isClienteleError(error, 'VALIDATION_FAILED')) throw error;
    const issue = (error as ValidationError).issues[0]!;
    return [issue.path.join('.'), issue.message];
  }
}

describe('checkRow on insert', () => {
  it('passes a good row, with or without its nullable fields, in any key order', () => {
    expect(refusal(good())).toBeNull();
    expect(refusal({ id: 'a1', balance: 0, openedAt: new Date(0) })).toBeNull();
    const { id, ...rest } = good();
    expect(refusal({ ...rest, id })).toBeNull();
  });

  it('refuses each kind of fault, naming its field', () => {
    expect(refusal({ ...good(), note: 'x' })).toEqual(['accounts.note', 'unknown field note']);
    expect(refusal({ ...good(), holder: undefined })).toEqual(['accounts.holder', 'holder is undefined']);
    expect(refusal({ ...good(), version: 1 })).toEqual(['accounts.version', 'version is managed by the store']);
    expect(refusal({ ...good(), balance: 1.5 })).toEqual(['accounts.balance', 'balance is not a valid integer']);
    expect(refusal({ ...good(), id: 'a\u0000' })).toEqual([
      'accounts.id',
      'id holds U+0000 or a lone surrogate, which no store keeps',
    ]);
    expect(refusal({ ...good(), data: { n: Number.NaN } })).toEqual([
      'accounts.data',
      'data is not a valid nullable json',
    ]);
    const { balance: _, ...missing } = good();
    expect(refusal(missing)).toEqual(['accounts.balance', 'balance is required']);
  });

  it('reports the first fault in the order of the row\u2019s keys', () => {
    expect(refusal({ extra: 1, ...good(), balance: 'x' })).toEqual(['accounts.extra', 'unknown field extra']);
    // The spread keeps `balance` where `good()` has it, before `extra`.
    expect(refusal({ ...good(), extra: 1, balance: 'x' })).toEqual([
      'accounts.balance',
      'balance is not a valid integer',
    ]);
  });

  it('tells a good row from a bad one the same way with generated code, with the loop, and field by field', () => {
    const generated = goodNewRowCheck(accounts, true);
    const loop = goodNewRowCheck(accounts, false);
    const value = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.string(),
      fc.constantFrom('a\u0000', '\ud800', '会员'),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(new Date(0)),
      fc.constant(new Date(Number.NaN)),
      fc.jsonValue(),
    );
    const row = fc.dictionary(fc.constantFrom('id', 'holder', 'balance', 'openedAt', 'data', 'version', 'note'), value);
    fc.assert(
      fc.property(fc.oneof(row, fc.record({ id: fc.string(), balance: fc.integer(), openedAt: fc.date() })), (r) => {
        const good = generated(r);
        expect(loop(r)).toBe(good);
        expect(refusal(r) === null).toBe(good);
      }),
      { numRuns: 2000 },
    );
  });
});
