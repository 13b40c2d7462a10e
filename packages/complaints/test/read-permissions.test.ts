/**
 * Reading a customer's cases is a controlled act: every complaints query checks its read permission
 * (`complaints.read`, `surveys.read` for invitations and a customer's satisfaction) and, when the
 * retailer turns read auditing on, records whose case was read. Reports of totals and the configuration
 * take no reader.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { STORE_KINDS } from '../../../tests/support/stores.js';
import { expectReadsAudited, expectReadsGuarded, type ReadCase } from '../../../tests/support/read-checks.js';
import { CLERK, MANAGER, at, openWorld, type World } from './support/world.js';

/**
 * A case settled at the counter for the member (which invites her to the after-case survey), a corrective action, and
 * every complaints query on them.
 */
async function caseFile(world: World & { customerId: string }): Promise<Record<string, ReadCase>> {
  const { crm, customerId } = world;
  const settled = await crm.complaints.settleAtCounter(
    {
      case: {
        kind: 'complaint',
        channel: 'counter',
        storeId: 'S01',
        customerId,
        category: 'fresh-food',
        severity: 'low',
        description: 'sour milk',
        items: [{ sku: 'MILK-1L' }],
      },
      remedies: [{ type: 'compensation', amount: 1000 }],
      rootCause: 'stale-goods',
    },
    CLERK,
  );
  const action = await crm.complaints.actions.create(
    {
      caseId: settled.id,
      description: 'Check the dairy fridge every morning',
      ownerStaffId: 'E-MANAGER',
      dueInMinutes: 600,
    },
    MANAGER,
  );
  const hers = [customerId];
  return {
    'complaints.get': { permission: 'complaints.read', args: [settled.id], reads: hers },
    'complaints.byNumber': { permission: 'complaints.read', args: [settled.caseNo], reads: hers },
    'complaints.list': { permission: 'complaints.read', args: [{ customerId, status: 'all' }], reads: hers },
    'complaints.history': { permission: 'complaints.read', args: [settled.id], reads: hers },
    'complaints.archive.search': { permission: 'complaints.read', args: [{ sku: 'MILK-1L' }], reads: hers },
    // A store's corrective action names no customer: the reader is checked, the read is not a member's file.
    'complaints.actions.get': { permission: 'complaints.read', args: [action.id] },
    'complaints.actions.list': { permission: 'complaints.read', args: [{ caseId: settled.id }] },
    'complaints.surveys.invitations': { permission: 'surveys.read', args: [{ customerId }], reads: hers },
    'complaints.surveys.satisfaction': { permission: 'surveys.read', args: [customerId], reads: hers },
  };
}

describe.each(STORE_KINDS)('reads of cases on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it(
    'refuses every complaints query to a reader without its read permission (audited) and answers one with ' + 'it',
    async () => {
      const world = await openWorld(await kind.open());
      const cases = await caseFile(world);
      await expectReadsGuarded(world.crm, 'complaints.', cases);
      // A counter clerk handles cases without being given the archive.
      await expect(world.crm.complaints.list({ customerId: world.customerId }, CLERK)).rejects.toMatchObject({
        code: 'PERMISSION_DENIED',
      });
      // Reports of totals and the configuration take no reader.
      expect(
        (await world.crm.complaints.reports.causes({ from: at(0, '00:00'), to: at(1, '00:00') })).rows,
      ).toMatchObject([{ cause: 'stale-goods', cases: 1 }]);
      expect(world.crm.complaints.surveys.questionnaires().map((q) => q.id)).toContain('after-case');
      await world.crm.close();
    },
  );

  it('with auditReads, records each read of a case naming its customer; without it, records none', async () => {
    for (const auditReads of [true, false]) {
      const world = await openWorld(await kind.open(), { auditReads });
      await expectReadsAudited(world.crm, 'complaints.', await caseFile(world), auditReads);
      await world.crm.close();
    }
  });
});
