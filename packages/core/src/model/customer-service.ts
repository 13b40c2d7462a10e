/**
 * Customer commands and queries: register, update with history, verify, search, review lists,
 * duplicates and merge.
 */
import * as z from 'zod';
import { InvalidStateError, NotFoundError, ValidationError, invalid } from '../errors.js';
import { actorRef } from '../runtime/actor.js';
import type { CommandContext, CommandOptions, Kernel, ModuleInstance, QueryOptions } from '../runtime/module.js';
import { encodeCursor, isValidValue } from '../store/query.js';
import { scan } from '../store/bulk.js';
import { mustGet } from '../store/must-get.js';
import type { Page, StoreSession, TransactionSession } from '../store/port.js';
import type { JsonValue } from '../store/schema.js';
import { codeSchema, idSchema, pageSchema, parseInput, shortTextSchema, type PageInput } from '../validation.js';
import { customerHistoryCollection, customerMergesCollection, customersCollection } from './customer-collections.js';
import {
  columnsOf,
  diffFields,
  fieldsOfRow,
  nameKey,
  toCustomer,
  type CustomerRow,
  type FieldChange,
  type ProfileFields,
} from './customer-record.js';
import {
  registerCustomerSchema,
  searchCustomersSchema,
  UPDATABLE_FIELDS,
  updateCustomerSchema,
  type CompletenessRules,
  type Customer,
  type CustomerKind,
  type RegisterCustomerInput,
  type SearchCustomersInput,
  type UpdateCustomerInput,
} from './customer-schemas.js';
import { duplicateReasons, type DuplicateReason } from './duplicates.js';
import { storesCollection } from './organisation-collections.js';
import { millisecondsInDay } from 'date-fns/constants';

const verifyCustomerSchema = z.object({ customerId: idSchema }).strict();
/** Input of `customers.verify`. */
export type VerifyCustomerInput = z.input<typeof verifyCustomerSchema>;

const mergeCustomersSchema = z
  .object({
    /** The record that stays. */
    survivorId: idSchema,
    /** The duplicate, merged into the survivor. */
    mergedId: idSchema,
    /** Why they are one party, for the audit and the merge list. */
    reason: shortTextSchema,
  })
  .strict()
  .refine((v) => v.survivorId !== v.mergedId, {
    path: ['mergedId'],
    message: 'a customer cannot be merged into itself',
  });
/** Input of `customers.merge`. */
export type MergeCustomersInput = z.input<typeof mergeCustomersSchema>;

const reviewListSchema = pageSchema
  .extend({
    /** List files not verified for this many days (or never). */
    unverifiedForDays: z.number().int().min(0).max(36_500).optional(),
    /** List files with expected fields missing. Default true. */
    incomplete: z.boolean().default(true),
    /** Only customers whose home store is this one. */
    storeId: codeSchema.optional(),
  })
  .strict();
/** Filters of `customers.needingReview`. */
export type ReviewListInput = z.input<typeof reviewListSchema>;

const findDuplicatesSchema = z
  .object({
    /** Only records whose home store is this one. */
    storeId: codeSchema.optional(),
    /** At most this many pairs. */
    limit: z.number().int().min(1).max(10_000).default(500),
  })
  .strict();
/** Filters of `customers.findDuplicates`. */
export type FindDuplicatesInput = z.input<typeof findDuplicatesSchema>;

const listMergesSchema = pageSchema
  .extend({
    /** Only the merges into this survivor. */
    customerId: idSchema.optional(),
  })
  .strict();
/** Filters of `customers.listMerges`. */
export type ListMergesInput = z.input<typeof listMergesSchema>;

/** Collections a merge never rewrites: they record past facts as they were. */
export const MERGE_KEEPS = new Set(['customers', 'audit_log', 'outbox', 'idempotency_keys', 'customer_merges']);

/** A page of results. */
export type ResultPage<T> = { items: T[]; next: string | null };

/** One entry of a customer's profile history. */
export interface HistoryEntry {
  id: string;
  customerId: string;
  at: Date;
  actor: JsonValue;
  command: string;
  changes: FieldChange[];
}

/** A likely duplicate of a customer, with the reasons. */
export interface DuplicateMatch {
  customer: Customer;
  reasons: DuplicateReason[];
}

/** A pair of records that look like one party. */
export interface DuplicatePair {
  a: string;
  b: string;
  reasons: DuplicateReason[];
}

/** A record of a merge. */
export interface MergeRecord {
  id: string;
  survivorId: string;
  mergedId: string;
  at: Date;
  actor: JsonValue;
  reason: string;
  /** Rows moved to the survivor, per collection. */
  moved: Record<string, number>;
}

/** A customer whose file needs attention, and why. */
export interface ReviewItem {
  customer: Customer;
  missing: string[];
  /** Days since staff last verified the record (`null`: never). */
  daysSinceVerified: number | null;
}

/** Settings of the customer service. */
export interface CustomerServiceSettings {
  completeness: CompletenessRules;
  /** The retailer's schema for `attributes`. */
  attributes: z.ZodType<Record<string, unknown>>;
  /** Module instances, for merges they handle themselves. */
  modules: () => ReadonlyArray<ModuleInstance<unknown>>;
}

/** "an individual", "a supplier": a customer kind as the refusal of a merge names it. */
function withArticle(kind: CustomerRow['kind']): string {
  return `a${kind === 'individual' ? 'n' : ''} ${kind}`;
}

function loadRow(session: StoreSession, id: string, path: Array<string | number>): Promise<CustomerRow> {
  return mustGet(session, customersCollection, id, 'customer', { path });
}

async function requireStore(
  session: StoreSession,
  storeId: string | null | undefined,
  path: Array<string | number>,
): Promise<void> {
  if (storeId && !(await session.get(storesCollection, storeId))) throw new NotFoundError('store', storeId, { path });
}

function checkJson(value: unknown, path: Array<string | number>): void {
  if (!isValidValue({ kind: 'json', nullable: true }, value))
    throw invalid(path, 'not_json', 'attribute values must be plain JSON');
}

/**
 * `crm.customers`: members, organisations and suppliers in one record; their profile history, the
 * files that need attention, likely duplicates and merges. Commands need `customers.write`
 * (`customers.merge` to merge), reads `customers.read`.
 */
export interface CustomersService {
  /** Registers a member, organisation or supplier and records the first history entry. */
  register(input: RegisterCustomerInput, options: CommandOptions): Promise<Customer>;
  /** Changes fields; records each field's before and after, with who and when. */
  update(input: UpdateCustomerInput, options: CommandOptions): Promise<Customer>;
  /** Marks the record as checked with the customer now. */
  verify(input: VerifyCustomerInput, options: CommandOptions): Promise<Customer>;
  /** Merges a duplicate into a survivor: every reference moves, the merge is audited and listed. */
  merge(input: MergeCustomersInput, options: CommandOptions): Promise<MergeRecord>;
  /** A customer by id (a merged record is returned as it is; see `mergedInto`). */
  get(customerId: string, options: QueryOptions): Promise<Customer>;
  /** Active customers, a page at a time. */
  search(options: QueryOptions): Promise<ResultPage<Customer>>;
  /** Active customers by phone, email, name prefix, home store or kind. */
  search(filters: SearchCustomersInput | undefined, options: QueryOptions): Promise<ResultPage<Customer>>;
  /** The profile history of a customer, newest first. */
  history(customerId: string, options: QueryOptions): Promise<ResultPage<HistoryEntry>>;
  /** A page of the profile history of a customer, newest first. */
  history(customerId: string, page: PageInput | undefined, options: QueryOptions): Promise<ResultPage<HistoryEntry>>;
  /** Files with expected fields missing, oldest id first. */
  needingReview(options: QueryOptions): Promise<ResultPage<ReviewItem>>;
  /** Files that are incomplete or not verified for a number of days (either), oldest id first. */
  needingReview(filters: ReviewListInput | undefined, options: QueryOptions): Promise<ResultPage<ReviewItem>>;
  /** Likely duplicates of one customer, most reasons first. */
  duplicatesOf(customerId: string, options: QueryOptions): Promise<DuplicateMatch[]>;
  /** Likely duplicate pairs across the customer base. */
  findDuplicates(options: QueryOptions): Promise<DuplicatePair[]>;
  /** Likely duplicate pairs across the customer base or in one store. */
  findDuplicates(filters: FindDuplicatesInput | undefined, options: QueryOptions): Promise<DuplicatePair[]>;
  /** Audited merges, newest first. */
  listMerges(options: QueryOptions): Promise<ResultPage<MergeRecord>>;
  /** Audited merges, newest first: of one survivor, or all. */
  listMerges(filters: ListMergesInput | undefined, options: QueryOptions): Promise<ResultPage<MergeRecord>>;
}

/** Builds the customer service. */
export function createCustomerService(kernel: Kernel, settings: CustomerServiceSettings): CustomersService {
  const { completeness } = settings;

  function parseAttributes(value: unknown): Record<string, JsonValue> {
    const parsed = parseInput(settings.attributes, value ?? {}, ['attributes']);
    checkJson(parsed, ['attributes']);
    return parsed as Record<string, JsonValue>;
  }

  async function writeHistory(ctx: CommandContext, customerId: string, changes: FieldChange[]): Promise<void> {
    if (changes.length === 0) return;
    await ctx.tx.insert(customerHistoryCollection, {
      id: ctx.id('chg'),
      customerId,
      at: ctx.now,
      actor: actorRef(ctx.actor) as JsonValue,
      command: ctx.command,
      changes,
    });
  }

  const register = kernel.command({
    name: 'customers.register',
    input: registerCustomerSchema,
    permission: 'customers.write',
    idempotency: 'optional',
    async run(ctx, input) {
      const { kind, verified, ...rest } = input;
      const fields: ProfileFields = {};
      for (const [k, v] of Object.entries(rest)) if (v !== undefined) fields[k] = v as JsonValue;
      fields['attributes'] = parseAttributes(input.attributes);
      if (kind === 'supplier') fields['supplier'] = (input.supplier ?? { categories: [] }) as JsonValue;
      await requireStore(ctx.tx, input.homeStoreId, ['homeStoreId']);
      const id = ctx.id('cus');
      const row = await ctx.tx.insert(customersCollection, {
        id,
        ...columnsOf(kind, fields, completeness),
        status: 'active',
        mergedInto: null,
        lastVerifiedAt: verified ? ctx.now : null,
        createdAt: ctx.now,
        updatedAt: ctx.now,
      });
      await writeHistory(ctx, id, diffFields({}, fieldsOfRow(row)));
      ctx.audit({ type: 'customer', id, customerId: id }, { kind });
      await ctx.addTimeline({
        customerId: id,
        source: 'customers',
        kind: 'registered',
        facts: { customerKind: kind },
        storeId: row.homeStoreId,
        ref: { type: 'customer', id },
      });
      await ctx.emit('customer.registered', { customerId: id, kind, homeStoreId: row.homeStoreId }, { customerId: id });
      return toCustomer(row);
    },
  });

  const update = kernel.command({
    name: 'customers.update',
    input: updateCustomerSchema,
    permission: 'customers.write',
    idempotency: 'optional',
    async run(ctx, input) {
      const row = await loadRow(ctx.tx, input.customerId, ['customerId']);
      if (row.status !== 'active')
        throw new InvalidStateError(`customer ${row.id} is ${row.status}`, { path: ['customerId'] });
      const kind = row.kind as CustomerKind;
      const allowed = UPDATABLE_FIELDS[kind];
      const issues = Object.keys(input.changes)
        .filter((k) => !allowed.includes(k))
        .map((k) => ({
          path: ['changes', k],
          code: 'not_for_kind',
          message: `${k} is not a field of a${kind === 'individual' ? 'n' : ''} ${kind}`,
        }));
      if (issues.length) throw new ValidationError(issues);
      const before = fieldsOfRow(row);
      const after: ProfileFields = { ...before };
      for (const [k, v] of Object.entries(input.changes)) if (v !== undefined) after[k] = v as JsonValue;
      if (input.changes.attributes !== undefined) after['attributes'] = parseAttributes(input.changes.attributes);
      await requireStore(ctx.tx, input.changes.homeStoreId, ['changes', 'homeStoreId']);
      const changes = diffFields(before, after);
      const verifiedPatch = input.verified ? { lastVerifiedAt: ctx.now } : {};
      if (changes.length === 0 && !input.verified) return toCustomer(row);
      const next = await ctx.tx.update(
        customersCollection,
        row.id,
        { ...columnsOf(kind, after, completeness), ...verifiedPatch, updatedAt: ctx.now },
        input.expectVersion === undefined ? {} : { expectVersion: input.expectVersion },
      );
      const recorded = input.verified
        ? [
            ...changes,
            {
              field: 'lastVerifiedAt',
              before: row.lastVerifiedAt?.toISOString() ?? null,
              after: ctx.now.toISOString(),
            },
          ]
        : changes;
      await writeHistory(ctx, row.id, recorded);
      ctx.audit({ type: 'customer', id: row.id, customerId: row.id }, { fields: recorded.map((c) => c.field) });
      if (changes.length) {
        await ctx.addTimeline({
          customerId: row.id,
          source: 'customers',
          kind: 'profile-updated',
          facts: { fields: changes.map((c) => c.field).join(', ') },
          ref: { type: 'customer', id: row.id },
        });
        await ctx.emit(
          'customer.updated',
          { customerId: row.id, fields: changes.map((c) => c.field) },
          { customerId: row.id },
        );
      }
      return toCustomer(next);
    },
  });

  const verify = kernel.command({
    name: 'customers.verify',
    input: verifyCustomerSchema,
    permission: 'customers.write',
    idempotency: 'optional',
    async run(ctx, input) {
      const row = await loadRow(ctx.tx, input.customerId, ['customerId']);
      if (row.status !== 'active')
        throw new InvalidStateError(`customer ${row.id} is ${row.status}`, { path: ['customerId'] });
      const next = await ctx.tx.update(customersCollection, row.id, { lastVerifiedAt: ctx.now, updatedAt: ctx.now });
      await writeHistory(ctx, row.id, [
        { field: 'lastVerifiedAt', before: row.lastVerifiedAt?.toISOString() ?? null, after: ctx.now.toISOString() },
      ]);
      ctx.audit({ type: 'customer', id: row.id, customerId: row.id });
      await ctx.emit('customer.verified', { customerId: row.id }, { customerId: row.id });
      return toCustomer(next);
    },
  });

  async function moveRows(
    tx: TransactionSession,
    from: string,
    to: string,
    skip: ReadonlySet<string>,
  ): Promise<Record<string, number>> {
    const moved: Record<string, number> = {};
    for (const collection of kernel.collections) {
      const key = collection.customerKey;
      if (!key || MERGE_KEEPS.has(collection.name) || skip.has(collection.name)) continue;
      let count = 0;
      // Re-query the first page each time: the rows updated leave the filter.
      for (;;) {
        const page = await tx.find(collection, { where: { [key]: from }, limit: 500 });
        if (page.rows.length === 0) break;
        for (const row of page.rows) {
          await tx.update(collection, row[collection.primaryKey] as string, { [key]: to });
          count++;
        }
      }
      if (count) moved[collection.name] = count;
    }
    return moved;
  }

  const merge = kernel.command({
    name: 'customers.merge',
    input: mergeCustomersSchema,
    permission: 'customers.merge',
    idempotency: 'optional',
    async run(ctx, input) {
      const survivor = await loadRow(ctx.tx, input.survivorId, ['survivorId']);
      const merged = await loadRow(ctx.tx, input.mergedId, ['mergedId']);
      for (const [row, path] of [
        [survivor, 'survivorId'],
        [merged, 'mergedId'],
      ] as const) {
        if (row.status !== 'active')
          throw new InvalidStateError(`customer ${row.id} is ${row.status}`, { path: [path] });
      }
      if (survivor.kind !== merged.kind)
        throw invalid(
          ['mergedId'],
          'kind_mismatch',
          `cannot merge ${withArticle(merged.kind)} into ${withArticle(survivor.kind)}`,
        );
      const handled = new Set<string>();
      for (const instance of settings.modules()) {
        if (!instance.mergeCustomer) continue;
        for (const name of await instance.mergeCustomer(ctx, { survivorId: survivor.id, mergedId: merged.id }))
          handled.add(name);
      }
      const moved = await moveRows(ctx.tx, merged.id, survivor.id, handled);
      // The survivor keeps its own values and takes the merged record's where it has none.
      const before = fieldsOfRow(survivor);
      const other = fieldsOfRow(merged);
      const after: ProfileFields = { ...before };
      for (const [k, v] of Object.entries(other)) {
        const mine = after[k];
        if (k === 'tags') after[k] = [...new Set([...(mine as string[]), ...(v as string[])])];
        else if (k === 'consent' || k === 'attributes')
          after[k] = { ...(v as Record<string, JsonValue>), ...(mine as Record<string, JsonValue>) };
        else if (mine === null || mine === undefined || (Array.isArray(mine) && mine.length === 0)) after[k] = v;
      }
      const changes = diffFields(before, after);
      const lastVerifiedAt =
        [survivor.lastVerifiedAt, merged.lastVerifiedAt]
          .filter((d): d is Date => d !== null)
          .sort((a, b) => b.getTime() - a.getTime())[0] ?? null;
      await ctx.tx.update(customersCollection, survivor.id, {
        ...columnsOf(survivor.kind as CustomerKind, after, completeness),
        lastVerifiedAt,
        updatedAt: ctx.now,
      });
      await ctx.tx.update(customersCollection, merged.id, {
        status: 'merged',
        mergedInto: survivor.id,
        updatedAt: ctx.now,
      });
      await writeHistory(ctx, survivor.id, [...changes, { field: 'mergedFrom', before: null, after: merged.id }]);
      const record = await ctx.tx.insert(customerMergesCollection, {
        id: ctx.id('mrg'),
        survivorId: survivor.id,
        mergedId: merged.id,
        at: ctx.now,
        actor: actorRef(ctx.actor) as JsonValue,
        reason: input.reason,
        moved,
      });
      ctx.audit({ type: 'customer', id: survivor.id, customerId: survivor.id }, { mergedId: merged.id, moved });
      await ctx.addTimeline({
        customerId: survivor.id,
        source: 'customers',
        kind: 'merged',
        facts: { mergedId: merged.id },
        ref: { type: 'merge', id: record.id },
      });
      await ctx.emit('customer.merged', { survivorId: survivor.id, mergedId: merged.id }, { customerId: survivor.id });
      return record as MergeRecord;
    },
  });

  async function get(id: string): Promise<Customer> {
    const customerId = parseInput(idSchema, id, ['customerId']);
    return toCustomer(await loadRow(kernel.store, customerId, ['customerId']));
  }

  async function search(input: SearchCustomersInput = {}): Promise<ResultPage<Customer>> {
    const q = parseInput(searchCustomersSchema, input);
    const where: Record<string, unknown> = { status: q.status };
    if (q.phone) where['phone'] = q.phone;
    if (q.email) where['email'] = q.email;
    if (q.storeId) where['homeStoreId'] = q.storeId;
    if (q.kind) where['kind'] = q.kind;
    if (q.name) where['nameKey'] = { startsWith: nameKey(q.name) };
    const page = await kernel.store.find(customersCollection, { where, limit: q.limit, after: q.after ?? null });
    return { items: page.rows.map(toCustomer), next: page.next };
  }

  async function history(customerId: string, page: PageInput = {}): Promise<ResultPage<HistoryEntry>> {
    const id = parseInput(idSchema, customerId, ['customerId']);
    const p = parseInput(pageSchema, page);
    await loadRow(kernel.store, id, ['customerId']);
    const result: Page<HistoryEntry> = await kernel.store.find(customerHistoryCollection, {
      where: { customerId: id },
      orderBy: [
        { field: 'at', direction: 'desc' },
        { field: 'id', direction: 'desc' },
      ],
      limit: p.limit,
      after: p.after ?? null,
    });
    return { items: result.rows, next: result.next };
  }

  /**
   * Customers whose files are incomplete or not verified for N days (either condition), oldest id
   * first. Scans active customers page by page; `next` continues where the scan stopped.
   */
  async function needingReview(input: ReviewListInput = {}): Promise<ResultPage<ReviewItem>> {
    const q = parseInput(reviewListSchema, input);
    const now = kernel.clock.now().getTime();
    const cutoff = q.unverifiedForDays === undefined ? null : now - q.unverifiedForDays * millisecondsInDay;
    const items: ReviewItem[] = [];
    let after = q.after ?? null;
    const where: Record<string, unknown> = { status: 'active' };
    if (q.storeId) where['homeStoreId'] = q.storeId;
    do {
      const page: Page<CustomerRow> = await kernel.store.find(customersCollection, { where, limit: 500, after });
      for (const row of page.rows) {
        const incomplete = q.incomplete && row.missing.length > 0;
        const stale = cutoff !== null && (row.lastVerifiedAt === null || row.lastVerifiedAt.getTime() < cutoff);
        if (!incomplete && !stale) continue;
        items.push({
          customer: toCustomer(row),
          missing: row.missing,
          daysSinceVerified:
            row.lastVerifiedAt === null ? null : Math.floor((now - row.lastVerifiedAt.getTime()) / millisecondsInDay),
        });
        if (items.length === q.limit) {
          // The scan orders by id only, so the cursor after this row is its id's keyset position.
          return { items, next: encodeCursor(row, [{ field: 'id' }]) };
        }
      }
      after = page.next;
    } while (after);
    return { items, next: null };
  }

  async function duplicatesOf(customerId: string): Promise<DuplicateMatch[]> {
    const id = parseInput(idSchema, customerId, ['customerId']);
    const row = await loadRow(kernel.store, id, ['customerId']);
    const candidates = new Map<string, CustomerRow>();
    const add = (rows: CustomerRow[]) =>
      rows.forEach((r) => r.id !== row.id && r.status === 'active' && candidates.set(r.id, r));
    if (row.phone)
      add((await kernel.store.find(customersCollection, { where: { phone: row.phone }, limit: 200 })).rows);
    if (row.email)
      add((await kernel.store.find(customersCollection, { where: { email: row.email }, limit: 200 })).rows);
    if (row.taxId)
      add((await kernel.store.find(customersCollection, { where: { taxId: row.taxId }, limit: 200 })).rows);
    const first = [...row.nameKey][0];
    if (row.homeStoreId && first) {
      add(
        (
          await kernel.store.find(customersCollection, {
            where: { homeStoreId: row.homeStoreId, nameKey: { startsWith: first } },
            limit: 1000,
          })
        ).rows,
      );
    }
    const out: DuplicateMatch[] = [];
    for (const c of candidates.values()) {
      const reasons = duplicateReasons(row, c);
      if (reasons.length) out.push({ customer: toCustomer(c), reasons });
    }
    return out.sort((a, b) => b.reasons.length - a.reasons.length || a.customer.id.localeCompare(b.customer.id));
  }

  /**
   * Pairs of active records that look like one party (same phone, email or tax id; similar names in one
   * store). Streams the customers once, keyed by each fact, so memory grows with the matches found.
   */
  async function findDuplicates(input: FindDuplicatesInput = {}): Promise<DuplicatePair[]> {
    const q = parseInput(findDuplicatesSchema, input);
    const where: Record<string, unknown> = { status: 'active' };
    if (q.storeId) where['homeStoreId'] = q.storeId;
    const byFact = new Map<string, string[]>();
    const facts = new Map<string, CustomerRow>();
    const pairs = new Map<string, DuplicatePair>();
    const consider = (a: CustomerRow, b: CustomerRow) => {
      const key = a.id < b.id ? `${a.id} ${b.id}` : `${b.id} ${a.id}`;
      if (pairs.has(key)) return;
      const reasons = duplicateReasons(a, b);
      // Ids are strings: the pair is kept in id order.
      const [first, second] = a.id < b.id ? [a.id, b.id] : [b.id, a.id];
      if (reasons.length) pairs.set(key, { a: first, b: second, reasons });
    };
    for await (const row of scan(kernel.store, customersCollection, { where })) {
      const keys: string[] = [];
      if (row.phone) keys.push(`p:${row.phone}`);
      if (row.email) keys.push(`e:${row.email}`);
      if (row.taxId) keys.push(`t:${row.taxId}`);
      const first = [...row.nameKey][0];
      if (row.homeStoreId && first) keys.push(`n:${row.homeStoreId}:${first}`);
      for (const k of keys) {
        const seen = byFact.get(k) ?? [];
        for (const otherId of seen) consider(row, facts.get(otherId)!);
        seen.push(row.id);
        byFact.set(k, seen);
      }
      if (keys.length) facts.set(row.id, { ...row, profile: {}, attributes: {} });
      if (pairs.size >= q.limit) break;
    }
    return [...pairs.values()].slice(0, q.limit);
  }

  async function listMerges(input: ListMergesInput = {}): Promise<ResultPage<MergeRecord>> {
    const q = parseInput(listMergesSchema, input);
    const page = await kernel.store.find(customerMergesCollection, {
      where: q.customerId ? { survivorId: q.customerId } : {},
      orderBy: [
        { field: 'at', direction: 'desc' },
        { field: 'id', direction: 'desc' },
      ],
      limit: q.limit,
      after: q.after ?? null,
    });
    return { items: page.rows as MergeRecord[], next: page.next };
  }

  return {
    register,
    update,
    verify,
    merge,
    get: kernel.query({ name: 'customers.get', permission: 'customers.read', reads: (c) => [c.id], run: get }),
    search: kernel.query({
      name: 'customers.search',
      permission: 'customers.read',
      reads: (page) => page.items.map((c) => c.id),
      run: search,
    }),
    history: kernel.query({
      name: 'customers.history',
      permission: 'customers.read',
      reads: (_page, [customerId]) => [customerId],
      run: history,
    }),
    needingReview: kernel.query({
      name: 'customers.needingReview',
      permission: 'customers.read',
      reads: (page) => page.items.map((i) => i.customer.id),
      run: needingReview,
    }),
    duplicatesOf: kernel.query({
      name: 'customers.duplicatesOf',
      permission: 'customers.read',
      reads: (matches, [customerId]) => [customerId, ...matches.map((m) => m.customer.id)],
      run: duplicatesOf,
    }),
    findDuplicates: kernel.query({
      name: 'customers.findDuplicates',
      permission: 'customers.read',
      reads: (pairs) => pairs.flatMap((p) => [p.a, p.b]),
      run: findDuplicates,
    }),
    listMerges: kernel.query({
      name: 'customers.listMerges',
      permission: 'customers.read',
      reads: (page) => page.items.flatMap((m) => [m.survivorId, m.mergedId]),
      run: listMerges,
    }),
  };
}

/** @deprecated Renamed {@link CustomersService}. */
export type CustomerService = CustomersService;
