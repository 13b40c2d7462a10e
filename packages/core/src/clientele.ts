/**
 * `createClientele`: the one entry point that wires the store, the clock, core's model and the
 * modules given. The types of `crm.<module>` and `crm.events` come from the modules passed in.
 */
import * as z from 'zod';
import { systemClock, type Clock } from './clock.js';
import type { CoreEvents } from './events.js';
import { ulidGenerator, type IdGenerator } from './ids.js';
import { cardTypesCollection, cardsCollection } from './model/card-collections.js';
import { createCardService, type CardsService } from './model/card-service.js';
import { CORE_TIMELINE_TEXTS, mergeTimelineTexts, type TimelineTexts } from './model/timeline-text.js';
import {
  customerHistoryCollection,
  customerMergesCollection,
  customersCollection,
} from './model/customer-collections.js';
import { DEFAULT_COMPLETENESS, type CompletenessRules } from './model/customer-schemas.js';
import { createCustomerService, type CustomersService, type ResultPage } from './model/customer-service.js';
import {
  createInteractionService,
  interactionsCollection,
  type InteractionsService,
  type TimelineEntry,
  type TimelineQueryInput,
} from './model/interaction-service.js';
import {
  createOrganisationService,
  type RolesService,
  type StaffService,
  type StoresService,
} from './model/organisation-service.js';
import { rolesCollection, staffCollection, storesCollection } from './model/organisation-collections.js';
import { importKeysCollection } from './model/import-collections.js';
import { createImportService, type ImportsService } from './model/import-service.js';
import { createPrivacyService, type PrivacyService } from './model/privacy-service.js';
import {
  purchaseLinesCollection,
  purchaseReturnsCollection,
  purchasesCollection,
} from './model/purchase-collections.js';
import { createPurchaseService, type PurchasesService } from './model/purchase-service.js';
import { createAuditReader, type AuditService } from './runtime/audit.js';
import { authorityUsage, runtimeCollections } from './runtime/collections.js';
import { createEventHub, type EventBus, type EventMap } from './runtime/events.js';
import { createKernel } from './runtime/kernel.js';
import type {
  CommandInfo,
  EventHandler,
  Kernel,
  ModuleDefinition,
  ModuleInstance,
  NoEvents,
  QueryInfo,
  QueryOptions,
  RefundStep,
} from './runtime/module.js';
import { createOutbox, type Outbox } from './runtime/outbox.js';
import { orderRefundSteps } from './runtime/refunds.js';
import type { Logger } from './runtime/logger.js';
import type { Migration, MigrationResult, Store } from './store/port.js';
import type { CollectionSpec } from './store/schema.js';
import { currencySchema } from './money.js';

/** The collections of core's first migration (applied migrations are never edited). */
const initialCollections: readonly CollectionSpec[] = [
  ...runtimeCollections,
  storesCollection,
  rolesCollection,
  staffCollection,
  customersCollection,
  customerHistoryCollection,
  customerMergesCollection,
  cardTypesCollection,
  cardsCollection,
  interactionsCollection,
  purchasesCollection,
  purchaseLinesCollection,
  purchaseReturnsCollection,
];

/** Every collection core owns. */
export const coreCollections: readonly CollectionSpec[] = [...initialCollections, authorityUsage, importKeysCollection];

/** Core's migrations, in order. Later versions append; applied ones are never edited. */
export const coreMigrations: readonly Migration[] = [
  {
    id: 'core/0001-initial',
    steps: initialCollections.map((collection) => ({ op: 'createCollection' as const, collection })),
  },
  {
    // Returns record what modules charged against the refund, and what was paid.
    id: 'core/0002-return-deductions',
    steps: [
      {
        op: 'addField',
        collection: purchaseReturnsCollection.name,
        field: 'deductions',
        spec: purchaseReturnsCollection.fields.deductions,
      },
      {
        op: 'addField',
        collection: purchaseReturnsCollection.name,
        field: 'payable',
        spec: purchaseReturnsCollection.fields.payable,
      },
    ],
  },
  {
    // Daily authority limits (a role may cap what one person moves per day under each limit), and
    // what each return gave back through which tender.
    id: 'core/0003-daily-authority-and-tenders',
    steps: [
      {
        op: 'addField',
        collection: rolesCollection.name,
        field: 'dailyLimits',
        spec: rolesCollection.fields.dailyLimits,
      },
      { op: 'createCollection', collection: authorityUsage },
      {
        op: 'addField',
        collection: purchaseReturnsCollection.name,
        field: 'tenders',
        spec: purchaseReturnsCollection.fields.tenders,
      },
    ],
  },
  {
    // Bulk imports: the old system's id of each record brought in, so a run again imports only what is missing.
    id: 'core/0004-import-keys',
    steps: [{ op: 'createCollection', collection: importKeysCollection }],
  },
];

/** Any module definition, whatever its API and events (the constraint of `modules`). */
// A module's API and event map vary per module; `unknown` would refuse them by variance.
export type AnyModule = ModuleDefinition<string, any, any, any>;

/** Options of {@link createClientele}. */
export interface ClienteleOptions<M extends readonly AnyModule[]> {
  /** Where data lives: `sqliteStore(...)`, `postgresStore(...)`, `memoryStore()`. */
  store: Store;
  /** Where time comes from (default: the system clock). Tests pass `manualClock(...)`. */
  clock?: Clock;
  /** How ids are made (default: time-ordered random ids). */
  ids?: IdGenerator;
  /** The chain's currency, ISO 4217 (default `CNY`). */
  currency?: string;
  /** Modules to install: `loyalty(config)`, `complaints(config)`, `segments()`, or your own. */
  modules?: M;
  /** The retailer's schema for customers' extra `attributes` (default: any JSON object). */
  customerAttributes?: z.ZodType<Record<string, unknown>>;
  /** Expected fields per kind of customer, for completeness. */
  completeness?: Partial<CompletenessRules>;
  /** Receives what event listeners throw (default: the logger's `error`, or `console.error` without a logger). */
  onListenerError?: (error: unknown, eventType: string) => void;
  /**
   * Where Clientele logs (a pino logger, or anything with its `debug`/`info`/`warn`/`error`); silent by
   * default. Each command logs its name and outcome (`debug` when done, `info` when refused with a
   * code, `error` when it failed unexpectedly), never its input.
   */
  logger?: Logger;
  /**
   * Audit every read of a member's file (default false): each query that shows customers' personal
   * data writes an audit entry with outcome `read`, the reader and the customers read.
   */
  auditReads?: boolean;
}

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/** The APIs of the modules given, keyed by module name. */
export type ModuleApis<M extends readonly AnyModule[]> = {
  [D in M[number] as D['name']]: D extends ModuleDefinition<string, infer A, any, any> ? A : never;
};

/** The union of the modules' event maps. */
export type ModuleEvents<M extends readonly AnyModule[]> = [M[number]] extends [never]
  ? NoEvents
  : UnionToIntersection<M[number] extends ModuleDefinition<string, any, infer E, any> ? E : never>;

/** Every event a Clientele instance with modules `M` emits. */
export type ClienteleEvents<M extends readonly AnyModule[]> = CoreEvents & ModuleEvents<M>;

/** Core's services, as every Clientele instance has them (`crm.customers`, `crm.cards`, ...). */
export interface CoreApi {
  /** Customers: members, organisations, suppliers; history, review lists, duplicates, merges. */
  customers: CustomersService;
  /** Membership cards: types, issue, link, lost, replace, block, lookup. */
  cards: CardsService;
  /** Sales, returns and voids. */
  purchases: PurchasesService;
  /** The shared interaction log. */
  interactions: InteractionsService;
  /** A customer's timeline from every module, newest first. Needs `customers.read`. */
  timeline(customerId: string, options: QueryOptions): Promise<ResultPage<TimelineEntry>>;
  /**
   * A page of a customer's timeline from every module, newest first, optionally of some sources only.
   * Entries of a merged record moved to the survivor with the merge. Needs `customers.read`.
   */
  timeline(
    customerId: string,
    query: TimelineQueryInput | undefined,
    options: QueryOptions,
  ): Promise<ResultPage<TimelineEntry>>;
  /** Stores of the chain and their calendars. */
  stores: StoresService;
  /** Roles: permissions and monetary authority limits. */
  roles: RolesService;
  /** Staff and their authority. */
  staff: StaffService;
  /** Export and erasure of personal data. */
  privacy: PrivacyService;
  /** The audit log. */
  audit: AuditService;
  /** Bulk imports from the system the retailer leaves: customers with cards, historic sales. */
  imports: ImportsService;
}

function buildCore(
  kernel: ReturnType<typeof createKernel>,
  settings: {
    completeness: CompletenessRules;
    attributes: z.ZodType<Record<string, unknown>>;
    modules: () => ReadonlyArray<ModuleInstance<unknown>>;
  },
): CoreApi {
  let texts: TimelineTexts | undefined;
  const organisation = createOrganisationService(kernel, { modules: settings.modules });
  const interactions = createInteractionService(kernel, {
    // Modules are all set up before the first read: merge their texts once, then reuse them.
    texts: () => (texts ??= mergeTimelineTexts(CORE_TIMELINE_TEXTS, ...settings.modules().map((m) => m.timelineTexts))),
  });
  const privacy = createPrivacyService(kernel);
  let refundSteps: RefundStep[] | undefined;
  return {
    customers: createCustomerService(kernel, settings),
    cards: createCardService(kernel),
    purchases: createPurchaseService(kernel, {
      tenders: () => new Set(settings.modules().flatMap((m) => m.tenders ?? [])),
      // Modules are all set up before the first return: order their steps once, then reuse the order.
      refundSteps: () => (refundSteps ??= orderRefundSteps(settings.modules().flatMap((m) => m.refunds ?? []))),
    }),
    interactions: { log: interactions.log, list: interactions.list },
    timeline: interactions.timeline,
    stores: organisation.stores,
    roles: organisation.roles,
    staff: organisation.staff,
    privacy,
    audit: createAuditReader(kernel),
    imports: createImportService(kernel, settings),
  };
}

/** A wired Clientele instance. */
export type Clientele<M extends readonly AnyModule[] = []> = CoreApi &
  ModuleApis<M> & {
    /** Typed listeners of committed events. */
    events: EventBus<ClienteleEvents<M>>;
    /** The transactional outbox and its relay. */
    outbox: Outbox<ClienteleEvents<M>>;
    /** The store in use. */
    store: Store;
    /** The clock in use. */
    clock: Clock;
    /** Creates or upgrades every module's collections; safe to run at every start. */
    migrate(): Promise<MigrationResult>;
    /** Runs work that has fallen due in every module (escalations, expiries). Call it from your scheduler. */
    runDue(now?: Date): Promise<Record<string, Record<string, number>>>;
    /** Closes the store. */
    close(): Promise<void>;
    /** Every command of core and of the modules given: name, permission, idempotency, input schema, value moved. */
    commands(): readonly CommandInfo[];
    /** Every read query of core and of the modules given: name, permission, whether it shows members' files. */
    queries(): readonly QueryInfo[];
  };

/** Wires a Clientele instance. Call `migrate()` before first use. */
export function createClientele<const M extends readonly AnyModule[] = []>(options: ClienteleOptions<M>): Clientele<M> {
  const clock = options.clock ?? systemClock();
  const ids = options.ids ?? ulidGenerator(() => clock.now().getTime());
  const currency = currencySchema.parse(options.currency ?? 'CNY');
  const definitions = (options.modules ?? []) as readonly AnyModule[];

  const collections: CollectionSpec[] = [...coreCollections];
  const names = new Set(collections.map((c) => c.name));
  const moduleNames = new Set([
    'customers',
    'cards',
    'purchases',
    'interactions',
    'timeline',
    'stores',
    'roles',
    'staff',
    'privacy',
    'audit',
    'imports',
    'events',
    'outbox',
    'store',
    'clock',
    'migrate',
    'runDue',
    'close',
    'commands',
    'queries',
  ]);
  const migrations: Migration[] = [...coreMigrations];
  for (const d of definitions) {
    if (moduleNames.has(d.name)) throw new TypeError(`module name ${d.name} is taken`);
    moduleNames.add(d.name);
    for (const c of d.collections ?? []) {
      if (names.has(c.name)) throw new TypeError(`module ${d.name}: collection ${c.name} already exists`);
      names.add(c.name);
      collections.push(c);
    }
    migrations.push(
      ...(d.migrations ??
        (d.collections?.length
          ? [
              {
                id: `${d.name}/0001-initial`,
                steps: d.collections.map((collection) => ({ op: 'createCollection' as const, collection })),
              },
            ]
          : [])),
    );
  }

  const logger = options.logger;
  const report =
    options.onListenerError ??
    (logger
      ? (error: unknown, type: string) => logger.error({ event: type, err: error }, 'event listener failed')
      : (error: unknown, type: string) => console.error(`clientele: listener of ${type} failed`, error));
  const hub = createEventHub<EventMap>(report);
  const kernel = createKernel({
    store: options.store,
    clock,
    ids,
    currency,
    collections,
    hub,
    report,
    auditReads: options.auditReads ?? false,
    ...(logger ? { logger } : {}),
  });
  const instances: Array<{ name: string; instance: ModuleInstance<unknown> }> = [];
  const core = buildCore(kernel, {
    completeness: { ...DEFAULT_COMPLETENESS, ...options.completeness },
    attributes: options.customerAttributes ?? z.record(z.string(), z.unknown()),
    modules: () => instances.map((i) => i.instance),
  });
  const apis: Record<string, unknown> = {};
  for (const d of definitions) {
    // One kernel runs every module's events; each module's types see core's and its own, and core
    // calls a module's handlers and steps only with the contexts of the commands that emit them.
    const instance = d.setup(kernel as unknown as Kernel<CoreEvents>) as unknown as ModuleInstance<unknown>;
    for (const h of instance.handlers ?? []) kernel.on(h.event, h.run as EventHandler<never, EventMap>);
    instances.push({ name: d.name, instance });
    apis[d.name] = instance.api;
    kernel.registerModule(d.name, instance.api);
  }

  return {
    ...core,
    ...apis,
    events: hub,
    outbox: createOutbox(options.store, clock),
    store: options.store,
    clock,
    async migrate() {
      const result = await options.store.migrate(migrations);
      for (const { instance } of instances) await instance.seed?.();
      return result;
    },
    async runDue(now = clock.now()) {
      const out: Record<string, Record<string, number>> = {};
      for (const { name, instance } of instances) if (instance.runDue) out[name] = await instance.runDue(now);
      return out;
    },
    close: () => options.store.close(),
    commands: () => kernel.commands(),
    queries: () => kernel.queries(),
  } as Clientele<M>;
}
