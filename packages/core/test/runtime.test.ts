import { describe, expect, it } from 'vitest';
import { grants } from '../src/runtime/actor.js';
import { canonicalJson, decodeJson, encodeJson, fingerprint } from '../src/json-codec.js';
import { ConflictError, ValidationError, isClienteleError } from '../src/errors.js';
import { sequentialIds, ulidGenerator } from '../src/ids.js';

describe('runtime pieces', () => {
  it('grants exact permissions, families and everything', () => {
    expect(grants(['sales.return'], 'sales.return')).toBe(true);
    expect(grants(['sales.*'], 'sales.void')).toBe(true);
    expect(grants(['sales.*'], 'salesman.hire')).toBe(false);
    expect(grants(['*'], 'customers.erase')).toBe(true);
    expect(grants(['customers.write'], 'customers.erase')).toBe(false);
  });

  it('round-trips dates through stored JSON and hashes canonically', () => {
    const value = { at: new Date('2026-11-02T02:00:00.123Z'), nested: [{ d: new Date(0) }], n: 1 };
    expect(decodeJson(encodeJson(value))).toEqual(value);
    expect(canonicalJson({ b: 1, a: [1, { d: 2, c: undefined }] })).toBe('{"a":[1,{"d":2}],"b":1}');
    expect(fingerprint(canonicalJson({ a: 1, b: 2 }))).toBe(fingerprint(canonicalJson({ b: 2, a: 1 })));
    expect(fingerprint('a')).not.toBe(fingerprint('b'));
    expect(fingerprint('x')).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('recognises its errors by brand, also from another copy of the package', () => {
    const foreign = Object.assign(new Error('x'), { code: 'CONFLICT', [Symbol.for('clientele.error')]: true });
    expect(isClienteleError(foreign, 'CONFLICT')).toBe(true);
    expect(isClienteleError(new Error('x'))).toBe(false);
    expect(isClienteleError({ code: 'CONFLICT' })).toBe(false);
    const v = new ValidationError([{ path: ['lines', 2, 'quantity'], code: 'too_small', message: 'must be positive' }]);
    expect(v).toMatchObject({ code: 'VALIDATION_FAILED', path: ['lines', 2, 'quantity'] });
    expect(v.message).toBe('lines.2.quantity: must be positive');
    expect(new ConflictError('version', 'x').reason).toBe('version');
  });

  it('makes strictly increasing ids within one millisecond', () => {
    const ids = ulidGenerator(() => 1_700_000_000_000);
    const made = Array.from({ length: 1000 }, () => ids.next('cus'));
    expect([...made].sort()).toEqual(made);
    expect(new Set(made).size).toBe(1000);
    expect(sequentialIds().next('pur')).toBe('pur_000001');
  });
});
