/** Makes ids for new records. Inject a deterministic one for reproducible demos. */
export interface IdGenerator {
  /** A new id with the given prefix, e.g. `cus` gives `cus_01JD...`. */
  next(prefix: string): string;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Fills `bytes` with cryptographic randomness (Web Crypto: Node 20 and browsers). */
export function randomBytes(count: number): Uint8Array {
  const bytes = new Uint8Array(count);
  globalThis.crypto.getRandomValues(bytes);
  return bytes;
}

/**
 * Time-ordered random ids (ULID layout: 48-bit milliseconds, 80 random bits, Crockford base32),
 * so ids sort by creation and index well. Within one millisecond the random part counts up, so
 * ids made by one generator are strictly increasing.
 */
export function ulidGenerator(now: () => number = Date.now): IdGenerator {
  let lastTime = -1;
  let lastTail: number[] = [];
  // Randomness drawn 4 KiB at a time: a sale makes a dozen ids, and each draw of 16 bytes alone cost
  // about as much as the rest of making the id.
  let pool: Uint8Array = new Uint8Array(0);
  let used = 0;
  const random16 = () => {
    if (used + 16 > pool.length) {
      pool = randomBytes(4096);
      used = 0;
    }
    used += 16;
    return pool.subarray(used - 16, used);
  };
  return {
    next(prefix) {
      let t = now();
      if (t <= lastTime) {
        t = lastTime;
        let i = lastTail.length - 1;
        while (i >= 0 && lastTail[i] === 31) lastTail[i--] = 0;
        if (i >= 0) lastTail[i]!++;
      } else {
        const rnd = random16();
        // Leave headroom in the top digit so counting up within a millisecond never overflows.
        lastTail = Array.from(rnd, (b, i) => (i === 0 ? b % 16 : b % 32));
        lastTime = t;
      }
      let time = '';
      for (let i = 0; i < 10; i++) {
        time = CROCKFORD[t % 32]! + time;
        t = Math.floor(t / 32);
      }
      return `${prefix}_${time}${lastTail.map((d) => CROCKFORD[d]!).join('')}`;
    },
  };
}

/** Predictable ids (`cus_000001`, ...), one counter per prefix; for tests and demos. */
export function sequentialIds(): IdGenerator {
  const counters = new Map<string, number>();
  return {
    next(prefix) {
      const n = (counters.get(prefix) ?? 0) + 1;
      counters.set(prefix, n);
      return `${prefix}_${String(n).padStart(6, '0')}`;
    },
  };
}
