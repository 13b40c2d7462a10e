import { afterAll, describe, expect, it } from 'vitest';
import { auditLog, scan } from '@clientele/core/module';
import { expectLedgerConsistent } from './invariants.js';
import {
  CLERK,
  DESK,
  MANAGER,
  STORE_KINDS,
  SYSTEM,
  freshKey,
  loyaltySnapshot,
  member,
  openLoyaltyChain,
} from './support.js';

describe.each(STORE_KINDS)('points granted and taken by staff on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it('grants goodwill within authority, audited and linked to its case; above it only with an approver', async () => {
    const chain = await openLoyaltyChain(await kind.open());
    const id = await member(chain);
    const key = freshKey('goodwill');
    const input = { customerId: id, points: 3000, reason: 'sour milk sold', ref: { type: 'case', id: 'case_001' } };
    const granted = await chain.loyalty.grantGoodwill(input, { ...DESK, idempotencyKey: key });
    expect(granted).toEqual({ entryId: expect.any(String), points: 3000, balance: 3020 });
    expect(await chain.loyalty.grantGoodwill(input, { ...DESK, idempotencyKey: key })).toEqual(granted);
    const before = await loyaltySnapshot(chain);
    // 6000 points are worth 60 yuan, above the desk's 50-yuan goodwill limit.
    const tooMuch = await chain.loyalty
      .grantGoodwill({ ...input, points: 6000 }, { ...DESK, idempotencyKey: freshKey('goodwill') })
      .catch((e: unknown) => e);
    expect(tooMuch).toMatchObject({
      code: 'AUTHORITY_EXCEEDED',
      details: { action: 'goodwill-points', amount: 6000, limit: 5000 },
    });
    const clerk = await chain.loyalty
      .grantGoodwill({ ...input, points: 1 }, { ...CLERK, idempotencyKey: freshKey('goodwill') })
      .catch((e: unknown) => e);
    expect(clerk).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(await loyaltySnapshot(chain)).toEqual(before);
    const approved = await chain.loyalty.grantGoodwill(
      { ...input, points: 6000, approvedBy: 'E-MANAGER' },
      { ...DESK, idempotencyKey: freshKey('goodwill') },
    );
    expect(approved.balance).toBe(9020);
    const audit: Array<{ command: string; outcome: string; details: unknown }> = [];
    for await (const row of scan(chain.store, auditLog)) if (row.command === 'loyalty.grant-goodwill') audit.push(row);
    expect(audit.map((a) => a.outcome).sort()).toEqual(['ok', 'ok', 'refused', 'refused']);
    const entries = (await chain.loyalty.statement(id, SYSTEM)).lines.filter((l) => l.kind === 'goodwill');
    expect(entries.map((e) => [e.points, e.ref, e.reason])).toEqual([
      [3000, { type: 'case', id: 'case_001' }, 'sour milk sold'],
      [6000, { type: 'case', id: 'case_001' }, 'sour milk sold'],
    ]);
  });

  it('adjusts by hand with a reason and authority, never below what can be spent', async () => {
    const chain = await openLoyaltyChain(await kind.open());
    const id = await member(chain);
    expect(
      (
        await chain.loyalty.adjust(
          { customerId: id, points: 1500, reason: 'card swipe failed on 1 Nov' },
          { ...DESK, idempotencyKey: freshKey('adj') },
        )
      ).balance,
    ).toBe(1520);
    const noReason = await chain.loyalty
      .adjust({ customerId: id, points: 5, reason: '  ' }, { ...DESK, idempotencyKey: freshKey('adj') })
      .catch((e: unknown) => e);
    expect(noReason).toMatchObject({ code: 'VALIDATION_FAILED', path: ['reason'] });
    const over = await chain.loyalty
      .adjust({ customerId: id, points: -3000, reason: 'fraud' }, { ...MANAGER, idempotencyKey: freshKey('adj') })
      .catch((e: unknown) => e);
    expect(over).toMatchObject({ code: 'INSUFFICIENT_BALANCE' });
    expect(
      (
        await chain.loyalty.adjust(
          { customerId: id, points: -520, reason: 'duplicate credit' },
          { ...DESK, idempotencyKey: freshKey('adj') },
        )
      ).balance,
    ).toBe(1000);
    const limit = await chain.loyalty
      .adjust({ customerId: id, points: 2500, reason: 'x' }, { ...DESK, idempotencyKey: freshKey('adj') })
      .catch((e: unknown) => e);
    expect(limit).toMatchObject({ code: 'AUTHORITY_EXCEEDED' });
    await expectLedgerConsistent(chain.store);
  });

  it('refuses bad input with a typed error and changes nothing', async () => {
    const chain = await openLoyaltyChain(await kind.open());
    const id = await member(chain);
    const before = await loyaltySnapshot(chain);
    const attempts: Array<[() => Promise<unknown>, string, Array<string | number>]> = [
      [
        () =>
          chain.loyalty.grantGoodwill(
            { customerId: 'cus_nobody', points: 10, reason: 'x' },
            { ...DESK, idempotencyKey: freshKey('g') },
          ),
        'NOT_FOUND',
        ['customerId'],
      ],
      [
        () =>
          chain.loyalty.grantGoodwill(
            { customerId: id, points: -10, reason: 'x' },
            { ...DESK, idempotencyKey: freshKey('g') },
          ),
        'VALIDATION_FAILED',
        ['points'],
      ],
      [
        () => chain.loyalty.grantGoodwill({ customerId: id, points: 10, reason: 'x' }, { ...DESK }),
        'VALIDATION_FAILED',
        ['options', 'idempotencyKey'],
      ],
      [
        () =>
          chain.loyalty.redeem(
            { customerId: id, points: 1.5, ref: { type: 'order', id: '1' } },
            { ...DESK, idempotencyKey: freshKey('r') },
          ),
        'VALIDATION_FAILED',
        ['points'],
      ],
      [
        () =>
          chain.loyalty.reserve(
            { customerId: id, points: 10, storeId: 'S99', terminalId: 'T1' },
            { ...CLERK, idempotencyKey: freshKey('h') },
          ),
        'NOT_FOUND',
        ['storeId'],
      ],
      [
        () =>
          chain.loyalty.reserve(
            { customerId: id, points: 10, storeId: 'S01', terminalId: 'T1', minutes: 600 },
            { ...CLERK, idempotencyKey: freshKey('h') },
          ),
        'VALIDATION_FAILED',
        ['minutes'],
      ],
      [() => chain.loyalty.balance('bad id!', SYSTEM), 'VALIDATION_FAILED', ['customerId']],
      [() => chain.loyalty.statement(id, { limit: 0 }, SYSTEM), 'VALIDATION_FAILED', ['limit']],
      [() => chain.loyalty.liability({ at: 'yesterday' }), 'VALIDATION_FAILED', ['at']],
      [
        () => chain.loyalty.quoteFor({ customerId: id, storeId: 'S01' }, { lines: [] }, SYSTEM),
        'VALIDATION_FAILED',
        ['basket', 'lines'],
      ],
    ];
    for (const [call, code, path] of attempts)
      expect(await call().catch((e: unknown) => e)).toMatchObject({ code, path });
    expect(await loyaltySnapshot(chain)).toEqual(before);
  });
});
