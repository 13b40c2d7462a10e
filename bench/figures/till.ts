/**
 * `till.offline.sale`: p99 latency of an offline member sale at a Node till (`till.ringUp` with
 * central out of reach: the sale logged in the till's SQLite file, points quoted from its cache),
 * against the same sale rung up online with central in process (its baseline).
 *
 * `till.replay`: sales per second replaying a log of queued sales to central (`till.sync()`), against
 * recording the same sales online one by one; target at least half the online rate.
 *
 * Central runs in the same process on a SQLite file of its own, so neither figure counts a network.
 */
import path from 'node:path';
import { StoreUnavailableError, createClientele } from '@clientele/core';
import { loyalty, type ProgramInput } from '@clientele/loyalty';
import { sqliteStore } from '@clientele/sqlite';
import { createTill, inProcessCentral, type Till, type TillCentral } from '@clientele/till';
import type { Figure, FigureResult, RunSettings } from '../figure.js';
import { percentile, round } from '../stats.js';
import { makeTempDir, removeTempDir } from '../temp.js';

const SYSTEM = { actor: { system: 'bench-setup' } } as const;
const TARGET_P99_US = 2000;
const TARGET_RATIO = 0.5;
const PROGRAM = {
  id: 'bench',
  timeZone: 'Asia/Shanghai',
  earn: [
    { id: 'dairy', kind: 'per-spend', every: 1000, when: { category: ['dairy'] } },
    { id: 'rest', kind: 'per-spend', every: 2000, priority: -10 },
  ],
} satisfies ProgramInput;
const LINES = [
  { sku: 'MILK-1L', category: 'dairy', quantity: 2, unitPrice: 1350 },
  { sku: 'SOAP', category: 'household', quantity: 1, unitPrice: 4500 },
  { sku: 'BREAD', category: 'bakery', quantity: 1, unitPrice: 900 },
];

/** Central on a SQLite file with `members` carded members; a till's key acts as staff S01-T1. */
async function openCentral(file: string, members: number) {
  const crm = createClientele({ store: sqliteStore({ file }), modules: [loyalty(PROGRAM)] as const });
  await crm.migrate();
  await crm.stores.create({ id: 'S01', name: 'Renmin Road', region: 'East', timeZone: 'Asia/Shanghai' }, SYSTEM);
  const permissions = ['cards.read', 'sales.record', 'loyalty.read', 'loyalty.vouchers.read'];
  await crm.roles.define(
    { id: 'till', name: 'Till', permissions: [...permissions, 'loyalty.stored-value.read', 'stores.read'] },
    SYSTEM,
  );
  for (const t of ['T1', 'T2', 'T3'])
    await crm.staff.add({ id: `S01-${t}`, name: `Till ${t}`, storeId: 'S01', roleId: 'till' }, SYSTEM);
  await crm.cards.defineType({ id: 'GOLD', name: 'Gold', prefix: '88', length: 13 }, SYSTEM);
  const cards: string[] = [];
  for (let i = 0; i < members; i++) {
    const m = await crm.customers.register({ kind: 'individual', name: `Member ${i}` }, SYSTEM);
    cards.push((await crm.cards.issue({ typeId: 'GOLD', storeId: 'S01', customerId: m.id }, SYSTEM)).number);
  }
  return { crm, cards };
}

type Central = Awaited<ReturnType<typeof openCentral>>;

/** A link to central that can be cut. */
function cuttable(inner: TillCentral) {
  const link = { down: false };
  const central = Object.fromEntries(
    Object.entries(inner).map(([name, call]) => [
      name,
      (...args: never[]) =>
        link.down ? Promise.reject(new StoreUnavailableError('down')) : (call as (...a: never[]) => unknown)(...args),
    ]),
  ) as unknown as TillCentral;
  return { central, link };
}

async function openTill(central: Central, file: string, terminalId: string) {
  const { central: link, link: wire } = cuttable(
    inProcessCentral(central.crm, { actor: { staffId: `S01-${terminalId}` } }),
  );
  const till = await createTill({
    terminalId,
    storeId: 'S01',
    // As the guide opens a till's file: durable commits (the default), checkpoints when idle, no map.
    local: sqliteStore({ file, checkpoint: 'idle', mmapBytes: 0 }),
    central: link,
    // Offline stays offline for the figure: no call to central between sales.
    retryAfterMs: 3_600_000,
    memberMaxAgeMs: 3_600_000,
  });
  // Every member's card is in the cache, as at a till that has seen them.
  for (const card of central.cards) await till.lookup(card);
  return { till, wire };
}

/** Rings up `count` sales, each timed (µs). */
async function ring(till: Till, cards: readonly string[], count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    await till.ringUp({ cardNumber: cards[i % cards.length]!, lines: LINES });
    times.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  return times;
}

async function offlineSale({ quick, log }: RunSettings): Promise<FigureResult> {
  const sizes = quick ? { members: 20, warmup: 50, sales: 300 } : { members: 200, warmup: 500, sales: 5000 };
  const dir = makeTempDir('till');
  try {
    const central = await openCentral(path.join(dir, 'central.db'), sizes.members);
    const online = await openTill(central, path.join(dir, 'till-online.db'), 'T1');
    const offline = await openTill(central, path.join(dir, 'till-offline.db'), 'T2');
    offline.wire.down = true;
    log(`warming up: ${sizes.warmup} sales each`);
    await ring(online.till, central.cards, sizes.warmup);
    await ring(offline.till, central.cards, sizes.warmup);
    log(`${sizes.sales} sales online, then offline`);
    const onlineTimes = await ring(online.till, central.cards, sizes.sales);
    const offlineTimes = await ring(offline.till, central.cards, sizes.sales);
    const clientele = round(percentile(offlineTimes, 99), 0);
    const baseline = round(percentile(onlineTimes, 99), 0);
    online.till.close();
    offline.till.close();
    await central.crm.close();
    return {
      id: 'till.offline.sale',
      unit: 'µs (p99)',
      clientele,
      baseline,
      ratio: round(clientele / baseline, 3),
      higherIsBetter: false,
      target: `p99 < ${TARGET_P99_US} µs`,
      met: clientele < TARGET_P99_US,
      samples: sizes.sales,
      extra: {
        offlineP50: round(percentile(offlineTimes, 50), 0),
        onlineP50: round(percentile(onlineTimes, 50), 0),
        members: sizes.members,
      },
      note:
        'a 3-line member sale rung up at a till on a SQLite file opened as the guide says (durability full, ' +
        "no memory map, checkpoint 'idle': sales back to back never pause, so only its 10,000-page bound " +
        'checkpoints); offline: logged with points quoted from the cache; baseline: the same sale online with ' +
        'central in process on SQLite',
    };
  } finally {
    removeTempDir(dir);
  }
}

async function replay({ quick, log }: RunSettings): Promise<FigureResult> {
  const sizes = quick ? { members: 20, sales: 300 } : { members: 200, sales: 10_000 };
  const dir = makeTempDir('till');
  try {
    const central = await openCentral(path.join(dir, 'central.db'), sizes.members);
    const online = await openTill(central, path.join(dir, 'till-online.db'), 'T1');
    const queued = await openTill(central, path.join(dir, 'till-queued.db'), 'T2');
    log(`${sizes.sales} sales recorded online`);
    let start = process.hrtime.bigint();
    await ring(online.till, central.cards, sizes.sales);
    const baseline = round(sizes.sales / (Number(process.hrtime.bigint() - start) / 1e9), 0);
    queued.wire.down = true;
    log(`${sizes.sales} sales queued offline, then replayed`);
    await ring(queued.till, central.cards, sizes.sales);
    queued.wire.down = false;
    start = process.hrtime.bigint();
    const result = await queued.till.sync();
    const clientele = round(sizes.sales / (Number(process.hrtime.bigint() - start) / 1e9), 0);
    if (result.recorded !== sizes.sales) throw new Error(`replayed ${result.recorded} of ${sizes.sales} sales`);
    online.till.close();
    queued.till.close();
    await central.crm.close();
    const ratio = round(clientele / baseline, 3);
    return {
      id: 'till.replay',
      unit: 'sales/s',
      clientele,
      baseline,
      ratio,
      higherIsBetter: true,
      target: `ratio >= ${TARGET_RATIO}`,
      met: ratio >= TARGET_RATIO,
      samples: sizes.sales,
      extra: { members: sizes.members },
      note:
        'replaying a till log of queued 3-line member sales to central in process on SQLite (the replay also ' +
        'refreshes the cache); baseline: the same sales rung up online one by one',
    };
  } finally {
    removeTempDir(dir);
  }
}

export const tillOfflineSale: Figure = {
  id: 'till.offline.sale',
  title: 'an offline member sale at a Node till on SQLite (p99 µs)',
  run: offlineSale,
};

export const tillReplay: Figure = {
  id: 'till.replay',
  title: 'replaying queued sales to central, against recording them online (sales/s)',
  run: replay,
};
