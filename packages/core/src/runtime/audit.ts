/** Reading the audit log. Entries are written by the command runner, never by hand. */
import { z } from 'zod';
import type { RowOf } from '../store/schema.js';
import { idSchema, pageSchema, parseInput } from '../validation.js';
import { auditLog } from './collections.js';
import type { Kernel } from './module.js';

/** One audit entry: who did what (or read what), when, to what, and whether it was allowed. */
export type AuditEntry = RowOf<typeof auditLog>;

/** Filters of `audit.list`. */
export const auditQuerySchema = pageSchema
  .extend({
    customerId: idSchema.optional(),
    command: z.string().min(1).max(100).optional(),
    outcome: z.enum(['ok', 'refused', 'read']).optional(),
  })
  .strict();

/** Creates the audit reader. */
export function createAuditReader(kernel: Kernel) {
  async function list(
    query: z.input<typeof auditQuerySchema> = {},
  ): Promise<{ items: AuditEntry[]; next: string | null }> {
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
    /** Audit entries, newest first, filtered by customer, command or outcome. Needs `audit.read`. */
    list: kernel.query({
      name: 'audit.list',
      permission: 'audit.read',
      reads: (page) => page.items.map((e) => e.customerId),
      run: list,
    }),
  };
}
