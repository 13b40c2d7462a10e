/**
 * The exit codes of the `clientele` command, for a scheduler to act on: 0 and 3 need no retry, 5 is
 * worth retrying later, 2 and 4 need a person.
 */
export const EXIT = {
  /** Done: every row imported (or imported before), the job ran. */
  ok: 0,
  /** An unexpected failure (a bug, or a database error Clientele did not expect). */
  failed: 1,
  /** Wrong usage: an unknown option, a missing or unreadable file, a bad mapping file or store URL. */
  usage: 2,
  /** An import finished, but some rows were rejected (see the rejects file); the good rows are in. */
  rejected: 3,
  /** Clientele refused the request (a `ClienteleError` such as `VALIDATION_FAILED` or `NOT_FOUND`). */
  refused: 4,
  /** The store could not be reached or gave up (`STORE_UNAVAILABLE`): try again later. */
  unavailable: 5,
  /** Stopped by SIGINT or SIGTERM before it finished (a run again carries on where it stopped). */
  interrupted: 130,
} as const;

/** One of the exit codes. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
