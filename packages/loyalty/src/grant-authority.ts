/**
 * Authority for value given away: goodwill points and vouchers. Each has its own role limit
 * (`goodwill-points`, `voucher`); a role that sets no limit of that name is held to its
 * `compensation` limit instead. That way a chain that counts every kind of compensation against one
 * money limit (as the complaints module can be configured to) defines only `compensation`, and the
 * loyalty module agrees with the complaints module about who may give how much; a chain that wants a
 * separate limit sets it, and both modules then use that one (the complaints module's default).
 */
import { NotFoundError, rolesCollection, staffCollection, type CommandContext } from '@clientele/core';

/** The umbrella limit a role falls back to. */
export const COMPENSATION_ACTION = 'compensation';

/** The limit a role is held to for `action`: its own, else `compensation`, else `action` (0). */
export function grantAction(limits: Readonly<Record<string, number>>, action: string): string {
  if (action in limits) return action;
  if (COMPENSATION_ACTION in limits) return COMPENSATION_ACTION;
  return action;
}

/**
 * Requires authority for giving away `amount` minor units as `action`, from the actor or from the
 * named approver. Refusals are `AUTHORITY_EXCEEDED` and audited, as core's own checks are.
 */
export async function requireGrantAuthority(ctx: CommandContext, action: string, amount: number, approverStaffId?: string | null): Promise<{ approvedBy: string | null }> {
  const actor = ctx.actor;
  if (actor.kind === 'system') return { approvedBy: null };
  const own = grantAction(actor.limits, action);
  if (amount <= (actor.limits[own] ?? 0) || !approverStaffId) return ctx.requireAuthority(own, amount);
  // The approver is held to their own role's limits, which may name the action differently.
  const staff = await ctx.tx.get(staffCollection, approverStaffId);
  if (!staff) throw new NotFoundError('staff', approverStaffId, { path: ['approvedBy'] });
  const role = await ctx.tx.get(rolesCollection, staff.roleId);
  return ctx.requireAuthority(grantAction(role?.limits ?? {}, action), amount, approverStaffId);
}
