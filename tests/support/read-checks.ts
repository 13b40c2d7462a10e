/**
 * Checks of a module's read queries, by what `crm.queries()` lists: each refuses a reader whose role
 * grants every permission of the chain but the query's own (PERMISSION_DENIED, audited) and answers
 * one whose role grants only that one as it answers the system actor; with `auditReads`, each read of
 * a member's file writes one `read` entry naming the customers shown, and without it none.
 */
import { expect } from 'vitest';
import type { Clientele } from '@clientele/core';

const SETUP = { actor: { system: 'test-setup' } } as const;

/**
 * A query on the test's data: the permission it needs, its arguments, the customers whose file it shows (absent: none).
 */
export interface ReadCase {
  permission: string;
  args: readonly unknown[];
  reads?: readonly string[];
}

type Crm = Pick<Clientele, 'queries' | 'commands' | 'roles' | 'staff' | 'audit'>;
type Reader = { staffId: string };
type Read = (...args: unknown[]) => Promise<unknown>;

/** The function at a query's name on `crm` (`loyalty.vouchers.get` is `crm.loyalty.vouchers.get`). */
function queryAt(crm: object, name: string): Read {
  let at: unknown = crm;
  for (const key of name.split('.')) at = (at as Record<string, unknown>)[key];
  expect(typeof at, name).toBe('function');
  return at as Read;
}

/**
 * The module's queries, checked against the cases: every one has a case, with its permission and whether it is
 * personal.
 */
function queriesOf(crm: Crm, prefix: string, cases: Readonly<Record<string, ReadCase>>) {
  const infos = crm.queries().filter((q) => q.name.startsWith(prefix));
  expect(infos.map((q) => q.name).sort(), 'every query of the module has a case here').toEqual(
    Object.keys(cases).sort(),
  );
  expect(infos.map((q) => [q.name, q.permission, q.personal])).toEqual(
    infos.map((q) => [q.name, cases[q.name]!.permission, cases[q.name]!.reads !== undefined]),
  );
  return infos;
}

/**
 * For each permission, one member of staff whose role grants only it, and one whose role grants every other permission
 * of the chain.
 */
async function readers(
  crm: Crm,
  permissions: readonly string[],
): Promise<Map<string, { allowed: Reader; denied: Reader }>> {
  const everything = [
    ...new Set([...crm.commands().map((c) => c.permission), ...crm.queries().map((q) => q.permission)]),
  ];
  const out = new Map<string, { allowed: Reader; denied: Reader }>();
  for (const [i, permission] of permissions.entries()) {
    await crm.roles.define({ id: `only-${i}`, name: `Only ${permission}`, permissions: [permission] }, SETUP);
    await crm.roles.define(
      { id: `all-but-${i}`, name: `All but ${permission}`, permissions: everything.filter((p) => p !== permission) },
      SETUP,
    );
    await crm.staff.add({ id: `E-ONLY-${i}`, name: `Only ${i}`, storeId: 'S01', roleId: `only-${i}` }, SETUP);
    await crm.staff.add({ id: `E-ALL-BUT-${i}`, name: `All but ${i}`, storeId: 'S01', roleId: `all-but-${i}` }, SETUP);
    out.set(permission, { allowed: { staffId: `E-ONLY-${i}` }, denied: { staffId: `E-ALL-BUT-${i}` } });
  }
  return out;
}

/** Every query of the module refuses a reader without its permission, audited, and answers one with it. */
export async function expectReadsGuarded(
  crm: Crm,
  prefix: string,
  cases: Readonly<Record<string, ReadCase>>,
): Promise<void> {
  const infos = queriesOf(crm, prefix, cases);
  const staff = await readers(crm, [...new Set(infos.map((q) => q.permission))]);
  for (const info of infos) {
    const { args } = cases[info.name]!;
    const { allowed, denied } = staff.get(info.permission)!;
    const read = queryAt(crm, info.name);
    await expect(read(...args, { actor: denied }), info.name).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      details: { permission: info.permission },
    });
    expect(await read(...args, { actor: allowed }), info.name).toEqual(await read(...args, SETUP));
  }
  const refused = (await crm.audit.list({ outcome: 'refused', limit: 1000 }, SETUP)).items;
  for (const info of infos) {
    expect(refused, info.name).toContainEqual(
      expect.objectContaining({
        command: info.name,
        outcome: 'refused',
        errorCode: 'PERMISSION_DENIED',
        actor: staff.get(info.permission)!.denied,
      }),
    );
  }
}

/**
 * Reads every query of the module once refused and once allowed: with `auditReads` each personal one
 * leaves exactly one `read` entry, naming the reader and the customers shown; otherwise none is written.
 */
export async function expectReadsAudited(
  crm: Crm,
  prefix: string,
  cases: Readonly<Record<string, ReadCase>>,
  auditReads: boolean,
): Promise<void> {
  const infos = queriesOf(crm, prefix, cases);
  const staff = await readers(crm, [...new Set(infos.map((q) => q.permission))]);
  for (const info of infos) {
    const { args, reads } = cases[info.name]!;
    const { allowed, denied } = staff.get(info.permission)!;
    const read = queryAt(crm, info.name);
    await expect(read(...args, { actor: denied }), info.name).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    await read(...args, { actor: allowed });
    const entries = (await crm.audit.list({ command: info.name, outcome: 'read' }, SETUP)).items;
    if (!auditReads || !reads) {
      expect(entries, info.name).toEqual([]);
      continue;
    }
    expect(entries, info.name).toHaveLength(1);
    const entry = entries[0]!;
    expect(entry, info.name).toMatchObject({
      actor: { ...allowed, roleId: expect.any(String) },
      customerId: reads.length === 1 ? reads[0] : null,
      details: { count: reads.length },
    });
    expect([...(entry.details as { customerIds: string[] }).customerIds].sort(), info.name).toEqual([...reads].sort());
  }
  if (!auditReads) expect((await crm.audit.list({ outcome: 'read' }, SETUP)).items).toEqual([]);
}
