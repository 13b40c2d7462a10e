/** What the signed-in member of staff may do, to offer only those actions (the SDK still decides). */

/** The role's permissions and limits, as the page shows them. */
export interface StaffRights {
  permissions: readonly string[];
  /** Limits in minor units, by name (`points-adjustment`, `voucher`, ...). */
  limits: Readonly<Record<string, number>>;
}

/** Whether the permissions grant `permission`: exactly, by family (`loyalty.*`) or all (`*`), as the SDK reads them. */
export function grants(rights: StaffRights, permission: string): boolean {
  return rights.permissions.some(
    (p) => p === '*' || p === permission || (p.endsWith('.*') && permission.startsWith(p.slice(0, -1))),
  );
}
