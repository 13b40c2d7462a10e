/**
 * Card PINs: stored only as a slow salted hash, PBKDF2-SHA-256 through Web Crypto (`crypto.subtle`,
 * in Node 20 and every browser), as `pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>`. A four- to
 * eight-digit PIN has too few values for any hash to hide it from someone holding the database; the
 * hash keeps it out of sight, and the lock after five wrong tries is what stops guessing at a till.
 */
import * as z from 'zod';

/** Default PBKDF2 iterations (about a tenth of a second on a till). */
export const DEFAULT_PIN_ITERATIONS = 210_000;
/** Wrong tries that lock a card. */
export const PIN_TRIES = 5;

/** A PIN: 4 to 8 digits. */
export const pinSchema = z.string().regex(/^[0-9]{4,8}$/, 'PINs are 4 to 8 digits');

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const unhex = (text: string): Uint8Array => {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return out;
};

async function derive(pin: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const subtle = globalThis.crypto.subtle;
  const key = await subtle.importKey('raw', new TextEncoder().encode(pin), 'PBKDF2', false, ['deriveBits']);
  return new Uint8Array(
    await subtle.deriveBits(
      { name: 'PBKDF2', hash: 'SHA-256', salt: salt as Uint8Array<ArrayBuffer>, iterations },
      key,
      256,
    ),
  );
}

/**
 * Hashes a PIN. `salt` defaults to 16 random bytes; a caller that must get the same hash again for
 * the same request (an idempotent retry) derives it with {@link saltFrom}.
 */
export async function hashPin(pin: string, options: { iterations?: number; salt?: Uint8Array } = {}): Promise<string> {
  const iterations = options.iterations ?? DEFAULT_PIN_ITERATIONS;
  const salt = options.salt ?? globalThis.crypto.getRandomValues(new Uint8Array(16));
  return `pbkdf2-sha256$${iterations}$${hex(salt)}$${hex(await derive(pin, salt, iterations))}`;
}

/** 16 bytes of salt derived from a unique text (SHA-256), so a retried request hashes alike. */
export async function saltFrom(text: string): Promise<Uint8Array> {
  const digest = await globalThis.crypto.subtle.digest(
    'SHA-256',
    new TextEncoder().encode(`clientele-pin-salt\u0000${text}`),
  );
  return new Uint8Array(digest).slice(0, 16);
}

/** Whether `pin` matches a stored hash (compared in constant time). */
export async function verifyPin(pin: string, stored: string): Promise<boolean> {
  const [scheme, iterations, salt, hash] = stored.split('$');
  if (scheme !== 'pbkdf2-sha256' || !iterations || !salt || !hash) return false;
  const got = await derive(pin, unhex(salt), Number(iterations));
  const want = unhex(hash);
  if (got.length !== want.length) return false;
  let diff = 0;
  for (let i = 0; i < got.length; i++) diff |= got[i]! ^ want[i]!;
  return diff === 0;
}

/** A short stamp of a stored hash: lets a command check the hash it was verified against is still the card's. */
export function pinStamp(stored: string | null): string {
  return stored === null ? 'none' : stored.slice(-16);
}
