/**
 * A member whose distinctive values an erasure must remove, for the tests of what erasure leaves in a database's files.
 */
import { expect } from 'vitest';
import type { Clientele } from '@clientele/core';
import { BASKET, CLERK, SYSTEM, freshKey, nextReceipt } from './chain.js';

/**
 * The member's values: a Chinese name, two phones and two addresses (one replaced), an email, a
 * birth date and a note. All of them are ones core's erasure clears from live rows.
 */
export const PERSONAL = {
  name: '欧阳明月',
  oldPhone: '13566667777',
  phone: '13588889999',
  email: 'mingyue.ouyang@example.cn',
  oldAddress: '杭州市西湖区文三路 478 号',
  address: '上海市静安区南京西路 1266 号',
  birthDate: '1985-09-17',
  note: '送货请放在门卫室 after 6pm',
} as const;

/** Every value, as searched for (the phones as their digits). */
export const PERSONAL_VALUES: readonly string[] = Object.values(PERSONAL);

/**
 * Registers the member, changes their phone and address (so old row versions exist), records three
 * card sales and two interactions quoting the phone. Returns the customer id, not yet erased.
 */
export async function personalMember(crm: Clientele): Promise<string> {
  const c = await crm.customers.register(
    {
      kind: 'individual',
      name: PERSONAL.name,
      phone: `+86 ${PERSONAL.oldPhone}`,
      email: PERSONAL.email,
      address: PERSONAL.oldAddress,
      birthDate: PERSONAL.birthDate,
      homeStoreId: 'S01',
      attributes: { deliveryNote: PERSONAL.note },
    },
    { ...CLERK, idempotencyKey: freshKey('register') },
  );
  await crm.customers.update(
    { customerId: c.id, changes: { phone: '+86 135-8888-9999', address: PERSONAL.address } },
    CLERK,
  );
  const card = await crm.cards.issue({ typeId: 'GOLD', storeId: 'S01', customerId: c.id }, CLERK);
  for (let i = 0; i < 3; i++) {
    await crm.purchases.record(
      { storeId: 'S01', terminalId: 'T1', receiptNo: nextReceipt(), cardNumber: card.number, lines: BASKET },
      { ...CLERK, idempotencyKey: freshKey() },
    );
  }
  await crm.interactions.log(
    {
      customerId: c.id,
      channel: 'phone',
      kind: 'inquiry',
      summary: `${PERSONAL.name} asks to be called on +86${PERSONAL.phone} before delivery`,
    },
    CLERK,
  );
  await crm.interactions.log(
    {
      customerId: c.id,
      channel: 'visit',
      kind: 'feedback',
      summary: `Old number +86${PERSONAL.oldPhone} no longer works; new one +86${PERSONAL.phone}`,
    },
    CLERK,
  );
  expect(await crm.customers.get(c.id, SYSTEM)).toMatchObject({
    phone: `+86${PERSONAL.phone}`,
    email: PERSONAL.email,
    address: PERSONAL.address,
  });
  return c.id;
}

/** The values that occur in `text`, as written or as escaped inside JSON text. */
export function valuesIn(text: string): string[] {
  return PERSONAL_VALUES.filter((v) => text.includes(v) || text.includes(JSON.stringify(v).slice(1, -1)));
}

/** The values whose UTF-8 bytes occur in `bytes`. */
export function valuesInBytes(bytes: Uint8Array): string[] {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return PERSONAL_VALUES.filter((v) => buffer.includes(Buffer.from(v, 'utf8')));
}
