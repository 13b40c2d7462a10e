/**
 * The check every JSON-shaped input passes before anything else reads it (customer attributes,
 * segment definitions, activity payloads, remedy results): plain JSON, not too deep, not too big.
 * It walks the value with its own stack, never by recursion, so no input can overflow the call stack,
 * and it stops at the first problem or as soon as a limit is passed, so no input makes it slow.
 */
import type { ValidationIssue } from './errors.js';
import { jsonTextProblem, mayBreakJsonTextRules } from './text-rules.js';

/** Bounds of one JSON-shaped input value. */
export interface JsonLimits {
  /** Most levels of arrays and objects: `{}` and `[]` are 1 level, `{ "a": [1] }` is 2. */
  readonly maxDepth: number;
  /** Most bytes of the value's JSON text in UTF-8, without whitespace. */
  readonly maxBytes: number;
}

/** The default bounds of a JSON-shaped input: 32 levels and 64 KiB (65,536 bytes) of JSON text. */
export const DEFAULT_JSON_LIMITS: JsonLimits = Object.freeze({ maxDepth: 32, maxBytes: 64 * 1024 });

type Path = Array<string | number>;

interface Frame {
  value: unknown;
  depth: number;
  parent: Frame | null;
  key: string | number | null;
}

function pathOf(frame: Frame | null, prefix: ReadonlyArray<string | number>): Path {
  const keys: Array<string | number> = [];
  for (let f = frame; f && f.key !== null; f = f.parent) keys.push(f.key);
  return [...prefix, ...keys.reverse()];
}

/**
 * UTF-8 bytes of `text` as a JSON string, quotes and escapes included; negated when the text holds a
 * character the text rules look at (a control character, a line or paragraph separator, a
 * bidirectional control, a surrogate), so that the rules' expressions run only on such text.
 */
function jsonStringBytes(text: string): number {
  let bytes = 2;
  let ruled = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (mayBreakJsonTextRules(c)) ruled = true;
    if (c === 0x22 || c === 0x5c || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x08 || c === 0x0c) bytes += 2;
    else if (c < 0x20) bytes += 6;
    else if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return ruled ? -bytes : bytes;
}

function typeName(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value !== 'object' || value === null) return typeof value;
  if (value instanceof Date) return 'a date';
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' && name ? `a ${name}` : 'an object that is not plain';
}

function isPlainObject(value: object): boolean {
  // Plain objects of any realm (an iframe, a vm context): the prototype is some Object.prototype or null.
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** A problem found at a value, before its path is known. */
interface Problem {
  code: string;
  message: string;
}

/** The walk's running count of JSON bytes, against its limit. */
interface Tally {
  bytes: number;
  readonly max: number;
}

const tooLargeProblem = (tally: Tally): Problem => ({
  code: 'too_large',
  message: `must be at most ${tally.max} bytes of JSON`,
});

/**
 * Counts and checks a value that holds no other (text, number, boolean, null): its problem, `null`
 * when it is fine, or `false` when it is not such a value. Leaves need no frame of their own unless
 * they are at fault, which keeps the walk of a wide value cheap. Module-level functions, not closures:
 * nothing is made per call.
 */
function leafProblem(v: unknown, tally: Tally): Problem | null | false {
  switch (typeof v) {
    case 'string': {
      // Every UTF-16 unit is at least one byte: a long string is refused without reading it.
      if (v.length + 2 > tally.max - tally.bytes) return tooLargeProblem(tally);
      const bytes = jsonStringBytes(v);
      tally.bytes += Math.abs(bytes);
      if (tally.bytes > tally.max) return tooLargeProblem(tally);
      return bytes < 0 ? jsonTextProblem(v, false) : null;
    }
    case 'number':
      if (!Number.isFinite(v)) return { code: 'not_json', message: `${v} is not a JSON number` };
      tally.bytes += JSON.stringify(v).length;
      return tally.bytes > tally.max ? tooLargeProblem(tally) : null;
    case 'boolean':
      tally.bytes += v ? 4 : 5;
      return tally.bytes > tally.max ? tooLargeProblem(tally) : null;
    case 'object':
      if (v !== null) return false;
      tally.bytes += 4;
      return tally.bytes > tally.max ? tooLargeProblem(tally) : null;
    default:
      return { code: 'not_json', message: `${typeName(v)} is not JSON${v === undefined ? ': leave the key out' : ''}` };
  }
}

/** What is wrong with an object's key (counted into the tally), or `null`. */
function keyProblem(key: string, tally: Tally): Problem | null {
  if (key === '__proto__') return { code: 'forbidden_key', message: '__proto__ is not allowed as a key' };
  if (key.length + 3 > tally.max - tally.bytes) return tooLargeProblem(tally);
  const bytes = jsonStringBytes(key);
  tally.bytes += Math.abs(bytes) + 1;
  if (tally.bytes > tally.max) return tooLargeProblem(tally);
  return bytes < 0 ? jsonTextProblem(key, true) : null;
}

/**
 * The first way `value` is not plain JSON within `limits`, as a validation issue whose path starts
 * with `prefix`; `null` when it is fine. Plain JSON is `null`, booleans, finite numbers, strings,
 * arrays without holes and objects whose prototype is `Object.prototype` or `null`, without cycles;
 * strings follow the long-text rules and keys the single-line rules, and no key is `__proto__`.
 * With `root: 'object'` the value itself must be an object. Never throws.
 */
export function plainJsonIssue(
  value: unknown,
  limits: JsonLimits = DEFAULT_JSON_LIMITS,
  prefix: ReadonlyArray<string | number> = [],
  root: 'any' | 'object' = 'any',
): ValidationIssue | null {
  if (root === 'object' && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    return {
      path: [...prefix],
      code: 'invalid_type',
      message: `expected an object, received ${Array.isArray(value) ? 'an array' : typeName(value)}`,
    };
  }
  let frame: Frame | null = null;
  try {
    const tally: Tally = { bytes: 0, max: limits.maxBytes };
    const stack: Frame[] = [{ value, depth: 0, parent: null, key: null }];
    let problem: Problem | null | false = null;
    walk: while (stack.length) {
      frame = stack.pop()!;
      const v = frame.value;
      problem = leafProblem(v, tally);
      if (problem) break;
      if (problem === null) continue;
      const o = v as object;
      // A value's ancestors are its frame's parents (at most `maxDepth` of them): no set kept per walk.
      for (let up = frame.parent; up !== null; up = up.parent)
        if (up.value === o) problem = { code: 'cyclic', message: 'must not contain itself' };
      if (problem) break;
      const depth = frame.depth + 1;
      if (depth > limits.maxDepth) {
        problem = { code: 'too_deep', message: `must nest at most ${limits.maxDepth} levels` };
        break;
      }
      const container = frame;
      const isArray = Array.isArray(o);
      if (!isArray) {
        if (!isPlainObject(o)) problem = { code: 'not_json', message: `${typeName(o)} is not JSON` };
        else if (Object.getOwnPropertySymbols(o).length)
          problem = { code: 'not_json', message: 'symbol keys are not JSON' };
        if (problem) break;
      }
      const keys = isArray ? null : Object.keys(o);
      const count = keys ? keys.length : (o as unknown[]).length;
      tally.bytes += 2 + Math.max(0, count - 1);
      if (tally.bytes > tally.max) {
        problem = tooLargeProblem(tally);
        break;
      }
      for (let i = count - 1; i >= 0; i--) {
        const key = keys ? keys[i]! : i;
        // The child's frame is made only for a container or where something is wrong: the issue's path needs it.
        frame = null;
        if (keys) problem = keyProblem(key as string, tally);
        else if (!(i in o)) problem = { code: 'not_json', message: 'arrays must not have holes' };
        if (problem) {
          frame = { value: undefined, depth, parent: container, key };
          break walk;
        }
        let item: unknown;
        try {
          item = (o as Record<string | number, unknown>)[key];
        } catch (error) {
          frame = { value: undefined, depth, parent: container, key };
          throw error;
        }
        problem = leafProblem(item, tally);
        if (problem === false) stack.push({ value: item, depth, parent: container, key });
        else if (problem) {
          frame = { value: item, depth, parent: container, key };
          break walk;
        }
      }
      problem = null;
    }
    return problem ? { path: pathOf(frame, prefix), code: problem.code, message: problem.message } : null;
  } catch {
    // A getter or a proxy that throws while being read: the value cannot be read as JSON.
    return { path: pathOf(frame, prefix), code: 'not_json', message: 'cannot be read as JSON: reading it failed' };
  }
}
