/**
 * The back office's own staff table: who may sign in, with what password, as which member of staff
 * in Clientele (whose role gives the permissions and limits). A chain plugs its own directory or
 * single sign-on in here; Clientele only needs the staff id.
 */
import { scryptSync, timingSafeEqual } from 'node:crypto';

/** One sign-in of the table. */
export interface StaffSignIn {
  login: string;
  /** The member of staff in Clientele this sign-in acts as. */
  staffId: string;
  /** `scrypt$<salt>$<hash>`, hex. */
  passwordHash: string;
}

/** Hashes a password for the table (scrypt, a salt per sign-in). */
export function hashPassword(password: string, salt: string): string {
  return `scrypt$${salt}$${scryptSync(password, salt, 32).toString('hex')}`;
}

/** Whether `password` is the one `hash` was made from. */
export function passwordMatches(password: string, hash: string): boolean {
  const [scheme, salt, hex] = hash.split('$');
  if (scheme !== 'scrypt' || !salt || !hex) return false;
  const expected = Buffer.from(hex, 'hex');
  const actual = scryptSync(password, salt, expected.length);
  return timingSafeEqual(actual, expected);
}

/** The demo chain's staff (password `demo` for every one). */
export function demoSignIns(): StaffSignIn[] {
  const people: Array<[string, string]> = [
    ['lina', 'S01-C1'],
    ['chenchen', 'S02-C1'],
    ['wangqiang', 'S01-M1'],
    ['zhaomin', 'HQ-CR1'],
    ['liugong', 'S01-Q1'],
    ['sunwei', 'HQ-GMO1'],
    ['zhouzong', 'HQ-GM'],
  ];
  return people.map(([login, staffId]) => ({ login, staffId, passwordHash: hashPassword('demo', `salt-${login}`) }));
}

/** Finds the sign-in a login and password name, or null. */
export function signIn(table: readonly StaffSignIn[], login: string, password: string): StaffSignIn | null {
  const row = table.find((r) => r.login === login.trim().toLowerCase());
  return row && passwordMatches(password, row.passwordHash) ? row : null;
}
