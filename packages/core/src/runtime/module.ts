/**
 * Modules: how loyalty, complaints, segments (and a retailer's own) plug into `createClientele`.
 * A module owns its collections and migrations and reaches other modules only through their APIs.
 */
import type { z } from 'zod';
import type { Clock } from '../clock.js';
import type { IdGenerator } from '../ids.js';
import type { Migration, Store, TransactionSession } from '../store/port.js';
import type { CollectionSpec, JsonValue } from '../store/schema.js';
import type { Actor, ResolvedActor } from './actor.js';
import type { EventMap } from './events.js';
import type { CoreEvents } from '../events.js';
import type { SettledTender } from '../model/purchase-math.js';
import type { OpeningHours } from '../model/business-calendar.js';
import type { ValidationIssue } from '../errors.js';
import type { TimelineFacts, TimelineTexts } from '../model/timeline-text.js';

/** A store's settings, as modules check them. */
export interface StoreSettings {
  id: string;
  timeZone: string;
  openingHours: OpeningHours;
  holidays: readonly string[];
}

/** Options every command takes besides its input. */
export interface CommandOptions {
  /** Who acts. */
  actor: Actor;
  /** Sent again unchanged when the caller retries: the retry returns the first result and changes nothing. */
  idempotencyKey?: string;
}

/** A timeline entry a command adds for a customer. */
export interface TimelineInput {
  customerId: string;
  /** The area that wrote it (`purchases`, `loyalty`, ...). */
  source: string;
  /** What happened (`purchase`, `return`, `points-earned`, ...). */
  kind: string;
  /**
   * What happened, to write the entry's line from when it is read, in the reader's language, by the
   * module's {@link ModuleInstance.timelineTexts}. Give facts rather than a line of text.
   */
  facts?: TimelineFacts;
  /**
   * A line of text stored as it is: the words a person gave (an interaction's note, shown by the
   * text of its kind), or the whole line of a module that has no texts for its kinds.
   */
  summary?: string;
  at?: Date;
  storeId?: string | null;
  ref?: { type: string; id: string } | null;
  data?: JsonValue;
}

/**
 * A part of a refund that a module charges back to the customer: the value of points the returned
 * goods earned and the member already spent, or a voucher's discount the rest of the basket no longer
 * earns. Modules' refund steps add them (see {@link RefundCollector}); the return records them and pays
 * the rest.
 */
export interface RefundDeduction {
  /** Who charges it and for what, such as `loyalty.points` or `loyalty.voucher`. */
  source: string;
  /** Minor units, positive. */
  amount: number;
  /** One readable line for the receipt and the audit ("120 points already spent"). */
  reason: string;
  /**
   * What the reason says, as facts, for the timeline to word it in the reader's language: the
   * module's timeline texts give kind `refund-deduction` under this deduction's `source`. Without
   * them, the timeline shows `reason`.
   */
  facts?: TimelineFacts;
}

/**
 * What a return's steps add to it, in the order the steps run. Core makes one per return and turns
 * it into the return's deductions and tenders after the last step.
 */
export interface RefundCollector {
  /** The refund of the returned lines before anything is kept back, minor units. */
  readonly amount: number;
  /**
   * Charges part of the refund back to the customer (points the returned goods earned and were
   * already spent, a voucher's discount the rest of the basket no longer earns). A zero amount adds nothing.
   */
  deduct(deduction: RefundDeduction): void;
  /**
   * Records that the step gave part of the refund back through its own tender (credited a card,
   * restored points, made a voucher active again); the till pays only the rest. A zero amount adds nothing.
   */
  settle(tender: SettledTender): void;
  /** The charges so far, in the order they were made. */
  deductions(): readonly RefundDeduction[];
  /** The tenders settled so far, in the order they were settled. */
  tenders(): readonly SettledTender[];
  /** The refund less the charges so far, each cut to what was left of it. */
  afterDeductions(): number;
  /**
   * The money still to give back: the refund less the charges (each cut to what was left) and less money already
   * settled.
   */
  left(): number;
}

/**
 * A module's part in giving a sale back, declared in its setup's `refunds`. Core runs the steps of
 * every module by `order` (lower first; equal orders in module order) inside the return's or void's
 * transaction, after the `purchase.returned` or `purchase.voided` event's handlers.
 */
export interface RefundStep<E extends EventMap = CoreEvents> {
  /** Where it runs among the others; see `REFUND_ORDER`. */
  readonly order: number;
  /** Some of a sale's lines came back: take back what they earned, and charge or settle through `refund`. */
  onReturn?(ctx: CommandContext<E>, event: CoreEvents['purchase.returned'], refund: RefundCollector): Promise<void>;
  /** A whole sale was voided: give back everything the module took for it. */
  onVoid?(ctx: CommandContext<E>, event: CoreEvents['purchase.voided']): Promise<void>;
}

/**
 * What a command's body receives: the open transaction and the helpers that keep the conventions.
 * `E` is the event map it may emit: core's events, and a module's own in the module's commands.
 */
export interface CommandContext<E extends EventMap = CoreEvents> {
  /** The open transaction; every read and write of the command goes through it. */
  readonly tx: TransactionSession;
  /** The command's instant (one per command, from the injected clock). */
  readonly now: Date;
  /** Who acts, with role and limits. */
  readonly actor: ResolvedActor;
  /** The command's name, as audited. */
  readonly command: string;
  /** Makes an id with a prefix. */
  id(prefix: string): string;
  /** Takes the next `count` values of a named counter; returns the last one taken. */
  nextSequence(name: string, count?: number): Promise<number>;
  /**
   * Records an event: written to the outbox now, handled by other modules' in-transaction handlers
   * now, and delivered to `crm.events` listeners after commit.
   */
  emit<K extends keyof E & string>(type: K, payload: E[K], options?: { customerId?: string | null }): Promise<void>;
  /** Names what the command acted on, for its audit entry. `details` must not hold personal data. */
  audit(target: { type: string; id: string; customerId?: string | null }, details?: Record<string, JsonValue>): void;
  /**
   * Requires monetary authority for `amount` (minor units) under a limit the command declares in
   * `moves.limits` (with several names, the first the role sets applies). Within the actor's limit per
   * move and the rest of their daily limit the move is theirs (and counts toward their day); above
   * either, an approver with enough authority may be named, whose limits it then counts against;
   * without one it throws `AuthorityError` (the refusal is audited). Returns who approved.
   */
  requireAuthority(
    action: string | readonly string[],
    amount: number,
    approverStaffId?: string | null,
  ): Promise<{ approvedBy: string | null }>;
  /**
   * For commands that escalate instead of refusing (`moves.aboveLimit: 'escalate'`): whether the actor's
   * own authority covers `amount` now (if so, it counts toward their day).
   */
  withinAuthority(action: string | readonly string[], amount: number): Promise<boolean>;
  /**
   * Reports value moved to a customer (a refund, points, a voucher, stored value). Ledgers call it
   * where value leaves the retailer by a person's decision; the kernel fails the command when it does
   * not declare that kind of move or has not checked authority yet.
   */
  moved(kind: ValueKind, amount: number): void;
  /**
   * Runs another registered command inside this transaction, as the same actor: its input is parsed,
   * its permission and authority checked, it is audited as itself and its events go out with this
   * command's after commit. A refusal fails this command too, so both happen or neither.
   */
  call<S extends z.ZodType, O>(
    command: Command<S, O>,
    input: z.input<S>,
    options?: { idempotencyKey?: string },
  ): Promise<O>;
  /** Adds an entry to the customer's timeline. */
  addTimeline(entry: TimelineInput): Promise<void>;
}

/** What a customer receives from a command that moves value. */
export type ValueKind = 'money' | 'points' | 'voucher' | 'stored-value' | 'goods' | 'credit';

/** Every {@link ValueKind}. */
export const VALUE_KINDS: readonly ValueKind[] = ['money', 'points', 'voucher', 'stored-value', 'goods', 'credit'];

/**
 * The declaration, on a command, of the value it moves to a customer and the authority that needs.
 * The kernel checks the actor's authority (the role's limit per move and per day, else a named
 * approver's) and audits the check either way. It refuses, as a program error, a value move in a
 * command that does not declare it, one reported before the command's authority check passed, and a
 * check of a limit the command does not declare.
 */
export interface ValueMove<I = any> {
  /** What the customer receives. */
  readonly gives: readonly ValueKind[];
  /**
   * The role limit that applies, in minor units. With several names, the first one the role sets
   * applies (`['goodwill-points', 'compensation']`: a role that sets no goodwill limit is held to its
   * compensation limit); a role that sets none of them has a limit of 0.
   */
  readonly limits: readonly [string, ...string[]];
  /** How the amount checked is counted, in a few words (for the table in the docs). */
  readonly measure: string;
  /**
   * The amount, worked out from the input (reads go through `ctx.tx`). When given, the kernel checks
   * authority before the command's body runs. When not, the body calls `ctx.requireAuthority` as soon
   * as it knows the amount, before it moves anything.
   */
  readonly amount?: (ctx: CommandContext, input: I) => number | Promise<number>;
  /** The staff member the input names as approver, for a check the kernel makes before the body. */
  readonly approver?: (input: I) => string | null | undefined;
  /**
   * Above the limit without an approver the command is refused (`refuse`, the default), or the body
   * asks with `ctx.withinAuthority` and records a request for someone with enough authority
   * (`escalate`: complaint remedies).
   */
  readonly aboveLimit?: 'refuse' | 'escalate';
}

/** The declaration of a command; `E` is the event map its body may emit. */
export interface CommandSpec<S extends z.ZodType, O, E extends EventMap = CoreEvents> {
  /** `area.verb`, e.g. `customers.register`; audited and scoped for idempotency. */
  name: string;
  /** Input schema; parsed before anything is read. */
  input: S;
  /** Permission the actor's role must grant. */
  permission: string;
  /** Whether an idempotency key is required (commands a POS retries), optional, or not accepted. */
  idempotency: 'required' | 'optional';
  /** The value the command moves to a customer and the limit that applies; absent when it moves none. */
  moves?: ValueMove<z.output<S>>;
  /** The body; runs inside one transaction. */
  run(ctx: CommandContext<E>, input: z.output<S>): Promise<O>;
}

/**
 * The declaration of a unit of work: a step of a module's own internal work (a chunk of a long
 * rebuild, the saving of its state) with the guarantees of a command and none of its public face. It
 * runs in one transaction, writes an audit entry under its name, and its events go to the outbox in
 * that transaction and to `crm.events` listeners after commit; when it throws, nothing of it is kept.
 * It takes no input schema and no idempotency key: its caller is the module itself, which passes
 * values it built (typed arrays, an abort signal) as they are, and it is not listed among the commands
 * that transports expose.
 */
export interface UnitOfWorkSpec<I, O, E extends EventMap = CoreEvents> {
  /** `area.step`, e.g. `segments.rebuild-stats`; audited as the command name. */
  name: string;
  /** The permission the actor's role must grant, checked on every run (a refusal is audited). */
  permission: string;
  /** The body; runs inside one transaction and gets the same context as a command's. */
  run(ctx: CommandContext<E>, input: I): Promise<O>;
}

/**
 * A ready unit of work: runs the body with `input`, as `actor` (resolved once by the caller with
 * `kernel.resolveActor`, so a long task does not read its actor at every step).
 */
export type UnitOfWork<I, O> = (input: I, actor: ResolvedActor) => Promise<O>;

/** A ready command: validates, authorises, runs in a transaction, audits, emits. */
export type Command<S extends z.ZodType, O> = ((input: z.input<S>, options: CommandOptions) => Promise<O>) & {
  /** What the command is, as registered with the kernel. */
  readonly info: CommandInfo;
};

/** What the kernel knows of a registered command: for docs, transports and checks that walk them all. */
export interface CommandInfo {
  /** `area.verb`, as audited. */
  readonly name: string;
  /** The permission its actor's role must grant. */
  readonly permission: string;
  /** Whether it needs an idempotency key. */
  readonly idempotency: 'required' | 'optional';
  /** Its input schema. */
  readonly input: z.ZodType;
  /** The value it moves to a customer and the limit that applies (`null`: none). */
  readonly moves: ValueMove | null;
}

/** Options every read query takes as its last argument. */
export interface QueryOptions {
  /** Who reads: a member of staff, or a named system actor for a host with no staff context. */
  actor: Actor;
}

/**
 * The arguments of a read query: its own, then {@link QueryOptions}. Optional arguments of its own may
 * be left out before the options (`history(id, { actor })` or `history(id, { limit: 20 }, { actor })`).
 */
export type QueryArgs<A extends unknown[]> = A extends []
  ? [QueryOptions]
  : A extends [infer A1]
    ? [A1, QueryOptions]
    : A extends [(infer A1)?]
      ? [QueryOptions] | [A1 | undefined, QueryOptions]
      : A extends [infer A1, infer A2]
        ? [A1, A2, QueryOptions]
        : A extends [infer A1, (infer A2)?]
          ? [A1, QueryOptions] | [A1, A2 | undefined, QueryOptions]
          : A extends [infer A1, infer A2, infer A3]
            ? [A1, A2, A3, QueryOptions]
            : A extends [infer A1, infer A2, (infer A3)?]
              ? [A1, A2, QueryOptions] | [A1, A2, A3 | undefined, QueryOptions]
              : [...A, QueryOptions];

/** The declaration of a read query. */
export interface QuerySpec<A extends unknown[], O> {
  /** `area.what`, e.g. `customers.get`; audited when reads are audited. */
  name: string;
  /** The permission the reader's role must grant, e.g. `customers.read`. */
  permission: string;
  /**
   * The customers whose file the result shows, for auditing reads when the retailer turns that on;
   * absent for a query that shows no member's file (a report of totals).
   */
  reads?: (result: NoInfer<O>, args: NoInfer<A>) => Iterable<string | null | undefined>;
  /** The body: parses its own arguments, reads, never writes. */
  run(...args: A): Promise<O>;
}

/** What the kernel knows of a registered read query. */
export interface QueryInfo {
  readonly name: string;
  readonly permission: string;
  /** Whether it shows members' files (and is audited when reads are). */
  readonly personal: boolean;
}

/** A ready read query: checks the reader's permission, runs, audits the read when asked to. */
export type Query<A extends unknown[], O> = ((...args: QueryArgs<A>) => Promise<O>) & {
  /** What the query is, as registered with the kernel. */
  readonly info: QueryInfo;
};

/** An in-transaction handler of an event (e.g. move balances when a card is replaced). */
export type EventHandler<P = unknown, E extends EventMap = CoreEvents> = (
  ctx: CommandContext<E>,
  payload: P,
) => Promise<void>;

/**
 * A module's handler of one event, run inside the transaction of the command that emits it, before
 * that command goes on. `event` names the event; the payload's type follows from it.
 */
export type EventHandlerEntry<E extends EventMap = CoreEvents> = {
  [K in keyof E & string]: {
    /** The event handled. */
    readonly event: K;
    /** The handler; a throw fails the command that emitted the event. */
    run(ctx: CommandContext<E>, payload: E[K]): Promise<void>;
  };
}[keyof E & string];

/** What a module's setup gets: the shared runtime. `E` is the event map the module's commands may emit. */
export interface Kernel<E extends EventMap = CoreEvents> {
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** The chain's currency (ISO 4217), e.g. `CNY`. */
  readonly currency: string;
  /** Every collection of every module. */
  readonly collections: readonly CollectionSpec[];
  /** Builds a command from its declaration and registers it. */
  command<S extends z.ZodType, O>(spec: CommandSpec<S, O, E>): Command<S, O>;
  /**
   * Builds a unit of work for a module's internal steps (see {@link UnitOfWorkSpec}): one transaction,
   * an audit entry, events through the outbox after commit, nothing kept on failure; no input schema.
   */
  unitOfWork<I, O>(spec: UnitOfWorkSpec<I, O, E>): UnitOfWork<I, O>;
  /** Every command registered so far (core's and every module's once all are set up), in order. */
  commands(): readonly CommandInfo[];
  /** Builds a read query from its declaration and registers it. */
  query<A extends unknown[], O>(spec: QuerySpec<A, O>): Query<A, O>;
  /** Every read query registered so far, in order. */
  queries(): readonly QueryInfo[];
  /** Resolves an actor against the store (staff, role, limits). */
  resolveActor(actor: Actor): Promise<ResolvedActor>;
  /**
   * Another module's API, by name (available once every module is set up); `INVALID_STATE` when it is not installed.
   */
  module<A = unknown>(name: string): A;
  /** Another module's API, or `null` when it is not installed (available once every module is set up). */
  optionalModule<A = unknown>(name: string): A | null;
  /** Reports an error that must not break the caller (a failing listener). */
  report(error: unknown, context: string): void;
}

/** What a module's setup returns. `E` is the event map of its handlers: core's events and its own. */
export interface ModuleInstance<A, E extends EventMap = CoreEvents> {
  /** The public API, mounted as `crm[name]`. */
  api: A;
  /**
   * Its in-transaction event handlers, in the order they run (modules in the order they are given,
   * each module's in the order listed).
   */
  handlers?: readonly EventHandlerEntry<E>[];
  /** Its part in giving a sale back when it is returned or voided; core runs every module's in `order`. */
  refunds?: readonly RefundStep<E>[];
  /** Creates rows the module needs after migration (counters, defaults). Idempotent. */
  seed?(): Promise<void>;
  /** Runs work that has fallen due (escalations, expiries). Returns counts by kind. */
  runDue?(now: Date): Promise<Record<string, number>>;
  /**
   * Moves the module's data from a merged customer to the survivor where a plain reassignment of
   * `customerKey` would not do (rows unique per customer). Returns the collections it handled itself.
   */
  mergeCustomer?(ctx: CommandContext<E>, ids: { survivorId: string; mergedId: string }): Promise<readonly string[]>;
  /**
   * Problems the module has with a store's settings, checked when a store is created or changed (and
   * refused with them, `VALIDATION_FAILED`): a calendar the module's time limits cannot be placed on.
   * Paths point into the store's input (`['openingHours']`). `now` is the command's instant.
   */
  checkStore?(store: StoreSettings, now: Date): readonly ValidationIssue[];
  /**
   * Payment methods the module gives back itself when a sale is returned or voided (vouchers, cards,
   * points): the till is never asked to pay them back.
   */
  tenders?: readonly string[];
  /** How its timeline entries read in each language, by source and kind (see {@link TimelineInput.facts}). */
  timelineTexts?: TimelineTexts;
}

/** A module that emits no events of its own. */
export type NoEvents = Record<never, never>;

/**
 * A module definition, as `loyalty(config)` returns it. `E` is the map of the events the module emits
 * (none by default): its commands emit core's events and these. `L` is the map of other modules' events
 * its handlers take besides core's and its own (`ComplaintEvents` for a module that acts when a case closes).
 */
export interface ModuleDefinition<
  N extends string = string,
  A = unknown,
  E extends EventMap = NoEvents,
  L extends EventMap = NoEvents,
> {
  /** Key under which the API is mounted (`crm.loyalty`). */
  readonly name: N;
  /** Collections the module owns. */
  readonly collections?: readonly CollectionSpec[];
  /** Ordered migrations creating and evolving them. */
  readonly migrations?: readonly Migration[];
  /** Wires the module: builds its API and declares its handlers from the shared runtime. */
  setup(kernel: Kernel<CoreEvents & E>): ModuleInstance<A, CoreEvents & E & L>;
  /** @internal phantom: the module's event map */
  readonly __events?: E;
}

/** Declares a module with its types inferred. */
export function defineModule<N extends string, A, E extends EventMap = NoEvents, L extends EventMap = NoEvents>(
  definition: ModuleDefinition<N, A, E, L>,
): ModuleDefinition<N, A, E, L> {
  return definition;
}
