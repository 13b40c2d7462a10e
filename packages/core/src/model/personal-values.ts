/**
 * Finding a person's values in free text, for erasure. Pure: no I/O.
 *
 * - A phone is found in any common formatting: its digits with spaces, dashes, dots or parentheses
 *   between them, with or without the country code (`+86`, `0086`, `86`, `(+86)`), and with or
 *   without a landline's leading `0` after the country code. It is not found inside a longer run of
 *   digits (a receipt number) nor as the whole part of an amount (`13987654321.50`).
 * - An email is found ignoring case, not as a part of a longer address.
 * - Any other value is found as written, ignoring case; a value that starts or ends with a digit is
 *   not found inside a longer run of digits.
 *
 * Values shorter than two characters are ignored: they would match inside unrelated text.
 */

/** How a value is looked for. */
export type PersonalValueKind = 'phone' | 'email' | 'text';

/** The country code a phone may be written with (mainland China). */
const COUNTRY_CODE = '86';
/** Characters written between a phone's digits. */
const SEPARATOR = '[\\s\\-.()\\u00a0\\u3000]{0,3}';
/** Digits a phone value has at least and at most, as stored (shorter numbers are found as text). */
const PHONE_DIGITS = { min: 7, max: 20 };
const PHONE_SHAPE = /^\+?[\d\s\-.()\u00a0]+$/;
const DATE_SHAPE = /^\d{4}[-./]\d{1,2}[-./]\d{1,2}$/;
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** How a value is looked for: phones by their digits, emails ignoring case, anything else as text. */
export function personalValueKind(value: string): PersonalValueKind {
  const v = value.trim();
  if (EMAIL_SHAPE.test(v)) return 'email';
  if (PHONE_SHAPE.test(v) && !DATE_SHAPE.test(v)) {
    const digits = v.replace(/\D/g, '').length;
    if (digits >= PHONE_DIGITS.min && digits <= PHONE_DIGITS.max) return 'phone';
  }
  return 'text';
}

/**
 * A phone's national digits: without a written country code (`+86`, `0086`, or `86` before an
 * 11-digit mobile number). Other international numbers keep every digit.
 */
export function nationalDigits(phone: string): string {
  const v = phone.trim();
  const digits = v.replace(/\D/g, '');
  if (v.startsWith('+') && digits.startsWith(COUNTRY_CODE)) return digits.slice(COUNTRY_CODE.length);
  if (digits.startsWith(`00${COUNTRY_CODE}`)) return digits.slice(2 + COUNTRY_CODE.length);
  if (digits.length === 13 && digits.startsWith(`${COUNTRY_CODE}1`)) return digits.slice(COUNTRY_CODE.length);
  return digits;
}

/** The pattern of a phone in any common formatting (see the module's notes). */
function phonePattern(phone: string): string {
  const v = phone.trim();
  const national = nationalDigits(phone);
  const spaced = (digits: string) => digits.split('').join(SEPARATOR);
  const country = `(?:\\(?\\s*(?:\\+|00)?\\s*${COUNTRY_CODE}\\s*\\)?${SEPARATOR})`;
  let body: string;
  if (v.startsWith('+') && !v.replace(/\D/g, '').startsWith(COUNTRY_CODE)) {
    // Another country's number: its digits, with `+` or `00` before them or not.
    body = `(?:(?:\\+|00)\\s*)?${spaced(national)}`;
  } else if (national.startsWith('0')) {
    // A landline: `021 6234 5678`, or `+86 21 6234 5678` (the trunk 0 dropped after the country code).
    body = `(?:${country}(?:0${SEPARATOR})?|0${SEPARATOR})${spaced(national.slice(1))}`;
  } else {
    body = `${country}?${spaced(national)}`;
  }
  // Not inside a longer run of digits (joined directly or by a dash or dot), nor the whole part of an amount.
  return `(?<![\\d+])(?<!\\d[\\-.])${body}(?![\\-.]?\\d)`;
}

/** An email as written (any case), not as the tail or head of a longer address. */
function emailPattern(email: string): string {
  return `(?<![\\w.%+-])${escapeRegex(email.trim())}(?![\\w-]|\\.\\w)`;
}

function textPattern(text: string): string {
  const p = escapeRegex(text);
  return `${/^\d/.test(text) ? '(?<!\\d)' : ''}${p}${/\d$/.test(text) ? '(?!\\d)' : ''}`;
}

/** Finds a person's values in text. */
export interface PersonalValueMatcher {
  /** Whether the text mentions any of the values. */
  mentions(text: string): boolean;
  /** The spans of the text that are mentions, in order (for tests and for showing what was found). */
  find(text: string): string[];
  /** The values looked for (two characters or more), longest first. */
  readonly values: readonly string[];
}

/** Builds a matcher for a person's values (see the module's notes for what counts as a mention). */
export function personalValueMatcher(values: Iterable<string>): PersonalValueMatcher {
  const kept = [...new Set([...values].map((v) => v.trim()).filter((v) => [...v].length >= 2))].sort(
    (a, b) => b.length - a.length || (a < b ? -1 : 1),
  );
  const patterns = kept.map((v) => {
    const kind = personalValueKind(v);
    if (kind === 'email') return emailPattern(v);
    return kind === 'phone' && nationalDigits(v).length >= PHONE_DIGITS.min ? phonePattern(v) : textPattern(v);
  });
  const source = patterns.length ? patterns.join('|') : '(?!)';
  const test = new RegExp(source, 'iu');
  return {
    values: kept,
    mentions: (text) => patterns.length > 0 && test.test(text),
    find: (text) => (patterns.length ? [...text.matchAll(new RegExp(source, 'giu'))].map((m) => m[0]) : []),
  };
}
