/**
 * JSON-shaped input (customer attributes, segment definitions, activity payloads) is checked to be
 * plain JSON within its documented depth and size before anything else runs, so neither BigInt nor
 * deep nesting nor megabytes of text reach a serialiser or a recursive check; and a retry stored
 * with the fingerprint of an earlier version is still recognised after an upgrade.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError, isClienteleError, registerCustomerSchema, type Clientele } from '@clientele/core';
import { canonicalJson, fingerprint, idempotencyKeys } from '@clientele/core/module';
import { legacyFingerprint } from '../packages/core/src/json-codec.js';
import { compileCondition, conditionRegistry, segments } from '@clientele/segments';
import { CLERK, SYSTEM, freshKey, openChain, snapshot } from './support/chain.js';
import { STORE_KINDS } from './support/stores.js';

async function refusal(
  call: Promise<unknown>,
): Promise<{ code: string; path: ReadonlyArray<string | number>; issue: string; message: string }> {
  try {
    await call;
  } catch (error) {
    if (!isClienteleError(error)) throw error;
    return {
      code: error.code,
      path: error.path,
      issue: (error as ValidationError).issues?.[0]?.code ?? '',
      message: error.message,
    };
  }
  throw new Error('accepted');
}

function nested(levels: number, leaf: unknown = 1): unknown {
  let v = leaf;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

/** Segment groups nested `levels` deep under the top one. */
function groups(levels: number): unknown {
  let c: unknown = { field: 'visits', op: 'gte', value: 1 };
  for (let i = 0; i < levels; i++) c = { all: [c] };
  return c;
}

describe.each(STORE_KINDS)('input limits on $name', (kind) => {
  afterAll(() => kind.cleanup());

  it(
    'refuses attributes that are not plain JSON or too deep or too big, before anything runs, and changes ' + 'nothing',
    async () => {
      const { crm } = await openChain(await kind.open());
      const before = await snapshot(crm);
      const register = (attributes: unknown) =>
        crm.customers.register({ kind: 'individual', name: '王芳', attributes } as never, {
          ...CLERK,
          idempotencyKey: freshKey('reg'),
        });
      expect(await refusal(register({ loyaltyId: 12345678901234567890n }))).toMatchObject({
        code: 'VALIDATION_FAILED',
        path: ['attributes', 'loyaltyId'],
        issue: 'not_json',
      });
      expect(await refusal(register({ nested: nested(30_000) }))).toMatchObject({
        code: 'VALIDATION_FAILED',
        issue: 'too_deep',
      });
      expect(await refusal(register(nested(33)))).toMatchObject({ code: 'VALIDATION_FAILED', issue: 'too_deep' });
      expect(await refusal(register({ note: 'x'.repeat(5 * 1024 * 1024) }))).toMatchObject({
        code: 'VALIDATION_FAILED',
        path: ['attributes', 'note'],
        issue: 'too_large',
      });
      expect(await refusal(register({ joined: new Date() }))).toMatchObject({
        code: 'VALIDATION_FAILED',
        path: ['attributes', 'joined'],
        issue: 'not_json',
      });
      expect(await refusal(register({ score: Number.NaN }))).toMatchObject({
        code: 'VALIDATION_FAILED',
        path: ['attributes', 'score'],
      });
      expect(await refusal(register({ note: 'ring\u0007' }))).toMatchObject({
        code: 'VALIDATION_FAILED',
        path: ['attributes', 'note'],
        issue: 'control_character',
      });
      expect(await snapshot(crm)).toEqual(before);

      // At the limits exactly: 32 levels, 64 KiB of JSON text.
      const deepest = await crm.customers.register(
        { kind: 'individual', name: '王芳', attributes: nested(31) as Record<string, unknown> },
        CLERK,
      );
      expect(deepest.attributes).toEqual(nested(31));
      const biggest = { note: 'x'.repeat(64 * 1024 - '{"note":""}'.length) };
      const big = await crm.customers.register({ kind: 'individual', name: '王芳', attributes: biggest }, CLERK);
      expect(big.attributes).toEqual(biggest);
      expect(
        await refusal(
          crm.customers.update({ customerId: big.id, changes: { attributes: { note: `${biggest.note}x` } } }, CLERK),
        ),
      ).toMatchObject({ code: 'VALIDATION_FAILED', path: ['changes', 'attributes', 'note'], issue: 'too_large' });
    },
  );

  it(
    'refuses a segment definition nested 2,000 levels with the documented depth, and keeps 12 levels of ' + 'groups',
    async () => {
      const { crm } = await openChain(await kind.open(), { modules: [segments()] });
      const seg = (
        crm as unknown as Clientele & { segments: { define(i: unknown, o: unknown): Promise<{ id: string }> } }
      ).segments;
      const deep = await refusal(
        seg.define(
          { id: 'deep', name: 'Deep', definition: groups(2000) },
          { ...SYSTEM, idempotencyKey: freshKey('seg') },
        ),
      );
      expect(deep).toMatchObject({ code: 'VALIDATION_FAILED', issue: 'too_deep' });
      expect(deep.path[0]).toBe('definition');
      expect(deep.message).toMatch(/conditions nest at most 12 levels/);
      expect(await seg.define({ id: 'twelve', name: 'Twelve levels', definition: groups(12) }, SYSTEM)).toMatchObject({
        id: 'twelve',
      });
      expect(
        await refusal(seg.define({ id: 'thirteen', name: 'Thirteen', definition: groups(13) }, SYSTEM)),
      ).toMatchObject({ code: 'VALIDATION_FAILED', issue: 'too_deep' });
      // The compiler itself bounds its input first, however deep.
      expect(() => compileCondition(groups(100_000), conditionRegistry())).toThrow(ValidationError);
    },
  );

  it('recognises a retry whose request hash was stored before fingerprints were SHA-256', async () => {
    const { crm, store } = await openChain(await kind.open());
    const input = { kind: 'individual' as const, name: '王芳', phone: '13800138000', attributes: { since: 2019 } };
    const key = freshKey('upgrade');
    const first = await crm.customers.register(input, { ...CLERK, idempotencyKey: key });
    const request = `customers.register\n${canonicalJson(registerCustomerSchema.parse(input))}`;
    expect((await store.get(idempotencyKeys, key))?.requestHash).toBe(fingerprint(request));
    // As an earlier version stored it.
    await store.transaction((tx) => tx.update(idempotencyKeys, key, { requestHash: legacyFingerprint(request) }));
    const before = await snapshot(crm);
    expect(await crm.customers.register(input, { ...CLERK, idempotencyKey: key })).toEqual(first);
    expect(
      await refusal(crm.customers.register({ ...input, name: '王芳芳' }, { ...CLERK, idempotencyKey: key })),
    ).toMatchObject({ code: 'IDEMPOTENCY_MISMATCH' });
    expect(await snapshot(crm)).toEqual(before);
  });
});
