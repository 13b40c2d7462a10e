import { describe, expect, it } from 'vitest';
import { createClientele, memoryStore } from '../src/index.js';
import { ValidationError } from '../src/errors.js';

/** The issues a call is refused with, in order. */
async function refusal(call: () => Promise<unknown>) {
  const error = await call().then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).issues.map((i) => ({ path: i.path.join('.'), code: i.code, message: i.message }));
}

describe("a command's two arguments", () => {
  const crm = createClientele({ store: memoryStore() });
  const erase = crm.privacy.eraseCustomer as (...args: unknown[]) => Promise<unknown>;

  it('blames the input first when the input is wrong and the options are left out', async () => {
    await crm.migrate();
    const issues = await refusal(() => erase('cus_1'));
    expect(issues[0]!.path).toBe('');
    expect(issues.at(-1)).toMatchObject({ path: 'options', code: 'required' });
    expect(issues.at(-1)!.message).toContain('{ actor }');
  });

  it('says what the options must be when only they are left out', async () => {
    const issues = await refusal(() => erase({ customerId: 'cus_1', reason: 'asked by the customer' }));
    expect(issues).toEqual([expect.objectContaining({ path: 'options', code: 'required' })]);
  });

  it('names the wrong option itself when options are given but wrong', async () => {
    const issues = await refusal(() => erase({ customerId: 'cus_1', reason: 'asked' }, { actor: 42 }));
    expect(issues.map((i) => i.path)).toEqual(['options.actor']);
  });

  it('lists the issues of both arguments when both are wrong objects', async () => {
    const issues = await refusal(() => erase({ reason: 7 }, { idempotencyKey: 'x' }));
    const paths = issues.map((i) => i.path);
    expect(paths.indexOf('customerId')).toBeGreaterThanOrEqual(0);
    expect(paths.findIndex((p) => p.startsWith('options'))).toBeGreaterThan(paths.indexOf('customerId'));
  });
});
