/**
 * The world the scenario tests run in: the Tiantian ladder (counter clerk → store manager →
 * customer relations → general manager's office → general manager) and the quality station's
 * ladder for after-sales cases, a store whose service desk keeps weekday hours, staff for every
 * level, and, where a test asks for them, small stand-ins for the loyalty and segments modules.
 */
import {
  InvalidStateError,
  NotFoundError,
  createClientele,
  manualClock,
  sequentialIds,
  type Clientele,
  type ManualClock,
  type AnyModule,
  type Store,
} from '@clientele/core';
import { defineCollection, defineModule, field, scan, type CollectionSpec } from '@clientele/core/module';
import { coreCollections } from '@clientele/core/adapter';
import { z } from 'zod';
import { complaints, complaintsCollections, type ComplaintsConfigInput } from '../../src/index.js';

export const SYSTEM = { actor: { system: 'test-setup' } } as const;
export const CLERK = { actor: { staffId: 'E-CLERK' } } as const;
export const CLERK2 = { actor: { staffId: 'E-CLERK2' } } as const;
export const MANAGER = { actor: { staffId: 'E-MANAGER' } } as const;
export const RELATIONS = { actor: { staffId: 'E-RELATIONS' } } as const;
export const GM_OFFICE = { actor: { staffId: 'E-GMO' } } as const;
export const GM = { actor: { staffId: 'E-GM' } } as const;
export const QUALITY = { actor: { staffId: 'E-QUALITY' } } as const;
export const GUARD = { actor: { staffId: 'E-GUARD' } } as const;

const limits = (ack: number, resolve: number) => ({ acknowledge: ack, resolve });

/** The Tiantian ladder and quality station, in business minutes. */
export const TIANTIAN: ComplaintsConfigInput = {
  severities: ['low', 'medium', 'high'],
  ladders: {
    service: [
      {
        level: 1,
        id: 'counter',
        name: 'Counter clerk',
        roles: ['clerk'],
        timeLimits: { low: limits(60, 240), medium: limits(30, 120), high: limits(15, 60) },
        serviceLevels: { priority: { low: limits(15, 60), medium: limits(10, 45), high: limits(5, 30) } },
      },
      {
        level: 2,
        id: 'store-manager',
        name: 'Store manager',
        roles: ['manager'],
        timeLimits: { low: limits(120, 480), medium: limits(60, 240), high: limits(30, 120) },
      },
      {
        level: 3,
        id: 'customer-relations',
        name: 'Customer relations',
        roles: ['relations'],
        timeLimits: { low: limits(240, 960), medium: limits(120, 480), high: limits(60, 240) },
      },
      {
        level: 4,
        id: 'gm-office',
        name: 'General manager’s office',
        roles: ['gm-office'],
        timeLimits: { low: limits(480, 1440), medium: limits(240, 960), high: limits(120, 480) },
      },
      {
        level: 5,
        id: 'gm',
        name: 'General manager',
        roles: ['gm'],
        timeLimits: { low: limits(480, 2400), medium: limits(480, 1440), high: limits(240, 960) },
      },
    ],
    quality: [
      {
        level: 1,
        id: 'quality-station',
        name: 'Quality station',
        roles: ['quality'],
        timeLimits: { low: limits(60, 1440), medium: limits(60, 960), high: limits(30, 480) },
      },
      {
        level: 2,
        id: 'customer-relations',
        name: 'Customer relations',
        roles: ['relations'],
        timeLimits: { low: limits(120, 960), medium: limits(120, 480), high: limits(60, 240) },
      },
      {
        level: 3,
        id: 'gm',
        name: 'General manager',
        roles: ['gm'],
        timeLimits: { low: limits(480, 2400), medium: limits(480, 1440), high: limits(240, 960) },
      },
    ],
  },
  routes: { 'after-sales': 'quality' },
  verifierRoles: { 'after-sales': ['relations'] },
  causes: [
    'stale-goods',
    'pricing-error',
    'rude-service',
    'slow-checkout',
    'faulty-product',
    'survey-feedback',
    'other',
  ],
  pointValue: 1,
  reopenWindowDays: 7,
  correctiveActions: { graceMinutes: 240 },
  surveys: {
    questionnaires: [
      {
        id: 'after-purchase',
        name: 'How was your visit?',
        trigger: 'purchase',
        sampleRate: 0.5,
        seed: 'tiantian-2026',
        questions: [
          { id: 'q-fresh', indicator: 'freshness', scale: '1-5', text: 'Freshness of what you bought' },
          { id: 'q-price', indicator: 'price', scale: '1-5', text: 'Prices' },
          { id: 'q-staff', indicator: 'attitude', scale: '1-5', text: 'Staff attitude' },
          { id: 'q-wait', indicator: 'checkout-wait', scale: '1-5', text: 'Waiting at the checkout' },
          { id: 'q-nps', indicator: 'recommend', scale: '0-10', text: 'Would you recommend us to a friend?' },
        ],
      },
      {
        id: 'after-case',
        name: 'Did we fix it?',
        trigger: 'case-closed',
        questions: [
          { id: 'q-fixed', indicator: 'resolution', scale: '1-5', text: 'How well was your problem solved?' },
        ],
      },
    ],
  },
};

const PERMS = ['customers.write', 'sales.*', 'interactions.write', 'complaints.handle', 'surveys.record', 'loyalty.*'];

/** A whole test world. */
export interface World {
  crm: Clientele<[ReturnType<typeof complaints>]>;
  clock: ManualClock;
  store: Store;
}

/** Options of {@link openWorld}. */
export interface WorldOptions {
  config?: ComplaintsConfigInput;
  /** Extra modules (the loyalty or segments stand-ins). */
  modules?: AnyModule[];
  /** Where the clock starts (default Monday 2 November 2026, 10:00 in Shanghai). */
  start?: string;
  /** Audit each read of a member's file (default false), as for `createClientele`. */
  auditReads?: boolean;
  /** Open S01 round the clock too (for ladders with limits only such a calendar can carry). */
  roundTheClock?: boolean;
}

/**
 * A chain with store S01 (service desk Monday to Friday 08:00-20:00, Shanghai) and S02 (open round
 * the clock), staff at every level, and a member. Authority: clerk 50 yuan, manager 500 yuan,
 * customer relations 2,000 yuan (and exchanges to 5,000), the general manager's office 5,000, the
 * general manager 50,000.
 */
export async function openWorld(
  store: Store,
  options: WorldOptions = {},
): Promise<World & { customerId: string; reported: Array<{ error: unknown; context: string }> }> {
  const clock = manualClock(options.start ?? '2026-11-02T02:00:00Z');
  const reported: Array<{ error: unknown; context: string }> = [];
  const crm = createClientele({
    store,
    clock,
    ids: sequentialIds(),
    modules: [complaints(options.config ?? TIANTIAN), ...(options.modules ?? [])],
    onListenerError: (error, context) => void reported.push({ error, context }),
    auditReads: options.auditReads ?? false,
  }) as unknown as World['crm'];
  await crm.migrate();
  const weekdays: [string, string][] = [['08:00', '20:00']];
  await crm.stores.create(
    {
      id: 'S01',
      name: '天天超市 人民路店',
      region: 'East',
      timeZone: 'Asia/Shanghai',
      openingHours: options.roundTheClock
        ? {}
        : { mon: weekdays, tue: weekdays, wed: weekdays, thu: weekdays, fri: weekdays },
    },
    SYSTEM,
  );
  await crm.stores.create({ id: 'S02', name: '天天超市 网店', region: 'East', timeZone: 'Asia/Shanghai' }, SYSTEM);
  await crm.roles.define(
    {
      id: 'clerk',
      name: 'Counter clerk',
      permissions: PERMS,
      limits: { refund: 5000, compensation: 5000, 'goodwill-points': 5000, voucher: 5000, exchange: 5000 },
    },
    SYSTEM,
  );
  await crm.roles.define(
    {
      id: 'manager',
      name: 'Store manager',
      permissions: [...PERMS, 'complaints.approve', 'complaints.escalate', 'complaints.verify'],
      limits: { refund: 50000, compensation: 50000, 'goodwill-points': 50000, voucher: 50000, exchange: 50000 },
    },
    SYSTEM,
  );
  await crm.roles.define(
    {
      id: 'relations',
      name: 'Customer relations',
      permissions: [...PERMS, 'complaints.*', 'surveys.*'],
      limits: {
        refund: 200000,
        compensation: 200000,
        'goodwill-points': 200000,
        voucher: 200000,
        exchange: 500000,
        repair: 500000,
      },
    },
    SYSTEM,
  );
  await crm.roles.define(
    {
      id: 'gm-office',
      name: 'GM office',
      permissions: [...PERMS, 'complaints.*'],
      limits: { refund: 500000, compensation: 500000 },
    },
    SYSTEM,
  );
  await crm.roles.define(
    {
      id: 'gm',
      name: 'General manager',
      permissions: ['*'],
      limits: { refund: 5000000, compensation: 5000000, exchange: 5000000 },
    },
    SYSTEM,
  );
  await crm.roles.define(
    {
      id: 'quality',
      name: 'Quality station',
      permissions: [...PERMS, 'complaints.rule'],
      limits: { refund: 30000, exchange: 100000, repair: 100000 },
    },
    SYSTEM,
  );
  await crm.roles.define({ id: 'guard', name: 'Security', permissions: ['interactions.write'] }, SYSTEM);
  for (const [id, name, roleId] of [
    ['E-CLERK', '李娜', 'clerk'],
    ['E-CLERK2', '陈晨', 'clerk'],
    ['E-MANAGER', '王强', 'manager'],
    ['E-RELATIONS', '赵敏', 'relations'],
    ['E-GMO', '孙伟', 'gm-office'],
    ['E-GM', '周总', 'gm'],
    ['E-QUALITY', '刘工', 'quality'],
    ['E-GUARD', 'Guard', 'guard'],
  ] as const) {
    await crm.staff.add({ id, name, storeId: 'S01', roleId }, SYSTEM);
  }
  const customer = await crm.customers.register(
    { kind: 'individual', name: '张伟', phone: '13800138000', homeStoreId: 'S01' },
    CLERK,
  );
  return { crm, clock, store, customerId: customer.id, reported };
}

/** Every row of every collection of the complaints module and core, as JSON text per collection. */
export async function snapshot(
  crm: World['crm'],
  extra: readonly CollectionSpec[] = [],
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const c of [...coreCollections, ...complaintsCollections, ...extra]) {
    const rows: unknown[] = [];
    for await (const row of scan(crm.store, c)) rows.push(row);
    out[c.name] = JSON.stringify(rows);
  }
  return out;
}

/**
 * A run of a loyalty stand-in command's body (a replay of an idempotency key runs none; a rolled-back run is still
 * listed).
 */
export interface LoyaltyCall {
  method: 'grantGoodwill' | 'vouchers.issue';
  input: unknown;
}

/** Goodwill points and vouchers the loyalty stand-in has issued. */
export const testLedger = defineCollection({
  name: 'test_loyalty_ledger',
  primaryKey: 'id',
  fields: {
    id: field.string(),
    customerId: field.string(),
    kind: field.string(),
    points: field.integer(),
    templateId: field.string(),
    refId: field.string(),
  },
});

/**
 * A stand-in for `@clientele/loyalty` implementing only what complaints calls, as real kernel
 * commands (so complaints runs them inside its own transaction, and idempotency keys and authority
 * behave as the real module's do). Each run of a body is listed in `calls`. The template `UNKNOWN` is
 * `NOT_FOUND`, `RETIRED` is `INVALID_STATE`, as the real module says.
 */
export function loyaltyStandIn(calls: LoyaltyCall[], control: { vouchers?: boolean } = {}) {
  return defineModule({
    name: 'loyalty',
    collections: [testLedger],
    setup(kernel) {
      const ref = z.object({ type: z.literal('case'), id: z.string() });
      const grant = kernel.command({
        name: 'loyalty.grant-goodwill',
        input: z
          .object({
            customerId: z.string(),
            points: z.number().int().positive(),
            reason: z.string(),
            ref,
            storeId: z.string().optional(),
            approvedBy: z.string().optional(),
          })
          .strict(),
        permission: 'loyalty.goodwill',
        idempotency: 'required',
        moves: { gives: ['points'], limits: ['goodwill-points'], measure: 'points (one minor unit each here)' },
        async run(ctx, input) {
          calls.push({ method: 'grantGoodwill', input });
          // Like the real module, goodwill needs authority: the actor's own or the approver's.
          await ctx.requireAuthority('goodwill-points', input.points, input.approvedBy);
          const entryId = ctx.id('pts');
          await ctx.tx.insert(testLedger, {
            id: entryId,
            customerId: input.customerId,
            kind: 'goodwill',
            points: input.points,
            templateId: '',
            refId: input.ref.id,
          });
          let balance = 0;
          for await (const row of scan(ctx.tx, testLedger, { where: { customerId: input.customerId } }))
            balance += row.points;
          return { entryId, points: input.points, balance };
        },
      });
      const issue = kernel.command({
        name: 'loyalty.vouchers.issue',
        input: z
          .object({
            templateId: z.string(),
            customerId: z.string(),
            source: z.literal('service-recovery'),
            ref,
            approvedBy: z.string().optional(),
          })
          .strict(),
        permission: 'loyalty.vouchers',
        idempotency: 'required',
        async run(ctx, input) {
          calls.push({ method: 'vouchers.issue', input });
          if (input.templateId === 'UNKNOWN')
            throw new NotFoundError('voucher template', input.templateId, { path: ['templateId'] });
          if (input.templateId === 'RETIRED')
            throw new InvalidStateError(`voucher template ${input.templateId} is retired`, {
              path: ['templateId'],
              reason: 'template_retired',
            });
          const id = ctx.id('vch');
          await ctx.tx.insert(testLedger, {
            id,
            customerId: input.customerId,
            kind: 'voucher',
            points: 0,
            templateId: input.templateId,
            refId: input.ref.id,
          });
          return { id, code: `TT-${id.slice(-6)}`, templateId: input.templateId };
        },
      });
      const api: Record<string, unknown> = { grantGoodwill: grant };
      if (control.vouchers !== false) api['vouchers'] = { issue };
      return { api };
    },
  });
}

/**
 * A stand-in for `@clientele/segments`: a fixed service level and segment list per customer,
 * recording whether it was read inside the caller's transaction.
 */
export function segmentsStandIn(
  byCustomer: Record<string, { serviceLevel: string | null; segments: string[] }>,
  sessions: unknown[] = [],
) {
  return defineModule({
    name: 'segments',
    setup() {
      return {
        api: {
          forModules: {
            policyFor: async (customerId: string, session: unknown) => {
              sessions.push(session);
              return { serviceLevel: byCustomer[customerId]?.serviceLevel ?? null, multiplier: 1 };
            },
            segmentsOf: async (customerId: string, session: unknown) => {
              sessions.push(session);
              return (byCustomer[customerId]?.segments ?? []).map((id) => ({ segmentId: id, name: id }));
            },
          },
        },
      };
    },
  });
}

/** Monday 2 November 2026 plus days, at a local Shanghai time `HH:MM`. */
export function at(dayOffset: number, hhmm: string): Date {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return new Date(Date.UTC(2026, 10, 2 + dayOffset, h - 8, m));
}
