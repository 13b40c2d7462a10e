/**
 * How each read of Clientele is called over HTTP: its positional arguments, named as request fields.
 * Commands need no entry (each takes one input object, described by the schema it registers); reads
 * take positional arguments that the registry does not describe, so they are listed here, and a test
 * walks `crm` to find any read that is missing. The reads check their arguments themselves; the
 * schemas here name and document the fields (and type query-string values).
 */
import * as z from 'zod';
import { searchCustomersSchema, timelineQuerySchema } from '@clientele/core';
import {
  cardNumberSchema,
  codeSchema,
  idSchema,
  instantSchema,
  minorUnitsSchema,
  pageSchema,
} from '@clientele/core/module';
import { archiveSearchSchema, causeReportSchema, scoresSchema, slaReportSchema } from '@clientele/complaints';
import { basketLineSchema, basketSchema, quoteContextSchema, voucherCodeSchema } from '@clientele/loyalty';
import { boughtTogetherSchema, definitionInputSchema, structureSchema } from '@clientele/segments';

/** A schema of an object, whose fields are each a request field. */
export type ObjectSchema = z.ZodType<Record<string, unknown>> & { readonly shape: Readonly<Record<string, z.ZodType>> };

/** One positional argument: a single request field, or an object whose fields are request fields. */
export type ArgSpec =
  | { readonly field: string; readonly schema: z.ZodType; readonly optional?: boolean }
  | { readonly fields: ObjectSchema };

/** How one read is called. */
export interface ReadSpec {
  /** Its path on `crm`, e.g. `loyalty.vouchers.ofCustomer`. */
  readonly path: string;
  /** Its arguments, in order (the reader's options, for reads that take them, come last and are not listed). */
  readonly args: readonly ArgSpec[];
  /**
   * The permission a caller needs, for reads that check none themselves (settings and reports of
   * totals, which take no reader); reads registered as queries check their own.
   */
  readonly permission?: string;
}

/** A function on `crm` that is not served, and why. */
export interface Exclusion {
  readonly path: string;
  readonly reason: string;
}

/** A public function that runs a registered command of another name (to hash a PIN outside it, say). */
export interface WrapperSpec {
  readonly path: string;
  /** The registered command whose permission and idempotency it has. */
  readonly command: string;
  /** Its input schema, from the registered command's (which the wrapper turns into). */
  input(registered: z.ZodType): z.ZodType;
}

const one = (field: string, schema: z.ZodType, optional = false): ArgSpec =>
  optional ? { field, schema, optional } : { field, schema };
const all = (fields: z.ZodObject): ArgSpec => ({ fields: fields as ObjectSchema });

const customerId = one('customerId', idSchema);
const page = all(pageSchema);
const period = z.object({ at: instantSchema.optional(), storeId: codeSchema.optional() });
const channel = z.enum(['store', 'online', 'phone', 'app']);
const context = z
  .object({ customerId: idSchema, storeId: codeSchema, channel: channel.optional(), at: instantSchema.optional() })
  .strict();
const pin = z.string().regex(/^[0-9]{4,12}$/, 'PINs are 4 to 12 digits');

/**
 * Every read of core and of the modules shipped with Clientele. Each is also written out in
 * `READ_WIRE` (read-wire.ts), which the client sends by; a test fails until the two agree.
 */
export const READS: readonly ReadSpec[] = [
  { path: 'customers.get', args: [customerId] },
  { path: 'customers.search', args: [all(searchCustomersSchema)] },
  { path: 'customers.history', args: [customerId, page] },
  {
    path: 'customers.needingReview',
    args: [
      all(
        pageSchema.extend({
          unverifiedForDays: z.number().int().min(1).optional(),
          incomplete: z.boolean().optional(),
          storeId: codeSchema.optional(),
        }),
      ),
    ],
  },
  { path: 'customers.duplicatesOf', args: [customerId] },
  {
    path: 'customers.findDuplicates',
    args: [all(z.object({ storeId: codeSchema.optional(), limit: z.number().int().min(1).max(10_000).optional() }))],
  },
  { path: 'customers.listMerges', args: [all(pageSchema.extend({ customerId: idSchema.optional() }))] },
  { path: 'cards.get', args: [one('number', cardNumberSchema)] },
  { path: 'cards.lookup', args: [one('number', cardNumberSchema)] },
  { path: 'cards.ofCustomer', args: [customerId] },
  { path: 'purchases.get', args: [one('purchaseId', idSchema)] },
  {
    path: 'purchases.byReceipt',
    args: [one('storeId', codeSchema), one('terminalId', codeSchema), one('receiptNo', codeSchema)],
  },
  { path: 'purchases.ofCustomer', args: [customerId, page] },
  { path: 'purchases.returnsOf', args: [one('purchaseId', idSchema)] },
  { path: 'interactions.list', args: [customerId, page] },
  { path: 'timeline', args: [customerId, all(timelineQuerySchema)] },
  { path: 'stores.get', args: [one('storeId', codeSchema)], permission: 'stores.read' },
  { path: 'stores.list', args: [all(pageSchema.extend({ region: z.string().optional() }))], permission: 'stores.read' },
  { path: 'stores.calendar', args: [one('storeId', codeSchema)], permission: 'stores.read' },
  { path: 'roles.get', args: [one('roleId', codeSchema)], permission: 'staff.read' },
  { path: 'staff.get', args: [one('staffId', codeSchema)], permission: 'staff.read' },
  { path: 'staff.list', args: [all(pageSchema.extend({ storeId: codeSchema.optional() }))], permission: 'staff.read' },
  {
    path: 'staff.authorityFor',
    args: [
      one(
        'actor',
        z.union([z.object({ staffId: idSchema }).strict(), z.object({ system: z.string().min(1).max(64) }).strict()]),
      ),
      one('action', z.string().regex(/^[a-z][a-z-]*$/)),
      one('amount', minorUnitsSchema),
    ],
    permission: 'staff.read',
  },
  {
    path: 'audit.list',
    args: [
      all(
        pageSchema.extend({
          customerId: idSchema.optional(),
          command: z.string().optional(),
          outcome: z.enum(['ok', 'refused', 'read']).optional(),
        }),
      ),
    ],
  },

  {
    path: 'loyalty.quote',
    args: [one('basket', basketSchema), one('context', quoteContextSchema)],
    permission: 'loyalty.read',
  },
  { path: 'loyalty.contextFor', args: [all(context)] },
  { path: 'loyalty.quoteFor', args: [one('context', context), one('basket', basketSchema)] },
  { path: 'loyalty.balance', args: [customerId] },
  {
    path: 'loyalty.statement',
    args: [customerId, all(pageSchema.extend({ from: instantSchema.optional(), to: instantSchema.optional() }))],
  },
  { path: 'loyalty.expirySchedule', args: [customerId] },
  { path: 'loyalty.liability', args: [all(period)], permission: 'loyalty.reports' },
  { path: 'loyalty.saleAward', args: [one('purchaseId', idSchema)] },
  {
    path: 'loyalty.previewReturn',
    args: [
      all(
        z.object({
          purchaseId: idSchema,
          lines: z
            .array(z.object({ lineNo: z.number().int().min(1), quantity: z.number().positive() }).strict())
            .min(1)
            .max(1000),
        }),
      ),
    ],
  },
  { path: 'loyalty.tierProgress', args: [customerId] },
  { path: 'loyalty.vouchers.template', args: [one('templateId', codeSchema)], permission: 'loyalty.vouchers.read' },
  { path: 'loyalty.vouchers.templates', args: [], permission: 'loyalty.vouchers.read' },
  {
    path: 'loyalty.vouchers.eligible',
    args: [
      all(
        z.object({
          customerId: idSchema,
          storeId: codeSchema,
          basket: z.object({ lines: z.array(basketLineSchema).min(1).max(1000) }).strict(),
          at: instantSchema.optional(),
        }),
      ),
    ],
  },
  { path: 'loyalty.vouchers.lookup', args: [one('code', voucherCodeSchema)] },
  { path: 'loyalty.vouchers.get', args: [one('voucherId', idSchema)] },
  {
    path: 'loyalty.vouchers.ofCustomer',
    args: [
      customerId,
      all(pageSchema.extend({ status: z.enum(['active', 'held', 'redeemed', 'expired', 'cancelled']).optional() })),
    ],
  },
  { path: 'loyalty.vouchers.history', args: [one('voucherId', idSchema)] },
  {
    path: 'loyalty.storedValue.product',
    args: [one('productId', codeSchema)],
    permission: 'loyalty.stored-value.read',
  },
  { path: 'loyalty.storedValue.card', args: [one('cardNumber', cardNumberSchema)] },
  { path: 'loyalty.storedValue.statement', args: [one('cardNumber', cardNumberSchema), page] },
  { path: 'loyalty.storedValue.ofCustomer', args: [customerId] },
  { path: 'loyalty.storedValue.liability', args: [all(period)], permission: 'loyalty.reports' },

  { path: 'complaints.get', args: [one('caseId', idSchema)] },
  { path: 'complaints.byNumber', args: [one('caseNo', z.string())] },
  {
    path: 'complaints.list',
    args: [
      all(
        pageSchema.extend({
          status: z.enum(['open', 'closed', 'all']).optional(),
          storeId: codeSchema.optional(),
          customerId: idSchema.optional(),
        }),
      ),
    ],
  },
  { path: 'complaints.history', args: [one('caseId', idSchema)] },
  { path: 'complaints.archive.search', args: [all(archiveSearchSchema)] },
  { path: 'complaints.reports.sla', args: [all(slaReportSchema)], permission: 'complaints.read' },
  { path: 'complaints.reports.causes', args: [all(causeReportSchema)], permission: 'complaints.read' },
  { path: 'complaints.actions.get', args: [one('actionId', idSchema)] },
  {
    path: 'complaints.actions.list',
    args: [
      all(
        pageSchema.extend({
          status: z.enum(['open', 'done', 'verified', 'cancelled']).optional(),
          storeId: codeSchema.optional(),
          caseId: idSchema.optional(),
        }),
      ),
    ],
  },
  { path: 'complaints.surveys.questionnaires', args: [], permission: 'surveys.read' },
  {
    path: 'complaints.surveys.invitations',
    args: [
      all(
        pageSchema.extend({
          customerId: idSchema.optional(),
          status: z.enum(['open', 'answered', 'expired']).optional(),
        }),
      ),
    ],
  },
  { path: 'complaints.surveys.scores', args: [all(scoresSchema)], permission: 'surveys.read' },
  {
    path: 'complaints.surveys.satisfaction',
    args: [customerId, all(z.object({ limit: z.number().int().min(1).max(500).optional() }))],
  },

  { path: 'segments.get', args: [one('segmentId', codeSchema)], permission: 'segments.read' },
  { path: 'segments.list', args: [], permission: 'segments.read' },
  {
    path: 'segments.match',
    args: [one('definition', definitionInputSchema), all(z.object({ mode: z.enum(['pushdown', 'scan']).optional() }))],
  },
  { path: 'segments.members', args: [one('segmentId', codeSchema), page] },
  { path: 'segments.segmentsOf', args: [customerId] },
  { path: 'segments.policyFor', args: [customerId] },
  { path: 'segments.stats', args: [customerId] },
  { path: 'segments.atRisk', args: [all(z.object({ limit: z.number().int().min(1).max(10_000).optional() }))] },
  {
    path: 'segments.distribution',
    args: [one('by', z.enum(['rfmGroup', 'valueClass', 'volumeClass']))],
    permission: 'segments.read',
  },
  { path: 'segments.credit.check', args: [customerId, one('amount', minorUnitsSchema)] },
  { path: 'segments.credit.status', args: [customerId] },
  { path: 'segments.credit.ledger', args: [customerId] },
  { path: 'segments.keyAccounts.due', args: [one('now', instantSchema, true)] },
  { path: 'segments.keyAccounts.get', args: [customerId] },
  { path: 'segments.reports.structure', args: [all(structureSchema)], permission: 'segments.read' },
  {
    path: 'segments.recommendations.boughtTogether',
    args: [all(boughtTogetherSchema)],
    permission: 'segments.read',
  },
  {
    path: 'segments.recommendations.nextCategories',
    args: [customerId, all(z.object({ limit: z.number().int().min(1).max(100).optional() }))],
  },

  { path: 'webhooks.endpoints', args: [] },
  {
    path: 'webhooks.deliveries',
    args: [
      all(
        pageSchema.extend({
          endpointId: idSchema.optional(),
          status: z.enum(['pending', 'delivered', 'dead']).optional(),
        }),
      ),
    ],
  },
];

/** Public functions that run a registered command under another name. */
export const WRAPPERS: readonly WrapperSpec[] = [
  { path: 'loyalty.storedValue.sell', command: 'loyalty.stored-value.sell', input: (s) => s },
  {
    path: 'loyalty.storedValue.authorize',
    command: 'loyalty.stored-value.authorize',
    input: (s) => withPin(s),
  },
  { path: 'loyalty.storedValue.spend', command: 'loyalty.stored-value.spend', input: (s) => withPin(s) },
  {
    path: 'loyalty.storedValue.setPin',
    command: 'loyalty.stored-value.set-pin',
    input: () => z.object({ cardNumber: cardNumberSchema, pin }).strict(),
  },
];

/** The public input of a payment that takes the card's PIN: the registered one has a stamp of the check instead. */
function withPin(registered: z.ZodType): z.ZodType {
  if (!(registered instanceof z.ZodObject)) return registered;
  return registered
    .omit({ stamp: true } as never)
    .extend({ pin: pin.optional() })
    .strict();
}

/** Functions on `crm` that are not served over HTTP. */
export const EXCLUDED: readonly Exclusion[] = [
  { path: 'migrate', reason: 'the host migrates at start' },
  { path: 'runDue', reason: "the host's scheduler runs due work" },
  { path: 'close', reason: 'the host closes the store' },
  { path: 'commands', reason: 'described by the OpenAPI document instead' },
  { path: 'queries', reason: 'described by the OpenAPI document instead' },
  { path: 'complaints.runDue', reason: "the host's scheduler runs due work" },
  { path: 'segments.rebuild', reason: "a long task with progress and cancelling: run it from the host's scheduler" },
  { path: 'segments.forModules.segmentsOf', reason: "modules' reads inside a transaction" },
  { path: 'segments.forModules.policyFor', reason: "modules' reads inside a transaction" },
  { path: 'loyalty.explain', reason: 'formats a quote the caller already holds' },
  { path: 'imports.checkCustomers', reason: "a bulk import's dry run: the clientele command or the host runs it" },
  { path: 'imports.checkSales', reason: "a bulk import's dry run: the clientele command or the host runs it" },
  { path: 'loyalty.imports.checkPoints', reason: "a bulk import's dry run: the clientele command or the host runs it" },
  {
    path: 'loyalty.imports.checkStoredValue',
    reason: "a bulk import's dry run: the clientele command or the host runs it",
  },
  { path: 'loyalty.storedValue.isCardNumber', reason: 'a pure check of a number the caller can make itself' },
  { path: 'apiKeys.create', reason: 'keys are made by the host, so a key cannot make a stronger one' },
  { path: 'apiKeys.revoke', reason: 'keys are revoked by the host' },
  { path: 'apiKeys.list', reason: 'keys are listed by the host' },
  { path: 'apiKeys.get', reason: 'keys are read by the host' },
  { path: 'apiKeys.check', reason: 'checks the key of every request' },
];
