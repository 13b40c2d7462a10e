/**
 * The chunks of a rebuild's stats pass: a chunk with nothing to write is read and left, with no
 * transaction and no audit entry (its changed rows wait for the sweep, as on most nights); a chunk
 * that writes (a key account whose standing moved with time) runs as a unit of work, records the new
 * score and emits the change once; the results are those of a rebuild that runs every chunk as one.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { auditLog, compareStrings } from '@clientele/core/module';
import { customerStatsCollection } from '@clientele/segments';
import { DAY, STORE_KINDS, SYSTEM, buy, member, openSegChain } from './helpers.js';

describe.each(STORE_KINDS)('rebuild chunks on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it('write only where something changed, and score key accounts again as their volume leaves the window', async () => {
    const store = await kind.open();
    const { crm, clock } = await openSegChain(store, { keyAccounts: { volumeFullAt: 1_000_000 } });
    const hotel = (
      await crm.customers.register(
        { kind: 'organisation', legalName: 'Grand Hotel', region: 'East', industry: 'hotels' },
        SYSTEM,
      )
    ).id;
    const regular = await member(crm, 'Regular');
    await buy(crm, hotel, 800_000);
    await buy(crm, regular, 2_000);
    await crm.segments.keyAccounts.assess(
      {
        customerId: hotel,
        contractMonths: 24,
        growthPotential: 4,
        strategicImportance: 5,
        representativeId: 'E-MANAGER',
      },
      SYSTEM,
    );
    const chunks = () => store.count(auditLog, { command: 'segments.rebuild-stats' });
    const events: Array<[string, unknown]> = [];
    crm.events.on('key-account.dropped', (e) => void events.push(['dropped', e]));
    crm.events.on('key-account.designated', (e) => void events.push(['designated', e]));

    // The rows follow every sale already: the chunk is read, and nothing is written but the scores.
    await crm.segments.rebuild({ parts: ['stats'] }, SYSTEM);
    expect(await chunks()).toBe(0);
    const again = await crm.segments.rebuild({ parts: ['stats'] }, SYSTEM);
    expect(again.written).toBe(0);
    expect(await chunks()).toBe(0);

    // A sale the statistics follow at once, and time passing: the regular's window figures move
    // (a row the sweep writes), the chunk itself still has nothing to write.
    clock.advance(30 * DAY);
    await buy(crm, regular, 3_000);
    const night = await crm.segments.rebuild({ parts: ['stats'] }, SYSTEM);
    expect(await chunks()).toBe(0);
    expect((await crm.segments.stats(regular, SYSTEM)).visits).toBe(2);
    expect(night.cancelled).toBe(false);
    expect(events).toEqual([]);

    // A year on, the hotel's 800 yuan are out of the window: 100 × (0.6667·0.15 + 0.75·0.15 + 1·0.2 + 0.5·0.15) = 48.75
    // → 49.
    clock.advance(366 * DAY);
    await crm.segments.rebuild({ parts: ['stats'] }, SYSTEM);
    expect(await chunks()).toBe(1);
    expect(events).toEqual([['dropped', { customerId: hotel, score: 49 }]]);
    expect(await crm.segments.keyAccounts.get(hotel, SYSTEM)).toMatchObject({ score: 49, isKey: false });
    expect((await crm.segments.stats(hotel, SYSTEM)).keyAccount).toBe(false);
    // Scored once: the next rebuild finds nothing to record.
    await crm.segments.rebuild({ parts: ['stats'] }, SYSTEM);
    expect(await chunks()).toBe(1);
    expect(events).toHaveLength(1);
    await crm.close();
  });

  it('rate credit accounts in whichever chunk they fall, first, last or between', async () => {
    const store = await kind.open();
    const { crm, clock } = await openSegChain(store);
    const orgs: string[] = [];
    for (let i = 0; i < 25; i++) {
      const id = (
        await crm.customers.register({ kind: 'organisation', legalName: `Canteen ${i}`, region: 'East' }, SYSTEM)
      ).id;
      orgs.push(id);
      await buy(crm, id, 1_000);
    }
    orgs.sort(compareStrings);
    // With chunks of 10: the first customer, both ends of the second chunk, and the last.
    const holders = [orgs[0]!, orgs[10]!, orgs[19]!, orgs[24]!];
    await crm.roles.define({ id: 'cashier', name: 'Cashier', permissions: ['sales.*'], limits: { credit: 0 } }, SYSTEM);
    await crm.staff.add({ id: 'E-CASH', name: 'Cashier', storeId: 'S01', roleId: 'cashier' }, SYSTEM);
    const cashier = { staffId: 'E-CASH' };
    for (const id of holders) {
      await crm.segments.credit.setAccount({ customerId: id, limit: 100_000, termsDays: 30 }, SYSTEM);
      await buy(crm, id, 10_000, { payments: [{ method: 'account', amount: 10_000 }], actor: cashier });
    }
    await crm.segments.rebuild({ parts: ['stats'], chunkSize: 10 }, SYSTEM);
    // Unpaid 45 days past due: the ratings move with time alone, so only a rebuild that reads each
    // holder's account in its chunk finds them.
    clock.advance(75 * DAY);
    const before = await Promise.all(
      holders.map(async (id) => (await store.get(customerStatsCollection, id))!.creditRating),
    );
    await crm.segments.rebuild({ parts: ['stats'], chunkSize: 10 }, SYSTEM);
    const ratings = await Promise.all(holders.map(async (id) => (await crm.segments.credit.status(id, SYSTEM)).rating));
    const rows = await Promise.all(
      holders.map(async (id) => (await store.get(customerStatsCollection, id))!.creditRating),
    );
    expect(rows).toEqual(ratings);
    expect(rows).not.toEqual(before);
    // Customers without an account have no rating.
    expect((await store.get(customerStatsCollection, orgs[5]!))!.creditRating).toBeNull();
    await crm.close();
  });

  it('write a page read first in units of work of the chunk size when it has rows to write', async () => {
    const store = await kind.open();
    const { crm } = await openSegChain(store);
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      ids.push(await member(crm, `M${i}`));
      await buy(crm, ids[i]!, 1_000 * (i + 1));
    }
    ids.sort(compareStrings);
    const chunks = () => store.count(auditLog, { command: 'segments.rebuild-stats' });
    // Rows lost in every stretch of ten customers: the page of fifty read first has rows to write.
    const lost = ids.filter((_, i) => i % 5 === 0);
    for (const id of lost) await store.delete(customerStatsCollection, id);
    const r = await crm.segments.rebuild({ parts: ['stats'], chunkSize: 10 }, SYSTEM);
    expect(r.customers).toBe(25);
    // Three units of work (10, 10 and 5 customers), not one of the whole page.
    expect(await chunks()).toBe(3);
    for (const id of lost) expect((await crm.segments.stats(id, SYSTEM)).visits).toBe(1);
    await crm.close();
  });

  it('see every customer once over pages read ahead, where a page lost rows and is written again', async () => {
    const store = await kind.open();
    const { crm } = await openSegChain(store);
    const spent = new Map<string, number>();
    for (let i = 0; i < 130; i++) {
      const id = await member(crm, `M${i}`);
      await buy(crm, id, 1_000 + i);
      spent.set(id, 1_000 + i);
    }
    const ids = [...spent.keys()].sort(compareStrings);
    await crm.segments.rebuild({ parts: ['stats'], chunkSize: 10 }, SYSTEM);
    // Thirty rows of the first page gone (customers imported raw): that page is written again in units
    // of work, what was read ahead of it is passed over, and the pages after it are read ahead again.
    const lost = [...ids.slice(0, 30), ids[120]!];
    for (const id of lost) await store.delete(customerStatsCollection, id);
    const r = await crm.segments.rebuild({ parts: ['stats'], chunkSize: 10 }, SYSTEM);
    expect(r.customers).toBe(130);
    expect(r.written).toBe(lost.length);
    expect(await store.count(customerStatsCollection)).toBe(130);
    for (const id of lost) {
      const stats = await crm.segments.stats(id, SYSTEM);
      expect([stats.visits, stats.spend]).toEqual([1, spent.get(id)]);
    }
    await crm.close();
  });
});
