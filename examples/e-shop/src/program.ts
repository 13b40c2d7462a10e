/** The shop's loyalty programme, its welcome voucher and its e-gift card: data, defined at start-up. */
import { isClienteleError, type Clientele } from '@clientele/core';
import type { LoyaltyApi, ProgramInput } from '@clientele/loyalty';

/** The web shop is one store of the chain; its orders are that store's sales. */
export const WEB_STORE = 'WEB';
/** The till an order is rung up on. */
export const WEB_TERMINAL = 'web';
/** Who the shop's own routes and workers act as: a system actor, not a member of staff. */
export const SHOP = { actor: { system: 'eshop' } } as const;

/** One point per yuan spent; points last 180 days, and members hear 14 days before they expire. */
export const PROGRAM: ProgramInput = {
  id: 'shop-points',
  name: 'Shop points',
  currency: 'CNY',
  timeZone: 'Asia/Shanghai',
  exclude: { category: ['gift-card'] },
  earn: [{ id: 'base', name: '1 point per yuan', kind: 'per-spend', every: 100 }],
  // 100 points pay 1 yuan.
  pointValue: { points: 100, amount: 100 },
  expiry: { kind: 'days', days: 180 },
  warnDays: 14,
};

/** Given to every new member: 10 yuan off an order of 50 yuan or more, for 30 days. */
export const WELCOME_VOUCHER = 'WELCOME-10';
/** The e-gift card sold to members, any value from 10 to 2,000 yuan. */
export const GIFT_CARD = 'EGIFT';

/** A crm with the loyalty module, as the shop uses it. */
export type ShopCrm = Clientele & { loyalty: LoyaltyApi };

/** Defines the web store, the welcome voucher and the gift card; safe to run at every start. */
export async function defineShop(crm: ShopCrm): Promise<void> {
  try {
    await crm.stores.create({ id: WEB_STORE, name: 'Web shop', region: 'Online', timeZone: 'Asia/Shanghai' }, SHOP);
  } catch (error) {
    if (!isClienteleError(error, 'CONFLICT')) throw error; // made by an earlier start
  }
  await crm.loyalty.vouchers.defineTemplate(
    {
      id: WELCOME_VOUCHER,
      name: 'Welcome: 10 yuan off',
      value: { kind: 'amount', amount: 1000 },
      minSpend: 5000,
      validity: { kind: 'days', days: 30 },
      excludeCategories: ['gift-card'],
      perCustomer: 1,
    },
    SHOP,
  );
  await crm.loyalty.storedValue.defineProduct(
    { id: GIFT_CARD, name: 'E-gift card', kind: 'named', minValue: 1000, maxValue: 200000, stores: [WEB_STORE] },
    SHOP,
  );
}
