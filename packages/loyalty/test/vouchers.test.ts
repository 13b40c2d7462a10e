/**
 * Vouchers on every store kind: bought with points in the points debit's transaction, issued by hand
 * within authority, redeemed once as part of a sale, held at a till, given back by voids and returns
 * as the template says, expired by the scheduler; every voucher's state always what its entries say.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { isClienteleError } from '@clientele/core';
import { refusalReason } from '../src/index.js';
import { expectLedgerConsistent } from './invariants.js';
import { SERVICE, SUPERVISOR, expectMoneyConsistent, openMoneyChain } from './money-support.js';
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

const fruit = (unitPrice: number, quantity = 1) => ({ sku: 'APPLE', category: 'fresh-fruit', quantity, unitPrice });
const grain = (unitPrice: number) => ({ sku: 'RICE', category: 'grain', quantity: 1, unitPrice });

async function pointsFor(chain: LoyaltyChain, customerId: string, points: number): Promise<void> {
  await chain.crm.loyalty.adjust(
    { customerId, points, reason: 'opening balance' },
    { ...MANAGER, idempotencyKey: freshKey('adjust') },
  );
}

function sell(
  chain: LoyaltyChain,
  customerId: string | undefined,
  lines: object[],
  payments: object[],
  key = freshKey('sale'),
  terminalId = 'T1',
  storeId = 'S01',
) {
  return chain.crm.purchases.record(
    { storeId, terminalId, receiptNo: nextReceipt(), ...(customerId ? { customerId } : {}), lines, payments } as never,
    { ...CLERK, idempotencyKey: key },
  );
}

const issue = (
  chain: LoyaltyChain,
  templateId: string,
  customerId: string,
  actor: { actor: { staffId: string } } = SERVICE,
  extra: object = {},
) =>
  chain.crm.loyalty.vouchers.issue(
    { templateId, customerId, ...extra },
    { ...actor, idempotencyKey: freshKey('issue') },
  );

describe.each(STORE_KINDS)('vouchers on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it(
    'converts points into vouchers in the same transaction, within the minimum and the daily limit, and ' +
      'redeems one once at the till',
    async () => {
      const chain = await openMoneyChain(await kind.open());
      const { crm } = chain;
      const zhang = await member(chain);
      await pointsFor(chain, zhang, 480);
      const key = freshKey('convert');
      const bought = await crm.loyalty.vouchers.convert(
        { templateId: 'FRESH-10', customerId: zhang },
        { ...SERVICE, idempotencyKey: key },
      );
      expect(bought).toMatchObject({
        points: 100,
        balance: 400,
        vouchers: [
          { templateId: 'FRESH-10', customerId: zhang, status: 'active', faceValue: 1000, source: 'conversion' },
        ],
      });
      const voucher = bought.vouchers[0]!;
      expect(voucher.display).toMatch(/^[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{4}$/);
      const lastEntry = (await crm.loyalty.statement(zhang, SYSTEM)).lines.at(-1)!;
      expect(lastEntry).toMatchObject({ kind: 'redeem', points: -100, ref: { type: 'voucher', id: voucher.id } });

      // The till lost the answer and asks again: the same vouchers, nothing spent twice.
      const before = await loyaltySnapshot(chain);
      expect(
        await crm.loyalty.vouchers.convert(
          { templateId: 'FRESH-10', customerId: zhang },
          { ...SERVICE, idempotencyKey: key },
        ),
      ).toEqual(bought);
      expect(
        await crm.loyalty.vouchers
          .convert({ templateId: 'FRESH-10', customerId: zhang, quantity: 2 }, { ...SERVICE, idempotencyKey: key })
          .catch((e: unknown) => e),
      ).toMatchObject({ code: 'IDEMPOTENCY_MISMATCH' });
      expect(await loyaltySnapshot(chain)).toEqual(before);

      // Three a day: two more fit, a fourth does not (and takes no points).
      await crm.loyalty.vouchers.convert(
        { templateId: 'FRESH-10', customerId: zhang, quantity: 2 },
        { ...SERVICE, idempotencyKey: freshKey('convert') },
      );
      const fourth = await crm.loyalty.vouchers
        .convert({ templateId: 'FRESH-10', customerId: zhang }, { ...SERVICE, idempotencyKey: freshKey('convert') })
        .catch((e: unknown) => e);
      expect(fourth).toMatchObject({
        code: 'INVALID_STATE',
        path: ['quantity'],
        details: { reason: 'daily_limit', limit: 3, today: 3 },
      });
      expect((await crm.loyalty.balance(zhang, SYSTEM)).available).toBe(200);
      chain.clock.advance(24 * 3_600_000);
      const poor = await member(chain, '王芳');
      await pointsFor(chain, poor, 60);
      expect(
        await crm.loyalty.vouchers
          .convert({ templateId: 'FRESH-10', customerId: poor }, { ...SERVICE, idempotencyKey: freshKey('convert') })
          .catch((e: unknown) => e),
      ).toMatchObject({ code: 'INSUFFICIENT_BALANCE', details: { reason: 'below_min_points', minPoints: 100 } });
      expect(
        await crm.loyalty.vouchers
          .convert({ templateId: 'SORRY-20', customerId: zhang }, { ...SERVICE, idempotencyKey: freshKey('convert') })
          .catch((e: unknown) => e),
      ).toMatchObject({ code: 'INVALID_STATE', details: { reason: 'not_convertible' } });

      // At the till: which vouchers apply to this basket, and why the others do not.
      const sorry = await issue(chain, 'SORRY-20', zhang);
      const basket = { lines: [fruit(2500, 2), grain(1000)] };
      const list = await crm.loyalty.vouchers.eligible({ customerId: zhang, storeId: 'S01', basket }, SYSTEM);
      expect(list.usable.map((u) => [u.voucher.templateId, u.discount])).toEqual([
        ['FRESH-10', 1000],
        ['FRESH-10', 1000],
        ['FRESH-10', 1000],
      ]);
      expect(list.unusable).toEqual([
        expect.objectContaining({
          voucher: expect.objectContaining({ id: sorry.id }),
          reasons: ['below_minimum_spend'],
          eligible: 6000,
        }),
      ]);

      const saleKey = freshKey('sale');
      const payments = [
        { method: 'voucher', amount: 1000, reference: voucher.display.toLowerCase() },
        { method: 'cash', amount: 5000 },
      ];
      const sale = await sell(chain, zhang, basket.lines, payments, saleKey);
      expect(await crm.loyalty.vouchers.get(voucher.id, SYSTEM)).toMatchObject({
        status: 'redeemed',
        purchaseId: sale.id,
        discount: 1000,
      });
      // The same sale sent again with its key: the first answer, the voucher untouched.
      const afterSale = await loyaltySnapshot(chain);
      expect(
        await crm.purchases.record(
          {
            storeId: 'S01',
            terminalId: 'T1',
            receiptNo: sale.receiptNo,
            customerId: zhang,
            lines: basket.lines,
            payments,
          },
          { ...CLERK, idempotencyKey: saleKey },
        ),
      ).toEqual(sale);
      // Another sale with the same voucher: refused, and nothing is written.
      const again = await sell(chain, zhang, basket.lines, payments).catch((e: unknown) => e);
      expect(again).toMatchObject({
        code: 'INVALID_STATE',
        path: ['payments', 0, 'reference'],
        details: { reason: 'redeemed' },
      });
      expect(await loyaltySnapshot(chain)).toEqual(afterSale);
      expect((await crm.loyalty.vouchers.history(voucher.id, SYSTEM)).map((e) => [e.kind, e.status, e.amount])).toEqual(
        [
          ['issued', 'active', 1000],
          ['redeemed', 'redeemed', 1000],
        ],
      );
      await expectMoneyConsistent(chain.store);
      await expectLedgerConsistent(chain.store);
    },
  );

  it(
    'issues by hand within authority: its own voucher limit, else the role’s compensation limit, else an ' +
      'approver’s',
    async () => {
      const chain = await openMoneyChain(await kind.open());
      const { crm } = chain;
      const li = await member(chain, '李雷');
      await crm.loyalty.vouchers.defineTemplate(
        {
          id: 'BIG-100',
          name: 'Apology 100',
          value: { kind: 'amount', amount: 10000 },
          validity: { kind: 'days', days: 14 },
        },
        SYSTEM,
      );
      // The service desk's own voucher limit is 50 yuan.
      const refused = await issue(chain, 'BIG-100', li).catch((e: unknown) => e);
      expect(refused).toMatchObject({
        code: 'AUTHORITY_EXCEEDED',
        details: { action: 'voucher', amount: 10000, limit: 5000 },
      });
      // The supervisor's role has no voucher limit, so its compensation limit (500 yuan) applies, to the approver as
      // well.
      const approved = await issue(chain, 'BIG-100', li, SERVICE, {
        approvedBy: 'E-SUPERVISOR',
        reason: 'broken promise',
      });
      expect((await crm.loyalty.vouchers.history(approved.id, SYSTEM))[0]!.details).toEqual({
        source: 'manual',
        approvedBy: 'E-SUPERVISOR',
        reason: 'broken promise',
      });
      expect(await issue(chain, 'BIG-100', li, SUPERVISOR)).toMatchObject({ status: 'active', faceValue: 10000 });
      expect(
        (
          await crm.loyalty.grantGoodwill(
            { customerId: li, points: 20000, reason: 'sorry' },
            { ...SUPERVISOR, idempotencyKey: freshKey('goodwill') },
          )
        ).points,
      ).toBe(20000);
      const audit = await crm.audit.list({ outcome: 'refused' }, SYSTEM);
      expect(audit.items.map((a) => [a.command, a.errorCode])).toContainEqual([
        'loyalty.vouchers.issue',
        'AUTHORITY_EXCEEDED',
      ]);
      expect(await issue(chain, 'FRESH-10', li, CLERK).catch((e: unknown) => e)).toMatchObject({
        code: 'PERMISSION_DENIED',
      });

      // One Sorry-20 at a time per customer; a bearer campaign voucher belongs to no one.
      await issue(chain, 'SORRY-20', li);
      expect(await issue(chain, 'SORRY-20', li).catch((e: unknown) => e)).toMatchObject({
        code: 'INVALID_STATE',
        details: { reason: 'holding_limit', held: 1, limit: 1 },
      });
      const flyer = await crm.loyalty.vouchers.issue(
        { templateId: 'TEN-PCT', source: 'campaign', ref: { type: 'campaign', id: 'double-eleven' } },
        { ...SERVICE, idempotencyKey: freshKey('issue') },
      );
      expect(flyer).toMatchObject({
        customerId: null,
        source: 'campaign',
        ref: { type: 'campaign', id: 'double-eleven' },
        validUntil: new Date('2026-11-30T16:00:00Z'),
      });
      const anonymous = await sell(
        chain,
        undefined,
        [grain(9000)],
        [
          { method: 'voucher', amount: 900, reference: flyer.code },
          { method: 'cash', amount: 8100 },
        ],
      );
      expect(await crm.loyalty.vouchers.lookup(flyer.display, SYSTEM)).toMatchObject({
        status: 'redeemed',
        purchaseId: anonymous.id,
        discount: 900,
      });
      await crm.loyalty.vouchers.retireTemplate({ templateId: 'BIG-100' }, SYSTEM);
      expect(await issue(chain, 'BIG-100', li, SUPERVISOR).catch((e: unknown) => e)).toMatchObject({
        code: 'INVALID_STATE',
        details: { reason: 'template_retired' },
      });
      expect((await crm.loyalty.vouchers.get(approved.id, SYSTEM)).status).toBe('active');
      await expectMoneyConsistent(chain.store);
    },
  );

  it(
    'gives a voucher back when its sale is voided or wholly returned, and follows the template when a return ' +
      'leaves too little',
    async () => {
      const chain = await openMoneyChain(await kind.open());
      const { crm } = chain;
      const chen = await member(chain, '陈静');
      const events: string[] = [];
      crm.events.onAny((type, payload) => {
        if (type.startsWith('voucher.') && type !== 'voucher.issued')
          events.push(`${type}:${(payload as { amount?: number }).amount ?? ''}`);
      });
      const previews: Array<Awaited<ReturnType<typeof crm.loyalty.previewReturn>>> = [];
      const ret = async (purchaseId: string, lineNo: number) => {
        const lines = [{ lineNo, quantity: 1 }];
        const preview = await crm.loyalty.previewReturn({ purchaseId, lines }, SYSTEM);
        const back = await crm.purchases.return(
          { purchaseId, storeId: 'S01', lines, reason: 'changed mind' },
          { ...MANAGER, idempotencyKey: freshKey('return') },
        );
        // The till is told beforehand what the return then keeps back and pays out.
        expect(preview).toMatchObject({
          refund: back.amount,
          refundDeduction: back.amount - back.payable!,
          payable: back.payable,
        });
        previews.push(preview);
        return back;
      };

      // Fresh-10 restores: returning the apples leaves 30 yuan of fresh food, under its 50.
      const fresh = await issue(chain, 'FRESH-10', chen);
      const s1 = await sell(
        chain,
        chen,
        [fruit(3000), { sku: 'MILK', category: 'dairy', quantity: 1, unitPrice: 3000 }],
        [
          { method: 'voucher', amount: 1000, reference: fresh.code },
          { method: 'cash', amount: 5000 },
        ],
      );
      // The voucher comes back, so its value does not come back in money as well.
      expect(await ret(s1.id, 1)).toMatchObject({
        amount: 3000,
        payable: 2000,
        deductions: [{ source: 'loyalty.voucher', amount: 1000 }],
      });
      expect(await crm.loyalty.vouchers.get(fresh.id, SYSTEM)).toMatchObject({
        status: 'active',
        purchaseId: null,
        discount: 0,
      });
      expect((await crm.loyalty.vouchers.history(fresh.id, SYSTEM)).map((e) => [e.kind, e.amount, e.refType])).toEqual([
        ['issued', 1000, null],
        ['redeemed', 1000, 'purchase'],
        ['charged-back', 1000, 'return'],
        ['restored', 1000, 'return'],
      ]);
      expect(events.splice(0)).toEqual(['voucher.redeemed:', 'voucher.charged-back:1000', 'voucher.restored:1000']);
      expect(previews.splice(0).map((p) => p.vouchers)).toEqual([
        [{ voucherId: fresh.id, templateId: 'FRESH-10', action: 'restore', refundDeduction: 1000 }],
      ]);

      // Sorry-20 deducts: returning the snacks leaves 60 yuan, under its 100; the rest later is a whole return.
      const sorry = await issue(chain, 'SORRY-20', chen);
      const s2 = await sell(
        chain,
        chen,
        [grain(6000), { sku: 'CHIPS', category: 'snacks', quantity: 1, unitPrice: 6000 }],
        [
          { method: 'voucher', amount: 2000, reference: sorry.code },
          { method: 'cash', amount: 10000 },
        ],
      );
      expect(await ret(s2.id, 2)).toMatchObject({
        amount: 6000,
        payable: 4000,
        deductions: [{ source: 'loyalty.voucher', amount: 2000 }],
      });
      expect(await crm.loyalty.vouchers.get(sorry.id, SYSTEM)).toMatchObject({ status: 'redeemed', discount: 2000 });
      // Paid for once already: the voucher comes back with nothing more kept back.
      expect(await ret(s2.id, 1)).toMatchObject({ amount: 6000, payable: 6000, deductions: [] });
      expect((await crm.loyalty.vouchers.history(sorry.id, SYSTEM)).map((e) => [e.kind, e.amount])).toEqual([
        ['issued', 2000],
        ['redeemed', 2000],
        ['charged-back', 2000],
        ['restored', 2000],
      ]);
      expect(events.splice(0)).toEqual(['voucher.redeemed:', 'voucher.charged-back:2000', 'voucher.restored:2000']);
      expect(previews.splice(0).map((p) => p.vouchers.map((v) => [v.action, v.refundDeduction]))).toEqual([
        [['none', 2000]],
        [['restore', 0]],
      ]);

      // 10 % off keeps its discount on a partial return; a void gives it back.
      const ten = await issue(chain, 'TEN-PCT', chen);
      const s3 = await sell(
        chain,
        chen,
        [grain(5000), grain(5000)],
        [
          { method: 'voucher', amount: 1000, reference: ten.code },
          { method: 'cash', amount: 9000 },
        ],
      );
      expect(await ret(s3.id, 1)).toMatchObject({ amount: 5000, payable: 5000, deductions: [] });
      expect((await crm.loyalty.vouchers.get(ten.id, SYSTEM)).status).toBe('redeemed');
      const s4 = await sell(
        chain,
        chen,
        [grain(4000)],
        [
          { method: 'voucher', amount: 400, reference: (await issue(chain, 'TEN-PCT', chen)).code },
          { method: 'cash', amount: 3600 },
        ],
      );
      await crm.purchases.void(
        { purchaseId: s4.id, reason: 'wrong customer' },
        { ...MANAGER, idempotencyKey: freshKey('void') },
      );
      expect(events.splice(0)).toEqual(['voucher.redeemed:', 'voucher.redeemed:', 'voucher.restored:400']);

      // A sale undone after its voucher's time is over: the voucher does not come back.
      const late = await issue(chain, 'FRESH-10', chen);
      const s5 = await sell(
        chain,
        chen,
        [fruit(6000)],
        [
          { method: 'voucher', amount: 1000, reference: late.code },
          { method: 'cash', amount: 5000 },
        ],
      );
      chain.clock.advance(31 * 86_400_000);
      expect(await ret(s5.id, 1)).toMatchObject({ amount: 6000, payable: 5000 });
      expect(await crm.loyalty.vouchers.get(late.id, SYSTEM)).toMatchObject({ status: 'expired' });
      expect(previews.at(-1)!.vouchers).toEqual([
        { voucherId: late.id, templateId: 'FRESH-10', action: 'expire', refundDeduction: 1000 },
      ]);
      expect((await crm.loyalty.vouchers.history(late.id, SYSTEM)).map((e) => e.kind)).toEqual([
        'issued',
        'redeemed',
        'charged-back',
        'expired',
      ]);
      await expectMoneyConsistent(chain.store);
    },
  );

  it(
    'holds a voucher at one till until that till’s sale takes it, a cancel, or the scheduler; and expires ' +
      'unused vouchers',
    async () => {
      const chain = await openMoneyChain(await kind.open());
      const { crm } = chain;
      const wu = await member(chain, '吴磊');
      const v = await issue(chain, 'FRESH-10', wu);
      const basket = { lines: [fruit(3000, 2)] };
      const held = await crm.loyalty.vouchers.reserve(
        { code: v.display, storeId: 'S01', terminalId: 'T1', customerId: wu, basket },
        { ...CLERK, idempotencyKey: freshKey('hold') },
      );
      expect(held).toMatchObject({
        discount: 1000,
        voucher: { status: 'held', hold: { storeId: 'S01', terminalId: 'T1' } },
        heldUntil: new Date(chain.clock.now().getTime() + 15 * 60_000),
      });
      const pay = [
        { method: 'voucher', amount: 1000, reference: v.code },
        { method: 'cash', amount: 5000 },
      ];
      const elsewhere = await sell(chain, wu, basket.lines, pay, freshKey('sale'), 'T2').catch((e: unknown) => e);
      expect(refusalReason(elsewhere)).toBe('held');
      expect((await crm.loyalty.vouchers.cancelHold({ code: v.code }, CLERK)).status).toBe('active');
      await crm.loyalty.vouchers.reserve(
        { code: v.code, storeId: 'S01', terminalId: 'T2', customerId: wu },
        { ...CLERK, idempotencyKey: freshKey('hold') },
      );
      const sale = await sell(chain, wu, basket.lines, pay, freshKey('sale'), 'T2');
      expect((await crm.loyalty.vouchers.history(v.id, SYSTEM)).map((e) => e.kind)).toEqual([
        'issued',
        'held',
        'released',
        'held',
        'redeemed',
      ]);
      expect((await crm.loyalty.vouchers.get(v.id, SYSTEM)).purchaseId).toBe(sale.id);

      const lapsing = await issue(chain, 'FRESH-10', wu);
      await crm.loyalty.vouchers.reserve(
        { code: lapsing.code, storeId: 'S01', terminalId: 'T3', customerId: wu },
        { ...CLERK, idempotencyKey: freshKey('hold') },
      );
      chain.clock.advance(16 * 60_000);
      expect((await crm.runDue())['loyalty']).toMatchObject({ vouchersReleased: 1, vouchersExpired: 0 });
      chain.clock.set('2026-12-02T16:00:00Z');
      expect((await crm.runDue())['loyalty']).toMatchObject({ vouchersExpired: 1 });
      expect((await crm.loyalty.vouchers.ofCustomer(wu, SYSTEM)).items.map((x) => x.status).sort()).toEqual([
        'expired',
        'redeemed',
      ]);
      const gone = await sell(chain, wu, basket.lines, [
        { method: 'voucher', amount: 1000, reference: lapsing.code },
        { method: 'cash', amount: 5000 },
      ]).catch((e: unknown) => e);
      expect(isClienteleError(gone, 'INVALID_STATE') && refusalReason(gone)).toBe('expired');
      await expectMoneyConsistent(chain.store);
    },
  );
});
