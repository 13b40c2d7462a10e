/**
 * Wrong input, generated: arbitrary values and mutations of a valid input (wrong types, missing and
 * extra fields, out-of-range numbers, odd and hostile text, bad ids, prototype keys, and poisons:
 * values no field of any command may accept, such as BigInt, cycles, control characters, 5 MB of text
 * or 30,000 levels of nesting). A generated case is a plan, printed small when a property fails; the
 * value is made from it afresh for every run.
 */
import fc from 'fast-check';

/** Values that are wrong wherever they stand in an input. */
export const POISONS = [
  'bigint',
  'symbol',
  'function',
  'cycle',
  'nan',
  'infinity',
  'negative-infinity',
  'invalid-date',
  'deep-40',
  'deep-30000',
  'huge-text',
  'escape',
  'bell',
  'nul',
  'c1-control',
  'delete-char',
  'right-to-left-override',
  'bidi-isolate',
  'lone-surrogate',
  'control-key',
  'throwing-getter',
  'throwing-proxy',
] as const;
/** A poison's name. */
export type Poison = (typeof POISONS)[number];

let hugeText: string | null = null;

function nest(levels: number, leaf: unknown, kind: 'array' | 'object'): unknown {
  let v = leaf;
  for (let i = 0; i < levels; i++) v = kind === 'array' ? [v] : { a: v };
  return v;
}

/** A fresh value of the poison. */
export function poisonValue(name: Poison): unknown {
  switch (name) {
    case 'bigint':
      return 12345678901234567890n;
    case 'symbol':
      return Symbol('wrong');
    case 'function':
      return () => 'wrong';
    case 'cycle': {
      const o: Record<string, unknown> = { id: 'S01', name: 'loop' };
      o['self'] = o;
      return o;
    }
    case 'nan':
      return Number.NaN;
    case 'infinity':
      return Number.POSITIVE_INFINITY;
    case 'negative-infinity':
      return Number.NEGATIVE_INFINITY;
    case 'invalid-date':
      return new Date(Number.NaN);
    case 'deep-40':
      return nest(40, 1, 'object');
    case 'deep-30000':
      return nest(30_000, 'x', 'array');
    case 'huge-text':
      return (hugeText ??= '长'.repeat(5 * 1024 * 1024));
    case 'escape':
      return 'red\u001b[31m text';
    case 'bell':
      return 'ring\u0007';
    case 'nul':
      return 'a\u0000b';
    case 'c1-control':
      return 'next\u0085line';
    case 'delete-char':
      return 'del\u007f';
    case 'right-to-left-override':
      return '\u202egpj.exe';
    case 'bidi-isolate':
      return 'a\u2066b\u2069';
    case 'lone-surrogate':
      return 'half \ud83d';
    case 'control-key':
      return { 'ke\u001by': 1 };
    case 'throwing-getter':
      return Object.defineProperty({}, 'id', {
        enumerable: true,
        get() {
          throw new Error('getter trap');
        },
      });
    case 'throwing-proxy':
      return new Proxy(
        {},
        {
          get() {
            throw new Error('proxy trap');
          },
          ownKeys() {
            throw new Error('proxy trap');
          },
          getOwnPropertyDescriptor() {
            throw new Error('proxy trap');
          },
          has() {
            throw new Error('proxy trap');
          },
          getPrototypeOf() {
            throw new Error('proxy trap');
          },
        },
      );
  }
}

/** One change to an input. `at` picks a node of the value (its root included), modulo their number. */
export type Mutation =
  | { kind: 'poison'; at: number; poison: Poison }
  | { kind: 'replace'; at: number; value: unknown }
  | { kind: 'delete'; at: number }
  | { kind: 'extra'; at: number; key: string; value: unknown }
  | { kind: 'wrap'; at: number; as: 'array' | 'object' }
  /** Nests a node in itself thousands of times along one of its own paths, as a recursive schema would read it. */
  | { kind: 'recurse'; at: number; via: number };

/** A generated input: a sample of the command's valid inputs, or an arbitrary value, then mutations. */
export interface Plan {
  base: { sample: number } | { arbitrary: unknown };
  mutations: Mutation[];
}

/** Text a field may be given by mistake or malice. */
export const oddText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom(
    '',
    ' ',
    '\t',
    '\n',
    'a\r\nb',
    '\u200b',
    '\u200b\u200c\u200d\u2060\ufeff',
    '\u0301\u0308',
    '\u3164',
    '\u2800',
    '\u00a0\u3000',
    '\u200fname',
    'x'.repeat(201),
    'x'.repeat(4001),
    'bad id!',
    '../../etc/passwd',
    "x'; drop table customers; --",
    'Ｓ０１',
    'cus_missing',
    'S99',
    'E-NOBODY',
    '0000000000000',
    '8800000000019',
    'NaN',
    '1e999',
    '2026-02-30',
    '2026-11-02T25:00:00Z',
    '__proto__',
    'constructor',
  ),
);

/** Numbers out of range, fractional, negative, beyond the safe integers. */
export const oddNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(
    -1,
    0,
    -0,
    0.5,
    1.005,
    1e21,
    2 ** 31,
    2 ** 53,
    -(2 ** 53),
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    Number.EPSILON,
    999_999_999_999,
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Any wrong value that is not a poison (those come through `poison` mutations). */
export const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  oddText,
  oddNumber,
  fc.boolean(),
  fc.constantFrom(null, undefined, [], {}),
  // An own `__proto__` key, as JSON.parse makes it: strict objects and JSON fields refuse it; zod's
  // records drop it (it never reaches a prototype), so it is wrong only where a schema says so.
  fc.constant(JSON.parse('{"__proto__": {"polluted": true}, "id": "S01"}') as unknown),
  fc.date({ noInvalidDate: true }),
  fc.anything({
    maxDepth: 2,
    maxKeys: 4,
    withNullPrototype: true,
    withBoxedValues: true,
    withMap: true,
    withSet: true,
    withTypedArray: true,
    withSparseArray: true,
    withObjectString: true,
    withDate: true,
  }),
);

const keyArb = fc.oneof(
  fc.string({ maxLength: 10 }),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'id', 'customerId', 'amount', 'kind', '0'),
);

/** One mutation. */
export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('poison' as const), at: fc.nat(), poison: fc.constantFrom(...POISONS) }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: wrongValue }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('extra' as const), at: fc.nat(), key: keyArb, value: wrongValue }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('wrap' as const),
      at: fc.nat(),
      as: fc.constantFrom('array' as const, 'object' as const),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('recurse' as const), at: fc.nat(), via: fc.nat() }) },
);

/** Plans over `samples` valid inputs: mostly mutated samples, some arbitrary values. */
export function planArb(samples: number): fc.Arbitrary<Plan> {
  const arbitrary = fc.oneof(
    wrongValue,
    fc.anything({
      maxDepth: 3,
      withBigInt: true,
      withNullPrototype: true,
      withBoxedValues: true,
      withMap: true,
      withSet: true,
      withTypedArray: true,
      withSparseArray: true,
      withDate: true,
      key: keyArb,
    }),
  );
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        base: fc.record({ sample: fc.nat({ max: Math.max(0, samples - 1) }) }),
        mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ base: fc.record({ arbitrary }), mutations: fc.array(mutation, { maxLength: 2 }) }),
    },
  );
}

type Path = Array<string | number>;

/** Whether `v` is an array or a plain object whose keys can be read without a trap firing. */
function isContainer(v: unknown): v is Record<string, unknown> | unknown[] {
  try {
    if (typeof v !== 'object' || v === null) return false;
    if (Array.isArray(v)) return true;
    const proto = Object.getPrototypeOf(v) as object | null;
    if (proto !== null && proto !== Object.prototype) return false;
    for (const k of Object.keys(v)) void (v as Record<string, unknown>)[k];
    return true;
  } catch {
    return false;
  }
}

/** Copies the arrays and plain objects of `v` (other values are shared), so mutations touch only the copy. */
function copy(v: unknown, depth = 0): unknown {
  if (depth > 20 || !isContainer(v)) return v;
  if (Array.isArray(v)) {
    // Holes stay holes.
    const out: unknown[] = new Array<unknown>(v.length);
    for (const i of Object.keys(v)) out[Number(i)] = copy(v[Number(i)], depth + 1);
    return out;
  }
  const out: Record<string, unknown> =
    Object.getPrototypeOf(v) === null ? (Object.create(null) as Record<string, unknown>) : {};
  for (const k of Object.keys(v))
    Object.defineProperty(out, k, {
      value: copy(v[k], depth + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return out;
}

/** Paths to the nodes of `v` a mutation may pick: the root, and what plain objects and arrays hold. */
function nodes(v: unknown): Path[] {
  const out: Path[] = [[]];
  const stack: Array<{ v: unknown; path: Path }> = [{ v, path: [] }];
  while (stack.length && out.length < 200) {
    const { v: node, path } = stack.pop()!;
    if (!isContainer(node) || path.length > 8) continue;
    const keys: Array<string | number> = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
    for (const k of keys) {
      const child = [...path, k];
      out.push(child);
      stack.push({ v: (node as Record<string | number, unknown>)[k], path: child });
    }
  }
  return out;
}

function setProperty(target: Record<string | number, unknown>, key: string | number, value: unknown): void {
  // defineProperty, so `__proto__` becomes an own key as JSON.parse would make it.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Levels a `recurse` mutation nests: past what recursion in a schema or a serialiser survives. */
const RECURSION_LEVELS = 2500;

/**
 * Past this many characters, a text is not nested with its node: every level's copy would share it, and a
 * serialiser writes it out once per level (2,500 times 5 MB of the huge-text poison: more than a process holds).
 */
const MAX_RECURSED_TEXT = 65_536;

/** Whether a text longer than {@link MAX_RECURSED_TEXT} is anywhere inside `root` (its own stack; traps skipped). */
function holdsLongText(root: unknown): boolean {
  const seen = new Set<object>();
  const stack: unknown[] = [root];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v.length > MAX_RECURSED_TEXT) return true;
      continue;
    }
    if (typeof v !== 'object' || v === null || seen.has(v)) continue;
    seen.add(v);
    try {
      for (const child of Object.values(v)) stack.push(child);
    } catch {
      // A trap that throws when read holds no text to copy.
    }
  }
  return false;
}

/**
 * `node` nested in itself along `via` (a path of one or two steps to a container inside it); a node
 * holding a text longer than {@link MAX_RECURSED_TEXT} stays as it is.
 */
function recurse(node: unknown, viaPick: number): unknown {
  if (holdsLongText(node)) return node;
  const vias = nodes(node).filter(
    (p) =>
      (p.length === 1 || p.length === 2) &&
      isContainer(p.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], node)),
  );
  if (!isContainer(node) || vias.length === 0) return node;
  const via = vias[viaPick % vias.length]!;
  let inner: unknown = copy(node);
  for (let i = 0; i < RECURSION_LEVELS; i++) {
    const outer = copy(node, 19);
    let at = outer as Record<string | number, unknown>;
    for (const k of via.slice(0, -1)) {
      at[k] = Array.isArray(at[k]) ? [...(at[k] as unknown[])] : { ...(at[k] as Record<string, unknown>) };
      at = at[k] as Record<string | number, unknown>;
    }
    setProperty(at, via[via.length - 1]!, inner);
    inner = outer;
  }
  return inner;
}

function apply(root: unknown, m: Mutation): unknown {
  const paths = nodes(root);
  const path = paths[m.at % paths.length]!;
  const parentPath = path.slice(0, -1);
  let parent: unknown = root;
  for (const k of parentPath) parent = (parent as Record<string | number, unknown>)[k];
  const key = path[path.length - 1];
  const current = key === undefined ? root : (parent as Record<string | number, unknown>)[key];
  const put = (value: unknown): unknown => {
    if (key === undefined) return value;
    setProperty(parent as Record<string | number, unknown>, key, value);
    return root;
  };
  switch (m.kind) {
    case 'poison':
      return put(poisonValue(m.poison));
    case 'replace':
      return put(copy(m.value));
    case 'wrap':
      return put(m.as === 'array' ? [current] : { value: current });
    case 'recurse':
      return put(recurse(current, m.via));
    case 'delete':
      if (key === undefined) return undefined;
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete (parent as Record<string, unknown>)[key as string];
      return root;
    case 'extra':
      if (Array.isArray(current)) {
        current.push(copy(m.value));
        return root;
      }
      if (isContainer(current)) {
        setProperty(current as Record<string, unknown>, m.key, copy(m.value));
        return root;
      }
      return put({ [m.key]: copy(m.value) });
  }
}

/** The input a plan stands for, made afresh. */
export function materialize(plan: Plan, samples: readonly unknown[]): unknown {
  let value = 'sample' in plan.base ? copy(samples[plan.base.sample % samples.length]) : copy(plan.base.arbitrary);
  for (const m of plan.mutations) value = apply(value, m);
  return value;
}

// Long text allows line feed, carriage return and tab; nothing allows these.
const FORBIDDEN_TEXT =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|[\ud800-\udfff]/u;

/**
 * Whether `value` holds a poison: something no field of any command accepts, so that the input is
 * wrong whatever its schema says. Walks with its own stack; a value that throws when read counts.
 */
export function holdsPoison(value: unknown): boolean {
  try {
    const stack: Array<{ v: unknown; depth: number; exit?: boolean }> = [{ v: value, depth: 0 }];
    const ancestors = new Set<object>();
    while (stack.length) {
      const { v, depth, exit } = stack.pop()!;
      if (exit) {
        ancestors.delete(v as object);
        continue;
      }
      switch (typeof v) {
        case 'bigint':
        case 'symbol':
        case 'function':
          return true;
        case 'number':
          if (!Number.isFinite(v)) return true;
          continue;
        case 'string':
          if (v.length > 1024 * 1024 || FORBIDDEN_TEXT.test(v)) return true;
          continue;
        case 'object':
          break;
        default:
          continue;
      }
      if (v === null) continue;
      // Not even an invalid date counts: zod takes any object where an object is expected, reading only
      // its own keys, so a date given for an object of optional fields passes as an empty one.
      if (v instanceof Date) continue;
      if (ancestors.has(v)) return true;
      if (depth > 40) return true;
      if (!isContainer(v)) continue;
      ancestors.add(v);
      stack.push({ v, depth, exit: true });
      const keys = Array.isArray(v) ? v.map((_, i) => String(i)) : Object.keys(v);
      for (const k of keys) {
        if (!Array.isArray(v) && FORBIDDEN_TEXT.test(k)) return true;
        stack.push({ v: (v as Record<string, unknown>)[k], depth: depth + 1 });
      }
    }
    return false;
  } catch {
    return true;
  }
}
