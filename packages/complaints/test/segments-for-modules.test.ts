/**
 * The real segments and loyalty modules beside complaints: commands of staff who may not read
 * segments still get a member's segment policy and memberships, because modules read them through
 * `crm.segments.forModules` inside the command's own transaction, which checks no reader and, with
 * `auditReads`, leaves no read of a member's file behind.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Clientele } from '@clientele/core';
import { loyalty } from '@clientele/loyalty';
import { segments } from '@clientele/segments';
import { freshKey, nextReceipt } from '../../../tests/support/chain.js';
import { STORE_KINDS } from '../../../tests/support/stores.js';
import type { complaints } from '../src/index.js';
import { CLERK, SYSTEM, at, openWorld } from './support/world.js';

/** One point per yuan, everything. */
const PROGRAM = {
  id: 'plain',
  name: 'Plain points',
  timeZone: 'Asia/Shanghai',
  earn: [{ id: 'all', name: 'All', kind: 'per-spend', every: 100 }],
};

type Crm = Clientele<readonly [ReturnType<typeof complaints>, ReturnType<typeof loyalty>, ReturnType<typeof segments>]>;

describe.each(STORE_KINDS)('modules reading segments on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it(
    'earn the policy’s multiplier, time a case by its service level and keep survey segments for a clerk ' +
      'without segments.read',
    async () => {
      const world = await openWorld(await kind.open(), { modules: [loyalty(PROGRAM), segments()], auditReads: true });
      const crm = world.crm as unknown as Crm;
      const { customerId } = world;
      await crm.segments.define(
        {
          id: 'vip',
          name: 'VIP',
          definition: { condition: 'has-tag', args: { tag: 'vip' } },
          policy: { pointsMultiplier: 2, serviceLevel: 'priority' },
        },
        SYSTEM,
      );
      await crm.customers.update({ customerId, changes: { tags: ['vip'] } }, SYSTEM);
      const other = (await crm.customers.register({ kind: 'individual', name: '王芳' }, CLERK)).id;
      // The clerk sells, opens cases and records answers, and may not read segments.
      await expect(crm.segments.segmentsOf(customerId, CLERK)).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });

      const sale = (who: string) =>
        crm.purchases.record(
          {
            storeId: 'S01',
            terminalId: 'T1',
            receiptNo: nextReceipt(),
            customerId: who,
            lines: [{ sku: 'RICE', category: 'grain', quantity: 1, unitPrice: 5000 }],
          },
          { ...CLERK, idempotencyKey: freshKey('sale') },
        );
      const vipSale = await sale(customerId);
      const plainSale = await sale(other);
      expect((await crm.loyalty.saleAward(plainSale.id, SYSTEM)).points).toBe(50);
      expect((await crm.loyalty.saleAward(vipSale.id, SYSTEM)).points).toBe(100);

      const opened = await crm.complaints.open(
        {
          kind: 'complaint',
          channel: 'phone',
          storeId: 'S01',
          customerId,
          category: 'service',
          severity: 'medium',
          description: 'Asks for a call back.',
        },
        CLERK,
      );
      expect(opened).toMatchObject({
        serviceLevel: 'priority',
        acknowledgeBy: at(0, '10:10'),
        resolveBy: at(0, '10:45'),
      });
      const { response } = await crm.complaints.surveys.respond(
        { questionnaireId: 'after-purchase', storeId: 'S01', customerId, answers: { 'q-fresh': 5 } },
        CLERK,
      );
      expect(response.segments).toEqual(['vip']);

      // Reads inside those commands were the commands' own: no segments read is audited.
      const reads = (await crm.audit.list({ outcome: 'read', limit: 1000 }, SYSTEM)).items.map((e) => e.command);
      expect(reads.filter((c) => c.startsWith('segments.'))).toEqual([]);
      expect(reads).toContain('loyalty.saleAward');
      await crm.close();
    },
  );
});
