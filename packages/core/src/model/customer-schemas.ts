/**
 * The customer model as zod schemas and types: three kinds of party sharing one record.
 * Individuals are members; organisations buy in bulk; suppliers supply (and may also buy).
 */
import * as z from 'zod';
import type { JsonValue } from '../store/schema.js';
import { DEFAULT_JSON_LIMITS, type JsonLimits } from '../plain-json.js';
import {
  codeSchema,
  dateSchema,
  emailSchema,
  idSchema,
  jsonObjectSchema,
  nameSchema,
  pageSchema,
  phoneSchema,
  shortTextSchema,
  singleLineTextSchema,
} from '../validation.js';

/** The kinds of party. */
export const CUSTOMER_KINDS = ['individual', 'organisation', 'supplier'] as const;
/** A kind of party. */
export type CustomerKind = (typeof CUSTOMER_KINDS)[number];

/** Channels a customer may consent to be contacted on. */
export const CONSENT_CHANNELS = ['sms', 'email', 'phone', 'post', 'messaging'] as const;
/** A marketing channel. */
export type ConsentChannel = (typeof CONSENT_CHANNELS)[number];

/** Organisation size classes. */
export const SIZE_CLASSES = ['micro', 'small', 'medium', 'large'] as const;

const tagSchema = singleLineTextSchema(40);
const optionalText = shortTextSchema.nullish();
const addressSchema = singleLineTextSchema(500);

/**
 * Bounds of a customer's `attributes`: at most 32 levels of nesting and 64 KiB of JSON text. They are
 * checked before anything else, with the rest of the input; a retailer's `customerAttributes` schema
 * may narrow them further.
 */
export const CUSTOMER_ATTRIBUTE_LIMITS: JsonLimits = DEFAULT_JSON_LIMITS;

/** A customer's `attributes`: a plain JSON object within {@link CUSTOMER_ATTRIBUTE_LIMITS}. */
export const customerAttributesSchema = jsonObjectSchema(CUSTOMER_ATTRIBUTE_LIMITS);

/** Marketing consent per channel. */
export const consentSchema = z.partialRecord(z.enum(CONSENT_CHANNELS), z.boolean());
/** Marketing consent per channel: `true` granted, `false` refused, absent never asked. */
export type Consent = z.infer<typeof consentSchema>;

/** A contact person at an organisation or supplier. */
export const contactSchema = z
  .object({
    name: nameSchema,
    /** Their role, e.g. `purchasing manager`. */
    role: shortTextSchema,
    phone: phoneSchema.nullish(),
    email: emailSchema.nullish(),
  })
  .strict();
/** A contact person. */
export type Contact = z.infer<typeof contactSchema>;

/** What a supplier supplies and on what terms. */
export const supplierProfileSchema = z
  .object({
    supplierCode: codeSchema.nullish(),
    /** Product categories supplied. */
    categories: z.array(shortTextSchema).max(100).default([]),
    paymentTermsDays: z.number().int().min(0).max(365).nullish(),
  })
  .strict();
/** A supplier profile. */
export type SupplierProfile = z.infer<typeof supplierProfileSchema>;

const commonFields = {
  /** Store where the customer usually shops or was registered. */
  homeStoreId: codeSchema.nullish(),
  phone: phoneSchema.nullish(),
  email: emailSchema.nullish(),
  address: addressSchema.nullish(),
  tags: z.array(tagSchema).max(50).optional(),
  consent: consentSchema.optional(),
  /**
   * Retailer-defined fields: plain JSON within {@link CUSTOMER_ATTRIBUTE_LIMITS}, then checked by the
   * schema given to `createClientele` as `customerAttributes`.
   */
  attributes: customerAttributesSchema.optional(),
};

const organisationFields = {
  legalName: nameSchema,
  tradeName: nameSchema.nullish(),
  taxId: z
    .string()
    .trim()
    .min(5)
    .max(30)
    .regex(/^[0-9A-Za-z-]+$/, 'tax ids are letters, digits and -')
    .nullish(),
  industry: optionalText,
  region: optionalText,
  sizeClass: z.enum(SIZE_CLASSES).nullish(),
  contacts: z.array(contactSchema).max(20).optional(),
};

/** Input of `customers.register`. */
export const registerCustomerSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('individual'),
      name: nameSchema,
      gender: z.enum(['female', 'male', 'other']).nullish(),
      birthDate: dateSchema.nullish(),
      ...commonFields,
      /** Set when staff checked the details with the person. */
      verified: z.boolean().optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('organisation'),
      ...organisationFields,
      ...commonFields,
      /** Present when the organisation also supplies the chain. */
      supplier: supplierProfileSchema.nullish(),
      verified: z.boolean().optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('supplier'),
      ...organisationFields,
      ...commonFields,
      supplier: supplierProfileSchema.optional(),
      /** Whether the supplier also buys from the chain. */
      alsoCustomer: z.boolean().optional(),
      verified: z.boolean().optional(),
    })
    .strict(),
]);
/** Input of `customers.register`. */
export type RegisterCustomerInput = z.input<typeof registerCustomerSchema>;

/** Every field `customers.update` may change, by kind. */
export const UPDATABLE_FIELDS: Record<CustomerKind, readonly string[]> = {
  individual: [
    'name',
    'gender',
    'birthDate',
    'homeStoreId',
    'phone',
    'email',
    'address',
    'tags',
    'consent',
    'attributes',
  ],
  organisation: [
    'legalName',
    'tradeName',
    'taxId',
    'industry',
    'region',
    'sizeClass',
    'contacts',
    'supplier',
    'homeStoreId',
    'phone',
    'email',
    'address',
    'tags',
    'consent',
    'attributes',
  ],
  supplier: [
    'legalName',
    'tradeName',
    'taxId',
    'industry',
    'region',
    'sizeClass',
    'contacts',
    'supplier',
    'alsoCustomer',
    'homeStoreId',
    'phone',
    'email',
    'address',
    'tags',
    'consent',
    'attributes',
  ],
};

/** Input of `customers.update`: the fields to change (`null` clears an optional one). */
export const updateCustomerSchema = z
  .object({
    customerId: idSchema,
    /** Refuse the change if someone else changed the record since this version was read. */
    expectVersion: z.number().int().min(1).optional(),
    changes: z
      .object({
        name: nameSchema,
        gender: z.enum(['female', 'male', 'other']).nullable(),
        birthDate: dateSchema.nullable(),
        legalName: nameSchema,
        tradeName: nameSchema.nullable(),
        taxId: organisationFields.taxId,
        industry: shortTextSchema.nullable(),
        region: shortTextSchema.nullable(),
        sizeClass: z.enum(SIZE_CLASSES).nullable(),
        contacts: z.array(contactSchema).max(20),
        supplier: supplierProfileSchema.nullable(),
        alsoCustomer: z.boolean(),
        homeStoreId: codeSchema.nullable(),
        phone: phoneSchema.nullable(),
        email: emailSchema.nullable(),
        address: addressSchema.nullable(),
        tags: z.array(tagSchema).max(50),
        consent: consentSchema,
        attributes: customerAttributesSchema,
      })
      .partial()
      .strict(),
    /** Mark the record as checked with the customer now. */
    verified: z.boolean().optional(),
  })
  .strict();
/** Input of `customers.update`. */
export type UpdateCustomerInput = z.input<typeof updateCustomerSchema>;

/** Fields every kind shares. */
export interface CustomerCommon {
  id: string;
  kind: CustomerKind;
  /** `merged` records point at the survivor in `mergedInto`; `erased` records hold no personal data. */
  status: 'active' | 'merged' | 'erased';
  mergedInto: string | null;
  /** Whether the party buys from the chain and whether it supplies it. */
  roles: { customer: boolean; supplier: boolean };
  /** The name to show: a member's name, an organisation's trade or legal name. */
  displayName: string;
  homeStoreId: string | null;
  phone: string | null;
  email: string | null;
  address: string | null;
  tags: string[];
  consent: Consent;
  attributes: Record<string, JsonValue>;
  /** How complete the file is: a score 0-100 and the expected fields that are missing. */
  completeness: { score: number; missing: string[] };
  /** When staff last checked the record with the customer. */
  lastVerifiedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  /** Increases on every change; pass it back as `expectVersion` to refuse lost updates. */
  version: number;
}

/** An individual member. */
export interface IndividualCustomer extends CustomerCommon {
  kind: 'individual';
  name: string;
  gender: 'female' | 'male' | 'other' | null;
  birthDate: string | null;
}

/** Fields organisations and suppliers share. */
export interface OrganisationFields {
  legalName: string;
  tradeName: string | null;
  taxId: string | null;
  industry: string | null;
  region: string | null;
  sizeClass: (typeof SIZE_CLASSES)[number] | null;
  contacts: Contact[];
  /** Set when the party supplies the chain. */
  supplier: SupplierProfile | null;
}

/** A company or group that buys (and perhaps supplies). */
export interface OrganisationCustomer extends CustomerCommon, OrganisationFields {
  kind: 'organisation';
}

/** A supplier (perhaps also a customer). */
export interface SupplierParty extends CustomerCommon, OrganisationFields {
  kind: 'supplier';
}

/** A customer record of any kind. */
export type Customer = IndividualCustomer | OrganisationCustomer | SupplierParty;

/** Expected fields per kind; missing ones lower `completeness`. */
export type CompletenessRules = Record<CustomerKind, readonly string[]>;

/** The default expectations of a complete file. */
export const DEFAULT_COMPLETENESS: CompletenessRules = {
  individual: ['name', 'phone', 'gender', 'birthDate', 'homeStoreId'],
  organisation: ['legalName', 'taxId', 'industry', 'region', 'sizeClass', 'contacts', 'phone', 'address'],
  supplier: ['legalName', 'taxId', 'region', 'contacts', 'phone', 'address', 'supplier.paymentTermsDays'],
};

/** Input of list queries on customers. */
export const searchCustomersSchema = pageSchema
  .extend({
    phone: phoneSchema.optional(),
    email: emailSchema.optional(),
    /** Matches the start of the normalised name. */
    name: z.string().trim().min(1).max(200).optional(),
    storeId: codeSchema.optional(),
    kind: z.enum(CUSTOMER_KINDS).optional(),
    status: z.enum(['active', 'merged', 'erased']).default('active'),
  })
  .strict();
/** Input of `customers.search`. */
export type SearchCustomersInput = z.input<typeof searchCustomersSchema>;
