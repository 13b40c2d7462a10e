/** Runs a job once, or every so often until SIGINT or SIGTERM (`--every 1m`). */
import { UsageError } from '../failure.js';

/** `30s`, `1m`, `2h`, `500ms` in milliseconds. */
export function parseInterval(text: string): number {
  const m = /^([0-9]+)(ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new UsageError(`interval ${text}: give a number and a unit, e.g. 30s, 1m, 1h`);
  const n = Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  if (n < 100) throw new UsageError(`interval ${text}: at least 100ms`);
  return n;
}

/**
 * Runs `round` once, or every `everyMs` until `signal` aborts (a round in flight finishes first). A
 * loop stopped that way ended as asked: the command exits 0, as after a single round.
 */
export async function repeat(
  round: () => Promise<void>,
  everyMs: number | undefined,
  signal: AbortSignal,
): Promise<void> {
  do {
    await round();
    if (everyMs === undefined) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, everyMs);
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
  } while (!signal.aborted);
}
