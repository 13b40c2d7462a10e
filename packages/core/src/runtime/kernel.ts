/**
 * The command runner and the shared runtime every module is given. One place keeps the
 * conventions: validate at the boundary, authorise, one transaction, idempotency, audit, outbox,
 * events after commit, and "a command that throws has changed nothing".
 */
import type { z } from 'zod';
import type { Clock } from '../clock.js';
import {
  AuthorityError,
  ClienteleError,
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
import { insertMany } from '../store/bulk.js';
import type { Store, TransactionSession } from '../store/port.js';
import type { CollectionSpec, JsonValue, NewRowOf } from '../store/schema.js';
import { idempotencyKeySchema, parseInput } from '../validation.js';
import { actorRef, actorSchema, authorityLimit, isPermitted, type Actor, type ResolvedActor } from './actor.js';
import { auditLog, idempotencyKeys, outbox, sequences, timeline } from './collections.js';
import type { EventHub, EventMap } from './events.js';
import type { Command, CommandContext, CommandInfo, CommandOptions, CommandSpec, EventHandler, Kernel, RefundDeduction } from './module.js';
import { z as zod } from 'zod';

const optionsSchema = zod.object({
  actor: actorSchema,
  idempotencyKey: idempotencyKeySchema.optional(),
});

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
}

/** The kernel plus the hooks only `createClientele` uses. */
export interface KernelInternals extends Kernel {
  /** @internal registers a module API for `module(name)` */
  registerModule(name: string, api: unknown): void;
}

/** Takes `count` values of a named counter inside `tx`; returns the last one taken. */
export async function nextSequence(tx: TransactionSession, name: string, count = 1): Promise<number> {
  try {
    return (await tx.increment(sequences, name, 'value', count)).row.value;
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
    return (await tx.increment(sequences, name, 'value', count)).row.value;
  }
}

/** Creates the runtime shared by all modules. */
export function createKernel(settings: KernelSettings): KernelInternals {
  const { store, clock, ids, hub } = settings;
  const handlers = new Map<string, EventHandler[]>();
  const modules = new Map<string, unknown>();

  async function resolveActor(actor: Actor, session: TransactionSession | Store = store): Promise<ResolvedActor> {
    if ('system' in actor) return { kind: 'system', name: actor.system };
    const staff = await session.get(staffCollection, actor.staffId);
    if (!staff) throw new NotFoundError('staff', actor.staffId, { path: ['options', 'actor', 'staffId'] });
    if (!staff.active) throw new PermissionError('act: this staff member is deactivated', { staffId: staff.id });
    const role = await session.get(rolesCollection, staff.roleId);
    if (!role) throw new NotFoundError('role', staff.roleId, { path: ['options', 'actor', 'staffId'] });
    return {
      kind: 'staff',
      staffId: staff.id,
      storeId: staff.storeId,
      roleId: role.id,
      permissions: role.permissions,
      limits: role.limits,
    };
  }

  async function auditRefusal(name: string, actor: Actor | ResolvedActor, error: ClienteleError, now: Date): Promise<void> {
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
        details: { message: error.message, ...(error.details['permission'] ? { permission: String(error.details['permission']) } : {}), ...(typeof error.details['amount'] === 'number' ? { amount: error.details['amount'] as number, limit: error.details['limit'] as number } : {}) } as JsonValue,
      });
    } catch (e) {
      settings.report(e, `audit of refused ${name}`);
    }
  }

  function replay<O>(spec: CommandSpec<z.ZodType, O>, stored: { command: string; requestHash: string; result: string; key: string }, request: string): O {
    if (stored.command !== spec.name || !fingerprintMatches(stored.requestHash, request)) throw new IdempotencyMismatchError(stored.key, spec.name);
    if (stored.result === ERASED_RESULT) throw new InvalidStateError('the result of this request was erased with the customer', { key: stored.key });
    return decodeJson<O>(stored.result);
  }

  const registry: CommandInfo[] = [];

  function command<S extends z.ZodType, O>(spec: CommandSpec<S, O>): Command<S, O> {
    if (registry.some((c) => c.name === spec.name)) throw new TypeError(`command ${spec.name} is registered twice`);
    const info: CommandInfo = Object.freeze({ name: spec.name, permission: spec.permission, idempotency: spec.idempotency, input: spec.input });
    registry.push(info);
    const run = async (rawInput: z.input<S>, rawOptions: CommandOptions): Promise<O> => {
      const options = parseInput(optionsSchema, rawOptions, ['options']) as CommandOptions;
      const key = options.idempotencyKey;
      if (spec.idempotency === 'required' && key === undefined) {
        throw invalid(['options', 'idempotencyKey'], 'required', `${spec.name} needs an idempotency key so a retry cannot apply it twice`);
      }
      const input = parseInput(spec.input, rawInput);
      const now = clock.now();
      let actor: ResolvedActor;
      try {
        actor = await resolveActor(options.actor);
        if (!isPermitted(actor, spec.permission)) throw new PermissionError(spec.permission, actorRef(actor));
      } catch (error) {
        if (isClienteleError(error, 'PERMISSION_DENIED')) await auditRefusal(spec.name, options.actor, error, now);
        throw error;
      }
      const request = key === undefined ? '' : `${spec.name}\n${canonicalJson(input)}`;
      const hash = key === undefined ? '' : fingerprint(request);
      let events: PendingEvent[] = [];
      let refusal: ClienteleError | null = null;

      // No read of the key before the work: a request made again clashes on the key's insert at the end
      // (or fails earlier, as a receipt taken or a voucher used), and the stored result is then read
      // after the rollback. The first request, the one that matters for speed, saves a round trip.
      const body = async (tx: TransactionSession): Promise<O> => {
        const pending: PendingEvent[] = [];
        const outboxRows: Array<Omit<NewRowOf<typeof outbox>, 'seq'>> = [];
        let target: { type: string; id: string; customerId?: string | null } | null = null;
        let details: Record<string, JsonValue> = {};
        const deductions: RefundDeduction[] = [];
        const ctx: CommandContext = {
          tx,
          now,
          actor,
          command: spec.name,
          id: (prefix) => ids.next(prefix),
          nextSequence: (name, count) => nextSequence(tx, name, count),
          async emit(type, payload, opts) {
            // Numbered and written with the others when the command is done (see below).
            outboxRows.push({ id: ids.next('evt'), type, customerId: opts?.customerId ?? null, payload: payload as JsonValue, occurredAt: now });
            pending.push({ type, payload });
            for (const handler of handlers.get(type) ?? []) await handler(ctx, payload);
          },
          audit(t, d) {
            target = t;
            if (d) details = { ...details, ...d };
          },
          async requireAuthority(action, amount, approverStaffId) {
            if (amount <= authorityLimit(actor, action)) return { approvedBy: null };
            if (approverStaffId) {
              const approver = await resolveActor({ staffId: approverStaffId }, tx);
              const limit = authorityLimit(approver, action);
              if (amount <= limit) return { approvedBy: approverStaffId };
              refusal = new AuthorityError(action, amount, limit, actorRef(approver));
              throw refusal;
            }
            refusal = new AuthorityError(action, amount, authorityLimit(actor, action), actorRef(actor));
            throw refusal;
          },
          async addTimeline(entry) {
            await tx.insert(timeline, {
              id: ids.next('tl'),
              customerId: entry.customerId,
              at: entry.at ?? now,
              source: entry.source,
              kind: entry.kind,
              summary: entry.summary,
              storeId: entry.storeId ?? null,
              refType: entry.ref?.type ?? null,
              refId: entry.ref?.id ?? null,
              data: entry.data ?? null,
            });
          },
          deductFromRefund(deduction) {
            // A module's own bug, not the caller's input: fail the command rather than refund wrongly.
            if (!Number.isSafeInteger(deduction.amount) || deduction.amount < 0) {
              throw new InvalidStateError(`refund deduction of ${deduction.source} must be a whole number of minor units, not ${deduction.amount}`);
            }
            if (deduction.amount > 0) deductions.push({ ...deduction });
          },
          refundDeductions: () => deductions.slice(),
        };
        const result = await spec.run(ctx, input);
        const t = target as { type: string; id: string; customerId?: string | null } | null;
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
          details: { ...details, ...(key !== undefined ? { idempotencyKey: key } : {}) },
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
        if (outboxRows.length) {
          // The outbox counter is one row every command updates, and where transactions overlap it stays
          // locked until commit: take it last, all numbers at once, so others wait for it the least.
          const last = await nextSequence(tx, 'outbox', outboxRows.length);
          const first = last - outboxRows.length + 1;
          if (outboxRows.length === 1) await tx.insert(outbox, { ...outboxRows[0]!, seq: first });
          else await insertMany(tx, outbox, outboxRows.map((row, i) => ({ ...row, seq: first + i })));
        }
        events = pending;
        return result;
      };

      let result: O;
      try {
        result = await store.transaction(body);
      } catch (error) {
        // The same key was used before (or by a concurrent request that committed first): nothing of
        // this attempt was kept; answer with the stored result, or IDEMPOTENCY_MISMATCH.
        if (key !== undefined) {
          const prior = await store.get(idempotencyKeys, key).catch(() => undefined);
          if (prior) return replay(spec as CommandSpec<z.ZodType, O>, prior, request);
        }
        if (refusal && error === refusal) await auditRefusal(spec.name, actor, refusal, now);
        throw error;
      }
      for (const e of events) hub.emit(e.type, e.payload);
      return result;
    };
    return Object.assign(run, { info });
  }

  return {
    store,
    clock,
    ids,
    currency: settings.currency,
    collections: settings.collections,
    command,
    commands: () => registry.slice(),
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
    registerModule(name, api) {
      modules.set(name, api);
    },
    report: settings.report,
  };
}
