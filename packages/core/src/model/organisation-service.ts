/** Stores, roles and staff: who may do what, where, and up to which amount. */
import * as z from 'zod';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { authorityLimit, type Actor } from '../runtime/actor.js';
import type { CommandOptions, Kernel, ModuleInstance, StoreSettings } from '../runtime/module.js';
import type { RowOf } from '../store/schema.js';
import { codeSchema, minorUnitsSchema, pageSchema, parseInput, shortTextSchema } from '../validation.js';
import { timeZoneSchema, type BusinessCalendar } from './business-calendar.js';
import { openingHoursSchema } from './opening-hours.js';
import { rolesCollection, staffCollection, storesCollection } from './organisation-collections.js';
import type { ResultPage } from './customer-service.js';
import { mustGet } from '../store/must-get.js';

/** A store of the chain. */
export type RetailStore = RowOf<typeof storesCollection>;
/** A role with its permissions and monetary limits. */
export type Role = RowOf<typeof rolesCollection>;
/** A member of staff. */
export type StaffMember = RowOf<typeof staffCollection>;

const permissionSchema = z
  .string()
  .regex(/^(\*|[a-z][a-z-]*(\.[a-z*][a-z-]*)*)$/, 'permissions look like area.action, area.* or *');

/** Input of `stores.create`. */
export const createStoreSchema = z
  .object({
    id: codeSchema,
    name: shortTextSchema,
    region: shortTextSchema,
    /** The store's IANA time zone, e.g. `Asia/Shanghai`. */
    timeZone: timeZoneSchema,
    /** Opening hours per weekday as local `HH:mm` pairs (default: none given). */
    openingHours: openingHoursSchema.default({}),
    /** Local dates the store is closed, `YYYY-MM-DD`. */
    holidays: z.array(z.iso.date()).max(400).default([]),
  })
  .strict();
/** Input of `stores.create`. */
export type CreateStoreInput = z.input<typeof createStoreSchema>;

const updateStoreSchema = createStoreSchema.partial().required({ id: true }).strict();
/** Input of `stores.update`: the store's id and the details to change. */
export type UpdateStoreInput = z.input<typeof updateStoreSchema>;

const listStoresSchema = pageSchema
  .extend({
    /** Only the stores of this region. */
    region: shortTextSchema.optional(),
  })
  .strict();
/** Filters of `stores.list`. */
export type ListStoresInput = z.input<typeof listStoresSchema>;

/** Input of `roles.define`. */
export const defineRoleSchema = z
  .object({
    id: codeSchema,
    name: shortTextSchema,
    permissions: z.array(permissionSchema).max(200),
    /** Monetary authority per action in minor units, e.g. `{ refund: 5000, compensation: 5000 }`. */
    limits: z.record(z.string().regex(/^[a-z][a-z-]*$/), minorUnitsSchema).default({}),
    /**
     * The most one person in the role may move per local day of their store under each limit, e.g.
     * `{ refund: 500000 }`: past it, every further move that day needs an approver, as a single move
     * above `limits` does. A limit with no daily figure has no daily cap.
     */
    dailyLimits: z.record(z.string().regex(/^[a-z][a-z-]*$/), minorUnitsSchema).optional(),
  })
  .strict();

/** Input of `roles.define`. */
export type DefineRoleInput = z.input<typeof defineRoleSchema>;

/** Input of `staff.add`. */
export const addStaffSchema = z
  .object({ id: codeSchema, name: shortTextSchema, storeId: codeSchema, roleId: codeSchema })
  .strict();
/** Input of `staff.add`. */
export type AddStaffInput = z.input<typeof addStaffSchema>;

const setStaffActiveSchema = z
  .object({
    staffId: codeSchema,
    /** `false` stops the person acting anywhere; their history stays. */
    active: z.boolean(),
    /** A new role, given with the change. */
    roleId: codeSchema.optional(),
  })
  .strict();
/** Input of `staff.setActive`. */
export type SetStaffActiveInput = z.input<typeof setStaffActiveSchema>;

const listStaffSchema = pageSchema
  .extend({
    /** Only the staff of this store. */
    storeId: codeSchema.optional(),
  })
  .strict();
/** Filters of `staff.list`. */
export type ListStaffInput = z.input<typeof listStaffSchema>;

/** Whether an actor may settle an amount alone, and their limit. */
export interface AuthorityCheck {
  /** Whether the amount is within the limit. */
  allowed: boolean;
  /** The actor's limit for the action, in minor units. */
  limit: number;
}

/** `crm.stores`: the stores of the chain and their calendars. Changes need `stores.manage`. */
export interface StoresService {
  /** Opens a store (id, name, region, time zone, opening hours, holidays). */
  create(input: CreateStoreInput, options: CommandOptions): Promise<RetailStore>;
  /** Changes a store's details; modules refuse a calendar their time limits cannot be placed on. */
  update(input: UpdateStoreInput, options: CommandOptions): Promise<RetailStore>;
  /** A store by id. */
  get(storeId: string): Promise<RetailStore>;
  /** Stores, optionally of one region. */
  list(filters?: ListStoresInput): Promise<ResultPage<RetailStore>>;
  /** A store's business calendar: time zone, opening hours, holidays. */
  calendar(storeId: string): Promise<BusinessCalendar>;
}

/** `crm.roles`: permissions and monetary authority limits. Defining one needs `staff.manage`. */
export interface RolesService {
  /** Creates or replaces a role's permissions and limits. */
  define(input: DefineRoleInput, options: CommandOptions): Promise<Role>;
  /** A role by id. */
  get(roleId: string): Promise<Role>;
}

/** `crm.staff`: the people who act, at which store and in which role. Changes need `staff.manage`. */
export interface StaffService {
  /** Adds a member of staff at a store with a role. */
  add(input: AddStaffInput, options: CommandOptions): Promise<StaffMember>;
  /** Activates, deactivates or re-roles a member of staff. */
  setActive(input: SetStaffActiveInput, options: CommandOptions): Promise<StaffMember>;
  /** A member of staff by id. */
  get(staffId: string): Promise<StaffMember>;
  /** Staff, optionally of one store. */
  list(filters?: ListStaffInput): Promise<ResultPage<StaffMember>>;
  /** Whether an actor may settle `amount` (minor units) of `action` alone, and their limit. */
  authorityFor(actor: Actor, action: string, amount: number): Promise<AuthorityCheck>;
}

/** The stores, roles and staff services. */
export interface OrganisationService {
  /** The stores of the chain. */
  stores: StoresService;
  /** Roles and their limits. */
  roles: RolesService;
  /** Staff and their authority. */
  staff: StaffService;
}

/** Builds the organisation service. `modules` check a store's settings before it is written. */
export function createOrganisationService(
  kernel: Kernel,
  settings: { modules: () => ReadonlyArray<ModuleInstance<unknown>> } = { modules: () => [] },
): OrganisationService {
  /** Refuses a store whose settings a module cannot work with (its time limits, say), naming why. */
  function checkWithModules(store: StoreSettings, now: Date): void {
    const issues = settings.modules().flatMap((m) => m.checkStore?.(store, now) ?? []);
    if (issues.length) throw new ValidationError(issues);
  }

  const createStore = kernel.command({
    name: 'stores.create',
    input: createStoreSchema,
    permission: 'stores.manage',
    idempotency: 'optional',
    async run(ctx, input) {
      if (await ctx.tx.get(storesCollection, input.id))
        throw new ConflictError('primary_key', `store ${input.id} already exists`, { path: ['id'] });
      checkWithModules(input, ctx.now);
      const row = await ctx.tx.insert(storesCollection, { ...input, active: true, createdAt: ctx.now });
      ctx.audit({ type: 'store', id: row.id });
      return row;
    },
  });

  const updateStore = kernel.command({
    name: 'stores.update',
    input: updateStoreSchema,
    permission: 'stores.manage',
    idempotency: 'optional',
    async run(ctx, input) {
      const { id, ...patch } = input;
      const current = await mustGet(ctx.tx, storesCollection, id, 'store', { path: ['id'] });
      const clean = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
      checkWithModules({ ...current, ...clean } as StoreSettings, ctx.now);
      const row = await ctx.tx.update(storesCollection, id, clean);
      ctx.audit({ type: 'store', id }, { fields: Object.keys(clean) });
      return row;
    },
  });

  const defineRole = kernel.command({
    name: 'roles.define',
    input: defineRoleSchema,
    permission: 'staff.manage',
    idempotency: 'optional',
    async run(ctx, input) {
      const existing = await ctx.tx.get(rolesCollection, input.id);
      const row = existing
        ? await ctx.tx.update(rolesCollection, input.id, {
            name: input.name,
            permissions: input.permissions,
            limits: input.limits,
            dailyLimits: input.dailyLimits ?? null,
          })
        : await ctx.tx.insert(rolesCollection, {
            id: input.id,
            name: input.name,
            permissions: input.permissions,
            limits: input.limits,
            dailyLimits: input.dailyLimits ?? null,
            createdAt: ctx.now,
          });
      ctx.audit(
        { type: 'role', id: row.id },
        {
          permissions: row.permissions,
          limits: row.limits,
          ...(row.dailyLimits ? { dailyLimits: row.dailyLimits } : {}),
        },
      );
      return row;
    },
  });

  const addStaff = kernel.command({
    name: 'staff.add',
    input: addStaffSchema,
    permission: 'staff.manage',
    idempotency: 'optional',
    async run(ctx, input) {
      if (!(await ctx.tx.get(storesCollection, input.storeId)))
        throw new NotFoundError('store', input.storeId, { path: ['storeId'] });
      if (!(await ctx.tx.get(rolesCollection, input.roleId)))
        throw new NotFoundError('role', input.roleId, { path: ['roleId'] });
      if (await ctx.tx.get(staffCollection, input.id))
        throw new ConflictError('primary_key', `staff ${input.id} already exists`, { path: ['id'] });
      const row = await ctx.tx.insert(staffCollection, { ...input, active: true, createdAt: ctx.now });
      ctx.audit({ type: 'staff', id: row.id }, { storeId: row.storeId, roleId: row.roleId });
      return row;
    },
  });

  const setStaffActive = kernel.command({
    name: 'staff.set-active',
    input: setStaffActiveSchema,
    permission: 'staff.manage',
    idempotency: 'optional',
    async run(ctx, input) {
      if (!(await ctx.tx.get(staffCollection, input.staffId)))
        throw new NotFoundError('staff', input.staffId, { path: ['staffId'] });
      if (input.roleId && !(await ctx.tx.get(rolesCollection, input.roleId)))
        throw new NotFoundError('role', input.roleId, { path: ['roleId'] });
      const row = await ctx.tx.update(staffCollection, input.staffId, {
        active: input.active,
        ...(input.roleId ? { roleId: input.roleId } : {}),
      });
      ctx.audit({ type: 'staff', id: row.id }, { active: row.active, roleId: row.roleId });
      return row;
    },
  });

  async function getStore(id: string): Promise<RetailStore> {
    const storeId = parseInput(codeSchema, id, ['storeId']);
    const row = await mustGet(kernel.store, storesCollection, storeId, 'store', { path: ['storeId'] });
    return row;
  }

  async function listStores(input: ListStoresInput = {}): Promise<ResultPage<RetailStore>> {
    const q = parseInput(listStoresSchema, input);
    const page = await kernel.store.find(storesCollection, {
      where: q.region ? { region: q.region } : {},
      limit: q.limit,
      after: q.after ?? null,
    });
    return { items: page.rows, next: page.next };
  }

  async function calendar(storeId: string): Promise<BusinessCalendar> {
    const s = await getStore(storeId);
    return { timeZone: s.timeZone, openingHours: s.openingHours, holidays: s.holidays };
  }

  async function getStaff(id: string): Promise<StaffMember> {
    const staffId = parseInput(codeSchema, id, ['staffId']);
    const row = await mustGet(kernel.store, staffCollection, staffId, 'staff', { path: ['staffId'] });
    return row;
  }

  async function listStaff(input: ListStaffInput = {}): Promise<ResultPage<StaffMember>> {
    const q = parseInput(listStaffSchema, input);
    const page = await kernel.store.find(staffCollection, {
      where: q.storeId ? { storeId: q.storeId } : {},
      limit: q.limit,
      after: q.after ?? null,
    });
    return { items: page.rows, next: page.next };
  }

  async function getRole(id: string): Promise<Role> {
    const roleId = parseInput(codeSchema, id, ['roleId']);
    const row = await mustGet(kernel.store, rolesCollection, roleId, 'role', { path: ['roleId'] });
    return row;
  }

  /** Whether an actor may settle `amount` of `action` alone, and their limit. */
  async function authorityFor(actor: Actor, action: string, amount: number): Promise<AuthorityCheck> {
    const a = parseInput(z.string().regex(/^[a-z][a-z-]*$/), action, ['action']);
    const n = parseInput(minorUnitsSchema, amount, ['amount']);
    const resolved = await kernel.resolveActor(actor);
    const limit = authorityLimit(resolved, a);
    return { allowed: n <= limit, limit };
  }

  return {
    stores: {
      create: createStore,
      update: updateStore,
      get: getStore,
      list: listStores,
      calendar,
    },
    roles: {
      define: defineRole,
      get: getRole,
    },
    staff: {
      add: addStaff,
      setActive: setStaffActive,
      get: getStaff,
      list: listStaff,
      authorityFor,
    },
  };
}
