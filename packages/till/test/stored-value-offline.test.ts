/**
 * Stored value offline: a till spends a member's stored-value card offline only within the allowance
 * central reserved on that card for this terminal, so two tills offline together never spend more
 * than the card held; past it the sale is refused and nothing is logged; a replay draws each sale's
 * amount exactly once; a sale on an allowance that lapsed is filed for reconciliation; and the card's
 * balance is always the sum of its entries, never below zero.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { scan } from '@clientele/core/module';
import { storedValuePaymentsCollection } from '@clientele/loyalty';
import { opsCollection } from '../src/index.js';
import { CENTRAL_KIND, SOAP, SYSTEM, member, openCentral, openTill, removeTillFiles, type Central } from './support.js';

afterAll(async () => {
  removeTillFiles();
  await CENTRAL_KIND.cleanup();
});

/** A member with a named stored-value card (no PIN) holding `amount`. */
async function memberWithCard(central: Central, amount: number) {
  const m = await member(central);
  const sv = central.crm.loyalty.storedValue;
  await sv.defineProduct({ id: 'WALLET', name: 'Member wallet', kind: 'named', prefix: '96' }, SYSTEM);
  const card = await sv.sell(
    { productId: 'WALLET', storeId: 'S01', amount, customerId: m.customerId },
    { ...SYSTEM, idempotencyKey: `sell-wallet-${m.customerId}` },
  );
  return { ...m, walletNumber: card.number };
}

/** The card on central, checked against its entries: the balance is their sum, neither amount below zero. */
async function walletOf(central: Central, number: string) {
  const sv = central.crm.loyalty.storedValue;
  const card = await sv.card(number, SYSTEM);
  const { entries } = await sv.statement(number, SYSTEM);
  expect(card.balance).toBe(entries.reduce((sum, e) => sum + e.amount, 0));
  expect(card.balance).toBeGreaterThanOrEqual(0);
  expect(card.available).toBeGreaterThanOrEqual(0);
  let held = 0;
  for await (const p of scan(central.crm.store, storedValuePaymentsCollection))
    if (p.cardNumber === number && p.status === 'authorized') held += p.amount;
  expect(card.balance - card.available).toBe(held);
  return {
    card,
    spends: entries.filter((e) => e.kind === 'spend').map((e) => e.amount),
  };
}

const paying = (cardNumber: string, amount: number) => ({
  lines: [SOAP],
  storedValue: { cardNumber, amount },
});

describe(`stored value offline with central on ${CENTRAL_KIND.name}`, () => {
  it('lets two tills offline together spend no more than the card holds, and refuses past the allowance', async () => {
    const central = await openCentral();
    const m = await memberWithCard(central, 10000);
    const t1 = await openTill(central, { terminalId: 'T1', storedValue: 6000 });
    const t2 = await openTill(central, { terminalId: 'T2', storedValue: 6000 });
    // Each till asks for 60 yuan on the card; 100 are there, so T2 gets the 40 left.
    expect((await t1.till.lookup(m.cardNumber))?.storedValueAllowances).toMatchObject([
      { cardNumber: m.walletNumber, amount: 6000 },
    ]);
    expect((await t2.till.lookup(m.cardNumber))?.storedValueAllowances).toMatchObject([
      { cardNumber: m.walletNumber, amount: 4000 },
    ]);
    expect(await central.crm.loyalty.storedValue.card(m.walletNumber, SYSTEM)).toMatchObject({
      balance: 10000,
      available: 0,
    });

    t1.wire.down = true;
    t2.wire.down = true;
    const first = await t1.till.ringUp({
      cardNumber: m.cardNumber,
      lines: [SOAP],
      storedValue: { cardNumber: m.walletNumber, amount: 4500 },
    });
    expect(first).toMatchObject({
      status: 'pending-sync',
      storedValueSpent: 4500,
    });
    const over = await t1.till.ringUp(paying(m.walletNumber, 1501)).catch((e) => e);
    expect(over).toMatchObject({
      code: 'INSUFFICIENT_BALANCE',
      details: {
        reason: 'offline_allowance_exceeded',
        requested: 1501,
        allowed: 1500,
        path: ['storedValue', 'amount'],
      },
    });
    // A refused sale writes nothing to the log.
    expect(await t1.till.queued()).toBe(1);
    await t1.till.ringUp(paying(m.walletNumber, 1500));
    await t2.till.ringUp(paying(m.walletNumber, 4000));
    const none = await t2.till.ringUp(paying(m.walletNumber, 1)).catch((e) => e);
    expect(none).toMatchObject({
      code: 'INSUFFICIENT_BALANCE',
      details: { allowed: 0 },
    });
    expect(await t2.till.queued()).toBe(1);
    // A card with no allowance here cannot be spent offline at all.
    const other = await memberWithCard(central, 5000);
    const unknown = await t1.till.ringUp(paying(other.walletNumber, 100)).catch((e) => e);
    expect(unknown).toMatchObject({
      code: 'INSUFFICIENT_BALANCE',
      details: { reason: 'no_offline_allowance' },
    });

    t1.wire.down = false;
    t2.wire.down = false;
    expect(await t1.till.sync()).toMatchObject({
      recorded: 2,
      refused: 0,
      queued: 0,
    });
    expect(await t2.till.sync()).toMatchObject({
      recorded: 1,
      refused: 0,
      queued: 0,
    });
    const { card, spends } = await walletOf(central, m.walletNumber);
    expect(card).toMatchObject({ balance: 0, available: 0 });
    expect(spends.sort()).toEqual([-1500, -4000, -4500]);
    const sales = (await central.crm.purchases.ofCustomer(m.customerId, SYSTEM)).items;
    expect(sales[0]!.payments).toEqual([
      {
        method: 'stored-value',
        amount: 4500,
        reference: expect.stringMatching(/^svp_/),
      },
    ]);
  });

  it('draws each offline sale exactly once, however often the replay is cut or repeated', async () => {
    const central = await openCentral();
    const m = await memberWithCard(central, 10000);
    const { till, wire } = await openTill(central, { terminalId: 'T1', storedValue: 5000 });
    await till.lookup(m.cardNumber);
    wire.down = true;
    const sale = await till.ringUp({
      ...paying(m.walletNumber, 2000),
      cardNumber: m.cardNumber,
    });
    expect(sale.status).toBe('pending-sync');
    // Back online, but every answer is lost: central draws and records, the till hears nothing.
    wire.down = false;
    wire.loseAnswers = true;
    expect(await till.sync()).toMatchObject({ online: false, queued: 1 });
    wire.loseAnswers = false;
    expect(await till.sync()).toMatchObject({
      online: true,
      recorded: 1,
      queued: 0,
    });
    expect(await till.sync()).toMatchObject({
      recorded: 0,
      refused: 0,
      queued: 0,
    });
    const { card, spends } = await walletOf(central, m.walletNumber);
    expect(spends).toEqual([-2000]);
    expect(card.balance).toBe(8000);
    const drawn: string[] = [];
    for await (const p of scan(central.crm.store, storedValuePaymentsCollection))
      if (p.cardNumber === m.walletNumber && p.id.startsWith('svp_')) drawn.push(p.status);
    expect(drawn).toEqual(['captured']);
    expect(await central.crm.purchases.ofCustomer(m.customerId, SYSTEM)).toMatchObject({ items: [{ total: 4500 }] });
  });

  it('files a sale on an allowance that lapsed before the till came back, taking nothing', async () => {
    const central = await openCentral();
    const m = await memberWithCard(central, 10000);
    const { till, wire } = await openTill(central, { terminalId: 'T1', storedValue: 5000 });
    await till.lookup(m.cardNumber);
    wire.down = true;
    const sale = await till.ringUp(paying(m.walletNumber, 3000));
    central.clock.advance(121 * 60_000);
    await central.crm.runDue(central.clock.now());
    expect(await central.crm.loyalty.storedValue.card(m.walletNumber, SYSTEM)).toMatchObject({ available: 10000 });
    wire.down = false;
    expect(await till.sync()).toMatchObject({
      recorded: 0,
      refused: 1,
      queued: 0,
    });
    const [item] = await till.reconciliation.list();
    expect(item).toMatchObject({
      seq: sale.seq,
      code: 'INVALID_STATE',
      reason: 'expired',
      event: {
        storedValueSpent: 3000,
        storedValueSource: 'allowance',
        offline: true,
      },
    });
    const { card, spends } = await walletOf(central, m.walletNumber);
    expect(spends).toEqual([]);
    // The refresh after the replay reserved a new allowance.
    expect(card).toMatchObject({ balance: 10000, available: 5000 });
    expect((await till.lookup(m.cardNumber))?.storedValueAllowances).toMatchObject([{ amount: 5000 }]);
  });

  it('online, pays from the allowance when it covers, else by authorisation, refused past the card', async () => {
    const central = await openCentral();
    const m = await memberWithCard(central, 10000);
    const { till } = await openTill(central, { terminalId: 'T1', storedValue: 6000 });
    await till.lookup(m.cardNumber);
    expect(await till.ringUp(paying(m.walletNumber, 2500))).toMatchObject({
      status: 'recorded',
      storedValueSpent: 2500,
    });
    // 3,500 left of the allowance does not cover 4,000: authorised on the card's 4,000 not reserved.
    expect(await till.ringUp(paying(m.walletNumber, 4000))).toMatchObject({
      status: 'recorded',
    });
    const refused = await till.ringUp(paying(m.walletNumber, 4000)).catch((e) => e);
    expect(refused).toMatchObject({ code: 'INSUFFICIENT_BALANCE' });
    expect(await till.queued()).toBe(0);
    expect(await till.reconciliation.list()).toEqual([]);
    const { card, spends } = await walletOf(central, m.walletNumber);
    expect(spends).toEqual([-2500, -4000]);
    expect(card).toMatchObject({ balance: 3500, available: 0 });
  });
  it('refuses a payment whose authorisation answer was lost, past the allowance; it lapses', async () => {
    const central = await openCentral();
    const m = await memberWithCard(central, 10000);
    const { till, wire } = await openTill(central, { terminalId: 'T1', storedValue: 3000 });
    await till.lookup(m.cardNumber);
    wire.loseAnswers = true;
    const tv = { sku: 'RADIO', category: 'electronics', quantity: 1, unitPrice: 8000 };
    const lost = await till
      .ringUp({ lines: [tv], storedValue: { cardNumber: m.walletNumber, amount: 5000 } })
      .catch((e) => e);
    expect(lost).toMatchObject({ code: 'INSUFFICIENT_BALANCE', details: { reason: 'offline_allowance_exceeded' } });
    wire.loseAnswers = false;
    expect(await till.queued()).toBe(0);
    // Central made the authorisation: it is never used and lapses after the program's hold minutes.
    expect(await central.crm.loyalty.storedValue.card(m.walletNumber, SYSTEM)).toMatchObject({ available: 2000 });
    central.clock.advance(16 * 60_000);
    await central.crm.runDue(central.clock.now());
    const { card, spends } = await walletOf(central, m.walletNumber);
    expect(spends).toEqual([]);
    expect(card).toMatchObject({ balance: 10000, available: 7000 });
  });

  it('pays with a card that has a PIN online only, the PIN sent with the authorisation and never logged', async () => {
    const central = await openCentral();
    const m = await member(central);
    const sv = central.crm.loyalty.storedValue;
    await sv.defineProduct({ id: 'SAFE', name: 'PIN wallet', kind: 'named', prefix: '97', pin: 'required' }, SYSTEM);
    const wallet = await sv.sell(
      { productId: 'SAFE', storeId: 'S01', amount: 10000, customerId: m.customerId, pin: '2468' },
      { ...SYSTEM, idempotencyKey: 'sell-safe' },
    );
    const { till, wire, local } = await openTill(central, { storedValue: 5000 });
    // No allowance on a card with a PIN: an allowance is spent without it.
    expect((await till.lookup(m.cardNumber))?.storedValueAllowances).toEqual([]);
    const withoutPin = await till.ringUp(paying(wallet.number, 3000)).catch((e) => e);
    expect(withoutPin).toMatchObject({ code: 'VALIDATION_FAILED', details: { reason: 'pin_required' } });
    const wrongPin = await till
      .ringUp({ lines: [SOAP], storedValue: { cardNumber: wallet.number, amount: 3000, pin: '1357' } })
      .catch((e) => e);
    expect(wrongPin).toMatchObject({ code: 'VALIDATION_FAILED', details: { reason: 'wrong_pin' } });
    expect(
      await till.ringUp({ lines: [SOAP], storedValue: { cardNumber: wallet.number, amount: 3000, pin: '2468' } }),
    ).toMatchObject({ status: 'recorded', storedValueSpent: 3000 });
    wire.down = true;
    const offline = await till
      .ringUp({ lines: [SOAP], storedValue: { cardNumber: wallet.number, amount: 1000, pin: '2468' } })
      .catch((e) => e);
    expect(offline).toMatchObject({ code: 'INSUFFICIENT_BALANCE', details: { reason: 'no_offline_allowance' } });
    // Each attempt was logged before it was sent (the refused ones cancelled); no PIN in any of them.
    const logged: string[] = [];
    const statuses: string[] = [];
    for await (const op of scan(local, opsCollection)) {
      logged.push(JSON.stringify(op));
      statuses.push(op.status);
    }
    expect(statuses).toEqual(['cancelled', 'cancelled', 'recorded', 'cancelled']);
    expect(logged.join('\n')).not.toMatch(/2468|1357/);
    const { card, spends } = await walletOf(central, wallet.number);
    expect(spends).toEqual([-3000]);
    expect(card).toMatchObject({ balance: 7000, available: 7000 });
  });
});
