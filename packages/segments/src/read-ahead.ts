/**
 * Pages read ahead of their use, for a pass in key order over a database server: a page's reads are
 * sent as soon as the page before it knows where it ends (its first read), not when the pass comes to
 * it, so the server works on the next pages while the process works out this one.
 */

/** Reads the page after `after`, calling `ends` with where it ends as soon as that is known. */
export type PageReader<T> = (after: string | null, ends: (upper: string | null) => void) => Promise<T>;

interface Sent<T> {
  after: string | null;
  reads: Promise<T>;
  /** Where the page ends: undefined until known, null at the end of the pass. */
  upper?: string | null;
  /** Whether the page after it was sent. */
  followed: boolean;
}

/** Pages read up to `depth` pages beyond the one in use; see the module comment. */
export class ReadAhead<T> {
  private current: Sent<T> | null = null;
  private readonly queue: Sent<T>[] = [];

  constructor(
    private readonly read: PageReader<T>,
    private readonly depth: number,
  ) {}

  /**
   * The reads of the page after `after`: those sent ahead when it is the page they were sent for, else
   * sent now (a page may end elsewhere than its first read said, and what was sent beyond it is passed
   * over). The pages after it are sent as their starts become known.
   */
  next(after: string | null): Promise<T> {
    const head = this.queue.shift();
    const sentAhead = head !== undefined && head.after === after;
    if (!sentAhead) this.queue.length = 0;
    this.current = sentAhead ? head : this.send(after);
    this.extend();
    return this.current.reads;
  }

  /** Stops reading ahead; what was sent is passed over. */
  stop(): void {
    this.current = null;
    this.queue.length = 0;
  }

  private send(after: string | null): Sent<T> {
    const sent: Sent<T> = { after, reads: Promise.resolve(undefined as T), followed: false };
    sent.reads = this.read(after, (upper) => {
      sent.upper = upper;
      this.extend();
    });
    // A failed read is reported where it is awaited, not as an unhandled rejection meanwhile.
    sent.reads.catch(() => undefined);
    return sent;
  }

  /** Sends the page after the last one sent, once its start is known and while there is room. */
  private extend(): void {
    const last = this.queue.at(-1) ?? this.current;
    if (last === null || last.followed || typeof last.upper !== 'string' || this.queue.length >= this.depth) return;
    last.followed = true;
    this.queue.push(this.send(last.upper));
    this.extend();
  }
}
