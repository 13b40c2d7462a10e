/** The pure voucher rules: what applies and why not, discounts, validity, state from entries, returns. */
import { describe, expect, it } from 'vitest';
import {
  bonusFor,
  breakageOf,
  cardExpiry,
  cardProductSchema,
  checkVoucher,
  discountOf,
  loyalty,
  returnOutcome,
  termsOf,
  validityOf,
  voucherStatusOf,
  voucherTemplateSchema,
  type VoucherFacts,
} from '../src/index.js';
import { hashPin, verifyPin } from '../src/pin-hash.js';
import { FRESH_10, GIFT, SORRY_20, TEN_PERCENT } from './money-support.js';
import { PROGRAM } from './support.js';

const at = new Date('2026-11-02T02:00:00Z');
const facts = (template: typeof FRESH_10, over: Partial<VoucherFacts> = {}): VoucherFacts => {
  const t = voucherTemplateSchema.parse(template);
  const v = validityOf(t.validity, at, 'Asia/Shanghai')!;
  return {
    customerId: 'cus_1',
    status: 'active',
    terms: termsOf(t),
    validFrom: v.from,
    validUntil: v.until,
    hold: null,
    ...over,
  };
};
const use = (lines: Array<[string, number]>, over: Record<string, unknown> = {}) => ({
  at,
  storeId: 'S01',
  customerId: 'cus_1',
  lines: lines.map(([category, amount]) => ({ category, amount })),
  ...over,
});

describe('voucher rules', () => {
  it('takes a fixed amount off the eligible part, or a percentage rounded down up to its maximum', () => {
    expect(discountOf({ kind: 'amount', amount: 1000 }, 6000)).toBe(1000);
    expect(discountOf({ kind: 'amount', amount: 1000 }, 700)).toBe(700);
    expect(discountOf({ kind: 'percent', percent: 10, max: 1500 }, 9999)).toBe(999);
    expect(discountOf({ kind: 'percent', percent: 10, max: 1500 }, 50000)).toBe(1500);
    expect(discountOf({ kind: 'amount', amount: 1000 }, 0)).toBe(0);
  });

  it(
    'counts only the categories a voucher applies to towards its minimum spend, and says why it does not ' + 'apply',
    () => {
      const fresh = facts(FRESH_10);
      expect(
        checkVoucher(
          fresh,
          use([
            ['fresh-fruit', 3000],
            ['dairy', 2000],
            ['grain', 9000],
          ]),
        ),
      ).toEqual({ applies: true, discount: 1000, eligible: 5000, reasons: [] });
      expect(
        checkVoucher(
          fresh,
          use([
            ['fresh-fruit', 3000],
            ['grain', 9000],
          ]),
        ),
      ).toMatchObject({ applies: false, discount: 0, eligible: 3000, reasons: ['below_minimum_spend'] });
      expect(checkVoucher(fresh, use([['grain', 9000]])).reasons).toEqual(['no_eligible_items']);
      const sorry = facts(SORRY_20);
      expect(
        checkVoucher(
          sorry,
          use([
            ['grain', 9000],
            ['tobacco', 5000],
          ]),
        ).reasons,
      ).toEqual(['below_minimum_spend']);
      expect(checkVoucher(sorry, use([['grain', 12000]], { storeId: 'S02', customerId: 'cus_2' })).reasons).toEqual([
        'another_customer',
        'wrong_store',
      ]);
      expect(checkVoucher(sorry, use([['grain', 12000]], { customerId: null })).reasons).toEqual(['member_only']);
    },
  );

  it(
    'is valid from issue through the end of the local day N days later, and a fixed range through its last ' +
      'local day',
    () => {
      const v = validityOf({ kind: 'days', days: 30 }, at, 'Asia/Shanghai')!;
      // Issued on 2 November (Shanghai): usable through 2 December, gone at local midnight.
      expect(v).toEqual({ from: at, until: new Date('2026-12-02T16:00:00Z') });
      expect(validityOf({ kind: 'fixed', from: '2026-11-01', until: '2026-11-30' }, at, 'Asia/Shanghai')).toEqual({
        from: new Date('2026-10-31T16:00:00Z'),
        until: new Date('2026-11-30T16:00:00Z'),
      });
      expect(validityOf({ kind: 'fixed', from: '2026-10-01', until: '2026-10-31' }, at, 'Asia/Shanghai')).toBeNull();
      const fresh = facts(FRESH_10);
      expect(checkVoucher(fresh, use([['dairy', 6000]], { at: new Date('2026-12-02T15:59:59Z') })).applies).toBe(true);
      expect(checkVoucher(fresh, use([['dairy', 6000]], { at: new Date('2026-12-02T16:00:00Z') })).reasons).toEqual([
        'expired',
      ]);
    },
  );

  it('stacks only vouchers that all allow it, and lets a held voucher be used only at the till holding it', () => {
    const ten = facts(TEN_PERCENT);
    expect(checkVoucher(ten, use([['grain', 9000]], { others: [{ stackable: true }] })).applies).toBe(true);
    expect(checkVoucher(ten, use([['grain', 9000]], { others: [{ stackable: false }] })).reasons).toEqual([
      'not_stackable',
    ]);
    expect(checkVoucher(facts(FRESH_10), use([['dairy', 9000]], { others: [{ stackable: true }] })).reasons).toEqual([
      'not_stackable',
    ]);
    const held = facts(FRESH_10, {
      status: 'held',
      hold: { storeId: 'S01', terminalId: 'T1', until: new Date(at.getTime() + 60_000) },
    });
    expect(checkVoucher(held, use([['dairy', 6000]], { terminalId: 'T1' })).applies).toBe(true);
    expect(checkVoucher(held, use([['dairy', 6000]], { terminalId: 'T2' })).reasons).toEqual(['held']);
    expect(
      checkVoucher(held, use([['dairy', 6000]], { terminalId: 'T1', at: new Date(at.getTime() + 60_000) })).reasons,
    ).toEqual(['held']);
    expect(checkVoucher(facts(FRESH_10, { status: 'redeemed' }), use([['dairy', 6000]])).reasons).toEqual(['redeemed']);
  });

  it('derives a voucher’s state from its entries', () => {
    expect(voucherStatusOf([{ kind: 'issued' }])).toBe('active');
    expect(
      voucherStatusOf([
        { kind: 'issued' },
        { kind: 'held' },
        { kind: 'released' },
        { kind: 'redeemed' },
        { kind: 'charged-back' },
      ]),
    ).toBe('redeemed');
    expect(voucherStatusOf([{ kind: 'issued' }, { kind: 'redeemed' }, { kind: 'restored' }, { kind: 'expired' }])).toBe(
      'expired',
    );
    expect(voucherStatusOf([])).toBeNull();
  });

  it(
    'restores a voucher on a whole return while valid, and follows the template’s rule when a partial return ' +
      'leaves too little',
    () => {
      const base = { discount: 1000, chargedBack: 0, refund: 3000, stillValid: true };
      const restore = termsOf(voucherTemplateSchema.parse(FRESH_10));
      const deduct = termsOf(voucherTemplateSchema.parse(SORRY_20));
      const keep = termsOf(voucherTemplateSchema.parse({ ...FRESH_10, belowMinimumOnReturn: 'keep' }));
      expect(returnOutcome({ ...base, terms: restore, remaining: 0, whole: true })).toEqual({
        action: 'restore',
        refundDeduction: 1000,
      });
      expect(returnOutcome({ ...base, terms: restore, remaining: 0, whole: true, stillValid: false })).toEqual({
        action: 'expire',
        refundDeduction: 1000,
      });
      expect(returnOutcome({ ...base, terms: restore, remaining: 6000, whole: false })).toEqual({
        action: 'none',
        refundDeduction: 0,
      });
      expect(returnOutcome({ ...base, terms: restore, remaining: 4000, whole: false })).toEqual({
        action: 'restore',
        refundDeduction: 1000,
      });
      expect(returnOutcome({ ...base, terms: deduct, remaining: 4000, whole: false, refund: 600 })).toEqual({
        action: 'none',
        refundDeduction: 600,
      });
      expect(returnOutcome({ ...base, terms: deduct, remaining: 3000, whole: false, chargedBack: 600 })).toEqual({
        action: 'none',
        refundDeduction: 400,
      });
      expect(returnOutcome({ ...base, terms: keep, remaining: 4000, whole: false })).toEqual({
        action: 'none',
        refundDeduction: 0,
      });
    },
  );
});

describe('card products', () => {
  it('gives the largest top-up bonus reached, and checks what a product sells', () => {
    const gift = cardProductSchema.parse(GIFT);
    expect([49999, 50000, 99999, 100000, 250000].map((a) => bonusFor(gift, a))).toEqual([0, 2000, 2000, 5000, 5000]);
    expect(() => cardProductSchema.parse({ ...GIFT, values: [10000, 600000] })).toThrow(/maxBalance/);
  });

  it(
    'expires a card months later on the same day or the month’s last, and counts breakage only where the ' +
      'product allows it',
    () => {
      expect(cardExpiry(new Date('2026-01-31T02:00:00Z'), 1)).toEqual(new Date('2026-02-28T02:00:00Z'));
      expect(cardExpiry(new Date('2026-11-02T02:00:00Z'), 36)).toEqual(new Date('2029-11-02T02:00:00Z'));
      const card = { expiresAt: new Date('2027-01-01T00:00:00Z'), lastActivityAt: new Date('2026-01-01T00:00:00Z') };
      expect(breakageOf({ breakage: { onExpiry: true } }, card, new Date('2027-01-01T00:00:00Z'))).toBe('expired');
      expect(breakageOf({ breakage: { onExpiry: false } }, card, new Date('2027-06-01T00:00:00Z'))).toBeNull();
      expect(
        breakageOf({ breakage: { onExpiry: false, dormantMonths: 12 } }, card, new Date('2026-12-31T00:00:00Z')),
      ).toBeNull();
      expect(
        breakageOf({ breakage: { onExpiry: false, dormantMonths: 12 } }, card, new Date('2027-01-01T00:00:00Z')),
      ).toBe('dormant');
    },
  );

  it('stores a PIN only as a salted PBKDF2 hash and checks it in constant time', async () => {
    const a = await hashPin('123456', { iterations: 10_000 });
    const b = await hashPin('123456', { iterations: 10_000 });
    expect(a).toMatch(/^pbkdf2-sha256\$10000\$[0-9a-f]{32}\$[0-9a-f]{64}$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('123456');
    expect(await verifyPin('123456', a)).toBe(true);
    expect(await verifyPin('123457', a)).toBe(false);
    expect(await verifyPin('123456', 'plain')).toBe(false);
  });
});

describe('module options', () => {
  it(
    'refuses payment methods that clash with each other or with the points program, and too few PIN ' + 'iterations',
    () => {
      const problems = (options: Parameters<typeof loyalty>[1]) => {
        try {
          loyalty(PROGRAM, options);
          return [];
        } catch (e) {
          return (e as { issues: Array<{ path: Array<string | number>; code: string }> }).issues.map((i) => [
            i.path.join('.'),
            i.code,
          ]);
        }
      };
      expect(problems({ paymentMethods: { voucher: 'gift', storedValue: 'gift' } })).toEqual([
        ['paymentMethods.storedValue', 'contradiction'],
      ]);
      expect(problems({ paymentMethods: { storedValue: 'points' } })).toEqual([['paymentMethods', 'contradiction']]);
      expect(problems({ paymentMethods: { voucher: 'Voucher!' }, pinIterations: 1000 })).toEqual([
        ['paymentMethods.voucher', 'invalid_method'],
        ['pinIterations', 'too_small'],
      ]);
      expect(
        problems({ paymentMethods: { voucher: 'coupon', storedValue: 'prepaid' }, pinIterations: 50_000 }),
      ).toEqual([]);
    },
  );
});
