/**
 * The check of JSON-shaped input: plain JSON only, within a depth and a size, measured exactly, and
 * no input (however deep, big, cyclic or hostile) makes it throw or recurse.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { DEFAULT_JSON_LIMITS, plainJsonIssue } from '../src/plain-json.js';
import { importBatchSchema } from '../src/model/import-rows.js';
import {
  jsonObjectSchema,
  jsonValueSchema,
  parseCommandInput,
  parseInput,
  refuseProtoKeys,
} from '../src/validation.js';
import { isClienteleError } from '../src/errors.js';

const LOOSE = { maxDepth: 10_000, maxBytes: 1e12 };

/** Levels of arrays and objects, as the limits count them. */
function depthOf(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  const children = Array.isArray(v) ? v : Object.values(v as object);
  return 1 + Math.max(0, ...children.map(depthOf));
}

const bytesOf = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)).length;

/** JSON values the check accepts without limits (fast-check's strings hold control characters at times). */
const json = fc.jsonValue({ maxDepth: 5 }).filter((v) => plainJsonIssue(v, LOOSE) === null);

describe('plainJsonIssue', () => {
  it('measures size as the UTF-8 bytes of the JSON text, exactly', () => {
    fc.assert(
      fc.property(json, (v) => {
        const bytes = bytesOf(v);
        expect(plainJsonIssue(v, { maxDepth: 100, maxBytes: bytes })).toBeNull();
        expect(plainJsonIssue(v, { maxDepth: 100, maxBytes: bytes - 1 })?.code).toBe('too_large');
      }),
      { numRuns: 400 },
    );
  });

  it('counts depth as levels of arrays and objects', () => {
    fc.assert(
      fc.property(json, (v) => {
        const depth = depthOf(v);
        expect(plainJsonIssue(v, { maxDepth: depth, maxBytes: 1e9 })).toBeNull();
        if (depth > 0) expect(plainJsonIssue(v, { maxDepth: depth - 1, maxBytes: 1e9 })?.code).toBe('too_deep');
      }),
      { numRuns: 400 },
    );
  });

  it('stops 30,000 levels down at the limit, naming the first level too deep', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 30_000; i++) deep = { a: [deep] };
    const issue = plainJsonIssue({ attributes: deep }, DEFAULT_JSON_LIMITS, ['input']);
    expect(issue?.code).toBe('too_deep');
    // Level 1 is the outer object; the 33rd level is the first past 32.
    expect(issue?.path.length).toBe(1 + 32);
    expect(issue?.path.slice(0, 4)).toEqual(['input', 'attributes', 'a', 0]);
  });

  it('refuses 5 MB of text against 64 KiB, and accepts 64 KiB exactly', () => {
    expect(plainJsonIssue({ note: 'x'.repeat(5 * 1024 * 1024) })?.code).toBe('too_large');
    const fits = { note: 'x'.repeat(DEFAULT_JSON_LIMITS.maxBytes - '{"note":""}'.length) };
    expect(bytesOf(fits)).toBe(65_536);
    expect(plainJsonIssue(fits)).toBeNull();
    expect(plainJsonIssue({ note: `${fits.note}x` })?.code).toBe('too_large');
    // Three bytes per character of Chinese text.
    expect(bytesOf({ note: '长'.repeat(21_841) })).toBe(65_534);
    expect(plainJsonIssue({ note: '长'.repeat(21_841) })).toBeNull();
    expect(plainJsonIssue({ note: '长'.repeat(21_842) })?.code).toBe('too_large');
  });

  it('refuses what is not plain JSON, naming where', () => {
    const cyclic: Record<string, unknown> = { a: [1] };
    (cyclic['a'] as unknown[]).push({ back: cyclic });
    class Point {
      x = 1;
    }
    const cases: Array<[unknown, Array<string | number>, string]> = [
      [{ n: 1n }, ['n'], 'not_json'],
      [{ f: () => 1 }, ['f'], 'not_json'],
      [{ s: Symbol('s') }, ['s'], 'not_json'],
      [{ u: undefined }, ['u'], 'not_json'],
      [[1, Number.NaN], [1], 'not_json'],
      [{ i: Number.POSITIVE_INFINITY }, ['i'], 'not_json'],
      [{ d: new Date(0) }, ['d'], 'not_json'],
      [{ m: new Map() }, ['m'], 'not_json'],
      [{ p: new Point() }, ['p'], 'not_json'],
      [{ b: new String('x') }, ['b'], 'not_json'],
      [{ t: new Uint8Array(2) }, ['t'], 'not_json'],
      // eslint-disable-next-line no-sparse-arrays
      [[1, , 3], [1], 'not_json'],
      [{ [Symbol('k')]: 1 }, [], 'not_json'],
      [JSON.parse('{"a":{"__proto__":{"polluted":true}}}'), ['a', '__proto__'], 'forbidden_key'],
      [cyclic, ['a', 1, 'back'], 'cyclic'],
      [{ text: 'ring\u0007' }, ['text'], 'control_character'],
      [{ text: 'red\u001b[31m' }, ['text'], 'control_character'],
      [{ 'ke\ny': 1 }, ['ke\ny'], 'control_character'],
      [{ text: '\u202eexe.txt' }, ['text'], 'bidi_control'],
      [{ text: 'half \ud83d' }, ['text'], 'unstorable_text'],
      // Each range the text rules look at, past plain text in the same string.
      [{ text: '会员 \udc00' }, ['text'], 'unstorable_text'],
      [{ text: '会员 \u007f' }, ['text'], 'control_character'],
      [{ text: '会员 \u0085' }, ['text'], 'control_character'],
      [{ 'key\u2028': 1 }, ['key\u2028'], 'control_character'],
      [{ text: '会员 \u2066x' }, ['text'], 'bidi_control'],
      [
        Object.defineProperty({}, 'g', {
          enumerable: true,
          get: () => {
            throw new Error('trap');
          },
        }),
        ['g'],
        'not_json',
      ],
      [
        new Proxy(
          {},
          {
            ownKeys: () => {
              throw new Error('trap');
            },
          },
        ),
        [],
        'not_json',
      ],
    ];
    for (const [value, path, code] of cases) expect(plainJsonIssue(value)).toMatchObject({ path, code });
    // Text may span lines; a value reached twice without a cycle is fine; null-prototype objects are plain.
    const shared = { x: 1 };
    expect(
      plainJsonIssue({
        note: 'one\r\ntwo\tthree',
        a: shared,
        b: [shared],
        c: Object.assign(Object.create(null), { k: 'v' }),
      }),
    ).toBeNull();
  });

  it('never throws, whatever it is given', () => {
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
          const issue = plainJsonIssue(v);
          if (issue) expect(typeof issue.code).toBe('string');
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('JSON schemas', () => {
  it('report the issue at its full path with VALIDATION_FAILED', () => {
    const attributes = jsonObjectSchema();
    let error: unknown;
    try {
      parseInput(attributes, { pets: ['cat', 10n] }, ['attributes']);
    } catch (e) {
      error = e;
    }
    expect(isClienteleError(error, 'VALIDATION_FAILED')).toBe(true);
    expect(error).toMatchObject({ path: ['attributes', 'pets', 1], issues: [{ code: 'not_json' }] });
    expect(() => parseInput(attributes, ['not', 'an', 'object'])).toThrow(/expected an object/);
    expect(parseInput(jsonValueSchema({ maxDepth: 2 }), [[1]])).toEqual([[1]]);
    expect(() => parseInput(jsonValueSchema({ maxDepth: 2 }), [[[1]]])).toThrow(/at most 2 levels/);
  });
});

describe('refuseProtoKeys, run on every command input', () => {
  const schema = z.object({ answers: z.record(z.string(), z.number()), at: z.date() }).strict();
  const withProto = (value: unknown) => {
    const answers: Record<string, unknown> = { q1: 4 };
    Object.defineProperty(answers, '__proto__', { value, enumerable: true, writable: true, configurable: true });
    return { answers, at: new Date(0) };
  };

  it('refuses one anywhere in the input, with its path, though a zod record would drop it', () => {
    // The record alone accepts it (and drops the key): the boundary must not.
    expect(schema.safeParse(withProto('x'.repeat(100_000))).success).toBe(true);
    for (const value of ['x'.repeat(100_000), 5, { polluted: true }]) {
      let caught: unknown;
      try {
        const input = withProto(value);
        parseInput(schema, input, ['input']);
        refuseProtoKeys(input, ['input']);
      } catch (error) {
        caught = error;
      }
      expect(caught).toMatchObject({ code: 'VALIDATION_FAILED', path: ['input', 'answers', '__proto__'] });
      expect((caught as { issues: Array<{ code: string }> }).issues[0]!.code).toBe('forbidden_key');
    }
  });

  it('is not run again on an import batch, whose schema refuses one at any depth itself', () => {
    const cases: Array<[string, Array<string | number>, string]> = [
      ['{"rows":[{"a":1}],"__proto__":{"x":1}}', [], 'unrecognized_keys'],
      ['{"rows":[{"__proto__":1}]}', ['rows', 0, '__proto__'], 'forbidden_key'],
      [
        '{"rows":[{"a":1},{"b":[{"c":{"__proto__":{"x":1}}}]}]}',
        ['rows', 1, 'b', 0, 'c', '__proto__'],
        'forbidden_key',
      ],
    ];
    for (const [text, path, code] of cases) {
      let caught: unknown;
      try {
        parseCommandInput(importBatchSchema, JSON.parse(text));
      } catch (error) {
        caught = error;
      }
      expect(caught).toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ path, code }] });
    }
    expect(parseCommandInput(importBatchSchema, { rows: [{ a: { b: [1] } }] })).toEqual({ rows: [{ a: { b: [1] } }] });
  });

  it('passes inputs without one, instances and cycles included', () => {
    const cyclic: Record<string, unknown> = { q1: 1 };
    const loose = z.object({ answers: z.record(z.string(), z.number()), at: z.date(), extra: z.unknown() });
    cyclic['self'] = cyclic;
    const input = { answers: { q1: 4, q2: 5 }, at: new Date(0), extra: cyclic };
    expect(parseInput(loose, input)).toMatchObject({ answers: { q1: 4, q2: 5 } });
    expect(() => refuseProtoKeys(input)).not.toThrow();
  });
});
