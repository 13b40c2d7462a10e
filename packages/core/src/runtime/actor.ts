/**
 * Actors: who performs a command. Staff act through their role's permissions and monetary
 * authority limits; `system` (imports, schedulers) may do everything and is still audited.
 */
import * as z from 'zod';
import { idSchema } from '../validation.js';

/** Who acts, as a caller names them. */
export type Actor = { staffId: string } | { system: string };

/** Schema of {@link Actor}. */
export const actorSchema: z.ZodType<Actor> = z.union([
  z.object({ staffId: idSchema }).strict(),
  z.object({ system: z.string().min(1).max(64) }).strict(),
]);

/** An actor with their role resolved from the store. */
export type ResolvedActor =
  | {
      kind: 'staff';
      staffId: string;
      storeId: string;
      roleId: string;
      permissions: readonly string[];
      /** Monetary authority per action, in minor units. An action not listed has a limit of 0. */
      limits: Readonly<Record<string, number>>;
      /** The most this person may move under each limit per local day of their store (`null`: no daily limits). */
      dailyLimits: Readonly<Record<string, number>> | null;
    }
  | { kind: 'system'; name: string };

/** The form written to audit entries and histories. */
export type ActorRef = { staffId: string; storeId: string; roleId: string } | { system: string };

/** The audit form of an actor. */
export function actorRef(actor: ResolvedActor): ActorRef {
  return actor.kind === 'system'
    ? { system: actor.name }
    : { staffId: actor.staffId, storeId: actor.storeId, roleId: actor.roleId };
}

/**
 * Whether a permission list grants `permission`. Grants are exact (`sales.return`), a family
 * (`sales.*`) or everything (`*`).
 */
export function grants(permissions: readonly string[], permission: string): boolean {
  for (const p of permissions) {
    if (p === '*' || p === permission) return true;
    if (p.endsWith('.*') && permission.startsWith(p.slice(0, -1))) return true;
  }
  return false;
}

/** Whether the actor may perform `permission`. */
export function isPermitted(actor: ResolvedActor, permission: string): boolean {
  return actor.kind === 'system' || grants(actor.permissions, permission);
}

/** The actor's authority limit for `action` in minor units (`Infinity` for system). */
export function authorityLimit(actor: ResolvedActor, action: string): number {
  if (actor.kind === 'system') return Number.POSITIVE_INFINITY;
  return actor.limits[action] ?? 0;
}
