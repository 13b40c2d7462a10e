/** Where Clientele gets the time from. Inject a fixed or manual clock in tests. */
export interface Clock {
  /** The current instant. */
  now(): Date;
}

/** The machine's clock. */
export function systemClock(): Clock {
  return { now: () => new Date() };
}

/** A clock a test or a demo moves by hand. */
export interface ManualClock extends Clock {
  /** Sets the current instant. */
  set(at: Date | string): void;
  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void;
}

/** A clock that stands still until told to move; starts at `start`. */
export function manualClock(start: Date | string): ManualClock {
  let current = new Date(start).getTime();
  if (Number.isNaN(current)) throw new RangeError(`invalid start time: ${String(start)}`);
  return {
    now: () => new Date(current),
    set(at) {
      const t = new Date(at).getTime();
      if (Number.isNaN(t)) throw new RangeError(`invalid time: ${String(at)}`);
      current = t;
    },
    advance(ms) {
      current += ms;
    },
  };
}
