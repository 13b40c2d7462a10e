/**
 * Offline allowances of stored value: an amount of one card that one terminal may spend while it
 * cannot reach central. Central reserves it up front as an authorisation of that terminal (id prefix
 * `svl`) that lasts longer than a till's, so the card's spendable amount drops by it and two tills
 * offline at once can never together spend more than the card holds. Everything that ends
 * authorisations ends allowances too: `cancelAuthorization` gives the rest back, `runDue` expires
 * it, a card reported lost releases it. The till spends from it by drawing an authorisation of the
 * amount one sale paid, which that sale then captures as it would any authorisation.
 */
import { InvalidStateError, mustGet } from '@clientele/core/module';
import { addMinutes } from 'date-fns';
import { storedValuePaymentsCollection } from './collections.js';
import { drawCardAllowanceSchema, grantCardAllowanceSchema } from './stored-value-allowance-inputs.js';
import type { LoyaltyRuntime } from './runtime.js';
import {
  CARD_ALLOWANCE_PREFIX,
  cardRefusal,
  emitAuthorized,
  isCardAllowance,
  type CardPayment,
  type StoredValueService,
} from './stored-value-service.js';

/** Builds the stored-value allowance commands. */
export function createCardAllowances(runtime: LoyaltyRuntime, service: StoredValueService) {
  const { kernel } = runtime;
  const cfg = runtime.program.config;

  const grant = kernel.command({
    name: 'loyalty.stored-value.allowances.grant',
    input: grantCardAllowanceSchema,
    permission: 'sales.record',
    idempotency: 'required',
    async run(ctx, input): Promise<CardPayment> {
      // An authorisation like a till's, with the same guarded decrement of what the card may spend.
      // It is spent without the PIN, so a card with one is refused (`pin_required`).
      const { payment } = await service.authorizeInto(ctx, {
        cardNumber: input.cardNumber,
        amount: input.amount,
        storeId: input.storeId,
        terminalId: input.terminalId,
        minutes: input.minutes,
        prefix: CARD_ALLOWANCE_PREFIX,
      });
      ctx.audit(
        { type: 'stored-value-card', id: input.cardNumber, customerId: payment.customerId },
        {
          paymentId: payment.id,
          amount: input.amount,
          storeId: input.storeId,
          terminalId: input.terminalId,
          offlineAllowance: true,
        },
      );
      await emitAuthorized(ctx, payment);
      return payment;
    },
  });

  const draw = kernel.command({
    name: 'loyalty.stored-value.allowances.draw',
    input: drawCardAllowanceSchema,
    permission: 'sales.record',
    idempotency: 'required',
    async run(ctx, input): Promise<CardPayment> {
      const path = ['allowanceId'];
      const parent = await mustGet(ctx.tx, storedValuePaymentsCollection, input.allowanceId, 'offline allowance', {
        path,
        reason: 'unknown_authorization',
      });
      if (!isCardAllowance(parent))
        throw cardRefusal('input', 'not_an_allowance', `${parent.id} is not an offline allowance`, path);
      if (parent.terminalId !== input.terminalId)
        throw cardRefusal('input', 'allowance_elsewhere', `allowance ${parent.id} belongs to another terminal`, [
          'terminalId',
        ]);
      const why =
        parent.status !== 'authorized'
          ? parent.status
          : parent.expiresAt !== null && parent.expiresAt <= ctx.now
            ? 'expired'
            : null;
      if (why) throw new InvalidStateError(`offline allowance ${parent.id} is ${why}`, { path, status: why });
      if (parent.amount < input.amount)
        throw cardRefusal(
          'input',
          'exceeds_allowance',
          `allowance ${parent.id} has ${parent.amount} left, the sale spent ${input.amount}`,
          ['amount'],
          { left: parent.amount },
        );
      const rest = parent.amount - input.amount;
      // Only if the allowance still holds what was read: a draw racing another sees its result and decides again.
      const taken = await ctx.tx.consume(
        storedValuePaymentsCollection,
        parent.id,
        { status: 'authorized', amount: parent.amount, expiresAt: { gt: ctx.now } },
        { amount: rest },
      );
      if (!taken) throw new InvalidStateError(`offline allowance ${parent.id} changed meanwhile`, { path });
      // The money stays reserved on the card: it moves from the allowance to an authorisation the sale captures.
      const payment = await ctx.tx.insert(storedValuePaymentsCollection, {
        id: ctx.id('svp'),
        cardNumber: parent.cardNumber,
        customerId: parent.customerId,
        status: 'authorized',
        amount: input.amount,
        captured: 0,
        refunded: 0,
        storeId: parent.storeId,
        terminalId: parent.terminalId,
        createdAt: ctx.now,
        expiresAt: addMinutes(ctx.now, cfg.redemption.holdMinutes),
        closedAt: null,
        purchaseId: null,
        refType: null,
        refId: null,
      });
      ctx.audit(
        { type: 'stored-value-card', id: parent.cardNumber, customerId: parent.customerId },
        { paymentId: payment.id, amount: input.amount, allowanceId: parent.id, allowanceLeft: rest },
      );
      return payment;
    },
  });

  return { grant, draw };
}
