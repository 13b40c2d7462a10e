/**
 * Collections for a server adapter's own tests (PostgreSQL, MySQL): a versioned account with a balance, a
 * single-use voucher, a note with a unique code; and helpers for racing them.
 */
import { defineCollection, field, nullable } from '@clientele/core/module';
import type { Migration } from '@clientele/core/module';

export const accounts = defineCollection({
  name: 'accounts',
  fields: {
    id: field.string(),
    customerId: field.string(),
    owner: field.string(),
    balance: field.integer(),
    note: nullable(field.string()),
  },
  primaryKey: 'id',
  versioned: true,
  indexes: [{ name: 'accounts_customer', fields: ['customerId'] }],
  customerKey: 'customerId',
});

export const vouchers = defineCollection({
  name: 'vouchers',
  fields: { id: field.string(), status: field.string(), usedBy: nullable(field.string()) },
  primaryKey: 'id',
  indexes: [],
});

export const notes = defineCollection({
  name: 'notes',
  fields: { id: field.string(), code: field.string(), text: field.string(), data: nullable(field.json()) },
  primaryKey: 'id',
  indexes: [{ name: 'notes_code', fields: ['code'], unique: true }],
});

/** The migration that creates the three collections, under an id of the adapter's own (`pgtest/0001`). */
export function migrationsOf(id: string): Migration[] {
  return [
    {
      id,
      steps: [
        { op: 'createCollection', collection: accounts },
        { op: 'createCollection', collection: vouchers },
        { op: 'createCollection', collection: notes },
      ],
    },
  ];
}

export const account = (id: string, balance = 0, over: Record<string, unknown> = {}) => ({
  id,
  customerId: `cus_${id}`,
  owner: `Owner ${id}`,
  balance,
  note: null,
  ...over,
});

/** A barrier for `parties` racers: `wait()` resolves once all have arrived. */
export function barrier(parties: number): { wait(): Promise<void> } {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return {
    wait() {
      if (++arrived >= parties) open();
      return opened;
    },
  };
}

/** The rejection of `promise` (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}
