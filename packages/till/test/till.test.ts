import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { sqliteStore } from '@clientele/sqlite';
import { createTill } from '../src/index.js';
import {
  CENTRAL_KIND,
  MILK,
  SOAP,
  SYSTEM,
  linkTo,
  openTill,
  localStore,
  member,
  openCentral,
  removeTillFiles,
  tillFile,
  type Central,
} from './support.js';

afterAll(async () => {
  removeTillFiles();
  await CENTRAL_KIND.cleanup();
});

async function salesOf(central: Central, customerId: string) {
  return (await central.crm.purchases.ofCustomer(customerId, SYSTEM)).items;
}

describe(`a till on SQLite with central on ${CENTRAL_KIND.name}`, () => {
  it('records online on central, and caches the member with the age of what it knows', async () => {
    const central = await openCentral();
    const m = await member(central);
    const { till } = await openTill(central);
    const receipt = await till.ringUp({ cardNumber: m.cardNumber, lines: [MILK] });
    expect(receipt).toMatchObject({ status: 'recorded', points: 2, notice: null, receiptNo: 'T1-1' });
    expect(receipt.explanation.at(-1)).toBe('Total: 2 points, worth ¥0.02');
    expect(await salesOf(central, m.customerId)).toHaveLength(1);
    expect((await central.crm.loyalty.balance(m.customerId, SYSTEM)).available).toBe(2);
    central.clock.advance(60_000);
    expect(await till.cacheAge(`member:${m.cardNumber}`)).toBe(60_000);
    expect(await till.cacheAge('program')).toBe(60_000);
    expect(await till.queued()).toBe(0);
  });

  it('sells offline with the explanation central gives, and replays each sale exactly once', async () => {
    const central = await openCentral();
    const m = await member(central);
    const { till, wire } = await openTill(central);
    await till.lookup(m.cardNumber);
    wire.down = true;
    // Saturday 7 November: the weekend doubles the points, offline as on central.
    central.clock.set('2026-11-07T03:00:00Z');
    const basket = { lines: [MILK, SOAP] };
    const offline = await till.ringUp({ cardNumber: m.cardNumber, ...basket });
    expect(offline).toMatchObject({ status: 'pending-sync', purchaseId: null, notice: 'points pending sync' });
    const context = await central.crm.loyalty.contextFor({ customerId: m.customerId, storeId: 'S01' }, SYSTEM);
    const onCentral = central.crm.loyalty.quote(basket, context);
    expect(offline.points).toBe(onCentral.points);
    expect(offline.explanation).toEqual(central.crm.loyalty.explain(onCentral));
    expect(offline.points).toBe(8);
    await till.ringUp({ lines: [SOAP] });
    expect(await till.queued()).toBe(2);
    expect(await salesOf(central, m.customerId)).toHaveLength(0);

    // Back online; the first replay's answers are lost after central recorded: the second finds them.
    wire.down = false;
    wire.loseAnswers = true;
    expect(await till.sync()).toMatchObject({ online: false, queued: 2 });
    wire.loseAnswers = false;
    expect(await till.sync()).toMatchObject({ online: true, recorded: 2, refused: 0, queued: 0 });
    expect(await till.sync()).toMatchObject({ recorded: 0, queued: 0 });
    const sales = await salesOf(central, m.customerId);
    expect(sales).toHaveLength(1);
    // Back-dated to when it was rung up.
    expect(new Date(sales[0]!.occurredAt).toISOString()).toBe('2026-11-07T03:00:00.000Z');
    expect((await central.crm.loyalty.balance(m.customerId, SYSTEM)).available).toBe(8);
    expect(await central.crm.purchases.byReceipt('S01', 'T1', 'T1-2', SYSTEM)).toMatchObject({ customerId: null });
  });

  it('survives being killed in the middle of a replay: a new till on the same file sends the rest, once', async () => {
    const central = await openCentral();
    const m = await member(central);
    const file = tillFile();
    const first = await openTill(central, { file });
    await first.till.lookup(m.cardNumber);
    first.wire.down = true;
    for (let i = 0; i < 5; i++) await first.till.ringUp({ cardNumber: m.cardNumber, lines: [MILK] });
    // Central records the first two, then the till dies before it hears the second answer.
    let sent = 0;
    const { central: link } = linkTo(central);
    const dying = {
      ...link,
      async recordSale(...args: Parameters<typeof link.recordSale>) {
        const answer = await link.recordSale(...args);
        if (++sent === 2) throw new Error('killed');
        return answer;
      },
    };
    const local = localStore(file);
    const doomed = await createTill({ terminalId: 'T1', storeId: 'S01', local, central: dying, clock: central.clock });
    await doomed.sync();
    expect(await doomed.queued()).toBe(4);
    expect(await salesOf(central, m.customerId)).toHaveLength(2);

    const reborn = await openTill(central, { file });
    expect(await reborn.till.sync()).toMatchObject({ online: true, recorded: 4, queued: 0 });
    expect(await salesOf(central, m.customerId)).toHaveLength(5);
    expect((await central.crm.loyalty.balance(m.customerId, SYSTEM)).available).toBe(10);
  });
});

describe('a till whose file checkpoints when idle', () => {
  it('copies its log into its file once it idles between customers, not inside a sale', async () => {
    const central = await openCentral();
    const m = await member(central);
    const file = tillFile();
    const local = sqliteStore({ file, checkpoint: { idleMs: 20, minPages: 1 }, mmapBytes: 0 });
    const { central: link, link: wire } = linkTo(central);
    const till = await createTill({ terminalId: 'T1', storeId: 'S01', local, central: link, clock: central.clock });
    const probe = new Database(file);
    /** Frames in the till's log, and how many are copied into its file (reads only). */
    const log = () => {
      const [row] = probe.pragma('wal_checkpoint(NOOP)') as Array<{ log: number; checkpointed: number }>;
      return { frames: row!.log, copied: row!.checkpointed };
    };
    const copiedAll = () => vi.waitFor(() => expect(log().copied).toBe(log().frames), { timeout: 5000, interval: 10 });
    try {
      await till.lookup(m.cardNumber);
      wire.down = true;
      await copiedAll();
      // Customers one after another: no pause, no checkpoint; each sale is in the log all the same.
      for (let i = 0; i < 10; i++) await till.ringUp({ cardNumber: m.cardNumber, lines: [MILK] });
      const busy = log();
      expect(busy.copied).toBeLessThan(busy.frames);
      expect(await till.queued()).toBe(10);
      await copiedAll();
      expect(await till.queued()).toBe(10);
    } finally {
      probe.close();
      till.close();
      await local.close();
    }
  });
});

describe(`offline spending with central on ${CENTRAL_KIND.name}`, () => {
  it('spends points offline only within the allowance central reserved for this card and terminal', async () => {
    const central = await openCentral();
    const m = await member(central, 150);
    const t1 = await openTill(central, { terminalId: 'T1', points: 100 });
    const t2 = await openTill(central, { terminalId: 'T2', points: 100 });
    // Each till asks for 100 points for the member; only 150 are there, so T2 gets the 50 left.
    expect((await t1.till.lookup(m.cardNumber))?.allowance).toMatchObject({ points: 100 });
    expect((await t2.till.lookup(m.cardNumber))?.allowance).toMatchObject({ points: 50 });
    expect(await central.crm.loyalty.balance(m.customerId, SYSTEM)).toMatchObject({ held: 150, spendable: 0 });

    t1.wire.down = true;
    t2.wire.down = true;
    const paid = await t1.till.ringUp({ cardNumber: m.cardNumber, lines: [SOAP], points: 60 });
    expect(paid).toMatchObject({ status: 'pending-sync', pointsSpent: 60 });
    const over = await t1.till.ringUp({ cardNumber: m.cardNumber, lines: [SOAP], points: 41 }).catch((e) => e);
    expect(over).toMatchObject({ code: 'INSUFFICIENT_BALANCE', details: { reason: 'offline_allowance_exceeded' } });
    await t2.till.ringUp({ cardNumber: m.cardNumber, lines: [SOAP], points: 50 });
    const none = await t2.till.ringUp({ cardNumber: m.cardNumber, lines: [SOAP], points: 1 }).catch((e) => e);
    expect(none).toMatchObject({ code: 'INSUFFICIENT_BALANCE', details: { allowed: 0 } });
    // A refused sale writes nothing to the log.
    expect(await t1.till.queued()).toBe(1);

    t1.wire.down = false;
    t2.wire.down = false;
    expect(await t1.till.sync()).toMatchObject({ recorded: 1, refused: 0 });
    expect(await t2.till.sync()).toMatchObject({ recorded: 1, refused: 0 });
    // 150 - 110 spent, + 2 points earned on each 45 yuan sale (points paid goods earn as well).
    const balance = await central.crm.loyalty.balance(m.customerId, SYSTEM);
    expect(balance.available).toBe(44);
    const sales = await salesOf(central, m.customerId);
    expect(sales.map((s) => s.payments.find((p) => p.method === 'points')?.amount).sort()).toEqual([50, 60]);
  });

  it('files an offline sale central refuses in the reconciliation list, with the reason and the sale', async () => {
    const central = await openCentral();
    const m = await member(central, 100);
    const { till, wire } = await openTill(central, { terminalId: 'T1', points: 80 });
    await till.lookup(m.cardNumber);
    wire.down = true;
    const ok = await till.ringUp({ cardNumber: m.cardNumber, lines: [MILK] });
    const blocked = await till.ringUp({ cardNumber: m.cardNumber, lines: [MILK], points: 30 });
    await central.crm.cards.block({ number: m.cardNumber, reason: 'reported stolen' }, SYSTEM);
    wire.down = false;
    expect(await till.sync()).toMatchObject({ online: true, recorded: 0, refused: 2, queued: 0 });
    const list = await till.reconciliation.list();
    expect(list.map((r) => [r.seq, r.code, r.reason])).toEqual([
      [ok.seq, 'INVALID_STATE', 'blocked'],
      [blocked.seq, 'INVALID_STATE', 'blocked'],
    ]);
    expect(list[1]!.event).toMatchObject({ pointsSpent: 30, offline: true, sale: { receiptNo: blocked.receiptNo } });
    // The points the refused sale drew are given back on central, not lost.
    expect(await central.crm.loyalty.balance(m.customerId, SYSTEM)).toMatchObject({ available: 100 });
    const settled = await till.reconciliation.settle({ id: list[0]!.id, by: 'E-MANAGER', note: 're-rung on card 2' });
    expect(settled).toMatchObject({ settledBy: 'E-MANAGER', note: 're-rung on card 2' });
    expect(await till.reconciliation.list()).toHaveLength(1);
    expect(await till.reconciliation.list({ includeSettled: true })).toHaveLength(2);
    expect(await salesOf(central, m.customerId)).toHaveLength(0);
  });

  it('keeps the allowance as central has it after a sale refused online once its points were drawn', async () => {
    const central = await openCentral();
    const m = await member(central, 150);
    // The card is blocked on central between the draw and the sale: the sale is refused after its points were drawn.
    const { central: link, link: wire } = linkTo(central);
    let blockNext = false;
    const blocking = {
      ...link,
      async recordSale(...args: Parameters<typeof link.recordSale>) {
        if (blockNext) await central.crm.cards.block({ number: m.cardNumber, reason: 'reported stolen' }, SYSTEM);
        return link.recordSale(...args);
      },
    };
    const till = await createTill({
      terminalId: 'T1',
      storeId: 'S01',
      local: localStore(tillFile()),
      central: blocking,
      clock: central.clock,
      retryAfterMs: 0,
      allowance: { points: 100, minutes: 120 },
    });
    expect((await till.lookup(m.cardNumber))?.allowance).toMatchObject({ points: 100 });
    blockNext = true;
    const refused = await till.ringUp({ cardNumber: m.cardNumber, lines: [SOAP], points: 60 }).catch((e) => e);
    expect(refused).toMatchObject({ code: 'INVALID_STATE', details: { status: 'blocked' } });
    // The drawn points went back to the member's balance on central; 40 stay held for this terminal.
    expect(await central.crm.loyalty.balance(m.customerId, SYSTEM)).toMatchObject({ held: 40, available: 150 });
    // Offline, the till may spend what central still holds for it, and no more.
    wire.down = true;
    expect((await till.lookup(m.cardNumber))?.allowance).toMatchObject({ points: 40 });
  });

  it('refuses a sale drawn on an allowance that lapsed before the till came back', async () => {
    const central = await openCentral();
    const m = await member(central, 100);
    const { till, wire } = await openTill(central, { terminalId: 'T1', points: 80 });
    await till.lookup(m.cardNumber);
    wire.down = true;
    const sale = await till.ringUp({ cardNumber: m.cardNumber, lines: [SOAP], points: 20 });
    central.clock.advance(121 * 60_000);
    await central.crm.runDue(central.clock.now());
    wire.down = false;
    expect(await till.sync()).toMatchObject({ refused: 1 });
    expect(await till.reconciliation.list()).toMatchObject([
      { seq: sale.seq, code: 'INVALID_STATE', reason: 'expired' },
    ]);
    // The lapsed allowance gave its points back; the refresh after the replay reserved a new one.
    expect(await central.crm.loyalty.balance(m.customerId, SYSTEM)).toMatchObject({ available: 100, held: 80 });
    expect((await till.lookup(m.cardNumber))?.allowance).toMatchObject({ points: 80 });
  });
});

describe('a till on PGlite, as a web till keeps its log', () => {
  it('logs offline, replays once and keeps its cache in PGlite', { timeout: 60_000 }, async () => {
    const { PGlite } = await import('@electric-sql/pglite');
    const { postgresStore } = await import('@clientele/postgres');
    const central = await openCentral(localStore(tillFile()));
    const m = await member(central);
    const { central: link, link: wire } = linkTo(central);
    const pglite = await PGlite.create();
    const till = await createTill({
      terminalId: 'T1',
      storeId: 'S01',
      local: postgresStore({ pglite }),
      central: link,
      clock: central.clock,
      retryAfterMs: 0,
    });
    await till.lookup(m.cardNumber);
    wire.down = true;
    const receipt = await till.ringUp({ cardNumber: m.cardNumber, lines: [MILK] });
    expect(receipt).toMatchObject({ status: 'pending-sync', points: 2 });
    wire.down = false;
    expect(await till.sync()).toMatchObject({ online: true, recorded: 1, queued: 0 });
    expect(await till.sync()).toMatchObject({ recorded: 0 });
    expect(await salesOf(central, m.customerId)).toHaveLength(1);
    await pglite.close();
  });
});

describe(`vouchers offline with central on ${CENTRAL_KIND.name}`, () => {
  it('redeems offline only a voucher central holds for this terminal, once', async () => {
    const central = await openCentral();
    const m = await member(central);
    await central.crm.loyalty.vouchers.defineTemplate(
      { id: 'TEN', name: '10 yuan off', value: { kind: 'amount', amount: 1000 }, validity: { kind: 'days', days: 14 } },
      SYSTEM,
    );
    const issue = (n: number) =>
      central.crm.loyalty.vouchers.issue(
        { templateId: 'TEN', customerId: m.customerId },
        { ...SYSTEM, idempotencyKey: `issue-ten-${n}` },
      );
    const [held, loose] = [await issue(1), await issue(2)];
    const { till, wire } = await openTill(central);
    await till.lookup(m.cardNumber);
    expect(await till.holdVoucher({ code: held.code, cardNumber: m.cardNumber })).toMatchObject({ code: held.code });
    wire.down = true;
    const refused = await till
      .ringUp({ cardNumber: m.cardNumber, lines: [SOAP], voucher: { code: loose.code, amount: 1000 } })
      .catch((e) => e);
    expect(refused).toMatchObject({ code: 'INVALID_STATE', details: { reason: 'voucher_not_held_here' } });
    const sale = await till.ringUp({
      cardNumber: m.cardNumber,
      lines: [SOAP],
      voucher: { code: held.code, amount: 1000 },
    });
    expect(sale.status).toBe('pending-sync');
    wire.down = false;
    expect(await till.sync()).toMatchObject({ recorded: 1, refused: 0 });
    const [recorded] = await salesOf(central, m.customerId);
    expect(recorded!.payments).toEqual([
      { method: 'voucher', amount: 1000, reference: held.code },
      { method: 'cash', amount: 3500, reference: null },
    ]);
    expect(await central.crm.loyalty.vouchers.get(held.id, SYSTEM)).toMatchObject({ status: 'redeemed' });
    expect(await central.crm.loyalty.vouchers.get(loose.id, SYSTEM)).toMatchObject({ status: 'active' });
  });
});
