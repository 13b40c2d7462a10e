/** Small tools for launching real racers and waiting on them without unhandled rejections. */

/** The outcome of one settled promise. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Attaches a handler at once, so a rejection observed later is never reported as unhandled. */
export function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/**
 * A barrier for `parties` racers: `wait()` resolves once all of them have arrived. Racers that read
 * then write use it so every read happens before any write, whatever the adapter's scheduling.
 */
export function barrier(parties: number): { wait(): Promise<void> } {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return {
    wait() {
      arrived += 1;
      if (arrived >= parties) open();
      return opened;
    },
  };
}

/** Resolves after `ms` milliseconds of real time (lets racers on other connections run). */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `[0, 1, ..., n - 1]`. */
export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
