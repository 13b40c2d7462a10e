/** How a failure becomes one line on stderr and an exit code. */
import { isClienteleError } from '@clientele/core';
import { EXIT, type ExitCode } from './exit-codes.js';

/** A mistake in how the command was called: exits with {@link EXIT.usage}. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The exit code and the one line that describe `error`. */
export function describeFailure(error: unknown): { code: ExitCode; line: string } {
  if (error instanceof UsageError) return { code: EXIT.usage, line: `clientele: ${error.message}` };
  if (isClienteleError(error)) {
    const where = error.path.length ? ` (at ${error.path.join('.')})` : '';
    return {
      code: error.code === 'STORE_UNAVAILABLE' ? EXIT.unavailable : EXIT.refused,
      line: `clientele: ${error.code}: ${oneLine(error.message)}${where}`,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: EXIT.failed, line: `clientele: unexpected failure: ${oneLine(message)}` };
}

/** Keeps a message on one line. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
