/**
 * Retries over HTTP: the `Idempotency-Key` header is the command's idempotency key. The same key with
 * the same body gives the first result again and records nothing twice; with another body it is a
 * 422; while the first request with the key is still running, a second is a 409.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Store } from '@clientele/core';
import { purchasesCollection } from '@clientele/core/module';
import { BASKET } from '../../../tests/support/chain.js';
import { STORE_KINDS } from '../../../tests/support/stores.js';
import { clienteleApi } from '../src/index.js';
import { SYSTEM, call, openKeyedChain } from './support.js';

const KINDS = STORE_KINDS.filter((k) => k.name !== 'memory');
afterAll(async () => {
  for (const k of KINDS) await k.cleanup();
});

/** A store whose next transaction waits until `open()` is called, to hold a request in flight. */
function gatedStore(store: Store) {
  let gate: Promise<void> | null = null;
  let release = () => {};
  let entered = () => {};
  const gated = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'transaction')
        return async (fn: never) => {
          if (gate) {
            const wait = gate;
            gate = null;
            entered();
            await wait;
          }
          return target.transaction(fn);
        };
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    store: gated,
    /** Holds the next transaction; resolves `entered` once one waits. */
    hold(): Promise<void> {
      gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      return new Promise<void>((resolve) => {
        entered = resolve;
      });
    },
    open: () => release(),
  };
}

const sale = (receiptNo: string) => ({ storeId: 'S01', terminalId: 'T1', receiptNo, lines: BASKET });

describe.each(KINDS)('Idempotency-Key on $name', (kind) => {
  it('returns the first result to a retry and records the sale once; another body is a 422', async () => {
    const chain = await openKeyedChain(await kind.open());
    const { token } = await chain.keys.create({ name: 'Till 1', actor: { staffId: 'E-CLERK' } }, SYSTEM);
    const app = clienteleApi(chain.crm);
    const first = await call(app, 'POST', '/purchases/record', {
      key: token,
      idempotencyKey: 'till1-sale-0001',
      json: sale('R1'),
    });
    expect(first.status).toBe(200);
    chain.clock.advance(60_000);
    const retry = await call(app, 'POST', '/purchases/record', {
      key: token,
      idempotencyKey: 'till1-sale-0001',
      json: sale('R1'),
    });
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect(await chain.crm.store.count(purchasesCollection)).toBe(1);

    const other = await call(app, 'POST', '/purchases/record', {
      key: token,
      idempotencyKey: 'till1-sale-0001',
      json: sale('R2'),
    });
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ code: 'IDEMPOTENCY_MISMATCH', command: 'purchases.record' });
    expect(await chain.crm.store.count(purchasesCollection)).toBe(1);
    await chain.crm.close();
  });

  it('needs the header where the command needs a key, and checks it', async () => {
    const chain = await openKeyedChain(await kind.open());
    const { token } = await chain.keys.create({ name: 'Till 1', actor: { staffId: 'E-CLERK' } }, SYSTEM);
    const app = clienteleApi(chain.crm);
    const missing = await call(app, 'POST', '/purchases/record', { key: token, json: sale('R1') });
    expect(missing.status).toBe(400);
    expect(missing.body.issues).toEqual([
      expect.objectContaining({ path: ['headers', 'Idempotency-Key'], code: 'required' }),
    ]);
    const short = await call(app, 'POST', '/purchases/record', { key: token, idempotencyKey: 'abc', json: sale('R1') });
    expect(short.status).toBe(400);
    expect(short.body.issues[0].path).toEqual(['headers', 'Idempotency-Key']);
    expect(await chain.crm.store.count(purchasesCollection)).toBe(0);
    await chain.crm.close();
  });

  it('refuses the same key while its first request still runs (409), then answers with the first result', async () => {
    const gated = gatedStore(await kind.open());
    const chain = await openKeyedChain(gated.store);
    const { token } = await chain.keys.create({ name: 'Till 1', actor: { staffId: 'E-CLERK' } }, SYSTEM);
    const app = clienteleApi(chain.crm);
    const send = () =>
      call(app, 'POST', '/purchases/record', { key: token, idempotencyKey: 'till1-sale-0002', json: sale('R2') });
    const waiting = gated.hold();
    const first = send();
    await waiting;
    const second = await send();
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ code: 'CONFLICT', reason: 'in_flight' });
    gated.open();
    expect((await first).status).toBe(200);
    const third = await send();
    expect(third.body).toEqual((await first).body);
    expect(await chain.crm.store.count(purchasesCollection)).toBe(1);
    await chain.crm.close();
  });
});
