/**
 * What Clientele tells the host's log: a pino-compatible interface (pino, or any logger with the same
 * four methods), silent unless the host passes one. Entries carry command names, outcomes and error
 * codes, never inputs (they may hold personal data).
 */

/** One level of a pino-style logger: an object of fields, then a message. */
export type LogMethod = (fields: Record<string, unknown>, message?: string) => void;

/** The logger Clientele writes to; a pino logger fits as it is. */
export interface Logger {
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
}

const quiet: LogMethod = () => undefined;

/** The default: writes nothing. */
export const silentLogger: Logger = Object.freeze({ debug: quiet, info: quiet, warn: quiet, error: quiet });
