/**
 * Personal data on request: export everything held about a person, or erase it everywhere while
 * purchases and ledgers stay, keyed by the bare customer id, so totals and balances still add up.
 */
import * as z from 'zod';
import { InvalidStateError } from '../errors.js';
import { ERASED_RESULT } from '../runtime/kernel.js';
import type { CommandOptions, Kernel } from '../runtime/module.js';
import { scan } from '../store/bulk.js';
import type { TransactionSession } from '../store/port.js';
import {
  privacyClassOf,
  type AnyRow,
  type CollectionSpec,
  type FieldErasure,
  type FieldSpec,
  type JsonValue,
} from '../store/schema.js';
import { idSchema, shortTextSchema } from '../validation.js';
import { customerHistoryCollection, customersCollection } from './customer-collections.js';
import { personalValueKind, personalValueMatcher, type PersonalValueMatcher } from './personal-values.js';
import { mustGet } from '../store/must-get.js';

/** What replaces erased text. */
export const ERASED = '[erased]';

/** Everything held about a person, as JSON. */
export interface CustomerExport {
  customerId: string;
  exportedAt: string;
  /** The ids exported: the customer and any records merged into it. */
  customerIds: string[];
  /** Rows per collection, as JSON (timestamps as ISO-8601 text). */
  collections: Record<string, JsonValue[]>;
}

/** What an erasure did. */
export interface ErasureResult {
  customerId: string;
  customerIds: string[];
  /** Rows changed per collection. */
  changed: Record<string, number>;
}

/** Collects every text leaf of a JSON value. */
function texts(value: unknown, out: Set<string>): void {
  if (typeof value === 'string') out.add(value);
  else if (Array.isArray(value)) value.forEach((v) => texts(v, out));
  else if (value !== null && typeof value === 'object') Object.values(value).forEach((v) => texts(v, out));
}

/**
 * Replaces every text leaf that mentions one of the person's values by {@link ERASED} (the whole
 * text, not only the mention: what surrounds a phone number in a note is often about the same
 * person); returns the new value and whether it changed. `values` is a matcher, or values found as
 * written (see `personalValueMatcher` for how phones and emails are found in any formatting).
 */
export function scrubJson(
  value: JsonValue,
  values: PersonalValueMatcher | readonly string[],
): { value: JsonValue; changed: boolean } {
  const matcher = Array.isArray(values) ? personalValueMatcher(values) : (values as PersonalValueMatcher);
  return scrubWith(value, matcher);
}

function scrubWith(value: JsonValue, matcher: PersonalValueMatcher): { value: JsonValue; changed: boolean } {
  if (typeof value === 'string')
    return matcher.mentions(value) ? { value: ERASED, changed: true } : { value, changed: false };
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((v) => {
      const r = scrubWith(v, matcher);
      changed ||= r.changed;
      return r.value;
    });
    return { value: out, changed };
  }
  if (value !== null && typeof value === 'object') {
    let changed = false;
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(value)) {
      const r = scrubWith(v, matcher);
      changed ||= r.changed;
      out[k] = r.value;
    }
    return { value: out, changed };
  }
  return { value, changed: false };
}

function wiped(spec: FieldSpec, current: unknown): unknown {
  if (spec.nullable) return null;
  switch (spec.kind) {
    case 'string':
      return ERASED;
    case 'json':
      return Array.isArray(current) ? [] : {};
    default:
      return current;
  }
}

/** The keys of a customer's profile that hold codes, not values that identify the person. */
const PROFILE_CODES = new Set(['gender', 'supplier', 'alsoCustomer', 'verified']);
/** Customer fields whose before and after in the record's history are the person's values. */
const HISTORY_FIELDS = new Set([
  ...customersCollection.personal,
  'name',
  'birthDate',
  'address',
  'legalName',
  'tradeName',
  'contacts',
]);

/**
 * Every value the person gave us: the personal fields of their customer records and the history of
 * those records, and what the personal fields of their other rows hold (a complaint's contact name,
 * phone and email). Personal free text elsewhere (an interaction's summary) is cleared itself; of it
 * only a text that is a phone or an email counts as a value.
 */
async function personalValues(
  tx: TransactionSession,
  collections: readonly CollectionSpec[],
  ids: readonly string[],
): Promise<PersonalValueMatcher> {
  const found = new Set<string>();
  for (const id of ids) {
    const row = await tx.get(customersCollection, id);
    if (row) {
      for (const f of customersCollection.personal) {
        const value = row[f as keyof typeof row];
        if (f === 'profile') {
          for (const [k, v] of Object.entries(value as Record<string, JsonValue>))
            if (!PROFILE_CODES.has(k)) texts(v, found);
        } else texts(value, found);
      }
    }
    for await (const h of scan(tx, customerHistoryCollection, { where: { customerId: id } })) {
      for (const change of h.changes) {
        if (!HISTORY_FIELDS.has(change.field)) continue;
        texts(change.before, found);
        texts(change.after, found);
      }
    }
  }
  for (const c of collections) {
    if (c.customerKey === undefined || c.name === customersCollection.name || c.personal.length === 0) continue;
    for (const id of ids) {
      for await (const row of scan(tx, c, { where: { [c.customerKey]: id } })) {
        for (const f of c.personal) {
          const value = (row as AnyRow)[f];
          if (c.fields[f]?.kind === 'json') texts(value, found);
          else if (typeof value === 'string' && personalValueKind(value) !== 'text') found.add(value);
        }
      }
    }
  }
  found.delete(ERASED);
  return personalValueMatcher(found);
}

/**
 * The patch that erases one row: `fields` cleared (personal) or scrubbed, by the collection's eraser where it has one.
 */
async function erasurePatch(
  tx: TransactionSession,
  c: CollectionSpec,
  row: AnyRow,
  fields: ReadonlyArray<{ name: string; cls: string }>,
  matcher: PersonalValueMatcher,
): Promise<AnyRow> {
  const patch: AnyRow = {};
  const erasure: FieldErasure = {
    mentions: (text) => matcher.mentions(text),
    scrub: (value) => scrubWith(value, matcher).value,
    row,
    session: tx,
  };
  for (const { name, cls } of fields) {
    const current = row[name];
    const eraser = c.erase?.[name];
    let next: unknown;
    if (eraser)
      next = current === null || current === undefined ? current : await eraser(current as JsonValue, erasure);
    else if (cls === 'personal') next = wiped(c.fields[name]!, current);
    else if (
      current === null ||
      current === undefined ||
      (typeof current !== 'string' && c.fields[name]!.kind !== 'json')
    )
      continue;
    else next = scrubWith(current as JsonValue, matcher).value;
    if (JSON.stringify(next) !== JSON.stringify(current)) patch[name] = next;
  }
  return patch;
}

/**
 * Erases the rows of the person (`ids`) in every collection, and what mentions them in the free text
 * of rows that belong to nobody; returns the rows changed per collection.
 */
async function eraseRows(
  tx: TransactionSession,
  collections: readonly CollectionSpec[],
  ids: readonly string[],
  matcher: PersonalValueMatcher,
  now: Date,
): Promise<Record<string, number>> {
  const changed: Record<string, number> = {};
  for (const c of collections) {
    const fields = Object.keys(c.fields).map((f) => ({ name: f, cls: privacyClassOf(c, f) }));
    let n = 0;
    if (c.customerKey !== undefined) {
      // The person's rows: personal fields cleared, free text scrubbed.
      const erased = fields.filter((f) => f.cls !== 'plain' && f.name !== c.primaryKey && f.name !== c.customerKey);
      if (erased.length === 0 && c.name !== customersCollection.name) continue;
      for (const id of ids) {
        for await (const row of scan(tx, c, { where: { [c.customerKey]: id } })) {
          const patch = await erasurePatch(tx, c, row as AnyRow, erased, matcher);
          if (c.name === 'idempotency_keys' && (row as AnyRow)['result'] !== ERASED_RESULT)
            patch['result'] = ERASED_RESULT;
          // A record merged into the person's stays merged (it points at them); the person's own becomes erased.
          if (c.name === customersCollection.name)
            Object.assign(patch, {
              nameKey: '',
              ...((row as AnyRow)['status'] === 'merged' ? {} : { status: 'erased' }),
              missing: [],
              completeness: 0,
              lastVerifiedAt: null,
              updatedAt: now,
            });
          if (Object.keys(patch).length === 0) continue;
          await tx.update(c, (row as AnyRow)[c.primaryKey] as string, patch);
          n++;
        }
      }
    } else {
      // Rows that belong to no customer (a corrective action): only text declared `scrub` can
      // mention the person; their personal fields are someone else's (staff names).
      const declared = fields.filter((f) => c.scrub?.includes(f.name));
      if (declared.length === 0 || matcher.values.length === 0) continue;
      for await (const row of scan(tx, c)) {
        const patch = await erasurePatch(tx, c, row as AnyRow, declared, matcher);
        if (Object.keys(patch).length === 0) continue;
        await tx.update(c, (row as AnyRow)[c.primaryKey] as string, patch);
        n++;
      }
    }
    if (n) changed[c.name] = n;
  }
  return changed;
}

function toJson(row: AnyRow): JsonValue {
  return JSON.parse(JSON.stringify(row)) as JsonValue;
}

const exportCustomerSchema = z.object({ customerId: idSchema }).strict();
/** Input of `privacy.exportCustomer`. */
export type ExportCustomerInput = z.input<typeof exportCustomerSchema>;

const eraseCustomerSchema = z
  .object({
    customerId: idSchema,
    /** Why, for the audit: the person's request, a retention rule. */
    reason: shortTextSchema,
  })
  .strict();
/** Input of `privacy.eraseCustomer`. */
export type EraseCustomerInput = z.input<typeof eraseCustomerSchema>;

/**
 * `crm.privacy`: a person's data exported, or erased everywhere. Export needs `customers.export`,
 * erasure `customers.erase`.
 */
export interface PrivacyService {
  /** Everything held about a person across all collections (merged records included), as JSON. */
  exportCustomer(input: ExportCustomerInput, options: CommandOptions): Promise<CustomerExport>;
  /**
   * Removes or pseudonymises personal data everywhere; purchases and ledgers stay under the bare id.
   * Then the store's `afterErasure` removes the copies its files still hold; if that fails, the call
   * rejects although the erasure has committed, and calling it again is safe.
   */
  eraseCustomer(input: EraseCustomerInput, options: CommandOptions): Promise<ErasureResult>;
}

/** Builds the privacy service. */
export function createPrivacyService(kernel: Kernel): PrivacyService {
  const owned = () =>
    kernel.collections.filter((c): c is CollectionSpec & { customerKey: string } => c.customerKey !== undefined);

  /** The customer and every record merged into it (merges chain). */
  async function identities(tx: TransactionSession, customerId: string): Promise<string[]> {
    const ids = [customerId];
    for (let i = 0; i < ids.length; i++) {
      for await (const row of scan(tx, customersCollection, { where: { mergedInto: ids[i]! } })) ids.push(row.id);
    }
    return ids;
  }

  const exportCustomer = kernel.command({
    name: 'customers.export',
    input: exportCustomerSchema,
    permission: 'customers.export',
    idempotency: 'optional',
    async run(ctx, input): Promise<CustomerExport> {
      const root = await mustGet(ctx.tx, customersCollection, input.customerId, 'customer', { path: ['customerId'] });
      const ids = await identities(ctx.tx, root.id);
      const collections: Record<string, JsonValue[]> = {};
      for (const c of owned()) {
        const rows: JsonValue[] = [];
        for (const id of ids)
          for await (const row of scan(ctx.tx, c, { where: { [c.customerKey]: id } })) rows.push(toJson(row as AnyRow));
        if (rows.length) collections[c.name] = rows;
      }
      ctx.audit({ type: 'customer', id: root.id, customerId: root.id }, { collections: Object.keys(collections) });
      return { customerId: root.id, exportedAt: ctx.now.toISOString(), customerIds: ids, collections };
    },
  });

  const eraseCommand = kernel.command({
    name: 'customers.erase',
    input: eraseCustomerSchema,
    permission: 'customers.erase',
    idempotency: 'optional',
    async run(ctx, input): Promise<ErasureResult> {
      const root = await mustGet(ctx.tx, customersCollection, input.customerId, 'customer', { path: ['customerId'] });
      if (root.status === 'merged')
        throw new InvalidStateError(`customer ${root.id} was merged into ${root.mergedInto}; erase that record`, {
          path: ['customerId'],
          mergedInto: root.mergedInto,
        });
      const ids = await identities(ctx.tx, root.id);
      const matcher = await personalValues(ctx.tx, kernel.collections, ids);

      const changed = await eraseRows(ctx.tx, kernel.collections, ids, matcher, ctx.now);
      ctx.audit({ type: 'customer', id: root.id, customerId: root.id }, { changed });
      await ctx.emit('customer.erased', { customerId: root.id }, { customerId: root.id });
      return { customerId: root.id, customerIds: ids, changed };
    },
  });

  // Once the erasure has committed, the store removes the copies its files still hold (SQLite's WAL).
  const eraseCustomer = Object.assign(
    async (
      input: Parameters<typeof eraseCommand>[0],
      options: Parameters<typeof eraseCommand>[1],
    ): Promise<ErasureResult> => {
      const result = await eraseCommand(input, options);
      await kernel.store.afterErasure?.();
      return result;
    },
    { info: eraseCommand.info },
  );

  return { exportCustomer, eraseCustomer };
}
