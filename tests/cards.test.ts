import { afterAll, describe, expect, it } from 'vitest';
import { isClienteleError, isValidCardNumber } from '@clientele/core';
import { cardNumberFor, luhnCheckDigit } from '@clientele/core/module';
import { BASKET, CLERK, MANAGER, SYSTEM, nextReceipt, openChain } from './support/chain.js';
import { STORE_KINDS } from './support/stores.js';

describe('card numbers', () => {
  it('computes the Luhn check digit of known numbers', () => {
    expect(luhnCheckDigit('7992739871')).toBe(3);
    expect(isValidCardNumber('79927398713')).toBe(true);
    expect(isValidCardNumber('79927398710')).toBe(false);
  });

  it('catches every single-digit typo and every adjacent swap of distinct non-(0,9) digits', () => {
    const number = cardNumberFor('88', 4711, 13);
    expect(isValidCardNumber(number)).toBe(true);
    for (let i = 0; i < number.length; i++) {
      for (let d = 0; d <= 9; d++) {
        if (String(d) === number[i]) continue;
        expect(isValidCardNumber(number.slice(0, i) + d + number.slice(i + 1))).toBe(false);
      }
    }
    for (let i = 0; i + 1 < number.length; i++) {
      const a = number[i]!;
      const b = number[i + 1]!;
      if (a === b || a + b === '09' || a + b === '90') continue;
      expect(isValidCardNumber(number.slice(0, i) + b + a + number.slice(i + 2))).toBe(false);
    }
  });
});

describe.each(STORE_KINDS)('membership cards on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it('issues numbered cards with a check digit and looks customers up by number', async () => {
    const { crm } = await openChain(await kind.open());
    const c = await crm.customers.register({ kind: 'individual', name: '赵敏', phone: '13812345678' }, CLERK);
    const a = await crm.cards.issue({ typeId: 'GOLD', storeId: 'S01', customerId: c.id }, CLERK);
    const b = await crm.cards.issue({ typeId: 'GOLD', storeId: 'S01' }, CLERK);
    expect(a.number).toBe(cardNumberFor('88', 1, 13));
    expect(b.number).toBe(cardNumberFor('88', 2, 13));
    expect(b.customerId).toBeNull();
    const found = await crm.cards.lookup(a.number, SYSTEM);
    expect(found.customer?.id).toBe(c.id);
    expect(found.card.status).toBe('active');
    await crm.cards.link({ number: b.number, customerId: c.id }, CLERK);
    expect((await crm.cards.ofCustomer(c.id, SYSTEM)).map((x) => x.number)).toEqual([a.number, b.number]);
  });

  it('skips serials already taken by pre-printed cards', async () => {
    const { crm } = await openChain(await kind.open());
    const preprinted = await crm.cards.issue(
      { typeId: 'GOLD', storeId: 'S01', number: cardNumberFor('88', 1, 13) },
      CLERK,
    );
    const next = await crm.cards.issue({ typeId: 'GOLD', storeId: 'S01' }, CLERK);
    expect(preprinted.number).toBe(cardNumberFor('88', 1, 13));
    expect(next.number).toBe(cardNumberFor('88', 2, 13));
  });

  it('tells a mistyped number from an unknown one', async () => {
    const { crm } = await openChain(await kind.open());
    const typo = await crm.cards.lookup('8800000000012', SYSTEM).catch((e) => e);
    expect(typo).toMatchObject({ code: 'VALIDATION_FAILED', path: ['number'] });
    expect(typo.issues[0].code).toBe('check_digit');
    const unknown = await crm.cards.lookup(cardNumberFor('88', 999, 13), SYSTEM).catch((e) => e);
    expect(unknown).toMatchObject({ code: 'NOT_FOUND', path: ['number'] });
  });

  it('blocks a lost card at once and carries everything over to its replacement', async () => {
    const { crm } = await openChain(await kind.open());
    const c = await crm.customers.register({ kind: 'individual', name: '周杰' }, CLERK);
    const old = await crm.cards.issue({ typeId: 'GOLD', storeId: 'S01', customerId: c.id }, CLERK);
    await crm.purchases.record(
      { storeId: 'S01', terminalId: 'T1', receiptNo: nextReceipt(), cardNumber: old.number, lines: BASKET },
      { ...CLERK, idempotencyKey: 'lost-card-sale-1' },
    );

    const lost = await crm.cards.reportLost({ number: old.number, reason: 'lost on the bus' }, CLERK);
    expect(lost.status).toBe('lost');
    const refused = await crm.purchases
      .record(
        { storeId: 'S01', terminalId: 'T1', receiptNo: nextReceipt(), cardNumber: old.number, lines: BASKET },
        { ...CLERK, idempotencyKey: 'lost-card-sale-2' },
      )
      .catch((e) => e);
    expect(refused).toMatchObject({ code: 'INVALID_STATE', path: ['cardNumber'] });

    const replaced: string[] = [];
    crm.events.on('card.replaced', (e) => void replaced.push(`${e.oldNumber}->${e.newNumber}`));
    const fresh = await crm.cards.replace({ number: old.number, storeId: 'S02', reason: 'lost' }, CLERK);
    expect(fresh).toMatchObject({ customerId: c.id, status: 'active', replaces: old.number, issuedStoreId: 'S02' });
    expect(await crm.cards.get(old.number, SYSTEM)).toMatchObject({ status: 'replaced', replacedBy: fresh.number });
    expect(replaced).toEqual([`${old.number}->${fresh.number}`]);
    const sale = await crm.purchases.record(
      { storeId: 'S01', terminalId: 'T1', receiptNo: nextReceipt(), cardNumber: fresh.number, lines: BASKET },
      { ...CLERK, idempotencyKey: 'lost-card-sale-3' },
    );
    expect(sale.customerId).toBe(c.id);
    expect((await crm.purchases.ofCustomer(c.id, SYSTEM)).items).toHaveLength(2);
    const again = await crm.cards
      .replace({ number: old.number, storeId: 'S01', reason: 'again' }, CLERK)
      .catch((e) => e);
    expect(again).toMatchObject({ code: 'INVALID_STATE', path: ['number'] });
  });

  it('blocks and unblocks with the right permission only', async () => {
    const { crm } = await openChain(await kind.open());
    const card = await crm.cards.issue({ typeId: 'GOLD', storeId: 'S01' }, CLERK);
    const denied = await crm.cards.block({ number: card.number, reason: 'suspicious' }, CLERK).catch((e) => e);
    expect(isClienteleError(denied, 'PERMISSION_DENIED')).toBe(true);
    expect((await crm.cards.get(card.number, SYSTEM)).status).toBe('active');
    expect((await crm.cards.block({ number: card.number, reason: 'suspicious' }, MANAGER)).status).toBe('blocked');
    const twice = await crm.cards.block({ number: card.number, reason: 'again' }, MANAGER).catch((e) => e);
    expect(twice.code).toBe('INVALID_STATE');
    expect((await crm.cards.unblock({ number: card.number }, MANAGER)).status).toBe('active');
    const refusals = await crm.audit.list({ outcome: 'refused' }, SYSTEM);
    expect(refusals.items).toEqual([
      expect.objectContaining({
        command: 'cards.block',
        errorCode: 'PERMISSION_DENIED',
        actor: expect.objectContaining({ staffId: 'E-CLERK' }),
      }),
    ]);
  });

  it('refuses a pre-printed number of another type or already issued', async () => {
    const { crm } = await openChain(await kind.open());
    await crm.cards.defineType({ id: 'SILVER', name: 'Silver', prefix: '77', length: 13 }, SYSTEM);
    const wrong = await crm.cards
      .issue({ typeId: 'GOLD', storeId: 'S01', number: cardNumberFor('77', 5, 13) }, CLERK)
      .catch((e) => e);
    expect(wrong).toMatchObject({ code: 'VALIDATION_FAILED', path: ['number'] });
    await crm.cards.issue({ typeId: 'SILVER', storeId: 'S01', number: cardNumberFor('77', 5, 13) }, CLERK);
    const dup = await crm.cards
      .issue({ typeId: 'SILVER', storeId: 'S01', number: cardNumberFor('77', 5, 13) }, CLERK)
      .catch((e) => e);
    expect(dup).toMatchObject({ code: 'CONFLICT', path: ['number'] });
  });
});
