/** The back office's texts: every message is valid ICU in both languages, and the codes it translates read as words. */
import { IntlMessageFormat } from 'intl-messageformat';
import { describe, expect, it } from 'vitest';
import { LOCALES, MESSAGES } from '../src/messages.js';

describe('the back office messages', () => {
  it('parse in every language, with the same keys', () => {
    const keys = Object.keys(MESSAGES.en).sort();
    for (const locale of LOCALES) {
      expect(Object.keys(MESSAGES[locale]).sort()).toEqual(keys);
      for (const [key, text] of Object.entries(MESSAGES[locale]))
        expect(() => new IntlMessageFormat(text, locale), `${locale} ${key}`).not.toThrow();
    }
  });

  it('give the complaints module’s codes as words, and an unknown code as it is', () => {
    const say = (locale: (typeof LOCALES)[number], key: keyof typeof MESSAGES.en, value: string) =>
      String(new IntlMessageFormat(MESSAGES[locale][key], locale).format({ value }));
    expect(say('en', 'label.remedyStatus', 'awaiting_approval')).toBe('Awaiting approval');
    expect(say('zh-CN', 'label.status', 'received')).toBe('已受理');
    expect(say('zh-CN', 'label.severity', 'high')).toBe('高');
    expect(say('en', 'label.status', 'on-hold')).toBe('on-hold');
  });
});
