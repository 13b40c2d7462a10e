/**
 * The check every JSON-shaped input passes before anything else reads it (customer attributes,
 * segment definitions, activity payloads, remedy results): plain JSON, not too deep, not too big.
 * It walks the value with its own stack, never by recursion, so no input can overflow the call stack,
 * and it stops at the first problem or as soon as a limit is passed, so no input makes it slow.
 */
import type { ValidationIssue } from './errors.js';
import { jsonTextProblem } from './text-rules.js';

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
  /** Set once the frame's children were pushed: the next visit leaves it. */
  entered?: boolean;
}

function pathOf(frame: Frame | null, prefix: ReadonlyArray<string | number>): Path {
  const keys: Array<string | number> = [];
  for (let f = frame; f && f.key !== null; f = f.parent) keys.push(f.key);
  return [...prefix, ...keys.reverse()];
}

/** UTF-8 bytes of `text` as a JSON string, quotes and escapes included. */
function jsonStringBytes(text: string): number {
  let bytes = 2;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 || c === 0x5c || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x08 || c === 0x0c) bytes += 2;
    else if (c < 0x20) bytes += 6;
    else if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
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
    let bytes = 0;
    const ancestors = new Set<object>();
    const stack: Frame[] = [{ value, depth: 0, parent: null, key: null }];
    const issue = (code: string, message: string): ValidationIssue => ({ path: pathOf(frame, prefix), code, message });
    const tooLarge = () => issue('too_large', `must be at most ${limits.maxBytes} bytes of JSON`);
    while (stack.length) {
      frame = stack.pop()!;
      const v = frame.value;
      if (frame.entered) {
        ancestors.delete(v as object);
        continue;
      }
      switch (typeof v) {
        case 'string': {
          // Every UTF-16 unit is at least one byte: a long string is refused without reading it.
          if (v.length + 2 > limits.maxBytes - bytes) return tooLarge();
          bytes += jsonStringBytes(v);
          if (bytes > limits.maxBytes) return tooLarge();
          const bad = jsonTextProblem(v, false);
          if (bad) return issue(bad.code, bad.message);
          continue;
        }
        case 'number':
          if (!Number.isFinite(v)) return issue('not_json', `${v} is not a JSON number`);
          bytes += JSON.stringify(v).length;
          if (bytes > limits.maxBytes) return tooLarge();
          continue;
        case 'boolean':
          bytes += v ? 4 : 5;
          if (bytes > limits.maxBytes) return tooLarge();
          continue;
        case 'object':
          break;
        default:
          return issue('not_json', `${typeName(v)} is not JSON${v === undefined ? ': leave the key out' : ''}`);
      }
      if (v === null) {
        bytes += 4;
        if (bytes > limits.maxBytes) return tooLarge();
        continue;
      }
      if (ancestors.has(v)) return issue('cyclic', 'must not contain itself');
      const depth = frame.depth + 1;
      if (depth > limits.maxDepth) return issue('too_deep', `must nest at most ${limits.maxDepth} levels`);
      const container = frame;
      if (Array.isArray(v)) {
        bytes += 2 + Math.max(0, v.length - 1);
        if (bytes > limits.maxBytes) return tooLarge();
        container.entered = true;
        ancestors.add(v);
        stack.push(container);
        for (let i = v.length - 1; i >= 0; i--) {
          if (!(i in v)) {
            frame = { value: undefined, depth, parent: container, key: i };
            return issue('not_json', 'arrays must not have holes');
          }
          stack.push({ value: v[i], depth, parent: container, key: i });
        }
        continue;
      }
      if (!isPlainObject(v)) return issue('not_json', `${typeName(v)} is not JSON`);
      if (Object.getOwnPropertySymbols(v).length) return issue('not_json', 'symbol keys are not JSON');
      const keys = Object.keys(v);
      bytes += 2 + Math.max(0, keys.length - 1);
      if (bytes > limits.maxBytes) return tooLarge();
      container.entered = true;
      ancestors.add(v);
      stack.push(container);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        frame = { value: undefined, depth, parent: container, key };
        if (key === '__proto__') return issue('forbidden_key', '__proto__ is not allowed as a key');
        if (key.length + 3 > limits.maxBytes - bytes) return tooLarge();
        bytes += jsonStringBytes(key) + 1;
        if (bytes > limits.maxBytes) return tooLarge();
        const bad = jsonTextProblem(key, true);
        if (bad) return issue(bad.code, bad.message);
        stack.push({ value: (v as Record<string, unknown>)[key], depth, parent: container, key });
      }
    }
    return null;
  } catch {
    // A getter or a proxy that throws while being read: the value cannot be read as JSON.
    return { path: pathOf(frame, prefix), code: 'not_json', message: 'cannot be read as JSON: reading it failed' };
  }
}
