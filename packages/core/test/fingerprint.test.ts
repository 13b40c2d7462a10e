/**
 * Request fingerprints: SHA-256 (the published test vectors), hashes stored by earlier versions still
 * recognised, and the canonical text they are taken of unchanged for every JSON value and never a
 * raw error for anything else.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, fingerprint, fingerprintMatches, legacyFingerprint } from '../src/json-codec.js';
import { isClienteleError } from '../src/errors.js';

/** The canonical form as earlier versions wrote it (recursive): stored request hashes were taken of this text. */
function previousCanonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return value === undefined ? 'null' : JSON.stringify(value);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(previousCanonicalJson).join(',')}]`;
  const entries = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${previousCanonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

describe('fingerprint', () => {
  it('is the SHA-256 of the UTF-8 text, marked sha256:', () => {
    // FIPS 180-2 test vectors.
    expect(fingerprint('abc')).toBe('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(fingerprint('')).toBe('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(fingerprint('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe(
      'sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
    // UTF-8, not UTF-16: '张' is three bytes e5 bc a0.
    expect(fingerprint('张')).toBe(fingerprint('\u5f20'));
    expect(fingerprint('张')).not.toBe(fingerprint('\u5f21'));
  });

  it('recognises hashes stored by earlier versions (cyrb128, no prefix) and new ones, and only for their text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.string({ maxLength: 200 }), (text, other) => {
        expect(legacyFingerprint(text)).toMatch(/^[0-9a-f]{32}$/);
        expect(fingerprintMatches(legacyFingerprint(text), text)).toBe(true);
        expect(fingerprintMatches(fingerprint(text), text)).toBe(true);
        if (other !== text) {
          expect(fingerprintMatches(legacyFingerprint(text), other)).toBe(false);
          expect(fingerprintMatches(fingerprint(text), other)).toBe(false);
        }
        // A stored SHA-256 is never compared as a legacy hash, nor the reverse.
        expect(fingerprintMatches(fingerprint(text).slice('sha256:'.length), text)).toBe(false);
        expect(fingerprintMatches(`sha256:${legacyFingerprint(text)}`, text)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps the values the earlier fingerprint gave (hashes stored in databases are these)', () => {
    // Computed with `fingerprint` as it shipped before SHA-256.
    expect(legacyFingerprint('abc')).toBe('4664cddf317f7918ec487c9f600d8b09');
    expect(legacyFingerprint('customers.register\n{"kind":"individual","name":"王芳"}')).toBe(
      '7879ba029c73f686c77f7e3da2e74489',
    );
  });
});

describe('canonicalJson', () => {
  it('writes every JSON value (and dates) exactly as before, so stored hashes still match', () => {
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      fc.date({ noInvalidDate: true }),
      fc.object({
        maxDepth: 3,
        values: [fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined), fc.date({ noInvalidDate: true })],
      }),
    );
    fc.assert(
      fc.property(value, (v) => {
        expect(canonicalJson(v)).toBe(previousCanonicalJson(v));
      }),
      { numRuns: 500 },
    );
  });

  it('walks 100,000 levels without overflowing', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = i % 2 ? [deep] : { a: deep };
    const text = canonicalJson(deep);
    expect(text.length).toBe(50_000 * ('{"a":}'.length + '[]'.length) + '1'.length);
    expect(text.startsWith('[{"a":[')).toBe(true);
  });

  it('refuses what has no JSON text with a VALIDATION_FAILED naming the path, never another error', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['b'] = { c: cyclic };
    const cases: Array<[unknown, Array<string | number>, string]> = [
      [{ attributes: { n: 10n } }, ['attributes', 'n'], 'not_json'],
      [{ f: () => 1 }, ['f'], 'not_json'],
      [[1, Symbol('s')], [1], 'not_json'],
      [{ at: new Date(Number.NaN) }, ['at'], 'not_json'],
      [cyclic, ['b', 'c'], 'cyclic'],
      [
        Object.defineProperty({}, 'x', {
          enumerable: true,
          get: () => {
            throw new Error('trap');
          },
        }),
        [],
        'not_json',
      ],
    ];
    for (const [input, path, code] of cases) {
      let error: unknown = null;
      try {
        canonicalJson(input);
      } catch (e) {
        error = e;
      }
      expect(isClienteleError(error, 'VALIDATION_FAILED')).toBe(true);
      expect((error as { path: unknown }).path).toEqual(path);
      expect((error as { issues: Array<{ code: string }> }).issues[0]!.code).toBe(code);
    }
    // A value reached twice without a cycle is written twice.
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: [shared] })).toBe('{"a":{"x":1},"b":[{"x":1}]}');
  });

  it('gives text or a ClienteleError for any value at all', () => {
    fc.assert(
      fc.property(
        fc.anything({
          withBigInt: true,
          withBoxedValues: true,
          withDate: true,
          withMap: true,
          withSet: true,
          withNullPrototype: true,
          withSparseArray: true,
          withTypedArray: true,
          withObjectString: true,
        }),
        (v) => {
          try {
            expect(typeof canonicalJson(v)).toBe('string');
          } catch (e) {
            expect(isClienteleError(e, 'VALIDATION_FAILED')).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
