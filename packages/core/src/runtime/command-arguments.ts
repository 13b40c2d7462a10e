/**
 * A command's two arguments checked together: when both are wrong (most often a call such as
 * `eraseCustomer(id)`, with the input's fields passed bare and the options left out), the input's
 * issues come first, so the error points at the argument the caller got wrong first.
 */
import type { z } from 'zod';
import { ValidationError, type ValidationIssue } from '../errors.js';
import { parseInput, toIssues } from '../validation.js';

/** The issue of options left out altogether: what the second argument must be. */
const MISSING_OPTIONS: ValidationIssue = {
  path: ['options'],
  code: 'required',
  message: 'pass the options as the second argument: { actor } (and idempotencyKey where a till may retry)',
};

/**
 * The options parsed by `optionsSchema`; on failure, a `ValidationError` holding the input's issues
 * (if it is wrong too) before the options'.
 */
export function parseCommandOptions<O>(
  optionsSchema: z.ZodType<O>,
  rawOptions: unknown,
  inputSchema: z.ZodType,
  rawInput: unknown,
): O {
  try {
    return parseInput(optionsSchema, rawOptions, ['options']) as O;
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const optionIssues = rawOptions === undefined ? [MISSING_OPTIONS] : error.issues;
    let inputIssues: ValidationIssue[] = [];
    try {
      const parsed = inputSchema.safeParse(rawInput);
      if (!parsed.success) inputIssues = toIssues(parsed.error);
    } catch {
      inputIssues = [{ path: [], code: 'unreadable', message: 'the input could not be read' }];
    }
    throw new ValidationError([...inputIssues, ...optionIssues]);
  }
}
