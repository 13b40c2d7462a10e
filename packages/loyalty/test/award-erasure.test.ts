/**
 * An award's quote context after its member is erased: no birth date and no tag the rules do not
 * name, yet a return replays it to the same points (the birthday month and the named tags stay).
 */
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '@clientele/core';
import { compileProgram, quote, type QuoteContext } from '../src/index.js';
import { erasedQuoteContext } from '../src/award-erasure.js';
import { PROGRAM } from './support.js';

const CONFIG = {
  ...PROGRAM,
  earn: [
    ...PROGRAM.earn,
    { id: 'birthday', name: 'Birthday', kind: 'bonus' as const, points: 200, when: { birthdayMonth: true as const } },
    { id: 'vip', name: 'VIP', kind: 'bonus' as const, points: 70, when: { segment: ['vip'] } },
  ],
};
const program = compileProgram(CONFIG);
const named = (function texts(v: unknown, out: Set<string>): Set<string> {
  if (typeof v === 'string') out.add(v);
  else if (Array.isArray(v)) v.forEach((x) => texts(x, out));
  else if (v && typeof v === 'object') Object.values(v).forEach((x) => texts(x, out));
  return out;
})(CONFIG, new Set());

const basket = { lines: [{ sku: 'MILK', category: 'dairy', quantity: 4, unitPrice: 1250 }] };
// A Monday in November, Shanghai time.
const context = (birthDate: string | null) => ({
  at: '2026-11-02T02:00:00.000Z',
  timeZone: 'Asia/Shanghai',
  storeId: 'S01',
  channel: 'store',
  customerId: 'cus_1',
  tier: 'standard',
  segments: ['vip', 'wine-lover-紫禁', 'SEG-HIGH'],
  firstPurchase: false,
  birthDate,
  counters: {},
});
const points = (c: JsonValue) =>
  quote(program, basket, { ...(c as object), at: new Date((c as { at: string }).at) } as QuoteContext).points;

describe('the erased quote context of an award', () => {
  it('keeps the birthday month as a stand-in date when the sale fell in it, and the same points', () => {
    const before = context('1985-11-17');
    const after = erasedQuoteContext(before, named) as Record<string, JsonValue>;
    expect(after['birthDate']).toBe('1900-11-01');
    expect(after['segments']).toEqual(['vip']);
    expect(JSON.stringify(after)).not.toMatch(/1985|wine-lover|SEG-HIGH/);
    expect(points(before)).toBe(5 + 200 + 70);
    expect(points(after)).toBe(points(before));
  });

  it('drops the birth date when the sale fell in another month, with the same points', () => {
    const before = context('1985-09-17');
    const after = erasedQuoteContext(before, named) as Record<string, JsonValue>;
    expect(after['birthDate']).toBeNull();
    expect(points(before)).toBe(5 + 70);
    expect(points(after)).toBe(points(before));
  });

  it('leaves everything else as it was, and a value that is no context unchanged', () => {
    const before = context(null);
    const after = erasedQuoteContext(before, new Set()) as Record<string, JsonValue>;
    expect(after).toEqual({ ...before, segments: [] });
    expect(erasedQuoteContext(['x'], named)).toEqual(['x']);
    expect(erasedQuoteContext(null, named)).toBeNull();
  });
});
