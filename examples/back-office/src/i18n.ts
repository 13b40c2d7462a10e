/** Texts through FormatJS's ICU message formatter; money and dates in the reader's language. */
import { formatMoney } from '@clientele/core';
import { IntlMessageFormat } from 'intl-messageformat';
import { LOCALES, MESSAGES, type Locale, type MessageKey } from './messages.js';

/** What a page writes with: its texts, money and times in one language. */
export interface Words {
  readonly locale: Locale;
  /** A message with its values. */
  t(key: MessageKey, values?: Record<string, string | number>): string;
  /** Minor units in the chain's currency, as the language writes it. */
  money(minor: number): string;
  /** An instant as a local date and time in the chain's time zone. */
  dateTime(at: string | Date | null | undefined): string;
  /** An instant, or a `YYYY-MM-DD` day, as a local date. */
  date(at: string | Date | null | undefined): string;
}

const compiled = new Map<string, IntlMessageFormat>();

/** Whether a text is one of the back office's languages. */
export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** The words of one language, for a chain with `currency` in `timeZone`. */
export function wordsFor(locale: Locale, settings: { currency: string; timeZone: string }): Words {
  const dateTime = new Intl.DateTimeFormat(locale, {
    timeZone: settings.timeZone,
    dateStyle: 'medium',
    timeStyle: 'short',
  });
  const date = new Intl.DateTimeFormat(locale, { timeZone: settings.timeZone, dateStyle: 'medium' });
  return {
    locale,
    t(key, values) {
      const id = `${locale}\u0000${key}`;
      let format = compiled.get(id);
      if (!format) {
        format = new IntlMessageFormat(MESSAGES[locale][key], locale);
        compiled.set(id, format);
      }
      return String(format.format(values));
    },
    money: (minor) => formatMoney(minor, settings.currency, locale),
    dateTime: (at) => (at ? dateTime.format(new Date(at)) : '—'),
    date: (at) => {
      if (!at) return '—';
      // A bare day is a calendar date, not an instant: show it in UTC so no zone moves it.
      if (typeof at === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(at))
        return new Intl.DateTimeFormat(locale, { timeZone: 'UTC', dateStyle: 'medium' }).format(new Date(at));
      return date.format(new Date(at));
    },
  };
}
