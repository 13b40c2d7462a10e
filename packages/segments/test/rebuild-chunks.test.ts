/**
 * The chunks of a rebuild's stats pass: a chunk with nothing to write is read and left, with no
 * transaction and no audit entry (its changed rows wait for the sweep, as on most nights); a chunk
 * that writes (a key account whose standing moved with time) runs as a unit of work, records the new
 * score and emits the change once; the results are those of a rebuild that runs every chunk as one.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { auditLog } from '@clientele/core/module';
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

    // A year on, the hotel's 800 yuan are out of the window: 100 × (0.6667·0.15 + 0.75·0.15 + 1·0.2 + 0.5·0.15) = 48.75 → 49.
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
});
