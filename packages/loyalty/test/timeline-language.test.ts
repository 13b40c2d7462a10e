import { afterAll, describe, expect, it } from 'vitest';
import { isClienteleError } from '@clientele/core';
import { timelineCollection } from '@clientele/core/module';
import { moneyFormatter } from '../src/money-format.js';
import { CLERK, DESK, PROGRAM, STORE_KINDS, SYSTEM, freshKey, member, openLoyaltyChain } from './support.js';

describe('money in quotes’ explanations', () => {
  it('writes the currency symbol as the locale does, zh-CN unless told', () => {
    expect(moneyFormatter('CNY')(8650)).toBe('¥86.50');
    expect(moneyFormatter('CNY', 'en')(8650)).toBe('CN¥86.50');
    expect(moneyFormatter('USD', 'en')(-105)).toBe('-$1.05');
    expect(moneyFormatter('JPY', 'zh-CN')(1200)).toBe('JP¥1200');
  });

  it('follows the program’s locale in a quote’s explanation', async () => {
    const { crm } = await openLoyaltyChain((await STORE_KINDS[0]!.open()) as never, { ...PROGRAM, locale: 'en' });
    const quote = crm.loyalty.quote(
      { lines: [{ sku: 'A', category: 'fresh-fruit', quantity: 1, unitPrice: 2500 }] },
      { storeId: 'S01', timeZone: 'Asia/Shanghai', at: new Date('2026-11-02T02:00:00Z') },
    );
    expect(JSON.stringify(quote)).toContain('CN¥');
    expect(JSON.stringify(quote)).not.toMatch(/[^N]¥/);
  });
});

describe.each(STORE_KINDS)('timeline lines in the reader’s language on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it('writes each line from its facts in English or Chinese, and reads older stored lines as they are', async () => {
    const chain = await openLoyaltyChain(await kind.open());
    const { crm } = chain;
    const id = await member(chain);
    await crm.purchases.record(
      {
        storeId: 'S01',
        terminalId: 'T1',
        receiptNo: 'S01-T1-0042',
        customerId: id,
        lines: [
          { sku: 'APPLE', category: 'fresh-fruit', quantity: 2, unitPrice: 4325 },
          { sku: 'SOAP', category: 'household', quantity: 1, unitPrice: 2300 },
        ],
      },
      { ...CLERK, idempotencyKey: freshKey('sale') },
    );
    await crm.loyalty.adjust(
      { customerId: id, points: -12, reason: 'typo at the till' },
      { ...DESK, idempotencyKey: freshKey('adjust') },
    );
    await chain.store.insert(timelineCollection, {
      id: 'tl_old',
      customerId: id,
      at: new Date('2026-01-01T00:00:00Z'),
      source: 'purchases',
      kind: 'purchase',
      summary: 'Bought 1 line for ¥5.00 at S01 (receipt OLD-1)',
      storeId: 'S01',
      refType: null,
      refId: null,
      data: null,
    });

    const en = (await crm.timeline(id, { locale: 'en' }, SYSTEM)).items.map((e) => e.summary);
    const zh = (await crm.timeline(id, { locale: 'zh-CN' }, SYSTEM)).items.map((e) => e.summary);
    const plain = (await crm.timeline(id, SYSTEM)).items.map((e) => e.summary);
    expect(en).toEqual([
      'Points adjusted by -12',
      'Earned 92 points on receipt S01-T1-0042',
      'Bought 2 lines for CN¥109.50 at S01 (receipt S01-T1-0042)',
      'Earned 20 points: welcome',
      'Registered (individual)',
      'Bought 1 line for ¥5.00 at S01 (receipt OLD-1)',
    ]);
    expect(zh).toEqual([
      '积分调整 -12',
      '小票 S01-T1-0042 获得 92 积分',
      '在 S01 购买 2 种商品，共 ¥109.50（小票 S01-T1-0042）',
      '获得 20 积分：welcome',
      '已注册（个人）',
      'Bought 1 line for ¥5.00 at S01 (receipt OLD-1)',
    ]);
    expect(plain).toEqual(en);
  });

  it('refuses a language it does not write', async () => {
    const chain = await openLoyaltyChain(await kind.open());
    const id = await member(chain);
    const error = await chain.crm.timeline(id, { locale: 'fr' as never }, SYSTEM).catch((e: unknown) => e);
    expect(isClienteleError(error, 'VALIDATION_FAILED')).toBe(true);
    expect((error as { issues: Array<{ path: unknown[] }> }).issues[0]!.path).toEqual(['locale']);
  });
});
