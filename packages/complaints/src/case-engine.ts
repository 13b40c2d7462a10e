/**
 * What every case command does inside its transaction: load and save a case with its clocks,
 * write history, move between levels, and check who may act. Commands in `case-service.ts`,
 * the survey service (a low score opens a case) and `runDue` share it.
 */
import {
  mustGet,
  InvalidStateError,
  PermissionError,
  actorRef,
  formatMoney,
  invalid,
  purchaseLinesCollection,
  purchasesCollection,
  resolveActiveCustomer,
  rolesCollection,
  storeCalendar,
  type BusinessCalendar,
  type CommandContext,
  type CoreEvents,
  type JsonValue,
  type Kernel,
  type PatchOf,
  type StoreSession,
} from '@clientele/core/module';
import { nextStatus, trackOf, type CaseAction, type CaseKind, type CaseStatus, type StepFacts } from './case-states.js';
import {
  casesCollection,
  caseHistoryCollection,
  caseItemsCollection,
  stintsCollection,
  type CaseContact,
  type CaseRow,
  type StoredRuling,
} from './collections.js';
import type { ComplaintsConfig } from './config.js';
import type { ComplaintEvents } from './events.js';
import { checkLadderFits, levelDue, namedCalendar, type DueCalendar } from './due-placement.js';
import { ladderNamed, levelOf, mayActAt } from './ladder.js';
import { segmentIds, type LoyaltyRemedyApi, type SegmentsReadApi } from './remedies.js';
import { businessTimeBetween, nextDue, slaCalendar } from './sla-clock.js';

/** The events the module's commands may emit and its handlers see: core's and its own. */
export type ComplaintsEventMap = CoreEvents & ComplaintEvents;

/** A command context that emits the module's events with their types checked. */
export type ComplaintsContext = CommandContext<ComplaintsEventMap>;

/** What a case command needs besides its context. */
export interface ComplaintsRuntime {
  readonly kernel: Kernel<ComplaintsEventMap>;
  readonly config: ComplaintsConfig;
  /** The loyalty module's API, or null when it is not installed. */
  loyalty(): LoyaltyRemedyApi | null;
  /** The segments module's API, or null when it is not installed. */
  segments(): SegmentsReadApi | null;
}

/** Builds the runtime; modules are looked up lazily because they are registered after every setup. */
export function createComplaintsRuntime(
  kernel: Kernel<ComplaintsEventMap>,
  config: ComplaintsConfig,
): ComplaintsRuntime {
  return {
    kernel,
    config,
    loyalty: () => kernel.optionalModule<LoyaltyRemedyApi>('loyalty'),
    segments: () => kernel.optionalModule<SegmentsReadApi>('segments'),
  };
}

/** A store's calendar as service-level clocks use it; `NOT_FOUND` for an unknown store. */
export async function calendarOf(
  session: StoreSession,
  storeId: string,
  path: Array<string | number> = ['storeId'],
): Promise<BusinessCalendar> {
  return slaCalendar(await storeCalendar(session, storeId, path));
}

/** The store's calendar as due times are placed on it (tasks, corrective actions, and limits that name no calendar). */
export async function storeCalendarOf(
  runtime: ComplaintsRuntime,
  session: StoreSession,
  storeId: string,
  path: Array<string | number> = ['storeId'],
): Promise<DueCalendar> {
  return {
    storeId,
    calendarId: null,
    calendar: await calendarOf(session, storeId, path),
    dueAtClosing: runtime.config.dueAtClosing,
  };
}

/**
 * The calendar the clocks of a case's current level count in: the configuration's calendar its
 * limits named when it entered the level, else its store's.
 */
export async function levelCalendarOf(
  runtime: ComplaintsRuntime,
  session: StoreSession,
  row: Pick<CaseRow, 'storeId' | 'slaCalendar'>,
): Promise<DueCalendar> {
  return row.slaCalendar
    ? namedCalendar(runtime.config, row.storeId, row.slaCalendar)
    : storeCalendarOf(runtime, session, row.storeId, ['caseId']);
}

/** The active customer behind an id (following merges); `NOT_FOUND` or `INVALID_STATE` otherwise. */
export async function activeCustomerId(
  session: StoreSession,
  id: string,
  path: Array<string | number>,
): Promise<string> {
  return (await resolveActiveCustomer(session, id, { path })).id;
}

/** The case with this id; `NOT_FOUND` naming `path` otherwise. */
export async function loadCase(
  session: StoreSession,
  caseId: string,
  path: Array<string | number> = ['caseId'],
): Promise<CaseRow> {
  const row = await mustGet(session, casesCollection, caseId, 'case', { path });
  return row;
}

/**
 * Refuses staff whose role does not belong to the case's level or a level above it: an escalated
 * case is out of the lower desks' hands. The system actor may always act.
 */
export function requireLadderRole(runtime: ComplaintsRuntime, ctx: ComplaintsContext, row: CaseRow): void {
  if (ctx.actor.kind !== 'staff') return;
  const ladder = ladderNamed(runtime.config, row.ladder);
  if (!mayActAt(ladder, row.level, ctx.actor.roleId)) {
    throw new PermissionError(
      `act on a case at level ${row.level} (${levelOf(ladder, row.level).name})`,
      actorRef(ctx.actor),
    );
  }
}

/** The limit a role has for an authority action, read from core's roles (0 for an unknown role). */
export async function roleLimit(session: StoreSession, roleId: string, action: string): Promise<number> {
  const role = await session.get(rolesCollection, roleId);
  return role?.limits[action] ?? 0;
}

/** Writes a history entry. */
export async function addHistory(
  ctx: ComplaintsContext,
  row: Pick<CaseRow, 'id' | 'customerId'>,
  entry: {
    action: string;
    fromStatus: string | null;
    toStatus: string;
    fromLevel: number | null;
    toLevel: number;
    note?: string | null;
    data?: Record<string, JsonValue>;
  },
): Promise<void> {
  await ctx.tx.insert(caseHistoryCollection, {
    id: ctx.id('chs'),
    caseId: row.id,
    customerId: row.customerId,
    at: ctx.now,
    actor: actorRef(ctx.actor) as JsonValue,
    action: entry.action,
    fromStatus: entry.fromStatus,
    toStatus: entry.toStatus,
    fromLevel: entry.fromLevel,
    toLevel: entry.toLevel,
    note: entry.note ?? null,
    data: entry.data ?? {},
  });
}

type CasePatch = PatchOf<typeof casesCollection>;

/** Saves a case patch against the version read, recomputing its next due time from its pending clocks. */
export async function saveCase(ctx: ComplaintsContext, row: CaseRow, patch: CasePatch): Promise<CaseRow> {
  const merged = { ...row, ...patch };
  const due = nextDue({
    acknowledgeBy: merged.ackDueAt,
    resolveBy: merged.resolveDueAt,
    taskDueAt: merged.taskDueAt,
    paused: merged.pausedAt !== null,
  });
  const handler = ctx.actor.kind === 'staff' ? { handlerStaffId: ctx.actor.staffId } : {};
  return ctx.tx.update(
    casesCollection,
    row.id,
    { ...patch, ...handler, dueAt: due?.at ?? null, dueKind: due?.kind ?? null, updatedAt: ctx.now },
    { expectVersion: row.version },
  );
}

/**
 * Checks a step against the transition table and returns the status patch, or throws
 * `INVALID_STATE` naming the case, its status and the steps it allows.
 */
export function checkStep(row: CaseRow, action: CaseAction, facts: StepFacts = {}): CaseStatus {
  const track = trackOf(row.kind as CaseKind);
  const result = nextStatus(track, row.status as CaseStatus, action, facts);
  if (!result.ok)
    throw new InvalidStateError(`case ${row.caseNo}: ${result.reason}`, {
      path: ['caseId'],
      caseId: row.id,
      status: row.status,
      action,
    });
  return result.to;
}

/** The ruling of a case as the table's guards need it. */
export function factsOf(row: CaseRow): StepFacts {
  return { ruling: ((row.ruling as StoredRuling | null)?.decision as StepFacts['ruling']) ?? null };
}

/** Records a status change: history and event. */
export async function recordStep(
  ctx: ComplaintsContext,
  row: CaseRow,
  action: CaseAction,
  to: CaseStatus,
  note: string | null = null,
  data: Record<string, JsonValue> = {},
): Promise<void> {
  await addHistory(ctx, row, {
    action,
    fromStatus: row.status,
    toStatus: to,
    fromLevel: row.level,
    toLevel: row.level,
    note,
    data,
  });
  await ctx.emit(
    'complaint.status-changed',
    { caseId: row.id, action, from: row.status, to, level: row.level },
    { customerId: row.customerId },
  );
}

/**
 * Starts a stay at a level from `enteredAt`; returns the case fields that describe it. When the
 * store's calendar cannot place the level's limits, `INVALID_STATE` (reason `beyond_sla_horizon`)
 * naming the store and the limit, with `options.path` as the input path (default `['caseId']`).
 */
export async function enterLevel(
  runtime: ComplaintsRuntime,
  ctx: ComplaintsContext,
  row: Pick<CaseRow, 'id' | 'storeId' | 'ladder' | 'severity' | 'serviceLevel'>,
  level: number,
  reason: string,
  enteredAt: Date,
  options: { path?: ReadonlyArray<string | number>; store?: DueCalendar } = {},
): Promise<CasePatch> {
  const lvl = levelOf(ladderNamed(runtime.config, row.ladder), level);
  const store = options.store ?? (await storeCalendarOf(runtime, ctx.tx, row.storeId));
  const d = levelDue(runtime.config, store, row, level, enteredAt, options.path ?? ['caseId']);
  const responseOnly = d.resolveBy === null;
  // The column allows no null: a response-only stay stores its acknowledge due time there (see collections.ts).
  const resolveBy = d.resolveBy ?? d.acknowledgeBy;
  const stintId = ctx.id('cst');
  await ctx.tx.insert(stintsCollection, {
    id: stintId,
    caseId: row.id,
    storeId: row.storeId,
    ladder: row.ladder,
    level,
    levelId: lvl.id,
    severity: row.severity,
    reason,
    enteredAt,
    acknowledgeBy: d.acknowledgeBy,
    acknowledgedAt: null,
    resolveBy,
    resolvedAt: null,
    leftAt: null,
    responseOnly,
    calendar: d.calendarId,
  });
  return {
    level,
    stintId,
    levelEnteredAt: enteredAt,
    acknowledgeBy: d.acknowledgeBy,
    resolveBy,
    responseOnly,
    slaCalendar: d.calendarId,
    levelAcknowledgedAt: null,
    ackDueAt: d.acknowledgeBy,
    resolveDueAt: d.resolveBy,
  };
}

/** Ends the current stay (escalated away, or closed). */
export async function leaveLevel(ctx: ComplaintsContext, row: CaseRow, at: Date): Promise<void> {
  await ctx.tx.update(stintsCollection, row.stintId, { leftAt: at });
}

/**
 * Moves a case to another level: the stay at the old level ends and a new one starts at
 * `effectiveAt` with fresh clocks. Records history and emits `complaint.escalated`.
 */
export async function escalateCase(
  runtime: ComplaintsRuntime,
  ctx: ComplaintsContext,
  row: CaseRow,
  toLevel: number,
  reason: string,
  effectiveAt: Date,
  note: string | null = null,
  extra: CasePatch = {},
): Promise<CaseRow> {
  await leaveLevel(ctx, row, effectiveAt);
  const levelPatch = await enterLevel(runtime, ctx, row, toLevel, reason, effectiveAt);
  // A case that waits on the customer keeps waiting at the new level: the pause so far is counted on the
  // old level's calendar, and the new level's clocks stand still from the moment it is entered.
  const paused = row.pausedAt
    ? {
        pausedAt: effectiveAt,
        pausedBusinessMs:
          (row.pausedBusinessMs ?? 0) +
          businessTimeBetween((await levelCalendarOf(runtime, ctx.tx, row)).calendar, row.pausedAt, effectiveAt),
      }
    : {};
  const saved = await saveCase(ctx, row, { ...extra, ...levelPatch, ...paused, escalations: row.escalations + 1 });
  await addHistory(ctx, row, {
    action: 'escalate',
    fromStatus: row.status,
    toStatus: row.status,
    fromLevel: row.level,
    toLevel,
    note,
    data: { reason, effectiveAt: effectiveAt.toISOString() },
  });
  await ctx.emit(
    'complaint.escalated',
    { caseId: row.id, fromLevel: row.level, toLevel, reason, storeId: row.storeId },
    { customerId: row.customerId },
  );
  return saved;
}

/**
 * The case's first acknowledgement, when this is it: when it happened and the business time it took
 * from opening, the time the clocks stood still left out (counted in the current level's calendar).
 */
async function firstResponse(runtime: ComplaintsRuntime, ctx: ComplaintsContext, row: CaseRow): Promise<CasePatch> {
  if (row.acknowledgedAt) return {};
  const { calendar } = await levelCalendarOf(runtime, ctx.tx, row);
  const stood = (row.pausedBusinessMs ?? 0) + (row.pausedAt ? businessTimeBetween(calendar, row.pausedAt, ctx.now) : 0);
  return {
    acknowledgedAt: ctx.now,
    firstResponseBusinessMs: Math.max(0, businessTimeBetween(calendar, row.createdAt, ctx.now) - stood),
  };
}

/** Marks the current level acknowledged (and the case, the first time). */
export async function acknowledgeLevel(
  runtime: ComplaintsRuntime,
  ctx: ComplaintsContext,
  row: CaseRow,
): Promise<CasePatch> {
  await ctx.tx.update(stintsCollection, row.stintId, { acknowledgedAt: ctx.now });
  return { levelAcknowledgedAt: ctx.now, ackDueAt: null, ...(await firstResponse(runtime, ctx, row)) };
}

/**
 * Stops every clock of a case that is resolved (verified, or closed without execution). The case must
 * not be paused: end the pause first (`endPause`), as resuming would.
 */
export async function resolveClocks(
  runtime: ComplaintsRuntime,
  ctx: ComplaintsContext,
  row: CaseRow,
): Promise<CasePatch> {
  const stint = await ctx.tx.get(stintsCollection, row.stintId);
  await ctx.tx.update(stintsCollection, row.stintId, {
    resolvedAt: ctx.now,
    acknowledgedAt: stint?.acknowledgedAt ?? ctx.now,
  });
  return {
    resolvedAt: ctx.now,
    levelAcknowledgedAt: row.levelAcknowledgedAt ?? ctx.now,
    ...(await firstResponse(runtime, ctx, row)),
    ackDueAt: null,
    resolveDueAt: null,
    taskDueAt: null,
  };
}

/** Input of a new case, already validated. */
export interface NewCase {
  kind: CaseKind;
  request: string | null;
  channel: string;
  storeId: string;
  customerId: string | null;
  contact: CaseContact | null;
  purchaseId: string | null;
  items: Array<{
    sku: string;
    name?: string | undefined;
    category?: string | undefined;
    lineNo?: number | undefined;
    quantity?: number | undefined;
  }>;
  category: string;
  severity: string;
  description: string;
  attachments: string[];
  source: { type: string; id: string } | null;
}

/** The service level of a customer from the segments module's policy, when it is installed. */
export async function serviceLevelOf(
  runtime: ComplaintsRuntime,
  ctx: ComplaintsContext,
  customerId: string | null,
): Promise<string | null> {
  const segments = runtime.segments()?.forModules;
  if (!customerId || !segments?.policyFor) return null;
  const policy = await segments.policyFor(customerId, ctx.tx);
  return policy?.serviceLevel ?? null;
}

/** The segment ids of a customer, when the segments module is installed. */
export async function segmentsOfCustomer(
  runtime: ComplaintsRuntime,
  ctx: ComplaintsContext,
  customerId: string | null,
): Promise<string[]> {
  const segments = runtime.segments()?.forModules;
  if (!customerId || !segments?.segmentsOf) return [];
  return segmentIds(await segments.segmentsOf(customerId, ctx.tx));
}

/**
 * Opens a case at level 1 of its ladder: checks the store, customer, purchase and its lines, picks
 * the time limits (by service level when the segments module gives one) and records everything.
 */
export async function createCase(runtime: ComplaintsRuntime, ctx: ComplaintsContext, input: NewCase): Promise<CaseRow> {
  const { tx } = ctx;
  const store = await storeCalendarOf(runtime, tx, input.storeId);
  let customerId = input.customerId ? await activeCustomerId(tx, input.customerId, ['customerId']) : null;
  const lines = new Map<number, { sku: string; name: string | null; category: string; quantityMilli: number }>();
  if (input.purchaseId) {
    const purchase = await mustGet(tx, purchasesCollection, input.purchaseId, 'purchase', { path: ['purchaseId'] });
    if (customerId && purchase.customerId && purchase.customerId !== customerId)
      throw invalid(['purchaseId'], 'customer_mismatch', `purchase ${purchase.id} was made by another customer`);
    if (!customerId && purchase.customerId && !input.contact)
      customerId = await activeCustomerId(tx, purchase.customerId, ['purchaseId']);
    for (let i = 0; i < input.items.length; i++) {
      const lineNo = input.items[i]!.lineNo;
      if (lineNo === undefined) continue;
      const line = await tx.get(purchaseLinesCollection, `${purchase.id}:${lineNo}`);
      if (!line) throw invalid(['items', i, 'lineNo'], 'unknown_line', `purchase ${purchase.id} has no line ${lineNo}`);
      if (line.sku !== input.items[i]!.sku)
        throw invalid(['items', i, 'sku'], 'sku_mismatch', `line ${lineNo} of purchase ${purchase.id} is ${line.sku}`);
      lines.set(i, { sku: line.sku, name: line.name, category: line.category, quantityMilli: line.quantityMilli });
    }
  }
  const ladder = runtime.config.routes[input.kind];
  const serviceLevel = await serviceLevelOf(runtime, ctx, customerId);
  const id = ctx.id('case');
  const caseNo = `C${String(await ctx.nextSequence('complaints:case')).padStart(6, '0')}`;
  const base = { id, storeId: input.storeId, ladder, severity: input.severity, serviceLevel };
  // A ladder the store's calendar cannot carry is refused now, not when a case first climbs it.
  checkLadderFits(runtime.config, store, base, ctx.now, ['storeId']);
  const levelPatch = await enterLevel(runtime, ctx, base, 1, 'opened', ctx.now, { path: ['storeId'], store });
  const draft = {
    id,
    caseNo,
    kind: input.kind,
    request: input.request,
    track: trackOf(input.kind),
    channel: input.channel,
    status: 'received',
    customerId,
    contact: input.contact,
    storeId: input.storeId,
    purchaseId: input.purchaseId,
    category: input.category,
    severity: input.severity,
    serviceLevel,
    description: input.description,
    attachments: input.attachments,
    ladder,
    ...(levelPatch as Required<
      Pick<
        CaseRow,
        | 'level'
        | 'stintId'
        | 'levelEnteredAt'
        | 'acknowledgeBy'
        | 'resolveBy'
        | 'responseOnly'
        | 'slaCalendar'
        | 'levelAcknowledgedAt'
        | 'ackDueAt'
        | 'resolveDueAt'
      >
    >),
    taskDueAt: null,
    pausedAt: null,
    pausedBusinessMs: 0,
    firstResponseBusinessMs: null,
    outcome: null,
    outcomeReason: null,
    overdue: false,
    escalations: 0,
    handlerStaffId: ctx.actor.kind === 'staff' ? ctx.actor.staffId : null,
    acknowledgedAt: null,
    resolvedAt: null,
    closedAt: null,
    rootCause: null,
    resolution: null,
    ruling: null,
    task: null,
    remedyCost: 0,
    reopenCount: 0,
    source: input.source,
    openedBy: actorRef(ctx.actor) as JsonValue,
    createdAt: ctx.now,
    updatedAt: ctx.now,
  };
  const due = nextDue({ acknowledgeBy: draft.ackDueAt, resolveBy: draft.resolveDueAt, taskDueAt: null, paused: false });
  const row = await tx.insert(casesCollection, { ...draft, dueAt: due?.at ?? null, dueKind: due?.kind ?? null });
  for (let i = 0; i < input.items.length; i++) {
    const item = input.items[i]!;
    const line = lines.get(i);
    await tx.insert(caseItemsCollection, {
      id: `${id}:${i + 1}`,
      caseId: id,
      customerId,
      seq: i + 1,
      sku: item.sku,
      name: item.name ?? line?.name ?? null,
      category: item.category ?? line?.category ?? null,
      purchaseId: item.lineNo !== undefined ? input.purchaseId : null,
      lineNo: item.lineNo ?? null,
      quantityMilli: item.quantity !== undefined ? Math.round(item.quantity * 1000) : (line?.quantityMilli ?? null),
    });
  }
  await addHistory(ctx, row, {
    action: 'open',
    fromStatus: null,
    toStatus: 'received',
    fromLevel: null,
    toLevel: 1,
    data: { channel: input.channel, severity: input.severity, ...(serviceLevel ? { serviceLevel } : {}) },
  });
  ctx.audit({ type: 'case', id, customerId }, { caseNo, kind: input.kind, storeId: input.storeId });
  if (customerId) {
    await ctx.addTimeline({
      customerId,
      source: 'complaints',
      kind: `case-opened`,
      facts: {
        caseKind: input.kind,
        request: input.request ?? null,
        caseNo,
        category: input.category,
        severity: input.severity,
      },
      storeId: input.storeId,
      ref: { type: 'case', id },
    });
  }
  await ctx.emit(
    'complaint.opened',
    {
      caseId: id,
      caseNo,
      kind: input.kind,
      channel: input.channel,
      customerId,
      storeId: input.storeId,
      severity: input.severity,
      level: 1,
    },
    { customerId: customerId },
  );
  return row;
}

/** Formats minor units in the chain's currency, for histories and timelines. */
export function money(runtime: ComplaintsRuntime, minor: number): string {
  return formatMoney(minor, runtime.kernel.currency);
}
