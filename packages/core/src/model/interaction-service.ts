/** The shared interaction log and the customer timeline every department reads. */
import * as z from 'zod';
import type { CommandOptions, Kernel, QueryOptions } from '../runtime/module.js';
import { timeline as timelineCollection } from '../runtime/collections.js';
import { defineCollection, field, nullable, type RowOf } from '../store/schema.js';
import {
  codeSchema,
  idSchema,
  instantSchema,
  longTextSchema,
  pageSchema,
  parseInput,
  type PageInput,
} from '../validation.js';
import { resolveActiveCustomer } from './core-reads.js';
import type { ResultPage } from './customer-service.js';
import { NotFoundError } from '../errors.js';
import { storesCollection } from './organisation-collections.js';
import { customersCollection } from './customer-collections.js';
import { renderTimelineSummary, TIMELINE_LOCALES, type TimelineTexts } from './timeline-text.js';

/** Channels an interaction happens on. */
export const INTERACTION_CHANNELS = ['counter', 'phone', 'web', 'visit', 'letter', 'messaging'] as const;

/** Contacts with a customer, logged by any department. */
export const interactionsCollection = defineCollection({
  name: 'interactions',
  primaryKey: 'id',
  fields: {
    id: field.string(),
    customerId: field.string(),
    at: field.timestamp(),
    channel: field.string(),
    kind: field.string(),
    summary: field.string(),
    staffId: nullable(field.string()),
    storeId: nullable(field.string()),
    refType: nullable(field.string()),
    refId: nullable(field.string()),
    createdAt: field.timestamp(),
  },
  indexes: [{ name: 'interactions_customer_at', fields: ['customerId', 'at'] }],
  customerKey: 'customerId',
  personal: ['summary'],
  plain: ['channel', 'kind', 'staffId', 'storeId', 'refType', 'refId'],
});

/** A logged interaction. */
export type Interaction = RowOf<typeof interactionsCollection>;
/** A timeline entry. */
export type TimelineEntry = Omit<RowOf<typeof timelineCollection>, never>;

/** Input of `interactions.log`. */
export const logInteractionSchema = z
  .object({
    customerId: idSchema,
    channel: z.enum(INTERACTION_CHANNELS),
    /** What it was about: `inquiry`, `feedback`, `complaint`, `visit`, `reminder`, ... */
    kind: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'kinds are lower-case words'),
    summary: longTextSchema,
    /** When it happened (default: now). */
    at: instantSchema.optional(),
    storeId: codeSchema.optional(),
    /** A related record, e.g. `{ type: 'purchase', id }`. */
    related: z
      .object({ type: z.string().regex(/^[a-z][a-z-]{0,39}$/), id: idSchema })
      .strict()
      .optional(),
  })
  .strict();
/** Input of `interactions.log`. */
export type LogInteractionInput = z.input<typeof logInteractionSchema>;

/** Input of `timeline`. */
export const timelineQuerySchema = pageSchema
  .extend({
    /** Only entries from these sources (`customers`, `cards`, `purchases`, `interactions`, a module's name). */
    sources: z.array(z.string().min(1).max(40)).max(20).optional(),
    /** The language of each entry's `summary` (default `en`). */
    locale: z.enum(TIMELINE_LOCALES).optional(),
  })
  .strict();
/** Filters of `crm.timeline`: a page, the sources to show, and the language of the lines. */
export type TimelineQueryInput = z.input<typeof timelineQuerySchema>;

/**
 * `crm.interactions`: the shared log of contacts with a customer, on any channel. Logging needs
 * `interactions.write`; reading needs `customers.read`.
 */
export interface InteractionsService {
  /** Logs a contact with a customer; it shows on their timeline too. */
  log(input: LogInteractionInput, options: CommandOptions): Promise<Interaction>;
  /** A customer's interactions, newest first. */
  list(customerId: string, options: QueryOptions): Promise<ResultPage<Interaction>>;
  /** A page of a customer's interactions, newest first. */
  list(customerId: string, page: PageInput | undefined, options: QueryOptions): Promise<ResultPage<Interaction>>;
}

/** Builds the interaction log and timeline. */
export function createInteractionService(kernel: Kernel, settings: { texts: () => TimelineTexts }) {
  const log = kernel.command({
    name: 'interactions.log',
    input: logInteractionSchema,
    permission: 'interactions.write',
    idempotency: 'optional',
    async run(ctx, input) {
      const customer = await resolveActiveCustomer(ctx.tx, input.customerId, { path: ['customerId'] });
      if (input.storeId && !(await ctx.tx.get(storesCollection, input.storeId)))
        throw new NotFoundError('store', input.storeId, { path: ['storeId'] });
      const storeId = input.storeId ?? (ctx.actor.kind === 'staff' ? ctx.actor.storeId : null);
      const row = await ctx.tx.insert(interactionsCollection, {
        id: ctx.id('int'),
        customerId: customer.id,
        at: input.at ?? ctx.now,
        channel: input.channel,
        kind: input.kind,
        summary: input.summary,
        staffId: ctx.actor.kind === 'staff' ? ctx.actor.staffId : null,
        storeId,
        refType: input.related?.type ?? null,
        refId: input.related?.id ?? null,
        createdAt: ctx.now,
      });
      ctx.audit({ type: 'interaction', id: row.id, customerId: customer.id }, { channel: row.channel, kind: row.kind });
      await ctx.addTimeline({
        customerId: customer.id,
        at: row.at,
        source: 'interactions',
        kind: row.kind,
        facts: { channel: row.channel },
        summary: row.summary,
        storeId,
        ref: { type: 'interaction', id: row.id },
      });
      await ctx.emit(
        'interaction.logged',
        { interactionId: row.id, customerId: customer.id, channel: row.channel, kind: row.kind },
        { customerId: customer.id },
      );
      return row;
    },
  });

  async function list(customerId: string, page: PageInput = {}): Promise<ResultPage<Interaction>> {
    const id = parseInput(idSchema, customerId, ['customerId']);
    const q = parseInput(pageSchema, page);
    const result = await kernel.store.find(interactionsCollection, {
      where: { customerId: id },
      orderBy: [
        { field: 'at', direction: 'desc' },
        { field: 'id', direction: 'desc' },
      ],
      limit: q.limit,
      after: q.after ?? null,
    });
    return { items: result.rows, next: result.next };
  }

  /**
   * Everything that happened to a customer, from every module, newest first, paged. Entries of a
   * merged record moved to the survivor with the merge. Each line is written in the reader's language
   * from the facts its entry recorded.
   */
  async function timeline(customerId: string, query: TimelineQueryInput = {}): Promise<ResultPage<TimelineEntry>> {
    const id = parseInput(idSchema, customerId, ['customerId']);
    const q = parseInput(timelineQuerySchema, query);
    if (!(await kernel.store.get(customersCollection, id)))
      throw new NotFoundError('customer', id, { path: ['customerId'] });
    const result = await kernel.store.find(timelineCollection, {
      where: { customerId: id, ...(q.sources ? { source: { in: q.sources } } : {}) },
      orderBy: [
        { field: 'at', direction: 'desc' },
        { field: 'id', direction: 'desc' },
      ],
      limit: q.limit,
      after: q.after ?? null,
    });
    const texts = settings.texts();
    const locale = q.locale ?? 'en';
    const items = result.rows.map((row) => ({ ...row, summary: renderTimelineSummary(row, texts, locale) }));
    return { items, next: result.next };
  }

  return {
    log,
    list: kernel.query({
      name: 'interactions.list',
      permission: 'customers.read',
      reads: (_page, [customerId]) => [customerId],
      run: list,
    }),
    timeline: kernel.query({
      name: 'timeline',
      permission: 'customers.read',
      reads: (_page, [customerId]) => [customerId],
      run: timeline,
    }),
  };
}
