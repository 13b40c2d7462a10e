/**
 * Racing terminals, for real: eight sales at once redeem one voucher (exactly one succeeds) and
 * spend one card whose balance covers only some of them (never more than the balance, never below
 * zero). On every store kind (PostgreSQL: eight connections of one pool), then on one SQLite file
 * through two stores (two connections) in this process and through separate till processes.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createClientele, isClienteleError } from '@clientele/core';
import { sqliteStore } from '@clientele/sqlite';
import { loyalty, refusalReason, storedValueCardsCollection, vouchersCollection } from '../src/index.js';
import { SERVICE, expectMoneyConsistent, openMoneyChain } from './money-support.js';
import { CLERK, PROGRAM, STORE_KINDS, freshKey, type LoyaltyChain } from './support.js';

const TERMINALS = 8;
const SPEND = 3000;
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const TILL = fileURLToPath(new URL('./fixtures/money-till.ts', import.meta.url));

/** A bearer campaign voucher (10 % off, at most 15 yuan) and a gift card holding 100 yuan: three and a third spends. */
async function stake(chain: LoyaltyChain): Promise<{ code: string; card: string }> {
  const voucher = await chain.crm.loyalty.vouchers.issue(
    { templateId: 'TEN-PCT', source: 'campaign', ref: { type: 'campaign', id: 'race' } },
    { ...SERVICE, idempotencyKey: freshKey('issue') },
  );
  const card = await chain.crm.loyalty.storedValue.sell(
    { productId: 'GIFT', storeId: 'S01', amount: 10000 },
    { ...CLERK, idempotencyKey: freshKey('sell') },
  );
  return { code: voucher.code, card: card.number };
}

type Crm = LoyaltyChain['crm'];

function race(tills: readonly Crm[], stakes: { code: string; card: string }) {
  const outcome = (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (e: unknown) => (isClienteleError(e) ? (refusalReason(e) ?? e.code) : `crash: ${String(e)}`),
    );
  return Promise.all(
    Array.from({ length: TERMINALS }, async (_, t) => {
      const crm = tills[t % tills.length]!;
      const sale = (kind: string, payments: object[], total: number) =>
        crm.purchases.record(
          {
            storeId: 'S01',
            terminalId: `T${t}`,
            receiptNo: `${kind}-${t}`,
            lines: [{ sku: 'RICE', category: 'grain', quantity: 1, unitPrice: total }],
            payments,
          } as never,
          { ...CLERK, idempotencyKey: freshKey(`${kind}-${t}`) },
        );
      const [voucher, card] = await Promise.all([
        outcome(
          sale(
            'V',
            [
              { method: 'voucher', amount: 1000, reference: stakes.code },
              { method: 'cash', amount: 9000 },
            ],
            10000,
          ),
        ),
        outcome(
          sale(
            'C',
            [
              { method: 'stored-value', amount: SPEND, reference: stakes.card },
              { method: 'cash', amount: 100 },
            ],
            SPEND + 100,
          ),
        ),
      ]);
      return { voucher, card };
    }),
  );
}

async function expectOneVoucherAndNoOverspend(
  chain: LoyaltyChain,
  stakes: { code: string; card: string },
  voucher: string[],
  card: string[],
): Promise<void> {
  expect(voucher.filter((r) => r === 'ok')).toHaveLength(1);
  expect(voucher.filter((r) => r !== 'ok').every((r) => r === 'redeemed')).toBe(true);
  expect(card.filter((r) => r === 'ok')).toHaveLength(3);
  expect(card.filter((r) => r !== 'ok').every((r) => r === 'insufficient_balance')).toBe(true);
  const v = (await chain.store.getBy(vouchersCollection, 'loyalty_vouchers_code', { code: stakes.code }))!;
  expect(v).toMatchObject({ status: 'redeemed', lastSeq: 2 });
  expect((await chain.store.get(storedValueCardsCollection, stakes.card))!).toMatchObject({
    balance: 1000,
    available: 1000,
    lastSeq: 4,
  });
  await expectMoneyConsistent(chain.store);
}

describe.each(STORE_KINDS)('eight terminals at once on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it('redeem one voucher exactly once and never overspend one card', async () => {
    const chain = await openMoneyChain(await kind.open());
    const stakes = await stake(chain);
    const results = await race([chain.crm], stakes);
    await expectOneVoucherAndNoOverspend(
      chain,
      stakes,
      results.map((r) => r.voucher),
      results.map((r) => r.card),
    );
  });
});

describe('eight terminals on one SQLite file', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const fileChain = async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clientele-race-'));
    dirs.push(dir);
    const file = join(dir, 'crm.db');
    const chain = await openMoneyChain(sqliteStore({ file }));
    return { file, chain, stakes: await stake(chain) };
  };

  it('through two stores (two connections) in one process', async () => {
    const { file, chain, stakes } = await fileChain();
    const second = createClientele({
      store: sqliteStore({ file }),
      clock: chain.clock,
      modules: [loyalty(PROGRAM, { pinIterations: 10_000 })] as const,
    });
    try {
      const results = await race([chain.crm, second as unknown as Crm], stakes);
      await expectOneVoucherAndNoOverspend(
        chain,
        stakes,
        results.map((r) => r.voucher),
        results.map((r) => r.card),
      );
    } finally {
      await second.close();
    }
  });

  it('through two till processes of four terminals each', async () => {
    const { file, chain, stakes } = await fileChain();
    const startAt = Date.now() + 2500;
    const run = (terminals: string[]) =>
      new Promise<{ voucher: string[]; card: string[] }>((resolve, reject) => {
        const proc = spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            '--conditions=@clientele/source',
            TILL,
            file,
            chain.clock.now().toISOString(),
            terminals.join(','),
            stakes.code,
            stakes.card,
            String(SPEND),
            String(startAt),
          ],
          { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let out = '';
        let err = '';
        proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
        proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
        proc.on('error', reject);
        proc.on('close', (code) =>
          code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`till process exited with ${code}: ${err}`)),
        );
      });
    const results = await Promise.all([0, 1].map((p) => run([`P${p}A`, `P${p}B`, `P${p}C`, `P${p}D`])));
    await expectOneVoucherAndNoOverspend(
      chain,
      stakes,
      results.flatMap((r) => r.voucher),
      results.flatMap((r) => r.card),
    );
  }, 30_000);
});
