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
  /** One readable line. */
  summary: string;
  at?: Date;
  storeId?: string | null;
  ref?: { type: string; id: string } | null;
  data?: JsonValue;
}

/**
 * A part of a refund that a module charges back to the customer: the value of points the returned
 * goods earned and the member already spent, or a voucher's discount the rest of the basket no longer
 * earns. In-transaction handlers of `purchase.returned` add them; the return records them and pays
 * the rest.
 */
export interface RefundDeduction {
  /** Who charges it and for what, such as `loyalty.points` or `loyalty.voucher`. */
  source: string;
  /** Minor units, positive. */
  amount: number;
  /** One readable line for the receipt and the audit ("120 points already spent"). */
  reason: string;
}

/** What a command's body receives: the open transaction and the helpers that keep the conventions. */
export interface CommandContext<E extends EventMap = EventMap> {
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
   * Requires monetary authority for `amount` (minor units) of `action` (`refund`, `compensation`, ...).
   * When the actor's limit is too low, an approver with enough authority may be named; without one it
   * throws `AuthorityError` (the refusal is audited). Returns who approved beyond the actor's own limit.
   */
  requireAuthority(action: string, amount: number, approverStaffId?: string | null): Promise<{ approvedBy: string | null }>;
  /** Adds an entry to the customer's timeline. */
  addTimeline(entry: TimelineInput): Promise<void>;
  /**
   * Charges part of the refund of the command under way back to the customer. Only a command that
   * refunds (`purchases.return`) reads them, after its event's handlers ran; elsewhere they are ignored.
   * A zero amount adds nothing.
   */
  deductFromRefund(deduction: RefundDeduction): void;
  /** What handlers charged against this command's refund so far, in the order they did. */
  refundDeductions(): readonly RefundDeduction[];
}

/** The declaration of a command. */
export interface CommandSpec<S extends z.ZodType, O> {
  /** `area.verb`, e.g. `customers.register`; audited and scoped for idempotency. */
  name: string;
  /** Input schema; parsed before anything is read. */
  input: S;
  /** Permission the actor's role must grant. */
  permission: string;
  /** Whether an idempotency key is required (commands a POS retries), optional, or not accepted. */
  idempotency: 'required' | 'optional';
  /** The body; runs inside one transaction. */
  run(ctx: CommandContext, input: z.output<S>): Promise<O>;
}

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
}

/** An in-transaction handler of another module's event (e.g. move balances when a card is replaced). */
export type EventHandler<P = unknown> = (ctx: CommandContext, payload: P) => Promise<void>;

/** What a module's setup gets: the shared runtime. */
export interface Kernel {
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** The chain's currency (ISO 4217), e.g. `CNY`. */
  readonly currency: string;
  /** Every collection of every module. */
  readonly collections: readonly CollectionSpec[];
  /** Builds a command from its declaration and registers it. */
  command<S extends z.ZodType, O>(spec: CommandSpec<S, O>): Command<S, O>;
  /** Every command registered so far (core's and every module's once all are set up), in order. */
  commands(): readonly CommandInfo[];
  /** Registers an in-transaction handler for an event type. */
  on<P = unknown>(type: string, handler: EventHandler<P>): void;
  /** Resolves an actor against the store (staff, role, limits). */
  resolveActor(actor: Actor): Promise<ResolvedActor>;
  /** Another module's API, by name (available once every module is set up). */
  module<A = unknown>(name: string): A;
  /** Reports an error that must not break the caller (a failing listener). */
  report(error: unknown, context: string): void;
}

/** What a module's setup returns. */
export interface ModuleInstance<A> {
  /** The public API, mounted as `crm[name]`. */
  api: A;
  /** Creates rows the module needs after migration (counters, defaults). Idempotent. */
  seed?(): Promise<void>;
  /** Runs work that has fallen due (escalations, expiries). Returns counts by kind. */
  runDue?(now: Date): Promise<Record<string, number>>;
  /**
   * Moves the module's data from a merged customer to the survivor where a plain reassignment of
   * `customerKey` would not do (rows unique per customer). Returns the collections it handled itself.
   */
  mergeCustomer?(ctx: CommandContext, ids: { survivorId: string; mergedId: string }): Promise<readonly string[]>;
}

/** A module definition, as `loyalty(config)` returns it. */
export interface ModuleDefinition<N extends string = string, A = unknown, E extends EventMap = EventMap> {
  /** Key under which the API is mounted (`crm.loyalty`). */
  readonly name: N;
  /** Collections the module owns. */
  readonly collections?: readonly CollectionSpec[];
  /** Ordered migrations creating and evolving them. */
  readonly migrations?: readonly Migration[];
  /** Wires the module. */
  setup(kernel: Kernel): ModuleInstance<A>;
  /** @internal phantom: the module's event map */
  readonly __events?: E;
}

/** Declares a module with its types inferred. */
export function defineModule<N extends string, A, E extends EventMap = EventMap>(
  definition: ModuleDefinition<N, A, E>,
): ModuleDefinition<N, A, E> {
  return definition;
}
