/** Collections of membership cards. */
import { defineCollection, field, nullable } from '../store/schema.js';
import { customersCollection } from './customer-collections.js';

/** Card types the retailer defines (number prefix and length, validity). */
export const cardTypesCollection = defineCollection({
  name: 'card_types',
  primaryKey: 'id',
  versioned: true,
  fields: {
    id: field.string(),
    name: field.string(),
    prefix: field.string(),
    length: field.integer(),
    validityMonths: nullable(field.integer()),
    createdAt: field.timestamp(),
  },
  indexes: [{ name: 'card_types_prefix', fields: ['prefix'], unique: true }],
  plain: ['name', 'prefix'],
});

/** Issued cards; the card number is the key. */
export const cardsCollection = defineCollection({
  name: 'cards',
  primaryKey: 'number',
  versioned: true,
  fields: {
    number: field.string(),
    typeId: field.string(),
    customerId: nullable(field.string()),
    status: field.string(),
    statusReason: nullable(field.string()),
    issuedStoreId: field.string(),
    issuedAt: field.timestamp(),
    expiresAt: nullable(field.timestamp()),
    replaces: nullable(field.string()),
    replacedBy: nullable(field.string()),
    updatedAt: field.timestamp(),
  },
  indexes: [{ name: 'cards_customer', fields: ['customerId'] }],
  customerKey: 'customerId',
  scrub: ['statusReason'],
  plain: ['typeId', 'status', 'issuedStoreId', 'replaces', 'replacedBy'],
});

/** A card's link to the customer who holds it, for reading both in one go (`getLinked`). */
export const cardHolder = { field: 'customerId', target: customersCollection } as const;
