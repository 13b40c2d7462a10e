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
import { canonicalJson, decodeJson, encodeJson, fingerprint } from '../json-codec.js';
import { rolesCollection, staffCollection } from '../model/organisation-collections.js';
import type { Store, TransactionSession } from '../store/port.js';
import type { CollectionSpec, JsonValue } from '../store/schema.js';
import { idempotencyKeySchema, parseInput } from '../validation.js';
import { actorRef, actorSchema, authorityLimit, isPermitted, type Actor, type ResolvedActor } from './actor.js';
import { auditLog, idempotencyKeys, outbox, sequences, timeline } from './collections.js';
import type { EventHub, EventMap } from './events.js';
import type { Command, CommandContext, CommandOptions, CommandSpec, EventHandler, Kernel } from './module.js';
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

  function replay<O>(spec: CommandSpec<z.ZodType, O>, stored: { command: string; requestHash: string; result: string; key: string }, hash: string): O {
    if (stored.command !== spec.name || stored.requestHash !== hash) throw new IdempotencyMismatchError(stored.key, spec.name);
    if (stored.result === ERASED_RESULT) throw new InvalidStateError('the result of this request was erased with the customer', { key: stored.key });
    return decodeJson<O>(stored.result);
  }

  function command<S extends z.ZodType, O>(spec: CommandSpec<S, O>): Command<S, O> {
    return async (rawInput, rawOptions) => {
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
      const hash = key === undefined ? '' : fingerprint(`${spec.name}\n${canonicalJson(input)}`);
      let events: PendingEvent[] = [];
      let refusal: ClienteleError | null = null;

      const body = async (tx: TransactionSession): Promise<{ replayed: true; result: O } | { replayed: false; result: O }> => {
        if (key !== undefined) {
          const prior = await tx.get(idempotencyKeys, key);
          if (prior) return { replayed: true, result: replay(spec as CommandSpec<z.ZodType, O>, prior, hash) };
        }
        const pending: PendingEvent[] = [];
        let target: { type: string; id: string; customerId?: string | null } | null = null;
        let details: Record<string, JsonValue> = {};
        const ctx: CommandContext = {
          tx,
          now,
          actor,
          command: spec.name,
          id: (prefix) => ids.next(prefix),
          nextSequence: (name, count) => nextSequence(tx, name, count),
          async emit(type, payload, opts) {
            const seq = await nextSequence(tx, 'outbox');
            await tx.insert(outbox, {
              id: ids.next('evt'),
              seq,
              type,
              customerId: opts?.customerId ?? null,
              payload: payload as JsonValue,
              occurredAt: now,
            });
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
        events = pending;
        return { replayed: false, result };
      };

      let outcome: { replayed: boolean; result: O };
      try {
        outcome = await store.transaction(body);
      } catch (error) {
        // A concurrent request with the same key committed first: answer with its result.
        if (key !== undefined && isClienteleError(error, 'CONFLICT')) {
          const prior = await store.get(idempotencyKeys, key);
          if (prior) return replay(spec as CommandSpec<z.ZodType, O>, prior, hash);
        }
        if (refusal && error === refusal) await auditRefusal(spec.name, actor, refusal, now);
        throw error;
      }
      if (!outcome.replayed) for (const e of events) hub.emit(e.type, e.payload);
      return outcome.result;
    };
  }

  return {
    store,
    clock,
    ids,
    currency: settings.currency,
    collections: settings.collections,
    command,
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
