/** Input schemas of the case commands: the zod boundary every call passes first. */
import {
  codeSchema,
  emailSchema,
  idSchema,
  instantSchema,
  longTextSchema,
  multiLineTextSchema,
  phoneSchema,
  shortTextSchema,
  singleLineTextSchema,
} from '@clientele/core/module';
import * as z from 'zod';
import {
  AFTER_SALES_REQUESTS,
  CASE_CHANNELS,
  CASE_KINDS,
  NOTHING_OWED_OUTCOMES,
  RULING_DECISIONS,
} from './case-states.js';
import type { ComplaintsConfig } from './config.js';
import { remedyInputSchema } from './remedies.js';
import { MAX_PLACEABLE_MINUTES } from './sla-clock.js';

const noteSchema = multiLineTextSchema(2000);
const caseRef = { caseId: idSchema };

/** An item a case concerns: a product, or a line of the purchase named on the case. */
export const caseItemSchema = z
  .object({
    sku: codeSchema,
    name: shortTextSchema.optional(),
    category: codeSchema.optional(),
    /** The line of the case's purchase, when the item was bought on it. */
    lineNo: z.number().int().min(1).optional(),
    quantity: z.number().positive().max(1_000_000).optional(),
  })
  .strict();

/** Input of `open`. Severity and category are checked against the configuration when the command runs. */
export const openCaseSchema = z
  .object({
    kind: z.enum(CASE_KINDS),
    /** For after-sales cases: what the customer asks for. */
    request: z.enum(AFTER_SALES_REQUESTS).optional(),
    channel: z.enum(CASE_CHANNELS),
    storeId: codeSchema,
    /** The customer; omit for an anonymous shopper and give `contact` instead (or nothing). */
    customerId: idSchema.optional(),
    contact: z
      .object({ name: shortTextSchema.optional(), phone: phoneSchema.optional(), email: emailSchema.optional() })
      .strict()
      .optional(),
    /** The purchase concerned; its buyer becomes the case's customer when none is given. */
    purchaseId: idSchema.optional(),
    items: z.array(caseItemSchema).max(100).default([]),
    /** One of the configured categories (any code when none are configured). */
    category: codeSchema,
    /** One of the configured severities. */
    severity: codeSchema,
    description: longTextSchema,
    /** References to files kept elsewhere (photo ids, URLs). */
    attachments: z.array(singleLineTextSchema(500)).max(20).default([]),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.kind === 'after-sales' && !c.request)
      ctx.addIssue({
        code: 'custom',
        path: ['request'],
        message: 'an after-sales case says whether it asks for repair, return or exchange',
        params: { code: 'required' },
      });
    if (c.kind !== 'after-sales' && c.request)
      ctx.addIssue({
        code: 'custom',
        path: ['request'],
        message: 'only after-sales cases have a request',
        params: { code: 'not_allowed' },
      });
    c.items.forEach((item, i) => {
      if (item.lineNo !== undefined && !c.purchaseId)
        ctx.addIssue({
          code: 'custom',
          path: ['items', i, 'lineNo'],
          message: 'a purchase line needs the case’s purchaseId',
          params: { code: 'required' },
        });
    });
  });

/** Adds the configuration's checks (severities, categories) to a schema whose input carries a case at `at`. */
export function withConfiguredCase<S extends z.ZodType>(
  schema: S,
  config: ComplaintsConfig,
  at: (input: z.output<S>) => { severity: string; category: string },
  prefix: string[] = [],
): S {
  return schema.superRefine((input, ctx) => {
    const c = at(input as z.output<S>);
    if (!config.severities.includes(c.severity))
      ctx.addIssue({
        code: 'custom',
        path: [...prefix, 'severity'],
        message: `severity is one of ${config.severities.join(', ')}`,
        params: { code: 'invalid_value' },
      });
    if (config.categories && !config.categories.includes(c.category))
      ctx.addIssue({
        code: 'custom',
        path: [...prefix, 'category'],
        message: `category is one of ${config.categories.join(', ')}`,
        params: { code: 'invalid_value' },
      });
  }) as S;
}

/** A note on a step. */
export const stepSchema = z.object({ ...caseRef, note: noteSchema.optional() }).strict();
/** A step that needs a reason. */
export const reasonedStepSchema = z.object({ ...caseRef, note: noteSchema }).strict();

/** Input of `propose`. */
export const proposeSchema = z
  .object({
    ...caseRef,
    remedies: z.array(remedyInputSchema).min(1).max(5),
    /** A member of staff with authority for what is above the handler's own limit (a manager at the counter). */
    approverStaffId: codeSchema.optional(),
    note: noteSchema.optional(),
  })
  .strict();

/** Input of `approve` and `decline`. */
export const approvalSchema = z.object({ ...caseRef, note: noteSchema.optional() }).strict();

/** Input of `answer`: the customer accepts or rejects the proposed remedy. */
export const answerSchema = z.object({ ...caseRef, accepted: z.boolean(), note: noteSchema.optional() }).strict();

/** Input of `rule`: the ruling on an after-sales case. */
export const ruleSchema = z
  .object({
    ...caseRef,
    decision: z.enum(RULING_DECISIONS),
    /** Why: required when the request is rejected. */
    reason: noteSchema.optional(),
    /** The refund, or the value of the goods exchanged, or the cost of the repair, in minor units. */
    amount: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    approverStaffId: codeSchema.optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.decision === 'reject' && !r.reason)
      ctx.addIssue({
        code: 'custom',
        path: ['reason'],
        message: 'a rejection states its reason',
        params: { code: 'required' },
      });
    if (r.decision === 'refund' && !r.amount)
      ctx.addIssue({
        code: 'custom',
        path: ['amount'],
        message: 'a refund ruling states the amount',
        params: { code: 'required' },
      });
    if (r.decision === 'reject' && r.amount)
      ctx.addIssue({
        code: 'custom',
        path: ['amount'],
        message: 'a rejection grants nothing',
        params: { code: 'not_allowed' },
      });
  });

/** A supervised execution task: who carries it out, by when. */
export const taskSchema = z
  .object({
    ownerStaffId: codeSchema,
    description: shortTextSchema,
    /** Due in this many business minutes of the store; or give `dueAt`. */
    dueInMinutes: z.number().int().min(1).max(MAX_PLACEABLE_MINUTES).optional(),
    dueAt: instantSchema.optional(),
  })
  .strict()
  .refine((t) => (t.dueInMinutes === undefined) !== (t.dueAt === undefined), {
    message: 'give dueInMinutes or dueAt',
    path: ['dueInMinutes'],
    params: { code: 'one_of' },
  });

/** Input of `execute`. */
export const executeSchema = z
  .object({ ...caseRef, task: taskSchema.optional(), note: noteSchema.optional() })
  .strict();

/** Input of `close`. */
export const closeSchema = z
  .object({
    ...caseRef,
    /** The root cause; required when a complaint or after-sales case closes with a remedy or a ruling. */
    rootCause: codeSchema.optional(),
    /** What was done, for the archive. */
    resolution: noteSchema.optional(),
    /** Closing a complaint with nothing owed, before any remedy: the question was `answered`, or it was `unfounded`. */
    outcome: z.enum(NOTHING_OWED_OUTCOMES).optional(),
    /** Why nothing is owed; required with `outcome`. */
    reason: noteSchema.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.outcome && !c.reason)
      ctx.addIssue({
        code: 'custom',
        path: ['reason'],
        message: 'closing with nothing owed states the reason',
        params: { code: 'required' },
      });
    if (c.reason && !c.outcome)
      ctx.addIssue({
        code: 'custom',
        path: ['outcome'],
        message: 'a reason goes with an outcome (answered or unfounded)',
        params: { code: 'required' },
      });
  });

/** Input of `settleAtCounter`: a complaint opened and settled at once, within the handler's authority. */
export const settleSchema = z
  .object({
    case: openCaseSchema,
    remedies: z.array(remedyInputSchema).min(1).max(5),
    approverStaffId: codeSchema.optional(),
    rootCause: codeSchema,
    resolution: noteSchema.optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.case.kind !== 'complaint')
      ctx.addIssue({
        code: 'custom',
        path: ['case', 'kind'],
        message: 'only complaints are settled at the counter',
        params: { code: 'not_allowed' },
      });
    s.remedies.forEach((r, i) => {
      if (r.type === 'exchange' || r.type === 'repair')
        ctx.addIssue({
          code: 'custom',
          path: ['remedies', i, 'type'],
          message: 'exchanges and repairs are supervised tasks; open the case and execute it instead',
          params: { code: 'not_allowed' },
        });
    });
  });

/** Input of the list query. */
export const listCasesSchema = z
  .object({
    /** Open cases (the default), closed ones, or all. */
    status: z.enum(['open', 'closed', 'all']).default('open'),
    storeId: codeSchema.optional(),
    customerId: idSchema.optional(),
    limit: z.number().int().min(1).max(1000).default(50),
    after: z.string().min(1).max(2000).nullish(),
  })
  .strict();

/** Input of `complaints.open`. */
export type OpenCaseInput = z.input<typeof openCaseSchema>;
/** Input of `complaints.settleAtCounter`. */
export type SettleAtCounterInput = z.input<typeof settleSchema>;
/** Input of a step on a case with an optional note (`acknowledge`, `investigate`, `mediate`, `completeTask`, ...). */
export type CaseStepInput = z.input<typeof stepSchema>;
/** Input of a step on a case that needs a note (`explain`, `appeal`, `escalate`, `reopen`, `pause`). */
export type ReasonedStepInput = z.input<typeof reasonedStepSchema>;
/** Input of `complaints.propose`. */
export type ProposeInput = z.input<typeof proposeSchema>;
/** Input of `complaints.approve` and `complaints.decline`. */
export type ApprovalInput = z.input<typeof approvalSchema>;
/** Input of `complaints.answer`. */
export type AnswerInput = z.input<typeof answerSchema>;
/** Input of `complaints.rule`. */
export type RulingInput = z.input<typeof ruleSchema>;
/** Input of `complaints.execute`. */
export type ExecuteInput = z.input<typeof executeSchema>;
/** Input of `complaints.close`. */
export type CloseCaseInput = z.input<typeof closeSchema>;
/** Filters of `complaints.list`. */
export type ListCasesInput = z.input<typeof listCasesSchema>;
