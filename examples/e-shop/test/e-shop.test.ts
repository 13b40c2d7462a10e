/**
 * The e-shop end to end, over HTTP on a fresh PostgreSQL schema: a shopper signs up, buys a gift
 * card, checks out with the welcome voucher and the card, pays a second order partly with points,
 * sends part of the first back; the back office reads the same member through Clientele's API; and
 * when the points near their expiry, the relay worker carries the warning to NATS and the mailer
 * writes the e-mail, once.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createClientele, manualClock } from '@clientele/core';
import { apiKeys, type ApiKeysApi } from '@clientele/http';
import { postgresStore } from '@clientele/postgres';
import { loyalty } from '@clientele/loyalty';
import { natsTestServer } from '../../../tests/support/nats.js';
import { PG_URL, STORE_KINDS, serverSchemas } from '../../../tests/support/stores.js';
import { CATALOGUE } from '../src/catalogue.js';
import { drainMailer, ensureMailerConsumer, mailbox } from '../src/mailer.js';
import { PROGRAM, SHOP, defineShop, type ShopCrm } from '../src/program.js';
import { relayWorker } from '../src/relay-worker.js';
import { shopApp } from '../src/shop.js';

const nats = await natsTestServer();
const server = serverSchemas();
const pgUp = STORE_KINDS.some((k) => k.name === 'postgres');
const mailDir = mkdtempSync(join(tmpdir(), 'clientele-eshop-mail-'));
const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
pool.on('error', () => undefined);
afterAll(async () => {
  await nats?.close();
  await pool.end();
  rmSync(mailDir, { recursive: true, force: true });
});

const price = (sku: string) => CATALOGUE.find((p) => p.sku === sku)!.price;
/** Points an amount earns under the shop's programme: 1 per whole yuan. */
const pointsFor = (fen: number) => Math.floor(fen / 100);

/** A JSON request to the running shop; answers status and body. */
function client(base: string) {
  return async (method: string, path: string, json?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { ...(json === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    });
    return { status: response.status, body: (await response.json()) as any };
  };
}

describe.runIf(pgUp && nats)('the e-shop', () => {
  it('signs up, pays with voucher, gift card and points, takes a part back, and mails the expiry warning', async () => {
    const clock = manualClock('2026-11-02T02:00:00Z');
    const crm = createClientele({
      store: postgresStore({ pool, schema: server.fresh('eshop') }),
      clock,
      modules: [loyalty(PROGRAM), apiKeys()],
    }) as unknown as ShopCrm & { apiKeys: ApiKeysApi };
    await crm.migrate();
    await defineShop(crm);
    await defineShop(crm); // a restart defines nothing twice

    const http = serve({ fetch: shopApp(crm).fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => http.once('listening', resolve));
    const shop = client(`http://127.0.0.1:${(http.address() as AddressInfo).port}`);
    try {
      // Sign-up: a member with a welcome voucher; signing up again answers the same member.
      const signUp = await shop('POST', '/shop/sign-up', { name: '林晓', email: 'lin.xiao@example.com' });
      expect(signUp.status).toBe(200);
      const { memberId, welcomeVoucher } = signUp.body;
      expect((await shop('POST', '/shop/sign-up', { name: '林晓', email: 'lin.xiao@example.com' })).body).toEqual(
        signUp.body,
      );
      const account = () => shop('GET', `/shop/members/${memberId}/account`).then((r) => r.body);
      const fresh = await account();
      expect(fresh.member).toMatchObject({ id: memberId, name: '林晓', email: 'lin.xiao@example.com' });
      expect(fresh.vouchers.map((v: { code: string }) => v.code)).toEqual([welcomeVoucher]);
      expect(fresh.points).toEqual({ spendable: 0, pending: 0, expiring: [] });

      // A gift card of 100 yuan.
      const gift = await shop('POST', `/shop/members/${memberId}/gift-cards`, { orderNo: 'G-0001', amount: 10000 });
      expect(gift.body.balance).toBe(10000);
      expect((await account()).giftCards).toEqual([{ number: gift.body.number, balance: 10000 }]);

      // Order 1: the voucher takes 10 yuan, the gift card pays all it holds, the bank card the rest.
      const order1 = [
        { sku: 'TEA-LONGJING', quantity: 1 },
        { sku: 'CUP-CELADON', quantity: 2 },
      ];
      const total1 = price('TEA-LONGJING') + 2 * price('CUP-CELADON');
      const sale1 = await shop('POST', `/shop/members/${memberId}/checkout`, {
        orderNo: 'W-0001',
        items: order1,
        voucherCode: welcomeVoucher,
        giftCard: gift.body.number,
      });
      expect(sale1.status).toBe(200);
      expect(sale1.body.total).toBe(total1);
      expect(sale1.body.payments.map((p: { method: string; amount: number }) => [p.method, p.amount])).toEqual([
        ['voucher', 1000],
        ['stored-value', 10000],
        ['bank-card', total1 - 1000 - 10000],
      ]);
      const after1 = await account();
      expect(after1.vouchers).toEqual([]);
      expect(after1.giftCards).toEqual([{ number: gift.body.number, balance: 0 }]);
      expect(after1.points.spendable).toBe(pointsFor(total1));
      expect(after1.points.expiring).toEqual([{ points: pointsFor(total1), lastDay: '2027-05-01' }]);

      // Order 2: 100 points pay 1 yuan of it; sent twice, it is one sale.
      const order2 = { orderNo: 'W-0002', items: [{ sku: 'TEA-PUER', quantity: 1 }], points: 100 };
      const sale2 = await shop('POST', `/shop/members/${memberId}/checkout`, order2);
      expect(sale2.body.payments.map((p: { method: string; amount: number }) => [p.method, p.amount])).toEqual([
        ['points', 100],
        ['bank-card', price('TEA-PUER') - 100],
      ]);
      expect((await shop('POST', `/shop/members/${memberId}/checkout`, order2)).body.id).toBe(sale2.body.id);
      const points2 = pointsFor(total1) - 100 + pointsFor(price('TEA-PUER'));
      expect((await account()).points.spendable).toBe(points2);

      // Too many points, or a SKU the shop does not sell: refused with the path, nothing recorded.
      const greedy = await shop('POST', `/shop/members/${memberId}/checkout`, {
        ...order2,
        orderNo: 'W-0003',
        points: 1e6,
      });
      expect([greedy.status, greedy.body.issues[0].path]).toEqual([400, ['points']]);
      const unknown = await shop('POST', `/shop/members/${memberId}/checkout`, {
        orderNo: 'W-0004',
        items: [{ sku: 'TEA-NONE', quantity: 1 }],
      });
      expect([unknown.status, unknown.body.issues[0].path]).toEqual([400, ['items', 0, 'sku']]);
      expect((await account()).points.spendable).toBe(points2);
      // Another member cannot see or take an order number already used.
      const other = await shop('POST', '/shop/sign-up', { name: 'Wang Fang', email: 'wang.fang@example.com' });
      const taken = await shop('POST', `/shop/members/${other.body.memberId}/checkout`, order2);
      expect([taken.status, taken.body.issues[0].path]).toEqual([400, ['orderNo']]);

      // One of the two cups comes back: its price is refunded and the points it earned are taken back.
      const back = await shop('POST', `/shop/members/${memberId}/orders/W-0001/return`, {
        returnNo: 'RET-0001',
        items: [{ sku: 'CUP-CELADON', quantity: 1 }],
        reason: 'chipped',
      });
      expect(back.status).toBe(200);
      expect(back.body.refund).toBe(price('CUP-CELADON'));
      const points3 = points2 - (pointsFor(total1) - pointsFor(total1 - price('CUP-CELADON')));
      const after3 = await account();
      expect(after3.points.spendable).toBe(points3);

      // The back office reads the same member through Clientele's API, with its key.
      const { token } = await crm.apiKeys.create(
        { name: 'Back office', actor: { system: 'back-office' }, permissions: ['loyalty.read'] },
        SHOP,
      );
      const balance = await shop('GET', `/crm/loyalty/balance?customerId=${memberId}`, undefined, {
        authorization: `Bearer ${token}`,
      });
      expect([balance.status, balance.body.spendable]).toEqual([200, points3]);
      expect((await shop('GET', `/crm/loyalty/balance?customerId=${memberId}`)).status).toBe(401);

      // Near the last day, the scheduler warns; the relay carries it to NATS; the mailer writes the e-mail.
      const { name: stream, prefix } = await nats!.freshStream('eshop');
      await ensureMailerConsumer(nats!.jsm, stream, prefix);
      const relay = relayWorker(crm, nats!.js, prefix);
      await relay.runOnce();
      clock.set('2027-04-20T02:00:00Z');
      await crm.runDue();
      const round = await relay.runOnce();
      expect(round.published).toBeGreaterThan(0);
      const warned = (await crm.outbox.list({ limit: 1000 })).filter((e) => (e.type as string) === 'points.expiring');
      expect(warned).toHaveLength(1);

      const send = mailbox(mailDir);
      expect(await drainMailer(crm, nats!.js, stream, send)).toBe(1);
      expect(readdirSync(mailDir)).toEqual([`${warned[0]!.id}.eml`]);
      const mail = readFileSync(join(mailDir, `${warned[0]!.id}.eml`), 'utf8');
      expect(mail).toContain('To: lin.xiao@example.com');
      expect(mail).toContain(`Subject: ${after3.points.expiring[0].points} points expire after 2027-05-01`);
      // Nothing is mailed twice: the relay has nothing new, the mailer nothing waiting.
      expect((await relay.runOnce()).published).toBe(0);
      expect(await drainMailer(crm, nats!.js, stream, send)).toBe(0);
    } finally {
      http.close();
    }
  }, 60_000);
});
