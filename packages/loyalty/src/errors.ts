/** Loyalty's typed errors (codes from core's stable list). */
import { ClienteleError } from '@clientele/core/module';

/** Points asked for are more than the member can spend now (`INSUFFICIENT_BALANCE`). */
export class InsufficientBalanceError extends ClienteleError {
  constructor(customerId: string, requested: number, available: number, details: Record<string, unknown> = {}) {
    super('INSUFFICIENT_BALANCE', `customer ${customerId} can spend ${available} points, not ${requested}`, {
      customerId,
      requested,
      available,
      ...details,
    });
    this.name = 'InsufficientBalanceError';
  }
}

/** A stored-value card cannot cover an amount (`INSUFFICIENT_BALANCE`); `available` is what it can. */
export class InsufficientFundsError extends ClienteleError {
  constructor(cardNumber: string, requested: number, available: number, details: Record<string, unknown> = {}) {
    super('INSUFFICIENT_BALANCE', `card ${cardNumber} can pay ${Math.max(0, available)}, not ${requested}`, {
      cardNumber,
      requested,
      available: Math.max(0, available),
      reason: 'insufficient_balance',
      ...details,
    });
    this.name = 'InsufficientFundsError';
  }
}
