/**
 * Carrying out loyalty remedies. Goodwill points and vouchers are issued by the loyalty module's own
 * commands (`grantGoodwill`, `vouchers.issue`), run with `ctx.call` inside the transaction that
 * carries the remedy out: the points or the voucher, the remedy marked executed with the loyalty
 * module's answer, and the case's history are written together or not at all. A refusal by the
 * loyalty module (its own authority check, a retired template, an inactive customer) fails that
 * transaction with the loyalty module's own error, and nothing of it is kept but the refusal's audit.
 *
 * The loyalty command runs as the actor carrying the remedy out, with `approvedBy` naming who
 * approved it beyond the handler's own limit: the kernel checks the actor's loyalty limit first and,
 * when it falls short, the approver's.
 *
 * A remedy left `issuing` (by a version that called the loyalty module after the case's transaction
 * and did not get to record the answer) is finished by `runDue`, in one transaction per remedy, with
 * the key the first call used: if that call went through, the loyalty module answers with its first
 * result, so a remedy is never issued twice.
 */
import {
  ClienteleError,
  idSchema,
  isClienteleError,
  type Actor,
  type ErrorCode,
  type JsonValue,
} from '@clientele/core/module';
import * as z from 'zod';
import { addHistory, loadCase, saveCase, type ComplaintsRuntime, type ComplaintsContext } from './case-engine.js';
import { remediesCollection, type CaseRow, type RemedyRow } from './collections.js';
import { issueKey, loyaltyCommandFor, type RemedyType } from './remedies.js';

/** Errors that will not go away by calling again: the remedy is marked failed instead of retried. */
const PERMANENT: readonly ErrorCode[] = [
  'VALIDATION_FAILED',
  'NOT_FOUND',
  'INVALID_STATE',
  'PERMISSION_DENIED',
  'AUTHORITY_EXCEEDED',
  'UNSUPPORTED',
  'INSUFFICIENT_BALANCE',
  'IDEMPOTENCY_MISMATCH',
];

/** What one pass over the remedies left `issuing` did. */
export interface IssueOutcome {
  issued: number;
  failed: number;
  /** Left `issuing` after a transient error; `runDue` tries again. */
  pending: number;
}

/** The work `runDue` does for remedies left `issuing`. */
export interface RemedyWorkflow {
  /** Issues every remedy of every case that is marked `issuing`. */
  issueAllPending(actor: Actor): Promise<IssueOutcome>;
}

function plain(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value ?? null)) as JsonValue;
}

/**
 * The staff member who approved a remedy beyond its handler's limit, as the loyalty module is told; null when none (or
 * a system actor) did.
 */
export function remedyApprover(remedy: Pick<RemedyRow, 'approvedBy'>): string | null {
  return remedy.approvedBy && !remedy.approvedBy.startsWith('system:') ? remedy.approvedBy : null;
}

/**
 * Issues one approved loyalty remedy inside the caller's transaction and records it: the remedy is
 * executed with the loyalty module's answer, the case's remedy cost grows, and its history, the
 * customer's timeline and `complaint.remedy-executed` say so. Returns the saved case. The loyalty
 * module's refusal propagates unchanged (the kernel audits it when it is an authority or permission
 * refusal), so the caller's whole command fails with it.
 */
export async function issueLoyaltyRemedy(
  runtime: ComplaintsRuntime,
  ctx: ComplaintsContext,
  row: CaseRow,
  remedy: RemedyRow,
  approvedBy: string | null,
): Promise<CaseRow> {
  const command = loyaltyCommandFor(runtime.loyalty(), remedy.type as RemedyType);
  if (!command) {
    throw new ClienteleError(
      'UNSUPPORTED',
      `${remedy.type} remedies are issued by the loyalty module, which is not installed or does not offer it`,
      { module: 'loyalty', remedyId: remedy.id },
    );
  }
  const key = remedy.issueKey ?? issueKey(row.id, remedy.id);
  const ref = { type: 'case' as const, id: row.id };
  const approver = approvedBy ? { approvedBy } : {};
  // Built from the stored remedy alone, so a call made again sends exactly the same request (and its key replays).
  const input =
    remedy.type === 'goodwill-points'
      ? {
          customerId: remedy.customerId!,
          points: remedy.points!,
          reason: `Service recovery for case ${row.caseNo}`,
          ref,
          storeId: row.storeId,
          ...approver,
        }
      : {
          templateId: remedy.templateId!,
          customerId: remedy.customerId!,
          source: 'service-recovery' as const,
          ref,
          ...approver,
        };
  const result = plain(await ctx.call(command, input, { idempotencyKey: key }));
  const done = await ctx.tx.update(
    remediesCollection,
    remedy.id,
    { status: 'executed', issueKey: key, result, executedAt: ctx.now, updatedAt: ctx.now },
    { expectVersion: remedy.version },
  );
  const saved = await saveCase(ctx, row, { remedyCost: row.remedyCost + done.value });
  await addHistory(ctx, row, {
    action: 'remedy-issued',
    fromStatus: row.status,
    toStatus: row.status,
    fromLevel: row.level,
    toLevel: row.level,
    data: { remedyId: done.id, type: done.type, result },
  });
  if (row.customerId) {
    await ctx.addTimeline({
      customerId: row.customerId,
      source: 'complaints',
      kind: 'remedy-issued',
      facts: {
        caseNo: row.caseNo,
        type: done.type,
        points: done.type === 'goodwill-points' ? (done.points ?? null) : null,
        templateId: done.templateId ?? null,
      },
      storeId: row.storeId,
      ref: { type: 'case', id: row.id },
    });
  }
  await ctx.emit(
    'complaint.remedy-executed',
    { caseId: row.id, remedyId: done.id, type: done.type, value: done.value },
    { customerId: row.customerId },
  );
  return saved;
}

/** Builds the work that finishes remedies left `issuing`. */
export function createRemedyWorkflow(runtime: ComplaintsRuntime): RemedyWorkflow {
  const { kernel } = runtime;

  const finishIssuing = kernel.command({
    name: 'complaints.issue-remedy',
    input: z.object({ caseId: idSchema, remedyId: idSchema }).strict(),
    permission: 'complaints.handle',
    idempotency: 'optional',
    async run(ctx, input): Promise<{ issued: boolean }> {
      const row = await loadCase(ctx.tx, input.caseId);
      const remedy = await ctx.tx.get(remediesCollection, input.remedyId);
      // Re-checked inside the transaction: another runner may have finished it already.
      if (!remedy || remedy.caseId !== row.id || remedy.status !== 'issuing') return { issued: false };
      await issueLoyaltyRemedy(runtime, ctx, row, remedy, remedyApprover(remedy));
      ctx.audit({ type: 'case', id: row.id, customerId: row.customerId }, { remedyId: remedy.id, type: remedy.type });
      return { issued: true };
    },
  });

  const recordFailure = kernel.command({
    name: 'complaints.record-remedy-failure',
    input: z.object({ caseId: idSchema, remedyId: idSchema, code: z.string(), message: z.string().max(2000) }).strict(),
    permission: 'complaints.handle',
    idempotency: 'optional',
    async run(ctx, input) {
      const row = await loadCase(ctx.tx, input.caseId);
      const remedy = await ctx.tx.consume(
        remediesCollection,
        input.remedyId,
        { caseId: row.id, status: 'issuing' },
        { status: 'failed', failure: { code: input.code, message: input.message }, updatedAt: ctx.now },
      );
      if (!remedy) return { recorded: false };
      await saveCase(ctx, row, {});
      await addHistory(ctx, row, {
        action: 'remedy-failed',
        fromStatus: row.status,
        toStatus: row.status,
        fromLevel: row.level,
        toLevel: row.level,
        data: { remedyId: remedy.id, code: input.code },
      });
      ctx.audit({ type: 'case', id: row.id, customerId: row.customerId }, { remedyId: remedy.id, code: input.code });
      await ctx.emit(
        'complaint.remedy-failed',
        { caseId: row.id, remedyId: remedy.id, code: input.code },
        { customerId: row.customerId },
      );
      return { recorded: true };
    },
  });

  async function issueOne(remedy: RemedyRow, actor: Actor, outcome: IssueOutcome): Promise<void> {
    try {
      if ((await finishIssuing({ caseId: remedy.caseId, remedyId: remedy.id }, { actor })).issued) outcome.issued++;
    } catch (error) {
      if (isClienteleError(error) && PERMANENT.includes(error.code)) {
        await recordFailure(
          { caseId: remedy.caseId, remedyId: remedy.id, code: error.code, message: error.message.slice(0, 2000) },
          { actor },
        );
        outcome.failed++;
        return;
      }
      // Transient (a lost connection, a write clash): leave it `issuing` for the next run.
      kernel.report(error, `issuing remedy ${remedy.id} of case ${remedy.caseId}`);
      outcome.pending++;
    }
  }

  async function issueAllPending(actor: Actor): Promise<IssueOutcome> {
    const outcome: IssueOutcome = { issued: 0, failed: 0, pending: 0 };
    const pending = (await kernel.store.find(remediesCollection, { where: { status: 'issuing' }, limit: 500 })).rows;
    for (const remedy of pending) await issueOne(remedy, actor, outcome);
    return outcome;
  }

  return { issueAllPending };
}
