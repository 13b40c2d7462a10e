/**
 * Personal data on request: export everything held about a person, or erase it everywhere while
 * purchases and ledgers stay, keyed by the bare customer id, so totals and balances still add up.
 */
import { z } from 'zod';
import { InvalidStateError, NotFoundError } from '../errors.js';
import { ERASED_RESULT } from '../runtime/kernel.js';
import type { Kernel } from '../runtime/module.js';
import { scan } from '../store/bulk.js';
import type { TransactionSession } from '../store/port.js';
import type { AnyRow, CollectionSpec, FieldSpec, JsonValue } from '../store/schema.js';
import { idSchema, shortTextSchema } from '../validation.js';
import { customerHistoryCollection, customersCollection } from './customer-collections.js';

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

/** Replaces every text leaf that contains one of `values` by {@link ERASED}; returns the new value and whether it changed. */
export function scrubJson(value: JsonValue, values: readonly string[]): { value: JsonValue; changed: boolean } {
  if (typeof value === 'string') {
    const hit = values.some((v) => value.includes(v));
    return hit ? { value: ERASED, changed: true } : { value, changed: false };
  }
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((v) => {
      const r = scrubJson(v, values);
      changed ||= r.changed;
      return r.value;
    });
    return { value: out, changed };
  }
  if (value !== null && typeof value === 'object') {
    let changed = false;
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(value)) {
      const r = scrubJson(v, values);
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

function toJson(row: AnyRow): JsonValue {
  return JSON.parse(JSON.stringify(row)) as JsonValue;
}

/** Builds the privacy service. */
export function createPrivacyService(kernel: Kernel) {
  const owned = () => kernel.collections.filter((c): c is CollectionSpec & { customerKey: string } => c.customerKey !== undefined);

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
    input: z.object({ customerId: idSchema }).strict(),
    permission: 'customers.export',
    idempotency: 'optional',
    async run(ctx, input): Promise<CustomerExport> {
      const root = await ctx.tx.get(customersCollection, input.customerId);
      if (!root) throw new NotFoundError('customer', input.customerId, { path: ['customerId'] });
      const ids = await identities(ctx.tx, root.id);
      const collections: Record<string, JsonValue[]> = {};
      for (const c of owned()) {
        const rows: JsonValue[] = [];
        for (const id of ids) for await (const row of scan(ctx.tx, c, { where: { [c.customerKey]: id } })) rows.push(toJson(row as AnyRow));
        if (rows.length) collections[c.name] = rows;
      }
      ctx.audit({ type: 'customer', id: root.id, customerId: root.id }, { collections: Object.keys(collections) });
      return { customerId: root.id, exportedAt: ctx.now.toISOString(), customerIds: ids, collections };
    },
  });

  const eraseCommand = kernel.command({
    name: 'customers.erase',
    input: z.object({ customerId: idSchema, reason: shortTextSchema }).strict(),
    permission: 'customers.erase',
    idempotency: 'optional',
    async run(ctx, input): Promise<ErasureResult> {
      const root = await ctx.tx.get(customersCollection, input.customerId);
      if (!root) throw new NotFoundError('customer', input.customerId, { path: ['customerId'] });
      if (root.status === 'merged') throw new InvalidStateError(`customer ${root.id} was merged into ${root.mergedInto}; erase that record`, { path: ['customerId'], mergedInto: root.mergedInto });
      const ids = await identities(ctx.tx, root.id);

      // Every value the person gave us, from their records and the history of those records.
      const found = new Set<string>();
      for (const id of ids) {
        const row = await ctx.tx.get(customersCollection, id);
        if (row) for (const f of customersCollection.personal) texts(row[f as keyof typeof row], found);
        for await (const h of scan(ctx.tx, customerHistoryCollection, { where: { customerId: id } })) {
          for (const change of h.changes) {
            if (customersCollection.personal.includes(change.field) || ['name', 'birthDate', 'address', 'legalName', 'tradeName', 'contacts', 'gender'].includes(change.field)) {
              texts(change.before, found);
              texts(change.after, found);
            }
          }
        }
      }
      // Very short values (a one-letter gender code) would match inside unrelated text.
      const values = [...found].filter((v) => v !== ERASED && [...v].length >= 2).sort((a, b) => b.length - a.length);

      const changed: Record<string, number> = {};
      for (const c of owned()) {
        let n = 0;
        for (const id of ids) {
          for await (const row of scan(ctx.tx, c, { where: { [c.customerKey]: id } })) {
            const patch: AnyRow = {};
            for (const f of c.personal) {
              if (f === c.primaryKey || f === c.customerKey) continue;
              const next = wiped(c.fields[f]!, row[f as keyof typeof row]);
              if (JSON.stringify(next) !== JSON.stringify(row[f as keyof typeof row])) patch[f] = next;
            }
            for (const f of c.scrub ?? []) {
              const current = row[f as keyof typeof row] as JsonValue;
              if (current === null || current === undefined) continue;
              const r = scrubJson(current, values);
              if (r.changed) patch[f] = r.value;
            }
            if (c.name === 'idempotency_keys' && (row as AnyRow)['result'] !== ERASED_RESULT) patch['result'] = ERASED_RESULT;
            if (c.name === customersCollection.name) Object.assign(patch, { nameKey: '', status: 'erased', missing: [], completeness: 0, lastVerifiedAt: null, updatedAt: ctx.now });
            if (Object.keys(patch).length === 0) continue;
            await ctx.tx.update(c, (row as AnyRow)[c.primaryKey] as string, patch);
            n++;
          }
        }
        if (n) changed[c.name] = n;
      }
      ctx.audit({ type: 'customer', id: root.id, customerId: root.id }, { changed });
      await ctx.emit('customer.erased', { customerId: root.id }, { customerId: root.id });
      return { customerId: root.id, customerIds: ids, changed };
    },
  });

  // Once the erasure has committed, the store removes the copies its files still hold (SQLite's WAL).
  const eraseCustomer = Object.assign(
    async (input: Parameters<typeof eraseCommand>[0], options: Parameters<typeof eraseCommand>[1]): Promise<ErasureResult> => {
      const result = await eraseCommand(input, options);
      await kernel.store.afterErasure?.();
      return result;
    },
    { info: eraseCommand.info },
  );

  return {
    /** Everything held about a person across all collections, as JSON. */
    exportCustomer,
    /**
     * Removes or pseudonymises personal data everywhere; purchases and ledgers stay under the bare id.
     * Then the store's `afterErasure` removes the copies its files still hold; if that fails, the call
     * rejects although the erasure has committed, and calling it again is safe.
     */
    eraseCustomer,
  };
}
