/**
 * Erasure of the quote context an award keeps. A return of the sale is worked out again with that
 * context, so it must stay valid and give the same points, yet it holds the member's birth date and
 * tags. Erased, it keeps only what the rules can read: the birth date becomes a stand-in in the same
 * month when the sale fell in the birth month (else null), and of the segment ids and tags only those
 * the program's rules name stay. Everything else in it is codes (store, tier, channel, counters).
 */
import type { CollectionSpec, FieldErasure, JsonValue } from '@clientele/core/module';
import { contextFacts } from './quote-context.js';

/** The year of the stand-in birth date: only its month is ever read. */
const STAND_IN_YEAR = '1900';

/** The texts of a JSON value (a program's configuration: the codes its rules name). */
function textsOf(value: JsonValue, out: Set<string>): Set<string> {
  if (typeof value === 'string') out.add(value);
  else if (Array.isArray(value)) for (const v of value) textsOf(v, out);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) textsOf(v, out);
  return out;
}

/**
 * The erased form of a stored quote context (pure): `named` holds the texts of the program the sale
 * was quoted with. A context that is not one (never written by this module) is returned unchanged.
 */
export function erasedQuoteContext(context: JsonValue, named: ReadonlySet<string>): JsonValue {
  if (context === null || typeof context !== 'object' || Array.isArray(context)) return context;
  const out: Record<string, JsonValue> = { ...context };
  if (typeof context['birthDate'] === 'string') {
    let birthdayMonth = false;
    try {
      birthdayMonth = contextFacts(context).birthdayMonth;
    } catch {
      // Not a context a return could replay: nothing to keep.
    }
    out['birthDate'] = birthdayMonth ? `${STAND_IN_YEAR}-${context['birthDate'].slice(5, 7)}-01` : null;
  }
  if (Array.isArray(context['segments']))
    out['segments'] = context['segments'].filter((s) => typeof s === 'string' && named.has(s));
  return out;
}

const programTexts = new WeakMap<object, Map<string, Set<string>>>();

/**
 * The eraser of `loyalty_awards.context` (see {@link erasedQuoteContext}); reads the program version
 * of the award from `programs`, once per version and erasure.
 */
export function awardContextEraser(programs: () => CollectionSpec) {
  return async (value: JsonValue, erasure: FieldErasure): Promise<JsonValue> => {
    const version = erasure.row['programVersion'];
    let cache = programTexts.get(erasure.session);
    if (!cache) programTexts.set(erasure.session, (cache = new Map()));
    let named = typeof version === 'string' ? cache.get(version) : new Set<string>();
    if (!named) {
      const program = await erasure.session.get(programs(), version as string);
      named = textsOf((program?.['config'] ?? null) as JsonValue, new Set());
      cache.set(version as string, named);
    }
    return erasedQuoteContext(value, named);
  };
}
