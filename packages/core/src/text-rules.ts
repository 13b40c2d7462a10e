/**
 * What free text may hold. Names, addresses and single-line text refuse every control character and
 * the bidirectional embedding, override and isolate characters (which can make text display as
 * something other than what is stored); long text allows line feed, carriage return and tab.
 * Text that shows nothing (only spaces, zero-width characters or lone combining marks) is refused.
 * Refused, not stripped: what is stored is exactly what was sent.
 */

/** How strict a text field is. */
export type TextKind = 'name' | 'line' | 'multiline';

/** Why a text was refused: the issue `code` and its message. */
export interface TextProblem {
  code: 'control_character' | 'bidi_control' | 'no_visible_character' | 'unstorable_text';
  message: string;
}

// C0 (U+0000-U+001F), DEL (U+007F), C1 (U+0080-U+009F), and the line and paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
// The same but for line feed, carriage return and tab, which long text may hold.
const CONTROL_BUT_LINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029]/;
// Embeddings and overrides (U+202A-U+202E) and isolates (U+2066-U+2069).
const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069]/;
// Directional marks (LRM, RLM, ALM): invisible, so refused in names only.
const BIDI_MARK = /[\u200e\u200f\u061c]/;
// With the `u` flag a surrogate class matches only unpaired surrogates: no store keeps them exactly.
const LONE_SURROGATE = /[\ud800-\udfff]/u;
// Letters, digits, punctuation and symbols show something; marks alone and spacing do not.
const VISIBLE = /[\p{L}\p{N}\p{P}\p{S}]/u;
// Characters of those classes that still show nothing: Hangul fillers and the blank braille pattern.
const BLANK_LOOKALIKES = /[\u115f\u1160\u3164\uffa0\u2800]/gu;

/** The first rule `text` breaks for a field of this kind, or `null` when it is fine. */
export function textProblem(text: string, kind: TextKind): TextProblem | null {
  if (LONE_SURROGATE.test(text))
    return { code: 'unstorable_text', message: 'must not contain an unpaired UTF-16 surrogate' };
  if ((kind === 'multiline' ? CONTROL_BUT_LINES : CONTROL).test(text)) {
    return {
      code: 'control_character',
      message:
        kind === 'multiline'
          ? 'must not contain control characters other than line breaks and tabs'
          : 'must not contain control characters or line breaks',
    };
  }
  if (BIDI_CONTROL.test(text) || (kind === 'name' && BIDI_MARK.test(text))) {
    return {
      code: 'bidi_control',
      message:
        kind === 'name'
          ? 'must not contain bidirectional control characters or marks'
          : 'must not contain bidirectional override or isolate characters',
    };
  }
  if (!VISIBLE.test(text.replace(BLANK_LOOKALIKES, '')))
    return { code: 'no_visible_character', message: 'must contain a visible character' };
  return null;
}

/**
 * Whether the UTF-16 unit `c` is one that {@link jsonTextProblem}'s expressions look for (a control
 * character, a line or paragraph separator, a bidirectional control, a surrogate): text with none of
 * them breaks no rule there, so a caller that reads every unit anyway can skip the expressions. Kept
 * beside the expressions: a character added to them must be added here.
 */
export function mayBreakJsonTextRules(c: number): boolean {
  return c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x2028 && c <= 0x2069) || (c >= 0xd800 && c <= 0xdfff);
}

/**
 * The first rule a string inside JSON-shaped input breaks: the long-text rules without the need for
 * a visible character (an empty string is a value like any other). Keys follow the single-line rules.
 */
export function jsonTextProblem(text: string, key: boolean): TextProblem | null {
  if (LONE_SURROGATE.test(text))
    return { code: 'unstorable_text', message: 'must not contain an unpaired UTF-16 surrogate' };
  if ((key ? CONTROL : CONTROL_BUT_LINES).test(text))
    return {
      code: 'control_character',
      message: key
        ? 'keys must not contain control characters'
        : 'must not contain control characters other than line breaks and tabs',
    };
  if (BIDI_CONTROL.test(text))
    return { code: 'bidi_control', message: 'must not contain bidirectional override or isolate characters' };
  return null;
}
