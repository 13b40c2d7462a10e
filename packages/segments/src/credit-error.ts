/** The typed refusal of a sale on account that would pass an organisation's credit limit. */
import { ClienteleError } from '@clientele/core/module';
import type { CreditCheck } from './credit-rules.js';

/**
 * A sale on account refused by the credit check: code `INSUFFICIENT_BALANCE` (not enough credit left);
 * `details` carry the customer, the check's figures and `reason: 'credit_limit'` or `'on_hold'`.
 * Thrown inside the sale's transaction, it rolls the sale back.
 */
export class CreditLimitError extends ClienteleError {
  constructor(customerId: string, check: CreditCheck, onHold: boolean) {
    super(
      'INSUFFICIENT_BALANCE',
      onHold
        ? `credit of ${customerId} is on hold`
        : `sale on account of ${check.after - check.outstanding} would take ${customerId} to ${check.after}, ` +
            `past its credit limit of ${check.limit}`,
      { customerId, reason: onHold ? 'on_hold' : 'credit_limit', path: ['payments'], ...check },
    );
    this.name = 'CreditLimitError';
  }
}

/**
 * A sale on account refused because the customer has no credit account while `credit.requireAccount`
 * is set: code `INSUFFICIENT_BALANCE` (no credit to draw on), `details.reason: 'no_credit_account'`,
 * with the customer and the amount asked on account. Thrown inside the sale's transaction, it rolls the
 * sale back.
 */
export class NoCreditAccountError extends ClienteleError {
  constructor(customerId: string, amount: number) {
    super(
      'INSUFFICIENT_BALANCE',
      `customer ${customerId} has no credit account: a sale on account of ${amount} needs one`,
      { customerId, reason: 'no_credit_account', amount, path: ['payments'] },
    );
    this.name = 'NoCreditAccountError';
  }
}
