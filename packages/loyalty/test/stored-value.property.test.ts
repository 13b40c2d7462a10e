/**
 * fast-check against a model: for any sequence of top-ups, spends, authorisations, refunds and
 * transfers on a customer's cards, every command succeeds exactly when the model says it can, each
 * balance is what the model says, equals the sum of the card's entries, and is never below zero.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isClienteleError } from '@clientele/core';
import { expectMoneyConsistent, openMoneyChain } from './money-support.js';
import { CLERK, MANAGER, STORE_KINDS, SYSTEM, freshKey, member, type LoyaltyChain } from './support.js';

const MAX = 100_000;

type Op =
  | { kind: 'top-up'; card: number; amount: number }
  | { kind: 'spend'; card: number; amount: number }
  | { kind: 'authorize'; card: number; amount: number }
  | { kind: 'cancel'; auth: number }
  | { kind: 'refund'; payment: number; amount: number }
  | { kind: 'transfer'; from: number; to: number; amount: number };

const card = fc.nat({ max: 1 });
const money = fc.integer({ min: 1, max: 25_000 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('top-up' as const), card, amount: money }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('spend' as const), card, amount: money }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('authorize' as const), card, amount: money }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), auth: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('refund' as const), payment: fc.nat(), amount: money }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('transfer' as const), from: card, to: card, amount: money }) },
);

interface Model {
  balance: number[];
  held: number[];
  payments: Array<{ id: string; card: number; captured: number; refunded: number }>;
  auths: Array<{ id: string; card: number; amount: number; open: boolean }>;
}

describe.each(STORE_KINDS)('stored-value ledger under random operations on $name', (kind) => {
  let chain: LoyaltyChain;
  let owner: string;
  beforeAll(async () => {
    chain = await openMoneyChain(await kind.open());
    await chain.crm.loyalty.storedValue.defineProduct(
      { id: 'PROP', name: 'Model card', kind: 'named', maxBalance: MAX },
      SYSTEM,
    );
    owner = await member(chain, '模型');
  });
  afterAll(() => kind.cleanup());

  it('keeps every balance equal to its entries, as the model says, and never below zero', async () => {
    const sv = chain.crm.loyalty.storedValue;
    const runs = kind.name === 'memory' ? 25 : 8;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 25 }), async (ops) => {
        const cards: string[] = [];
        const m: Model = { balance: [], held: [], payments: [], auths: [] };
        for (let i = 0; i < 2; i++) {
          cards.push(
            (
              await sv.sell(
                { productId: 'PROP', storeId: 'S01', amount: 20_000, customerId: owner },
                { ...CLERK, idempotencyKey: freshKey('sell') },
              )
            ).number,
          );
          m.balance.push(20_000);
          m.held.push(0);
        }
        const available = (c: number) => m.balance[c]! - m.held[c]!;
        for (const o of ops) {
          const key = { ...CLERK, idempotencyKey: freshKey(o.kind) };
          const outcome = await (async () => {
            switch (o.kind) {
              case 'top-up': {
                const ok = m.balance[o.card]! + o.amount <= MAX;
                const r = await sv.topUp({ cardNumber: cards[o.card]!, amount: o.amount, storeId: 'S01' }, key).then(
                  () => true,
                  (e: unknown) => e,
                );
                if (r === true) m.balance[o.card]! += o.amount;
                return { ok, r };
              }
              case 'spend': {
                const ok = o.amount <= available(o.card);
                const r = await sv
                  .spend(
                    {
                      cardNumber: cards[o.card]!,
                      amount: o.amount,
                      storeId: 'S02',
                      ref: { type: 'order', id: key.idempotencyKey },
                    },
                    key,
                  )
                  .then(
                    (x) => x,
                    (e: unknown) => e,
                  );
                if (!isClienteleError(r)) {
                  m.balance[o.card]! -= o.amount;
                  m.payments.push({
                    id: (r as { payment: { id: string } }).payment.id,
                    card: o.card,
                    captured: o.amount,
                    refunded: 0,
                  });
                }
                return { ok, r: isClienteleError(r) ? r : true };
              }
              case 'authorize': {
                const ok = o.amount <= available(o.card);
                const r = await sv
                  .authorize({ cardNumber: cards[o.card]!, amount: o.amount, storeId: 'S01', terminalId: 'T1' }, key)
                  .then(
                    (x) => x,
                    (e: unknown) => e,
                  );
                if (!isClienteleError(r)) {
                  m.held[o.card]! += o.amount;
                  m.auths.push({ id: (r as { id: string }).id, card: o.card, amount: o.amount, open: true });
                }
                return { ok, r: isClienteleError(r) ? r : true };
              }
              case 'cancel': {
                const a = m.auths[o.auth % Math.max(1, m.auths.length)];
                if (!a) return { ok: true, r: true };
                const r = await sv.cancelAuthorization({ paymentId: a.id }, CLERK).then(
                  () => true,
                  (e: unknown) => e,
                );
                if (r === true && a.open) {
                  a.open = false;
                  m.held[a.card]! -= a.amount;
                }
                return { ok: true, r };
              }
              case 'refund': {
                const p = m.payments[o.payment % Math.max(1, m.payments.length)];
                if (!p) return { ok: true, r: true };
                const ok = p.refunded + o.amount <= p.captured;
                const r = await sv
                  .refund(
                    { paymentId: p.id, amount: o.amount, reason: 'returned' },
                    { ...MANAGER, idempotencyKey: key.idempotencyKey },
                  )
                  .then(
                    () => true,
                    (e: unknown) => e,
                  );
                if (r === true) {
                  p.refunded += o.amount;
                  m.balance[p.card]! += o.amount;
                }
                return { ok, r };
              }
              case 'transfer': {
                if (o.from === o.to) return { ok: true, r: true };
                const ok = o.amount <= available(o.from) && m.balance[o.to]! + o.amount <= MAX;
                const r = await sv
                  .transfer(
                    { from: cards[o.from]!, to: cards[o.to]!, amount: o.amount, reason: 'merge' },
                    { ...MANAGER, idempotencyKey: key.idempotencyKey },
                  )
                  .then(
                    () => true,
                    (e: unknown) => e,
                  );
                if (r === true) {
                  m.balance[o.from]! -= o.amount;
                  m.balance[o.to]! += o.amount;
                }
                return { ok, r };
              }
            }
          })();
          // A refusal is always a typed one, and only when the model says the money is not there.
          if (outcome.r !== true) expect(isClienteleError(outcome.r)).toBe(true);
          expect({ op: o, ok: outcome.r === true }).toEqual({ op: o, ok: outcome.ok });
        }
        for (let i = 0; i < 2; i++) {
          const c = await sv.card(cards[i]!, SYSTEM);
          expect({ balance: c.balance, available: c.available }).toEqual({
            balance: m.balance[i],
            available: available(i),
          });
        }
      }),
      { numRuns: runs },
    );
    await expectMoneyConsistent(chain.store);
  }, 60_000);
});
