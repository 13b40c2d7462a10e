/**
 * The limits value given away is held to: goodwill points and vouchers each have their own role limit
 * (`goodwill-points`, `voucher`); a role that sets no limit of that name is held to its `compensation`
 * limit instead. That way a chain that counts every kind of compensation against one money limit (as
 * the complaints module can be configured to) defines only `compensation`, and the loyalty module
 * agrees with the complaints module about who may give how much; a chain that wants a separate limit
 * sets it, and both modules then use that one. The kernel applies the first name a role sets, to the
 * actor and to an approver alike.
 */
import { limitNameFor } from '@clientele/core/module';

/** The umbrella limit a role falls back to. */
export const COMPENSATION_ACTION = 'compensation';

/** The limits goodwill points are held to, in order. */
export const GOODWILL_LIMITS: readonly ['goodwill-points', 'compensation'] = ['goodwill-points', COMPENSATION_ACTION];

/** The limits vouchers given outside a rule are held to, in order. */
export const VOUCHER_LIMITS: readonly ['voucher', 'compensation'] = ['voucher', COMPENSATION_ACTION];

/** The limit a role is held to for `action`: its own, else `compensation`, else `action` (0). */
export function grantAction(limits: Readonly<Record<string, number>>, action: string): string {
  return limitNameFor(limits, [action, COMPENSATION_ACTION]);
}
