import { afterAll, describe, expect, it } from 'vitest';
import { expectLedgerConsistent } from './invariants.js';
import { DESK, STORE_KINDS, SYSTEM, freshKey, loyaltySnapshot, member, openLoyaltyChain } from './support.js';

describe.each(STORE_KINDS)('earning outside purchases on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it('earns on registration by itself, and for reviews up to the limit per month', async () => {
    const chain = await openLoyaltyChain(await kind.open());
    const id = await member(chain);
    expect((await chain.loyalty.balance(id, SYSTEM)).available).toBe(20);
    const review = () =>
      chain.loyalty.recordActivity(
        { customerId: id, activity: 'review', ref: { type: 'review', id: freshKey('rv') } },
        { ...DESK, idempotencyKey: freshKey('activity') },
      );
    await review();
    await review();
    const before = await loyaltySnapshot(chain);
    const third = await review().catch((e: unknown) => e);
    expect(third).toMatchObject({ code: 'INVALID_STATE', path: ['activity'] });
    expect((third as Error).message).toBe(`review already earned 2 times this month for ${id}`);
    expect(await loyaltySnapshot(chain)).toEqual(before);
    chain.clock.set('2026-12-01T02:00:00Z');
    await review();
    expect((await chain.loyalty.balance(id, SYSTEM)).available).toBe(50);
    await expectLedgerConsistent(chain.store);
  });

  it('rewards both sides of a referral, the new member once', async () => {
    const chain = await openLoyaltyChain(await kind.open());
    const referrer = await member(chain, '老会员');
    const newcomer = await member(chain, '新会员');
    const result = await chain.loyalty.recordActivity(
      { customerId: newcomer, activity: 'referral', payload: { referrerId: referrer } },
      { ...DESK, idempotencyKey: freshKey('activity') },
    );
    expect(result).toMatchObject({ points: 100, referrer: { customerId: referrer, points: 300 } });
    expect((await chain.loyalty.balance(referrer, SYSTEM)).available).toBe(320);
    expect((await chain.loyalty.balance(newcomer, SYSTEM)).available).toBe(120);
    const again = await chain.loyalty
      .recordActivity(
        { customerId: newcomer, activity: 'referral', payload: { referrerId: referrer } },
        { ...DESK, idempotencyKey: freshKey('activity') },
      )
      .catch((e: unknown) => e);
    expect(again).toMatchObject({ code: 'INVALID_STATE' });
    const self = await chain.loyalty
      .recordActivity(
        { customerId: referrer, activity: 'referral', payload: { referrerId: referrer } },
        { ...DESK, idempotencyKey: freshKey('activity') },
      )
      .catch((e: unknown) => e);
    expect(self).toMatchObject({ code: 'VALIDATION_FAILED', path: ['payload', 'referrerId'] });
  });

  it(
    'checks a retailer-defined event’s payload against its declared schema, and birthdays against the birth ' + 'month',
    async () => {
      const chain = await openLoyaltyChain(await kind.open());
      const id = await member(chain, '王芳', { birthDate: '1990-11-20' });
      const other = await member(chain, '李雷', { birthDate: '1990-05-04' });
      const bad = await chain.loyalty
        .recordActivity(
          { customerId: id, activity: 'app-check-in', payload: { streak: 0, colour: 'red' } },
          { ...DESK, idempotencyKey: freshKey('activity') },
        )
        .catch((e: unknown) => e);
      expect(bad).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect((bad as { issues: Array<{ path: unknown[] }> }).issues.map((i) => i.path.join('.'))).toEqual([
        'payload.streak',
        'payload',
      ]);
      expect(
        (
          await chain.loyalty.recordActivity(
            { customerId: id, activity: 'app-check-in', payload: { streak: 3 } },
            { ...DESK, idempotencyKey: freshKey('activity') },
          )
        ).points,
      ).toBe(5);
      expect(
        (
          await chain.loyalty.recordActivity(
            { customerId: id, activity: 'birthday' },
            { ...DESK, idempotencyKey: freshKey('activity') },
          )
        ).points,
      ).toBe(200);
      const notYet = await chain.loyalty
        .recordActivity({ customerId: other, activity: 'birthday' }, { ...DESK, idempotencyKey: freshKey('activity') })
        .catch((e: unknown) => e);
      expect(notYet).toMatchObject({ code: 'INVALID_STATE', path: ['activity'] });
      const unknown = await chain.loyalty
        .recordActivity({ customerId: id, activity: 'moon-landing' }, { ...DESK, idempotencyKey: freshKey('activity') })
        .catch((e: unknown) => e);
      expect(unknown).toMatchObject({ code: 'VALIDATION_FAILED', path: ['activity'] });
      expect((await chain.loyalty.balance(id, SYSTEM)).available).toBe(225);
    },
  );
});
