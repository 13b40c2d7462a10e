/**
 * The shop's server: its own routes for shoppers under `/shop`, and Clientele's whole API under
 * `/crm` for the back office and other systems (each with an API key). The shop's routes call the
 * SDK in process, acting as the system actor `eshop`.
 *
 * A real shop knows the member from its sign-in session; here the member id is in the path, to keep
 * the example short.
 */
import { Hono } from 'hono';
import * as z from 'zod';
import { ValidationError, isClienteleError } from '@clientele/core';
import { clienteleApi, problemOf } from '@clientele/http';
import { valueOfPoints } from '@clientele/loyalty';
import { priceOrder, splitPayment } from './catalogue.js';
import { GIFT_CARD, SHOP, WEB_STORE, WEB_TERMINAL, WELCOME_VOUCHER, type ShopCrm } from './program.js';

const orderNo = z.string().regex(/^[A-Z0-9-]{4,40}$/, 'order numbers are 4 to 40 capitals, digits and dashes');
const items = z
  .array(z.object({ sku: z.string().max(40), quantity: z.number().int().min(1).max(99) }).strict())
  .min(1)
  .max(50);

const signUpSchema = z.object({ name: z.string().trim().min(1).max(100), email: z.email() }).strict();
const giftCardSchema = z.object({ orderNo, amount: z.number().int() }).strict();
const checkoutSchema = z
  .object({
    orderNo,
    items,
    /** A voucher code, as printed. */
    voucherCode: z.string().max(40).optional(),
    /** Points to pay with. */
    points: z.number().int().min(1).optional(),
    /** A gift card number: it pays what it can of the rest. */
    giftCard: z.string().max(40).optional(),
  })
  .strict();
const returnSchema = z.object({ returnNo: orderNo, items, reason: z.string().trim().min(1).max(200) }).strict();

/** The request's JSON body checked against `schema`; a wrong one is a `VALIDATION_FAILED` naming each path. */
async function body<T extends z.ZodType>(request: Request, schema: T): Promise<z.output<T>> {
  const json: unknown = await request.json().catch(() => undefined);
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new ValidationError(
      parsed.error.issues.map((i) => ({ path: i.path as (string | number)[], code: i.code, message: i.message })),
    );
  return parsed.data;
}

/** The shop's app for `crm` (created with the `loyalty` and `apiKeys` modules, `defineShop` run). */
export function shopApp(crm: ShopCrm): Hono {
  const app = new Hono();
  app.onError((error) => {
    const problem = problemOf(error);
    if (problem.status >= 500) console.error(error);
    return Response.json(problem, { status: problem.status, headers: { 'content-type': 'application/problem+json' } });
  });

  /** Sign-up: a member, and their welcome voucher. Signing up again with the same e-mail answers the same. */
  app.post('/shop/sign-up', async (c) => {
    const input = await body(c.req.raw, signUpSchema);
    const member = await crm.customers.register(
      { kind: 'individual', name: input.name, email: input.email, homeStoreId: WEB_STORE, consent: { email: true } },
      { ...SHOP, idempotencyKey: `sign-up:${input.email}` },
    );
    const voucher = await crm.loyalty.vouchers.issue(
      {
        templateId: WELCOME_VOUCHER,
        customerId: member.id,
        source: 'campaign',
        ref: { type: 'campaign', id: 'welcome' },
      },
      { ...SHOP, idempotencyKey: `welcome:${member.id}` },
    );
    return c.json({ memberId: member.id, welcomeVoucher: voucher.display });
  });

  /** The account page: points and when they expire, vouchers to use, gift cards and their balances. */
  app.get('/shop/members/:memberId/account', async (c) => {
    const id = c.req.param('memberId');
    const member = await crm.customers.get(id, SHOP);
    const [balance, schedule, vouchers, cards] = await Promise.all([
      crm.loyalty.balance(id, SHOP),
      crm.loyalty.expirySchedule(id, SHOP),
      crm.loyalty.vouchers.ofCustomer(id, { status: 'active' }, SHOP),
      crm.loyalty.storedValue.ofCustomer(id, SHOP),
    ]);
    return c.json({
      member: { id: member.id, name: member.displayName, email: member.email },
      points: {
        spendable: balance.spendable,
        pending: balance.pending,
        // When each part of the balance expires: the last day it can be used.
        expiring: schedule.expiring.map((e) => ({ points: e.points, lastDay: e.lastDay })),
      },
      vouchers: vouchers.items.map((v) => ({
        code: v.display,
        name: v.name,
        validUntil: v.validUntil,
        minSpend: v.minSpend,
      })),
      giftCards: cards.map((card) => ({ number: card.number, balance: card.available })),
    });
  });

  /** Buys an e-gift card for the member (paid by bank card, outside this example). */
  app.post('/shop/members/:memberId/gift-cards', async (c) => {
    const input = await body(c.req.raw, giftCardSchema);
    const card = await crm.loyalty.storedValue.sell(
      { productId: GIFT_CARD, storeId: WEB_STORE, amount: input.amount, customerId: c.req.param('memberId') },
      { ...SHOP, idempotencyKey: `gift-card:${input.orderNo}` },
    );
    return c.json({ number: card.number, balance: card.balance });
  });

  /**
   * Checkout: the order priced from the catalogue, paid with the voucher, points and gift card offered
   * and the bank card for the rest, recorded as one sale of the web store. Sending the same order
   * again answers the sale recorded the first time.
   */
  app.post('/shop/members/:memberId/checkout', async (c) => {
    const customerId = c.req.param('memberId');
    const input = await body(c.req.raw, checkoutSchema);
    const recorded = await crm.purchases.byReceipt(WEB_STORE, WEB_TERMINAL, input.orderNo, SHOP).catch((error) => {
      if (isClienteleError(error, 'NOT_FOUND')) return null;
      throw error;
    });
    if (recorded?.customerId === customerId) return c.json(recorded);
    if (recorded)
      throw new ValidationError([{ path: ['orderNo'], code: 'order_taken', message: 'this order number is taken' }]);
    const { lines, total } = priceOrder(input.items);

    let voucher: { code: string; discount: number } | null = null;
    if (input.voucherCode) {
      const found = await crm.loyalty.vouchers.lookup(input.voucherCode, SHOP);
      const { usable, unusable } = await crm.loyalty.vouchers.eligible(
        { customerId, storeId: WEB_STORE, basket: { lines } },
        SHOP,
      );
      const fit = usable.find((u) => u.voucher.id === found.id);
      if (!fit) {
        const why = unusable.find((u) => u.voucher.id === found.id)?.reasons.join(', ') ?? 'not_yours';
        throw new ValidationError([{ path: ['voucherCode'], code: 'voucher_not_usable', message: why }]);
      }
      voucher = { code: found.code, discount: fit.discount };
    }
    const pointsValue = input.points ? valueOfPoints(input.points, crm.loyalty.program.pointValue) : 0;
    const card = input.giftCard ? await crm.loyalty.storedValue.card(input.giftCard, SHOP) : null;
    const pay = splitPayment(total, {
      voucher: voucher?.discount ?? 0,
      points: pointsValue,
      giftCard: card?.available ?? 0,
    });

    // Points are held first, so two orders cannot spend them twice; the sale spends the hold. If the
    // sale is refused, the order sent again (same number, same points) finds the same hold; an order
    // never sent again leaves its hold to lapse after the programme's 15 minutes.
    const hold = input.points
      ? await crm.loyalty.reserve(
          { customerId, points: input.points, storeId: WEB_STORE, terminalId: WEB_TERMINAL },
          { ...SHOP, idempotencyKey: `points:${input.orderNo}` },
        )
      : null;
    const payments = [
      ...(voucher ? [{ method: 'voucher', amount: pay.voucher, reference: voucher.code }] : []),
      ...(hold ? [{ method: 'points', amount: pay.points, reference: hold.id }] : []),
      ...(card && pay.giftCard > 0 ? [{ method: 'stored-value', amount: pay.giftCard, reference: card.number }] : []),
      ...(pay.bankCard > 0 ? [{ method: 'bank-card', amount: pay.bankCard }] : []),
    ];
    const sale = await crm.purchases.record(
      {
        storeId: WEB_STORE,
        terminalId: WEB_TERMINAL,
        receiptNo: input.orderNo,
        customerId,
        channel: 'online',
        lines,
        payments,
      },
      { ...SHOP, idempotencyKey: `order:${input.orderNo}` },
    );
    return c.json(sale);
  });

  /** Part of an order sent back: the refund, less what the return takes back of points and vouchers. */
  app.post('/shop/members/:memberId/orders/:orderNo/return', async (c) => {
    const input = await body(c.req.raw, returnSchema);
    const sale = await crm.purchases.byReceipt(WEB_STORE, WEB_TERMINAL, c.req.param('orderNo'), SHOP);
    if (sale.customerId !== c.req.param('memberId'))
      throw new ValidationError([{ path: ['orderNo'], code: 'not_yours', message: 'no such order of this member' }]);
    const lines = input.items.map((item, i) => {
      const line = sale.lines.find((l) => l.sku === item.sku);
      if (!line)
        throw new ValidationError([{ path: ['items', i, 'sku'], code: 'not_in_order', message: `${item.sku}?` }]);
      return { lineNo: line.lineNo, quantity: item.quantity };
    });
    const back = await crm.purchases.return(
      { purchaseId: sale.id, storeId: WEB_STORE, lines, reason: input.reason },
      { ...SHOP, idempotencyKey: `return:${input.returnNo}` },
    );
    return c.json({ refund: back.amount, deductions: back.deductions ?? [], payable: back.payable ?? back.amount });
  });

  // Clientele's own API, for the back office and other systems: every call needs an API key.
  app.route('/crm', clienteleApi(crm, { title: 'Tea shop CRM' }));
  return app;
}
