/**
 * The zod boundary: every public function parses its input here, so bad input becomes a
 * {@link ValidationError} naming each failing path before anything is read or written.
 */
import { z } from 'zod';
import { ValidationError, type ValidationIssue } from './errors.js';
import { isValidCardNumber } from './model/card-number.js';

/** Parses `input` with `schema`; throws {@link ValidationError} with every issue and its path. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, prefix: ReadonlyArray<string | number> = []): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(toIssues(result.error, prefix));
}

/** Converts zod's issues to Clientele's. */
export function toIssues(error: z.ZodError, prefix: ReadonlyArray<string | number> = []): ValidationIssue[] {
  return error.issues.map((issue) => ({
    path: [...prefix, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))],
    // Custom checks name their own code through `params.code` (e.g. `check_digit`).
    code: issue.code === 'custom' && typeof issue.params?.['code'] === 'string' ? (issue.params['code'] as string) : issue.code,
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

/** Short free text (names, titles): trimmed, 1-200 characters, no control characters. */
export const shortTextSchema = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must not contain control characters');

/** Longer free text (summaries, reasons): trimmed, 1-4000 characters. */
export const longTextSchema = z.string().trim().min(1).max(4000);

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

/** An idempotency key: what a POS sends again when it retries the same request. */
export const idempotencyKeySchema = z.string().min(8, 'idempotency keys need at least 8 characters').max(200);

/** Page options of list queries. */
export const pageSchema = z.object({
  limit: z.number().int().min(1).max(1000).default(50),
  after: z.string().min(1).max(2000).nullish(),
});

/** A membership card number: 8-19 digits whose last digit is the Luhn check digit. */
export const cardNumberSchema = z
  .string()
  .trim()
  .regex(/^[0-9]{8,19}$/, 'card numbers are 8 to 19 digits')
  .refine((n) => isValidCardNumber(n), { message: 'the check digit does not match: the number was mistyped', params: { code: 'check_digit' } });
