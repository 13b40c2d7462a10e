/** Loyalty's typed errors (codes from core's stable list). */
import { ClienteleError } from '@clientele/core';

/** Points asked for are more than the member can spend now (`INSUFFICIENT_BALANCE`). */
export class InsufficientBalanceError extends ClienteleError {
  constructor(customerId: string, requested: number, available: number, details: Record<string, unknown> = {}) {
    super('INSUFFICIENT_BALANCE', `customer ${customerId} can spend ${available} points, not ${requested}`, { customerId, requested, available, ...details });
    this.name = 'InsufficientBalanceError';
  }
}
