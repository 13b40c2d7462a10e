/**
 * Issuing loyalty remedies: a workflow step outside the case's own transaction. The case first marks
 * a remedy `issuing` with a key derived from the case and the remedy; the loyalty module is called
 * with that key; a second transaction records the result. A retry, or `runDue` after a crash between
 * the steps, calls the loyalty module again with the same key, which returns the first result, so a
 * remedy is never issued twice.
 */
import { idSchema, isClienteleError, jsonValueSchema, type Actor, type ErrorCode, type JsonValue } from '@clientele/core';
import { z } from 'zod';
import { addHistory, emit, loadCase, saveCase, type Engine } from './case-engine.js';
import { remediesCollection, type RemedyRow } from './collections.js';
import type { LoyaltyRemedyApi } from './remedies.js';

/** Errors that will not go away by calling again: the remedy is marked failed instead of retried. */
const PERMANENT: readonly ErrorCode[] = ['VALIDATION_FAILED', 'NOT_FOUND', 'INVALID_STATE', 'PERMISSION_DENIED', 'AUTHORITY_EXCEEDED', 'UNSUPPORTED', 'INSUFFICIENT_BALANCE', 'IDEMPOTENCY_MISMATCH'];

/** What one pass over a case's pending loyalty remedies did. */
export interface IssueOutcome {
  issued: number;
  failed: number;
  /** Left `issuing` after a transient error; `runDue` tries again. */
  pending: number;
}

/** The issuing workflow. */
export interface RemedyWorkflow {
  /** Issues every remedy of a case that is marked `issuing`. */
  issuePending(caseId: string, actor: Actor): Promise<IssueOutcome>;
  /** Issues every pending remedy of every case (for `runDue`). */
  issueAllPending(actor: Actor): Promise<IssueOutcome>;
}

function plain(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value ?? null)) as JsonValue;
}

/** Builds the workflow. */
export function createRemedyWorkflow(engine: Engine): RemedyWorkflow {
  const { kernel } = engine;

  const recordIssued = kernel.command({
    name: 'complaints.record-remedy',
    input: z.object({ caseId: idSchema, remedyId: idSchema, result: jsonValueSchema() }).strict(),
    permission: 'complaints.handle',
    idempotency: 'optional',
    async run(ctx, input) {
      const row = await loadCase(ctx.tx, input.caseId);
      const remedy = await ctx.tx.consume(remediesCollection, input.remedyId, { caseId: row.id, status: 'issuing' }, { status: 'executed', result: input.result as JsonValue, executedAt: ctx.now, updatedAt: ctx.now });
      if (!remedy) return { recorded: false };
      await saveCase(ctx, row, { remedyCost: row.remedyCost + remedy.value });
      await addHistory(ctx, row, { action: 'remedy-issued', fromStatus: row.status, toStatus: row.status, fromLevel: row.level, toLevel: row.level, data: { remedyId: remedy.id, type: remedy.type, result: input.result as JsonValue } });
      if (row.customerId) {
        const what = remedy.type === 'goodwill-points' ? `${remedy.points} goodwill points` : `a voucher (${remedy.templateId})`;
        await ctx.addTimeline({ customerId: row.customerId, source: 'complaints', kind: 'remedy-issued', summary: `Service recovery on case ${row.caseNo}: ${what}`, storeId: row.storeId, ref: { type: 'case', id: row.id } });
      }
      ctx.audit({ type: 'case', id: row.id, customerId: row.customerId }, { remedyId: remedy.id, type: remedy.type });
      await emit(ctx, 'complaint.remedy-executed', { caseId: row.id, remedyId: remedy.id, type: remedy.type, value: remedy.value }, row.customerId);
      return { recorded: true };
    },
  });

  const recordFailure = kernel.command({
    name: 'complaints.record-remedy-failure',
    input: z.object({ caseId: idSchema, remedyId: idSchema, code: z.string(), message: z.string().max(2000) }).strict(),
    permission: 'complaints.handle',
    idempotency: 'optional',
    async run(ctx, input) {
      const row = await loadCase(ctx.tx, input.caseId);
      const remedy = await ctx.tx.consume(remediesCollection, input.remedyId, { caseId: row.id, status: 'issuing' }, { status: 'failed', failure: { code: input.code, message: input.message }, updatedAt: ctx.now });
      if (!remedy) return { recorded: false };
      await saveCase(ctx, row, {});
      await addHistory(ctx, row, { action: 'remedy-failed', fromStatus: row.status, toStatus: row.status, fromLevel: row.level, toLevel: row.level, data: { remedyId: remedy.id, code: input.code } });
      ctx.audit({ type: 'case', id: row.id, customerId: row.customerId }, { remedyId: remedy.id, code: input.code });
      await emit(ctx, 'complaint.remedy-failed', { caseId: row.id, remedyId: remedy.id, code: input.code }, row.customerId);
      return { recorded: true };
    },
  });

  async function call(api: LoyaltyRemedyApi | null, remedy: RemedyRow, caseRow: { caseNo: string; storeId: string }, actor: Actor): Promise<unknown> {
    const ref = { type: 'case' as const, id: remedy.caseId };
    const options = { actor, idempotencyKey: remedy.issueKey! };
    // Everything here comes from the stored remedy, so a retry sends exactly the same request.
    const approver = remedy.approvedBy && !remedy.approvedBy.startsWith('system:') ? { approvedBy: remedy.approvedBy } : {};
    if (remedy.type === 'goodwill-points') {
      if (!api?.grantGoodwill) throw Object.assign(new Error('loyalty module not installed'), { unsupported: true });
      return api.grantGoodwill({ customerId: remedy.customerId!, points: remedy.points!, reason: `Service recovery for case ${caseRow.caseNo}`, ref, storeId: caseRow.storeId, ...approver }, options);
    }
    if (!api?.vouchers?.issue) throw Object.assign(new Error('loyalty vouchers not available'), { unsupported: true });
    return api.vouchers.issue({ templateId: remedy.templateId!, customerId: remedy.customerId!, source: 'service-recovery', ref, ...approver }, options);
  }

  async function issueOne(remedy: RemedyRow, caseRow: { caseNo: string; storeId: string }, actor: Actor, outcome: IssueOutcome): Promise<void> {
    let result: unknown;
    try {
      result = await call(engine.loyalty(), remedy, caseRow, actor);
    } catch (error) {
      const unsupported = typeof error === 'object' && error !== null && (error as { unsupported?: boolean }).unsupported === true;
      if (unsupported || (isClienteleError(error) && PERMANENT.includes(error.code))) {
        const code = isClienteleError(error) ? error.code : 'UNSUPPORTED';
        await recordFailure({ caseId: remedy.caseId, remedyId: remedy.id, code, message: (error as Error).message.slice(0, 2000) }, { actor });
        outcome.failed++;
        return;
      }
      // Transient (a lost connection, a write clash): leave it `issuing` for the next try.
      kernel.report(error, `issuing remedy ${remedy.id} of case ${remedy.caseId}`);
      outcome.pending++;
      return;
    }
    const { recorded } = await recordIssued({ caseId: remedy.caseId, remedyId: remedy.id, result: plain(result) }, { actor });
    if (recorded) outcome.issued++;
  }

  async function issuePending(caseId: string, actor: Actor): Promise<IssueOutcome> {
    const outcome: IssueOutcome = { issued: 0, failed: 0, pending: 0 };
    const row = await loadCase(kernel.store, caseId);
    const pending = (await kernel.store.find(remediesCollection, { where: { caseId, status: 'issuing' }, orderBy: [{ field: 'seq' }], limit: 100 })).rows;
    for (const remedy of pending) await issueOne(remedy, row, actor, outcome);
    return outcome;
  }

  async function issueAllPending(actor: Actor): Promise<IssueOutcome> {
    const outcome: IssueOutcome = { issued: 0, failed: 0, pending: 0 };
    const pending = (await kernel.store.find(remediesCollection, { where: { status: 'issuing' }, limit: 500 })).rows;
    const cases = new Map<string, { caseNo: string; storeId: string }>();
    for (const remedy of pending) {
      if (!cases.has(remedy.caseId)) cases.set(remedy.caseId, await loadCase(kernel.store, remedy.caseId));
      await issueOne(remedy, cases.get(remedy.caseId)!, actor, outcome);
    }
    return outcome;
  }

  return { issuePending, issueAllPending };
}
