/**
 * How often an unauthenticated refusal is written to the audit log. Anyone can send requests without
 * a key, so writing one audit entry per 401 would let a flood fill the log; instead the first refusal
 * of a kind in each window is written, and the number of refusals of that kind left out since the
 * last entry is carried on the next one. Pure: the caller passes the clock's time.
 */

/** What to do with one refusal. */
export interface RefusalVerdict {
  /** Whether to write its audit entry. */
  write: boolean;
  /** When written: how many refusals of the same kind were left out since the last entry of that kind. */
  suppressed: number;
}

/** Kinds remembered at most; past this, the kinds whose window is over are forgotten. */
const MAX_KINDS = 1000;

/**
 * A throttle that lets one refusal of each kind through per `windowMs` (0: every one). The kinds are
 * few (the reason, and for a revoked key its id), so memory stays bounded.
 */
export function refusalThrottle(windowMs: number) {
  const windows = new Map<string, { until: number; suppressed: number }>();
  return {
    /** Decides for one refusal of kind `kind` at `now` (ms since the epoch). */
    admit(kind: string, now: number): RefusalVerdict {
      if (windowMs <= 0) return { write: true, suppressed: 0 };
      const open = windows.get(kind);
      if (open && now < open.until) {
        open.suppressed++;
        return { write: false, suppressed: 0 };
      }
      if (!open && windows.size >= MAX_KINDS)
        for (const [k, w] of windows) if (now >= w.until && w.suppressed === 0) windows.delete(k);
      windows.set(kind, { until: now + windowMs, suppressed: 0 });
      return { write: true, suppressed: open?.suppressed ?? 0 };
    },
  };
}
