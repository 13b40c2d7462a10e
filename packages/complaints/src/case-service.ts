/**
 * Case commands: open, acknowledge, investigate, propose remedies (escalating what is above the
 * handler's authority), approve, the customer's answer, rulings on after-sales cases, execution with
 * supervised tasks, verification, closing with a root cause, reopening, appeals, manual escalation,
 * and pausing while the case waits on the customer.
 */
import {
  ClienteleError,
  InvalidStateError,
  NotFoundError,
  PermissionError,
  actorRef,
  idSchema,
  invalid,
  parseInput,
  staffCollection,
  type CommandOptions,
  type JsonValue,
  type QueryOptions,
  type ValueMove,
} from '@clientele/core/module';
import * as z from 'zod';
import {
  acknowledgeLevel,
  addHistory,
  checkStep,
  createCase,
  escalateCase,
  factsOf,
  leaveLevel,
  loadCase,
  recordStep,
  requireLadderRole,
  resolveClocks,
  roleLimit,
  saveCase,
  enterLevel,
  storeCalendarOf,
  type ComplaintsRuntime,
  type ComplaintsContext,
} from './case-engine.js';
import {
  answerSchema,
  approvalSchema,
  closeSchema,
  executeSchema,
  openCaseSchema,
  proposeSchema,
  reasonedStepSchema,
  ruleSchema,
  settleSchema,
  stepSchema,
  withConfiguredCase,
  type AnswerInput,
  type ApprovalInput,
  type CaseStepInput,
  type CloseCaseInput,
  type ExecuteInput,
  type OpenCaseInput,
  type ProposeInput,
  type ReasonedStepInput,
  type RulingInput,
  type SettleAtCounterInput,
} from './case-schemas.js';
import { trackOf, type CaseKind, type CloseOutcome, type NothingOwedOutcome } from './case-states.js';
import { continueClocks, endPause } from './case-clocks.js';
import { toCase, type Case } from './case-view.js';
import {
  casesCollection,
  invitationsCollection,
  remediesCollection,
  type CaseRow,
  type RemedyRow,
  type StoredRuling,
  type StoredTask,
} from './collections.js';
import { approvalLevel, isTop, ladderNamed, levelOf } from './ladder.js';
import { placeDue } from './due-placement.js';
import {
  DEFAULT_REMEDY_POLICIES,
  LOYALTY_REMEDIES,
  REMEDY_TYPES,
  TASK_REMEDIES,
  loyaltyCommandFor,
  remedyValue,
  type RemedyInput,
  type RemedyType,
} from './remedies.js';
import { issueLoyaltyRemedy, remedyApprover } from './remedy-workflow.js';
import { millisecondsInDay, millisecondsInMinute } from 'date-fns/constants';

const OPEN_REMEDY = ['approved', 'awaiting-approval'];

/** Remedy statuses that block verification: not yet carried out. */
const UNFINISHED = ['approved', 'awaiting-approval', 'issuing'];

async function remediesOf(ctx: ComplaintsContext, caseId: string, statuses?: readonly string[]): Promise<RemedyRow[]> {
  const rows = (await ctx.tx.find(remediesCollection, { where: { caseId }, orderBy: [{ field: 'seq' }], limit: 1000 }))
    .rows;
  return statuses ? rows.filter((r) => statuses.includes(r.status)) : rows;
}

/**
 * The commands and reads of complaint and after-sales cases, part of `crm.complaints`. Handling a
 * case needs `complaints.handle`; approving `complaints.approve`, escalating by hand
 * `complaints.escalate`, verifying `complaints.verify`; reads `complaints.read`. Each returns the case
 * as it stands after the step.
 */
export interface CaseService {
  /** Opens a case: complaint, after-sales request, suggestion or praise. */
  open(input: OpenCaseInput, options: CommandOptions): Promise<Case>;
  /** Opens a complaint and settles it at once within authority. */
  settleAtCounter(input: SettleAtCounterInput, options: CommandOptions): Promise<Case>;
  /** Acknowledges a case at its level (stops the acknowledge clock). */
  acknowledge(input: CaseStepInput, options: CommandOptions): Promise<Case>;
  /** Starts (or returns to) investigating a complaint. */
  investigate(input: CaseStepInput, options: CommandOptions): Promise<Case>;
  /** Records the explanation given on an after-sales case. */
  explain(input: ReasonedStepInput, options: CommandOptions): Promise<Case>;
  /** Starts mediation on an after-sales case. */
  mediate(input: CaseStepInput, options: CommandOptions): Promise<Case>;
  /** Proposes remedies; above the handler's authority they await approval one level up the ladder. */
  propose(input: ProposeInput, options: CommandOptions): Promise<Case>;
  /** Approves the remedies awaiting approval, within the approver's own authority. */
  approve(input: ApprovalInput, options: CommandOptions): Promise<Case>;
  /** Declines the remedies awaiting approval; the case goes back to investigation. */
  decline(input: ApprovalInput, options: CommandOptions): Promise<Case>;
  /** Records whether the customer accepts the proposal. */
  answer(input: AnswerInput, options: CommandOptions): Promise<Case>;
  /** Rules on an after-sales case: repair, exchange, refund, or reject with a reason. */
  rule(input: RulingInput, options: CommandOptions): Promise<Case>;
  /** The customer appeals a rejected proposal or a ruling: the case climbs one level. */
  appeal(input: ReasonedStepInput, options: CommandOptions): Promise<Case>;
  /** Escalates a case one level by hand. */
  escalate(input: ReasonedStepInput, options: CommandOptions): Promise<Case>;
  /**
   * Carries out the approved remedies (loyalty ones through `crm.loyalty`), with a task for exchanges
   * and repairs.
   */
  execute(input: ExecuteInput, options: CommandOptions): Promise<Case>;
  /**
   * Marks the execution task done. Its owner may, even after the case escalated past the owner's desk;
   * anyone else needs a role at the case's level or above.
   */
  completeTask(input: CaseStepInput, options: CommandOptions): Promise<Case>;
  /**
   * Verifies that the remedy was carried out (customer relations, for after-sales); a paused case's clocks
   * stop as resuming and then verifying would.
   */
  verify(input: CaseStepInput, options: CommandOptions): Promise<Case>;
  /**
   * Closes a case with its root cause; or, for a complaint with nothing owed, before any remedy with an
   * `outcome` (`answered`, `unfounded`) and its `reason`. A paused case's clocks stop as resuming and then
   * closing would.
   */
  close(input: CloseCaseInput, options: CommandOptions): Promise<Case>;
  /**
   * Reopens a closed case within the reopen window; its clocks continue where they stopped, or restart,
   * as the configuration's `reopen` says.
   */
  reopen(input: ReasonedStepInput, options: CommandOptions): Promise<Case>;
  /** The case waits on the customer: its clocks stand still. */
  pause(input: ReasonedStepInput, options: CommandOptions): Promise<Case>;
  /** The customer is back: the clocks move on by the business time paused. */
  resume(input: CaseStepInput, options: CommandOptions): Promise<Case>;
  /** A case with its items and remedies. */
  get(caseId: string, options: QueryOptions): Promise<Case>;
  /** A case by its number (`C000123`). */
  byNumber(caseNo: string, options: QueryOptions): Promise<Case>;
}

/** Builds the case commands. */
export function createCaseService(runtime: ComplaintsRuntime): CaseService {
  const { kernel, config } = runtime;
  const view = (row: CaseRow) => toCase(kernel.store, config, row, kernel.clock.now());
  /** What remedies give a customer, under the limits their policies name. */
  const actions = [...new Set(REMEDY_TYPES.map((t) => (config.remedies[t] ?? DEFAULT_REMEDY_POLICIES[t]).action))] as [
    string,
    ...string[],
  ];
  const remedyMoves: ValueMove = {
    gives: ['money', 'points', 'voucher', 'goods'],
    limits: actions,
    measure: "the remedies' value, totalled per limit (points at their money value)",
  };

  function checkLoyaltyRemedies(
    row: Pick<CaseRow, 'customerId'>,
    remedies: readonly RemedyInput[],
    path: Array<string | number>,
  ): void {
    remedies.forEach((r, i) => {
      if (!LOYALTY_REMEDIES.includes(r.type)) return;
      if (!row.customerId)
        throw invalid([...path, i, 'type'], 'customer_required', `${r.type} needs a known customer on the case`);
      const api = runtime.loyalty();
      if (!loyaltyCommandFor(api, r.type)) {
        throw new ClienteleError(
          'UNSUPPORTED',
          `${r.type} remedies are issued by the loyalty module, ` +
            `which is not installed${api ? ' or lacks this action' : ''}`,
          { path: [...path, i, 'type'], module: 'loyalty' },
        );
      }
    });
  }

  /** Totals per authority action, so two small remedies cannot slip past a limit one large one would hit. */
  function totalsByAction(remedies: readonly RemedyInput[]): Map<string, number> {
    const totals = new Map<string, number>();
    for (const r of remedies) {
      const action = (config.remedies[r.type] ?? DEFAULT_REMEDY_POLICIES[r.type]).action;
      totals.set(action, (totals.get(action) ?? 0) + remedyValue(r, config.pointValue));
    }
    return totals;
  }

  async function insertRemedies(
    ctx: ComplaintsContext,
    row: CaseRow,
    remedies: readonly RemedyInput[],
    decide: (action: string) => { status: string; approvedBy: string | null; approvalLevel: number | null },
  ): Promise<RemedyRow[]> {
    let seq = await ctx.tx.count(remediesCollection, { caseId: row.id });
    const out: RemedyRow[] = [];
    for (const r of remedies) {
      const action = (config.remedies[r.type] ?? DEFAULT_REMEDY_POLICIES[r.type]).action;
      const d = decide(action);
      const remedy = await ctx.tx.insert(remediesCollection, {
        id: ctx.id('rem'),
        caseId: row.id,
        customerId: row.customerId,
        seq: ++seq,
        type: r.type,
        amount: r.type === 'goodwill-points' ? 0 : r.amount,
        points: r.type === 'goodwill-points' ? r.points : null,
        templateId: r.type === 'voucher' ? r.templateId : null,
        note: r.note ?? null,
        action,
        value: remedyValue(r, config.pointValue),
        status: d.status,
        requestedBy: actorRef(ctx.actor) as JsonValue,
        requestedAt: ctx.now,
        requestedLevel: row.level,
        approvalLevel: d.approvalLevel,
        approvedBy: d.approvedBy,
        approvedAt: d.status === 'approved' ? ctx.now : null,
        issueKey: null,
        result: null,
        executedAt: null,
        failure: null,
        updatedAt: ctx.now,
      });
      out.push(remedy);
      await ctx.emit(
        'complaint.remedy-proposed',
        { caseId: row.id, remedyId: remedy.id, type: remedy.type, value: remedy.value, status: remedy.status },
        { customerId: row.customerId },
      );
    }
    return out;
  }

  /**
   * Records proposed remedies. Within the handler's limit (or a named approver's) they are approved
   * at once; above it they await approval and the case goes to the lowest level that may approve.
   * Returns the case, escalated if needed.
   */
  async function proposeRemedies(
    ctx: ComplaintsContext,
    row: CaseRow,
    remedies: readonly RemedyInput[],
    approverStaffId: string | undefined,
    path: Array<string | number>,
  ): Promise<{ row: CaseRow; remedies: RemedyRow[] }> {
    checkLoyaltyRemedies(row, remedies, path);
    for (const earlier of await remediesOf(ctx, row.id, OPEN_REMEDY)) {
      await ctx.tx.update(
        remediesCollection,
        earlier.id,
        { status: 'withdrawn', updatedAt: ctx.now },
        { expectVersion: earlier.version },
      );
    }
    const ladder = ladderNamed(config, row.ladder);
    const decisions = new Map<string, { status: string; approvedBy: string | null; approvalLevel: number | null }>();
    let escalateTo = row.level;
    for (const [action, total] of totalsByAction(remedies)) {
      if (await ctx.withinAuthority(action, total)) {
        decisions.set(action, { status: 'approved', approvedBy: null, approvalLevel: null });
      } else if (approverStaffId) {
        const { approvedBy } = await ctx.requireAuthority(action, total, approverStaffId);
        decisions.set(action, { status: 'approved', approvedBy, approvalLevel: null });
      } else {
        const limits = new Map<string, number>();
        for (const l of ladder)
          for (const r of l.roles) if (!limits.has(r)) limits.set(r, await roleLimit(ctx.tx, r, action));
        const level = approvalLevel(ladder, row.level, (r) => limits.get(r) ?? 0, total);
        decisions.set(action, { status: 'awaiting-approval', approvedBy: null, approvalLevel: level });
        escalateTo = Math.max(escalateTo, level);
      }
    }
    const inserted = await insertRemedies(ctx, row, remedies, (action) => decisions.get(action)!);
    for (const r of inserted.filter((x) => x.status === 'awaiting-approval')) {
      await addHistory(ctx, row, {
        action: 'request-approval',
        fromStatus: row.status,
        toStatus: row.status,
        fromLevel: row.level,
        toLevel: r.approvalLevel ?? row.level,
        data: { remedyId: r.id, authority: r.action, value: r.value },
      });
      await ctx.emit(
        'complaint.approval-requested',
        { caseId: row.id, remedyId: r.id, action: r.action, value: r.value, level: r.approvalLevel ?? row.level },
        { customerId: row.customerId },
      );
    }
    let current = row;
    if (escalateTo > row.level)
      current = await escalateCase(
        runtime,
        ctx,
        row,
        escalateTo,
        'authority',
        ctx.now,
        `above the authority of ${levelOf(ladder, row.level).name}`,
      );
    return { row: current, remedies: inserted };
  }

  /** Moves a case one step along the table and saves it. */
  async function step(
    ctx: ComplaintsContext,
    row: CaseRow,
    action: Parameters<typeof checkStep>[1],
    patch: Parameters<typeof saveCase>[2] = {},
    note: string | null = null,
    data: Record<string, JsonValue> = {},
  ): Promise<CaseRow> {
    const to = checkStep(row, action, factsOf(row));
    const saved = await saveCase(ctx, row, { ...patch, status: to });
    await recordStep(ctx, row, action, to, note, data);
    return saved;
  }

  async function acknowledgeStep(ctx: ComplaintsContext, row: CaseRow, note: string | null): Promise<CaseRow> {
    const onTime = ctx.now.getTime() <= row.acknowledgeBy.getTime();
    const patch = await acknowledgeLevel(runtime, ctx, row);
    let saved: CaseRow;
    if (row.status === 'received') {
      saved = await step(ctx, row, 'acknowledge', patch, note);
    } else if (row.levelAcknowledgedAt === null) {
      // An escalated case: the new level takes it over; the status stays.
      saved = await saveCase(ctx, row, patch);
      await addHistory(ctx, row, {
        action: 'acknowledge',
        fromStatus: row.status,
        toStatus: row.status,
        fromLevel: row.level,
        toLevel: row.level,
        note,
      });
    } else {
      throw new InvalidStateError(`case ${row.caseNo} is already acknowledged at level ${row.level}`, {
        path: ['caseId'],
        status: row.status,
      });
    }
    await ctx.emit(
      'complaint.acknowledged',
      { caseId: row.id, level: row.level, onTime },
      { customerId: row.customerId },
    );
    return saved;
  }

  /**
   * Carries out the approved remedies in the caller's transaction: money remedies are recorded as
   * paid, exchanges and repairs become the task, and loyalty remedies are issued through the loyalty
   * module's commands (see `remedy-workflow.ts`), told `fallbackApprover` as approver when the remedy
   * names none. A refusal by the loyalty module fails the whole command.
   */
  async function executeStep(
    ctx: ComplaintsContext,
    row: CaseRow,
    task: z.output<typeof executeSchema>['task'],
    note: string | null,
    fallbackApprover: string | null = null,
  ): Promise<CaseRow> {
    checkStep(row, 'execute', factsOf(row));
    const open = await remediesOf(ctx, row.id, OPEN_REMEDY);
    if (open.some((r) => r.status === 'awaiting-approval'))
      throw new InvalidStateError(`case ${row.caseNo} has a remedy awaiting approval`, { path: ['caseId'] });
    if (open.length === 0)
      throw new InvalidStateError(`case ${row.caseNo} has no approved remedy to execute`, { path: ['caseId'] });
    const needsTask = open.some((r) => TASK_REMEDIES.includes(r.type as RemedyType));
    if (needsTask && !task)
      throw invalid(
        ['task'],
        'required',
        'exchanges and repairs are carried out as a task with an owner and a due date',
      );
    let stored: StoredTask | null = null;
    if (task) {
      const owner = await ctx.tx.get(staffCollection, task.ownerStaffId);
      if (!owner?.active) throw new NotFoundError('staff', task.ownerStaffId, { path: ['task', 'ownerStaffId'] });
      const store = await storeCalendarOf(runtime, ctx.tx, row.storeId, ['caseId']);
      const dueAt =
        task.dueAt ??
        placeDue(store, ctx.now, task.dueInMinutes! * millisecondsInMinute, {
          what: 'the execution task',
          inputPath: ['task', 'dueInMinutes'],
        });
      if (dueAt.getTime() <= ctx.now.getTime())
        throw invalid(['task', 'dueAt'], 'in_past', 'a task is due in the future');
      stored = {
        ownerStaffId: owner.id,
        description: task.description,
        dueAt: dueAt.toISOString(),
        startedAt: ctx.now.toISOString(),
        doneAt: null,
        doneNote: null,
        lateNotedAt: null,
      };
    }
    let cost = row.remedyCost;
    const loyalty: RemedyRow[] = [];
    for (const r of open) {
      if (r.type === 'refund' || r.type === 'compensation') {
        // Money changes hands at the till; the case records that it did.
        await ctx.tx.update(
          remediesCollection,
          r.id,
          { status: 'executed', executedAt: ctx.now, updatedAt: ctx.now },
          { expectVersion: r.version },
        );
        cost += r.value;
        await ctx.emit(
          'complaint.remedy-executed',
          { caseId: row.id, remedyId: r.id, type: r.type, value: r.value },
          { customerId: row.customerId },
        );
      } else if (LOYALTY_REMEDIES.includes(r.type as RemedyType)) {
        loyalty.push(r);
      }
    }
    let saved = await step(
      ctx,
      row,
      'execute',
      { task: stored, taskDueAt: stored ? new Date(stored.dueAt) : null, remedyCost: cost },
      note,
      stored ? { taskOwner: stored.ownerStaffId, taskDueAt: stored.dueAt } : {},
    );
    for (const r of loyalty)
      saved = await issueLoyaltyRemedy(runtime, ctx, saved, r, remedyApprover(r) ?? fallbackApprover);
    return saved;
  }

  async function verifyStep(ctx: ComplaintsContext, row: CaseRow, note: string | null): Promise<CaseRow> {
    const all = await remediesOf(ctx, row.id);
    const unfinished = all.filter((r) => UNFINISHED.includes(r.status));
    if (unfinished.length)
      throw new InvalidStateError(`case ${row.caseNo}: ${unfinished.length} remedy(ies) not carried out yet`, {
        path: ['caseId'],
        remedies: unfinished.map((r) => r.id),
      });
    // A remedy that could not be issued leaves the case unfixed until a later one is carried out.
    const lastFailed = Math.max(0, ...all.filter((r) => r.status === 'failed').map((r) => r.seq));
    if (lastFailed > 0 && !all.some((r) => r.status === 'executed' && r.seq > lastFailed)) {
      throw new InvalidStateError(`case ${row.caseNo}: a remedy failed; investigate and propose another`, {
        path: ['caseId'],
      });
    }
    const task = row.task as StoredTask | null;
    if (task && !task.doneAt)
      throw new InvalidStateError(`case ${row.caseNo}: the execution task is not done`, { path: ['caseId'] });
    checkStep(row, 'verify');
    // Verifying a paused case stops its clocks exactly as resuming and then verifying would.
    const running = await endPause(runtime, ctx, row, null, 'verify');
    return step(ctx, running, 'verify', await resolveClocks(runtime, ctx, running), note);
  }

  /**
   * Closes a case. With a remedy carried out and verified (or an after-sales ruling that refused) it
   * records the root cause; a complaint with nothing owed closes before any remedy with an outcome and
   * its reason, withdrawing remedies that were proposed. A paused case's clocks stop exactly as resuming
   * and then closing would.
   */
  async function closeStep(
    ctx: ComplaintsContext,
    row: CaseRow,
    input: {
      rootCause?: string | undefined;
      resolution?: string | undefined;
      outcome?: NothingOwedOutcome | undefined;
      reason?: string | undefined;
    },
  ): Promise<CaseRow> {
    const { rootCause, resolution } = input;
    const track = trackOf(row.kind as CaseKind);
    const given = input.outcome ?? null;
    if (track === 'after-sales' && given)
      throw new InvalidStateError(
        `case ${row.caseNo}: an after-sales case closes by its ruling; when nothing is owed, rule reject with a reason`,
        { path: ['outcome'], status: row.status },
      );
    checkStep(row, 'close', { ...factsOf(row), outcome: given });
    if (track !== 'feedback' && !given && !rootCause)
      throw invalid(['rootCause'], 'required', 'the root cause is recorded when a case closes');
    if (rootCause && config.causes && !config.causes.includes(rootCause))
      throw invalid(['rootCause'], 'unknown_cause', `${rootCause} is not a configured cause`);
    if (given && track === 'complaint') {
      const remedies = await remediesOf(ctx, row.id);
      if (remedies.some((r) => r.status === 'issuing'))
        throw new InvalidStateError(`case ${row.caseNo}: a remedy is being issued; run runDue to finish it first`, {
          path: ['caseId'],
        });
      for (const r of remedies.filter((x) => OPEN_REMEDY.includes(x.status)))
        await ctx.tx.update(
          remediesCollection,
          r.id,
          { status: 'withdrawn', updatedAt: ctx.now },
          { expectVersion: r.version },
        );
    }
    const outcome: CloseOutcome | null =
      given ?? (row.status === 'verified' ? 'resolved' : track === 'after-sales' ? 'rejected' : null);
    // Closing a paused case stops its clocks exactly as resuming and then closing would.
    const running = await endPause(runtime, ctx, row, null, 'close');
    const clocks = running.resolvedAt ? {} : await resolveClocks(runtime, ctx, running);
    await leaveLevel(ctx, running, ctx.now);
    const saved = await step(
      ctx,
      running,
      'close',
      {
        ...clocks,
        closedAt: ctx.now,
        rootCause: rootCause ?? null,
        resolution: resolution ?? null,
        outcome,
        outcomeReason: input.reason ?? null,
      },
      resolution ?? input.reason ?? null,
      { ...(rootCause ? { rootCause } : {}), ...(outcome ? { outcome } : {}) },
    );
    ctx.audit(
      { type: 'case', id: row.id, customerId: row.customerId },
      { outcome, ...(input.reason ? { reason: input.reason } : {}) },
    );
    const questionnaire = config.surveys.questionnaires.find((q) => q.trigger === 'case-closed');
    if (questionnaire && row.customerId) {
      const invitationId = ctx.id('inv');
      await ctx.tx.insert(invitationsCollection, {
        id: invitationId,
        questionnaireId: questionnaire.id,
        customerId: row.customerId,
        storeId: row.storeId,
        trigger: 'case-closed',
        refType: 'case',
        refId: row.reopenCount === 0 ? row.id : `${row.id}:${row.reopenCount}`,
        status: 'open',
        createdAt: ctx.now,
        expiresAt: new Date(ctx.now.getTime() + questionnaire.expiresAfterDays * millisecondsInDay),
        respondedAt: null,
        responseId: null,
      });
      await ctx.emit(
        'survey.invited',
        {
          invitationId,
          questionnaireId: questionnaire.id,
          customerId: row.customerId,
          storeId: row.storeId,
          trigger: 'case-closed',
        },
        { customerId: row.customerId },
      );
    }
    if (row.customerId) {
      await ctx.addTimeline({
        customerId: row.customerId,
        source: 'complaints',
        kind: 'case-closed',
        facts: { caseNo: row.caseNo, remedyCost: saved.remedyCost, currency: runtime.kernel.currency },
        storeId: row.storeId,
        ref: { type: 'case', id: row.id },
      });
    }
    await ctx.emit(
      'complaint.closed',
      { caseId: row.id, rootCause: rootCause ?? null, outcome, storeId: row.storeId, remedyCost: saved.remedyCost },
      { customerId: row.customerId },
    );
    return saved;
  }

  const open = kernel.command({
    name: 'complaints.open',
    input: withConfiguredCase(openCaseSchema, config, (c) => c),
    permission: 'complaints.handle',
    idempotency: 'optional',
    async run(ctx, input) {
      const row = await createCase(runtime, ctx, {
        kind: input.kind,
        request: input.request ?? null,
        channel: input.channel,
        storeId: input.storeId,
        customerId: input.customerId ?? null,
        contact: input.contact ? (JSON.parse(JSON.stringify(input.contact)) as CaseRow['contact']) : null,
        purchaseId: input.purchaseId ?? null,
        items: input.items,
        category: input.category,
        severity: input.severity,
        description: input.description,
        attachments: input.attachments,
        source: null,
      });
      return toCase(ctx.tx, config, row, ctx.now);
    },
  });

  /** A command on one case whose body gets the loaded row and returns the saved one. */
  function caseCommand<S extends z.ZodType<{ caseId: string }>>(
    name: string,
    input: S,
    permission: string,
    body: (ctx: ComplaintsContext, row: CaseRow, input: z.output<S>) => Promise<CaseRow>,
    moves?: ValueMove,
  ) {
    return kernel.command({
      name: `complaints.${name}`,
      input,
      permission,
      idempotency: 'optional',
      ...(moves ? { moves } : {}),
      async run(ctx, parsed: z.output<S>) {
        const row = await loadCase(ctx.tx, parsed.caseId);
        const saved = await body(ctx, row, parsed);
        ctx.audit(
          { type: 'case', id: row.id, customerId: row.customerId },
          { caseNo: row.caseNo, status: saved.status, level: saved.level },
        );
        return toCase(ctx.tx, config, saved, ctx.now);
      },
    });
  }

  const acknowledge = caseCommand('acknowledge', stepSchema, 'complaints.handle', async (ctx, row, input) => {
    requireLadderRole(runtime, ctx, row);
    return acknowledgeStep(ctx, row, input.note ?? null);
  });

  const investigate = caseCommand('investigate', stepSchema, 'complaints.handle', async (ctx, row, input) => {
    requireLadderRole(runtime, ctx, row);
    return step(ctx, row, 'investigate', {}, input.note ?? null);
  });

  const explain = caseCommand('explain', reasonedStepSchema, 'complaints.handle', async (ctx, row, input) => {
    requireLadderRole(runtime, ctx, row);
    return step(ctx, row, 'explain', {}, input.note);
  });

  const mediate = caseCommand('mediate', stepSchema, 'complaints.handle', async (ctx, row, input) => {
    requireLadderRole(runtime, ctx, row);
    return step(ctx, row, 'mediate', {}, input.note ?? null);
  });

  const propose = caseCommand(
    'propose',
    proposeSchema,
    'complaints.handle',
    async (ctx, row, input) => {
      requireLadderRole(runtime, ctx, row);
      checkStep(row, 'propose');
      const stepped = await step(ctx, row, 'propose', {}, input.note ?? null, {
        remedies: input.remedies.map((r) => r.type),
      });
      return (await proposeRemedies(ctx, stepped, input.remedies, input.approverStaffId, ['remedies'])).row;
    },
    { ...remedyMoves, aboveLimit: 'escalate' },
  );

  const approve = caseCommand(
    'approve',
    approvalSchema,
    'complaints.approve',
    async (ctx, row, input) => {
      const waiting = await remediesOf(ctx, row.id, ['awaiting-approval']);
      if (waiting.length === 0)
        throw new InvalidStateError(`case ${row.caseNo} has no remedy awaiting approval`, { path: ['caseId'] });
      const totals = new Map<string, number>();
      for (const r of waiting) totals.set(r.action, (totals.get(r.action) ?? 0) + r.value);
      // The approver's own limit must cover it; otherwise the refusal is audited and nothing changes.
      for (const [action, total] of totals) await ctx.requireAuthority(action, total);
      const approvedBy = ctx.actor.kind === 'staff' ? ctx.actor.staffId : `system:${ctx.actor.name}`;
      for (const r of waiting) {
        await ctx.tx.update(
          remediesCollection,
          r.id,
          { status: 'approved', approvedBy, approvedAt: ctx.now, updatedAt: ctx.now },
          { expectVersion: r.version },
        );
        await ctx.emit(
          'complaint.remedy-approved',
          { caseId: row.id, remedyId: r.id, approvedBy },
          { customerId: row.customerId },
        );
      }
      const saved = await saveCase(ctx, row, {});
      await addHistory(ctx, row, {
        action: 'approve',
        fromStatus: row.status,
        toStatus: row.status,
        fromLevel: row.level,
        toLevel: row.level,
        note: input.note ?? null,
        data: { remedies: waiting.map((r) => r.id), value: waiting.reduce((s, r) => s + r.value, 0) },
      });
      return saved;
    },
    remedyMoves,
  );

  const decline = caseCommand('decline', approvalSchema, 'complaints.approve', async (ctx, row, input) => {
    const waiting = await remediesOf(ctx, row.id, ['awaiting-approval']);
    if (waiting.length === 0)
      throw new InvalidStateError(`case ${row.caseNo} has no remedy awaiting approval`, { path: ['caseId'] });
    for (const r of waiting)
      await ctx.tx.update(
        remediesCollection,
        r.id,
        { status: 'declined', updatedAt: ctx.now },
        { expectVersion: r.version },
      );
    return step(ctx, row, 'investigate', {}, input.note ?? null, { declined: waiting.map((r) => r.id) });
  });

  const answer = caseCommand('answer', answerSchema, 'complaints.handle', async (ctx, row, input) => {
    requireLadderRole(runtime, ctx, row);
    const open = await remediesOf(ctx, row.id, OPEN_REMEDY);
    if (input.accepted) {
      if (open.some((r) => r.status === 'awaiting-approval'))
        throw new InvalidStateError(`case ${row.caseNo}: the proposal still awaits approval`, { path: ['caseId'] });
      return step(ctx, row, 'accept', {}, input.note ?? null);
    }
    checkStep(row, 'reject');
    for (const r of open)
      await ctx.tx.update(
        remediesCollection,
        r.id,
        { status: 'rejected', updatedAt: ctx.now },
        { expectVersion: r.version },
      );
    return step(ctx, row, 'reject', {}, input.note ?? null);
  });

  const rule = caseCommand(
    'rule',
    ruleSchema,
    'complaints.rule',
    async (ctx, row, input) => {
      requireLadderRole(runtime, ctx, row);
      checkStep(row, 'rule');
      const ruling: StoredRuling = {
        decision: input.decision,
        reason: input.reason ?? null,
        ruledBy: actorRef(ctx.actor) as JsonValue,
        at: ctx.now.toISOString(),
      };
      const ruled = await step(ctx, row, 'rule', { ruling }, input.reason ?? null, {
        decision: input.decision,
        ...(input.amount !== undefined ? { amount: input.amount } : {}),
      });
      await ctx.emit('complaint.ruled', { caseId: row.id, decision: input.decision }, { customerId: row.customerId });
      if (input.decision === 'reject') return ruled;
      const remedy: RemedyInput =
        input.decision === 'refund'
          ? { type: 'refund', amount: input.amount! }
          : { type: input.decision, amount: input.amount ?? 0 };
      return (await proposeRemedies(ctx, ruled, [remedy], input.approverStaffId, ['amount'])).row;
    },
    { ...remedyMoves, aboveLimit: 'escalate' },
  );

  const appeal = caseCommand('appeal', reasonedStepSchema, 'complaints.handle', async (ctx, row, input) => {
    checkStep(row, 'appeal', factsOf(row));
    const ladder = ladderNamed(config, row.ladder);
    if (isTop(ladder, row.level))
      throw new InvalidStateError(
        `case ${row.caseNo} is at the top of its ladder (${levelOf(ladder, row.level).name}); its decision is final`,
        { path: ['caseId'] },
      );
    for (const r of await remediesOf(ctx, row.id, OPEN_REMEDY))
      await ctx.tx.update(
        remediesCollection,
        r.id,
        { status: 'withdrawn', updatedAt: ctx.now },
        { expectVersion: r.version },
      );
    const stepped = await step(ctx, row, 'appeal', {}, input.note);
    return escalateCase(runtime, ctx, stepped, row.level + 1, 'appeal', ctx.now, input.note);
  });

  const escalate = caseCommand('escalate', reasonedStepSchema, 'complaints.escalate', async (ctx, row, input) => {
    if (row.status === 'closed' || row.status === 'verified')
      throw new InvalidStateError(`case ${row.caseNo} is ${row.status}`, { path: ['caseId'] });
    const ladder = ladderNamed(config, row.ladder);
    if (isTop(ladder, row.level))
      throw new InvalidStateError(`case ${row.caseNo} is already at the top of its ladder`, { path: ['caseId'] });
    return escalateCase(runtime, ctx, row, row.level + 1, 'manual', ctx.now, input.note);
  });

  const completeTask = caseCommand('complete-task', stepSchema, 'complaints.handle', async (ctx, row, input) => {
    const task = row.task as StoredTask | null;
    if (row.status !== 'executing' || !task || task.doneAt)
      throw new InvalidStateError(`case ${row.caseNo} has no execution task in progress`, { path: ['caseId'] });
    if (!(ctx.actor.kind === 'staff' && ctx.actor.staffId === task.ownerStaffId)) requireLadderRole(runtime, ctx, row);
    let cost = row.remedyCost;
    for (const r of await remediesOf(ctx, row.id, ['approved'])) {
      if (!TASK_REMEDIES.includes(r.type as RemedyType)) continue;
      await ctx.tx.update(
        remediesCollection,
        r.id,
        { status: 'executed', executedAt: ctx.now, updatedAt: ctx.now },
        { expectVersion: r.version },
      );
      cost += r.value;
      await ctx.emit(
        'complaint.remedy-executed',
        { caseId: row.id, remedyId: r.id, type: r.type, value: r.value },
        { customerId: row.customerId },
      );
    }
    const late = ctx.now.getTime() > new Date(task.dueAt).getTime();
    const saved = await saveCase(ctx, row, {
      task: { ...task, doneAt: ctx.now.toISOString(), doneNote: input.note ?? null },
      taskDueAt: null,
      remedyCost: cost,
    });
    await addHistory(ctx, row, {
      action: 'complete-task',
      fromStatus: row.status,
      toStatus: row.status,
      fromLevel: row.level,
      toLevel: row.level,
      note: input.note ?? null,
      data: { late, dueAt: task.dueAt },
    });
    return saved;
  });

  const verify = caseCommand('verify', stepSchema, 'complaints.verify', async (ctx, row, input) => {
    const verifiers = config.verifierRoles[row.kind as CaseKind];
    if (verifiers && ctx.actor.kind === 'staff' && !verifiers.includes(ctx.actor.roleId)) {
      throw new PermissionError(`verify a ${row.kind} case (roles: ${verifiers.join(', ')})`, actorRef(ctx.actor));
    }
    if (!verifiers) requireLadderRole(runtime, ctx, row);
    return verifyStep(ctx, row, input.note ?? null);
  });

  const close = caseCommand('close', closeSchema, 'complaints.handle', async (ctx, row, input) => {
    requireLadderRole(runtime, ctx, row);
    return closeStep(ctx, row, input);
  });

  const reopen = caseCommand('reopen', reasonedStepSchema, 'complaints.handle', async (ctx, row, input) => {
    checkStep(row, 'reopen');
    const closedAt = row.closedAt!;
    if (ctx.now.getTime() - closedAt.getTime() > config.reopenWindowDays * millisecondsInDay) {
      throw new InvalidStateError(
        `case ${row.caseNo} closed more than ${config.reopenWindowDays} days ago; open a new case`,
        { path: ['caseId'], closedAt: closedAt.toISOString() },
      );
    }
    // `continue` keeps the time that was left, so an early close buys no new window; `restart` starts afresh.
    const clocks =
      config.reopen === 'continue'
        ? await continueClocks(runtime, ctx, row)
        : { ...(await enterLevel(runtime, ctx, row, row.level, 'reopened', ctx.now)), overdue: false };
    const saved = await step(
      ctx,
      row,
      'reopen',
      {
        ...clocks,
        closedAt: null,
        resolvedAt: null,
        outcome: null,
        outcomeReason: null,
        reopenCount: row.reopenCount + 1,
        task: null,
        taskDueAt: null,
      },
      input.note,
      { clocks: config.reopen },
    );
    await ctx.emit(
      'complaint.reopened',
      { caseId: row.id, level: row.level, clocks: config.reopen },
      { customerId: row.customerId },
    );
    return saved;
  });

  const pause = caseCommand('pause', reasonedStepSchema, 'complaints.handle', async (ctx, row, input) => {
    if (row.status === 'verified' || row.status === 'closed')
      throw new InvalidStateError(`case ${row.caseNo} is ${row.status}`, { path: ['caseId'] });
    if (row.pausedAt)
      throw new InvalidStateError(`case ${row.caseNo} is already waiting on the customer`, { path: ['caseId'] });
    const saved = await saveCase(ctx, row, { pausedAt: ctx.now });
    await addHistory(ctx, row, {
      action: 'pause',
      fromStatus: row.status,
      toStatus: row.status,
      fromLevel: row.level,
      toLevel: row.level,
      note: input.note,
    });
    await ctx.emit('complaint.paused', { caseId: row.id }, { customerId: row.customerId });
    return saved;
  });

  const resume = caseCommand('resume', stepSchema, 'complaints.handle', async (ctx, row, input) => {
    if (!row.pausedAt)
      throw new InvalidStateError(`case ${row.caseNo} is not waiting on the customer`, { path: ['caseId'] });
    // The business time that was left at the pause, counted again from now.
    return endPause(runtime, ctx, row, input.note ?? null);
  });

  /**
   * Carries out the approved remedies in one transaction: money remedies are recorded as paid,
   * exchanges and repairs become a supervised task, and loyalty remedies are issued by the loyalty
   * module's commands inside the same transaction. A refusal by the loyalty module fails it with the
   * loyalty module's own error, and nothing changes.
   */
  const execute = caseCommand('execute', executeSchema, 'complaints.handle', async (ctx, row, input) => {
    requireLadderRole(runtime, ctx, row);
    return executeStep(ctx, row, input.task, input.note ?? null);
  });

  /**
   * Opens a complaint and settles it at once, at the counter, in one transaction: acknowledged,
   * investigated, remedy proposed within the handler's authority (or a named approver's), accepted,
   * carried out (loyalty remedies issued by the loyalty module's commands inside the transaction),
   * verified and closed with its root cause, every step in the case's history. It is all or nothing:
   * above authority without an approver it is refused with `AUTHORITY_EXCEEDED`, and a refusal by the
   * loyalty module fails it with the loyalty module's own error; either way nothing is recorded but
   * the refusal's audit.
   */
  const settleAtCounter = kernel.command({
    name: 'complaints.settle',
    input: withConfiguredCase(settleSchema, config, (s) => s.case, ['case']),
    permission: 'complaints.handle',
    idempotency: 'optional',
    moves: remedyMoves,
    async run(ctx, input): Promise<Case> {
      const c = input.case;
      let row = await createCase(runtime, ctx, {
        kind: c.kind,
        request: null,
        channel: c.channel,
        storeId: c.storeId,
        customerId: c.customerId ?? null,
        contact: c.contact ? (JSON.parse(JSON.stringify(c.contact)) as CaseRow['contact']) : null,
        purchaseId: c.purchaseId ?? null,
        items: c.items,
        category: c.category,
        severity: c.severity,
        description: c.description,
        attachments: c.attachments,
        source: null,
      });
      checkLoyaltyRemedies(row, input.remedies, ['remedies']);
      // Settling at once needs the authority now: the handler's own or a named approver's.
      const approvals = new Map<string, string | null>();
      for (const [action, total] of totalsByAction(input.remedies))
        approvals.set(action, (await ctx.requireAuthority(action, total, input.approverStaffId)).approvedBy);
      row = await acknowledgeStep(ctx, row, null);
      row = await step(ctx, row, 'investigate');
      row = await step(ctx, row, 'propose', {}, null, { remedies: input.remedies.map((r) => r.type) });
      await insertRemedies(ctx, row, input.remedies, (action) => ({
        status: 'approved',
        approvedBy: approvals.get(action) ?? null,
        approvalLevel: null,
      }));
      row = await step(ctx, row, 'accept');
      // The approver named at the counter stands behind every remedy for the loyalty module too.
      row = await executeStep(ctx, row, undefined, null, input.approverStaffId ?? null);
      row = await verifyStep(ctx, row, null);
      row = await closeStep(ctx, row, { rootCause: input.rootCause, resolution: input.resolution });
      ctx.audit(
        { type: 'case', id: row.id, customerId: row.customerId },
        { caseNo: row.caseNo, status: row.status, settled: true },
      );
      return toCase(ctx.tx, config, row, ctx.now);
    },
  });

  async function get(caseId: string): Promise<Case> {
    const id = parseInput(idSchema, caseId, ['caseId']);
    return view(await loadCase(kernel.store, id));
  }

  async function byNumber(caseNo: string): Promise<Case> {
    const no = parseInput(z.string().regex(/^C[0-9]{6,}$/, 'case numbers look like C000123'), caseNo, ['caseNo']);
    const row = await kernel.store.getBy(casesCollection, 'complaint_cases_no', { caseNo: no });
    if (!row) throw new NotFoundError('case', no, { path: ['caseNo'] });
    return view(row);
  }

  return {
    open,
    settleAtCounter,
    acknowledge,
    investigate,
    explain,
    mediate,
    propose,
    approve,
    decline,
    answer,
    rule,
    appeal,
    escalate,
    execute,
    completeTask,
    verify,
    close,
    reopen,
    pause,
    resume,
    get: kernel.query({
      name: 'complaints.get',
      permission: 'complaints.read',
      reads: (c) => [c.customerId],
      run: get,
    }),
    byNumber: kernel.query({
      name: 'complaints.byNumber',
      permission: 'complaints.read',
      reads: (c) => [c.customerId],
      run: byNumber,
    }),
  };
}
