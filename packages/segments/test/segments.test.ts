import { afterAll, describe, expect, it } from 'vitest';
import { segmentCollections, segments } from '@clientele/segments';
import { coreCollections } from '@clientele/core/adapter';
import { DAY, STORE_KINDS, SYSTEM, buy, member, openSegChain, snapshot } from './helpers.js';

const everything = [...coreCollections, ...segmentCollections];

describe('module settings', () => {
  it('are checked at once, naming the path under config', () => {
    expect(() => segments({ rfm: { windowDays: 0 } })).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', path: ['config', 'rfm', 'windowDays'] }),
    );
    expect(() => segments({ classes: { aShare: 0.9, bShare: 0.8 } })).toThrow(
      expect.objectContaining({ path: ['config', 'classes', 'bShare'] }),
    );
    expect(() => segments({ rfm: { groups: [{ id: 'a', name: 'A', r: [4, 2] }] } })).toThrow(
      expect.objectContaining({ path: ['config', 'rfm', 'groups', 0, 'r'] }),
    );
    expect(() =>
      segments({
        rfm: {
          groups: [
            { id: 'a', name: 'A' },
            { id: 'a', name: 'B' },
          ],
        },
      }),
    ).toThrow(expect.objectContaining({ path: ['config', 'rfm', 'groups'] }));
    expect(segments().name).toBe('segments');
  });
});

describe.each(STORE_KINDS)('segments on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it(
    'refuse a definition with an unknown field, a type mismatch or bad args, naming the path, and change ' + 'nothing',
    async () => {
      const { crm } = await openSegChain(await kind.open());
      await member(crm, 'A');
      const before = await snapshot(crm as never, everything);
      const cases: Array<[unknown, string, string]> = [
        [{ field: 'spendd', op: 'gt', value: 1 }, 'definition.field', 'unknown_field'],
        [{ all: [{ field: 'visits', op: 'gt', value: 'many' }] }, 'definition.all.0.value', 'type_mismatch'],
        [{ condition: 'inactive-for-days', args: { days: 'ninety' } }, 'definition.args.days', 'invalid_type'],
      ];
      for (const [definition, path, code] of cases) {
        const error = await crm.segments
          .define({ id: 'bad', name: 'Bad', definition }, SYSTEM)
          .catch((e: unknown) => e);
        expect(error, JSON.stringify(definition)).toMatchObject({
          code: 'VALIDATION_FAILED',
          path: path.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)),
        });
        expect((error as { issues: Array<{ code: string }> }).issues[0]!.code).toBe(code);
      }
      await expect(
        crm.segments.define(
          { id: 'bad', name: 'Bad', definition: { condition: 'key-account' }, policy: { pointsMultiplier: -1 } },
          SYSTEM,
        ),
      ).rejects.toMatchObject({ code: 'VALIDATION_FAILED', path: ['policy', 'pointsMultiplier'] });
      await expect(crm.segments.rebuild({ chunkSize: 5 }, SYSTEM)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        path: ['chunkSize'],
      });
      await expect(crm.segments.rebuild({ parts: ['everything' as never] }, SYSTEM)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        path: ['parts', 0],
      });
      await expect(crm.segments.rebuild({}, { actor: { staffId: 'E-GUARD' } })).rejects.toMatchObject({
        code: 'PERMISSION_DENIED',
      });
      await expect(crm.segments.match({ field: 'visits', op: 'gt', value: 'x' }, SYSTEM)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        path: ['definition', 'value'],
      });
      const after = await snapshot(crm as never, everything);
      // The refused rebuild is audited as refused; nothing else changed.
      expect({ ...after, audit_log: '' }).toEqual({ ...before, audit_log: '' });
      await crm.close();
    },
  );

  it('materialise membership on rebuild, emit joins and leaves, and follow each sale at once', async () => {
    const { crm, clock } = await openSegChain(await kind.open());
    const regular = await member(crm, 'Regular');
    const big = await member(crm, 'Big', { tags: ['vip'] });
    const quiet = await member(crm, 'Quiet', { homeStoreId: 'S02' });
    for (let i = 0; i < 6; i++) {
      await buy(crm, regular, 2_000);
      clock.advance(7 * DAY);
    }
    await buy(crm, big, 90_000);
    await crm.segments.define(
      {
        id: 'lapsed',
        name: 'Lapsed',
        definition: { condition: 'inactive-for-days', args: { days: 60 } },
        policy: { pointsMultiplier: 2 },
      },
      SYSTEM,
    );
    await crm.segments.define(
      {
        id: 'vip-or-big',
        name: 'VIP or big',
        priority: 5,
        definition: {
          any: [
            { condition: 'has-tag', args: { tag: 'vip' } },
            { condition: 'spent-at-least', args: { amount: 50_000 } },
          ],
        },
        policy: { freeDelivery: true, serviceLevel: 'priority', pointsMultiplier: 1.5 },
      },
      SYSTEM,
    );
    await crm.segments.define(
      { id: 's02', name: 'S02 members', definition: { field: 'homeStoreId', op: 'eq', value: 'S02' } },
      SYSTEM,
    );
    const events: string[] = [];
    crm.events.on('segment.joined', (e) => void events.push(`+${e.segmentId}:${e.customerId}`));
    crm.events.on('segment.left', (e) => void events.push(`-${e.segmentId}:${e.customerId}`));

    const r = await crm.segments.rebuild({}, SYSTEM);
    expect(r.joined).toBe(2);
    expect(events.sort()).toEqual([`+s02:${quiet}`, `+vip-or-big:${big}`].sort());
    expect(await crm.segments.segmentsOf(big, SYSTEM)).toEqual(['vip-or-big']);
    expect(await crm.segments.policyFor(big, SYSTEM)).toEqual({
      pointsMultiplier: 1.5,
      freeDelivery: true,
      serviceLevel: 'priority',
      visitEveryDays: null,
      segmentIds: ['vip-or-big'],
    });
    expect(await crm.segments.policyFor(regular, SYSTEM)).toEqual({
      pointsMultiplier: 1,
      freeDelivery: false,
      serviceLevel: null,
      visitEveryDays: null,
      segmentIds: [],
    });

    // Time passes: the regular customer lapses at the next rebuild (relative dates are evaluated then).
    clock.advance(70 * DAY);
    events.length = 0;
    await crm.segments.rebuild({ parts: ['membership'] }, SYSTEM);
    expect(events).toEqual([`+lapsed:${big}`, `+lapsed:${regular}`].sort((a, b) => (a < b ? -1 : 1)).sort());
    // A sale brings them back at once, in the sale's own transaction.
    events.length = 0;
    await buy(crm, regular, 1_000);
    expect(events).toEqual([`-lapsed:${regular}`]);
    expect(await crm.segments.segmentsOf(regular, SYSTEM)).toEqual([]);
    const outbox = await crm.outbox.relay(() => undefined);
    expect(outbox.delivered).toBeGreaterThan(0);

    // Other modules read the policy inside their own transactions, through the entry point that checks no reader.
    const inside = await crm.store.transaction((tx) => crm.segments.forModules.policyFor(big, tx));
    expect(inside.segmentIds, 'highest priority first').toEqual(['vip-or-big', 'lapsed']);
    expect(inside.pointsMultiplier).toBe(2);

    // Deactivating a segment empties it at the next rebuild.
    await crm.segments.define(
      {
        id: 'lapsed',
        name: 'Lapsed',
        active: false,
        definition: { condition: 'inactive-for-days', args: { days: 60 } },
      },
      SYSTEM,
    );
    events.length = 0;
    await crm.segments.rebuild({ parts: ['membership'] }, SYSTEM);
    expect(events).toEqual([`-lapsed:${big}`]);
    expect((await crm.segments.members('vip-or-big', SYSTEM)).items.map((m) => m.customerId)).toEqual([big]);
    await expect(crm.segments.segmentsOf('not an id!', SYSTEM)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      path: ['customerId'],
    });
    await crm.close();
  });

  it('empty every inactive segment at the next rebuild, whichever active ones sort around it', async () => {
    const { crm } = await openSegChain(await kind.open());
    const a = await member(crm, 'Everyone');
    const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    for (const id of ids)
      await crm.segments.define(
        { id, name: id.toUpperCase(), definition: { field: 'kind', op: 'eq', value: 'individual' } },
        SYSTEM,
      );
    await crm.segments.rebuild({}, SYSTEM);
    expect(await crm.segments.segmentsOf(a, SYSTEM)).toEqual(ids);
    // Inactive before the first active one, between active ones and after the last.
    for (const id of ['a', 'c', 'e', 'g'])
      await crm.segments.define(
        { id, name: id.toUpperCase(), active: false, definition: { field: 'kind', op: 'eq', value: 'individual' } },
        SYSTEM,
      );
    await crm.segments.rebuild({ parts: ['membership'] }, SYSTEM);
    expect(await crm.segments.segmentsOf(a, SYSTEM)).toEqual(['b', 'd', 'f']);
    for (const id of ['b', 'd', 'f'])
      await crm.segments.define(
        { id, name: id.toUpperCase(), active: false, definition: { field: 'kind', op: 'eq', value: 'individual' } },
        SYSTEM,
      );
    await crm.segments.rebuild({ parts: ['membership'] }, SYSTEM);
    expect(await crm.segments.segmentsOf(a, SYSTEM)).toEqual([]);
    await crm.close();
  });

  it('follow changes of the customer: a tag added joins a tag segment', async () => {
    const { crm } = await openSegChain(await kind.open());
    const a = await member(crm, 'Tagless');
    await crm.segments.define(
      { id: 'vip', name: 'VIP', definition: { condition: 'has-tag', args: { tag: 'vip' } } },
      SYSTEM,
    );
    await crm.customers.update({ customerId: a, changes: { tags: ['vip'] } }, SYSTEM);
    expect(await crm.segments.segmentsOf(a, SYSTEM)).toEqual(['vip']);
    await crm.customers.update({ customerId: a, changes: { tags: [] } }, SYSTEM);
    expect(await crm.segments.segmentsOf(a, SYSTEM)).toEqual([]);
    await crm.close();
  });
});
