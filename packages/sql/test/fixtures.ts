import { defineCollection, field, nullable } from '@clientele/core/module';

/** A collection with every field kind, a unique and a secondary index, versioned. */
export const cards = defineCollection({
  name: 'cards',
  fields: {
    id: field.string(),
    customerId: field.string(),
    balance: field.integer(),
    active: field.boolean(),
    issuedAt: field.timestamp(),
    email: nullable(field.string()),
    meta: nullable(field.json()),
  },
  primaryKey: 'id',
  versioned: true,
  indexes: [
    { name: 'by_email', fields: ['email'], unique: true },
    { name: 'by_customer', fields: ['customerId', 'issuedAt'] },
  ],
});

export const newCard = (id: string, over: Record<string, unknown> = {}) => ({
  id,
  customerId: 'cus_1',
  balance: 100,
  active: true,
  issuedAt: new Date(1_700_000_000_000),
  email: null,
  meta: null,
  ...over,
});
