/**
 * `runDue`: the work that falls due with time. Nothing waits in memory: every due time is stored, so
 * after a restart the next `runDue(now)` finds everything that fell due meanwhile. It escalates cases
 * whose clock ran out (one level per missed clock, effective when it was missed, so a late run
 * escalates exactly as a punctual one would have), escalates overdue corrective actions, retries
 * loyalty remedies left half-issued, and expires survey invitations.
 */
import { idSchema, instantSchema, isClienteleError, type Actor, type JsonValue } from '@clientele/core/module';
import * as z from 'zod';
import { addHistory, escalateCase, loadCase, saveCase, type ComplaintsRuntime } from './case-engine.js';
import { casesCollection, invitationsCollection, type StoredTask } from './collections.js';
import type { CorrectiveActionService } from './corrective-actions.js';
import { isTop, ladderNamed } from './ladder.js';
import type { RemedyWorkflow } from './remedy-workflow.js';

/** The actor `runDue` acts as. */
export const SCHEDULER: Actor = { system: 'complaints-scheduler' };

/** Most passes one `runDue` makes over due cases (each pass handles one missed clock per case). */
const MAX_PASSES = 64;
const PAGE = 200;

/** Builds `runDue`. */
export function createDueWork(runtime: ComplaintsRuntime, workflow: RemedyWorkflow, actions: CorrectiveActionService) {
  const { kernel, config } = runtime;

  const escalateDue = kernel.command({
    name: 'complaints.escalate-due',
    input: z.object({ caseId: idSchema, asOf: instantSchema }).strict(),
    permission: 'complaints.escalate',
    idempotency: 'optional',
    async run(ctx, input): Promise<{ outcome: 'escalated' | 'overdue' | 'none' }> {
      const row = await loadCase(ctx.tx, input.caseId);
      // Re-checked inside the transaction: another runner may have handled it already.
      if (!row.dueAt || !row.dueKind || row.pausedAt || row.dueAt.getTime() > input.asOf.getTime())
        return { outcome: 'none' };
      const missedAt = row.dueAt;
      const clock = row.dueKind;
      const task = row.task as StoredTask | null;
      // The missed clock stops pending either way: the next level gets fresh clocks, the top is marked overdue.
      const cleared =
        clock === 'acknowledge'
          ? { ackDueAt: null }
          : clock === 'resolve'
            ? { resolveDueAt: null }
            : { taskDueAt: null, task: task ? { ...task, lateNotedAt: ctx.now.toISOString() } : null };
      const ladder = ladderNamed(config, row.ladder);
      ctx.audit({ type: 'case', id: row.id, customerId: row.customerId }, { clock, missedAt: missedAt.toISOString() });
      if (isTop(ladder, row.level)) {
        await saveCase(ctx, row, { ...cleared, overdue: true });
        await addHistory(ctx, row, {
          action: 'overdue',
          fromStatus: row.status,
          toStatus: row.status,
          fromLevel: row.level,
          toLevel: row.level,
          data: { clock, missedAt: missedAt.toISOString() } as Record<string, JsonValue>,
        });
        await ctx.emit(
          'complaint.overdue',
          { caseId: row.id, level: row.level, clock, storeId: row.storeId },
          { customerId: row.customerId },
        );
        return { outcome: 'overdue' };
      }
      const reason =
        clock === 'acknowledge' ? 'acknowledge-missed' : clock === 'resolve' ? 'resolve-missed' : 'execution-late';
      // A late execution keeps the task's own due date; the next level now supervises it.
      await escalateCase(runtime, ctx, row, row.level + 1, reason, missedAt, null, cleared);
      return { outcome: 'escalated' };
    },
  });

  const expireInvitations = kernel.command({
    name: 'surveys.expire',
    input: z.object({ asOf: instantSchema }).strict(),
    permission: 'surveys.manage',
    idempotency: 'optional',
    async run(ctx, input) {
      const page = await ctx.tx.find(invitationsCollection, {
        where: { status: 'open', expiresAt: { lte: input.asOf } },
        limit: 1000,
      });
      let expired = 0;
      for (const inv of page.rows)
        if (await ctx.tx.consume(invitationsCollection, inv.id, { status: 'open' }, { status: 'expired' })) expired++;
      ctx.audit({ type: 'survey-invitations', id: 'expired' }, { expired });
      return { expired, more: page.next !== null };
    },
  });

  /** Runs everything due at `now`; returns counts by kind. */
  async function runDue(now: Date): Promise<Record<string, number>> {
    const counts = {
      escalated: 0,
      overdue: 0,
      actionsEscalated: 0,
      actionsOverdue: 0,
      remediesIssued: 0,
      remediesFailed: 0,
      remediesPending: 0,
      invitationsExpired: 0,
      errors: 0,
    };
    const failed = new Set<string>();
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      const due = (
        await kernel.store.find(casesCollection, { where: { dueAt: { lte: now } }, limit: PAGE })
      ).rows.filter((r) => !failed.has(r.id));
      if (due.length === 0) break;
      for (const row of due) {
        try {
          const { outcome } = await escalateDue({ caseId: row.id, asOf: now }, { actor: SCHEDULER });
          if (outcome === 'escalated') counts.escalated++;
          else if (outcome === 'overdue') counts.overdue++;
        } catch (error) {
          // Another runner moved it first; the next pass reads it afresh.
          if (isClienteleError(error, 'CONFLICT')) continue;
          // One bad case must not stop the others; it is reported and tried again next run.
          failed.add(row.id);
          counts.errors++;
          kernel.report(error, `runDue: case ${row.id}`);
        }
      }
    }
    const a = await actions.runDue(now, SCHEDULER);
    counts.actionsEscalated = a.escalated;
    counts.actionsOverdue = a.overdue;
    counts.errors += a.errors;
    const issued = await workflow.issueAllPending(SCHEDULER);
    counts.remediesIssued = issued.issued;
    counts.remediesFailed = issued.failed;
    counts.remediesPending = issued.pending;
    for (let i = 0; i < MAX_PASSES; i++) {
      const r = await expireInvitations({ asOf: now }, { actor: SCHEDULER });
      counts.invitationsExpired += r.expired;
      if (!r.more) break;
    }
    return counts;
  }

  return { runDue };
}
