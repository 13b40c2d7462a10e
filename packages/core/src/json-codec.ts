/**
 * JSON that keeps `Date` values: stored results (idempotency) must come back exactly as first returned.
 * Also a canonical form with sorted keys, for hashing input.
 */

import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils';
import { ValidationError, isClienteleError } from './errors.js';

const DATE_TAG = '$date';

/** Serialises `value`, tagging dates so {@link decodeJson} restores them. */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const raw = this[key];
    if (raw instanceof Date) return { [DATE_TAG]: raw.toISOString() };
    return v;
  });
}

/** Parses text written by {@link encodeJson}. */
export function decodeJson<T = unknown>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === DATE_TAG) {
        const iso = (v as Record<string, unknown>)[DATE_TAG];
        if (typeof iso === 'string') return new Date(iso);
      }
    }
    return v;
  }) as T;
}

/**
 * Deterministic JSON: object keys sorted, `undefined` dropped (`null` in arrays and at the top), dates
 * as ISO text, `NaN` and infinities as `null`. Walks with its own stack, so no depth overflows it.
 * Throws {@link ValidationError} (`not_json` or `cyclic`, with the path) for what has no JSON text:
 * BigInt, symbols, functions, invalid dates, cycles, values that cannot be read. Never another error.
 */
export function canonicalJson(value: unknown): string {
  try {
    return canonicalByRecursion(value, 0);
  } catch {
    // Deep, cyclic, or not JSON: the walk with its own stack says where, or writes it.
    return canonicalByStack(value);
  }
}

/** Thrown by the recursive writer for whatever it leaves to the walk with its own stack. */
const HAND_OVER = new Error('hand over to the stack walk');
/** Recursion this deep hands over: far from any stack's limit, deeper than any ordinary input. */
const RECURSION_LIMIT = 100;

// The common case, three times faster than the stack walk: plain JSON of ordinary depth.
function canonicalByRecursion(v: unknown, depth: number): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'string':
    case 'number':
    case 'boolean':
      return JSON.stringify(v);
    case 'object':
      break;
    default:
      throw HAND_OVER;
  }
  if (depth > RECURSION_LIMIT) throw HAND_OVER;
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) throw HAND_OVER;
    return JSON.stringify(v.toISOString());
  }
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) out += (i ? ',' : '') + canonicalByRecursion(v[i], depth + 1);
    return `${out}]`;
  }
  const record = v as Record<string, unknown>;
  let out = '{';
  for (const k of Object.keys(record).sort()) {
    const item = record[k];
    if (item === undefined) continue;
    out += `${out.length > 1 ? ',' : ''}${JSON.stringify(k)}:${canonicalByRecursion(item, depth + 1)}`;
  }
  return `${out}}`;
}

function canonicalByStack(value: unknown): string {
  type Frame = { value: unknown; parent: Frame | null; key: string | number | null; close?: string; open?: object };
  const out: string[] = [];
  // Items are text to write or values to write; a frame with `close` ends a container.
  const stack: Array<string | Frame> = [{ value, parent: null, key: null }];
  const ancestors = new Set<object>();
  let frame: Frame | null = null;
  const fail = (code: string, message: string): never => {
    const keys: Array<string | number> = [];
    for (let f = frame; f && f.key !== null; f = f.parent) keys.push(f.key);
    throw new ValidationError([{ path: keys.reverse(), code, message }]);
  };
  try {
    while (stack.length) {
      const item = stack.pop()!;
      if (typeof item === 'string') {
        out.push(item);
        continue;
      }
      frame = item;
      if (item.close !== undefined) {
        ancestors.delete(item.open!);
        out.push(item.close);
        continue;
      }
      const v = item.value;
      if (v === undefined || v === null) {
        out.push('null');
        continue;
      }
      switch (typeof v) {
        case 'string':
          out.push(JSON.stringify(v));
          continue;
        case 'number':
        case 'boolean':
          out.push(JSON.stringify(v));
          continue;
        case 'object':
          break;
        default:
          fail('not_json', `${typeof v} has no JSON text`);
      }
      const obj = v as object;
      if (obj instanceof Date) {
        if (Number.isNaN(obj.getTime())) fail('not_json', 'an invalid date has no JSON text');
        out.push(JSON.stringify(obj.toISOString()));
        continue;
      }
      if (ancestors.has(obj)) fail('cyclic', 'must not contain itself');
      ancestors.add(obj);
      const close: Frame = { value: obj, parent: item.parent, key: item.key, open: obj };
      if (Array.isArray(obj)) {
        out.push('[');
        stack.push({ ...close, close: ']' });
        for (let i = obj.length - 1; i >= 0; i--) {
          stack.push({ value: obj[i], parent: item, key: i });
          if (i > 0) stack.push(',');
        }
        continue;
      }
      const record = obj as Record<string, unknown>;
      const keys = Object.keys(record)
        .filter((k) => record[k] !== undefined)
        .sort();
      out.push('{');
      stack.push({ ...close, close: '}' });
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i]!;
        stack.push({ value: record[k], parent: item, key: k });
        stack.push(`${JSON.stringify(k)}:`);
        if (i > 0) stack.push(',');
      }
    }
  } catch (error) {
    if (isClienteleError(error)) throw error;
    // A getter or a proxy that throws while being read.
    fail('not_json', 'cannot be read as JSON: reading it failed');
  }
  return out.join('');
}

const SHA256_PREFIX = 'sha256:';

/**
 * The SHA-256 of a string's UTF-8 bytes as `sha256:` and 64 hex digits. Tells whether a retried
 * command carries the same input (the idempotency request hash); synchronous, and runs in browsers.
 */
export function fingerprint(text: string): string {
  return SHA256_PREFIX + bytesToHex(sha256(utf8ToBytes(text)));
}

/**
 * Whether `stored`, a fingerprint kept earlier, is the fingerprint of `text`. Request hashes stored
 * by earlier versions (32 hex digits, no prefix: see {@link legacyFingerprint}) are compared with the
 * function that made them, so a retry that arrives after an upgrade is still recognised.
 */
export function fingerprintMatches(stored: string, text: string): boolean {
  return stored.startsWith(SHA256_PREFIX) ? stored === fingerprint(text) : stored === legacyFingerprint(text);
}

/**
 * The fingerprint of earlier versions: 128 bits of cyrb128 (four 32-bit lanes) as 32 hex digits, not
 * collision-resistant. Kept only to recognise request hashes stored by them.
 */
export function legacyFingerprint(text: string): string {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1, h2, h3, h4].map((h) => (h >>> 0).toString(16).padStart(8, '0')).join('');
}
