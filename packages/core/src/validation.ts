/**
 * The zod boundary: every public function parses its input here, so bad input becomes a
 * {@link ValidationError} naming each failing path before anything is read or written.
 */
import * as z from 'zod';
import { ValidationError, isClienteleError, type ValidationIssue } from './errors.js';
import { isValidCardNumber } from './model/card-number.js';
import { DEFAULT_JSON_LIMITS, plainJsonIssue, type JsonLimits } from './plain-json.js';
import type { JsonValue } from './store/schema.js';
import { textProblem, type TextKind } from './text-rules.js';

/**
 * Parses `input` with `schema`; throws {@link ValidationError} with every issue and its path. Input
 * that cannot even be read (a getter or a proxy that throws) is a `VALIDATION_FAILED` too, with the
 * code `unreadable`: no input makes it throw anything but a `ClienteleError`.
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
  prefix: ReadonlyArray<string | number> = [],
): z.output<S> {
  let issues: ValidationIssue[];
  try {
    const result = schema.safeParse(input);
    if (result.success) return result.data as z.output<S>;
    // zod words its issues lazily, reading the input again: inside the guard too.
    issues = toIssues(result.error, prefix);
  } catch (error) {
    if (isClienteleError(error)) throw error;
    issues = [{ path: [...prefix], code: 'unreadable', message: 'the input could not be read' }];
  }
  throw new ValidationError(issues);
}

/**
 * Refuses a command's input that holds an own `__proto__` key anywhere (`forbidden_key`, at its path).
 * Zod's records drop such a key silently (it never reaches a prototype), so whatever it holds would
 * go unchecked; strict objects and JSON fields refuse it already. Run on a command's input after its
 * schema passed it (not on every parse: a module's own parses of its configuration need no walk).
 */
export function refuseProtoKeys(input: unknown, prefix: ReadonlyArray<string | number> = []): void {
  const at = protoKeyPath(input);
  if (at !== null)
    throw new ValidationError([
      { path: [...prefix, ...at], code: 'forbidden_key', message: '__proto__ is not allowed as a key' },
    ]);
}

const refusingProtoKeys = new WeakSet<z.ZodType>();

/**
 * Marks a command's input schema as one that itself refuses an own `__proto__` key anywhere in what it
 * passes (a strict object whose fields are strict objects or plain-JSON values, which refuse the key at
 * any depth), so the kernel does not walk its input again for one: an import batch of thousands of rows
 * is walked once, not twice.
 */
export function refusesProtoKeys<S extends z.ZodType>(schema: S): S {
  refusingProtoKeys.add(schema);
  return schema;
}

/** A command's input as the kernel checks every one: by its schema, then for own `__proto__` keys. */
export function parseCommandInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = parseInput(schema, input);
  if (!refusingProtoKeys.has(schema)) refuseProtoKeys(input);
  return parsed;
}

/** Where the first own `__proto__` key of the plain objects in `value` is, if any. */
function protoKeyPath(value: unknown): Array<string | number> | null {
  if (value === null || typeof value !== 'object') return null;
  // Each node keeps its parent and key, not a copy of its path: a deeply nested input costs no more
  // memory than its nodes, and the path is put together only for the key found.
  interface Node {
    v: unknown;
    up: Node | null;
    key: string | number;
  }
  const stack: Node[] = [{ v: value, up: null, key: '' }];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const node = stack.pop()!;
    const v = node.v;
    if (v === null || typeof v !== 'object' || seen.has(v)) continue;
    seen.add(v);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push({ v: v[i], up: node, key: i });
      continue;
    }
    const proto = Object.getPrototypeOf(v);
    // Dates, signals and other instances are the schema's to judge, not walked.
    if (proto !== Object.prototype && proto !== null) continue;
    if (Object.hasOwn(v, '__proto__')) {
      const path: Array<string | number> = ['__proto__'];
      for (let n: Node | null = node; n?.up; n = n.up) path.unshift(n.key);
      return path;
    }
    for (const key of Object.keys(v)) stack.push({ v: (v as Record<string, unknown>)[key], up: node, key });
  }
  return null;
}

/** Converts zod's issues to Clientele's. */
export function toIssues(error: z.ZodError, prefix: ReadonlyArray<string | number> = []): ValidationIssue[] {
  return error.issues.map((issue) => ({
    path: [...prefix, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))],
    // Custom checks name their own code through `params.code` (e.g. `check_digit`).
    code:
      issue.code === 'custom' && typeof issue.params?.['code'] === 'string'
        ? (issue.params['code'] as string)
        : issue.code,
    message: issue.message,
  }));
}

/** Ids chosen by the retailer (store codes, staff numbers, SKUs): 1-64 visible ASCII characters, no spaces. */
export const codeSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'letters, digits and . _ : - only, starting with a letter or digit');

/** Ids Clientele generates (`cus_...`) or a retailer supplies: same character set as {@link codeSchema}, up to 80. */
export const idSchema = z
  .string()
  .min(1)
  .max(80)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'malformed id');

/** An amount of money in integer minor units (fen, cents), zero or more. */
export const minorUnitsSchema = z.number().int('money is integer minor units').min(0).max(Number.MAX_SAFE_INTEGER);

function textSchema(kind: TextKind, max: number) {
  return z
    .string()
    .trim()
    .min(1)
    .max(max)
    .superRefine((text, ctx) => {
      const problem = textProblem(text, kind);
      if (problem) ctx.addIssue({ code: 'custom', message: problem.message, params: { code: problem.code } });
    });
}

/**
 * Single-line free text of 1 to `max` characters after trimming: no control characters (line breaks
 * and tabs included), no bidirectional override or isolate characters (U+202A-U+202E,
 * U+2066-U+2069), and at least one visible character. Addresses, tags, notes of one line.
 */
export function singleLineTextSchema(max: number) {
  return textSchema('line', max);
}

/**
 * Multi-line free text of 1 to `max` characters after trimming: as {@link singleLineTextSchema} but
 * line feed, carriage return and tab are allowed.
 */
export function multiLineTextSchema(max: number) {
  return textSchema('multiline', max);
}

/** Short free text (titles, store and role names): single-line text of 1-200 characters. */
export const shortTextSchema = singleLineTextSchema(200);

/**
 * A name (of a person, an organisation, a contact): single-line text of 1-200 characters that also
 * refuses the directional marks U+200E, U+200F and U+061C. Chinese, accented and emoji names pass.
 */
export const nameSchema = textSchema('name', 200);

/** Longer free text (summaries, reasons): multi-line text of 1-4000 characters. */
export const longTextSchema = multiLineTextSchema(4000);

/**
 * Any plain JSON value within `limits` (default {@link DEFAULT_JSON_LIMITS}: 32 levels, 64 KiB),
 * checked without recursion before anything else reads it. Refuses BigInt, functions, symbols,
 * dates, class instances, cycles, `NaN` and infinities, `undefined`, holes, `__proto__` keys, and
 * text that breaks the long-text rules. Issue codes: `not_json`, `too_deep`, `too_large`, `cyclic`,
 * `forbidden_key`, `control_character`, `bidi_control`, `unstorable_text`.
 */
export function jsonValueSchema(limits: Partial<JsonLimits> = {}): z.ZodType<JsonValue, unknown> {
  return jsonSchema({ ...DEFAULT_JSON_LIMITS, ...limits }, 'any') as unknown as z.ZodType<JsonValue, unknown>;
}

/** A plain JSON object within `limits`: as {@link jsonValueSchema}, and the value must be an object. */
export function jsonObjectSchema(
  limits: Partial<JsonLimits> = {},
): z.ZodType<Record<string, JsonValue>, Record<string, unknown>> {
  return jsonSchema({ ...DEFAULT_JSON_LIMITS, ...limits }, 'object') as unknown as z.ZodType<
    Record<string, JsonValue>,
    Record<string, unknown>
  >;
}

function jsonSchema(limits: JsonLimits, root: 'any' | 'object') {
  return z.unknown().superRefine((value, ctx) => {
    const issue = plainJsonIssue(value, limits, [], root);
    if (issue)
      ctx.addIssue({ code: 'custom', message: issue.message, path: [...issue.path], params: { code: issue.code } });
  });
}

/** A phone number: digits with an optional leading +, separators allowed on input and removed. */
export const phoneSchema = z
  .string()
  .trim()
  .transform((s) => s.replace(/[\s().-]/g, ''))
  .pipe(z.string().regex(/^\+?[0-9]{5,20}$/, 'not a phone number'));

/** An email address, lowercased. */
export const emailSchema = z
  .string()
  .trim()
  .max(254)
  .transform((s) => s.toLowerCase())
  .pipe(z.email());

/** A calendar date `YYYY-MM-DD`. */
export const dateSchema = z.iso.date();

/** An instant: a `Date` or ISO-8601 text with offset. */
export const instantSchema = z.union([z.date(), z.iso.datetime({ offset: true })]).transform((v) => new Date(v));

/**
 * An idempotency key: what a POS sends again when it retries the same request; 8-200 characters, no control or
 * bidirectional control characters.
 */
export const idempotencyKeySchema = z
  .string()
  .min(8, 'idempotency keys need at least 8 characters')
  .max(200)
  .regex(
    /^[^\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ud800-\udfff]*$/u,
    'idempotency keys must not contain control, bidirectional control or unpaired surrogate characters',
  );

/** Page options of list queries. */
export const pageSchema = z.object({
  /** At most this many items (default 50, at most 1000). */
  limit: z.number().int().min(1).max(1000).default(50),
  /** The previous page's `next`, to continue after it. */
  after: z.string().min(1).max(2000).nullish(),
});
/** Page options of list queries: how many, and where the previous page stopped. */
export type PageInput = z.input<typeof pageSchema>;

/** A membership card number: 8-19 digits whose last digit is the Luhn check digit. */
export const cardNumberSchema = z
  .string()
  .trim()
  .regex(/^[0-9]{8,19}$/, 'card numbers are 8 to 19 digits')
  .refine((n) => isValidCardNumber(n), {
    message: 'the check digit does not match: the number was mistyped',
    params: { code: 'check_digit' },
  });
