/**
 * A line of a sale and its quantity: kept apart from the sale's other schemas, so that a till that
 * checks only its lines does not carry the rest.
 */
import * as z from 'zod';
import { codeSchema, minorUnitsSchema, shortTextSchema, singleLineTextSchema } from '../validation.js';
import { toMilli } from './purchase-math.js';

const labelSchema = singleLineTextSchema(64);

/** A quantity: units, or kilograms with up to three decimals. */
export const quantitySchema = z
  .number()
  .positive('quantities are positive')
  .max(1_000_000)
  .refine((q) => toMilli(q) !== null, 'quantities have at most three decimals');

/** One line of a sale as the POS sends it. */
export const saleLineSchema = z
  .object({
    sku: codeSchema,
    name: shortTextSchema.optional(),
    /** The product category code (loyalty rules and segments key on it). */
    category: labelSchema,
    brand: labelSchema.optional(),
    /** Units, or kilograms with up to three decimals for weighed goods. */
    quantity: quantitySchema,
    /** Price of one unit in minor units. */
    unitPrice: minorUnitsSchema,
    /** Discount on the whole line in minor units. */
    discount: minorUnitsSchema.default(0),
  })
  .strict();
