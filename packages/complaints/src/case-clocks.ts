/**
 * Standing a case's clocks still and starting them again, inside a command's transaction: the end of
 * a pause (by `resume`, or by a step that resolves a paused case, which stops the clocks exactly as
 * resuming and then taking the step would), and a reopening that continues the clocks where they
 * stopped. The arithmetic is the pure clock's (`sla-clock.ts`); this is where it meets the stored case.
 */
import {
  addHistory,
  levelCalendarOf,
  saveCase,
  storeCalendarOf,
  type ComplaintsContext,
  type ComplaintsRuntime,
} from './case-engine.js';
import { stintsCollection, type CaseRow, type StoredTask } from './collections.js';
import { placeDue, type DueCalendar } from './due-placement.js';
import { businessTimeBetween } from './sla-clock.js';
import { millisecondsInMinute } from 'date-fns/constants';

/** Moves `due` by the business time from `stoppedAt` to now: what was left when the clock stopped, counted from now. */
function restart(due: DueCalendar, stoppedAt: Date, now: Date, at: Date, what: string): Date {
  return placeDue(due, now, businessTimeBetween(due.calendar, stoppedAt, at), { what }, ['caseId']);
}

/**
 * Ends the pause of a paused case: every pending due time moves by exactly the business time the pause
 * lasted (the level's clocks on the level's calendar, an execution task on the store's), the pause is
 * added to the case's paused time, and the history and `complaint.resumed` say so. `by` names the step
 * that ended it when it is not `resume` (`close`, `verify`). Returns the saved case.
 */
export async function endPause(
  runtime: ComplaintsRuntime,
  ctx: ComplaintsContext,
  row: CaseRow,
  note: string | null,
  by: string | null = null,
): Promise<CaseRow> {
  const pausedAt = row.pausedAt;
  if (!pausedAt) return row;
  const level = await levelCalendarOf(runtime, ctx.tx, row);
  const store = row.task ? await storeCalendarOf(runtime, ctx.tx, row.storeId, ['caseId']) : level;
  const shift = (due: DueCalendar, d: Date | null, what: string) =>
    d ? restart(due, pausedAt, ctx.now, d, `what was left of ${what}`) : null;
  const acknowledgeBy = shift(level, row.acknowledgeBy, 'the acknowledge clock')!;
  // A response-only level keeps its acknowledge due time where the resolve clock would be (see collections.ts).
  const resolveBy = row.responseOnly ? acknowledgeBy : shift(level, row.resolveBy, 'the resolve clock')!;
  const task = row.task as StoredTask | null;
  const movedTask =
    task && !task.doneAt
      ? { ...task, dueAt: shift(store, new Date(task.dueAt), 'the execution task')!.toISOString() }
      : task;
  await ctx.tx.update(stintsCollection, row.stintId, { acknowledgeBy, resolveBy });
  const pausedMs = businessTimeBetween(level.calendar, pausedAt, ctx.now);
  const saved = await saveCase(ctx, row, {
    pausedAt: null,
    pausedBusinessMs: (row.pausedBusinessMs ?? 0) + pausedMs,
    acknowledgeBy,
    resolveBy,
    ackDueAt: shift(level, row.ackDueAt, 'the acknowledge clock'),
    resolveDueAt: shift(level, row.resolveDueAt, 'the resolve clock'),
    taskDueAt: shift(store, row.taskDueAt, 'the execution task'),
    task: movedTask,
  });
  const pausedMinutes = Math.round(pausedMs / millisecondsInMinute);
  await addHistory(ctx, row, {
    action: 'resume',
    fromStatus: row.status,
    toStatus: row.status,
    fromLevel: row.level,
    toLevel: row.level,
    note,
    data: { pausedBusinessMinutes: pausedMinutes, ...(by ? { by } : {}) },
  });
  await ctx.emit('complaint.resumed', { caseId: row.id, pausedMinutes }, { customerId: row.customerId });
  return saved;
}

/**
 * The clocks of a case reopened with `reopen: 'continue'`: the resolve clock gets the business time
 * that was left when the case was resolved, counted from now (none left: it is due now), and the
 * time since it was resolved counts as paused. The acknowledgement stands, so none is asked for, and
 * the stay at the level goes on (its stint is reopened). Returns the case patch.
 */
export async function continueClocks(
  runtime: ComplaintsRuntime,
  ctx: ComplaintsContext,
  row: CaseRow,
): Promise<Parameters<typeof saveCase>[2]> {
  const stoppedAt = row.resolvedAt ?? row.closedAt ?? ctx.now;
  const level = await levelCalendarOf(runtime, ctx.tx, row);
  const resolveBy = row.responseOnly
    ? null
    : restart(level, stoppedAt, ctx.now, row.resolveBy, 'what was left of the resolve clock');
  await ctx.tx.update(stintsCollection, row.stintId, {
    leftAt: null,
    resolvedAt: null,
    resolveBy: resolveBy ?? row.resolveBy,
  });
  return {
    resolveBy: resolveBy ?? row.resolveBy,
    resolveDueAt: resolveBy,
    resolvedAt: null,
    pausedBusinessMs: (row.pausedBusinessMs ?? 0) + businessTimeBetween(level.calendar, stoppedAt, ctx.now),
  };
}
