/** Reading the audit log. Entries are written by the command runner, never by hand. */
import * as z from 'zod';
import type { RowOf } from '../store/schema.js';
import { idSchema, pageSchema, parseInput } from '../validation.js';
import { auditLog } from './collections.js';
import type { ResultPage } from '../model/customer-service.js';
import type { Kernel, QueryOptions } from './module.js';

/** One audit entry: who did what (or read what), when, to what, and whether it was allowed. */
export type AuditEntry = RowOf<typeof auditLog>;

/** Filters of `audit.list`. */
export const auditQuerySchema = pageSchema
  .extend({
    /** Only entries about this customer. */
    customerId: idSchema.optional(),
    /** Only entries of this command or query, e.g. `purchases.return`. */
    command: z.string().min(1).max(100).optional(),
    /** Only those allowed (`ok`), refused, or reads of a member's file (`read`). */
    outcome: z.enum(['ok', 'refused', 'read']).optional(),
  })
  .strict();
/** Filters of `audit.list`. */
export type AuditQueryInput = z.input<typeof auditQuerySchema>;

/** `crm.audit`: the audit log, written by the command runner, never by hand. Reading needs `audit.read`. */
export interface AuditService {
  /** Audit entries, newest first. */
  list(options: QueryOptions): Promise<ResultPage<AuditEntry>>;
  /** Audit entries, newest first, filtered by customer, command or outcome. */
  list(filters: AuditQueryInput | undefined, options: QueryOptions): Promise<ResultPage<AuditEntry>>;
}

/** Creates the audit reader. */
export function createAuditReader(kernel: Kernel): AuditService {
  async function list(query: AuditQueryInput = {}): Promise<ResultPage<AuditEntry>> {
    const q = parseInput(auditQuerySchema, query);
    const where: Record<string, unknown> = {};
    if (q.customerId) where['customerId'] = q.customerId;
    if (q.command) where['command'] = q.command;
    if (q.outcome) where['outcome'] = q.outcome;
    const page = await kernel.store.find(auditLog, {
      where,
      orderBy: [
        { field: 'at', direction: 'desc' },
        { field: 'id', direction: 'desc' },
      ],
      limit: q.limit,
      after: q.after ?? null,
    });
    return { items: page.rows, next: page.next };
  }
  return {
    list: kernel.query({
      name: 'audit.list',
      permission: 'audit.read',
      reads: (page) => page.items.map((e) => e.customerId),
      run: list,
    }),
  };
}
