/**
 * Corrective actions: what a store changes so a cause does not come back. Each has an owner, a due
 * date, a status and a verification; one that is overdue climbs the ladder like a case does.
 */
import {
  mustGet,
  InvalidStateError,
  NotFoundError,
  PermissionError,
  actorRef,
  codeSchema,
  idSchema,
  instantSchema,
  invalid,
  isClienteleError,
  longTextSchema,
  multiLineTextSchema,
  parseInput,
  staffCollection,
  type Actor,
  type CommandOptions,
  type JsonValue,
  type QueryOptions,
  type ResultPage,
  type RowOf,
} from '@clientele/core/module';
import * as z from 'zod';
import { loadCase, storeCalendarOf, type ComplaintsRuntime } from './case-engine.js';
import { actionsCollection, type ActionRow } from './collections.js';
import { isTop } from './ladder.js';
import { placeDue } from './due-placement.js';
import { MAX_PLACEABLE_MINUTES } from './sla-clock.js';
import { millisecondsInMinute } from 'date-fns/constants';

/** A corrective action. */
export type CorrectiveAction = ActionRow;

/** Input of `actions.create`. */
export const createActionSchema = z
  .object({
    /** The case that taught it; its store and root cause are the defaults. */
    caseId: idSchema.optional(),
    storeId: codeSchema.optional(),
    cause: codeSchema.optional(),
    description: longTextSchema,
    ownerStaffId: codeSchema,
    /** Due in this many business minutes of the store; or give `dueAt`. */
    dueInMinutes: z.number().int().min(1).max(MAX_PLACEABLE_MINUTES).optional(),
    dueAt: instantSchema.optional(),
  })
  .strict()
  .refine((a) => (a.dueInMinutes === undefined) !== (a.dueAt === undefined), {
    message: 'give dueInMinutes or dueAt',
    path: ['dueInMinutes'],
    params: { code: 'one_of' },
  });

/** Input of `actions.list`. */
export const listActionsSchema = z
  .object({
    status: z.enum(['open', 'done', 'verified', 'cancelled']).optional(),
    storeId: codeSchema.optional(),
    caseId: idSchema.optional(),
    limit: z.number().int().min(1).max(1000).default(50),
    after: z.string().min(1).max(2000).nullish(),
  })
  .strict();

const noteSchema = multiLineTextSchema(2000);

/** Input of `actions.create`. */
export type CreateActionInput = z.input<typeof createActionSchema>;
/** Filters of `actions.list`. */
export type ListActionsInput = z.input<typeof listActionsSchema>;

const completeActionSchema = z.object({ actionId: idSchema, note: noteSchema }).strict();
/** Input of `actions.complete`: what was done. */
export type CompleteActionInput = z.input<typeof completeActionSchema>;

const verifyActionSchema = z.object({ actionId: idSchema, note: noteSchema.optional() }).strict();
/** Input of `actions.verify`. */
export type VerifyActionInput = z.input<typeof verifyActionSchema>;

/**
 * `crm.complaints.actions`: corrective actions with an owner and a due date; overdue ones escalate up
 * the configured ladder. Reads need `complaints.read`: an action names no customer, but its words may
 * come from a case (reads of it are not audited, having no member's file to name).
 */
export interface CorrectiveActionApi {
  /** Records a corrective action with its owner and due date. */
  create(input: CreateActionInput, options: CommandOptions): Promise<CorrectiveAction>;
  /** The owner reports it done. */
  complete(input: CompleteActionInput, options: CommandOptions): Promise<CorrectiveAction>;
  /** Someone other than the owner verifies it worked. */
  verify(input: VerifyActionInput, options: CommandOptions): Promise<CorrectiveAction>;
  /** An action by id. */
  get(actionId: string, options: QueryOptions): Promise<CorrectiveAction>;
  /** Actions, oldest first. */
  list(options: QueryOptions): Promise<ResultPage<CorrectiveAction>>;
  /** Actions by status, store or case, oldest first. */
  list(filters: ListActionsInput | undefined, options: QueryOptions): Promise<ResultPage<CorrectiveAction>>;
}

/** Builds the corrective-action service. */
export function createCorrectiveActionService(runtime: ComplaintsRuntime) {
  const { kernel, config } = runtime;
  const ladderId = config.correctiveActions.ladder;
  const ladder = config.ladders[ladderId]!;

  async function load(tx: Parameters<typeof loadCase>[0], id: string): Promise<ActionRow> {
    const row = await mustGet(tx, actionsCollection, id, 'corrective action', { path: ['actionId'] });
    return row;
  }

  const create = kernel.command({
    name: 'complaints.actions.create',
    input: createActionSchema,
    permission: 'complaints.handle',
    idempotency: 'optional',
    async run(ctx, input) {
      const source = input.caseId ? await loadCase(ctx.tx, input.caseId) : null;
      const storeId = input.storeId ?? source?.storeId;
      if (!storeId) throw invalid(['storeId'], 'required', 'name the store (or the case the action comes from)');
      const cause = input.cause ?? source?.rootCause ?? undefined;
      if (!cause)
        throw invalid(
          ['cause'],
          'required',
          'name the cause the action addresses (or a closed case with a root cause)',
        );
      if (config.causes && !config.causes.includes(cause))
        throw invalid(['cause'], 'unknown_cause', `${cause} is not a configured cause`);
      const store = await storeCalendarOf(runtime, ctx.tx, storeId);
      const owner = await ctx.tx.get(staffCollection, input.ownerStaffId);
      if (!owner?.active) throw new NotFoundError('staff', input.ownerStaffId, { path: ['ownerStaffId'] });
      const dueAt =
        input.dueAt ??
        placeDue(store, ctx.now, input.dueInMinutes! * millisecondsInMinute, {
          what: 'the action',
          inputPath: ['dueInMinutes'],
        });
      if (dueAt.getTime() <= ctx.now.getTime()) throw invalid(['dueAt'], 'in_past', 'an action is due in the future');
      // The owner's own level on the ladder: an overdue action climbs from there.
      const ownLevel = ladder.findIndex((l) => l.roles.includes(owner.roleId));
      const row = await ctx.tx.insert(actionsCollection, {
        id: ctx.id('act'),
        caseId: source?.id ?? null,
        storeId,
        cause,
        description: input.description,
        ownerStaffId: owner.id,
        ladder: ladderId,
        level: ownLevel >= 0 ? ownLevel + 1 : 1,
        dueAt,
        pendingDueAt: dueAt,
        status: 'open',
        escalations: 0,
        overdue: false,
        createdBy: actorRef(ctx.actor) as JsonValue,
        createdAt: ctx.now,
        doneAt: null,
        doneNote: null,
        verifiedAt: null,
        verifiedBy: null,
        updatedAt: ctx.now,
      });
      ctx.audit({ type: 'corrective-action', id: row.id }, { cause, storeId, ownerStaffId: owner.id });
      await ctx.emit('corrective-action.created', {
        actionId: row.id,
        caseId: row.caseId,
        storeId,
        cause,
        ownerStaffId: owner.id,
      });
      return row;
    },
  });

  const complete = kernel.command({
    name: 'complaints.actions.complete',
    input: completeActionSchema,
    permission: 'complaints.handle',
    idempotency: 'optional',
    async run(ctx, input) {
      const row = await load(ctx.tx, input.actionId);
      if (row.status !== 'open')
        throw new InvalidStateError(`corrective action ${row.id} is ${row.status}`, {
          path: ['actionId'],
          status: row.status,
        });
      const done = await ctx.tx.update(
        actionsCollection,
        row.id,
        { status: 'done', doneAt: ctx.now, doneNote: input.note, pendingDueAt: null, updatedAt: ctx.now },
        { expectVersion: row.version },
      );
      ctx.audit({ type: 'corrective-action', id: row.id }, { late: ctx.now.getTime() > row.dueAt.getTime() });
      await ctx.emit('corrective-action.completed', { actionId: row.id });
      return done;
    },
  });

  const verify = kernel.command({
    name: 'complaints.actions.verify',
    input: verifyActionSchema,
    permission: 'complaints.verify',
    idempotency: 'optional',
    async run(ctx, input) {
      const row = await load(ctx.tx, input.actionId);
      if (row.status !== 'done')
        throw new InvalidStateError(`corrective action ${row.id} is ${row.status}; it is verified once done`, {
          path: ['actionId'],
          status: row.status,
        });
      // Nobody verifies their own work.
      if (ctx.actor.kind === 'staff' && ctx.actor.staffId === row.ownerStaffId)
        throw new PermissionError('verify a corrective action one owns', actorRef(ctx.actor));
      const verifiedBy = ctx.actor.kind === 'staff' ? ctx.actor.staffId : `system:${ctx.actor.name}`;
      const verified = await ctx.tx.update(
        actionsCollection,
        row.id,
        { status: 'verified', verifiedAt: ctx.now, verifiedBy, updatedAt: ctx.now },
        { expectVersion: row.version },
      );
      ctx.audit({ type: 'corrective-action', id: row.id });
      await ctx.emit('corrective-action.verified', { actionId: row.id });
      return verified;
    },
  });

  const escalateDue = kernel.command({
    name: 'complaints.actions.escalate-due',
    input: z.object({ actionId: idSchema, asOf: instantSchema }).strict(),
    permission: 'complaints.escalate',
    idempotency: 'optional',
    async run(ctx, input): Promise<{ outcome: 'escalated' | 'overdue' | 'none' }> {
      const row = await load(ctx.tx, input.actionId);
      if (row.status !== 'open' || !row.pendingDueAt || row.pendingDueAt.getTime() > input.asOf.getTime())
        return { outcome: 'none' };
      ctx.audit({ type: 'corrective-action', id: row.id }, { missedAt: row.pendingDueAt.toISOString() });
      if (isTop(ladder, row.level)) {
        await ctx.tx.update(
          actionsCollection,
          row.id,
          { overdue: true, pendingDueAt: null, updatedAt: ctx.now },
          { expectVersion: row.version },
        );
        await ctx.emit('corrective-action.overdue', { actionId: row.id, level: row.level });
        return { outcome: 'overdue' };
      }
      // The next level gets a grace period counted from when the action fell due.
      const store = await storeCalendarOf(runtime, ctx.tx, row.storeId);
      const next = placeDue(
        store,
        row.pendingDueAt,
        config.correctiveActions.graceMinutes * millisecondsInMinute,
        { what: 'the grace period of an overdue action', configPath: ['correctiveActions', 'graceMinutes'] },
        ['actionId'],
      );
      await ctx.tx.update(
        actionsCollection,
        row.id,
        { level: row.level + 1, escalations: row.escalations + 1, pendingDueAt: next, updatedAt: ctx.now },
        { expectVersion: row.version },
      );
      await ctx.emit('corrective-action.escalated', { actionId: row.id, fromLevel: row.level, toLevel: row.level + 1 });
      return { outcome: 'escalated' };
    },
  });

  /** Escalates every overdue action (several levels if it has been overdue that long). */
  async function runDue(now: Date, actor: Actor): Promise<{ escalated: number; overdue: number; errors: number }> {
    const out = { escalated: 0, overdue: 0, errors: 0 };
    const failed = new Set<string>();
    for (let pass = 0; pass < 64; pass++) {
      const due = (
        await kernel.store.find(actionsCollection, { where: { pendingDueAt: { lte: now } }, limit: 200 })
      ).rows.filter((r) => !failed.has(r.id));
      if (due.length === 0) break;
      for (const row of due) {
        try {
          const { outcome } = await escalateDue({ actionId: row.id, asOf: now }, { actor });
          if (outcome === 'escalated') out.escalated++;
          else if (outcome === 'overdue') out.overdue++;
        } catch (error) {
          // Another runner moved it first; the next pass reads it afresh.
          if (isClienteleError(error, 'CONFLICT')) continue;
          failed.add(row.id);
          out.errors++;
          kernel.report(error, `runDue: corrective action ${row.id}`);
        }
      }
    }
    return out;
  }

  async function get(actionId: string): Promise<CorrectiveAction> {
    return load(kernel.store, parseInput(idSchema, actionId, ['actionId']));
  }

  async function list(input: ListActionsInput = {}): Promise<ResultPage<CorrectiveAction>> {
    const q = parseInput(listActionsSchema, input);
    const where: Partial<Record<keyof RowOf<typeof actionsCollection>, unknown>> = {};
    if (q.status) where.status = q.status;
    if (q.storeId) where.storeId = q.storeId;
    if (q.caseId) where.caseId = q.caseId;
    const page = await kernel.store.find(actionsCollection, {
      where: where as never,
      orderBy: [{ field: 'createdAt' }],
      limit: q.limit,
      after: q.after ?? null,
    });
    return { items: page.rows, next: page.next };
  }

  const api: CorrectiveActionApi = {
    create,
    complete,
    verify,
    get: kernel.query({ name: 'complaints.actions.get', permission: 'complaints.read', run: get }),
    list: kernel.query({ name: 'complaints.actions.list', permission: 'complaints.read', run: list }),
  };
  return { api, runDue };
}

/** The corrective-action service with its scheduler hook. */
export type CorrectiveActionService = ReturnType<typeof createCorrectiveActionService>;
