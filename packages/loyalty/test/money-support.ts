/** Vouchers and stored-value cards on the test chain: templates, products, staff, and the ledgers' invariants. */
import type { Store } from '@clientele/core';
import { scan } from '@clientele/core/module';
import { expect } from 'vitest';
import {
  storedValueCardsCollection,
  storedValueEntriesCollection,
  storedValuePaymentsCollection,
  voucherEntriesCollection,
  voucherStatusOf,
  vouchersCollection,
  type CardProductInput,
  type VoucherTemplateInput,
} from '../src/index.js';
import { SYSTEM, openLoyaltyChain, type LoyaltyChain } from './support.js';

/** A service desk: vouchers and cards, issuing up to 50 yuan by its own `voucher` limit. */
export const SERVICE = { actor: { staffId: 'E-SERVICE' } } as const;
/** A supervisor whose role sets only a `compensation` limit (500 yuan): vouchers and goodwill count against it. */
export const SUPERVISOR = { actor: { staffId: 'E-SUPERVISOR' } } as const;

/** 10 yuan off fresh food over 50 yuan, 30 days, at both stores; members buy it for 100 points, at most 3 a day. */
export const FRESH_10: VoucherTemplateInput = {
  id: 'FRESH-10',
  name: '生鲜 10 元券 Fresh 10',
  value: { kind: 'amount', amount: 1000 },
  minSpend: 5000,
  validity: { kind: 'days', days: 30 },
  categories: ['fresh-fruit', 'vegetables', 'dairy'],
  conversion: { points: 100, minPoints: 100, perDay: 3 },
  belowMinimumOnReturn: 'restore',
};

/** 20 yuan off anything but tobacco over 100 yuan, only at S01, stackable, one at a time per customer. */
export const SORRY_20: VoucherTemplateInput = {
  id: 'SORRY-20',
  name: '致歉券 Sorry 20',
  value: { kind: 'amount', amount: 2000 },
  minSpend: 10000,
  validity: { kind: 'days', days: 7 },
  excludeCategories: ['tobacco'],
  stores: ['S01'],
  stackable: true,
  perCustomer: 1,
  belowMinimumOnReturn: 'deduct',
};

/** 10 % off, at most 15 yuan, stackable, keeps its discount on partial returns. */
export const TEN_PERCENT: VoucherTemplateInput = {
  id: 'TEN-PCT',
  name: '九折 10% off',
  value: { kind: 'percent', percent: 10, max: 1500 },
  validity: { kind: 'fixed', from: '2026-11-01', until: '2026-11-30' },
  stackable: true,
};

/**
 * An anonymous prepaid card: 100, 200 or 500 yuan, top up 1,000 get 50, at most 5,000 on a card, 3 years, breakage on
 * expiry.
 */
export const GIFT: CardProductInput = {
  id: 'GIFT',
  name: '天天购物卡 Gift card',
  kind: 'anonymous',
  prefix: '95',
  values: [10000, 20000, 50000],
  maxBalance: 500000,
  topUp: {
    bonuses: [
      { from: 100000, bonus: 5000 },
      { from: 50000, bonus: 2000 },
    ],
  },
  validityMonths: 36,
  breakage: { onExpiry: true },
};

/** A named member card with a required PIN, any value, dormant after 24 months. */
export const MEMBER_CARD: CardProductInput = {
  id: 'MEMBER-SV',
  name: '会员储值卡 Member card',
  kind: 'named',
  prefix: '96',
  pin: 'required',
  breakage: { dormantMonths: 24 },
};

/** The test chain with the money roles, templates and products defined. */
export async function openMoneyChain(
  store: Store,
  options: { pinIterations?: number; auditReads?: boolean } = {},
): Promise<LoyaltyChain> {
  const chain = await openLoyaltyChain(
    store,
    undefined,
    undefined,
    { pinIterations: options.pinIterations ?? 10_000 },
    { auditReads: options.auditReads ?? false },
  );
  const { crm } = chain;
  await crm.roles.define(
    {
      id: 'service',
      name: 'Service desk',
      permissions: ['loyalty.vouchers.*', 'loyalty.stored-value.manage', 'loyalty.goodwill', 'sales.*'],
      limits: { voucher: 5000, 'goodwill-points': 5000, refund: 5000 },
    },
    SYSTEM,
  );
  await crm.roles.define(
    {
      id: 'supervisor',
      name: 'Supervisor',
      permissions: ['loyalty.*', 'sales.*'],
      limits: { compensation: 50000, refund: 50000 },
    },
    SYSTEM,
  );
  await crm.staff.add({ id: 'E-SERVICE', name: '孙丽', storeId: 'S01', roleId: 'service' }, SYSTEM);
  await crm.staff.add({ id: 'E-SUPERVISOR', name: '周婷', storeId: 'S01', roleId: 'supervisor' }, SYSTEM);
  for (const t of [FRESH_10, SORRY_20, TEN_PERCENT]) await crm.loyalty.vouchers.defineTemplate(t, SYSTEM);
  for (const p of [GIFT, MEMBER_CARD]) await crm.loyalty.storedValue.defineProduct(p, SYSTEM);
  return chain;
}

/**
 * The money ledgers' invariants, against what is stored: a voucher's status is what its entries say
 * and its entries are numbered 1..n; a card's balance is the sum of its entries, what may be spent is
 * the balance less open authorisations, neither is below zero; no payment refunds more than it took.
 */
export async function expectMoneyConsistent(store: Store): Promise<void> {
  const voucherEntries = new Map<string, Array<{ seq: number; kind: string }>>();
  for await (const e of scan(store, voucherEntriesCollection)) {
    const list = voucherEntries.get(e.voucherId) ?? [];
    list.push({ seq: e.seq, kind: e.kind });
    voucherEntries.set(e.voucherId, list);
  }
  for await (const v of scan(store, vouchersCollection)) {
    const entries = (voucherEntries.get(v.id) ?? []).sort((a, b) => a.seq - b.seq);
    expect({ voucher: v.id, status: v.status, seqs: entries.map((e) => e.seq) }).toEqual({
      voucher: v.id,
      status: voucherStatusOf(entries),
      seqs: entries.map((_, i) => i + 1),
    });
    expect(v.lastSeq).toBe(entries.length);
  }
  const sums = new Map<string, { sum: number; seqs: number[] }>();
  for await (const e of scan(store, storedValueEntriesCollection)) {
    const s = sums.get(e.cardNumber) ?? { sum: 0, seqs: [] };
    s.sum += e.amount;
    s.seqs.push(e.seq);
    sums.set(e.cardNumber, s);
  }
  const held = new Map<string, number>();
  for await (const p of scan(store, storedValuePaymentsCollection)) {
    if (p.status === 'authorized') held.set(p.cardNumber, (held.get(p.cardNumber) ?? 0) + p.amount);
    expect(p.refunded).toBeLessThanOrEqual(p.captured);
    expect(p.captured).toBeLessThanOrEqual(p.amount);
  }
  for await (const c of scan(store, storedValueCardsCollection)) {
    const s = sums.get(c.number) ?? { sum: 0, seqs: [] };
    expect({ card: c.number, balance: c.balance, available: c.available, lastSeq: c.lastSeq }).toEqual({
      card: c.number,
      balance: s.sum,
      available: s.sum - (held.get(c.number) ?? 0),
      lastSeq: s.seqs.length,
    });
    expect(c.balance).toBeGreaterThanOrEqual(0);
    expect(c.available).toBeGreaterThanOrEqual(0);
    expect(s.seqs.sort((a, b) => a - b)).toEqual(s.seqs.map((_, i) => i + 1));
  }
}
