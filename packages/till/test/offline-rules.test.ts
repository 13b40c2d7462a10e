import { ClienteleError, ConflictError, InvalidStateError, StoreUnavailableError, memoryStore } from '@clientele/core';
import { describe, expect, it } from 'vitest';
import { checkAllowance, createTill, isTransient, refusalOf, type TillCentral } from '../src/index.js';

const NOW = new Date('2026-11-02T02:00:00Z');
const allowance = { id: 'lpa_1', customerId: 'cus_1', points: 50, expiresAt: '2026-11-02T04:00:00Z' };

describe('what the till decides without I/O', () => {
  it('sends again what central did not answer, and files what it refused', () => {
    expect(isTransient(new StoreUnavailableError('down'))).toBe(true);
    expect(isTransient(new ClienteleError('CONFLICT', 'still running', { reason: 'in_flight' }))).toBe(true);
    expect(isTransient(new TypeError('fetch failed'))).toBe(true);
    expect(isTransient(new ConflictError('unique', 'receipt taken'))).toBe(false);
    expect(isTransient(new InvalidStateError('card is blocked', { status: 'blocked' }))).toBe(false);
    expect(refusalOf(new InvalidStateError('card is blocked', { status: 'blocked' }))).toEqual({
      code: 'INVALID_STATE',
      reason: 'blocked',
      message: 'card is blocked',
    });
    const invalid = new ClienteleError('VALIDATION_FAILED', 'x', { issues: [{ code: 'exceeds_allowance' }] });
    expect(refusalOf(invalid)).toMatchObject({ reason: 'exceeds_allowance' });
  });

  it('lets an allowance pay only what is left of it, and only in time', () => {
    expect(checkAllowance(allowance, 50, NOW)).toBe(allowance);
    expect(() => checkAllowance(allowance, 51, NOW)).toThrow(
      expect.objectContaining({ code: 'INSUFFICIENT_BALANCE', details: expect.objectContaining({ allowed: 50 }) }),
    );
    expect(() => checkAllowance(allowance, 1, new Date('2026-11-02T04:00:00Z'))).toThrow(
      expect.objectContaining({ details: expect.objectContaining({ reason: 'no_offline_allowance' }) }),
    );
    expect(() => checkAllowance(null, 1, NOW)).toThrow(expect.objectContaining({ code: 'INSUFFICIENT_BALANCE' }));
  });
});

describe('the till at its boundary', () => {
  const down = new Proxy({} as TillCentral, {
    get: () => async () => {
      throw new StoreUnavailableError('down');
    },
  });

  it('refuses bad settings with the failing path', async () => {
    const local = memoryStore();
    await expect(createTill({ terminalId: 'T 1', storeId: 'S01', local, central: down })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      path: ['terminalId'],
    });
    await expect(
      createTill({ terminalId: 'T1', storeId: 'S01', local, central: down, allowance: { points: -1 } }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED', path: ['allowance', 'points'] });
  });

  it('refuses a bad sale before writing anything, and sells offline without a member', async () => {
    const till = await createTill({ terminalId: 'T1', storeId: 'S01', local: memoryStore(), central: down });
    const bad = [
      { lines: [] },
      { lines: [{ sku: 'MILK', category: 'dairy', quantity: -1, unitPrice: 100 }] },
      { lines: [{ sku: 'MILK', category: 'dairy', quantity: 1, unitPrice: 100 }], points: 5 },
      { lines: [{ sku: 'MILK', category: 'dairy', quantity: 1, unitPrice: 100 }], cardNumber: '12' },
    ];
    for (const sale of bad)
      await expect(till.ringUp(sale as never)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await till.queued()).toBe(0);
    const receipt = await till.ringUp({ lines: [{ sku: 'MILK', category: 'dairy', quantity: 1, unitPrice: 100 }] });
    expect(receipt).toMatchObject({ status: 'pending-sync', receiptNo: 'T1-1', points: null, seq: 1 });
    expect(await till.queued()).toBe(1);
  });
});
