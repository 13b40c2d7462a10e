/**
 * Reading what the chain knows of a customer is a controlled act: every segments query checks its
 * read permission (`segments.read`, `credit.read`, `key-accounts.read`) and, when the retailer turns
 * read auditing on, records whose statistics, memberships, credit or assessment were read. Segment
 * definitions and reports of totals take no reader; other modules read through `forModules`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { expectReadsAudited, expectReadsGuarded, type ReadCase } from '../../../tests/support/read-checks.js';
import { DAY, STORE_KINDS, SYSTEM, buy, member, openSegChain, type SegCrm } from './helpers.js';

const REGULARS = { field: 'visits', op: 'gte', value: 2 } as const;

/**
 * A regular who came every 6 days and stopped (at risk, in a segment), and a hotel buying on account
 * that is a key account; every segments query on them.
 */
async function customerFiles(crm: SegCrm, clock: { advance(ms: number): void }): Promise<Record<string, ReadCase>> {
  const regular = await member(crm, 'Every six days');
  for (let i = 0; i < 8; i++) {
    await buy(crm, regular, 3_000, { category: i % 2 ? 'dairy' : 'fresh' });
    clock.advance(6 * DAY);
  }
  clock.advance(DAY);
  const hotel = (
    await crm.customers.register(
      { kind: 'organisation', legalName: 'Grand Hotel', region: 'East', industry: 'hotels' },
      SYSTEM,
    )
  ).id;
  await crm.segments.credit.setAccount({ customerId: hotel, limit: 1_000_000 }, SYSTEM);
  await buy(crm, hotel, 800_000, { payments: [{ method: 'account', amount: 800_000 }] });
  await crm.segments.keyAccounts.assess(
    {
      customerId: hotel,
      contractMonths: 24,
      growthPotential: 4,
      strategicImportance: 5,
      representativeId: 'E-MANAGER',
      visitEveryDays: 14,
    },
    SYSTEM,
  );
  await crm.segments.define({ id: 'regulars', name: 'Regulars', definition: REGULARS }, SYSTEM);
  await crm.segments.rebuild({}, SYSTEM);
  const stats = 'segments.read';
  return {
    'segments.match': { permission: stats, args: [REGULARS], reads: [regular] },
    'segments.members': { permission: stats, args: ['regulars'], reads: [regular] },
    'segments.segmentsOf': { permission: stats, args: [regular], reads: [regular] },
    'segments.policyFor': { permission: stats, args: [regular], reads: [regular] },
    'segments.stats': { permission: stats, args: [regular], reads: [regular] },
    'segments.atRisk': { permission: stats, args: [], reads: [regular] },
    'segments.recommendations.nextCategories': { permission: stats, args: [regular], reads: [regular] },
    'segments.credit.check': { permission: 'credit.read', args: [hotel, 10_000], reads: [hotel] },
    'segments.credit.status': { permission: 'credit.read', args: [hotel], reads: [hotel] },
    'segments.credit.ledger': { permission: 'credit.read', args: [hotel], reads: [hotel] },
    'segments.keyAccounts.due': {
      permission: 'key-accounts.read',
      args: [new Date('2027-06-01T00:00:00Z')],
      reads: [hotel],
    },
    'segments.keyAccounts.get': { permission: 'key-accounts.read', args: [hotel], reads: [hotel] },
  };
}

describe.each(STORE_KINDS)('reads of customer statistics on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it(
    'refuses every segments query to a reader without its read permission (audited) and answers one ' + 'with it',
    async () => {
      const { crm, clock } = await openSegChain(await kind.open(), { keyAccounts: { volumeFullAt: 1_000_000 } });
      const cases = await customerFiles(crm, clock);
      await expectReadsGuarded(crm, 'segments.', cases);
      // Definitions and totals show no customer and take no reader.
      expect((await crm.segments.list()).map((s) => s.id)).toEqual(['regulars']);
      expect((await crm.segments.reports.structure({ by: 'kind' })).map((r) => [r.key, r.customers]).sort()).toEqual([
        ['individual', 1],
        ['organisation', 1],
      ]);
      // Other modules read memberships through their own session, with no reader of their own.
      const regular = cases['segments.stats']!.args[0] as string;
      expect(await crm.store.transaction((tx) => crm.segments.forModules.segmentsOf(regular, tx))).toEqual([
        'regulars',
      ]);
      await expect(crm.segments.forModules.policyFor(regular, undefined as never)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        path: ['session'],
      });
      await crm.close();
    },
  );

  it('with auditReads, records each read of a customer file naming them; without it, records none', async () => {
    for (const auditReads of [true, false]) {
      const { crm, clock } = await openSegChain(
        await kind.open(),
        { keyAccounts: { volumeFullAt: 1_000_000 } },
        { auditReads },
      );
      const cases = await customerFiles(crm, clock);
      await expectReadsAudited(crm, 'segments.', cases, auditReads);
      // What other modules read through forModules is audited as their own read: it writes nothing here.
      // (Reading the audit log is itself a read of the files it names, so its own entries are left out.)
      const reads = async () =>
        (await crm.audit.list({ outcome: 'read', limit: 1000 }, SYSTEM)).items.filter((e) => e.command !== 'audit.list')
          .length;
      const before = await reads();
      await crm.store.transaction((tx) =>
        crm.segments.forModules.policyFor(cases['segments.stats']!.args[0] as string, tx),
      );
      expect(await reads()).toBe(before);
      await crm.close();
    }
  });
});
