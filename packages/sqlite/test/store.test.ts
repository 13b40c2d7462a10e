import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  InvalidStateError,
  NotFoundError,
  StoreUnavailableError,
  ValidationError,
  isClienteleError,
} from '@clientele/core';
import { compareStrings } from '@clientele/core/module';
import { sqliteProbe, sqliteStore } from '@clientele/sqlite';
import { openStore, tempFile, track } from './helpers.js';
import { customer, customers, migrations, vouchers } from './fixtures/schema.js';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe.each(['file', 'memory'] as const)('sqliteStore (%s)', (kind) => {
  it('inserts, reads, updates and deletes rows with their exact values', async () => {
    const store = await openStore(kind);
    const inserted = await store.insert(
      customers,
      customer('c1', { email: 'a@x', vip: true, profile: { tier: 'gold' } }),
    );
    expect(inserted.version).toBe(1);
    expect(await store.get(customers, 'c1')).toEqual(inserted);
    expect(await store.getBy(customers, 'by_email', { email: 'a@x' })).toEqual(inserted);
    expect(await store.getBy(customers, 'by_email', { email: 'b@x' })).toBeUndefined();

    const updated = await store.update(customers, 'c1', { points: 40, vip: false });
    expect(updated).toEqual({ ...inserted, points: 40, vip: false, version: 2 });
    expect(await store.get(customers, 'c1')).toEqual(updated);

    expect(await store.delete(customers, 'c1')).toBe(true);
    expect(await store.delete(customers, 'c1')).toBe(false);
    expect(await store.get(customers, 'c1')).toBeUndefined();
    expect(await rejection(store.update(customers, 'c1', { points: 1 }))).toBeInstanceOf(NotFoundError);
  });

  it('reports a unique or primary-key clash as a typed conflict, never a driver error', async () => {
    const store = await openStore(kind);
    await store.insert(customers, customer('c1', { email: 'same@x' }));
    const unique = await rejection(store.insert(customers, customer('c2', { email: 'same@x' })));
    expect(unique).toBeInstanceOf(ConflictError);
    expect(unique).toMatchObject({
      code: 'CONFLICT',
      reason: 'unique',
      details: { collection: 'customers', index: 'by_email' },
    });
    const pk = await rejection(store.insert(customers, customer('c1', { email: 'other@x' })));
    expect(pk).toMatchObject({ reason: 'primary_key', details: { collection: 'customers', key: 'c1' } });
    const moved = await rejection(
      store.insert(customers, customer('c3')).then(() => store.update(customers, 'c3', { email: 'same@x' })),
    );
    expect(moved).toMatchObject({ reason: 'unique', details: { index: 'by_email' } });
    // Rows with a null in a unique index never clash.
    await store.insert(customers, customer('c4'));
    expect(await store.count(customers, { email: null })).toBe(2);
  });

  it('rejects a stale version and leaves the row as it was', async () => {
    const store = await openStore(kind);
    await store.insert(customers, customer('c1'));
    await store.update(customers, 'c1', { points: 5 }, { expectVersion: 1 });
    const stale = await rejection(store.update(customers, 'c1', { points: 9 }, { expectVersion: 1 }));
    expect(stale).toMatchObject({ reason: 'version', details: { expected: 1, actual: 2 } });
    expect(await rejection(store.delete(customers, 'c1', { expectVersion: 1 }))).toBeInstanceOf(ConflictError);
    expect(await store.get(customers, 'c1')).toMatchObject({ points: 5, version: 2 });
    expect(await store.delete(customers, 'c1', { expectVersion: 2 })).toBe(true);
  });

  it('lets exactly one of concurrent writers on one version win', async () => {
    const store = await openStore(kind);
    await store.insert(customers, customer('c1'));
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => store.update(customers, 'c1', { points: i + 1 }, { expectVersion: 1 })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && isClienteleError(r.reason, 'CONFLICT'))).toHaveLength(5);
  });

  it('never overspends a guarded balance under many concurrent decrements', async () => {
    const store = await openStore(kind);
    await store.insert(customers, customer('c1', { points: 100 }));
    const calls = Array.from({ length: 40 }, (_, i) =>
      i % 2 === 0
        ? store.increment(customers, 'c1', 'points', -7, { min: 0 })
        : store.transaction((tx) => tx.increment(customers, 'c1', 'points', -7, { min: 0 })),
    );
    const results = await Promise.all(calls);
    const applied = results.filter((r) => r.applied).length;
    expect(applied).toBe(14); // 14 × 7 = 98 ≤ 100 < 15 × 7
    const final = await store.get(customers, 'c1');
    expect(final).toMatchObject({ points: 2, version: 15 });
    for (const r of results) expect(r.row.points).toBeGreaterThanOrEqual(0);
    const refused = results.find((r) => !r.applied)!;
    expect(refused.row.points).toBeLessThan(7);
  });

  it('enforces an upper guard and the safe-integer range', async () => {
    const store = await openStore(kind);
    await store.insert(customers, customer('c1', { points: Number.MAX_SAFE_INTEGER - 1 }));
    expect(await store.increment(customers, 'c1', 'points', 1)).toMatchObject({
      applied: true,
      row: { points: Number.MAX_SAFE_INTEGER },
    });
    expect(await store.increment(customers, 'c1', 'points', 1)).toMatchObject({
      applied: false,
      row: { points: Number.MAX_SAFE_INTEGER },
    });
    expect(await store.increment(customers, 'c1', 'points', -10, { max: 5 })).toMatchObject({ applied: false });
    expect(await store.get(customers, 'c1')).toMatchObject({ points: Number.MAX_SAFE_INTEGER, version: 2 });
    expect(await rejection(store.increment(customers, 'nope', 'points', 1))).toBeInstanceOf(NotFoundError);
    expect(await rejection(store.increment(customers, 'c1', 'name', 1))).toBeInstanceOf(InvalidStateError);
  });

  it('round-trips 2^53 - 1 and its negative exactly', async () => {
    const store = await openStore(kind);
    await store.insert(customers, customer('max', { points: Number.MAX_SAFE_INTEGER }));
    await store.insert(customers, customer('min', { points: -Number.MAX_SAFE_INTEGER }));
    expect((await store.get(customers, 'max'))!.points).toBe(9007199254740991);
    expect((await store.get(customers, 'min'))!.points).toBe(-9007199254740991);
    expect(await store.count(customers, { points: { gte: 9007199254740991 } })).toBe(1);
    expect(await rejection(store.insert(customers, customer('over', { points: 2 ** 53 })))).toBeInstanceOf(
      ValidationError,
    );
  });

  it('gives a single-use voucher to exactly one of 8 racers', async () => {
    const store = await openStore(kind);
    await store.insert(vouchers, { id: 'v1', status: 'active', value: 500, redeemedBy: null });
    const racers = Array.from({ length: 8 }, (_, i) =>
      i % 2 === 0
        ? store.consume(vouchers, 'v1', { status: 'active' }, { status: 'used', redeemedBy: `r${i}` })
        : store.transaction((tx) =>
            tx.consume(vouchers, 'v1', { status: 'active' }, { status: 'used', redeemedBy: `r${i}` }),
          ),
    );
    const won = (await Promise.all(racers)).filter((r) => r !== undefined);
    expect(won).toHaveLength(1);
    expect(await store.get(vouchers, 'v1')).toEqual(won[0]);
    expect(await store.consume(vouchers, 'missing', { status: 'active' }, { status: 'used' })).toBeUndefined();
  });

  it('rolls back everything a failed transaction wrote and rethrows its error', async () => {
    const store = await openStore(kind);
    await store.insert(customers, customer('keep', { points: 10 }));
    const boom = new Error('till jammed');
    const thrown = await rejection(
      store.transaction(async (tx) => {
        await tx.insert(customers, customer('new1'));
        await tx.update(customers, 'keep', { points: 99 });
        await tx.transaction(async (inner) => inner.insert(customers, customer('new2')));
        await tx.increment(customers, 'keep', 'points', 5);
        throw boom;
      }),
    );
    expect(thrown).toBe(boom);
    expect(await store.count(customers)).toBe(1);
    expect(await store.get(customers, 'keep')).toMatchObject({ points: 10, version: 1 });
  });

  it('commits a transaction as a whole, nested calls included, and closes its session afterwards', async () => {
    const store = await openStore(kind);
    let leaked: { get: typeof store.get } | undefined;
    const result = await store.transaction(async (tx) => {
      leaked = tx;
      await tx.insert(customers, customer('a'));
      await tx.transaction(async (inner) => inner.insert(customers, customer('b')));
      return (await tx.find(customers)).rows.map((r) => r.id);
    });
    expect(result).toEqual(['a', 'b']);
    expect(await store.count(customers)).toBe(2);
    expect(await rejection(leaked!.get(customers, 'a'))).toBeInstanceOf(InvalidStateError);
  });

  it('visits every row exactly once while rows are inserted between pages, in mixed-direction order', async () => {
    const store = await openStore(kind);
    const originals = Array.from({ length: 57 }, (_, i) =>
      customer(`c${String(i).padStart(3, '0')}`, {
        points: i % 5,
        storeCode: ['S1', 'S2', 'S3'][i % 3]!,
        name: `n${i % 7}`,
      }),
    );
    await store.insertMany(customers, originals);
    const seen: string[] = [];
    let after: string | null = null;
    let extra = 0;
    do {
      const page: { rows: Array<{ id: string }>; next: string | null } = await store.find(customers, {
        orderBy: [{ field: 'points', direction: 'desc' }, { field: 'storeCode' }, { field: 'name', direction: 'desc' }],
        limit: 6,
        after,
      });
      seen.push(...page.rows.map((r) => r.id));
      after = page.next;
      // New rows land before, inside and after the current position.
      await store.insert(customers, customer(`x${extra++}`, { points: extra % 5, storeCode: 'S2', name: 'n3' }));
    } while (after);
    const originalIds = originals.map((c) => c.id);
    for (const id of originalIds) expect(seen.filter((s) => s === id)).toHaveLength(1);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('keeps Chinese text and emoji, and orders strings by code point', async () => {
    const store = await openStore(kind);
    const names = ['张伟', '王芳', 'Zoë', '😀 smile', '\uffff', 'apple', 'Ápple', '李娜 🎉'];
    for (const [i, name] of names.entries())
      await store.insert(customers, customer(`c${i}`, { name, profile: { note: `${name} 备注` } }));
    const page = await store.find(customers, { orderBy: [{ field: 'name' }] });
    expect(page.rows.map((r) => r.name)).toEqual([...names].sort(compareStrings));
    expect((await store.get(customers, 'c0'))!.profile).toEqual({ note: '张伟 备注' });
    expect(await store.count(customers, { name: { startsWith: '😀' } })).toBe(1);
    expect(await store.count(customers, { name: { startsWith: '李娜 ' } })).toBe(1);
    expect(await store.count(customers, { name: { startsWith: 'a' } })).toBe(1); // case-sensitive
    expect(await store.count(customers, { name: { gt: '\uffff' } })).toBe(1); // the emoji sorts above the BMP
  });

  it('round-trips JSON documents exactly', async () => {
    const store = await openStore(kind);
    const profile = {
      nested: { list: [1, -2.5, 'three', null, true], empty: {} },
      quote: 'say "hi"\n',
      big: 1e21,
      zh: '会员',
    };
    await store.insert(customers, customer('c1', { profile }));
    await store.insert(customers, customer('c2', { profile: 'just text' }));
    await store.insert(customers, customer('c3', { profile: [] }));
    expect((await store.get(customers, 'c1'))!.profile).toEqual(profile);
    expect((await store.get(customers, 'c2'))!.profile).toBe('just text');
    expect((await store.get(customers, 'c3'))!.profile).toEqual([]);
    expect(await store.count(customers, { profile: { isNull: false } })).toBe(3);
  });

  it('filters with every operator as the port defines them', async () => {
    const store = await openStore(kind);
    const t = (d: number) => new Date(1_700_000_000_000 + d);
    await store.insertMany(customers, [
      customer('a', { points: 1, vip: true, joinedAt: t(1), email: 'a@x' }),
      customer('b', { points: 5, vip: false, joinedAt: t(2) }),
      customer('c', { points: 9, vip: true, joinedAt: t(3), email: 'c@x' }),
    ]);
    const ids = async (where: object) => (await store.find(customers, { where: where as never })).rows.map((r) => r.id);
    expect(await ids({ points: { gt: 1, lte: 9 } })).toEqual(['b', 'c']);
    expect(await ids({ vip: true, joinedAt: { lt: t(3) } })).toEqual(['a']);
    expect(await ids({ id: { in: ['a', 'c', 'zz'] } })).toEqual(['a', 'c']);
    expect(await ids({ id: { in: [] } })).toEqual([]);
    expect(await ids({ email: { ne: 'a@x' } })).toEqual(['c']); // null never compares
    expect(await ids({ email: null })).toEqual(['b']);
    expect(await ids({ email: { startsWith: 'c@' } })).toEqual(['c']);
  });

  it('inserts many rows all or nothing', async () => {
    const store = await openStore(kind);
    await store.insert(customers, customer('taken'));
    const batch = Array.from({ length: 1200 }, (_, i) => customer(`b${i}`));
    batch[700] = customer('taken');
    expect(await rejection(store.insertMany(customers, batch))).toMatchObject({ reason: 'primary_key' });
    expect(await store.count(customers)).toBe(1);

    // Inside a transaction a failed bulk insert undoes only itself; the caller decides about the rest.
    await store.transaction(async (tx) => {
      await tx.insert(customers, customer('before'));
      expect(await rejection(tx.insertMany(customers, batch))).toBeInstanceOf(ConflictError);
      await tx.insert(customers, customer('after'));
    });
    expect((await store.find(customers)).rows.map((r) => r.id)).toEqual(['after', 'before', 'taken']);

    expect(
      await store.insertMany(
        customers,
        batch.filter((c) => c.id !== 'taken'),
      ),
    ).toBe(1199);
    expect(await store.count(customers)).toBe(1202);
  });

  it('refuses a bulk insert whose rows clash with each other, inside a transaction too, keeping the rest', async () => {
    const store = await openStore(kind);
    const batch = Array.from({ length: 40 }, (_, i) => customer(`d${i}`, { email: `d${i}@x` }));
    batch[30] = customer('d30', { email: 'd3@x' });
    const alone = await rejection(store.insertMany(customers, batch));
    expect(alone).toMatchObject({ reason: 'unique', details: { index: 'by_email' } });
    expect(await store.count(customers)).toBe(0);
    await store.transaction(async (tx) => {
      await tx.insert(customers, customer('kept'));
      expect(await rejection(tx.insertMany(customers, batch))).toMatchObject({
        reason: 'unique',
        details: { index: 'by_email' },
      });
      expect(await tx.count(customers), 'the clashing batch took back every row it wrote').toBe(1);
      await tx.insertMany(customers, [customer('also-kept')]);
    });
    expect((await store.find(customers)).rows.map((r) => r.id)).toEqual(['also-kept', 'kept']);
  });

  it('rolls back the whole transaction when a batch fails partway on an error of the database', async () => {
    const db = new Database(kind === 'memory' ? ':memory:' : tempFile());
    const store = track(sqliteStore({ database: db }));
    await store.migrate(migrations);
    for (const id of ['v1', 'v2', 'v3'])
      await store.insert(vouchers, { id, status: 'open', value: 5, redeemedBy: null });
    // Stands for what only the database can raise once the writes are checked (a full disk, an I/O error).
    db.exec(`CREATE TRIGGER refuse_v2 BEFORE UPDATE ON vouchers WHEN NEW.id = 'v2'
      BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
    const take = (id: string) => ({ key: id, when: { status: 'open' }, set: { status: 'used', redeemedBy: 'c1' } });
    let later: unknown;
    const failed = await rejection(
      store.transaction(async (tx) => {
        await tx.insert(vouchers, { id: 'v9', status: 'open', value: 1, redeemedBy: null });
        await rejection(tx.consumeMany(vouchers, [take('v1'), take('v2'), take('v3')]));
        later = await rejection(tx.get(vouchers, 'v1'));
        return 'went on';
      }),
    );
    expect(later, 'the transaction refuses further use').toBeInstanceOf(InvalidStateError);
    expect(failed, 'and does not commit').toBeDefined();
    expect((await store.get(vouchers, 'v1'))?.status, 'the write before the failure is not kept').toBe('open');
    expect(await store.get(vouchers, 'v9'), 'nor what the transaction wrote before the batch').toBeUndefined();
    // Outside a transaction the batch is its own transaction: rolled back, and the store goes on.
    expect(await rejection(store.consumeMany(vouchers, [take('v1'), take('v2')]))).toBeDefined();
    expect((await store.get(vouchers, 'v1'))?.status).toBe('open');
    expect(await store.consumeMany(vouchers, [take('v1'), take('v3')])).toEqual(['v1', 'v3']);
  });

  it('refuses use after close', async () => {
    const store = await openStore(kind);
    await store.close();
    expect(await rejection(store.get(customers, 'x'))).toBeInstanceOf(InvalidStateError);
    expect(await rejection(store.insert(customers, customer('x')))).toBeInstanceOf(InvalidStateError);
  });

  it('reports a missing table as a schema problem, not a driver error', async () => {
    const store = track(sqliteStore({ file: kind === 'memory' ? ':memory:' : tempFile() }));
    const error = await rejection(store.get(customers, 'x'));
    expect(error).toBeInstanceOf(InvalidStateError);
    expect((error as Error).message).toMatch(/migrate/);
  });
});

describe('sqliteStore isolation', () => {
  it('reads outside a transaction see only committed data (file: without waiting for the writer)', async () => {
    const store = await openStore('file');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let inside!: () => void;
    const started = new Promise<void>((resolve) => (inside = resolve));
    const tx = store.transaction(async (t) => {
      await t.insert(customers, customer('pending'));
      inside();
      await gate;
    });
    await started;
    expect(await store.get(customers, 'pending')).toBeUndefined();
    expect(await store.count(customers)).toBe(0);
    release();
    await tx;
    expect(await store.get(customers, 'pending')).toBeDefined();
  });

  it('reads outside a transaction wait for it on an in-memory database', async () => {
    const store = await openStore('memory');
    let inside!: () => void;
    const started = new Promise<void>((resolve) => (inside = resolve));
    const tx = store.transaction(async (t) => {
      await t.insert(customers, customer('pending'));
      inside();
      await new Promise((resolve) => setTimeout(resolve, 20));
      throw new Error('abandon');
    });
    await started;
    const read = store.get(customers, 'pending');
    await expect(tx).rejects.toThrow('abandon');
    expect(await read).toBeUndefined();
  });

  it('shares one write lock between stores on the same file, so they queue instead of blocking', async () => {
    const file = tempFile();
    const a = await openStore('file', file);
    const b = track(sqliteStore({ file, busyTimeoutMs: 200 }));
    await a.insert(customers, customer('c1', { points: 50 }));
    const order: string[] = [];
    const slow = a.transaction(async (tx) => {
      order.push('a:start');
      await tx.increment(customers, 'c1', 'points', -30, { min: 0 });
      await new Promise((resolve) => setTimeout(resolve, 400)); // longer than b's busy timeout
      order.push('a:end');
    });
    const other = b.transaction(async (tx) => {
      order.push('b:start');
      return tx.increment(customers, 'c1', 'points', -30, { min: 0 });
    });
    await slow;
    expect((await other).applied).toBe(false);
    expect(order).toEqual(['a:start', 'a:end', 'b:start']);
    expect((await b.get(customers, 'c1'))!.points).toBe(20);
  });

  it('turns a database held busy by another connection past the timeout into StoreUnavailableError', async () => {
    const file = tempFile();
    await openStore('file', file);
    const blocker = new Database(file);
    blocker.exec('BEGIN IMMEDIATE');
    try {
      const store = track(sqliteStore({ file, busyTimeoutMs: 50 }));
      const error = await rejection(store.insert(customers, customer('x')));
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE' });
      expect(await rejection(store.transaction(async () => 1))).toBeInstanceOf(StoreUnavailableError);
    } finally {
      blocker.exec('ROLLBACK');
      blocker.close();
    }
  });
});

describe('sqliteStore setup', () => {
  it('reports a file that cannot be opened as StoreUnavailableError', () => {
    let error: unknown;
    try {
      sqliteStore({ file: `${tempFile()}-missing-dir/crm.db` });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StoreUnavailableError);
  });

  it('opens a file in WAL mode', async () => {
    const file = tempFile();
    await openStore('file', file);
    const raw = new Database(file, { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      raw.close();
    }
    const own = new Database(file);
    const store = track(sqliteStore({ database: own, busyTimeoutMs: 1234 }));
    expect(own.pragma('busy_timeout', { simple: true })).toBe(1234);
    expect(store.capabilities).toEqual({
      aggregate: true,
      insertMany: true,
      multiProcess: true,
      server: false,
      jsonColumns: false,
      migrationLock: true,
      aggregatePaging: true,
      aggregateSeries: true,
      getLinked: true,
      consumeMany: true,
      deleteMany: true,
    });
    await store.close();
    expect(own.open).toBe(true); // the host's connection stays open
    own.close();
  });

  it('works on the host connection and leaves raw values a probe can read', async () => {
    const db = new Database(':memory:');
    const store = track(sqliteStore({ database: db }));
    await store.migrate(migrations);
    await store.insert(
      customers,
      customer('c1', { vip: true, storeCode: 'S9', profile: { a: 1 }, points: Number.MAX_SAFE_INTEGER }),
    );
    const probe = sqliteProbe(db);
    expect(await probe.rawRow('customers', 'c1')).toEqual({
      id: 'c1',
      name: 'Customer c1',
      email: null,
      store_code: 'S9',
      points: Number.MAX_SAFE_INTEGER,
      vip: 1,
      joined_at: 1_700_000_000_000,
      profile: '{"a":1}',
      version: 1,
    });
    expect(await probe.rawRow('customers', 'nope', 'id')).toBeUndefined();
    expect(await probe.rawCount('customers')).toBe(1);
    db.close();
  });

  it('probes a file through its own connection, seeing committed rows only', async () => {
    const file = tempFile();
    const store = await openStore('file', file);
    const probe = sqliteProbe(file);
    try {
      let inside!: () => void;
      const started = new Promise<void>((resolve) => (inside = resolve));
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const tx = store.transaction(async (t) => {
        await t.insert(customers, customer('c1'));
        inside();
        await gate;
      });
      await started;
      expect(await probe.rawCount('customers')).toBe(0);
      release();
      await tx;
      expect(await probe.rawRow('customers', 'c1')).toMatchObject({ id: 'c1', store_code: 'S1' });
    } finally {
      await probe.close();
    }
  });
});
