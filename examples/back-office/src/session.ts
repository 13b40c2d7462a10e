/**
 * The signed-in member of staff, in a cookie signed with HMAC-SHA-256: the pages and the API mounted
 * beside them read the same cookie, so a request acts as the person who signed in.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The cookie that holds the session. */
export const SESSION_COOKIE = 'bo_session';
/** The cookie that holds the chosen language. */
export const LANGUAGE_COOKIE = 'bo_lang';

/** The signed-in staff member. */
export interface Session {
  staffId: string;
  /** Milliseconds since the epoch after which the session is over. */
  expires: number;
}

const sign = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('base64url');

/** The cookie value of a session. */
export function sealSession(secret: string, session: Session): string {
  const body = Buffer.from(JSON.stringify(session)).toString('base64url');
  return `${body}.${sign(secret, body)}`;
}

/** The session a cookie value holds, or null when it is missing, forged or over. */
export function openSession(secret: string, value: string | undefined, now: number): Session | null {
  if (!value) return null;
  const [body, mac] = value.split('.');
  if (!body || !mac) return null;
  const expected = Buffer.from(sign(secret, body));
  const given = Buffer.from(mac);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  try {
    const session = JSON.parse(Buffer.from(body, 'base64url').toString()) as Session;
    return typeof session.staffId === 'string' && session.expires > now ? session : null;
  } catch {
    return null;
  }
}

/** A cookie's value from a `Cookie` header. */
export function cookieValue(header: string | null | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}
