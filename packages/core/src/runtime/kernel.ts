/**
 * The command runner and the shared runtime every module is given. One place keeps the
 * conventions: validate at the boundary, authorise, one transaction, idempotency, audit, outbox,
 * events after commit, and "a command that throws has changed nothing".
 */
import type { z } from 'zod';
import type { Clock } from '../clock.js';
import {
  type ClienteleError,
  IdempotencyMismatchError,
  InvalidStateError,
  NotFoundError,
  PermissionError,
  invalid,
  isClienteleError,
} from '../errors.js';
import type { IdGenerator } from '../ids.js';
import { canonicalJson, decodeJson, encodeJson, fingerprint, fingerprintMatches } from '../json-codec.js';
import { rolesCollection, staffCollection } from '../model/organisation-collections.js';
import type { Store, TransactionSession } from '../store/port.js';
import type { CollectionSpec, JsonValue, NewRowOf } from '../store/schema.js';
import { idempotencyKeySchema, parseCommandInput, parseInput } from '../validation.js';
import { actorRef, actorSchema, isPermitted, type Actor, type ResolvedActor } from './actor.js';
import { authorise, type Authorisation } from './authority.js';
import { auditLog, idempotencyKeys, outbox, sequences, timeline } from './collections.js';
import type { EventHub, EventMap } from './events.js';
import { silentLogger, type Logger } from './logger.js';
import { inCommandSpan } from './tracing.js';
import { timelineData } from '../model/timeline-text.js';
import { parseCommandOptions } from './command-arguments.js';
import type { CoreEvents } from '../events.js';
import type {
  Command,
  CommandContext,
  CommandInfo,
  CommandOptions,
  CommandSpec,
  EventHandler,
  Kernel,
  Query,
  QueryInfo,
  QuerySpec,
  UnitOfWork,
  UnitOfWorkSpec,
} from './module.js';
import * as zod from 'zod';

/** The link from a staff member to their role. */
const staffRole = { field: 'roleId', target: rolesCollection } as const;

const optionsSchema = zod.object({
  actor: actorSchema,
  idempotencyKey: idempotencyKeySchema.optional(),
});

const queryOptionsSchema = zod.object({ actor: actorSchema }).strict();

const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

/**
 * A reader given the usual way (`{ actor: { staffId } }` with a well-formed id): checked by hand, as
 * a till's lookups are frequent and small. Anything else goes through the schema, which says what is wrong.
 */
function plainReader(options: unknown): Actor | undefined {
  if (typeof options !== 'object' || options === null || Object.getPrototypeOf(options) !== Object.prototype)
    return undefined;
  const keys = Object.keys(options);
  if (keys.length !== 1 || keys[0] !== 'actor') return undefined;
  const actor = (options as { actor: unknown }).actor;
  if (typeof actor !== 'object' || actor === null || Object.getPrototypeOf(actor) !== Object.prototype)
    return undefined;
  const own = Object.keys(actor);
  const staffId = (actor as { staffId?: unknown }).staffId;
  if (
    own.length === 1 &&
    own[0] === 'staffId' &&
    typeof staffId === 'string' &&
    staffId.length <= 80 &&
    ID.test(staffId)
  )
    return { staffId };
  return undefined;
}

/** How long a reader's role is remembered between reads (a till reads many times a second). */
const READER_TTL_MS = 1000;

/** At most this many customer ids are listed in the audit entry of one read. */
const READ_AUDIT_IDS = 100;

/** Marks a stored result whose personal content was erased. */
export const ERASED_RESULT = encodeJson({ $erased: true });

interface PendingEvent {
  type: string;
  payload: unknown;
}

/** Settings of {@link createKernel}. */
export interface KernelSettings {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  currency: string;
  collections: readonly CollectionSpec[];
  hub: EventHub<EventMap>;
  report(error: unknown, context: string): void;
  /** Whether reads of members' files write audit entries (outcome `read`). */
  auditReads?: boolean;
  /** Where command outcomes are logged (default: nowhere). */
  logger?: Logger;
}

/** The kernel plus the hooks only `createClientele` uses. */
export interface KernelInternals extends Kernel<CoreEvents> {
  /** @internal registers an in-transaction handler (modules declare theirs in `ModuleInstance.handlers`) */
  on(type: string, handler: EventHandler<never, EventMap>): void;
  /** @internal registers a module API for `module(name)` */
  registerModule(name: string, api: unknown): void;
}

/** A counter never falls below 1 once taken from (a store may then report its value without a read). */
const COUNTED = { min: 1 } as const;

/** Takes `count` values of a named counter inside `tx`; returns the last one taken. */
export async function nextSequence(tx: TransactionSession, name: string, count = 1): Promise<number> {
  try {
    return (await tx.increment(sequences, name, 'value', count, COUNTED)).row.value;
  } catch (error) {
    // First use of this counter: the increment found no row (a check in code, not a database error).
    if (!isClienteleError(error, 'NOT_FOUND')) throw error;
  }
  try {
    await tx.insert(sequences, { id: name, value: count });
    return count;
  } catch (error) {
    // A concurrent transaction created the counter first (stores whose transactions overlap): take from it.
    if (!isClienteleError(error, 'CONFLICT')) throw error;
    return (await tx.increment(sequences, name, 'value', count, COUNTED)).row.value;
  }
}

/** Creates the runtime shared by all modules. */
export function createKernel(settings: KernelSettings): KernelInternals {
  const { store, clock, ids, hub } = settings;
  const logger = settings.logger ?? silentLogger;
  const handlers = new Map<string, EventHandler[]>();
  const modules = new Map<string, unknown>();
  const registry: CommandInfo[] = [];
  const specs = new Map<string, CommandSpec<z.ZodType, unknown>>();
  const infos = new WeakSet<CommandInfo>();
  /** Names of the units of work, which share the commands' names in the audit log. */
  const units = new Set<string>();
  const queryRegistry: QueryInfo[] = [];
  const readers = new Map<string, { actor: ResolvedActor; until: number }>();

  /**
   * The reader of a query, resolved from the store and remembered for a second, so a till's burst of
   * lookups does not read its clerk's role each time. Commands that change roles or staff forget them.
   */
  async function readerOf(actor: Actor): Promise<ResolvedActor> {
    if ('system' in actor) return { kind: 'system', name: actor.system };
    const known = rememberedReader(actor.staffId);
    if (known) return known;
    const resolved = await resolveActor(actor);
    if (readers.size > 1000) readers.clear();
    readers.set(actor.staffId, { actor: resolved, until: performance.now() + READER_TTL_MS });
    return resolved;
  }

  /** A staff reader resolved less than a second ago, if any. */
  function rememberedReader(staffId: string): ResolvedActor | undefined {
    const hit = readers.get(staffId);
    return hit && hit.until > performance.now() ? hit.actor : undefined;
  }

  function query<A extends unknown[], O>(spec: QuerySpec<A, O>): Query<A, O> {
    if (queryRegistry.some((q) => q.name === spec.name)) throw new TypeError(`query ${spec.name} is registered twice`);
    const info: QueryInfo = Object.freeze({
      name: spec.name,
      permission: spec.permission,
      personal: spec.reads !== undefined,
    });
    queryRegistry.push(info);
    const audited = settings.auditReads === true && spec.reads !== undefined;
    const run = (...all: unknown[]): Promise<O> => {
      const given = all[all.length - 1];
      // The usual case, a till's clerk read a moment ago with the permission and no read audit: straight
      // to the body, so the check costs a map lookup rather than a round of promises.
      const staff = plainReader(given);
      const known = staff && 'staffId' in staff ? rememberedReader(staff.staffId) : undefined;
      if (!known || audited || !isPermitted(known, spec.permission)) return checkedRun(all);
      try {
        return spec.run(...(all.slice(0, -1) as A));
      } catch (error) {
        return Promise.reject(error);
      }
    };
    const checkedRun = async (all: unknown[]): Promise<O> => {
      const args = all.slice(0, -1) as A;
      const given = all[all.length - 1];
      const reader = plainReader(given) ?? parseInput(queryOptionsSchema, given, ['options']).actor;
      let actor: ResolvedActor;
      try {
        actor = await readerOf(reader);
        if (!isPermitted(actor, spec.permission)) throw new PermissionError(spec.permission, actorRef(actor));
      } catch (error) {
        if (isClienteleError(error, 'PERMISSION_DENIED')) await auditRefusal(spec.name, reader, error, clock.now());
        throw error;
      }
      const result = await spec.run(...args);
      if (audited) await auditRead(spec, actor, result, args);
      return result;
    };
    return Object.assign(run, { info }) as unknown as Query<A, O>;
  }

  async function auditRead<A extends unknown[], O>(
    spec: QuerySpec<A, O>,
    actor: ResolvedActor,
    result: O,
    args: A,
  ): Promise<void> {
    const customers = [...new Set([...spec.reads!(result, args)].filter((id): id is string => typeof id === 'string'))];
    if (customers.length === 0) return;
    const one = customers.length === 1 ? customers[0]! : null;
    await store.insert(auditLog, {
      id: ids.next('aud'),
      at: clock.now(),
      actor: actorRef(actor) as JsonValue,
      command: spec.name,
      outcome: 'read',
      errorCode: null,
      customerId: one,
      targetType: 'customer',
      targetId: one,
      details: { customerIds: customers.slice(0, READ_AUDIT_IDS), count: customers.length },
    });
  }

  async function resolveActor(actor: Actor, session: TransactionSession | Store = store): Promise<ResolvedActor> {
    if ('system' in actor) return { kind: 'system', name: actor.system };
    // The staff member and their role in one read where the store joins them (every command asks).
    const found = await session.getLinked(staffCollection, actor.staffId, staffRole);
    const at = { path: ['options', 'actor', 'staffId'] };
    if (!found) throw new NotFoundError('staff', actor.staffId, at);
    const staff = found.row;
    if (!staff.active) throw new PermissionError('act: this staff member is deactivated', { staffId: staff.id });
    const role = found.linked;
    if (!role) throw new NotFoundError('role', staff.roleId, at);
    return {
      kind: 'staff',
      staffId: staff.id,
      storeId: staff.storeId,
      roleId: role.id,
      permissions: role.permissions,
      limits: role.limits,
      dailyLimits: role.dailyLimits ?? null,
    };
  }

  async function auditRefusal(
    name: string,
    actor: Actor | ResolvedActor,
    error: ClienteleError,
    now: Date,
  ): Promise<void> {
    const d = error.details;
    const details: Record<string, JsonValue> = { message: error.message };
    if (d['permission']) details['permission'] = String(d['permission']);
    if (typeof d['amount'] === 'number')
      Object.assign(details, { action: String(d['action']), amount: d['amount'], limit: d['limit'] as number });
    if (d['period'] === 'day')
      Object.assign(details, {
        period: 'day',
        dailyLimit: d['dailyLimit'] as number,
        usedToday: d['usedToday'] as number,
      });
    try {
      await store.insert(auditLog, {
        id: ids.next('aud'),
        at: now,
        actor: ('kind' in actor ? actorRef(actor) : actor) as JsonValue,
        command: name,
        outcome: 'refused',
        errorCode: error.code,
        customerId: null,
        targetType: null,
        targetId: null,
        details,
      });
    } catch (e) {
      settings.report(e, `audit of refused ${name}`);
    }
  }

  function replay<O>(
    spec: CommandSpec<z.ZodType, O>,
    stored: { command: string; requestHash: string; result: string; key: string },
    request: string,
  ): O {
    if (stored.command !== spec.name || !fingerprintMatches(stored.requestHash, request))
      throw new IdempotencyMismatchError(stored.key, spec.name);
    if (stored.result === ERASED_RESULT)
      throw new InvalidStateError('the result of this request was erased with the customer', { key: stored.key });
    return decodeJson<O>(stored.result);
  }

  /** The text a request's fingerprint is taken of: the command and its parsed input. */
  const requestOf = (name: string, input: unknown) => `${name}\n${canonicalJson(input)}`;

  /** What one top-level command and the commands it calls share: their events, and a refusal to audit. */
  interface Frame {
    now: Date;
    tx: TransactionSession;
    outboxRows: Array<Omit<NewRowOf<typeof outbox>, 'seq'>>;
    pending: PendingEvent[];
    refusal: { command: string; actor: ResolvedActor; error: ClienteleError } | null;
    /** Daily usage the top-level command counted, per `staffId|limit`, that commands it calls may draw on. */
    counted: Map<string, number>;
  }

  /** What runs in a frame: a command's declaration, or a unit of work's (which moves no value). */
  type Work<O> = Pick<CommandSpec<z.ZodType, O>, 'name' | 'moves' | 'run'>;

  /** A program error in a command's declaration: fails the command, never the caller's fault. */
  const misdeclared = (message: string) => new InvalidStateError(message, { reason: 'command_declaration' });

  /** Runs one command's body in the frame's transaction, then its audit entry and idempotency record. */
  async function execute<O>(
    spec: Work<O>,
    input: unknown,
    actor: ResolvedActor,
    key: string | undefined,
    hash: string,
    frame: Frame,
    nestedCall = false,
  ): Promise<O> {
    const { tx, now } = frame;
    let target: { type: string; id: string; customerId?: string | null } | null = null;
    let details: Record<string, JsonValue> = {};
    const authorised: Authorisation[] = [];
    const moves = spec.moves ?? null;

    /** The limit names a check may use: those the command declares. */
    function declaredNames(action: string | readonly string[]): readonly string[] {
      const names = typeof action === 'string' ? [action] : action;
      if (!moves) throw misdeclared(`${spec.name} checks authority but does not declare the value it moves`);
      const unknown = names.filter((n) => !moves.limits.includes(n));
      if (names.length === 0 || unknown.length)
        throw misdeclared(`${spec.name} checks limit ${unknown.join(', ') || '(none)'}, which it does not declare`);
      return names;
    }

    async function check(
      action: string | readonly string[],
      amount: number,
      approverStaffId: string | null | undefined,
      refuse: boolean,
    ): Promise<Authorisation | null> {
      const names = declaredNames(action);
      if (!Number.isSafeInteger(amount) || amount < 0)
        throw misdeclared(`${spec.name} checked authority for ${amount}, which is not a whole number of minor units`);
      const outcome = await authorise(tx, actor, {
        names,
        amount,
        approverStaffId,
        now,
        resolveApprover: (id) => resolveActor({ staffId: id }, tx),
        // A command called by another draws on what its caller counted (a complaint's remedy, then the
        // loyalty module issuing it): the same value counts once toward a person's day.
        ...(nestedCall
          ? {
              alreadyCounted(staffId: string, limit: string, want: number) {
                const k = `${staffId}|${limit}`;
                const take = Math.min(frame.counted.get(k) ?? 0, want);
                frame.counted.set(k, (frame.counted.get(k) ?? 0) - take);
                return take;
              },
            }
          : {
              counted: (staffId: string, limit: string, n: number) =>
                void frame.counted.set(`${staffId}|${limit}`, (frame.counted.get(`${staffId}|${limit}`) ?? 0) + n),
            }),
      });
      if ('ok' in outcome) {
        authorised.push(outcome.ok);
        return outcome.ok;
      }
      if (!refuse) return null;
      frame.refusal = { command: spec.name, actor, error: outcome.refused };
      throw outcome.refused;
    }

    const ctx: CommandContext = {
      tx,
      now,
      actor,
      command: spec.name,
      id: (prefix) => ids.next(prefix),
      nextSequence: (name, count) => nextSequence(tx, name, count),
      async emit(type, payload, opts) {
        // Numbered and written with the others when the top-level command is done.
        frame.outboxRows.push({
          id: ids.next('evt'),
          type,
          customerId: opts?.customerId ?? null,
          payload: payload as JsonValue,
          occurredAt: now,
        });
        frame.pending.push({ type, payload });
        for (const handler of handlers.get(type) ?? []) await handler(ctx, payload);
      },
      audit(t, d) {
        target = t;
        if (d) details = { ...details, ...d };
      },
      async requireAuthority(action, amount, approverStaffId) {
        const ok = (await check(action, amount, approverStaffId, true))!;
        return { approvedBy: ok.approvedBy };
      },
      async withinAuthority(action, amount) {
        if (moves?.aboveLimit !== 'escalate')
          throw misdeclared(
            `${spec.name} asks whether a move is within authority but does not declare aboveLimit: 'escalate'`,
          );
        return (await check(action, amount, null, false)) !== null;
      },
      moved(kind, amount) {
        if (!moves?.gives.includes(kind))
          throw misdeclared(`${spec.name} moved ${kind} to a customer without declaring it`);
        if (authorised.length === 0)
          throw misdeclared(`${spec.name} moved ${amount} of ${kind} before its authority was checked`);
      },
      async addTimeline(entry) {
        await tx.insert(timeline, {
          id: ids.next('tl'),
          customerId: entry.customerId,
          at: entry.at ?? now,
          source: entry.source,
          kind: entry.kind,
          summary: entry.summary ?? '',
          storeId: entry.storeId ?? null,
          refType: entry.ref?.type ?? null,
          refId: entry.ref?.id ?? null,
          data: timelineData(entry),
        });
      },
      call: (command, rawInput, opts) =>
        nested(command as unknown as Command<z.ZodType, never>, rawInput, opts ?? {}, actor, frame),
    };
    if (moves?.amount) {
      // Declared amounts are checked before the work: a refusal leaves nothing to undo.
      const amount = await moves.amount(ctx, input);
      await check(moves.limits, amount, moves.approver?.(input) ?? null, true);
    }
    const result = await spec.run(ctx, input);
    const t = target as { type: string; id: string; customerId?: string | null } | null;
    const authority = authorised
      .filter((a) => a.amount > 0)
      .map((a) => ({ limit: a.limit, amount: a.amount, ...(a.approvedBy ? { approvedBy: a.approvedBy } : {}) }));
    await tx.insert(auditLog, {
      id: ids.next('aud'),
      at: now,
      actor: actorRef(actor) as JsonValue,
      command: spec.name,
      outcome: 'ok',
      errorCode: null,
      customerId: t?.customerId ?? null,
      targetType: t?.type ?? null,
      targetId: t?.id ?? null,
      details: {
        ...details,
        ...(authority.length ? { authority } : {}),
        ...(key !== undefined ? { idempotencyKey: key } : {}),
      },
    });
    if (key !== undefined) {
      await tx.insert(idempotencyKeys, {
        key,
        command: spec.name,
        requestHash: hash,
        result: encodeJson(result),
        customerId: t?.customerId ?? null,
        createdAt: now,
      });
    }
    return result;
  }

  /** A command run by another inside its transaction, as the same actor. */
  async function nested<O>(
    command: Command<z.ZodType, O>,
    rawInput: unknown,
    rawOptions: { idempotencyKey?: string },
    actor: ResolvedActor,
    frame: Frame,
  ): Promise<O> {
    const spec = specs.get(command?.info?.name) as CommandSpec<z.ZodType, O> | undefined;
    if (!spec || !infos.has(command.info)) throw misdeclared('ctx.call takes a command built by this kernel');
    const options = parseInput(zod.object({ idempotencyKey: idempotencyKeySchema.optional() }).strict(), rawOptions, [
      'options',
    ]);
    const key = options.idempotencyKey;
    if (spec.idempotency === 'required' && key === undefined)
      throw invalid(
        ['options', 'idempotencyKey'],
        'required',
        `${spec.name} needs an idempotency key so a retry cannot apply it twice`,
      );
    const input = parseCommandInput(spec.input, rawInput);
    if (!isPermitted(actor, spec.permission)) {
      const error = new PermissionError(spec.permission, actorRef(actor));
      frame.refusal = { command: spec.name, actor, error };
      throw error;
    }
    const request = key === undefined ? '' : requestOf(spec.name, input);
    const hash = key === undefined ? '' : fingerprint(request);
    if (key !== undefined) {
      const prior = await frame.tx.get(idempotencyKeys, key);
      if (prior) return replay(spec, prior, request);
    }
    return execute(spec, input, actor, key, hash, frame, true);
  }

  /**
   * Runs a top-level command or unit of work in one transaction: the body, its audit entry (and
   * idempotency record), the outbox rows of its events; then, after commit, the events to listeners.
   * A failure keeps nothing; with a key, a request made before is answered with its stored result.
   */
  async function transact<O>(
    spec: Work<O>,
    input: unknown,
    actor: ResolvedActor,
    now: Date,
    idempotency: {
      key: string;
      hash: string;
      replay(prior: { command: string; requestHash: string; result: string; key: string }): O;
    } | null,
  ): Promise<O> {
    const key = idempotency?.key;
    let frame: Frame | null = null;

    // No read of the key before the work: a request made again clashes on the key's insert at the end
    // (or fails earlier, as a receipt taken or a voucher used), and the stored result is then read
    // after the rollback. The first request, the one that matters for speed, saves a round trip.
    const body = async (tx: TransactionSession): Promise<O> => {
      frame = { now, tx, outboxRows: [], pending: [], refusal: null, counted: new Map() };
      const result = await execute(spec, input, actor, key, idempotency?.hash ?? '', frame);
      const rows = frame.outboxRows;
      if (rows.length) {
        // The outbox counter is one row every command updates, and where transactions overlap it stays
        // locked until commit: take it last, all numbers at once, so others wait for it the least.
        const last = await nextSequence(tx, 'outbox', rows.length);
        const first = last - rows.length + 1;
        if (rows.length === 1) await tx.insert(outbox, { ...rows[0]!, seq: first });
        else
          await tx.insertMany(
            outbox,
            rows.map((row, i) => ({ ...row, seq: first + i })),
          );
      }
      return result;
    };

    let result: O;
    try {
      result = await store.transaction(body);
    } catch (error) {
      // The same key was used before (or by a concurrent request that committed first): nothing of
      // this attempt was kept; answer with the stored result, or IDEMPOTENCY_MISMATCH.
      if (idempotency !== null) {
        const prior = await store.get(idempotencyKeys, idempotency.key).catch(() => undefined);
        if (prior) return idempotency.replay(prior);
      }
      const refusal = (frame as Frame | null)?.refusal;
      if (refusal && error === refusal.error) await auditRefusal(refusal.command, refusal.actor, refusal.error, now);
      throw error;
    }
    // A role or staff member changed: readers resolve again at their next read.
    if (spec.name.startsWith('roles.') || spec.name.startsWith('staff.')) readers.clear();
    for (const e of (frame as Frame | null)?.pending ?? []) hub.emit(e.type, e.payload);
    return result;
  }

  function unitOfWork<I, O>(spec: UnitOfWorkSpec<I, O>): UnitOfWork<I, O> {
    if (specs.has(spec.name) || units.has(spec.name)) throw new TypeError(`${spec.name} is registered twice`);
    units.add(spec.name);
    const work: Work<O> = { name: spec.name, run: (ctx, input) => spec.run(ctx, input as I) };
    return async (input: I, actor: ResolvedActor): Promise<O> => {
      const now = clock.now();
      if (!isPermitted(actor, spec.permission)) {
        const error = new PermissionError(spec.permission, actorRef(actor));
        await auditRefusal(spec.name, actor, error, now);
        throw error;
      }
      return transact(work, input, actor, now, null);
    };
  }

  function command<S extends z.ZodType, O>(spec: CommandSpec<S, O>): Command<S, O> {
    if (specs.has(spec.name) || units.has(spec.name)) throw new TypeError(`command ${spec.name} is registered twice`);
    if (spec.moves && (spec.moves.gives.length === 0 || spec.moves.limits.length === 0))
      throw new TypeError(`command ${spec.name}: a value move names what it gives and the limit that applies`);
    const info: CommandInfo = Object.freeze({
      name: spec.name,
      permission: spec.permission,
      idempotency: spec.idempotency,
      input: spec.input,
      moves: spec.moves ?? null,
    });
    infos.add(info);
    specs.set(spec.name, spec as unknown as CommandSpec<z.ZodType, unknown>);
    registry.push(info);
    const attempt = async (rawInput: z.input<S>, rawOptions: CommandOptions): Promise<O> => {
      const options = parseCommandOptions(optionsSchema, rawOptions, spec.input, rawInput) as CommandOptions;
      const key = options.idempotencyKey;
      if (spec.idempotency === 'required' && key === undefined) {
        throw invalid(
          ['options', 'idempotencyKey'],
          'required',
          `${spec.name} needs an idempotency key so a retry cannot apply it twice`,
        );
      }
      const input = parseCommandInput(spec.input, rawInput);
      const now = clock.now();
      let actor: ResolvedActor;
      try {
        actor = await resolveActor(options.actor);
        if (!isPermitted(actor, spec.permission)) throw new PermissionError(spec.permission, actorRef(actor));
      } catch (error) {
        if (isClienteleError(error, 'PERMISSION_DENIED')) await auditRefusal(spec.name, options.actor, error, now);
        throw error;
      }
      const request = key === undefined ? '' : requestOf(spec.name, input);
      const hash = key === undefined ? '' : fingerprint(request);
      return transact(
        spec as CommandSpec<z.ZodType, O>,
        input,
        actor,
        now,
        key !== undefined
          ? { key, hash, replay: (prior) => replay(spec as CommandSpec<z.ZodType, O>, prior, request) }
          : null,
      );
    };
    const run = (rawInput: z.input<S>, rawOptions: CommandOptions): Promise<O> =>
      inCommandSpan(spec.name, async () => {
        try {
          const result = await attempt(rawInput, rawOptions);
          logger.debug({ command: spec.name, outcome: 'ok' }, 'command done');
          return result;
        } catch (error) {
          if (isClienteleError(error))
            logger.info({ command: spec.name, outcome: 'refused', code: error.code }, 'command refused');
          else logger.error({ command: spec.name, outcome: 'failed', err: error }, 'command failed');
          throw error;
        }
      });
    return Object.assign(run, { info });
  }

  return {
    store,
    clock,
    ids,
    currency: settings.currency,
    collections: settings.collections,
    command,
    unitOfWork,
    commands: () => registry.slice(),
    query,
    queries: () => queryRegistry.slice(),
    on(type, handler) {
      const list = handlers.get(type) ?? [];
      list.push(handler as EventHandler);
      handlers.set(type, list);
    },
    resolveActor: (actor) => resolveActor(parseInput(actorSchema, actor, ['actor'])),
    module<A>(name: string): A {
      if (!modules.has(name)) throw new InvalidStateError(`module ${name} is not installed`);
      return modules.get(name) as A;
    },
    optionalModule<A>(name: string): A | null {
      return modules.has(name) ? (modules.get(name) as A) : null;
    },
    registerModule(name, api) {
      modules.set(name, api);
    },
    report: settings.report,
  };
}
