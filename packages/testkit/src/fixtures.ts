/**
 * The collections the kit migrates into every store it tests, and builders of valid rows. They cover
 * every field kind, nullable fields, versioned and plain collections, single-field, composite and
 * nullable unique indexes. Names start with `testkit_` so they never meet a module's own collections.
 */
import { defineCollection, field, nullable } from '@clientele/core/adapter';
import type { JsonValue, Migration, NewRowOf, RowOf } from '@clientele/core/adapter';
import { millisecondsInMinute } from 'date-fns/constants';

const customerFields = {
  id: field.string(),
  code: field.string(),
  name: field.string(),
  tier: field.string(),
  points: field.integer(),
  phone: nullable(field.string()),
  note: nullable(field.string()),
  active: field.boolean(),
  joinedAt: field.timestamp(),
  lastVisitAt: nullable(field.timestamp()),
  profile: nullable(field.json<JsonValue>()),
};

const customerIndexes = [
  { name: 'testkit_customers_code', fields: ['code'], unique: true },
  { name: 'testkit_customers_phone', fields: ['phone'], unique: true },
  { name: 'testkit_customers_tier_points', fields: ['tier', 'points'] },
] as const;

/** Versioned customers: every field kind, a unique code, a nullable unique phone. */
export const customers = defineCollection({
  name: 'testkit_customers',
  fields: customerFields,
  primaryKey: 'id',
  versioned: true,
  indexes: customerIndexes,
  customerKey: 'id',
  personal: ['name', 'phone'],
});

/** Versioned balances for guarded increments. */
export const accounts = defineCollection({
  name: 'testkit_accounts',
  fields: {
    id: field.string(),
    customerId: field.string(),
    balance: field.integer(),
    currency: field.string(),
  },
  primaryKey: 'id',
  versioned: true,
  indexes: [{ name: 'testkit_accounts_customer', fields: ['customerId'] }],
  customerKey: 'customerId',
});

/** Versioned single-use vouchers for `consume`. */
export const vouchers = defineCollection({
  name: 'testkit_vouchers',
  fields: {
    id: field.string(),
    code: field.string(),
    status: field.string(),
    redeemedBy: nullable(field.string()),
    redeemedAt: nullable(field.timestamp()),
  },
  primaryKey: 'id',
  versioned: true,
  indexes: [{ name: 'testkit_vouchers_code', fields: ['code'], unique: true }],
});

/** Unversioned sales: integers, nullable group keys and measures, timestamps, JSON. */
export const sales = defineCollection({
  name: 'testkit_sales',
  fields: {
    id: field.string(),
    customerId: field.string(),
    storeId: nullable(field.string()),
    kind: field.string(),
    amount: field.integer(),
    discount: nullable(field.integer()),
    label: field.string(),
    at: field.timestamp(),
    payload: nullable(field.json<JsonValue>()),
  },
  primaryKey: 'id',
  indexes: [{ name: 'testkit_sales_customer_at', fields: ['customerId', 'at'] }],
  customerKey: 'customerId',
});

/** Unversioned cards: a composite unique index and a nullable unique number. */
export const cards = defineCollection({
  name: 'testkit_cards',
  fields: {
    id: field.string(),
    customerId: field.string(),
    programId: field.string(),
    number: nullable(field.string()),
  },
  primaryKey: 'id',
  indexes: [
    { name: 'testkit_cards_holder', fields: ['customerId', 'programId'], unique: true },
    { name: 'testkit_cards_number', fields: ['number'], unique: true },
  ],
  customerKey: 'customerId',
});

/** The migrations every test store gets before its test runs. */
export const fixtureMigrations: readonly Migration[] = [
  {
    id: 'testkit/0001-customers',
    steps: [
      { op: 'createCollection', collection: customers },
      { op: 'createCollection', collection: accounts },
      { op: 'createCollection', collection: vouchers },
    ],
  },
  {
    id: 'testkit/0002-sales',
    steps: [
      { op: 'createCollection', collection: sales },
      { op: 'createCollection', collection: cards },
    ],
  },
];

/** Customers as they are after {@link nicknameMigration}: one more nullable field with a unique index. */
export const customersWithNickname = defineCollection({
  name: 'testkit_customers',
  fields: { ...customerFields, nickname: nullable(field.string()) },
  primaryKey: 'id',
  versioned: true,
  indexes: [...customerIndexes, { name: 'testkit_customers_nickname', fields: ['nickname'], unique: true }],
  customerKey: 'id',
  personal: ['name', 'phone'],
});

/** A later migration: adds a field and a unique index to a collection that already holds rows. */
export const nicknameMigration: Migration = {
  id: 'testkit/0003-customer-nickname',
  steps: [
    { op: 'addField', collection: customers.name, field: 'nickname', spec: nullable(field.string()) },
    {
      op: 'addIndex',
      collection: customers.name,
      index: { name: 'testkit_customers_nickname', fields: ['nickname'], unique: true },
    },
  ],
};

/** A collection created by a later migration. */
export const notes = defineCollection({
  name: 'testkit_notes',
  fields: { id: field.string(), body: field.string() },
  primaryKey: 'id',
});

/** A later migration that creates {@link notes}. */
export const notesMigration: Migration = {
  id: 'testkit/0004-notes',
  steps: [{ op: 'createCollection', collection: notes }],
};

/** A migration that fails while `sales` holds two rows with the same label. */
export const uniqueLabelMigration: Migration = {
  id: 'testkit/0005-unique-sale-label',
  steps: [
    { op: 'addIndex', collection: sales.name, index: { name: 'testkit_sales_label', fields: ['label'], unique: true } },
  ],
};

/**
 * The longest string key every store must keep, in characters (Unicode code points): primary keys and
 * customer keys of up to this many characters, however many bytes each takes.
 */
export const MAX_KEY_LENGTH = 255;

const placeFields = ['country', 'province', 'city', 'district', 'street', 'building', 'unit', 'room'] as const;

const addressFields = {
  id: field.string(),
  country: field.string(),
  province: field.string(),
  city: field.string(),
  district: field.string(),
  street: field.string(),
  building: field.string(),
  unit: field.string(),
  room: field.string(),
  floor: field.integer(),
  movedInAt: field.timestamp(),
};

const addressIndexes = [
  // Every text field at once, then an integer and a timestamp: one key over many texts.
  { name: 'testkit_addresses_place', fields: [...placeFields, 'floor', 'movedInAt'] },
  { name: 'testkit_addresses_door', fields: ['country', 'city', 'street', 'building', 'room'], unique: true },
] as const;

/** Addresses: an index over eight text fields and a unique index over five. */
export const addresses = defineCollection({
  name: 'testkit_addresses',
  fields: addressFields,
  primaryKey: 'id',
  indexes: addressIndexes,
  plain: [...placeFields],
});

/** A migration that creates {@link addresses}. */
export const addressesMigration: Migration = {
  id: 'testkit/0006-addresses',
  steps: [{ op: 'createCollection', collection: addresses }],
};

/** Addresses after {@link addressNotesMigration}: two free-text fields, then indexed with others. */
export const addressesWithNotes = defineCollection({
  name: 'testkit_addresses',
  fields: { ...addressFields, note: nullable(field.string()), alias: nullable(field.string()) },
  primaryKey: 'id',
  indexes: [
    ...addressIndexes,
    { name: 'testkit_addresses_note_place', fields: ['note', 'alias', ...placeFields] },
    { name: 'testkit_addresses_alias', fields: ['alias', 'note'], unique: true },
  ],
  plain: [...placeFields, 'note', 'alias'],
});

/** A later migration: two fields added as free text, then a plain and a unique index over them and others. */
export const addressNotesMigration: Migration = {
  id: 'testkit/0007-address-notes',
  steps: [
    { op: 'addField', collection: addresses.name, field: 'note', spec: nullable(field.string()) },
    { op: 'addField', collection: addresses.name, field: 'alias', spec: nullable(field.string()) },
    { op: 'addIndex', collection: addresses.name, index: addressesWithNotes.indexes[2]! },
    { op: 'addIndex', collection: addresses.name, index: addressesWithNotes.indexes[3]! },
  ],
};

/** The names of every collection the kit creates, so a probe author can map them to tables. */
export const conformanceCollectionNames: readonly string[] = [
  customers,
  accounts,
  vouchers,
  sales,
  cards,
  notes,
  addresses,
].map((c) => c.name);

/** A stored customer. */
export type Customer = RowOf<typeof customers>;
/** A stored sale. */
export type Sale = RowOf<typeof sales>;

const pad = (n: number): string => String(n).padStart(3, '0');

/** A valid new customer numbered `n`; `over` replaces fields. */
export function newCustomer(n: number, over: Partial<NewRowOf<typeof customers>> = {}): NewRowOf<typeof customers> {
  return {
    id: `cust-${pad(n)}`,
    code: `C-${pad(n)}`,
    name: `Customer ${n}`,
    tier: 'bronze',
    points: 0,
    phone: null,
    note: null,
    active: true,
    joinedAt: new Date(Date.UTC(2024, 0, 1) + n * 1000),
    lastVisitAt: null,
    profile: null,
    ...over,
  };
}

/** A valid new account holding `balance`. */
export function newAccount(n: number, balance: number): NewRowOf<typeof accounts> {
  return { id: `acct-${pad(n)}`, customerId: `cust-${pad(n)}`, balance, currency: 'CNY' };
}

/** A valid new, unused voucher. */
export function newVoucher(n: number): NewRowOf<typeof vouchers> {
  return { id: `vch-${pad(n)}`, code: `V-${pad(n)}`, status: 'active', redeemedBy: null, redeemedAt: null };
}

/** A valid new sale numbered `n`; `over` replaces fields. */
export function newSale(n: number, over: Partial<NewRowOf<typeof sales>> = {}): NewRowOf<typeof sales> {
  return {
    id: `sale-${pad(n)}`,
    customerId: `cust-${pad(n % 7)}`,
    storeId: null,
    kind: 'sale',
    amount: n * 100,
    discount: null,
    label: `label ${n}`,
    at: new Date(Date.UTC(2024, 5, 1) + n * millisecondsInMinute),
    payload: null,
    ...over,
  };
}

/** A valid new card. */
export function newCard(
  id: string,
  customerId: string,
  programId: string,
  number: string | null,
): NewRowOf<typeof cards> {
  return { id, customerId, programId, number };
}
