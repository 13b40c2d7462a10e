/**
 * Pure query semantics shared by the memory store, the SQL layer and the fallbacks: checking
 * queries and rows against a collection, matching filters, ordering, and keyset cursors.
 * An adapter that gets these right in its own language passes the conformance kit.
 */
import { ValidationError } from '../errors.js';
import { decodeJson, encodeJson } from '../json-codec.js';
import { mayGenerateCode } from './generated-code.js';
import type { Condition, FindQuery, OrderTerm, ScalarValue, Where } from './port.js';
import type { AnyRow, CollectionSpec, FieldKind, FieldSpec } from './schema.js';

/** Default and maximum page sizes of `find`. */
export const PAGE_LIMITS = { default: 100, max: 10_000 } as const;

const OPERATORS = new Set(['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'isNull', 'startsWith']);

function fail(collection: string, path: ReadonlyArray<string | number>, message: string): never {
  throw new ValidationError([{ path: [collection, ...path], code: 'invalid_query', message }]);
}

// With the `u` flag, a surrogate class matches only unpaired surrogates; pairs are one code point.
const UNSTORABLE = /[\u0000\ud800-\udfff]/u;

/**
 * Whether every store can keep `text` exactly: no U+0000 (PostgreSQL text cannot hold it) and no lone
 * UTF-16 surrogate (UTF-8 drivers turn it into U+FFFD). Such text is refused by every store alike.
 */
export function isStorableText(text: string): boolean {
  // A scan of the UTF-16 units costs less than the expression for the short texts most fields hold
  // (a bulk insert checks every one); a surrogate is left to the expression, which tells a pair from a
  // lone one.
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) return false;
    if (c >= 0xd800 && c <= 0xdfff) return !UNSTORABLE.test(text);
  }
  return true;
}

/** Whether a value that is not null is a valid stored value of each kind of field. */
const VALID: Readonly<Record<FieldKind, (value: unknown) => boolean>> = {
  string: (value) => typeof value === 'string' && isStorableText(value),
  integer: (value) => typeof value === 'number' && Number.isSafeInteger(value),
  boolean: (value) => typeof value === 'boolean',
  timestamp: (value) => value instanceof Date && !Number.isNaN(value.getTime()),
  json: (value) => value !== undefined && isJson(value),
};

const invalid = () => false;

/** The check of a kind's values (a kind no field has takes none). */
function validatorOf(kind: FieldKind): (value: unknown) => boolean {
  return Object.hasOwn(VALID, kind) ? VALID[kind] : invalid;
}

/** Whether `value` is a valid stored value of a field of this spec. */
export function isValidValue(spec: FieldSpec, value: unknown): boolean {
  return value === null ? spec.nullable : validatorOf(spec.kind)(value);
}

function isJson(value: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  if (typeof value === 'string') return isStorableText(value);
  if (value === null || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) {
    // A loop, not `every` with a callback: no function per array. Holes are skipped, as `every` does.
    for (let i = 0; i < value.length; i++) if (i in value && !isJson(value[i], depth + 1)) return false;
    return true;
  }
  if (typeof value === 'object') {
    // Plain objects of any realm (an iframe, a vm context): the prototype is some Object.prototype or null.
    const proto = Object.getPrototypeOf(value);
    if (proto !== null && Object.getPrototypeOf(proto) !== null) return false;
    // A loop over the own keys rather than `Object.entries(...).every(...)` or `Object.keys`: no pair or
    // array per object, for each JSON field of each row.
    for (const k in value) {
      if (!Object.hasOwn(value, k)) continue;
      const v = (value as Record<string, unknown>)[k];
      if (!isStorableText(k) || v === undefined || !isJson(v, depth + 1)) return false;
    }
    return true;
  }
  return false;
}

/**
 * Checks a row for `insert` (`mode: 'insert'`: every field but `version` present) or a patch for
 * `update` (`mode: 'patch'`: only known, non-key fields). Throws `ValidationError` naming the field.
 */
export function checkRow(collection: CollectionSpec, row: AnyRow, mode: 'insert' | 'patch'): void {
  // A bulk insert checks every row: the good ones pass one read per field; the rest are checked again
  // below, where the first fault found names the field.
  if (mode === 'insert' && isGoodNewRow(collection, row)) return;
  for (const name of Object.keys(row)) {
    const spec = collection.fields[name];
    if (!spec) fail(collection.name, [name], `unknown field ${name}`);
    if (collection.versioned && name === 'version') fail(collection.name, [name], 'version is managed by the store');
    if (mode === 'patch' && name === collection.primaryKey)
      fail(collection.name, [name], 'the primary key cannot change');
    const value = row[name];
    if (value === undefined) {
      if (mode === 'insert') fail(collection.name, [name], `${name} is undefined`);
      continue;
    }
    if (!isValidValue(spec, value)) {
      if (spec.kind === 'string' && typeof value === 'string')
        fail(collection.name, [name], `${name} holds U+0000 or a lone surrogate, which no store keeps`);
      fail(collection.name, [name], `${name} is not a valid ${spec.nullable ? 'nullable ' : ''}${spec.kind}`);
    }
  }
  if (mode === 'insert')
    for (const name of requiredFieldsOf(collection))
      if (row[name] === undefined) fail(collection.name, [name], `${name} is required`);
}

/** Whether a row passes `checkRow` for an insert (see {@link goodNewRowCheck}). */
export type GoodNewRowCheck = (row: AnyRow) => boolean;

const goodNewRowChecks = new WeakMap<CollectionSpec, GoodNewRowCheck>();

/** Whether `row` passes `checkRow` for an insert, by one read of each of the collection's fields. */
function isGoodNewRow(collection: CollectionSpec, row: AnyRow): boolean {
  let check = goodNewRowChecks.get(collection);
  if (!check) {
    check = goodNewRowCheck(collection);
    goodNewRowChecks.set(collection, check);
  }
  return check(row);
}

/**
 * The check of a row to insert for one collection: each field it holds is valid, each required one
 * (not nullable, not the managed version) is there, and it holds no other key (its own keys, counted,
 * are the fields read). Generated as code that reads each field by its name where zod generates code
 * too (a bulk insert runs it for every row: a read by a name fixed in the code costs a fraction of a
 * read by a name that changes at each step); a loop over the fields elsewhere, or with `generated`
 * false.
 */
export function goodNewRowCheck(collection: CollectionSpec, generated: boolean = mayGenerateCode()): GoodNewRowCheck {
  const names = Object.keys(collection.fields);
  const specs = names.map((name) => collection.fields[name]!);
  const managed = names.map((name) => collection.versioned && name === 'version');
  const required = specs.map((spec, i) => !spec.nullable && !managed[i]);
  if (generated) {
    // Only names go into the code, as JSON string literals; each field's spec stays data the code is given.
    const nullable = specs.map((spec) => spec.nullable);
    const valid = specs.map((spec) => validatorOf(spec.kind));
    const steps = names.map((name, i) => {
      const absent = required[i] ? 'return false;' : '';
      const good = managed[i] ? 'false' : `(v === null ? nullable[${i}] : valid[${i}](v))`;
      const read = `v = row[${JSON.stringify(name)}];`;
      return `${read} if (v === undefined) { ${absent} } else if (${good}) held++; else return false;`;
    });
    const body =
      `return function (row) { let held = 0; let v; ${steps.join(' ')} ` +
      'let keys = 0; for (const key in row) if (hasOwn(row, key)) keys++; return keys === held; };';
    return new Function('nullable', 'valid', 'hasOwn', body)(nullable, valid, Object.hasOwn) as GoodNewRowCheck;
  }
  return (row) => {
    let held = 0;
    for (let i = 0; i < names.length; i++) {
      const value = row[names[i]!];
      if (value === undefined) {
        if (required[i]) return false;
        continue;
      }
      if (managed[i] || !isValidValue(specs[i]!, value)) return false;
      held++;
    }
    let keys = 0;
    // A loop over the keys rather than `Object.keys(row).length`: no array per row.
    for (const key in row) if (Object.hasOwn(row, key)) keys++;
    return keys === held;
  };
}

const requiredFields = new WeakMap<CollectionSpec, readonly string[]>();

/** The fields an inserted row must hold (not nullable, not the managed version), worked out once per collection. */
function requiredFieldsOf(collection: CollectionSpec): readonly string[] {
  let names = requiredFields.get(collection);
  if (!names) {
    names = Object.entries(collection.fields)
      .filter(([name, spec]) => !spec.nullable && !(collection.versioned && name === 'version'))
      .map(([name]) => name);
    requiredFields.set(collection, names);
  }
  return names;
}

/** A normalised condition: every key an operator. */
export type NormalisedWhere = Array<{ field: string; spec: FieldSpec; condition: Condition }>;

function isCondition(value: unknown): value is Condition {
  return (
    value !== null &&
    typeof value === 'object' &&
    !(value instanceof Date) &&
    !Array.isArray(value) &&
    Object.keys(value).length > 0 &&
    Object.keys(value).every((k) => OPERATORS.has(k))
  );
}

/** Checks and normalises a filter (bare values become `eq`). */
export function normaliseWhere(collection: CollectionSpec, where: Where | undefined): NormalisedWhere {
  if (!where) return [];
  const out: NormalisedWhere = [];
  for (const [name, raw] of Object.entries(where)) {
    if (raw === undefined) continue;
    const spec = collection.fields[name];
    if (!spec) fail(collection.name, ['where', name], `unknown field ${name}`);
    const condition: Condition = isCondition(raw) ? raw : { eq: raw as ScalarValue };
    for (const [op, v] of Object.entries(condition)) {
      if (v === undefined) continue;
      if (spec.kind === 'json' && op !== 'isNull')
        fail(collection.name, ['where', name, op], 'json fields can only be tested with isNull');
      if (op === 'isNull') {
        if (typeof v !== 'boolean') fail(collection.name, ['where', name, op], 'isNull takes a boolean');
      } else if (op === 'startsWith') {
        if (spec.kind !== 'string' || typeof v !== 'string' || !isStorableText(v))
          fail(collection.name, ['where', name, op], 'startsWith takes text on a string field');
      } else if (op === 'in') {
        if (!Array.isArray(v)) fail(collection.name, ['where', name, op], 'in takes a list');
        (v as unknown[]).forEach((item, i) => {
          if (item === null || !isValidValue(spec, item))
            fail(collection.name, ['where', name, op, i], `not a ${spec.kind}`);
        });
      } else if (v === null) {
        if (op !== 'eq' && op !== 'ne')
          fail(collection.name, ['where', name, op], 'null can only be compared with isNull');
      } else if (!isValidValue(spec, v)) {
        fail(collection.name, ['where', name, op], `not a ${spec.kind}`);
      }
    }
    out.push({ field: name, spec, condition });
  }
  return out;
}

/** Compares two non-null scalar values of the same kind. */
export function compareValues(a: unknown, b: unknown): number {
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  throw new TypeError(`cannot compare ${typeof a} with ${typeof b}`);
}

/**
 * Binary (code point) string order, as SQLite's default collation and PostgreSQL's `COLLATE "C"`.
 * JavaScript's `<` compares UTF-16 units, which differs above the BMP (emoji), so compare code points.
 */
export function compareStrings(a: string, b: string): number {
  const len = Math.min(a.length, b.length);
  for (let i = 0; i < len; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/** Whether a row satisfies a normalised filter (SQL semantics for nulls). */
export function matches(row: AnyRow, where: NormalisedWhere): boolean {
  for (const { field, condition } of where) {
    const v = row[field] ?? null;
    for (const [op, arg] of Object.entries(condition)) {
      if (arg === undefined) continue;
      switch (op) {
        case 'isNull':
          if ((v === null) !== arg) return false;
          break;
        case 'eq':
          if (arg === null ? v !== null : v === null || compareValues(v, arg) !== 0) return false;
          break;
        case 'ne':
          if (arg === null ? v === null : v === null || compareValues(v, arg) === 0) return false;
          break;
        case 'gt':
          if (v === null || compareValues(v, arg) <= 0) return false;
          break;
        case 'gte':
          if (v === null || compareValues(v, arg) < 0) return false;
          break;
        case 'lt':
          if (v === null || compareValues(v, arg) >= 0) return false;
          break;
        case 'lte':
          if (v === null || compareValues(v, arg) > 0) return false;
          break;
        case 'in':
          if (v === null || !(arg as unknown[]).some((a) => compareValues(v, a) === 0)) return false;
          break;
        case 'startsWith':
          if (typeof v !== 'string' || !v.startsWith(arg as string)) return false;
          break;
      }
    }
  }
  return true;
}

/** The full ordering of a query: the given terms, then the primary key ascending. */
export function resolveOrder(
  collection: CollectionSpec,
  orderBy: readonly OrderTerm[] | undefined,
): Array<{ field: string; desc: boolean }> {
  const terms = (orderBy ?? []).map((t, i) => {
    const spec = collection.fields[t.field];
    if (!spec) fail(collection.name, ['orderBy', i, 'field'], `unknown field ${t.field}`);
    if (spec.kind === 'json' || spec.nullable)
      fail(collection.name, ['orderBy', i, 'field'], `${t.field} is nullable or json and cannot order a page`);
    return { field: t.field, desc: t.direction === 'desc' };
  });
  if (!terms.some((t) => t.field === collection.primaryKey)) terms.push({ field: collection.primaryKey, desc: false });
  return terms;
}

/** Compares two rows by a resolved ordering. */
export function compareRows(a: AnyRow, b: AnyRow, order: ReadonlyArray<{ field: string; desc: boolean }>): number {
  for (const { field, desc } of order) {
    const c = compareValues(a[field], b[field]);
    if (c !== 0) return desc ? -c : c;
  }
  return 0;
}

/** Encodes the keyset position after `row` as an opaque cursor. */
export function encodeCursor(row: AnyRow, order: ReadonlyArray<{ field: string }>): string {
  const text = encodeJson(order.map((o) => row[o.field]));
  return base64url(text);
}

/** Decodes a cursor into the keyset values, checking it fits the ordering. */
export function decodeCursor(
  collection: CollectionSpec,
  cursor: string,
  order: ReadonlyArray<{ field: string }>,
): unknown[] {
  let values: unknown;
  try {
    values = decodeJson(fromBase64url(cursor));
  } catch {
    fail(collection.name, ['after'], 'malformed cursor');
  }
  if (!Array.isArray(values) || values.length !== order.length)
    fail(collection.name, ['after'], 'cursor does not fit this query');
  order.forEach((o, i) => {
    if (!isValidValue(collection.fields[o.field]!, values[i]) || values[i] === null)
      fail(collection.name, ['after'], 'cursor does not fit this query');
  });
  return values;
}

/** Whether `row` comes strictly after the cursor position in the ordering. */
export function isAfterCursor(
  row: AnyRow,
  cursor: readonly unknown[],
  order: ReadonlyArray<{ field: string; desc: boolean }>,
): boolean {
  for (let i = 0; i < order.length; i++) {
    const { field, desc } = order[i]!;
    const c = compareValues(row[field], cursor[i]);
    if (c !== 0) return desc ? c < 0 : c > 0;
  }
  return false;
}

/** Checks a page limit and applies the default. */
export function resolveLimit(collection: CollectionSpec, limit: number | undefined): number {
  if (limit === undefined) return PAGE_LIMITS.default;
  if (!Number.isInteger(limit) || limit < 1 || limit > PAGE_LIMITS.max) {
    fail(collection.name, ['limit'], `limit must be an integer from 1 to ${PAGE_LIMITS.max}`);
  }
  return limit;
}

/** Everything an adapter needs to run a `find`, checked. */
export interface ResolvedFind {
  where: NormalisedWhere;
  order: Array<{ field: string; desc: boolean }>;
  limit: number;
  after: unknown[] | null;
  /** The projected fields, in the collection's field order; `null` for whole rows. */
  select: string[] | null;
}

/** Checks a find query against the collection and resolves defaults. */
export function resolveFind(
  collection: CollectionSpec,
  query: FindQuery<CollectionSpec, string> | undefined,
): ResolvedFind {
  const order = resolveOrder(collection, query?.orderBy);
  return {
    where: normaliseWhere(collection, query?.where),
    order,
    limit: resolveLimit(collection, query?.limit),
    after: query?.after ? decodeCursor(collection, query.after, order) : null,
    select: resolveSelect(collection, query?.select),
  };
}

/** Checks a projection: at least one known field, each once. Returns the fields in the collection's field order. */
export function resolveSelect(collection: CollectionSpec, select: readonly string[] | undefined): string[] | null {
  if (select === undefined) return null;
  if (!Array.isArray(select) || select.length === 0)
    fail(collection.name, ['select'], 'select names at least one field');
  const wanted = new Set<string>();
  select.forEach((f, i) => {
    if (typeof f !== 'string' || !Object.hasOwn(collection.fields, f))
      fail(collection.name, ['select', i], `unknown field ${String(f)}`);
    if (wanted.has(f)) fail(collection.name, ['select', i], `${f} is selected twice`);
    wanted.add(f);
  });
  return Object.keys(collection.fields).filter((f) => wanted.has(f));
}

/** The row with only the projected fields (the row itself when there is no projection). */
export function projectRow(row: AnyRow, select: readonly string[] | null): AnyRow {
  if (select === null) return row;
  const out: AnyRow = {};
  for (const f of select) out[f] = row[f];
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function base64url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]!;
    if (i + 1 < bytes.length) out += B64[(n >> 6) & 63]!;
    if (i + 2 < bytes.length) out += B64[n & 63]!;
  }
  return out;
}

function fromBase64url(text: string): string {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('bad cursor');
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const ch of text) {
    buffer = (buffer << 6) | B64.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >> bits) & 255);
    }
  }
  return new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes));
}
