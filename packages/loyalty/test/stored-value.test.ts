/**
 * Stored-value cards on every store kind: sold and topped up with a bonus, paying part of a sale
 * beside a voucher and cash, authorised with a PIN and captured by the sale, refunded by returns and
 * voids, a named card lost and replaced with its balance, an anonymous one not, five wrong PINs, the
 * liability report; every balance always the sum of its entries.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { refusalReason, storedValueCardsCollection } from '../src/index.js';
import { SERVICE, expectMoneyConsistent, openMoneyChain } from './money-support.js';
import {
  CLERK,
  MANAGER,
  STORE_KINDS,
  SYSTEM,
  freshKey,
  loyaltySnapshot,
  member,
  nextReceipt,
  type LoyaltyChain,
} from './support.js';

const UNLOCKER = { actor: { staffId: 'E-SUPERVISOR' } } as const;
const grain = (unitPrice: number, quantity = 1) => ({ sku: 'RICE', category: 'grain', quantity, unitPrice });

function sell(chain: LoyaltyChain, lines: object[], payments: object[], customerId?: string, key = freshKey('sale')) {
  return chain.crm.purchases.record(
    {
      storeId: 'S01',
      terminalId: 'T1',
      receiptNo: nextReceipt(),
      ...(customerId ? { customerId } : {}),
      lines,
      payments,
    } as never,
    { ...CLERK, idempotencyKey: key },
  );
}

describe.each(STORE_KINDS)('stored-value cards on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it(
    'sells an anonymous card, tops it up with a bonus, pays part of a sale beside a voucher and cash, and ' +
      'refunds its share of returns',
    async () => {
      const chain = await openMoneyChain(await kind.open());
      const sv = chain.crm.loyalty.storedValue;
      const sellKey = freshKey('sell');
      const card = await sv.sell(
        { productId: 'GIFT', storeId: 'S01', amount: 20000 },
        { ...CLERK, idempotencyKey: sellKey },
      );
      expect(card).toMatchObject({
        kind: 'anonymous',
        customerId: null,
        balance: 20000,
        available: 20000,
        hasPin: false,
        storeId: 'S01',
        expiresAt: new Date('2029-11-02T02:00:00Z'),
      });
      expect(card.number).toMatch(/^95[0-9]{17}$/);
      expect(sv.isCardNumber(card.number)).toBe(true);
      expect(
        await sv.sell({ productId: 'GIFT', storeId: 'S01', amount: 20000 }, { ...CLERK, idempotencyKey: sellKey }),
      ).toEqual(card);
      expect(
        await sv
          .sell({ productId: 'GIFT', storeId: 'S01', amount: 12345 }, { ...CLERK, idempotencyKey: freshKey('sell') })
          .catch((e: unknown) => e),
      ).toMatchObject({ code: 'VALIDATION_FAILED', path: ['amount'] });

      const topped = await sv.topUp(
        { cardNumber: card.number, amount: 100000, storeId: 'S02' },
        { ...CLERK, idempotencyKey: freshKey('top-up') },
      );
      expect(topped).toMatchObject({ amount: 100000, bonus: 5000, card: { balance: 125000 } });
      const tooMuch = await sv
        .topUp(
          { cardNumber: card.number, amount: 400000, storeId: 'S01' },
          { ...CLERK, idempotencyKey: freshKey('top-up') },
        )
        .catch((e: unknown) => e);
      expect(tooMuch).toMatchObject({
        code: 'VALIDATION_FAILED',
        details: { reason: 'above_max_balance', balance: 125000, maxBalance: 500000 },
      });

      // 150 yuan of rice: 10 % off with a campaign voucher, 100 yuan on the card, the rest in cash.
      const flyer = await chain.crm.loyalty.vouchers.issue(
        { templateId: 'TEN-PCT', source: 'campaign', ref: { type: 'campaign', id: 'opening' } },
        { ...SERVICE, idempotencyKey: freshKey('issue') },
      );
      const sale = await sell(
        chain,
        [grain(5000, 3)],
        [
          { method: 'voucher', amount: 1500, reference: flyer.code },
          { method: 'stored-value', amount: 10000, reference: card.number },
          { method: 'cash', amount: 3500 },
        ],
      );
      expect(await sv.card(card.number, SYSTEM)).toMatchObject({ balance: 115000, available: 115000 });
      // One bag back (50 yuan of 150): the card gets its third of the 100 yuan it paid.
      await chain.crm.purchases.return(
        { purchaseId: sale.id, storeId: 'S02', lines: [{ lineNo: 1, quantity: 1 }], reason: 'damp' },
        { ...MANAGER, idempotencyKey: freshKey('return') },
      );
      expect((await sv.card(card.number, SYSTEM)).balance).toBe(115000 + 3333);
      await chain.crm.purchases.return(
        { purchaseId: sale.id, storeId: 'S01', lines: [{ lineNo: 1, quantity: 2 }], reason: 'damp' },
        { ...MANAGER, idempotencyKey: freshKey('return') },
      );
      expect((await sv.card(card.number, SYSTEM)).balance).toBe(125000);
      const statement = await sv.statement(card.number, SYSTEM);
      expect(statement.entries.map((e) => [e.kind, e.amount, e.balanceAfter, e.storeId])).toEqual([
        ['load', 20000, 20000, 'S01'],
        ['top-up', 100000, 120000, 'S02'],
        ['bonus', 5000, 125000, 'S02'],
        ['spend', -10000, 115000, 'S01'],
        ['refund', 3333, 118333, 'S02'],
        ['refund', 6667, 125000, 'S01'],
      ]);
      // A spend the card cannot cover: refused, and the whole sale with it.
      const before = await loyaltySnapshot(chain);
      const over = await sell(
        chain,
        [grain(200000)],
        [{ method: 'stored-value', amount: 200000, reference: card.number }],
      ).catch((e: unknown) => e);
      expect(over).toMatchObject({
        code: 'INSUFFICIENT_BALANCE',
        path: ['payments', 0, 'amount'],
        details: { available: 125000, requested: 200000 },
      });
      expect(await loyaltySnapshot(chain)).toEqual(before);
      await expectMoneyConsistent(chain.store);
    },
  );

  it(
    'refunds a card its share of what a return pays once a voucher the rest no longer earns is kept ' + 'back',
    async () => {
      const chain = await openMoneyChain(await kind.open());
      const sv = chain.crm.loyalty.storedValue;
      const card = await sv.sell(
        { productId: 'GIFT', storeId: 'S01', amount: 20000 },
        { ...CLERK, idempotencyKey: freshKey('sell') },
      );
      const li = await member(chain, '李娜');
      const sorry = await chain.crm.loyalty.vouchers.issue(
        { templateId: 'SORRY-20', customerId: li },
        { ...SERVICE, idempotencyKey: freshKey('issue') },
      );
      // 120 yuan: 20 off with the Sorry-20 (minimum 100, deducted when a return leaves less), 100 on the card.
      const sale = await sell(
        chain,
        [grain(6000), { sku: 'CHIPS', category: 'snacks', quantity: 1, unitPrice: 6000 }],
        [
          { method: 'voucher', amount: 2000, reference: sorry.code },
          { method: 'stored-value', amount: 10000, reference: card.number },
        ],
        li,
      );
      expect((await sv.card(card.number, SYSTEM)).balance).toBe(10000);
      const back = await chain.crm.purchases.return(
        { purchaseId: sale.id, storeId: 'S01', lines: [{ lineNo: 2, quantity: 1 }], reason: 'stale' },
        { ...MANAGER, idempotencyKey: freshKey('return') },
      );
      // 60 yuan back less the 20 the voucher took off: 40 paid, all of it to the card (its share of 60
      // would be 50, more than the return pays).
      expect(back).toMatchObject({
        amount: 6000,
        payable: 4000,
        deductions: [{ source: 'loyalty.voucher', amount: 2000 }],
      });
      expect((await sv.card(card.number, SYSTEM)).balance).toBe(10000 + 4000);
      // The rest back: the voucher returns to its owner, the card gets all it paid.
      const rest = await chain.crm.purchases.return(
        { purchaseId: sale.id, storeId: 'S01', lines: [{ lineNo: 1, quantity: 1 }], reason: 'stale' },
        { ...MANAGER, idempotencyKey: freshKey('return') },
      );
      expect(rest).toMatchObject({ amount: 6000, payable: 6000, deductions: [] });
      expect((await sv.card(card.number, SYSTEM)).balance).toBe(20000);
      expect(await chain.crm.loyalty.vouchers.get(sorry.id, SYSTEM)).toMatchObject({ status: 'active' });
      await expectMoneyConsistent(chain.store);
    },
  );

  it(
    'authorises with the PIN, captures what the sale pays, releases the rest, and locks the card after five ' +
      'wrong PINs until staff unlock it',
    async () => {
      const chain = await openMoneyChain(await kind.open());
      const sv = chain.crm.loyalty.storedValue;
      const liu = await member(chain, '刘洋');
      expect(
        await sv
          .sell(
            { productId: 'MEMBER-SV', storeId: 'S01', amount: 30000, customerId: liu },
            { ...CLERK, idempotencyKey: freshKey('sell') },
          )
          .catch((e: unknown) => e),
      ).toMatchObject({ code: 'VALIDATION_FAILED', details: { reason: 'pin_required' } });
      const card = await sv.sell(
        { productId: 'MEMBER-SV', storeId: 'S01', amount: 30000, customerId: liu, pin: '246810' },
        { ...CLERK, idempotencyKey: freshKey('sell') },
      );
      expect(card).toMatchObject({ kind: 'named', customerId: liu, hasPin: true });
      const stored = (await chain.store.get(storedValueCardsCollection, card.number))!;
      expect(stored.pinHash).toMatch(/^pbkdf2-sha256\$10000\$/);
      expect(JSON.stringify(await loyaltySnapshot(chain))).not.toContain('246810');

      // A PIN card pays only through an authorisation made with its PIN.
      expect(
        refusalReason(
          await sell(
            chain,
            [grain(1000)],
            [{ method: 'stored-value', amount: 1000, reference: card.number }],
            liu,
          ).catch((e: unknown) => e),
        ),
      ).toBe('pin_required');
      const auth = await sv.authorize(
        { cardNumber: card.number, amount: 12000, storeId: 'S01', terminalId: 'T1', pin: '246810' },
        { ...CLERK, idempotencyKey: freshKey('auth') },
      );
      expect(await sv.card(card.number, SYSTEM)).toMatchObject({ balance: 30000, available: 18000, held: 12000 });
      const sale = await sell(
        chain,
        [grain(10000)],
        [{ method: 'stored-value', amount: 10000, reference: auth.id }],
        liu,
      );
      expect(await sv.card(card.number, SYSTEM)).toMatchObject({ balance: 20000, available: 20000 });
      expect(
        refusalReason(
          await sell(chain, [grain(1000)], [{ method: 'stored-value', amount: 1000, reference: auth.id }], liu).catch(
            (e: unknown) => e,
          ),
        ),
      ).toBe('authorization_captured');
      await chain.crm.purchases.void(
        { purchaseId: sale.id, reason: 'till error' },
        { ...MANAGER, idempotencyKey: freshKey('void') },
      );
      expect((await sv.card(card.number, SYSTEM)).balance).toBe(30000);

      // An authorisation nobody captures lapses.
      await sv.authorize(
        { cardNumber: card.number, amount: 5000, storeId: 'S01', terminalId: 'T2', pin: '246810' },
        { ...CLERK, idempotencyKey: freshKey('auth') },
      );
      chain.clock.advance(16 * 60_000);
      expect((await chain.crm.runDue())['loyalty']).toMatchObject({ cardAuthorizationsExpired: 1 });
      expect((await sv.card(card.number, SYSTEM)).available).toBe(30000);

      // Five wrong PINs: each refused and counted, the fifth locks; the right PIN then does not help.
      const before = (await loyaltySnapshot(chain))['loyalty_sv_entries'];
      const tries: unknown[] = [];
      for (let i = 0; i < 5; i++)
        tries.push(
          await sv
            .authorize(
              { cardNumber: card.number, amount: 100, storeId: 'S01', terminalId: 'T1', pin: '135790' },
              { ...CLERK, idempotencyKey: freshKey('auth') },
            )
            .catch((e: unknown) => e),
        );
      expect(tries.map((e) => [refusalReason(e), (e as { details: { triesLeft: number } }).details.triesLeft])).toEqual(
        [
          ['wrong_pin', 4],
          ['wrong_pin', 3],
          ['wrong_pin', 2],
          ['wrong_pin', 1],
          ['wrong_pin', 0],
        ],
      );
      expect(tries[4]).toMatchObject({ code: 'VALIDATION_FAILED', path: ['pin'], details: { locked: true } });
      const locked = await sv
        .authorize(
          { cardNumber: card.number, amount: 100, storeId: 'S01', terminalId: 'T1', pin: '246810' },
          { ...CLERK, idempotencyKey: freshKey('auth') },
        )
        .catch((e: unknown) => e);
      expect(locked).toMatchObject({ code: 'INVALID_STATE', details: { reason: 'locked' } });
      expect((await loyaltySnapshot(chain))['loyalty_sv_entries']).toEqual(before);
      expect(await sv.card(card.number, SYSTEM)).toMatchObject({ locked: true, balance: 30000, available: 30000 });
      // A cashier may not unlock; a supervisor with the authority may.
      expect(
        await sv.unlock({ cardNumber: card.number, reason: 'customer showed ID' }, CLERK).catch((e: unknown) => e),
      ).toMatchObject({ code: 'PERMISSION_DENIED' });
      expect((await sv.unlock({ cardNumber: card.number, reason: 'customer showed ID' }, UNLOCKER)).locked).toBe(false);
      expect(
        (
          await sv.spend(
            { cardNumber: card.number, amount: 500, storeId: 'S02', pin: '246810', ref: { type: 'order', id: 'W-77' } },
            { ...CLERK, idempotencyKey: freshKey('spend') },
          )
        ).card.balance,
      ).toBe(29500);
      await expectMoneyConsistent(chain.store);
    },
  );

  it(
    'freezes a lost named card at once and moves its balance to a replacement; an anonymous card cannot be ' +
      'recovered',
    async () => {
      const chain = await openMoneyChain(await kind.open());
      const sv = chain.crm.loyalty.storedValue;
      const zhao = await member(chain, '赵敏');
      const card = await sv.sell(
        { productId: 'MEMBER-SV', storeId: 'S02', amount: 50000, customerId: zhao, pin: '4321' },
        { ...CLERK, idempotencyKey: freshKey('sell') },
      );
      const open = await sv.authorize(
        { cardNumber: card.number, amount: 2000, storeId: 'S01', terminalId: 'T1', pin: '4321' },
        { ...CLERK, idempotencyKey: freshKey('auth') },
      );
      const frozen = await sv.reportLost({ cardNumber: card.number, reason: 'lost on the metro' }, SERVICE);
      expect(frozen).toMatchObject({ status: 'frozen', balance: 50000, available: 50000 });
      expect(
        refusalReason(
          await sell(chain, [grain(1000)], [{ method: 'stored-value', amount: 1000, reference: open.id }], zhao).catch(
            (e: unknown) => e,
          ),
        ),
      ).toBe('authorization_cancelled');
      const replaced = await sv.replace(
        { cardNumber: card.number, storeId: 'S01', reason: 'lost' },
        { ...SERVICE, idempotencyKey: freshKey('replace') },
      );
      expect(replaced).toMatchObject({
        moved: 50000,
        old: { status: 'replaced', balance: 0, replacedBy: replaced.card.number },
        card: { customerId: zhao, balance: 50000, storeId: 'S02', replaces: card.number, hasPin: true },
      });
      expect((await sv.ofCustomer(zhao, SYSTEM)).map((c) => c.status).sort()).toEqual(['active', 'replaced']);
      expect(
        refusalReason(
          await sv
            .topUp(
              { cardNumber: card.number, amount: 1000, storeId: 'S01' },
              { ...CLERK, idempotencyKey: freshKey('top-up') },
            )
            .catch((e: unknown) => e),
        ),
      ).toBe('replaced');

      const bearer = await sv.sell(
        { productId: 'GIFT', storeId: 'S01', amount: 10000 },
        { ...CLERK, idempotencyKey: freshKey('sell') },
      );
      const lost = await sv.reportLost({ cardNumber: bearer.number, reason: 'lost' }, SERVICE).catch((e: unknown) => e);
      expect(lost).toMatchObject({
        code: 'INVALID_STATE',
        details: { reason: 'anonymous_card' },
        message: expect.stringMatching(/anonymous.*cannot be moved/),
      });
      expect((await sv.card(bearer.number, SYSTEM)).status).toBe('active');

      // Money moves between two cards of the same owner, never to someone else's.
      const second = await sv.sell(
        { productId: 'MEMBER-SV', storeId: 'S01', amount: 1000, customerId: zhao, pin: '8765' },
        { ...CLERK, idempotencyKey: freshKey('sell') },
      );
      const moved = await sv.transfer(
        { from: replaced.card.number, to: second.number, amount: 7000, reason: 'one card is enough' },
        { ...SERVICE, idempotencyKey: freshKey('transfer') },
      );
      expect([moved.from.balance, moved.to.balance]).toEqual([43000, 8000]);
      expect(
        await sv
          .transfer(
            { from: replaced.card.number, to: bearer.number, reason: 'x' },
            { ...SERVICE, idempotencyKey: freshKey('transfer') },
          )
          .catch((e: unknown) => e),
      ).toMatchObject({ code: 'VALIDATION_FAILED', details: { reason: 'another_customer' } });
      await expectMoneyConsistent(chain.store);
    },
  );

  it(
    'reports what the chain owes per selling store and product at a date, with breakage where the product ' +
      'allows it',
    async () => {
      const chain = await openMoneyChain(await kind.open());
      const sv = chain.crm.loyalty.storedValue;
      const s1 = await sv.sell(
        { productId: 'GIFT', storeId: 'S01', amount: 50000 },
        { ...CLERK, idempotencyKey: freshKey('sell') },
      );
      await sv.sell(
        { productId: 'GIFT', storeId: 'S02', amount: 10000 },
        { ...CLERK, idempotencyKey: freshKey('sell') },
      );
      const firstDay = chain.clock.now();
      chain.clock.advance(86_400_000);
      await sell(chain, [grain(20000)], [{ method: 'stored-value', amount: 20000, reference: s1.number }]);
      const wang = await member(chain, '王强');
      await sv.sell(
        { productId: 'MEMBER-SV', storeId: 'S01', amount: 8000, customerId: wang, pin: '1111' },
        { ...CLERK, idempotencyKey: freshKey('sell') },
      );
      const empty = await sv.sell(
        { productId: 'GIFT', storeId: 'S01', amount: 10000 },
        { ...CLERK, idempotencyKey: freshKey('sell') },
      );
      await sell(chain, [grain(10000)], [{ method: 'stored-value', amount: 10000, reference: empty.number }]);

      const then = await sv.liability({ at: firstDay });
      expect(then.rows).toEqual([
        { storeId: 'S01', productId: 'GIFT', cards: 1, outstanding: 50000, expiredBreakage: 0, dormantBreakage: 0 },
        { storeId: 'S02', productId: 'GIFT', cards: 1, outstanding: 10000, expiredBreakage: 0, dormantBreakage: 0 },
      ]);
      const now = await sv.liability();
      expect(now.rows).toEqual([
        { storeId: 'S01', productId: 'GIFT', cards: 1, outstanding: 30000, expiredBreakage: 0, dormantBreakage: 0 },
        { storeId: 'S01', productId: 'MEMBER-SV', cards: 1, outstanding: 8000, expiredBreakage: 0, dormantBreakage: 0 },
        { storeId: 'S02', productId: 'GIFT', cards: 1, outstanding: 10000, expiredBreakage: 0, dormantBreakage: 0 },
      ]);
      expect(now.total).toEqual({ cards: 3, outstanding: 48000, expiredBreakage: 0, dormantBreakage: 0 });
      expect((await sv.liability({ storeId: 'S02' })).total.outstanding).toBe(10000);

      // Three years on the gift cards have expired (breakage allowed); the member card has slept 24 months.
      chain.clock.set('2029-11-04T00:00:00Z');
      expect((await chain.crm.runDue())['loyalty']).toMatchObject({ cardsExpired: 3 });
      const later = await sv.liability();
      expect(later.total).toEqual({ cards: 3, outstanding: 48000, expiredBreakage: 40000, dormantBreakage: 8000 });
      expect(
        refusalReason(
          await sell(chain, [grain(100)], [{ method: 'stored-value', amount: 100, reference: s1.number }]).catch(
            (e: unknown) => e,
          ),
        ),
      ).toBe('expired');
      await expectMoneyConsistent(chain.store);
    },
  );
});
