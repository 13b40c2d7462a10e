/**
 * Finding a person's values in free text: phones in any common formatting, emails in any case, other
 * values as written; and what must not be taken for them (another number, a longer digit run, an amount).
 */
import { describe, expect, it } from 'vitest';
import { nationalDigits, personalValueKind, personalValueMatcher } from '../src/model/personal-values.js';
import { scrubJson } from '../src/index.js';

const mobile = personalValueMatcher(['13987654321']);

describe('a phone in free text', () => {
  it.each([
    '13987654321',
    '139-8765-4321',
    '139 8765 4321',
    '139.8765.4321',
    '(139) 8765-4321',
    '+86 139.8765.4321',
    '+8613987654321',
    '0086 139 8765 4321',
    '8613987654321',
    '(+86) 139-8765-4321',
    '+86-139 8765 4321',
    '139\u00a08765\u00a04321',
  ])('is found written as %s, alone and inside a sentence', (written) => {
    expect(mobile.mentions(written)).toBe(true);
    expect(mobile.mentions(`请回电 ${written}，谢谢`)).toBe(true);
    expect(mobile.find(`call ${written} after 6pm`).join('').replace(/\D/g, '')).toMatch(/^(86|0086)?13987654321$/);
  });

  it('is found in a file name and at the end of a sentence', () => {
    expect(mobile.find('photos/13987654321.jpg')).toEqual(['13987654321']);
    expect(mobile.mentions('Call me on 13987654321.')).toBe(true);
  });

  it.each([
    ['another phone number', '13987654322'],
    ['the same digits in another order', '13987654312'],
    ['a number that starts with it (a receipt number)', 'R1398765432100'],
    ['a number that ends with it', 'R5813987654321'],
    ['a number joined to it by a dash', '2024-13987654321'],
    ['its digits followed by more after a dash', '139-8765-4321-7'],
    ['an amount whose whole part it is', '13987654321.50'],
    ['another country code before it', '+1 3987654321'],
    ['a prefix of it', '1398765432'],
  ])('is not taken for %s', (_what, text) => {
    expect(mobile.mentions(text)).toBe(false);
    expect(mobile.find(`text ${text} text`)).toEqual([]);
  });

  it(
    'is found from any stored form: with the country code stored, the bare number is found, and the other ' +
      'way round',
    () => {
      expect(personalValueMatcher(['+8613987654321']).mentions('139 8765 4321')).toBe(true);
      expect(personalValueMatcher(['008613987654321']).mentions('(139) 8765-4321')).toBe(true);
      expect(nationalDigits('+86 139 8765 4321')).toBe('13987654321');
      expect(nationalDigits('8613987654321')).toBe('13987654321');
      expect(nationalDigits('13987654321')).toBe('13987654321');
    },
  );

  it('finds a landline with or without its trunk 0 after the country code', () => {
    const landline = personalValueMatcher(['02162345678']);
    expect(landline.mentions('021-6234 5678')).toBe(true);
    expect(landline.mentions('+86 21 6234 5678')).toBe(true);
    expect(landline.mentions('(021) 62345678')).toBe(true);
    expect(landline.mentions('6234 5678'), 'without the area code it is any number in any city').toBe(false);
  });

  it('finds another country’s number with + or 00 before it', () => {
    const uk = personalValueMatcher(['+447700900123']);
    expect(uk.mentions('+44 7700 900123')).toBe(true);
    expect(uk.mentions('0044 7700 900 123')).toBe(true);
    expect(uk.mentions('+45 7700 900123')).toBe(false);
  });
});

describe('other values in free text', () => {
  it('finds an email in any case, and not a longer address that contains it as a part', () => {
    const m = personalValueMatcher(['mingyue.ouyang@example.cn']);
    expect(m.mentions('write to MINGYUE.OUYANG@EXAMPLE.CN please')).toBe(true);
    expect(m.mentions('Mingyue.Ouyang@Example.cn')).toBe(true);
    expect(m.mentions('<mingyue.ouyang@example.cn>.')).toBe(true);
    expect(m.mentions('mingyue@example.cn')).toBe(false);
    expect(m.mentions('ximingyue.ouyang@example.cn')).toBe(false);
    expect(m.mentions('mingyue.ouyang@example.cnx.org')).toBe(false);
  });

  it('finds names and addresses as written, and a value that ends in digits not inside a longer number', () => {
    const m = personalValueMatcher(['欧阳明月', '南京西路 1266 号', 'Room 1266']);
    expect(m.mentions('客户欧阳明月投诉')).toBe(true);
    expect(m.mentions('送到南京西路 1266 号')).toBe(true);
    expect(m.mentions('room 1266, second floor')).toBe(true);
    expect(m.mentions('Room 12660')).toBe(false);
    expect(m.mentions('欧阳明')).toBe(false);
  });

  it('ignores values shorter than two characters and classifies values by shape', () => {
    const m = personalValueMatcher(['F', ' ', '']);
    expect(m.values).toEqual([]);
    expect(m.mentions('F')).toBe(false);
    expect(personalValueKind('13987654321')).toBe('phone');
    expect(personalValueKind('+86 139-8765-4321')).toBe('phone');
    expect(personalValueKind('a@b.cn')).toBe('email');
    expect(personalValueKind('1985-09-17'), 'a date is not a phone').toBe('text');
    expect(personalValueKind('200040'), 'six digits are found as written').toBe('text');
  });
});

describe('scrubJson', () => {
  it('replaces every text leaf that mentions a value, whole, and leaves the rest as it was', () => {
    const value = {
      note: 'called back on 139-8765-4321',
      attachments: ['13987654321.jpg', 'receipt.jpg'],
      amount: 13987654321,
      nested: { email: 'MY@EXAMPLE.CN', store: 'S01' },
    };
    const r = scrubJson(value, personalValueMatcher(['13987654321', 'my@example.cn']));
    expect(r.changed).toBe(true);
    expect(r.value).toEqual({
      note: '[erased]',
      attachments: ['[erased]', 'receipt.jpg'],
      amount: 13987654321,
      nested: { email: '[erased]', store: 'S01' },
    });
    expect(scrubJson(value, ['nobody'])).toEqual({ value, changed: false });
  });
});
