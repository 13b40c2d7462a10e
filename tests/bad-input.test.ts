/**
 * Every public command refuses bad input with a typed error whose code and path say what is wrong,
 * and writes nothing: each case compares a snapshot of every collection before and after.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isClienteleError, type Clientele } from '@clientele/core';
import { cardNumberFor } from '@clientele/core/module';
import { BASKET, CLERK, SYSTEM, freshKey, nextReceipt, openChain, snapshot } from './support/chain.js';
import { STORE_KINDS } from './support/stores.js';

type Case = { name: string; call: (w: World) => Promise<unknown>; code: string; path?: Array<string | number> };
type World = { crm: Clientele; customerId: string; cardNumber: string; purchaseId: string };

const KEY = () => ({ ...CLERK, idempotencyKey: freshKey() });
const sale = (w: World, over: Record<string, unknown>) =>
  w.crm.purchases.record(
    { storeId: 'S01', terminalId: 'T1', receiptNo: nextReceipt(), lines: BASKET, ...over } as never,
    KEY(),
  );

const CASES: Case[] = [
  // customers.register
  {
    name: 'register: unknown kind',
    call: (w) => w.crm.customers.register({ kind: 'robot', name: 'x' } as never, CLERK),
    code: 'VALIDATION_FAILED',
    path: ['kind'],
  },
  {
    name: 'register: missing name',
    call: (w) => w.crm.customers.register({ kind: 'individual' } as never, CLERK),
    code: 'VALIDATION_FAILED',
    path: ['name'],
  },
  {
    name: 'register: name of wrong type',
    call: (w) => w.crm.customers.register({ kind: 'individual', name: 42 } as never, CLERK),
    code: 'VALIDATION_FAILED',
    path: ['name'],
  },
  {
    name: 'register: bad phone',
    call: (w) => w.crm.customers.register({ kind: 'individual', name: 'x', phone: 'call me' }, CLERK),
    code: 'VALIDATION_FAILED',
    path: ['phone'],
  },
  {
    name: 'register: bad email',
    call: (w) => w.crm.customers.register({ kind: 'individual', name: 'x', email: 'not-an-email' }, CLERK),
    code: 'VALIDATION_FAILED',
    path: ['email'],
  },
  {
    name: 'register: bad birth date',
    call: (w) => w.crm.customers.register({ kind: 'individual', name: 'x', birthDate: '1990-13-40' }, CLERK),
    code: 'VALIDATION_FAILED',
    path: ['birthDate'],
  },
  {
    name: 'register: unknown field',
    call: (w) => w.crm.customers.register({ kind: 'individual', name: 'x', shoeSize: 42 } as never, CLERK),
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'register: organisation field on a member',
    call: (w) => w.crm.customers.register({ kind: 'individual', name: 'x', taxId: '1234567' } as never, CLERK),
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'register: unknown home store',
    call: (w) => w.crm.customers.register({ kind: 'individual', name: 'x', homeStoreId: 'S99' }, CLERK),
    code: 'NOT_FOUND',
    path: ['homeStoreId'],
  },
  {
    name: 'register: control characters in name',
    call: (w) => w.crm.customers.register({ kind: 'individual', name: 'a\u0000b' }, CLERK),
    code: 'VALIDATION_FAILED',
    path: ['name'],
  },
  {
    name: 'register: contact without role',
    call: (w) =>
      w.crm.customers.register({ kind: 'organisation', legalName: 'Org', contacts: [{ name: 'x' }] } as never, CLERK),
    code: 'VALIDATION_FAILED',
    path: ['contacts', 0, 'role'],
  },
  {
    name: 'register: unknown staff actor',
    call: (w) => w.crm.customers.register({ kind: 'individual', name: 'x' }, { actor: { staffId: 'E-NOBODY' } }),
    code: 'NOT_FOUND',
    path: ['options', 'actor', 'staffId'],
  },
  {
    name: 'register: no actor',
    call: (w) => w.crm.customers.register({ kind: 'individual', name: 'x' }, {} as never),
    code: 'VALIDATION_FAILED',
    path: ['options', 'actor'],
  },
  {
    name: 'register: actor without permission',
    call: (w) => w.crm.customers.register({ kind: 'individual', name: 'x' }, { actor: { staffId: 'E-GUARD' } }),
    code: 'PERMISSION_DENIED',
  },
  // customers.update / verify / merge
  {
    name: 'update: malformed id',
    call: (w) => w.crm.customers.update({ customerId: 'bad id!', changes: {} }, CLERK),
    code: 'VALIDATION_FAILED',
    path: ['customerId'],
  },
  {
    name: 'update: unknown customer',
    call: (w) => w.crm.customers.update({ customerId: 'cus_missing', changes: { phone: '13800000000' } }, CLERK),
    code: 'NOT_FOUND',
    path: ['customerId'],
  },
  {
    name: 'update: bad tags',
    call: (w) => w.crm.customers.update({ customerId: w.customerId, changes: { tags: 'vip' as never } }, CLERK),
    code: 'VALIDATION_FAILED',
    path: ['changes', 'tags'],
  },
  {
    name: 'update: negative version',
    call: (w) => w.crm.customers.update({ customerId: w.customerId, expectVersion: -1, changes: {} }, CLERK),
    code: 'VALIDATION_FAILED',
    path: ['expectVersion'],
  },
  {
    name: 'verify: unknown customer',
    call: (w) => w.crm.customers.verify({ customerId: 'cus_missing' }, CLERK),
    code: 'NOT_FOUND',
    path: ['customerId'],
  },
  {
    name: 'merge: missing reason',
    call: (w) => w.crm.customers.merge({ survivorId: w.customerId, mergedId: 'cus_x' } as never, SYSTEM),
    code: 'VALIDATION_FAILED',
    path: ['reason'],
  },
  {
    name: 'merge: unknown merged record',
    call: (w) => w.crm.customers.merge({ survivorId: w.customerId, mergedId: 'cus_missing', reason: 'dup' }, SYSTEM),
    code: 'NOT_FOUND',
    path: ['mergedId'],
  },
  // cards
  {
    name: 'define card type: prefix with letters',
    call: (w) => w.crm.cards.defineType({ id: 'X', name: 'X', prefix: '8A' }, SYSTEM),
    code: 'VALIDATION_FAILED',
    path: ['prefix'],
  },
  {
    name: 'define card type: taken prefix',
    call: (w) => w.crm.cards.defineType({ id: 'X', name: 'X', prefix: '88' }, SYSTEM),
    code: 'CONFLICT',
    path: ['prefix'],
  },
  {
    name: 'issue card: unknown type',
    call: (w) => w.crm.cards.issue({ typeId: 'PLATINUM', storeId: 'S01' }, CLERK),
    code: 'NOT_FOUND',
    path: ['typeId'],
  },
  {
    name: 'issue card: unknown customer',
    call: (w) => w.crm.cards.issue({ typeId: 'GOLD', storeId: 'S01', customerId: 'cus_missing' }, CLERK),
    code: 'NOT_FOUND',
    path: ['customerId'],
  },
  {
    name: 'issue card: mistyped number',
    call: (w) => w.crm.cards.issue({ typeId: 'GOLD', storeId: 'S01', number: '8800000000010' }, CLERK),
    code: 'VALIDATION_FAILED',
    path: ['number'],
  },
  {
    name: 'link card: unknown number',
    call: (w) => w.crm.cards.link({ number: cardNumberFor('88', 777, 13), customerId: w.customerId }, CLERK),
    code: 'NOT_FOUND',
    path: ['number'],
  },
  {
    name: 'report lost: letters in number',
    call: (w) => w.crm.cards.reportLost({ number: '88ABC', reason: 'x' }, CLERK),
    code: 'VALIDATION_FAILED',
    path: ['number'],
  },
  {
    name: 'replace card: unknown store',
    call: (w) => w.crm.cards.replace({ number: w.cardNumber, storeId: 'S99', reason: 'x' }, CLERK),
    code: 'NOT_FOUND',
    path: ['storeId'],
  },
  {
    name: 'unblock: active card',
    call: (w) => w.crm.cards.unblock({ number: w.cardNumber }, SYSTEM),
    code: 'INVALID_STATE',
    path: ['number'],
  },
  // purchases.record
  {
    name: 'sale: no idempotency key',
    call: (w) =>
      w.crm.purchases.record({ storeId: 'S01', terminalId: 'T1', receiptNo: nextReceipt(), lines: BASKET }, CLERK),
    code: 'VALIDATION_FAILED',
    path: ['options', 'idempotencyKey'],
  },
  { name: 'sale: no lines', call: (w) => sale(w, { lines: [] }), code: 'VALIDATION_FAILED', path: ['lines'] },
  {
    name: 'sale: negative quantity',
    call: (w) => sale(w, { lines: [{ sku: 'A', category: 'c', quantity: -1, unitPrice: 100 }] }),
    code: 'VALIDATION_FAILED',
    path: ['lines', 0, 'quantity'],
  },
  {
    name: 'sale: zero quantity',
    call: (w) => sale(w, { lines: [{ sku: 'A', category: 'c', quantity: 0, unitPrice: 100 }] }),
    code: 'VALIDATION_FAILED',
    path: ['lines', 0, 'quantity'],
  },
  {
    name: 'sale: four decimals of quantity',
    call: (w) => sale(w, { lines: [{ sku: 'A', category: 'c', quantity: 1.2345, unitPrice: 100 }] }),
    code: 'VALIDATION_FAILED',
    path: ['lines', 0, 'quantity'],
  },
  {
    name: 'sale: price in yuan with decimals',
    call: (w) => sale(w, { lines: [{ sku: 'A', category: 'c', quantity: 1, unitPrice: 12.5 }] }),
    code: 'VALIDATION_FAILED',
    path: ['lines', 0, 'unitPrice'],
  },
  {
    name: 'sale: price as text',
    call: (w) => sale(w, { lines: [{ sku: 'A', category: 'c', quantity: 1, unitPrice: '100' }] }),
    code: 'VALIDATION_FAILED',
    path: ['lines', 0, 'unitPrice'],
  },
  {
    name: 'sale: discount above price',
    call: (w) => sale(w, { lines: [{ sku: 'A', category: 'c', quantity: 1, unitPrice: 100, discount: 150 }] }),
    code: 'VALIDATION_FAILED',
    path: ['lines', 0, 'discount'],
  },
  {
    name: 'sale: missing category',
    call: (w) => sale(w, { lines: [{ sku: 'A', quantity: 1, unitPrice: 100 }] }),
    code: 'VALIDATION_FAILED',
    path: ['lines', 0, 'category'],
  },
  {
    name: 'sale: payments do not add up',
    call: (w) =>
      sale(w, {
        lines: [{ sku: 'A', category: 'c', quantity: 1, unitPrice: 100 }],
        payments: [{ method: 'cash', amount: 90 }],
      }),
    code: 'VALIDATION_FAILED',
    path: ['payments'],
  },
  { name: 'sale: unknown store', call: (w) => sale(w, { storeId: 'S99' }), code: 'NOT_FOUND', path: ['storeId'] },
  {
    name: 'sale: unknown card',
    call: (w) => sale(w, { cardNumber: cardNumberFor('88', 555, 13) }),
    code: 'NOT_FOUND',
    path: ['cardNumber'],
  },
  {
    name: 'sale: mistyped card',
    call: (w) => sale(w, { cardNumber: '8800000000019' }),
    code: 'VALIDATION_FAILED',
    path: ['cardNumber'],
  },
  {
    name: 'sale: unknown customer',
    call: (w) => sale(w, { customerId: 'cus_missing' }),
    code: 'NOT_FOUND',
    path: ['customerId'],
  },
  {
    name: 'sale: malformed customer id',
    call: (w) => sale(w, { customerId: "x'; drop table customers; --" }),
    code: 'VALIDATION_FAILED',
    path: ['customerId'],
  },
  {
    name: 'sale: lowercase currency',
    call: (w) => sale(w, { currency: 'cny' }),
    code: 'VALIDATION_FAILED',
    path: ['currency'],
  },
  {
    name: 'sale: future date text',
    call: (w) => sale(w, { occurredAt: 'tomorrow' }),
    code: 'VALIDATION_FAILED',
    path: ['occurredAt'],
  },
  {
    name: 'sale: guard has no sales permission',
    call: (w) =>
      w.crm.purchases.record(
        { storeId: 'S01', terminalId: 'T1', receiptNo: nextReceipt(), lines: BASKET },
        { actor: { staffId: 'E-GUARD' }, idempotencyKey: freshKey() },
      ),
    code: 'PERMISSION_DENIED',
  },
  // purchases.return / void
  {
    name: 'return: more than sold',
    call: (w) =>
      w.crm.purchases.return(
        { purchaseId: w.purchaseId, storeId: 'S01', lines: [{ lineNo: 1, quantity: 2 }], reason: 'x' },
        KEY(),
      ),
    code: 'VALIDATION_FAILED',
    path: ['lines', 0, 'quantity'],
  },
  {
    name: 'return: unknown line',
    call: (w) =>
      w.crm.purchases.return(
        { purchaseId: w.purchaseId, storeId: 'S01', lines: [{ lineNo: 9, quantity: 1 }], reason: 'x' },
        KEY(),
      ),
    code: 'VALIDATION_FAILED',
    path: ['lines', 0, 'lineNo'],
  },
  {
    name: 'return: line listed twice',
    call: (w) =>
      w.crm.purchases.return(
        {
          purchaseId: w.purchaseId,
          storeId: 'S01',
          lines: [
            { lineNo: 2, quantity: 1 },
            { lineNo: 2, quantity: 1 },
          ],
          reason: 'x',
        },
        KEY(),
      ),
    code: 'VALIDATION_FAILED',
    path: ['lines', 1, 'lineNo'],
  },
  {
    name: 'return: second line fails after the first',
    call: (w) =>
      w.crm.purchases.return(
        {
          purchaseId: w.purchaseId,
          storeId: 'S01',
          lines: [
            { lineNo: 2, quantity: 1 },
            { lineNo: 3, quantity: 5 },
          ],
          reason: 'x',
        },
        KEY(),
      ),
    code: 'VALIDATION_FAILED',
    path: ['lines', 1, 'quantity'],
  },
  {
    name: 'return: negative quantity',
    call: (w) =>
      w.crm.purchases.return(
        { purchaseId: w.purchaseId, storeId: 'S01', lines: [{ lineNo: 1, quantity: -1 }], reason: 'x' },
        KEY(),
      ),
    code: 'VALIDATION_FAILED',
    path: ['lines', 0, 'quantity'],
  },
  {
    name: 'return: unknown purchase',
    call: (w) =>
      w.crm.purchases.return(
        { purchaseId: 'pur_missing', storeId: 'S01', lines: [{ lineNo: 1, quantity: 1 }], reason: 'x' },
        KEY(),
      ),
    code: 'NOT_FOUND',
    path: ['purchaseId'],
  },
  {
    name: 'return: above the clerk’s refund limit',
    call: (w) =>
      w.crm.purchases.return(
        {
          purchaseId: w.purchaseId,
          storeId: 'S01',
          lines: [
            { lineNo: 3, quantity: 1 },
            { lineNo: 4, quantity: 3 },
          ],
          reason: 'x',
        },
        KEY(),
      ),
    code: 'AUTHORITY_EXCEEDED',
  },
  {
    name: 'void: no reason',
    call: (w) => w.crm.purchases.void({ purchaseId: w.purchaseId } as never, KEY()),
    code: 'VALIDATION_FAILED',
    path: ['reason'],
  },
  {
    name: 'void: unknown purchase',
    call: (w) => w.crm.purchases.void({ purchaseId: 'pur_missing', reason: 'x' }, KEY()),
    code: 'NOT_FOUND',
    path: ['purchaseId'],
  },
  // interactions, organisation, privacy
  {
    name: 'interaction: unknown channel',
    call: (w) =>
      w.crm.interactions.log(
        { customerId: w.customerId, channel: 'pigeon' as never, kind: 'inquiry', summary: 'x' },
        CLERK,
      ),
    code: 'VALIDATION_FAILED',
    path: ['channel'],
  },
  {
    name: 'interaction: empty summary',
    call: (w) =>
      w.crm.interactions.log({ customerId: w.customerId, channel: 'phone', kind: 'inquiry', summary: '   ' }, CLERK),
    code: 'VALIDATION_FAILED',
    path: ['summary'],
  },
  {
    name: 'interaction: unknown customer',
    call: (w) =>
      w.crm.interactions.log({ customerId: 'cus_missing', channel: 'phone', kind: 'inquiry', summary: 'x' }, CLERK),
    code: 'NOT_FOUND',
    path: ['customerId'],
  },
  {
    name: 'store: unknown time zone',
    call: (w) => w.crm.stores.create({ id: 'S09', name: 'x', region: 'x', timeZone: 'Mars/Olympus' }, SYSTEM),
    code: 'VALIDATION_FAILED',
    path: ['timeZone'],
  },
  {
    name: 'store: closing before opening',
    call: (w) =>
      w.crm.stores.create(
        { id: 'S09', name: 'x', region: 'x', timeZone: 'Asia/Shanghai', openingHours: { mon: [['22:00', '08:00']] } },
        SYSTEM,
      ),
    code: 'VALIDATION_FAILED',
    path: ['openingHours', 'mon', 0],
  },
  {
    name: 'store: existing id',
    call: (w) => w.crm.stores.create({ id: 'S01', name: 'x', region: 'x', timeZone: 'Asia/Shanghai' }, SYSTEM),
    code: 'CONFLICT',
    path: ['id'],
  },
  {
    name: 'role: negative limit',
    call: (w) => w.crm.roles.define({ id: 'r', name: 'r', permissions: [], limits: { refund: -5 } }, SYSTEM),
    code: 'VALIDATION_FAILED',
    path: ['limits', 'refund'],
  },
  {
    name: 'role: malformed permission',
    call: (w) => w.crm.roles.define({ id: 'r', name: 'r', permissions: ['Sales Record'] }, SYSTEM),
    code: 'VALIDATION_FAILED',
    path: ['permissions', 0],
  },
  {
    name: 'staff: unknown role',
    call: (w) => w.crm.staff.add({ id: 'E9', name: 'x', storeId: 'S01', roleId: 'ceo' }, SYSTEM),
    code: 'NOT_FOUND',
    path: ['roleId'],
  },
  {
    name: 'export: unknown customer',
    call: (w) => w.crm.privacy.exportCustomer({ customerId: 'cus_missing' }, SYSTEM),
    code: 'NOT_FOUND',
    path: ['customerId'],
  },
  {
    name: 'erase: no reason',
    call: (w) => w.crm.privacy.eraseCustomer({ customerId: w.customerId } as never, SYSTEM),
    code: 'VALIDATION_FAILED',
    path: ['reason'],
  },
];

describe.each(STORE_KINDS)('bad input on $name', (kind) => {
  let world: World;
  let before: Record<string, string>;
  beforeAll(async () => {
    const { crm } = await openChain(await kind.open());
    const c = await crm.customers.register({ kind: 'individual', name: 'Bad Input' }, CLERK);
    const card = await crm.cards.issue({ typeId: 'GOLD', storeId: 'S01', customerId: c.id }, CLERK);
    const p = await crm.purchases.record(
      { storeId: 'S01', terminalId: 'T1', receiptNo: nextReceipt(), lines: BASKET },
      KEY(),
    );
    world = { crm, customerId: c.id, cardNumber: card.number, purchaseId: p.id };
  });
  afterAll(() => kind.cleanup());

  it.each(CASES)('$name → $code', async ({ call, code, path }) => {
    before = await snapshot(world.crm);
    const error = await call(world).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isClienteleError(error), String(error)).toBe(true);
    expect(error).toMatchObject({ code, ...(path ? { path } : {}) });
    const after = await snapshot(world.crm);
    // A refusal for lack of permission or authority is audited; nothing else may change.
    if (code === 'PERMISSION_DENIED' || code === 'AUTHORITY_EXCEEDED') {
      const { audit_log: a, ...restAfter } = after;
      const { audit_log: b, ...restBefore } = before;
      expect(restAfter).toEqual(restBefore);
      expect(JSON.parse(a!).length).toBe(JSON.parse(b!).length + 1);
    } else {
      expect(after).toEqual(before);
    }
  });
});
