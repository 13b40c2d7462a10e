/**
 * Text fields: names, single-line and long text refuse control and bidirectional control characters
 * and text that shows nothing; real names in any script, accents and emoji pass.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { longTextSchema, nameSchema, parseInput, shortTextSchema, singleLineTextSchema } from '../src/validation.js';
import { isClienteleError } from '../src/errors.js';
import { jsonTextProblem, mayBreakJsonTextRules } from '../src/text-rules.js';

const refusal = (schema: Parameters<typeof parseInput>[0], text: unknown): string | null => {
  try {
    parseInput(schema, text, ['name']);
    return null;
  } catch (e) {
    if (!isClienteleError(e, 'VALIDATION_FAILED')) throw e;
    expect(e.path).toEqual(['name']);
    return (e as unknown as { issues: Array<{ code: string }> }).issues[0]!.code;
  }
};

const NAMES = [
  '王芳',
  '欧阳娜娜',
  'José Núñez',
  'Zoë Ångström',
  'Renée O’Brien',
  'Mary-Jane Smith',
  'Łukasz Żółć',
  'Nguyễn Thị Minh Khai',
  'محمد علي',
  'דוד לוי',
  'Ωμέγα',
  'Ёлка',
  'ひらがな',
  '김민준',
  'Ana 🌸',
  '👨‍👩‍👧 Family',
  'Café ☕',
  'e\u0301 combining accent',
  'Dr. A. B. Smith, Jr.',
];

describe('names', () => {
  it('accept names in every script, with accents, combining marks and emoji', () => {
    for (const name of NAMES) expect(refusal(nameSchema, name)).toBeNull();
    expect(parseInput(nameSchema, '  王芳  ')).toBe('王芳');
  });

  it('refuse control characters, bidirectional controls and marks, and names that show nothing', () => {
    const cases: Array<[string, string]> = [
      ['a\u0000b', 'control_character'],
      ['Bell\u0007', 'control_character'],
      ['Esc\u001b[31m', 'control_character'],
      ['line\nbreak', 'control_character'],
      ['tab\there', 'control_character'],
      ['del\u007f', 'control_character'],
      ['next\u0085line', 'control_character'],
      ['para\u2029graph', 'control_character'],
      ['\u202egpj.exe', 'bidi_control'],
      ['a\u202ab', 'bidi_control'],
      ['a\u2066b\u2069', 'bidi_control'],
      ['Anna\u200f', 'bidi_control'],
      ['\u200eAnna', 'bidi_control'],
      ['\u200b', 'no_visible_character'],
      ['\u200b\u200c\u200d\u2060', 'no_visible_character'],
      ['\ufeff\u200b', 'no_visible_character'],
      ['\u0301\u0308', 'no_visible_character'],
      ['\u3164', 'no_visible_character'],
      ['\u2800\u2800', 'no_visible_character'],
      ['\u00a0\u3000\u200b', 'no_visible_character'],
      ['half \ud83d', 'unstorable_text'],
    ];
    for (const [text, code] of cases) expect([text, refusal(nameSchema, text)]).toEqual([text, code]);
    expect(refusal(nameSchema, '   ')).toBe('too_small');
    expect(refusal(nameSchema, 'x'.repeat(201))).toBe('too_big');
  });

  it('refuse any name holding a forbidden character inside it', () => {
    const controls = '\u0000\u0001\u0007\u0008\u000b\u000c\u001b\u001f\u007f\u0080\u0085\u009f';
    const separatorsAndBidi = '\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c';
    const forbidden = fc.constantFrom(...(controls + separatorsAndBidi).split(''));
    fc.assert(
      fc.property(fc.constantFrom(...NAMES), fc.nat(), forbidden, (name, at, bad) => {
        // Inside the name: at either end, whitespace controls are trimmed away before the check.
        const i = 1 + (at % (name.length - 1));
        expect(refusal(nameSchema, name.slice(0, i) + bad + name.slice(i))).not.toBeNull();
      }),
      { numRuns: 300 },
    );
  });
});

describe('single-line and long text', () => {
  it('single-line text takes what names take and directional marks, and refuses line breaks', () => {
    for (const text of NAMES) expect(refusal(shortTextSchema, text)).toBeNull();
    expect(refusal(shortTextSchema, 'Mixed עברית\u200f text')).toBeNull();
    expect(refusal(singleLineTextSchema(500), 'Room 5\nBuilding 2')).toBe('control_character');
    expect(refusal(singleLineTextSchema(500), '上海市人民路1号 3楼')).toBeNull();
  });

  it('long text keeps line feeds, carriage returns and tabs, and refuses other controls and bidi overrides', () => {
    expect(parseInput(longTextSchema, 'First line\r\n\tSecond line\nThird 😀')).toBe(
      'First line\r\n\tSecond line\nThird 😀',
    );
    expect(refusal(longTextSchema, 'ring\u0007')).toBe('control_character');
    expect(refusal(longTextSchema, 'red\u001b[31m')).toBe('control_character');
    expect(refusal(longTextSchema, 'c1\u0090')).toBe('control_character');
    expect(refusal(longTextSchema, 'see \u202eexe.txt')).toBe('bidi_control');
    expect(refusal(longTextSchema, '\n\t\u200b')).toBe('no_visible_character');
    expect(refusal(longTextSchema, 'x'.repeat(4001))).toBe('too_big');
  });

  it('accepts any text of printable characters', () => {
    // Letters or digits to show (Hangul fillers are letters that show nothing), no control or format characters.
    const printable = fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 50 })
      .filter(
        (s) =>
          s.trim().length <= 200 &&
          !/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u.test(s) &&
          /[\p{L}\p{N}]/u.test(s.replace(/[\u115f\u1160\u3164\uffa0]/g, '')),
      );
    fc.assert(
      fc.property(printable, (text) => {
        expect(refusal(nameSchema, text)).toBeNull();
        expect(refusal(longTextSchema, text)).toBeNull();
      }),
      { numRuns: 300 },
    );
  });
});

describe('the screen before the JSON text rules', () => {
  it('lets through no UTF-16 unit that the rules refuse, as a key or as a value', () => {
    // Every unit alone and between letters: a unit the screen passes must break no rule.
    const missed: string[] = [];
    for (let c = 0; c <= 0xffff; c++) {
      if (mayBreakJsonTextRules(c)) continue;
      const unit = String.fromCharCode(c);
      for (const text of [unit, `a${unit}b`])
        if (jsonTextProblem(text, true) || jsonTextProblem(text, false)) missed.push(c.toString(16));
    }
    expect(missed).toEqual([]);
  });
});
